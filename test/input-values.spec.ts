/**
 * Bad input never silently changes the fleet (issue 15): every value arrives exactly as the cell or
 * scalar shows it, or is refused with a code. Dropped routes, rewritten values, accounts,
 * partitions and prototype names, each checked through the loaders and the validator together.
 */
import { expect } from "chai";
import * as ExcelJS from "exceljs";
import { ManifestFormat, ManifestValidation, validateManifestContent } from "../components/manifest";
import { StackSettings, parseStackSettings } from "../components/model";

function settings(raw: Record<string, unknown> = {}): StackSettings {
    const parsed = parseStackSettings({ accounts: { a: { id: "111111111111" } }, ...raw });
    expect(parsed.diagnostics).to.deep.equal([]);
    return parsed.settings!;
}

const SETTINGS = settings();
const shown = (r: ManifestValidation) => r.diagnostics.map(d => `${d.code}@${d.row ?? ""}:${d.column ?? ""}`);
const validate = (content: string | Buffer, format: ManifestFormat, s: StackSettings = SETTINGS) =>
    validateManifestContent(content, format, `m.${format}`, { settings: s });

const H = "source_bucket,source_account,source_region,destination_bucket";
/** A CSV of one route with extra columns (values quoted as a spreadsheet writes them). */
function csv(extra: Record<string, string>, base = "app-logs,a,us-east-1,app-logs-replica"): string {
    const cells = Object.values(extra).map(v => `"${v.replace(/"/g, '""')}"`);
    return [[H, ...Object.keys(extra)].join(","), [base, ...cells].join(",")].join("\n") + "\n";
}

/** One route in YAML, `lines` appended as written (not quoted by a serializer). */
function yaml(...lines: string[]): string {
    return (
        [
            "- source_bucket: app-logs",
            "  source_account: a",
            "  source_region: us-east-1",
            "  destination_bucket: app-logs-replica",
            ...lines.map(l => `  ${l}`),
        ].join("\n") + "\n"
    );
}

async function workbook(rows: unknown[][], build?: (ws: ExcelJS.Worksheet, wb: ExcelJS.Workbook) => void): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Routes");
    for (const r of rows) ws.addRow(r);
    build?.(ws, wb);
    return Buffer.from(await wb.xlsx.writeBuffer());
}

describe("input: dropped routes", () => {
    it("a second top-level routes: key in YAML or JSON is DUPLICATE_KEY, and the first list is the one read", async () => {
        const y = await validate(`routes:\n${yaml().trimEnd().replace(/^/gm, "  ")}\nroutes:\n  - source_bucket: other\n`, "yaml");
        expect(shown(y)).to.deep.equal(["DUPLICATE_KEY@6:"]);
        expect(y.spec!.routes.map(r => r.source)).to.deep.equal(["app-logs"]);
        const route = { source_bucket: "app-logs", source_account: "a", source_region: "us-east-1", destination_bucket: "app-logs-replica" };
        const j = await validate(`{"routes": [${JSON.stringify(route)}],\n "routes": []}`, "json");
        expect(shown(j)).to.deep.equal(["DUPLICATE_KEY@2:"]);
        expect(j.ok).to.equal(false);
    });

    it("a key given twice anywhere else (a tags mapping) is DUPLICATE_KEY; in a route it stays DUPLICATE_COLUMN", async () => {
        expect(shown(await validate(yaml("tags:", "    team: data", "    team: logs"), "yaml"))).to.deep.equal(["DUPLICATE_KEY@7:"]);
        expect(shown(await validate(yaml("prefix: a/", "prefix: b/"), "yaml"))).to.deep.equal(["DUPLICATE_COLUMN@6:prefix"]);
    });
});

