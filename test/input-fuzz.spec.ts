/**
 * One property per loader (issue 15): generated cell values written into CSV, TSV, XLSX, YAML and
 * JSON arrive verbatim in the validated routes, or the route is refused with a diagnostic code
 * on its row. Nothing in between: no trimmed, coerced or re-encoded value reaches a route.
 */
import { expect } from "chai";
import * as ExcelJS from "exceljs";
import * as fc from "fast-check";
import { ManifestFormat, ManifestValidation, validateManifestContent } from "../components/manifest";
import { DIAGNOSTIC_CODES, parseStackSettings } from "../components/model";

const SETTINGS = parseStackSettings({ accounts: { a: { id: "111111111111" } } }).settings!;
/** The generated values of one route, as written into its cells. */
interface Generated {
    prefix: string;
    rule_id: string;
    tags: string;
}

/** Blank as the README defines it: nothing, or only spaces, tabs and line breaks. */
const isBlank = (v: string) => /^[ \t\r\n]*$/.test(v);

/** Values that look like other things to a parser, and arbitrary text. */
const tricky = fc.constantFrom(
    "0123",
    "1.10",
    "1e3",
    ".inf",
    "0x1F",
    "true",
    "False",
    "yes",
    "null",
    "~",
    "2024-01-02",
    "=SUM(A1)",
    "-",
    "#",
    "a: b",
    " logs/",
    "logs/ ",
    "\u00a0logs/",
    "logs/\u00a0x",
    "a;b",
    "k=v",
    "k=v,x=y",
    "\u001b[2J",
    "\u202eevil",
    "tab\there",
    "line\nbreak",
    "caf\u00e9/",
    "\u4e2d\u6587/",
    "\ud83d\ude00/",
    "a\u2028b",
    "\u0085",
    "",
    "   ",
    '"quoted"',
    "it's",
    "back\\slash",
    "constructor",
    "__proto__",
);
const value = fc.oneof(tricky, fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 8 }), fc.string({ unit: "binary", maxLength: 8 }));
/** A tag value: anything but the separator, so `k=<value>` is one entry (separators are tested on their own). */
const tagValue = value.filter(v => !v.includes(";"));
const routes = fc.array(fc.record({ prefix: value, rule_id: value, tags: tagValue }), { minLength: 1, maxLength: 4 });

/** What a route must hold when it is built from generated values. */
function expectedOf(g: Generated): { prefix: string; ruleId?: string; tags: Record<string, string> } {
    return {
        prefix: isBlank(g.prefix) ? "" : g.prefix,
        ...(isBlank(g.rule_id) ? {} : { ruleId: g.rule_id }),
        tags: isBlank(g.tags) ? {} : { k: g.tags },
    };
}

/**
 * The property: route i (source `src-i`, on rows `rowsOf(i)`) is either built with exactly the
 * generated values, or not built and refused by an error on one of its rows (or the whole file).
 */
function verbatimOrRefused(
    result: ManifestValidation,
    generated: readonly Generated[],
    rowsOf: (i: number) => [number, number],
    adjust: (g: Generated, e: ReturnType<typeof expectedOf>) => ReturnType<typeof expectedOf> | "refused" = (_, e) => e,
): void {
    for (const d of result.diagnostics) expect(Object.keys(DIAGNOSTIC_CODES)).to.include(d.code);
    const fileRefused = result.diagnostics.some(d => d.severity === "error" && d.row === undefined);
    generated.forEach((g, i) => {
        const route = result.spec?.routes.find(r => r.source === `src-${i}`);
        const [first, last] = rowsOf(i);
        const errors = result.diagnostics.filter(d => d.severity === "error" && d.row !== undefined && d.row >= first && d.row <= last);
        const expected = adjust(g, expectedOf(g));
        if (route) {
            expect(expected, `route ${i} was built from ${JSON.stringify(g)}`).to.not.equal("refused");
            if (expected === "refused") return;
            expect(route.prefix, `prefix of ${JSON.stringify(g)}`).to.equal(expected.prefix);
            if (expected.ruleId !== undefined) expect(route.ruleId, `rule_id of ${JSON.stringify(g)}`).to.equal(expected.ruleId);
            expect({ ...route.tags }, `tags of ${JSON.stringify(g)}`).to.deep.equal(expected.tags);
        } else {
            expect(
                fileRefused || errors.length > 0,
                `route ${i} (${JSON.stringify(g)}) vanished without an error on rows ${first}-${last}: ${JSON.stringify(result.diagnostics)}`,
            ).to.equal(true);
        }
    });
}

const HEADER = ["source_bucket", "source_account", "source_region", "destination_bucket", "prefix", "rule_id", "tags"];
const cellsOf = (g: Generated, i: number) => [`src-${i}`, "a", "us-east-1", `dst-${i}`, g.prefix, g.rule_id, isBlank(g.tags) ? g.tags : `k=${g.tags}`];
const tagCell = (v: string) => (isBlank(v) ? v : `k=${v}`);

function delimited(gs: readonly Generated[], delimiter: string): string {
    const quote = (c: string) => `"${c.replace(/"/g, '""')}"`;
    return [HEADER, ...gs.map(cellsOf)].map(r => r.map(quote).join(delimiter)).join("\r\n") + "\r\n";
}

const validate = (content: string | Buffer, format: ManifestFormat) => validateManifestContent(content, format, `fuzz.${format}`, { settings: SETTINGS });

