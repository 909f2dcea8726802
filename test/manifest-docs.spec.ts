/** The manifest page documents every column and alias, the diagnostics page every code (both linked from the README). */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { BLOG_TEMPLATE_ALIASES, COLUMNS, COLUMN_DOCS, DIAGNOSTIC_CODES } from "../components/model";

const read = (file: string) => fs.readFileSync(path.join(__dirname, "..", file), "utf8");
const MANIFEST = read("docs/manifest.md");
const CODES = read("docs/diagnostics.md");

/** The rows of the markdown table whose first cell is `name` in backticks. */
function tableRow(name: string, doc = MANIFEST): string[] | undefined {
    const line = doc.split("\n").find(l => l.startsWith(`| \`${name}\` |`));
    return line
        ?.split("|")
        .slice(1, -1)
        .map(c => c.trim());
}

describe("manifest docs", () => {
    it("list every column with its description and default", () => {
        for (const c of COLUMNS) {
            const row = tableRow(c);
            expect(row, c).to.not.equal(undefined);
            expect(row![2], `default of ${c}`).to.contain(COLUMN_DOCS[c].default.split(" (")[0]);
        }
    });

    it("list every AWS blog template header", () => {
        for (const [alias, column] of Object.entries(BLOG_TEMPLATE_ALIASES)) {
            expect(tableRow(alias)?.[1], alias).to.contain(column);
        }
    });

    it("are linked from the README", () => {
        const readme = read("README.md");
        expect(readme).to.include("(docs/manifest.md").and.include("(docs/diagnostics.md)");
    });

    it("list every diagnostic code with a severity, an example and a fix", () => {
        for (const code of Object.keys(DIAGNOSTIC_CODES)) {
            const row = tableRow(code, CODES);
            expect(row, code).to.not.equal(undefined);
            expect(row![1], `severity of ${code}`).to.match(/^(error|warning)/);
            expect(row![2].length, `example for ${code}`).to.be.greaterThan(5);
            expect(row![3].length, `fix for ${code}`).to.be.greaterThan(10);
        }
    });
});