describe("input: values are kept verbatim or refused", () => {
    it("keeps non-breaking spaces and inner spaces in prefixes, rule ids and tags exactly", async () => {
        const r = await validate(csv({ prefix: "logs\u00a0/2024 q1/", rule_id: "keep this rule", tags: "team=data\u00a0x;class=a b" }), "csv");
        expect(r.diagnostics).to.deep.equal([]);
        expect(r.spec!.routes[0]).to.include({ prefix: "logs\u00a0/2024 q1/", ruleId: "keep this rule" });
        expect(r.spec!.routes[0].tags).to.deep.equal({ team: "data\u00a0x", class: "a b" });
    });

    it("refuses whitespace at either end of a prefix, rule id or tag instead of trimming it", async () => {
        for (const [column, value] of [
            ["prefix", " logs/"],
            ["prefix", "logs/\u00a0"],
            ["rule_id", "rule "],
            ["tags", "team=data; class=logs"],
            ["tags", "team=data "],
        ]) {
            const r = await validate(csv({ [column]: value }), "csv");
            expect(shown(r), `${column}=${JSON.stringify(value)}`).to.deep.equal([`SURROUNDING_WHITESPACE@2:${column}`]);
            expect(r.spec!.routes, "no route is built from a refused value").to.deep.equal([]);
        }
    });

    it("accepts one tag separator (;) and refuses ambiguous ones like team=data,class=logs", async () => {
        const ok = await validate(csv({ tags: "team=data;class=logs;" }), "csv");
        expect(ok.spec!.routes[0].tags).to.deep.equal({ team: "data", class: "logs" });
        for (const tags of ["team=data,class=logs", "team=data class=logs", "team=data&class=logs"]) {
            const r = await validate(csv({ tags }), "csv");
            expect(shown(r), tags).to.deep.equal(["INVALID_TAG_FILTER@2:tags"]);
        }
        expect((await validate(csv({ tags: "team=data,class=logs" }), "csv")).diagnostics[0].message).to.contain('separate tags with ";"');
    });

    it("refuses unquoted YAML/JSON numbers and booleans in text columns, saying how they were written", async () => {
        for (const [line, written] of [
            ["prefix: 0123", "0123"],
            ["rule_id: 1.10", "1.10"],
            ["prefix: .inf", ".inf"],
            ["prefix: 0x1F", "0x1F"],
            ["prefix: true", "true"],
            ["source_bucket: 2024", "2024"],
        ]) {
            const r = await validate(line.startsWith("source_bucket") ? yaml().replace("source_bucket: app-logs", line) : yaml(line), "yaml");
            expect(
                r.diagnostics.map(d => d.code),
                line,
            ).to.deep.equal(["VALUE_NOT_TEXT"]);
            expect(r.diagnostics[0].message, line).to.contain(written).and.contain("quote it");
        }
        const quoted = await validate(yaml('prefix: "0123"', "rule_id: '1.10'", 'tags: {version: "1.10"}'), "yaml");
        expect(quoted.diagnostics).to.deep.equal([]);
        expect(quoted.spec!.routes[0]).to.include({ prefix: "0123", ruleId: "1.10" });
        expect(quoted.spec!.routes[0].tags).to.deep.equal({ version: "1.10" });
        expect((await validate(yaml("tags: {version: 1.10}"), "yaml")).diagnostics.map(d => d.code)).to.deep.equal(["VALUE_NOT_TEXT"]);
        const json = await validate(
            JSON.stringify([
                { source_bucket: "app-logs", source_account: "a", source_region: "us-east-1", destination_bucket: "app-logs-replica", rule_id: 1.1 },
            ]).replace("1.1", "1.10"),
            "json",
        );
        expect(json.diagnostics.map(d => `${d.code} ${d.column}`)).to.deep.equal(["VALUE_NOT_TEXT rule_id"]);
    });

    it("refuses tags other than YAML's core ones (!Sub), and reads !!str as text", async () => {
        const sub = await validate(yaml("prefix: !Sub logs/${AWS::AccountId}/"), "yaml");
        expect(shown(sub)).to.deep.equal(["UNSUPPORTED_YAML_TAG@5:"]);
        expect(sub.spec!.routes).to.deep.equal([]);
        expect(shown(await validate(yaml("tags: !!binary aGVsbG8="), "yaml"))).to.deep.equal(["UNSUPPORTED_YAML_TAG@5:"]);
        const str = await validate(yaml("prefix: !!str 0123"), "yaml");
        expect(str.diagnostics).to.deep.equal([]);
        expect(str.spec!.routes[0].prefix).to.equal("0123");
    });

    it("reads priorities in decimal digits only", async () => {
        expect((await validate(csv({ priority: "007" }), "csv")).spec!.routes[0].priority).to.equal(7);
        for (const priority of ["0x1F", "0b101", "1e3", "5.0", "-1", "+5", "Infinity", "2147483648"]) {
            expect(shown(await validate(csv({ priority }), "csv")), priority).to.deep.equal(["INVALID_PRIORITY@2:priority"]);
        }
        for (const line of ["priority: 0x1F", "priority: 1e3", "priority: 0o17", "priority: .inf"]) {
            const r = await validate(yaml(line), "yaml");
            expect(
                r.diagnostics.map(d => d.code),
                line,
            ).to.deep.equal(["INVALID_PRIORITY"]);
            expect(r.diagnostics[0].message, line).to.contain(line.split(": ")[1]);
        }
        expect((await validate(yaml("priority: 12"), "yaml")).spec!.routes[0].priority).to.equal(12);
    });

    it("refuses control and bidirectional characters in any value", async () => {
        for (const [column, value] of [
            ["prefix", "logs/\u001b[2J"],
            ["rule_id", "rule\u202eevil"],
            ["tags", "team=a\nb"],
            ["destination_account", "a\u0085"],
            ["prefix", "a\u2066b"],
        ]) {
            const r = await validate(csv({ [column]: value }), "csv");
            expect(
                r.diagnostics.map(d => `${d.code}@${d.column}`),
                JSON.stringify(value),
            ).to.include(`CONTROL_CHARACTER@${column}`);
            expect(r.spec!.routes, JSON.stringify(value)).to.deep.equal([]);
        }
    });

    it("refuses Excel dates, and numbers a text cell may show differently, but keeps General whole numbers", async () => {
        const header = ["source_bucket", "source_account", "source_region", "destination_bucket", "prefix", "rule_id"];
        const buffer = await workbook(
            [
                header,
                ["app-a", "a", "us-east-1", "app-a-copy", new Date(Date.UTC(2024, 0, 2)), "r1"],
                ["app-b", "a", "us-east-1", "app-b-copy", 2024, new Date(Date.UTC(2024, 0, 2))],
                ["app-c", "a", "us-east-1", "app-c-copy", 0.1, true],
            ],
            ws => {
                ws.getCell("E4").numFmt = "0.00";
            },
        );
        const r = await validate(buffer, "xlsx");
        expect(shown(r)).to.deep.equal(["VALUE_NOT_TEXT@2:prefix", "VALUE_NOT_TEXT@3:rule_id", "VALUE_NOT_TEXT@4:prefix", "VALUE_NOT_TEXT@4:rule_id"]);
        expect(r.diagnostics[0].message).to.contain("E2").and.contain("format the cell as Text");
        // Nothing refused arrives as something else: no route from rows 2-4 has an ISO date or "0.1".
        expect(r.spec!.routes).to.deep.equal([]);
        const whole = await validate(await workbook([header, ["app-b", "a", "us-east-1", "app-b-copy", 2024, 7]]), "xlsx");
        expect(whole.diagnostics).to.deep.equal([]);
        expect(whole.spec!.routes[0]).to.include({ prefix: "2024", ruleId: "7" });
    });

    it("a merged range across columns does not copy its value into the next column", async () => {
        const buffer = await workbook(
            [
                ["source_bucket", "source_account", "source_region", "destination_bucket", "rule_id", "prefix"],
                ["app-a", "a", "us-east-1", "app-a-copy", "keep", null],
            ],
            ws => ws.mergeCells("E2:F2"),
        );
        const r = await validate(buffer, "xlsx");
        expect(shown(r)).to.deep.equal(["MERGED_CELLS@2:"]);
        expect(r.diagnostics[0]).to.include({ severity: "warning" });
        expect(r.diagnostics[0].message).to.contain("E2:F2");
        expect(r.spec!.routes[0]).to.include({ ruleId: "keep", prefix: "" });
    });
});

