/**
 * Hangs and blow-ups (issue 15): non-regular files are refused before reading, file size,
 * decompressed workbook size and rows are capped (and configurable), printed diagnostics are
 * capped; and the workbook rules that decide which rows are read (first visible sheet, hidden
 * rows and columns).
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as ExcelJS from "exceljs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEFAULT_LIMITS, LoadedManifest, loadManifest, parseManifest, resolveLimits, validateManifest, validateManifestContent } from "../components/manifest";
import { parseStackSettings } from "../components/model";
import { runValidate } from "../cli/validate-command";

const codes = (m: LoadedManifest) => m.diagnostics.map(d => d.code);
const SETTINGS = parseStackSettings({ accounts: { a: { id: "111111111111" } } }).settings!;
const H = "source_bucket,source_account,source_region,destination_bucket\n";
const rows = (n: number) => H + Array.from({ length: n }, (_, i) => `app-${i},a,us-east-1,app-${i}-copy\n`).join("");

async function workbook(build: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    build(wb);
    return Buffer.from(await wb.xlsx.writeBuffer());
}

const ROUTES = [
    ["source_bucket", "source_account", "source_region", "destination_bucket"],
    ["app-a", "a", "us-east-1", "app-a-copy"],
    ["app-b", "a", "us-east-1", "app-b-copy"],
];

describe("input limits: files that are not files", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "input-limits-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("refuses a FIFO without blocking on it", async function () {
        const fifo = path.join(dir, "routes.csv");
        try {
            execFileSync("mkfifo", [fifo]);
        } catch {
            this.skip();
        }
        // No writer ever opens the FIFO: reading it would block forever.
        const m = await loadManifest(fifo);
        expect(codes(m)).to.deep.equal(["MANIFEST_UNREADABLE"]);
        expect(m.diagnostics[0].message).to.contain("pipe (FIFO)");
    });

    it("refuses a device such as /dev/zero before reading a byte, and a directory", async function () {
        if (!fs.existsSync("/dev/zero")) this.skip();
        const zero = await loadManifest("/dev/zero", { format: "csv" });
        expect(codes(zero)).to.deep.equal(["MANIFEST_UNREADABLE"]);
        expect(zero.diagnostics[0].message).to.contain("device");
        fs.mkdirSync(path.join(dir, "folder.yaml"));
        expect((await loadManifest(path.join(dir, "folder.yaml"))).diagnostics[0].message).to.contain("directory");
    });
});

describe("input limits: size and rows", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "input-limits-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("refuses a file over the size limit before parsing it", async () => {
        const file = path.join(dir, "big.csv");
        fs.writeFileSync(file, rows(40));
        const m = await loadManifest(file, { limits: { maxFileBytes: 1000 } });
        expect(codes(m)).to.deep.equal(["MANIFEST_TOO_LARGE"]);
        expect(m.diagnostics[0].message).to.contain("S3_REPLICATION_MAX_MANIFEST_BYTES");
        expect((await loadManifest(file, { limits: { maxFileBytes: 100_000 } })).records).to.have.length(40);
        const v = await validateManifest(file, { settings: SETTINGS, limits: { maxFileBytes: 1000 } });
        expect(v.fatal, "a refused file stops validation (exit 2)").to.equal("unreadable");
    });

    it("refuses more routes than the limit in every format, counting routes, not blank rows", async () => {
        const maxRows = 3;
        const list = Array.from({ length: 4 }, (_, i) => ({ source_bucket: `app-${i}` }));
        for (const [format, text] of [
            ["csv", rows(4)],
            ["tsv", rows(4).replace(/,/g, "\t")],
            ["json", JSON.stringify(list)],
            ["yaml", list.map(r => `- source_bucket: ${r.source_bucket}`).join("\n")],
        ] as const) {
            const m = await parseManifest(text, format, `m.${format}`, { limits: { maxRows } });
            expect(codes(m), format).to.deep.equal(["MANIFEST_TOO_LARGE"]);
            expect(m.records, format).to.deep.equal([]);
        }
        const blanks = await parseManifest(rows(3) + "\n,,,\n\n", "csv", "m.csv", { limits: { maxRows } });
        expect(blanks.diagnostics).to.deep.equal([]);
        expect(blanks.records).to.have.length(3);
        const sheet = await workbook(wb => {
            const ws = wb.addWorksheet("Routes");
            for (const r of [...ROUTES, ...ROUTES.slice(1), ...ROUTES.slice(1)]) ws.addRow(r);
        });
        const m = await parseManifest(sheet, "xlsx", "f.xlsx", { limits: { maxRows } });
        expect(codes(m)).to.deep.equal(["MANIFEST_TOO_LARGE"]);
        expect(m.diagnostics[0].message).to.contain('"Routes" has 7 rows');
    });

    it("refuses a workbook that inflates past the limit, even when its ZIP directory understates the size", async () => {
        // One long cell: a few KB compressed, 3 MB decompressed.
        const buffer = await workbook(wb => {
            const ws = wb.addWorksheet("Routes");
            ws.addRow(ROUTES[0]);
            ws.addRow(["x".repeat(3 * 1024 * 1024), "a", "us-east-1", "b"]);
        });
        expect(buffer.length).to.be.below(100_000);
        const limits = { maxXlsxBytes: 1024 * 1024 };
        const m = await parseManifest(buffer, "xlsx", "f.xlsx", { limits });
        expect(codes(m)).to.deep.equal(["MANIFEST_TOO_LARGE"]);
        expect(m.diagnostics[0].message).to.contain("S3_REPLICATION_MAX_XLSX_BYTES");
        // A hostile archive declares every part as 1 byte: the limit holds while inflating.
        const lying = Buffer.from(buffer);
        for (let p = lying.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); p >= 0; p = lying.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), p + 4))
            lying.writeUInt32LE(1, p + 24);
        expect(codes(await parseManifest(lying, "xlsx", "f.xlsx", { limits }))).to.deep.equal(["MANIFEST_TOO_LARGE"]);
        expect(codes(await parseManifest(buffer, "xlsx", "f.xlsx", { limits: { maxXlsxBytes: 8 * 1024 * 1024 } }))).to.not.include("MANIFEST_TOO_LARGE");
    });

    it("takes limits from the environment, and refuses a malformed value as a usage error", async () => {
        expect(resolveLimits({}, {}).limits).to.deep.equal(DEFAULT_LIMITS);
        expect(resolveLimits({}, { S3_REPLICATION_MAX_ROWS: "7", S3_REPLICATION_MAX_XLSX_BYTES: "2048" }).limits).to.deep.include({
            maxRows: 7,
            maxXlsxBytes: 2048,
        });
        expect(resolveLimits({ maxRows: 9 }, { S3_REPLICATION_MAX_ROWS: "7" }).limits.maxRows, "an explicit limit wins").to.equal(9);
        for (const bad of ["lots", "0", "-5", "1e6", "12.5"]) {
            expect(
                resolveLimits({}, { S3_REPLICATION_MAX_MANIFEST_BYTES: bad }).diagnostics.map(d => `${d.code}@${d.path}`),
                bad,
            ).to.deep.equal(["INVALID_CONFIG@S3_REPLICATION_MAX_MANIFEST_BYTES"]);
        }
        const saved = process.env.S3_REPLICATION_MAX_ROWS;
        try {
            process.env.S3_REPLICATION_MAX_ROWS = "2";
            expect((await validateManifestContent(rows(3), "csv", "m.csv", { settings: SETTINGS })).diagnostics.map(d => d.code)).to.deep.equal([
                "MANIFEST_TOO_LARGE",
            ]);
            process.env.S3_REPLICATION_MAX_ROWS = "many";
            expect((await validateManifestContent(rows(3), "csv", "m.csv", { settings: SETTINGS })).fatal).to.equal("usage");
        } finally {
            if (saved === undefined) delete process.env.S3_REPLICATION_MAX_ROWS;
            else process.env.S3_REPLICATION_MAX_ROWS = saved;
        }
    });

    it("prints at most --max-diagnostics problems with a count of the rest; --json lists them all", async () => {
        const file = path.join(dir, "bad.csv");
        fs.writeFileSync(file, H + Array.from({ length: 30 }, (_, i) => `Bad_${i},111111111111,us-east-1,app-${i}-copy\n`).join(""));
        const out: string[] = [];
        const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s) };
        expect(await runValidate(file, { maxDiagnostics: 5 }, io)).to.equal(1);
        expect(out).to.have.length(7);
        expect(out.slice(0, 5).every(l => l.includes("INVALID_BUCKET_NAME"))).to.equal(true);
        expect(out[5]).to.equal("... and 25 more (25 errors, 0 warnings) not shown; --max-diagnostics 0 prints them all, --json lists them all.");
        expect(out[6]).to.match(/^30 errors, 0 warnings in /);
        out.length = 0;
        await runValidate(file, { maxDiagnostics: 0 }, io);
        expect(out).to.have.length(31);
        out.length = 0;
        await runValidate(file, { json: true, maxDiagnostics: 5 }, io);
        expect(JSON.parse(out.join("\n")).errors).to.have.length(30);
    });
});

describe("input: which sheet and rows of a workbook are read", () => {
    it("reads the first visible sheet, warning about the hidden one skipped", async () => {
        const buffer = await workbook(wb => {
            wb.addWorksheet("Old routes", { state: "hidden" }).addRow(["source_bucket"]);
            const ws = wb.addWorksheet("Routes");
            for (const r of ROUTES) ws.addRow(r);
        });
        const m = await parseManifest(buffer, "xlsx", "f.xlsx");
        expect(m.sheet).to.equal("Routes");
        expect(m.records).to.have.length(2);
        expect(m.diagnostics.map(d => `${d.code} ${d.severity}`)).to.deep.equal(["HIDDEN_SHEET warning"]);
        expect(m.diagnostics[0].message).to.contain('"Old routes"');
        const named = await parseManifest(buffer, "xlsx", "f.xlsx", { sheet: "Old routes" });
        expect(named.sheet).to.equal("Old routes");
        expect(named.diagnostics.map(d => d.code)).to.include("HIDDEN_SHEET");
    });

    it("refuses a workbook whose sheets are all hidden, rather than guessing", async () => {
        const buffer = await workbook(wb => {
            const ws = wb.addWorksheet("Routes", { state: "veryHidden" });
            for (const r of ROUTES) ws.addRow(r);
        });
        expect(codes(await parseManifest(buffer, "xlsx", "f.xlsx"))).to.deep.equal(["MANIFEST_UNREADABLE"]);
    });

    it("warns about hidden rows and columns that hold routes, naming them", async () => {
        const buffer = await workbook(wb => {
            const ws = wb.addWorksheet("Routes");
            for (const r of [...ROUTES, ["app-c", "a", "us-east-1", "app-c-copy"], ["app-d", "a", "us-east-1", "app-d-copy"]]) ws.addRow(r);
            ws.getRow(3).hidden = true;
            ws.getRow(4).hidden = true;
            ws.getRow(5).hidden = true;
            ws.getColumn(4).hidden = true;
        });
        const m = await parseManifest(buffer, "xlsx", "f.xlsx");
        expect(m.records, "hidden rows are still routes").to.have.length(4);
        expect(m.diagnostics.map(d => `${d.code}@${d.row}:${d.column ?? ""} ${d.severity}`)).to.deep.equal([
            "HIDDEN_ROWS@3: warning",
            "HIDDEN_ROWS@1:destination_bucket warning",
        ]);
        expect(m.diagnostics[0].message).to.contain("rows 3-5");
        expect(m.diagnostics[1].message).to.contain("column D");
    });

    it("refuses a control character Excel stores escaped (_x001B_)", async () => {
        const buffer = await workbook(wb => {
            const ws = wb.addWorksheet("Routes");
            ws.addRow([...ROUTES[0], "prefix"]);
            ws.addRow([...ROUTES[1], "logs/_x001B_[2J"]);
        });
        const r = await validateManifestContent(buffer, "xlsx", "f.xlsx", { settings: SETTINGS });
        expect(r.diagnostics.map(d => `${d.code}@${d.row}:${d.column}`)).to.deep.equal(["CONTROL_CHARACTER@2:prefix"]);
    });
});
