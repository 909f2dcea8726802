/**
 * `npm run bench [-- --repeat N] [sizes...]`: plan fleets of 100, 1,000 and 5,000 cross-account
 * routes under the Pulumi mock runtime, each run in a fresh process started with the Node flags the
 * program runs with (Pulumi.yaml `runtime.options.nodeargs`), and print wall time (median of the
 * repeats), peak RSS, garbage-collection share and resources per route.
 * Targets (2 cores): 1,000 routes in at most 8 s and 1.0 GB peak RSS for `s3-replication plan` as a whole
 * (issue 9; this measures the program run alone); 5,000 at most 5.5x the 1,000 time.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { parse as parseYaml } from "yaml";

interface Run { routes: number; seconds: number; gcSeconds: number; peakRssMb: number; resources: number; components: number; resourcesPerRoute: number }

const ROOT = path.join(__dirname, "..");
const { values, positionals } = parseArgs({ options: { repeat: { type: "string", default: "3" } }, allowPositionals: true });
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
process.stdout.write(`fleet-bench: node ${process.version} ${nodeArgs.join(" ")}, ${repeat} run(s) per size, median shown\n`);
const medians = new Map<number, number>();
for (const n of runs) {
    const samples: Run[] = [];
    for (let i = 0; i < repeat; i++) {
        const out = execFileSync(process.execPath, [...nodeArgs, "-r", "ts-node/register/transpile-only", path.join(__dirname, "fleet-bench-run.ts"), String(n)],
            { encoding: "utf8", cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
        samples.push(JSON.parse(out.trim().split("\n").pop()!) as Run);
    }
    const seconds = median(samples.map(s => s.seconds));
    medians.set(n, seconds);
    const r = samples[0];
    const range = repeat > 1 ? ` (${Math.min(...samples.map(s => s.seconds)).toFixed(2)}-${Math.max(...samples.map(s => s.seconds)).toFixed(2)})` : "";
    const gcShare = Math.round((median(samples.map(s => s.gcSeconds)) / seconds) * 100);
    process.stdout.write(`${String(n).padStart(6)} routes  ${seconds.toFixed(2).padStart(7)} s${range}  GC ${gcShare}%  peak RSS ${String(Math.max(...samples.map(s => s.peakRssMb))).padStart(5)} MB  ${r.resources} resources (${r.resourcesPerRoute} per route, +${r.components} components)\n`);
}
const t1k = medians.get(1000);
const t5k = medians.get(5000);
if (t1k && t5k) process.stdout.write(`5,000 / 1,000 time ratio: ${(t5k / t1k).toFixed(2)} (target <= 5.5)\n`);
