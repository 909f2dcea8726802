/**
 * `npm run bench`: plan fleets of 100, 1,000 and 5,000 cross-account routes under the Pulumi
 * mock runtime, each size in a fresh process, and print wall time, peak RSS and resources per
 * route. Targets (2 cores): 1,000 routes under 15 s and 1.5 GB; 5,000 at most 5.5x the 1,000 time.
 */
import { execFileSync } from "child_process";
import * as path from "path";

const sizes = process.argv.slice(2).map(Number).filter(n => n > 0);
const runs = sizes.length ? sizes : [100, 1000, 5000];
const results: Array<{ routes: number; seconds: number; peakRssMb: number; resources: number; resourcesPerRoute: number }> = [];
for (const n of runs) {
    const out = execFileSync(process.execPath, [
        "--max-old-space-size=8192", "-r", "ts-node/register/transpile-only", path.join(__dirname, "fleet-bench-run.ts"), String(n),
    ], { encoding: "utf8", cwd: path.join(__dirname, ".."), maxBuffer: 16 * 1024 * 1024 });
    const r = JSON.parse(out.trim().split("\n").pop()!);
    results.push(r);
    process.stdout.write(`${String(n).padStart(6)} routes  ${r.seconds.toFixed(2).padStart(7)} s  peak RSS ${String(r.peakRssMb).padStart(5)} MB  ${r.resources} resources (${r.resourcesPerRoute} per route, +${r.components} components)\n`);
}
const t1k = results.find(r => r.routes === 1000);
const t5k = results.find(r => r.routes === 5000);
if (t1k && t5k) {
    process.stdout.write(`5,000 / 1,000 time ratio: ${(t5k.seconds / t1k.seconds).toFixed(2)} (target <= 5.5)\n`);
}
