/**
 * Benchmark: BatchReplicationJob creations against the loopback S3 Control fake, with realistic
 * latency and throttling, at a bounded concurrency (as a `pulumi up` with many jobs would run them).
 *
 *   node -r ts-node/register/transpile-only bench/batch-job-bench.ts [--jobs 1000] [--concurrency 16]
 *        [--latency 50] [--throttle 0.1] [--retry-mode standard|adaptive] [--max-attempts 6] [--seed 42]
 *
 * Prints wall time, throughput, create latency percentiles, jobs created, duplicates, retries and
 * peak RSS. The fake runs in this process, so RSS includes it.
 */
import { batchReplicationJobProvider as provider, type BatchReplicationJobInputs } from "../components/batch-replication-job";
import { deriveClientRequestToken, formatRouteName } from "../components/model/batch-job";
import { S3ControlFake } from "../test/fakes/s3-control-fake";

interface Options {
    jobs: number;
    concurrency: number;
    latency: number;
    throttle: number;
    retryMode: "standard" | "adaptive";
    maxAttempts: number;
    seed: number;
}

function parseArgs(argv: readonly string[]): Options {
    const opts: Options = { jobs: 1000, concurrency: 16, latency: 50, throttle: 0.1, retryMode: "standard", maxAttempts: 6, seed: 42 };
    for (let i = 0; i < argv.length; i += 2) {
        const [flag, value] = [argv[i], argv[i + 1]];
        switch (flag) {
            case "--jobs":
                opts.jobs = Number(value);
                break;
            case "--concurrency":
                opts.concurrency = Number(value);
                break;
            case "--latency":
                opts.latency = Number(value);
                break;
            case "--throttle":
                opts.throttle = Number(value);
                break;
            case "--retry-mode":
                opts.retryMode = value === "adaptive" ? "adaptive" : "standard";
                break;
            case "--max-attempts":
                opts.maxAttempts = Number(value);
                break;
            case "--seed":
                opts.seed = Number(value);
                break;
            default:
                throw new Error(`unknown flag ${flag}`);
        }
    }
    return opts;
}

function percentile(sorted: readonly number[], p: number): number {
    if (sorted.length === 0) return 0;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
    const opts = parseArgs(process.argv.slice(2));
    // The fake checks that requests are signed, not by whom; never send real credentials to it.
    process.env.AWS_ACCESS_KEY_ID = "AKIDBENCHFAKE";
    process.env.AWS_SECRET_ACCESS_KEY = "bench-secret";
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    const fake = new S3ControlFake({ latencyMs: opts.latency, seed: opts.seed });
    await fake.start();
    // Half 429 TooManyRequestsException, half 503 SlowDown: both are what S3 Control throttling looks like.
    fake.setFaults({ throttle: opts.throttle / 2, slowdown: opts.throttle / 2, operations: ["CreateJob"] });

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 25);

    const inputs: BatchReplicationJobInputs[] = [];
    for (let i = 0; i < opts.jobs; i++) {
        const checked = await provider.check!(
            {} as BatchReplicationJobInputs,
            {
                accountId: "111122223333",
                region: "us-east-1",
                sourceBucket: `bench-src-${i % 250}`,
                roleArn: "arn:aws:iam::111122223333:role/batch-replication",
                reportBucket: "bench-reports-111122223333",
                mode: "unreplicated",
                routeName: formatRouteName(`bench-src-${i % 250}`, `bench-dst-${i}`, `rule-${i}`),
                endpoint: fake.endpoint,
                maxAttempts: opts.maxAttempts,
                retryMode: opts.retryMode,
            } as BatchReplicationJobInputs,
        );
        if (checked.failures && checked.failures.length > 0) throw new Error(JSON.stringify(checked.failures));
        inputs.push(checked.inputs as BatchReplicationJobInputs);
    }

    const latencies: number[] = [];
    const jobIds: string[] = new Array(opts.jobs);
    let reruns = 0;
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
        Array.from({ length: opts.concurrency }, async () => {
            while (next < inputs.length) {
                const i = next++;
                const t = process.hrtime.bigint();
                // A create that exhausts its SDK attempts is rerun, as the next `pulumi up` would.
                for (let run = 1; ; run++) {
                    try {
                        jobIds[i] = (await provider.create(inputs[i])).id;
                        break;
                    } catch (err) {
                        reruns++;
                        if (run >= 5) throw err;
                    }
                }
                latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
            }
        }),
    );
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await fake.stop();

    const jobs = fake.jobs();
    const tokens = new Set(jobs.map(j => j.clientRequestToken));
    const mismatched = inputs.filter((ins, i) => fake.job(jobIds[i])?.clientRequestToken !== deriveClientRequestToken(ins)).length;
    const createRequests = fake.requestsOf("CreateJob").length;
    const sorted = [...latencies].sort((a, b) => a - b);
    const result = {
        jobsRequested: opts.jobs,
        concurrency: opts.concurrency,
        latencyMs: opts.latency,
        throttleRate: opts.throttle,
        retryMode: opts.retryMode,
        wallSeconds: Number((wallMs / 1000).toFixed(2)),
        createsPerSecond: Number((opts.jobs / (wallMs / 1000)).toFixed(1)),
        createLatencyMs: {
            p50: Math.round(percentile(sorted, 50)),
            p95: Math.round(percentile(sorted, 95)),
            p99: Math.round(percentile(sorted, 99)),
            max: Math.round(sorted[sorted.length - 1] ?? 0),
        },
        jobsCreated: jobs.length,
        // Jobs no resource points at: what a second CreateJob for the same resource would leave behind.
        duplicates: jobs.length - new Set(jobIds).size,
        distinctTokens: tokens.size,
        resourcesWithWrongJob: mismatched,
        createJobRequests: createRequests,
        retries: createRequests - opts.jobs - reruns,
        reruns,
        throttledAnswers: fake.stats.faults.throttle + fake.stats.faults.slowdown,
        peakRssMiB: Number((peakRss / 1048576).toFixed(1)),
        maxRssMiB: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
    };
    const lines = [
        `batch-job-bench: ${result.jobsRequested} creates, concurrency ${result.concurrency}, latency ${result.latencyMs} ms, throttling ${result.throttleRate * 100}% (${result.retryMode} retries)`,
        `  wall time          ${result.wallSeconds} s (${result.createsPerSecond} creates/s)`,
        `  create latency     p50 ${result.createLatencyMs.p50} ms, p95 ${result.createLatencyMs.p95} ms, p99 ${result.createLatencyMs.p99} ms, max ${result.createLatencyMs.max} ms`,
        `  jobs created       ${result.jobsCreated}`,
        `  duplicates         ${result.duplicates}`,
        `  wrong job          ${result.resourcesWithWrongJob}`,
        `  CreateJob requests ${result.createJobRequests} (${result.throttledAnswers} throttled answers, ${result.retries} SDK retries, ${result.reruns} reruns)`,
        `  peak RSS           ${result.peakRssMiB} MiB (sampled), maxRSS ${result.maxRssMiB} MiB (getrusage)`,
    ];
    console.log(lines.join("\n"));
    console.log(JSON.stringify(result));
    if (result.jobsCreated !== opts.jobs || result.duplicates !== 0 || tokens.size !== opts.jobs || mismatched !== 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
