/**
 * Every diagnostic code a manifest can trigger, each from a minimal fixture, asserted with its
 * row, column and severity; and a clean manifest that yields none.
 */
import { expect } from "chai";
import * as ExcelJS from "exceljs";
import * as path from "path";
import { ManifestValidation, validateManifest, validateManifestContent } from "../components/manifest";
import { DIAGNOSTIC_CODES, DiagnosticCode, StackSettings, parseStackSettings } from "../components/model";

const FIXTURES = path.join(__dirname, "fixtures", "manifests");
const ACCOUNTS = { a: { id: "111111111111" }, b: { id: "222222222222" } };

function settings(extra: Record<string, unknown> = {}): StackSettings {
    const parsed = parseStackSettings({ accounts: ACCOUNTS, ...extra });
    expect(parsed.diagnostics).to.deep.equal([]);
    return parsed.settings!;
}

interface Expect {
    code: DiagnosticCode;
    row?: number;
    column?: string;
    severity?: "error" | "warning";
}

interface Case extends Expect {
    fixture: string;
    extra?: Record<string, unknown>;
}

/** Fixture file (test/fixtures/manifests/codes) -> the one diagnostic it must produce. */
const CASES: Case[] = [
    { fixture: "unreadable-quote.csv", code: "MANIFEST_UNREADABLE", row: 3 },
    { fixture: "empty-header-only.csv", code: "MANIFEST_EMPTY", row: 1 },
    { fixture: "empty-file.csv", code: "MANIFEST_EMPTY" },
    { fixture: "unknown-column.csv", code: "UNKNOWN_COLUMN", row: 1, column: "storage_clas" },
    { fixture: "duplicate-column.csv", code: "DUPLICATE_COLUMN", row: 1, column: "source_bucket" },
    { fixture: "missing-field.csv", code: "MISSING_FIELD", row: 3, column: "source_region" },
    { fixture: "invalid-value.csv", code: "INVALID_VALUE", row: 2, column: "rtc" },
    { fixture: "invalid-bucket-name.csv", code: "INVALID_BUCKET_NAME", row: 2, column: "source_bucket" },
    { fixture: "invalid-account.csv", code: "INVALID_ACCOUNT", row: 2, column: "source_account" },
    { fixture: "unknown-account-alias.csv", code: "UNKNOWN_ACCOUNT_ALIAS", row: 2, column: "source_account" },
    { fixture: "invalid-region.csv", code: "INVALID_REGION", row: 2, column: "destination_region" },
    { fixture: "invalid-storage-class.csv", code: "INVALID_STORAGE_CLASS", row: 2, column: "storage_class" },
    { fixture: "invalid-tag-filter.csv", code: "INVALID_TAG_FILTER", row: 2, column: "tags" },
    { fixture: "invalid-rule-id.csv", code: "INVALID_RULE_ID", row: 2, column: "rule_id" },
    { fixture: "duplicate-route.csv", code: "DUPLICATE_ROUTE", row: 3, column: "destination_bucket" },
    { fixture: "same-bucket.csv", code: "SAME_BUCKET", row: 2, column: "destination_bucket" },
    { fixture: "conflicting-bucket-settings.csv", code: "CONFLICTING_BUCKET_SETTINGS", row: 3, column: "source_region" },
    { fixture: "rule-id-too-long.csv", code: "RULE_ID_TOO_LONG", row: 2, column: "rule_id" },
    { fixture: "duplicate-rule-id.csv", code: "DUPLICATE_RULE_ID", row: 3, column: "rule_id" },
    { fixture: "prefix-too-long.csv", code: "PREFIX_TOO_LONG", row: 2, column: "prefix" },
    { fixture: "priority-conflict.csv", code: "PRIORITY_CONFLICT", row: 3, column: "priority" },
    { fixture: "invalid-priority.csv", code: "INVALID_PRIORITY", row: 2, column: "priority" },
    { fixture: "delete-marker-with-tag-filter.csv", code: "DELETE_MARKER_WITH_TAG_FILTER", row: 2, column: "delete_marker_replication" },
    { fixture: "ownership-override-same-account.csv", code: "OWNERSHIP_OVERRIDE_SAME_ACCOUNT", row: 2, column: "replica_ownership", severity: "warning" },
    { fixture: "kms-key-invalid.csv", code: "KMS_KEY_INVALID", row: 2, column: "replica_kms_key" },
    { fixture: "kms-key-region-mismatch.csv", code: "KMS_KEY_REGION_MISMATCH", row: 2, column: "replica_kms_key" },
    { fixture: "kms-replica-key-missing.csv", code: "KMS_REPLICA_KEY_MISSING", row: 2, column: "replica_kms_key" },
    { fixture: "kms-key-without-replication.csv", code: "KMS_KEY_WITHOUT_REPLICATION", row: 2, column: "replicate_kms", severity: "warning" },
    { fixture: "source-kms-key-missing.csv", code: "SOURCE_KMS_KEY_MISSING", row: 2, column: "source_kms_key", severity: "warning" },
    { fixture: "rtc-unsupported-region.csv", code: "RTC_UNSUPPORTED_REGION", row: 2, column: "rtc" },
    { fixture: "replication-chain.csv", code: "REPLICATION_CHAIN", row: 3, column: "source_bucket", severity: "warning" },
    { fixture: "two-way-not-declared.csv", code: "TWO_WAY_NOT_DECLARED", row: 3, column: "bidirectional", severity: "warning" },
    {
        fixture: "object-lock-mismatch.csv",
        code: "OBJECT_LOCK_MISMATCH",
        row: 2,
        column: "destination_bucket",
        extra: { buckets: { "app-logs": { objectLock: true } } },
    },
    {
        fixture: "iam-quota-exceeded.csv",
        code: "IAM_QUOTA_EXCEEDED",
        row: 2,
        column: "source_bucket",
        extra: { iam: { quotas: { inlineCharsPerRole: 200, managedPolicyChars: 200, managedPoliciesPerRole: 1 } } },
    },
    { fixture: "partition-mismatch.csv", code: "PARTITION_MISMATCH", row: 2, column: "destination_region" },
    { fixture: "surrounding-whitespace.csv", code: "SURROUNDING_WHITESPACE", row: 2, column: "prefix" },
    { fixture: "control-character.csv", code: "CONTROL_CHARACTER", row: 2, column: "prefix" },
    {
        fixture: "account-without-credentials.csv",
        code: "ACCOUNT_WITHOUT_CREDENTIALS",
        row: 2,
        column: "destination_account",
        severity: "warning",
        extra: { accounts: { ...ACCOUNTS, a: { id: "111111111111", roleArn: "arn:aws:iam::111111111111:role/deployer" } } },
    },
];