describe("input fuzz: values arrive verbatim or are refused with a code", function () {
    this.timeout(30000);

    for (const [format, delimiter] of [
        ["csv", ","],
        ["tsv", "\t"],
    ] as const) {
        it(`${format.toUpperCase()}`, async () => {
            await fc.assert(
                fc.asyncProperty(routes, async gs => {
                    verbatimOrRefused(await validate(delimited(gs, delimiter), format), gs, i => [i + 2, i + 2]);
                }),
                { numRuns: 80 },
            );
        });
    }

    it("XLSX (text cells, and whole numbers and dates where a parser could change them)", async () => {
        // What an .xlsx can carry at all: XML 1.0 text (exceljs drops other C0 controls and mangles
        // lone surrogates and `_xHHHH_` when writing, before any loader sees the file).
        const xmlSafe = (v: string) =>
            !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(
                v,
            );
        const typed = fc.oneof(
            { weight: 5, arbitrary: value.filter(xmlSafe) },
            { weight: 1, arbitrary: fc.integer({ min: 0, max: 99_999 }) },
            { weight: 1, arbitrary: fc.date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(Date.UTC(2030, 0, 1)), noInvalidDate: true }) },
        );
        const rows = fc.array(fc.record({ prefix: typed, rule_id: typed, tags: tagValue.filter(xmlSafe) }), { minLength: 1, maxLength: 4 });
        await fc.assert(
            fc.asyncProperty(rows, async cells => {
                const wb = new ExcelJS.Workbook();
                const ws = wb.addWorksheet("Routes");
                ws.addRow(HEADER);
                cells.forEach((c, i) => ws.addRow([`src-${i}`, "a", "us-east-1", `dst-${i}`, c.prefix, c.rule_id, tagCell(c.tags)]));
                const result = await validate(Buffer.from(await wb.xlsx.writeBuffer()), "xlsx");
                // A whole number shows as its digits; a date has no exact text and must be refused.
                const asText = (v: string | number | Date) => (typeof v === "number" ? String(v) : v instanceof Date ? "\u0000date" : v);
                const gs = cells.map(c => ({ prefix: asText(c.prefix), rule_id: asText(c.rule_id), tags: c.tags }));
                verbatimOrRefused(
                    result,
                    gs,
                    i => [i + 2, i + 2],
                    (g, e) => (g.prefix.startsWith("\u0000date") || g.rule_id.startsWith("\u0000date") ? "refused" : e),
                );
            }),
            { numRuns: 40 },
        );
    });

    it("YAML (quoted, or plain where YAML allows it)", async () => {
        const plainSafe = (v: string) => /^[A-Za-z0-9._/~][A-Za-z0-9._/ -]*$/.test(v) && !/ $/.test(v);
        const styled = fc.array(fc.record({ prefix: value, rule_id: value, tags: tagValue, plain: fc.boolean() }), { minLength: 1, maxLength: 4 });
        await fc.assert(
            fc.asyncProperty(styled, async gs => {
                // JSON string syntax is YAML double-quoted syntax; plain scalars only where they parse.
                const scalar = (v: string, plain: boolean) => (plain && plainSafe(v) ? v : JSON.stringify(v));
                const lines: string[] = [];
                const rowOf: number[] = [];
                gs.forEach((g, i) => {
                    rowOf.push(lines.length + 1);
                    lines.push(
                        `- source_bucket: src-${i}`,
                        "  source_account: a",
                        "  source_region: us-east-1",
                        `  destination_bucket: dst-${i}`,
                        `  prefix: ${scalar(g.prefix, g.plain)}`,
                        `  rule_id: ${scalar(g.rule_id, g.plain)}`,
                        `  tags: ${scalar(tagCell(g.tags), false)}`,
                    );
                });
                const result = await validate(lines.join("\n") + "\n", "yaml");
                // A plain null (`~`, `null`) means "not given", as documented; everything else is verbatim or refused.
                const isNull = (v: string, plain: boolean) => plain && plainSafe(v) && /^(~|null|Null|NULL)$/.test(v);
                const byRoute = new Map(gs.map((g, i) => [g, i]));
                verbatimOrRefused(
                    result,
                    gs,
                    i => [rowOf[i], rowOf[i] + 6],
                    (g, e) => {
                        const plain = gs[byRoute.get(g as (typeof gs)[number])!].plain;
                        return { ...e, ...(isNull(g.prefix, plain) ? { prefix: "" } : {}), ...(isNull(g.rule_id, plain) ? { ruleId: undefined } : {}) };
                    },
                );
            }),
            { numRuns: 80 },
        );
    });

    it("JSON (strings, and numbers where the value is one)", async () => {
        await fc.assert(
            fc.asyncProperty(routes, fc.boolean(), async (gs, numbersBare) => {
                // A value that is a JSON number may be written bare: it must then be refused, not coerced.
                const scalar = (v: string) => (numbersBare && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(v) ? v : JSON.stringify(v));
                const items = gs.map(
                    (g, i) =>
                        `{"source_bucket": "src-${i}", "source_account": "a", "source_region": "us-east-1", "destination_bucket": "dst-${i}", "prefix": ${scalar(g.prefix)}, "rule_id": ${scalar(g.rule_id)}, "tags": ${JSON.stringify(tagCell(g.tags))}}`,
                );
                const result = await validate(`[\n${items.join(",\n")}\n]\n`, "json");
                verbatimOrRefused(result, gs, i => [i + 2, i + 2]);
            }),
            { numRuns: 80 },
        );
    });
});