describe("input: accounts", () => {
    const header = ["source_bucket", "source_account", "source_region", "destination_bucket"];

    it("pads a numeric cell only when it has exactly 11 digits", async () => {
        const buffer = await workbook([header, ["app-a", 12345678901, "us-east-1", "app-a-copy"], ["app-b", 111111111111, "us-east-1", "app-b-copy"]]);
        const r = await validate(buffer, "xlsx");
        expect(r.diagnostics).to.deep.equal([]);
        expect(r.spec!.routes.map(x => x.sourceAccount)).to.deep.equal(["012345678901", "111111111111"]);
        for (const n of [0, 42, 12345, 1234567890, 1234567890123]) {
            const bad = await validate(await workbook([header, ["app-a", n, "us-east-1", "app-a-copy"]]), "xlsx");
            expect(shown(bad), String(n)).to.deep.equal(["INVALID_ACCOUNT@2:source_account"]);
        }
    });

    it("never pads text, and reads a YAML number as the digits written", async () => {
        expect(shown(await validate(csv({}, "app-a,12345678901,us-east-1,app-a-copy"), "csv"))).to.deep.equal(["INVALID_ACCOUNT@2:source_account"]);
        const y = await validate(yaml().replace("source_account: a", "source_account: 012345678901"), "yaml");
        expect(y.diagnostics).to.deep.equal([]);
        expect(y.spec!.routes[0].sourceAccount).to.equal("012345678901");
        expect(shown(await validate(yaml().replace("source_account: a", "source_account: 42"), "yaml"))).to.deep.equal(["INVALID_ACCOUNT@2:source_account"]);
    });
});

