/**
 * Properties of the loader and validator over generated input: arbitrary bytes and rows never
 * crash them (a model or diagnostics, nothing else); priorities stay unique per source; and
 * reordering rows changes neither priorities nor logical names.
 */
import { expect } from "chai";
import * as fc from "fast-check";
import { stringify as toYaml } from "yaml";
import { ManifestFormat, ManifestValidation, parseManifest, validateManifestContent } from "../components/manifest";
import { COLUMNS, DIAGNOSTIC_CODES, Diagnostic, StackSettings, parseStackSettings } from "../components/model";

const SETTINGS: StackSettings = parseStackSettings({
    accounts: { prod: { id: "111111111111" }, dr: { id: "222222222222" } },
    destinationTemplate: "{source}-replica",
}).settings!;

function wellFormed(diagnostics: readonly Diagnostic[], maxRow?: number): void {
    for (const d of diagnostics) {
        expect(Object.keys(DIAGNOSTIC_CODES)).to.include(d.code);
        expect(["error", "warning"]).to.include(d.severity);
        expect(d.message).to.be.a("string").and.not.equal("");
        if (d.row !== undefined) {
            expect(Number.isInteger(d.row) && d.row >= 1, `row ${d.row}`).to.equal(true);
            if (maxRow !== undefined) expect(d.row).to.be.at.most(maxRow);
        }
    }
}

/** CSV as a spreadsheet writes it: every cell quoted, quotes doubled. */
function toCsv(rows: readonly (readonly string[])[]): string {
    return rows.map(r => r.map(c => `"${c.replace(/"/g, '""')}"`).join(",")).join("\r\n") + "\r\n";
}

const anyCell = fc.oneof(
    fc.constantFrom(
        "",
        " ",
        "prod",
        "dr",
        "111111111111",
        "12345",
        "us-east-1",
        "us-west-2",
        "mars-1",
        "app-logs",
        "app-logs-replica",
        "Bad_Name",
        "true",
        "false",
        "maybe",
        "STANDARD_IA",
        "GLACIER",
        "team=x",
        "team",
        "=x",
        "5",
        "-1",
        "destination",
        "eligible",
        "arn:aws:kms:us-west-2:222222222222:key/abc",
        "arn:aws:kms:us-east-1:111111111111:key/abc",
        "x".repeat(1030),
    ),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "grapheme", maxLength: 12 }),
    fc.integer().map(String),
);
const anyHeader = fc.oneof(
    fc.constantFrom(...COLUMNS),
    fc.constantFrom("Source Bucket Name", "Region", "Target Storage Class", "owner", "", "source bucket"),
    fc.string({ maxLength: 10 }),
);

describe("manifest properties: nothing crashes", function () {
    this.timeout(20000);

    it("arbitrary bytes, in every format, give a model or diagnostics", async () => {
        const formats: ManifestFormat[] = ["csv", "tsv", "yaml", "json"];
        await fc.assert(
            fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(...formats), async (bytes, format) => {
                const loaded = await parseManifest(Buffer.from(bytes), format, "fuzz");
                expect(loaded.records).to.be.an("array");
                wellFormed(loaded.diagnostics);
                const validated = await validateManifestContent(Buffer.from(bytes), format, "fuzz", { settings: SETTINGS });
                wellFormed(validated.diagnostics);
                expect(validated.ok).to.equal(validated.errors.length === 0);
            }),
            { numRuns: 300 },
        );
    });

    it("arbitrary text, in every text format, gives a model or diagnostics", async () => {
        await fc.assert(
            fc.asyncProperty(fc.string({ unit: "binary", maxLength: 400 }), fc.constantFrom<ManifestFormat>("csv", "yaml", "json"), async (text, format) => {
                const validated = await validateManifestContent(text, format, "fuzz", { settings: SETTINGS });
                wellFormed(validated.diagnostics);
            }),
            { numRuns: 300 },
        );
    });

    it("arbitrary bytes after a ZIP signature are refused as a workbook, not thrown", async () => {
        const zipLike = fc.uint8Array({ maxLength: 300 }).map(b => Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from(b)]));
        await fc.assert(
            fc.asyncProperty(
                fc.oneof(
                    zipLike,
                    fc.uint8Array({ maxLength: 300 }).map(b => Buffer.from(b)),
                ),
                async bytes => {
                    const loaded = await parseManifest(bytes, "xlsx", "fuzz.xlsx");
                    wellFormed(loaded.diagnostics);
                    expect(loaded.diagnostics.map(d => d.code)).to.include("MANIFEST_UNREADABLE");
                },
            ),
            { numRuns: 60 },
        );
    });

    it("arbitrary rows as CSV: diagnostics point inside the file", async () => {
        const table = fc.tuple(fc.array(anyHeader, { minLength: 1, maxLength: 8 }), fc.array(fc.array(anyCell, { maxLength: 9 }), { maxLength: 12 }));
        await fc.assert(
            fc.asyncProperty(table, async ([header, rows]) => {
                const csv = toCsv([header, ...rows]);
                const validated = await validateManifestContent(csv, "csv", "fuzz.csv", { settings: SETTINGS });
                wellFormed(validated.diagnostics, rows.length + 1);
                expect(validated.fatal).to.equal(undefined);
            }),
            { numRuns: 250 },
        );
    });

    it("arbitrary rows as YAML and JSON objects give a model or diagnostics", async () => {
        const row = fc.dictionary(
            anyHeader,
            fc.oneof(
                anyCell,
                fc.integer(),
                fc.boolean(),
                fc.constant(null),
                fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
                fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
            ),
            { maxKeys: 8 },
        );
        await fc.assert(
            fc.asyncProperty(fc.array(fc.oneof(row, fc.constant(null), fc.string({ maxLength: 6 })), { maxLength: 10 }), fc.boolean(), async (rows, wrap) => {
                const doc = wrap ? { routes: rows } : rows;
                for (const [format, text] of [
                    ["yaml", toYaml(doc)],
                    ["json", JSON.stringify(doc, null, 1)],
                ] as const) {
                    const validated = await validateManifestContent(text, format, `fuzz.${format}`, { settings: SETTINGS });
                    wellFormed(validated.diagnostics, text.split("\n").length);
                }
            }),
            { numRuns: 150 },
        );
    });
});

