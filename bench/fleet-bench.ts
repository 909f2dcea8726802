/**
 * `npm run bench [-- --repeat N] [--cli] [sizes...]`: plan fleets of 100, 1,000 and 5,000 cross-account
 * routes under the Pulumi mock runtime, each run in a fresh process started with the Node flags the
 * program runs with (Pulumi.yaml `runtime.options.nodeargs`), and print wall time (median of the
 * repeats), peak RSS, garbage-collection share and resources per route.
 * With `--cli`, time what a user runs instead: `s3-replication plan --stack prod --manifest <csv>`
 * as a whole (launcher, module loading, manifest checks, the program, the printed plan) on a CSV
 * manifest of the same synthetic routes, and its peak RSS over every node process it starts.
 * Targets (2 cores): 1,000 routes in at most 8 s and 1.0 GB peak RSS for `s3-replication plan` as a whole
 * (issue 9, measured by `--cli`); 5,000 at most 5.5x the 1,000 time.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import * as os from "os";
import { parse as parseYaml } from "yaml";
import { syntheticRoutes } from "./fleet-fixture";

interface Run {
    routes: number;
    seconds: number;
    gcSeconds: number;
    peakRssMb: number;
    resources: number;
    components: number;
    resourcesPerRoute: number;
}

const ROOT = path.join(__dirname, "..");
const { values, positionals } = parseArgs({
    options: { repeat: { type: "string", default: "3" }, cli: { type: "boolean", default: false } },
    allowPositionals: true,
});
const repeat = Math.max(1, Number(values.repeat) || 1);
const sizes = positionals.map(Number).filter(n => n > 0);
const runs = sizes.length ? sizes : [100, 1000, 5000];

/** The flags `pulumi up` gives node for this project, so the benchmark measures the same runtime. */
function projectNodeArgs(): string[] {
    const project = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime?: { options?: { nodeargs?: string } } };
    return (project.runtime?.options?.nodeargs ?? "").split(/\s+/).filter(Boolean);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const nodeArgs = projectNodeArgs();

/** The synthetic routes as a CSV manifest in a temporary folder (no value needs quoting). */
function writeManifest(n: number, dir: string): string {
    const rows = syntheticRoutes({ routes: n });
    const columns = Object.keys(rows[0]);
    const file = path.join(dir, `fleet-${n}.csv`);
    fs.writeFileSync(file, [columns.join(","), ...rows.map(r => columns.map(c => r[c]).join(","))].join("\n") + "\n");
    return file;
}

/** One `s3-replication plan` of `manifest`, start to exit: seconds and the largest peak RSS of its processes. */
function timeCli(manifest: string, dir: string): { seconds: number; peakRssMb: number } {
    const rssFile = path.join(dir, "rss.txt");
    fs.rmSync(rssFile, { force: true });
    const env = {
        ...process.env,
        S3R_BENCH_RSS_FILE: rssFile,
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require=${path.join(__dirname, "rss-at-exit.js")}`.trim(),
    };
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, [path.join(ROOT, "cli", "s3-replication.js"), "plan", "--stack", "prod", "--manifest", manifest], {
        cwd: ROOT,
        env,
        stdio: ["ignore", "ignore", "ignore"],
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const peaks = fs.readFileSync(rssFile, "utf8").trim().split("\n").map(Number);
    return { seconds, peakRssMb: Math.max(...peaks) };
}

if (values.cli) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3r-bench-"));
    process.stdout.write(`fleet-bench --cli: s3-replication plan --stack prod as a whole, node ${process.version}, ${repeat} run(s) per size, median shown\n`);
    try {
        for (const n of runs) {
            const manifest = writeManifest(n, dir);
            const samples = Array.from({ length: repeat }, () => timeCli(manifest, dir));
            const seconds = median(samples.map(s => s.seconds));
            const range = repeat > 1 ? ` (${Math.min(...samples.map(s => s.seconds)).toFixed(2)}-${Math.max(...samples.map(s => s.seconds)).toFixed(2)})` : "";
            process.stdout.write(
                `${String(n).padStart(6)} routes  ${seconds.toFixed(2).padStart(7)} s${range}  peak RSS ${String(Math.max(...samples.map(s => s.peakRssMb))).padStart(5)} MB\n`,
            );
        }
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    process.exit(0);
}

process.stdout.write(`fleet-bench: node ${process.version} ${nodeArgs.join(" ")}, ${repeat} run(s) per size, median shown\n`);
const medians = new Map<number, number>();
for (const n of runs) {
    const samples: Run[] = [];
    for (let i = 0; i < repeat; i++) {
        const out = execFileSync(
            process.execPath,
            [...nodeArgs, "-r", "ts-node/register/transpile-only", path.join(__dirname, "fleet-bench-run.ts"), String(n)],
            { encoding: "utf8", cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
        );
        samples.push(JSON.parse(out.trim().split("\n").pop()!) as Run);
    }
    const seconds = median(samples.map(s => s.seconds));
    medians.set(n, seconds);
    const r = samples[0];
    const range = repeat > 1 ? ` (${Math.min(...samples.map(s => s.seconds)).toFixed(2)}-${Math.max(...samples.map(s => s.seconds)).toFixed(2)})` : "";
    const gcShare = Math.round((median(samples.map(s => s.gcSeconds)) / seconds) * 100);
    process.stdout.write(
        `${String(n).padStart(6)} routes  ${seconds.toFixed(2).padStart(7)} s${range}  GC ${gcShare}%  peak RSS ${String(Math.max(...samples.map(s => s.peakRssMb))).padStart(5)} MB  ${r.resources} resources (${r.resourcesPerRoute} per route, +${r.components} components)\n`,
    );
}
const t1k = medians.get(1000);
const t5k = medians.get(5000);
if (t1k && t5k) process.stdout.write(`5,000 / 1,000 time ratio: ${(t5k / t1k).toFixed(2)} (target <= 5.5)\n`);