describe("input: partitions", () => {
    it("PARTITION_MISMATCH for a route from aws to aws-cn, aws-us-gov or the European Sovereign Cloud", async () => {
        for (const region of ["cn-north-1", "us-gov-west-1", "eusc-de-east-1"]) {
            const r = await validate(csv({ destination_region: region }), "csv");
            expect(shown(r), region).to.deep.equal(["PARTITION_MISMATCH@2:destination_region"]);
            expect(r.diagnostics[0].message).to.contain("us-east-1").and.contain(region);
        }
        const china = await validate(csv({ destination_region: "cn-northwest-1" }, "app-logs,a,cn-north-1,app-logs-replica"), "csv");
        expect(china.diagnostics).to.deep.equal([]);
    });

    it("PARTITION_MISMATCH for a KMS key ARN whose partition is not its Region's", async () => {
        const key = (partition: string) => `arn:${partition}:kms:cn-north-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
        const base = "app-logs,a,cn-north-1,app-logs-replica";
        const bad = await validate(csv({ replica_kms_key: key("aws"), source_kms_key: key("aws-cn") }, base), "csv");
        expect(shown(bad)).to.deep.equal(["PARTITION_MISMATCH@2:replica_kms_key"]);
        expect(bad.diagnostics[0].message).to.contain("arn:aws-cn:kms:cn-north-1");
        expect((await validate(csv({ replica_kms_key: key("aws-cn"), source_kms_key: key("aws-cn") }, base), "csv")).diagnostics).to.deep.equal([]);
    });
});

describe("input: prototype names are ordinary names", () => {
    it("account aliases named constructor, toString and __proto__ resolve from stack config, or are unknown", async () => {
        const named = parseStackSettings(
            JSON.parse('{"accounts": {"constructor": {"id": "111111111111"}, "toString": {"id": "222222222222"}, "__proto__": {"id": "333333333333"}}}'),
        );
        expect(named.diagnostics).to.deep.equal([]);
        for (const [alias, id] of [
            ["constructor", "111111111111"],
            ["toString", "222222222222"],
            ["__proto__", "333333333333"],
        ]) {
            const r = await validate(csv({}, `app-logs,${alias},us-east-1,app-logs-replica`), "csv", named.settings!);
            expect(r.diagnostics, alias).to.deep.equal([]);
            expect(r.spec!.routes[0].sourceAccount, alias).to.equal(id);
        }
        for (const alias of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
            const r = await validate(csv({}, `app-logs,${alias},us-east-1,app-logs-replica`), "csv");
            expect(shown(r), alias).to.deep.equal(["UNKNOWN_ACCOUNT_ALIAS@2:source_account"]);
            expect(r.diagnostics[0].message).to.contain(`"${alias}" is not defined`);
        }
    });

    it("tag keys named constructor, toString and __proto__ are tags like any other", async () => {
        const r = await validate(csv({ tags: "constructor=a;toString=b;__proto__=c" }), "csv");
        expect(r.diagnostics).to.deep.equal([]);
        expect(Object.entries(r.spec!.routes[0].tags)).to.deep.equal([
            ["constructor", "a"],
            ["toString", "b"],
            ["__proto__", "c"],
        ]);
        const y = await validate(yaml("tags: {__proto__: x, constructor: y}"), "yaml");
        expect(y.diagnostics).to.deep.equal([]);
        expect(Object.entries(y.spec!.routes[0].tags)).to.deep.equal([
            ["__proto__", "x"],
            ["constructor", "y"],
        ]);
    });

    it("a {constructor} placeholder is left as written, and a __proto__ key in a route is an unknown column", async () => {
        const r = await validate(
            `${H.replace(",destination_bucket", "")}\napp-logs,a,us-east-1\n`,
            "csv",
            settings({ destinationTemplate: "{source}-{constructor}" }),
        );
        expect(shown(r)).to.deep.equal(["INVALID_BUCKET_NAME@2:destination_bucket"]);
        expect(r.diagnostics[0].message).to.contain('"app-logs-{constructor}"').and.not.contain("function");
        const y = await validate(yaml("__proto__: x"), "yaml");
        expect(shown(y)).to.deep.equal(["UNKNOWN_COLUMN@5:__proto__"]);
    });
});