describe("manifest properties: priorities and logical names", function () {
    this.timeout(20000);

    interface Route {
        source: string;
        destination: string;
        prefix: string;
        tags: string;
        priority?: number;
        ruleId?: string;
    }
    const HEADER = ["source_bucket", "source_account", "source_region", "destination_bucket", "prefix", "tags", "priority", "rule_id"];
    const identity = (r: Route) => `${r.source}|${r.destination}|${r.prefix}|${r.tags}`;
    const route = (explicitPriorities: boolean) =>
        fc
            .record(
                {
                    source: fc.constantFrom("src-a", "src-b", "src-c"),
                    destination: fc.constantFrom("dst-a", "dst-b", "dst-c", "src-b"),
                    prefix: fc.constantFrom("", "logs/", "img/", "a/b/"),
                    tags: fc.constantFrom("", "team=x", "team=y;class=z"),
                    priority: explicitPriorities ? fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined, freq: 2 }) : fc.constant(undefined),
                    ruleId: explicitPriorities ? fc.option(fc.constantFrom("keep", "copy"), { nil: undefined, freq: 3 }) : fc.constant(undefined),
                },
                { requiredKeys: ["source", "destination", "prefix", "tags"] },
            )
            .filter(r => r.source !== r.destination);
    const routes = (explicit: boolean) => fc.uniqueArray(route(explicit), { selector: identity, minLength: 1, maxLength: 25 });
    const csvOf = (rs: readonly Route[]) =>
        toCsv([
            HEADER,
            ...rs.map(r => [
                r.source,
                "prod",
                "us-east-1",
                r.destination,
                r.prefix,
                r.tags,
                r.priority === undefined ? "" : String(r.priority),
                r.ruleId ?? "",
            ]),
        ]);
    const validate = (rs: readonly Route[]) => validateManifestContent(csvOf(rs), "csv", "fleet.csv", { settings: SETTINGS });

    function prioritiesBySource(result: ManifestValidation): Map<string, number[]> {
        const out = new Map<string, number[]>();
        for (const r of result.spec!.routes) out.set(r.source, [...(out.get(r.source) ?? []), r.priority]);
        return out;
    }

    it("assigned priorities are unique per source", async () => {
        await fc.assert(
            fc.asyncProperty(routes(false), async rs => {
                const result = await validate(rs);
                for (const [source, ps] of prioritiesBySource(result)) expect(new Set(ps).size, source).to.equal(ps.length);
                expect(result.errors).to.deep.equal([]);
            }),
            { numRuns: 150 },
        );
    });

    it("with explicit priorities, either they are unique per source or PRIORITY_CONFLICT says which clash", async () => {
        await fc.assert(
            fc.asyncProperty(routes(true), async rs => {
                const result = await validate(rs);
                const conflicts = result.errors.filter(d => d.code === "PRIORITY_CONFLICT");
                const clashing = [...prioritiesBySource(result).values()].some(ps => new Set(ps).size !== ps.length);
                expect(clashing).to.equal(conflicts.length > 0);
                for (const d of conflicts) expect(d.column).to.equal("priority");
            }),
            { numRuns: 150 },
        );
    });

    it("reordering rows changes no priority, rule id, route key or role name", async () => {
        // Self-routes (SAME_BUCKET) included: an error on one row must not shift the others.
        const withSelf = fc.uniqueArray(fc.oneof(route(true), fc.constant<Route>({ source: "src-b", destination: "src-b", prefix: "", tags: "" })), {
            selector: identity,
            minLength: 1,
            maxLength: 25,
        });
        const shuffled = withSelf.chain(rs => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length })));
        await fc.assert(
            fc.asyncProperty(shuffled, async ([original, reordered]) => {
                const a = await validate(original);
                const b = await validate(reordered);
                const names = (r: ManifestValidation) => r.spec!.routes.map(x => `${x.key} #${x.priority} ${x.ruleId}`);
                expect(names(b)).to.deep.equal(names(a));
                expect(b.plan!.roles.map(r => r.name)).to.deep.equal(a.plan!.roles.map(r => r.name));
                expect(b.plan!.sources.map(s => s.config)).to.deep.equal(a.plan!.sources.map(s => s.config));
                expect(b.diagnostics.map(d => d.code).sort()).to.deep.equal(a.diagnostics.map(d => d.code).sort());
            }),
            { numRuns: 150 },
        );
    });
});
