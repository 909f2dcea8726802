/**
 * Manifest scale benchmark: a 5,000-row fleet written as CSV and XLSX to a temp dir, then
 * loaded and validated (normalize, plan roles/configurations/policies, measure) as
 * `s3-replication validate` does. Prints wall times and peak RSS; exits 1 over the budget.
 *
 *   node -r ts-node/register/transpile-only bench/manifest-bench.ts [rows]
 */
import * as ExcelJS from "exceljs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { loadManifest, validateManifest } from "../components/manifest";
import { StackSettings, parseStackSettings } from "../components/model";

const ROWS = Number(process.argv[2] ?? 5000);
const BUDGET_MS = 5000;

const HEADER = [
    "source_bucket",
    "source_account",
    "source_region",
    "destination_bucket",
    "destination_account",
    "destination_region",
    "prefix",
    "tags",
    "storage_class",
    "delete_marker_replication",
    "replica_kms_key",
    "source_kms_key",
    "rtc",
    "existing_objects",
];

const SOURCE_REGIONS = ["us-east-1", "us-east-2", "eu-west-1"];
const DR_REGION: Record<string, string> = { "us-east-1": "us-west-2", "us-east-2": "us-west-2", "eu-west-1": "eu-central-1" };
const accountId = (n: number) => String(100000000000 + n);
const key = (account: string, region: string, n: number) => `arn:aws:kms:${region}:${account}:key/${String(n).padStart(8, "0")}-0000-4000-8000-000000000000`;

/** A realistic fleet: 20 source accounts, 4 DR accounts, one-to-many, fan-in, KMS, RTC, backfills. */
function fleetRows(count: number): string[][] {
    const rows: string[][] = [];
    let source = 0;
    while (rows.length < count) {
        const s = source++;
        const acct = `app-${String(s % 20).padStart(2, "0")}`;
        const region = SOURCE_REGIONS[s % SOURCE_REGIONS.length];
        const drAccount = `dr-${s % 4}`;
        const drRegion = DR_REGION[region];
        const bucket = `fleet-${String(s).padStart(5, "0")}-${region}`;
        const kms = s % 6 === 0;
        const srcKey = kms ? key(accountId(s % 20), region, s % 20) : "";
        const replicaKey = kms ? key(accountId(900 + (s % 4)), drRegion, s % 4) : "";
        rows.push([
            bucket,
            acct,
            region,
            `${bucket}-dr`,
            drAccount,
            drRegion,
            "",
            "",
            s % 3 === 0 ? "STANDARD_IA" : "",
            s % 2 === 0 ? "true" : "false",
            replicaKey,
            srcKey,
            s % 10 === 0 ? "true" : "false",
            s % 7 === 0 ? "eligible" : "none",
        ]);
        // Every fourth source also copies a prefix to a second, same-account archive (one-to-many).
        if (s % 4 === 0 && rows.length < count) {
            rows.push([
                bucket,
                acct,
                region,
                `${bucket}-archive`,
                acct,
                region,
                "reports/",
                s % 8 === 0 ? "class=audit" : "",
                "GLACIER_IR",
                "false",
                "",
                kms ? srcKey : "",
                "false",
                "none",
            ]);
            if (kms) rows[rows.length - 1][10] = key(accountId(s % 20), region, 500 + (s % 20));
        }
        // Every ninth source sends its logs to its account's central log bucket (many-to-one).
        if (s % 9 === 0 && rows.length < count) {
            rows.push([bucket, acct, region, `central-logs-${acct}-${region}`, acct, region, "logs/", "", "", "false", "", kms ? srcKey : "", "false", "none"]);
            if (kms) rows[rows.length - 1][10] = key(accountId(s % 20), region, 500 + (s % 20));
        }
    }
    return rows.slice(0, count);
}

function settings(): StackSettings {
    const accounts: Record<string, { id: string }> = {};
    for (let i = 0; i < 20; i++) accounts[`app-${String(i).padStart(2, "0")}`] = { id: accountId(i) };
    for (let i = 0; i < 4; i++) accounts[`dr-${i}`] = { id: accountId(900 + i) };
    const parsed = parseStackSettings({ accounts });
    if (!parsed.settings) throw new Error(JSON.stringify(parsed.diagnostics));
    return parsed.settings;
}

const csvCell = (c: string) => (/[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
    const t0 = performance.now();
    const result = await fn();
    return [result, performance.now() - t0];
}

async function main(): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "manifest-bench-"));
    try {
        const rows = fleetRows(ROWS);
        const csvFile = path.join(dir, "fleet.csv");
        fs.writeFileSync(csvFile, [HEADER, ...rows].map(r => r.map(csvCell).join(",")).join("\n") + "\n");
        const xlsxFile = path.join(dir, "fleet.xlsx");
        const wb = new ExcelJS.Workbook();
        const ws = wb.addWorksheet("Routes");
        ws.addRows([HEADER, ...rows]);
        await wb.xlsx.writeFile(xlsxFile);
        const s = settings();
        console.log(
            `manifest-bench: ${ROWS} rows (csv ${(fs.statSync(csvFile).size / 1024).toFixed(0)} KiB, xlsx ${(fs.statSync(xlsxFile).size / 1024).toFixed(0)} KiB), node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}`,
        );

        let over = false;
        for (const file of [csvFile, xlsxFile]) {
            const label = path.extname(file).slice(1).padEnd(4);
            const [loaded, loadMs] = await timed(() => loadManifest(file));
            const [result, totalMs] = await timed(() => validateManifest(file, { settings: s }));
            const plan = result.plan!;
            console.log(
                `${label} load ${loadMs.toFixed(0).padStart(5)} ms | load+validate ${totalMs.toFixed(0).padStart(5)} ms | ` +
                    `${loaded.records.length} records, ${result.spec?.routes.length ?? 0} routes, ${plan?.sources.length ?? 0} configurations, ${plan?.roles.length ?? 0} roles, ${plan?.buckets.length ?? 0} bucket policies | ` +
                    `${result.errors.length} errors, ${result.warnings.length} warnings`,
            );
            if (result.errors.length > 0) console.log(`  first error: ${JSON.stringify(result.errors[0])}`);
            if (totalMs > BUDGET_MS || result.errors.length > 0) over = true;
        }
        console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; budget ${BUDGET_MS} ms per load+validate: ${over ? "FAIL" : "ok"}`);
        process.exitCode = over ? 1 : 0;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

void main();
