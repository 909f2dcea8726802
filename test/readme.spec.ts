/** The README's promises: its quick start, its code examples and its documented codes stay true. */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { DIAGNOSTIC_CODES } from "../components/model";
import { T, byType, runProgram } from "./support/mock-runtime";
import { OFFLINE_INVOKES } from "../cli/plan-command";

const ROOT = path.join(__dirname, "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

function codeBlocks(lang: string): string[] {
    const re = new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g");
    return [...README.matchAll(re)].map(m => m[1]);
}

describe("README", () => {
    it("quick start is exactly the two documented commands, and .ci/run runs npm ci and the test command", () => {
        const start = README.slice(README.indexOf("## Quick start"));
        const sh = /```sh\n([\s\S]*?)```/.exec(start)![1].trim().split("\n");
        expect(sh).to.deep.equal(["npm ci && npm run plan -- --stack dev", "npm test"]);
        const ci = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
        expect(ci)
            .to.match(/npm ci/)
            .and.match(/npm test/);
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        expect(pkg.scripts.plan).to.match(/plan/);
        expect(pkg.scripts.test)
            .to.match(/tsc .*--noEmit/)
            .and.match(/mocha/);
    });

    it("every TypeScript example runs under the mock runtime", async () => {
        const blocks = codeBlocks("ts");
        expect(blocks.length).to.be.at.least(2);
        const dir = fs.mkdtempSync(path.join(__dirname, ".readme-"));
        try {
            for (const [i, block] of blocks.entries()) {
                const file = path.join(dir, `example-${i}.ts`);
                fs.writeFileSync(file, block.replace(/from "pulumi-s3-replication"/g, `from ${JSON.stringify(path.join(ROOT, "components"))}`));
                const result = await runProgram(() => require(file), {
                    invokes: OFFLINE_INVOKES,
                    allowError: true,
                });
                expect(result.error, `example ${i}: ${result.error?.message}`).to.equal(undefined);
                expect(byType(result.resources, T.replication).length, `example ${i} registers a replication configuration`).to.be.greaterThan(0);
                expect(byType(result.resources, T.versioning).length).to.be.at.least(2);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("`npx s3-replication` runs this checkout's CLI (linked by npm ci), printing clean JSON", () => {
        const { execFileSync } = require("child_process") as typeof import("child_process");
        const out = execFileSync("npx", ["--no-install", "s3-replication", "validate", "stacks/manifests/dev.csv", "--stack", "dev", "--json"], {
            cwd: ROOT,
            encoding: "utf8",
        });
        const json = JSON.parse(out);
        expect(json).to.deep.equal({ ok: true, errors: [], warnings: [] });
    });

    it("documents every diagnostic code (in the page it links to)", () => {
        expect(README).to.include("(docs/diagnostics.md)");
        const codes = fs.readFileSync(path.join(ROOT, "docs", "diagnostics.md"), "utf8");
        for (const code of Object.keys(DIAGNOSTIC_CODES)) expect(codes, code).to.include(code);
    });

    it("links only to docs pages and anchors that exist", () => {
        const headings = (doc: string) =>
            new Set(
                [...doc.matchAll(/^#+ (.*)$/gm)].map(m =>
                    m[1]
                        .toLowerCase()
                        .replace(/[^a-z0-9 _-]/g, "")
                        .replace(/ /g, "-"),
                ),
            );
        const pages = [
            ["README.md", README],
            ...fs
                .readdirSync(path.join(ROOT, "docs"))
                .filter(f => f.endsWith(".md"))
                .map(f => [`docs/${f}`, fs.readFileSync(path.join(ROOT, "docs", f), "utf8")]),
        ];
        for (const [file, doc] of pages) {
            for (const [, target, anchor] of doc.matchAll(/\]\(((?:\.\.\/)?(?:docs\/)?[A-Za-z0-9_.-]*\.md)?(?:#([a-z0-9_-]+))?\)/g)) {
                if (target === undefined && anchor === undefined) continue;
                const linked = target ? path.normalize(path.join(path.dirname(file), target)) : file;
                expect(fs.existsSync(path.join(ROOT, linked)), `${file} links to ${linked}`).to.equal(true);
                if (anchor)
                    expect(headings(fs.readFileSync(path.join(ROOT, linked), "utf8")).has(anchor), `${file} links to ${linked}#${anchor}`).to.equal(true);
            }
        }
    });
});
