/** One benchmark run in its own process (so peak RSS is this size's alone). Prints one JSON line. */
import { PerformanceObserver, performance } from "perf_hooks";
import { ReplicationFleet } from "../components/replication-fleet";
import { runUnderMocks } from "../cli/mock-runtime";
import { OFFLINE_INVOKES } from "../cli/plan-command";
import { syntheticRoutes } from "./fleet-fixture";

async function main(): Promise<void> {
    const n = Number(process.argv[2]);
    const routes = syntheticRoutes({ routes: n });
    let gcMs = 0;
    const gc = new PerformanceObserver(list => {
        for (const e of list.getEntries()) gcMs += e.duration;
    });
    gc.observe({ entryTypes: ["gc"] });
    const start = performance.now();
    const result = await runUnderMocks(
        () => {
            const fleet = new ReplicationFleet("bench", { routes });
            return { routes: fleet.routes };
        },
        {
            project: "bench",
            stack: "bench",
            invokes: OFFLINE_INVOKES,
        },
    );
    const ms = performance.now() - start;
    // GC entries arrive asynchronously: let the last ones in before reading the sum.
    await new Promise(resolve => setTimeout(resolve, 50));
    gc.disconnect();
    if (result.error) throw result.error;
    const custom = result.resources.filter(r => r.custom).length;
    process.stdout.write(
        JSON.stringify({
            routes: n,
            seconds: Math.round(ms) / 1000,
            gcSeconds: Math.round(gcMs) / 1000,
            peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
            resources: custom,
            components: result.resources.length - custom,
            resourcesPerRoute: Math.round((custom / n) * 100) / 100,
        }) + "\n",
    );
}

main().catch(e => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
});
