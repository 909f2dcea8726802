/** Loaders: CSV/TSV, XLSX, YAML and JSON into located records; bad content is diagnostics. */
import { expect } from "chai";
import * as ExcelJS from "exceljs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LoadedManifest, flattenCellValue, formatFromPath, loadManifest, parseManifest, parseManifestText } from "../components/manifest";
import { Diagnostic } from "../components/model";

const codes = (ds: readonly Diagnostic[]) => ds.map(d => d.code);
const where = (ds: readonly Diagnostic[]) => ds.map(d => `${d.code}@${d.row ?? ""}:${d.column ?? ""}`);
const rowsOf = (m: LoadedManifest) => m.records.map(r => r.at.row);

async function xlsxBuffer(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    build(wb);
    return Buffer.from(await wb.xlsx.writeBuffer());
}

describe("manifest loader: CSV", () => {
    const H = "source_bucket,source_account,source_region,destination_bucket";

    it("numbers rows as a spreadsheet does: header row 1, blank rows counted and skipped", () => {
        const m = parseManifestText(`${H}\napp-a,111111111111,us-east-1,app-a-copy\n\n,,,\napp-b,111111111111,us-east-1,app-b-copy\n`, "csv", "m.csv");
        expect(m.diagnostics).to.deep.equal([]);
        expect(rowsOf(m)).to.deep.equal([2, 5]);
        expect(m.records[1].values).to.deep.equal({
            source_bucket: "app-b",
            source_account: "111111111111",
            source_region: "us-east-1",
            destination_bucket: "app-b-copy",
        });
        expect(m.records[1].locs?.source_region).to.deep.equal({ file: "m.csv", row: 5, column: "source_region" });
        expect(m.columns).to.deep.equal(["source_bucket", "source_account", "source_region", "destination_bucket"]);
        expect(m.headerRow).to.equal(1);
    });

    it("counts a quoted multi-line cell as one row (row = record, not line)", () => {
        const m = parseManifestText(
            `${H},tags\n"app-a",111111111111,us-east-1,app-a-copy,"team=x;\nclass=y"\napp-b,111111111111,us-east-1,app-b-copy,\n`,
            "csv",
            "m.csv",
        );
        expect(m.diagnostics).to.deep.equal([]);
        expect(rowsOf(m)).to.deep.equal([2, 3]);
        expect(m.records[0].values.tags).to.equal("team=x;\nclass=y");
    });

    it("strips a UTF-8 byte order mark from the first header", () => {
        const m = parseManifestText(
            Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${H}\napp-a,111111111111,us-east-1,app-a-copy\n`)]),
            "csv",
            "m.csv",
        );
        expect(m.diagnostics).to.deep.equal([]);
        expect(m.records[0].values.source_bucket).to.equal("app-a");
    });

    it("reads UTF-16 with a BOM (Excel's Unicode text) and CRLF line ends", () => {
        const text = `${H}\r\napp-a,111111111111,us-east-1,app-a-copy\r\n`;
        const m = parseManifestText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]), "csv", "m.csv");
        expect(m.diagnostics).to.deep.equal([]);
        expect(m.records[0].values.destination_bucket).to.equal("app-a-copy");
    });

    it("ignores trailing empty columns in the header and the rows", () => {
        const m = parseManifestText(`${H},,\napp-a,111111111111,us-east-1,app-a-copy,,,,\n`, "csv", "m.csv");
        expect(m.diagnostics).to.deep.equal([]);
        expect(Object.keys(m.records[0].values)).to.have.length(4);
    });

    it("reports a value under no header once, by column letter", () => {
        const m = parseManifestText(`${H}\napp-a,111111111111,us-east-1,app-a-copy,oops\napp-b,111111111111,us-east-1,app-b-copy,again\n`, "csv", "m.csv");
        expect(where(m.diagnostics)).to.deep.equal(["UNKNOWN_COLUMN@2:E"]);
        expect(m.records).to.have.length(2);
    });

    it("maps headers ignoring case, spaces and underscores, and the AWS blog template's headers", () => {
        const m = parseManifestText(
            "Source Bucket Name,SOURCE ACCOUNT,source-region,Region,Target Storage Class,Prefix Filter,DeleteMarkerReplication,Existing Object Replication\nmedia,111111111111,us-east-1,us-west-2,STANDARD_IA,img/,Enabled,Disabled\n",
            "csv",
            "blog.csv",
        );
        expect(m.diagnostics).to.deep.equal([]);
        expect(m.records[0].values).to.deep.equal({
            source_bucket: "media",
            source_account: "111111111111",
            source_region: "us-east-1",
            destination_region: "us-west-2",
            storage_class: "STANDARD_IA",
            prefix: "img/",
            delete_marker_replication: "Enabled",
            existing_objects: "Disabled",
        });
    });

    it("reports an unknown header with a suggestion, at row 1 and the header as written", () => {
        const m = parseManifestText(`${H},destinaton_region\napp-a,111111111111,us-east-1,app-a-copy,us-west-2\n`, "csv", "m.csv");
        expect(where(m.diagnostics)).to.deep.equal(["UNKNOWN_COLUMN@1:destinaton_region"]);
        expect(m.diagnostics[0].message).to.contain("did you mean destination_region?");
        expect(m.records[0].values).to.not.have.property("destination_region");
    });

    it("reports two headers for one column as DUPLICATE_COLUMN and keeps the first", () => {
        const m = parseManifestText(`${H},Target Bucket\napp-a,111111111111,us-east-1,first,second\n`, "csv", "m.csv");
        expect(where(m.diagnostics)).to.deep.equal(["DUPLICATE_COLUMN@1:destination_bucket"]);
        expect(m.records[0].values.destination_bucket).to.equal("first");
    });

    it("finds the header below leading blank rows and keeps real row numbers", () => {
        const m = parseManifestText(`\n\n${H}\napp-a,111111111111,us-east-1,app-a-copy\n`, "csv", "m.csv");
        expect(m.headerRow).to.equal(3);
        expect(rowsOf(m)).to.deep.equal([4]);
    });

    it("reports a header-only file and an empty file as MANIFEST_EMPTY", () => {
        expect(where(parseManifestText(`${H}\n`, "csv", "m.csv").diagnostics)).to.deep.equal(["MANIFEST_EMPTY@1:"]);
        expect(codes(parseManifestText("", "csv", "m.csv").diagnostics)).to.deep.equal(["MANIFEST_EMPTY"]);
        expect(codes(parseManifestText("\n , \n", "csv", "m.csv").diagnostics)).to.deep.equal(["MANIFEST_EMPTY"]);
    });

    it("reports an unclosed quote as MANIFEST_UNREADABLE at the row where it opens", () => {
        const m = parseManifestText(`${H}\napp-a,111111111111,us-east-1,app-a-copy\n"app-b,111111111111,us-east-1,app-b-copy\n`, "csv", "m.csv");
        expect(where(m.diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE@3:"]);
        expect(m.records).to.deep.equal([]);
    });

    it("refuses bytes that are not UTF-8 instead of guessing a code page", () => {
        const m = parseManifestText(Buffer.concat([Buffer.from(`${H}\napp-a,111111111111,us-east-1,caf`), Buffer.from([0xe9, 0x0a])]), "csv", "m.csv");
        expect(codes(m.diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE"]);
        expect(m.diagnostics[0].message).to.contain("line 2");
    });

    it("reads TSV with tabs as the delimiter", () => {
        const m = parseManifestText("source_bucket\tsource_account\tsource_region\napp-a\t111111111111\tus-east-1\n", "tsv", "m.tsv");
        expect(m.diagnostics).to.deep.equal([]);
        expect(m.records[0].values.source_region).to.equal("us-east-1");
    });
});

describe("manifest loader: files and formats", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "manifest-load-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("tells the format from the extension", () => {
        expect(["a.csv", "a.TSV", "a.xlsx", "a.yml", "a.yaml", "a.json", "a.txt"].map(formatFromPath)).to.deep.equal([
            "csv",
            "tsv",
            "xlsx",
            "yaml",
            "yaml",
            "json",
            undefined,
        ]);
    });

    it("turns a missing file, a directory and an unknown extension into MANIFEST_UNREADABLE", async () => {
        const missing = await loadManifest(path.join(dir, "nope.csv"));
        expect(codes(missing.diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE"]);
        expect(missing.diagnostics[0].message).to.contain("no such file");
        expect(missing.diagnostics[0].file).to.equal(path.join(dir, "nope.csv"));
        fs.mkdirSync(path.join(dir, "folder.csv"));
        expect(codes((await loadManifest(path.join(dir, "folder.csv"))).diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE"]);
        fs.writeFileSync(path.join(dir, "old.xls"), "x");
        const xls = await loadManifest(path.join(dir, "old.xls"));
        expect(codes(xls.diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE"]);
        expect(xls.diagnostics[0].message).to.contain(".xlsx");
    });

    it("honours an explicit format over the extension", async () => {
        const file = path.join(dir, "routes.txt");
        fs.writeFileSync(file, "- source_bucket: app-a\n  source_account: 111111111111\n  source_region: us-east-1\n");
        const m = await loadManifest(file, { format: "yaml" });
        expect(m.diagnostics).to.deep.equal([]);
        expect(m.format).to.equal("yaml");
        expect(m.records[0].values.source_bucket).to.equal("app-a");
    });
});

describe("manifest loader: XLSX", () => {
    it("flattens rich text, hyperlinks, formula results and errors to what the cell shows", () => {
        expect(flattenCellValue({ richText: [{ text: "app-" }, { text: "logs" }] })).to.deep.equal({ value: "app-logs" });
        expect(flattenCellValue({ text: "app-logs", hyperlink: "https://example.com" })).to.deep.equal({ value: "app-logs" });
        expect(flattenCellValue({ formula: "A1", result: 5 })).to.deep.equal({ value: 5 });
        expect(flattenCellValue({ sharedFormula: "A1", result: "x" })).to.deep.equal({ value: "x" });
        expect(flattenCellValue({ error: "#N/A" }))
            .to.have.property("error")
            .that.contains("#N/A");
        expect(flattenCellValue({ formula: "A1" }))
            .to.have.property("error")
            .that.contains("no calculated value");
        expect(flattenCellValue(null)).to.deep.equal({ value: undefined });
    });

    it("reads the first sheet with typed cells, keeping sheet row numbers", async () => {
        const buffer = await xlsxBuffer(wb => {
            const ws = wb.addWorksheet("Routes");
            ws.getRow(1).values = ["Source Bucket", "Source Account", "Source Region", "Destination Bucket", "RTC", "Priority"];
            ws.getRow(2).values = [
                { richText: [{ text: "app-" }, { text: "a" }] },
                111111111111,
                "us-east-1",
                { text: "app-a-copy", hyperlink: "https://s3.console.aws.amazon.com/" },
                true,
                3,
            ];
            ws.getRow(4).values = ["app-b", 11111111111, "us-east-1", "app-b-copy", false, { formula: "1+1", result: 2 }];
            wb.addWorksheet("Notes").getRow(1).values = ["not", "a", "manifest"];
        });
        const m = await parseManifest(buffer, "xlsx", "fleet.xlsx");
        expect(m.diagnostics).to.deep.equal([]);
        expect(m.sheet).to.equal("Routes");
        expect(rowsOf(m)).to.deep.equal([2, 4]);
        expect(m.records[0].values).to.deep.equal({
            source_bucket: "app-a",
            source_account: 111111111111,
            source_region: "us-east-1",
            destination_bucket: "app-a-copy",
            rtc: true,
            priority: 3,
        });
        expect(m.records[1].values.priority).to.equal(2);
        expect(m.records[1].locs?.priority).to.deep.equal({ file: "fleet.xlsx", row: 4, column: "priority" });
    });

    it("reads a named sheet, and reports a missing one with the sheets there are", async () => {
        const buffer = await xlsxBuffer(wb => {
            wb.addWorksheet("Cover").getRow(1).values = ["hello"];
            const ws = wb.addWorksheet("Prod");
            ws.addRow(["source_bucket", "source_account", "source_region"]);
            ws.addRow(["app-a", "111111111111", "us-east-1"]);
        });
        const named = await parseManifest(buffer, "xlsx", "f.xlsx", { sheet: "prod" });
        expect(named.diagnostics).to.deep.equal([]);
        expect(named.sheet).to.equal("Prod");
        expect(named.records).to.have.length(1);
        const missing = await parseManifest(buffer, "xlsx", "f.xlsx", { sheet: "Dev" });
        expect(codes(missing.diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE"]);
        expect(missing.diagnostics[0].message).to.contain('"Cover", "Prod"');
    });

    it("reports error cells as INVALID_VALUE at their row and column", async () => {
        const buffer = await xlsxBuffer(wb => {
            const ws = wb.addWorksheet("Routes");
            ws.addRow(["source_bucket", "source_account", "source_region"]);
            ws.addRow(["app-a", { formula: "VLOOKUP(X1,Y:Z,2)", result: { error: "#N/A" } }, "us-east-1"]);
        });
        const m = await parseManifest(buffer, "xlsx", "f.xlsx");
        expect(where(m.diagnostics)).to.deep.equal(["INVALID_VALUE@2:source_account"]);
        expect(m.diagnostics[0].message).to.contain("B2");
    });

    it("reports bytes that are not a workbook as MANIFEST_UNREADABLE, and a header-only sheet as MANIFEST_EMPTY", async () => {
        expect(codes((await parseManifest(Buffer.from("source_bucket\napp-a\n"), "xlsx", "f.xlsx")).diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE"]);
        const headerOnly = await xlsxBuffer(wb => wb.addWorksheet("R").addRow(["source_bucket", "source_account", "source_region"]));
        expect(where((await parseManifest(headerOnly, "xlsx", "f.xlsx")).diagnostics)).to.deep.equal(["MANIFEST_EMPTY@1:"]);
    });
});

describe("manifest loader: YAML and JSON", () => {
    it("reads a top-level YAML list; each value's row is the line of its key", () => {
        const yaml = [
            "# prod routes",
            "- source_bucket: app-a",
            "  source_account: 111111111111",
            "  source_region: us-east-1",
            "",
            "- source_bucket: app-b",
            "  source_account: 111111111111",
            "  source_region: us-east-1",
            "  tags: {team: data}",
        ].join("\n");
        const m = parseManifestText(yaml, "yaml", "r.yaml");
        expect(m.diagnostics).to.deep.equal([]);
        expect(rowsOf(m)).to.deep.equal([2, 6]);
        expect(m.records[1].locs?.source_region).to.deep.equal({ file: "r.yaml", row: 8, column: "source_region" });
        expect(m.records[1].values.tags).to.deep.equal({ team: "data" });
        expect(m.records[0].values.source_account, "a YAML number arrives as the text it was written as").to.equal("111111111111");
    });

    it("reads a mapping with routes, and reports other top-level keys", () => {
        const m = parseManifestText("routes:\n  - source_bucket: app-a\n    source_region: us-east-1\nowner: platform\n", "yaml", "r.yaml");
        expect(m.records).to.have.length(1);
        expect(where(m.diagnostics)).to.deep.equal(["INVALID_VALUE@4:"]);
    });

    it("reports unknown keys once, duplicate keys and two spellings of one column as DUPLICATE_COLUMN", () => {
        const yaml = "- source_bucket: app-a\n  owner: me\n  source_bucket: app-b\n  Source Bucket Name: app-c\n- source_bucket: app-d\n  owner: you\n";
        const m = parseManifestText(yaml, "yaml", "r.yaml");
        expect(where(m.diagnostics)).to.have.members(["UNKNOWN_COLUMN@2:owner", "DUPLICATE_COLUMN@3:source_bucket", "DUPLICATE_COLUMN@4:source_bucket"]);
        expect(m.diagnostics).to.have.length(3);
        expect(m.records[0].values.source_bucket).to.equal("app-a");
    });

    it("reports YAML syntax errors with their line, and non-list content", () => {
        const bad = parseManifestText("- source_bucket: app-a\n  tags: [a, b\n- x: 1\n", "yaml", "r.yaml");
        expect(codes(bad.diagnostics)).to.include("MANIFEST_UNREADABLE");
        expect(bad.diagnostics[0].row).to.be.within(2, 3);
        expect(codes(parseManifestText("just a string\n", "yaml", "r.yaml").diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE"]);
        expect(codes(parseManifestText("[]\n", "yaml", "r.yaml").diagnostics)).to.deep.equal(["MANIFEST_EMPTY"]);
        expect(codes(parseManifestText("# nothing\n", "yaml", "r.yaml").diagnostics)).to.deep.equal(["MANIFEST_EMPTY"]);
        expect(codes(parseManifestText("routes:\n", "yaml", "r.yaml").diagnostics)).to.deep.equal(["MANIFEST_EMPTY"]);
    });

    it("reports a list item that is not a mapping as INVALID_VALUE at its line", () => {
        const m = parseManifestText("- source_bucket: app-a\n- just-a-name\n", "yaml", "r.yaml");
        expect(where(m.diagnostics)).to.deep.equal(["INVALID_VALUE@2:"]);
        expect(m.records).to.have.length(1);
    });

    it("reads JSON with line numbers, and reports JSON syntax errors at their line", () => {
        const json =
            '{\n  "routes": [\n    {\n      "source_bucket": "app-a",\n      "source_account": "111111111111",\n      "source_region": "us-east-1"\n    }\n  ]\n}\n';
        const m = parseManifestText(json, "json", "r.json");
        expect(m.diagnostics).to.deep.equal([]);
        expect(rowsOf(m)).to.deep.equal([4]);
        expect(m.records[0].locs?.source_region?.row).to.equal(6);
        const bad = parseManifestText('[\n  {"source_bucket": "app-a",}\n]\n', "json", "r.json");
        expect(where(bad.diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE@2:"]);
        // YAML-only syntax is not JSON.
        expect(codes(parseManifestText("- source_bucket: app-a\n", "json", "r.json").diagnostics)).to.deep.equal(["MANIFEST_UNREADABLE"]);
    });
});