/**
 * Codes a manifest cannot produce: they guard configurations written by hand (the policy pack
 * and component arguments run the same checks), which the manifest path never renders.
 */
const NOT_FROM_A_MANIFEST: DiagnosticCode[] = [
    "OWNERSHIP_OVERRIDE_WITHOUT_ACCOUNT",
    "RTC_METRICS_MISMATCH",
    "V2_SCHEMA_REQUIRED",
    "EXISTING_OBJECT_REPLICATION_UNSUPPORTED",
    "NO_RULES",
];

function only(result: ManifestValidation, e: Expect, file: string): void {
    const shown = result.diagnostics.map(d => `${d.code}@${d.row ?? ""}:${d.column ?? ""} ${d.severity}`);
    expect(shown, `diagnostics of ${file}`).to.deep.equal([`${e.code}@${e.row ?? ""}:${e.column ?? ""} ${e.severity ?? "error"}`]);
    const d = result.diagnostics[0];
    expect(d.file).to.equal(file);
    expect(d.message.length, "a message that says what to change").to.be.greaterThan(30);
    expect(result.ok).to.equal((e.severity ?? "error") === "warning");
}

describe("manifest validation: every code, at its row and column", () => {
    it("a clean manifest using every column yields no diagnostics", async () => {
        const file = path.join(FIXTURES, "clean.csv");
        const result = await validateManifest(file, { settings: settings() });
        expect(result.diagnostics).to.deep.equal([]);
        expect(result.ok).to.equal(true);
        expect(result.records).to.equal(5);
        // The bidirectional row implies its reverse route.
        expect(result.spec!.routes).to.have.length(6);
        expect(result.plan!.sources.map(s => s.bucket.name)).to.deep.equal(["app-data", "app-east", "app-logs", "app-staging", "app-west"]);
    });

    for (const c of CASES) {
        it(`${c.code} (${c.fixture})`, async () => {
            const file = path.join(FIXTURES, "codes", c.fixture);
            only(await validateManifest(file, { settings: settings(c.extra) }), c, file);
        });
    }

    describe("from generated manifests", () => {
        const H = "source_bucket,source_account,source_region,destination_bucket,prefix,tags\n";

        it("TOO_MANY_RULES when one source has 1,001 routes", async () => {
            const csv = H + Array.from({ length: 1001 }, (_, i) => `app-logs,a,us-east-1,app-logs-replica,p${String(i).padStart(4, "0")}/,`).join("\n");
            const result = await validateManifestContent(csv, "csv", "many.csv", { settings: settings() });
            expect(result.diagnostics.map(d => d.code)).to.deep.equal(["TOO_MANY_RULES"]);
            // Routes sort by identity; the 1,001st is the last row here.
            expect(result.diagnostics[0]).to.include({ row: 1002, column: "source_bucket", severity: "error" });
            // 1,000 routes are fine.
            const ok = await validateManifestContent(csv.split("\n").slice(0, 1001).join("\n"), "csv", "ok.csv", { settings: settings() });
            expect(ok.diagnostics).to.deep.equal([]);
        });

        it("CONFIG_TOO_LARGE when one source's configuration renders over 2 MB", async () => {
            const tags = Array.from({ length: 10 }, (_, k) => `k${k}${"x".repeat(100)}=${"v".repeat(250)}`).join(";");
            const csv =
                H +
                Array.from({ length: 500 }, (_, i) => `app-logs,a,us-east-1,app-logs-replica,${String(i).padStart(4, "0")}${"p".repeat(1000)},${tags}`).join(
                    "\n",
                );
            const result = await validateManifestContent(csv, "csv", "big.csv", { settings: settings() });
            expect(result.diagnostics.map(d => `${d.code}@${d.column}`)).to.deep.equal(["CONFIG_TOO_LARGE@source_bucket"]);
            expect(result.diagnostics[0].row).to.be.within(2, 501);
            expect(result.diagnostics[0].message).to.match(/renders to \d{7} bytes/);
        });

        it("BUCKET_POLICY_TOO_LARGE when a destination grants too many source accounts", async () => {
            // Grants name source accounts (one role path per account), so only many accounts fill a policy.
            const rows = (n: number) =>
                "source_bucket,source_account,source_region,destination_bucket,destination_account,create_destination\n" +
                Array.from({ length: n }, (_, i) => `app-${String(i).padStart(3, "0")},${200000000000 + i},us-east-1,central-archive,999999999999,true`).join(
                    "\n",
                );
            const result = await validateManifestContent(rows(300), "csv", "fan-in.csv", { settings: settings() });
            expect(result.diagnostics.map(d => `${d.code}@${d.row}:${d.column}`)).to.deep.equal(["BUCKET_POLICY_TOO_LARGE@2:destination_bucket"]);
            expect(result.diagnostics[0].message).to.match(/grants to 300 source accounts/);
            // However many sources one account has, it is one grant.
            const oneAccount = rows(300).replace(/,2\d{11},/g, ",200000000000,");
            expect((await validateManifestContent(oneAccount, "csv", "fan-in.csv", { settings: settings() })).diagnostics).to.deep.equal([]);
        });
    });

    describe("from generated YAML and workbooks", () => {
        const ROUTE = "  source_bucket: app-logs\n  source_account: a\n  source_region: us-east-1\n  destination_bucket: app-logs-replica\n";
        const shown = (r: ManifestValidation) => r.diagnostics.map(d => `${d.code}@${d.row ?? ""}:${d.column ?? ""} ${d.severity}`);

        it("VALUE_NOT_TEXT for an unquoted YAML number in a text column", async () => {
            const result = await validateManifestContent(`-\n${ROUTE}  prefix: 0123\n`, "yaml", "r.yaml", { settings: settings() });
            expect(shown(result)).to.deep.equal(["VALUE_NOT_TEXT@6:prefix error"]);
            expect(result.diagnostics[0].message).to.contain("0123").and.contain("quote it");
        });

        it("DUPLICATE_KEY for a second routes: key", async () => {
            const result = await validateManifestContent(`routes:\n-\n${ROUTE}routes: []\n`, "yaml", "r.yaml", { settings: settings() });
            expect(shown(result)).to.deep.equal(["DUPLICATE_KEY@7: error"]);
        });

        it("UNSUPPORTED_YAML_TAG for a CloudFormation-style tag", async () => {
            const result = await validateManifestContent(`-\n${ROUTE}  prefix: !Sub logs/\n`, "yaml", "r.yaml", { settings: settings() });
            expect(shown(result)).to.deep.equal(["UNSUPPORTED_YAML_TAG@6: error"]);
        });

        it("MANIFEST_TOO_LARGE for more routes than the limit", async () => {
            const csv = "source_bucket,source_account,source_region,destination_bucket\n" + "app-logs,a,us-east-1,app-logs-replica\n".repeat(3);
            const result = await validateManifestContent(csv, "csv", "m.csv", { settings: settings(), limits: { maxRows: 2 } });
            expect(shown(result)).to.deep.equal(["MANIFEST_TOO_LARGE@: error"]);
            expect(result.fatal).to.equal("unreadable");
        });

        async function workbook(build: (wb: ExcelJS.Workbook, ws: ExcelJS.Worksheet) => void): Promise<Buffer> {
            const wb = new ExcelJS.Workbook();
            build(wb, wb.addWorksheet("Routes"));
            return Buffer.from(await wb.xlsx.writeBuffer());
        }
        const header = ["source_bucket", "source_account", "source_region", "destination_bucket", "rule_id", "prefix"];

        it("HIDDEN_SHEET, HIDDEN_ROWS and MERGED_CELLS as warnings", async () => {
            const buffer = await workbook((wb, ws) => {
                ws.addRow(header);
                ws.addRow(["app-logs", "a", "us-east-1", "app-logs-replica", "keep", null]);
                ws.addRow(["app-data", "a", "us-east-1", "app-data-replica", null, null]);
                ws.getRow(3).hidden = true;
                ws.mergeCells("E2:F2");
                wb.addWorksheet("Old", { state: "hidden" }).addRow(["stale"]);
            });
            const result = await validateManifestContent(buffer, "xlsx", "f.xlsx", { settings: settings(), sheet: "Old" });
            expect(shown(result)).to.include("HIDDEN_SHEET@: warning");
            const routes = await validateManifestContent(buffer, "xlsx", "f.xlsx", { settings: settings() });
            expect(shown(routes)).to.deep.equal(["MERGED_CELLS@2: warning", "HIDDEN_ROWS@3: warning"]);
        });
    });

    describe("options", () => {
        it("INVALID_CONFIG for a malformed --set, which stops validation (usage)", async () => {
            const result = await validateManifest(path.join(FIXTURES, "clean.csv"), { settings: settings(), set: ["colour=blue"] });
            expect(result.fatal).to.equal("usage");
            expect(result.diagnostics.map(d => `${d.code}@${d.path}`)).to.deep.equal(["INVALID_CONFIG@--set"]);
        });

        it("INVALID_CONFIG for an unknown stack (usage)", async () => {
            const result = await validateManifest(path.join(FIXTURES, "clean.csv"), { stack: "no-such-stack", stacksDir: FIXTURES });
            expect(result.fatal).to.equal("usage");
            expect(result.diagnostics.map(d => d.code)).to.deep.equal(["INVALID_CONFIG"]);
        });

        it("strict makes warnings errors", async () => {
            const file = path.join(FIXTURES, "codes", "replication-chain.csv");
            const loose = await validateManifest(file, { settings: settings() });
            expect(loose.ok).to.equal(true);
            expect(loose.warnings).to.have.length(1);
            const strict = await validateManifest(file, { settings: settings(), strict: true });
            expect(strict.ok).to.equal(false);
            expect(strict.errors.map(d => d.code)).to.deep.equal(["REPLICATION_CHAIN"]);
            expect(strict.warnings).to.deep.equal([]);
            // Stack config `strict: true` does the same.
            expect((await validateManifest(file, { settings: settings({ strict: true }) })).ok).to.equal(false);
        });

        it("reports a column the header lacks once, at the header, not on every row", async () => {
            const csv = "source_bucket,source_account,destination_bucket\napp-a,a,app-a-copy\napp-b,a,app-b-copy\napp-c,a,app-c-copy\n";
            const result = await validateManifestContent(csv, "csv", "m.csv", { settings: settings() });
            expect(result.diagnostics.map(d => `${d.code}@${d.row}:${d.column}`)).to.deep.equal(["MISSING_FIELD@1:source_region"]);
            expect(result.diagnostics[0].message).to.contain("--set source_region=");
            expect(result.diagnostics[0].message).to.contain("3 routes");
            // --set fills the column for every row.
            const filled = await validateManifestContent(csv, "csv", "m.csv", { settings: settings(), set: ["source_region=eu-west-1"] });
            expect(filled.diagnostics).to.deep.equal([]);
            expect(filled.spec!.routes.map(r => r.sourceRegion)).to.deep.equal(["eu-west-1", "eu-west-1", "eu-west-1"]);
        });

        it("a missing destination without a template is reported once, naming destinationTemplate", async () => {
            const csv = "source_bucket,source_account,source_region\napp-a,a,us-east-1\napp-b,a,us-east-1\n";
            const result = await validateManifestContent(csv, "csv", "m.csv", { settings: settings() });
            expect(result.diagnostics.map(d => `${d.code}@${d.row}:${d.column}`)).to.deep.equal(["MISSING_FIELD@1:destination_bucket"]);
            expect(result.diagnostics[0].message).to.contain("destinationTemplate");
            const templated = await validateManifestContent(csv, "csv", "m.csv", {
                settings: settings({ destinationTemplate: "{source}-{destination_region}" }),
            });
            expect(templated.diagnostics).to.deep.equal([]);
            expect(templated.spec!.routes.map(r => r.destination)).to.deep.equal(["app-a-us-east-1", "app-b-us-east-1"]);
        });
    });

    it("covers every code in DIAGNOSTIC_CODES (a new code needs a case here)", () => {
        const covered = new Set<string>([
            ...CASES.map(c => c.code),
            ...NOT_FROM_A_MANIFEST,
            "TOO_MANY_RULES",
            "CONFIG_TOO_LARGE",
            "BUCKET_POLICY_TOO_LARGE",
            "INVALID_CONFIG",
            "VALUE_NOT_TEXT",
            "DUPLICATE_KEY",
            "UNSUPPORTED_YAML_TAG",
            "MANIFEST_TOO_LARGE",
            "HIDDEN_SHEET",
            "HIDDEN_ROWS",
            "MERGED_CELLS",
        ]);
        expect(Object.keys(DIAGNOSTIC_CODES).filter(c => !covered.has(c))).to.deep.equal([]);
    });
});
