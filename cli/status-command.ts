/**
 * `s3-replication status --stack NAME [--json] [--watch]`: how what a stack deploys is doing. It
 * reads the stack as `validate --stack` does (no Pulumi, no state), then asks AWS in every account
 * with the credentials stack config gives that account (an assumed role or a profile, exactly as
 * the backfill provider reaches it):
 * - S3 Control ListJobs to find this package's Batch Replication jobs (by the description the
 *   package gives every job), and DescribeJob for their status, progress and failure reasons;
 * - CloudWatch GetMetricData for the last hour of each route's replication metrics, each in the
 *   Region S3 publishes it in (failures in the source Region, the rest in the destination's);
 * - CloudWatch DescribeAlarms for the state of the alarms the fleet registers.
 * Exit 0 healthy, 1 when something failed (a job, a route, an alarm, or a check that could not
 * run), 2 when the stack cannot be read.
 */
import { DescribeJobCommand, ListJobsCommand, S3ControlClient, type JobListDescriptor, type S3ControlClientConfig } from "@aws-sdk/client-s3-control";
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type CloudWatchClientConfig, type MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { MultiBar, type SingleBar } from "cli-progress";
import { credentialsFor } from "../components/batch-replication-job";
import { loadStackContext, validateStack } from "../components/manifest";
import {
    AccountInput,
    FleetPlan,
    MonitoringPlan,
    ReplicationMetricName,
    StackSettings,
    escapeTerminal,
    WatchedRoute,
    formatDiagnostic,
    planMonitoring,
    routeInShard,
    routeMetricQueries,
    safeJson,
    shardTag,
} from "../components/model";

export interface StatusEndpoints {
    /** S3 Control endpoint (default: stack config backfill.endpoint, else the Region's). */
    s3control?: string;
    /** CloudWatch endpoint (default: the Region's). */
    cloudwatch?: string;
    /** STS endpoint for assumed roles (default: the Region's). */
    sts?: string;
}

export interface StatusOptions {
    stack: string;
    json?: boolean;
    /** Poll until no backfill job is running, redrawing the progress bars. */
    watch?: boolean;
    /** Seconds between polls with --watch (default 30). */
    intervalSeconds?: number;
    endpoints?: StatusEndpoints;
    /** Where stack files live (default: the repository's `stacks/`). */
    stacksDir?: string;
    /** Attempts per AWS call, retries of throttling and 5xx included (default 5). */
    maxAttempts?: number;
    /** Where progress bars are drawn (default stdout); nothing is drawn unless it is a TTY, or with --json. */
    progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
    /** With --watch, stop after this many polls (default: until no job runs). */
    maxPolls?: number;
    /** The clock (tests). */
    now?: () => Date;
}

export interface StatusIo {
    out: (s: string) => void;
    err: (s: string) => void;
}

export const EXIT_HEALTHY = 0;
export const EXIT_UNHEALTHY = 1;
export const EXIT_UNUSABLE = 2;

const RUNNING = new Set(["New", "Preparing", "Suspended", "Ready", "Active", "Pausing", "Paused", "Completing"]);
const FAILED = new Set(["Failed", "Failing", "Cancelled", "Cancelling"]);

export interface JobReport {
    /** The source bucket whose existing objects the job replicates. */
    source: string;
    account: string;
    region: string;
    /** What the job is, as its description says after "for" (e.g. `src [eligible logs/]`); the source when none was found. */
    job: string;
    /** The job's mode, or the modes the stack's routes ask for when none was found. */
    mode: string;
    /** A job of this package was found (ListJobs shows jobs up to 90 days after they end). */
    found: boolean;
    jobId?: string;
    status?: string;
    totalTasks: number;
    succeededTasks: number;
    failedTasks: number;
    /** Tasks done (succeeded + failed) of the total, 0-100; 0 while the manifest is being built. */
    percent: number;
    failureReasons: string[];
    createdAt?: string;
    /** Older jobs with the same description (earlier triggers). */
    earlierJobs: number;
    /** running | complete | failed | not-found | unknown (the check did not run). */
    state: "running" | "complete" | "failed" | "not-found" | "unknown";
}

export interface RouteReport extends Pick<
    WatchedRoute,
    "source" | "destination" | "ruleId" | "sourceAccount" | "sourceRegion" | "destinationRegion" | "enabled" | "metrics"
> {
    route: string;
    /** Sum over the last hour; null when CloudWatch has no datapoint. */
    failedOperations: number | null;
    /** Latest values; null when CloudWatch has no datapoint. */
    bytesPending: number | null;
    operationsPending: number | null;
    /** Maximum over the last hour, seconds. */
    latencyMaxSeconds: number | null;
    /** ok | failed | no-data | no-metrics | unknown (the check did not run). */
    state: "ok" | "failed" | "no-data" | "no-metrics" | "unknown";
}

export interface AlarmReport {
    name: string;
    account: string;
    region: string;
    /** The alarm's state, or MISSING when it does not exist (not deployed yet), UNKNOWN when the check failed. */
    state: "OK" | "ALARM" | "INSUFFICIENT_DATA" | "MISSING" | "UNKNOWN";
    reason?: string;
    updatedAt?: string;
}

export interface CheckError {
    service: "S3 Control" | "CloudWatch";
    operation: string;
    account: string;
    region: string;
    message: string;
}

export interface StatusReport {
    stack: string;
    checkedAt: string;
    healthy: boolean;
    summary: {
        routes: number;
        jobs: { running: number; complete: number; failed: number; notFound: number; unknown: number };
        tasks: { total: number; succeeded: number; failed: number };
        routesWithFailures: number;
        alarms: { alarm: number; ok: number; insufficientData: number; missing: number; unknown: number };
        errors: number;
    };
    jobs: JobReport[];
    routes: RouteReport[];
    alarms: AlarmReport[];
    errors: CheckError[];
}

/** What `status` needs of a stack: its plan (as validate computes it) and its settings. */
interface StackView {
    stack: string;
    plan: FleetPlan;
    settings: StackSettings;
    monitoring: MonitoringPlan;
}

// ---- AWS access ------------------------------------------------------------------------------

interface AwsErrorLike {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** One client per service, account and Region, with the account's credentials. */
class AwsClients {
    private readonly access = new Map<string, AccountInput & { alias?: string }>();
    private readonly s3 = new Map<string, S3ControlClient>();
    private readonly cw = new Map<string, CloudWatchClient>();

    constructor(
        accounts: Record<string, AccountInput>,
        private readonly endpoints: StatusEndpoints,
        private readonly maxAttempts: number,
    ) {
        for (const [alias, a] of Object.entries(accounts)) this.access.set(String(a.id), { ...a, alias });
    }

    /** How an account is reached, for messages: `accounts.<alias>` in stack config, or the default chain. */
    describe(account: string): string {
        const a = this.access.get(account);
        if (!a) return "the default credentials (the account has no entry in stack config accounts)";
        const how = a.roleArn
            ? `role ${a.roleArn}${a.profile ? ` via profile ${a.profile}` : ""}`
            : a.profile
              ? `profile ${a.profile}`
              : "the default credentials";
        return `accounts.${a.alias} (${how})`;
    }

    private common(account: string, region: string): { region: string; maxAttempts: number; credentials?: S3ControlClientConfig["credentials"] } {
        const a = this.access.get(account);
        const credentials = credentialsFor({
            accountId: account,
            region,
            ...(a?.roleArn ? { assumeRoleArn: a.roleArn } : {}),
            ...(a?.externalId ? { assumeRoleExternalId: a.externalId } : {}),
            ...(a?.profile ? { profile: a.profile } : {}),
            ...(this.endpoints.sts ? { stsEndpoint: this.endpoints.sts } : {}),
        });
        return { region, maxAttempts: this.maxAttempts, ...(credentials ? { credentials } : {}) };
    }

    s3control(account: string, region: string): S3ControlClient {
        const key = `${account}/${region}`;
        let client = this.s3.get(key);
        if (!client) {
            const config: S3ControlClientConfig = this.common(account, region);
            const endpoint = this.endpoints.s3control;
            // A custom endpoint is used verbatim: the SDK's rules would put the account id in front
            // of its host (as the backfill provider explains); the id still goes in x-amz-account-id.
            if (endpoint) config.endpointProvider = () => ({ url: new URL(endpoint) });
            client = new S3ControlClient(config);
            this.s3.set(key, client);
        }
        return client;
    }

    cloudwatch(account: string, region: string): CloudWatchClient {
        const key = `${account}/${region}`;
        let client = this.cw.get(key);
        if (!client) {
            const config: CloudWatchClientConfig = {
                ...this.common(account, region),
                ...(this.endpoints.cloudwatch ? { endpoint: this.endpoints.cloudwatch } : {}),
            };
            client = new CloudWatchClient(config);
            this.cw.set(key, client);
        }
        return client;
    }

    destroy(): void {
        for (const c of this.s3.values()) c.destroy();
        for (const c of this.cw.values()) c.destroy();
    }

    /** What went wrong, where, and what to do. */
    error(err: unknown, service: CheckError["service"], operation: string, account: string, region: string): CheckError {
        const e = (err ?? {}) as AwsErrorLike;
        const name = e.name ?? "Error";
        const said = escapeTerminal((e.message ?? String(err)).replace(/\.+$/, ""));
        const answered = e.$metadata?.httpStatusCode !== undefined;
        let hint: string;
        if (/AccessDenied|UnauthorizedOperation|InvalidClientTokenId|ExpiredToken|UnrecognizedClient/.test(name)) {
            hint = `the identity ${this.describe(account)} needs ${service === "CloudWatch" ? "cloudwatch:GetMetricData and cloudwatch:DescribeAlarms" : "s3:ListJobs and s3:DescribeJob"} in account ${account}`;
        } else if (name === "CredentialsProviderError" || /credential/i.test(name)) {
            hint = `no credentials for account ${account}: check ${this.describe(account)} and the credentials that reach it`;
        } else if (/Throttl|TooManyRequests|SlowDown/.test(name)) {
            hint = `still throttled after ${e.$metadata?.attempts ?? this.maxAttempts} attempts; run status again later`;
        } else {
            hint = `failed after ${e.$metadata?.attempts ?? "?"} attempt(s); run status again`;
        }
        const what = answered ? `AWS said ${name}: ${said}` : `no answer (${name}: ${said})`;
        return { service, operation, account, region, message: `${what}; ${hint}.` };
    }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    await Promise.all(
        Array.from({ length: Math.min(limit, items.length) }, async () => {
            while (next < items.length) {
                const i = next++;
                out[i] = await fn(items[i]);
            }
        }),
    );
    return out;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
    const out = new Map<string, T[]>();
    for (const i of items) out.set(key(i), [...(out.get(key(i)) ?? []), i]);
    return out;
}

const CONCURRENCY = 8;

// ---- the checks ------------------------------------------------------------------------------

/** "S3 Batch Replication (<mode>) for <what>": the description the package gives every job (jobDescription). */
const JOB_DESCRIPTION = /^S3 Batch Replication \(([a-z-]+)\) for (.+)$/;

/**
 * The package's jobs of each source that backfills: every distinct job description for that source
 * (one per job the stack defines, whatever it groups by), newest job first.
 */
async function checkJobs(view: StackView, clients: AwsClients, errors: CheckError[]): Promise<JobReport[]> {
    if (view.settings.backfill.enabled === false) return [];
    const backfilling = view.plan.spec.routes.filter(r => r.existingObjects !== "none");
    const sources = [...groupBy(backfilling, r => r.source)].sort(([a], [b]) => a.localeCompare(b));
    const reports: JobReport[] = [];
    const empty = (source: string, account: string, region: string, mode: string, state: JobReport["state"]): JobReport => ({
        source,
        account,
        region,
        job: source,
        mode,
        found: false,
        totalTasks: 0,
        succeededTasks: 0,
        failedTasks: 0,
        percent: 0,
        failureReasons: [],
        earlierJobs: 0,
        state,
    });
    await mapLimit([...groupBy(sources, ([, rs]) => `${rs[0].sourceAccount}/${rs[0].sourceRegion}`)], CONCURRENCY, async ([place, group]) => {
        const [account, region] = place.split("/");
        const client = clients.s3control(account, region);
        const jobs: JobListDescriptor[] = [];
        try {
            let token: string | undefined;
            do {
                const page = await client.send(new ListJobsCommand({ AccountId: account, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }));
                jobs.push(...(page.Jobs ?? []));
                token = page.NextToken;
            } while (token);
        } catch (err) {
            errors.push(clients.error(err, "S3 Control", "ListJobs", account, region));
            for (const [source, rs] of group) reports.push(empty(source, account, region, modesOf(rs), "unknown"));
            return;
        }
        for (const [source, rs] of group) {
            // Bucket names have no spaces: "for <source> " (or exactly "for <source>") names this source only.
            const mine = new Map<string, JobListDescriptor[]>();
            for (const j of jobs) {
                const m = j.Operation === "S3ReplicateObject" ? JOB_DESCRIPTION.exec(j.Description ?? "") : null;
                if (!m || !(m[2] === source || m[2].startsWith(`${source} `))) continue;
                mine.set(m[2], [...(mine.get(m[2]) ?? []), j]);
            }
            if (mine.size === 0) {
                reports.push(empty(source, account, region, modesOf(rs), "not-found"));
                continue;
            }
            await mapLimit(
                [...mine].sort(([a], [b]) => a.localeCompare(b)),
                CONCURRENCY,
                async ([what, list]) => {
                    list.sort((a, b) => (b.CreationTime?.getTime() ?? 0) - (a.CreationTime?.getTime() ?? 0));
                    const newest = list[0];
                    const report: JobReport = {
                        ...empty(source, account, region, JOB_DESCRIPTION.exec(newest.Description ?? "")?.[1] ?? "", "unknown"),
                        job: what,
                        found: true,
                        jobId: newest.JobId,
                        status: newest.Status,
                        earlierJobs: list.length - 1,
                        ...(newest.CreationTime ? { createdAt: newest.CreationTime.toISOString() } : {}),
                        totalTasks: newest.ProgressSummary?.TotalNumberOfTasks ?? 0,
                        succeededTasks: newest.ProgressSummary?.NumberOfTasksSucceeded ?? 0,
                        failedTasks: newest.ProgressSummary?.NumberOfTasksFailed ?? 0,
                    };
                    try {
                        const job = (await client.send(new DescribeJobCommand({ AccountId: account, JobId: newest.JobId }))).Job;
                        Object.assign(report, {
                            status: job?.Status ?? report.status,
                            totalTasks: job?.ProgressSummary?.TotalNumberOfTasks ?? report.totalTasks,
                            succeededTasks: job?.ProgressSummary?.NumberOfTasksSucceeded ?? report.succeededTasks,
                            failedTasks: job?.ProgressSummary?.NumberOfTasksFailed ?? report.failedTasks,
                            failureReasons: (job?.FailureReasons ?? []).map(f => `${f.FailureCode ?? "Unknown"}: ${f.FailureReason ?? ""}`.trim()),
                        });
                    } catch (err) {
                        errors.push(clients.error(err, "S3 Control", `DescribeJob ${newest.JobId}`, account, region));
                    }
                    const done = report.succeededTasks + report.failedTasks;
                    report.percent = report.totalTasks > 0 ? Math.min(100, Math.round((done / report.totalTasks) * 1000) / 10) : 0;
                    const status = report.status ?? "";
                    report.state =
                        FAILED.has(status) || report.failedTasks > 0
                            ? "failed"
                            : RUNNING.has(status)
                              ? "running"
                              : status === "Complete"
                                ? "complete"
                                : "unknown";
                    reports.push(report);
                },
            );
        }
    });
    return reports.sort((a, b) => a.source.localeCompare(b.source) || a.job.localeCompare(b.job));
}

const modesOf = (routes: ReadonlyArray<{ existingObjects: string }>) => [...new Set(routes.map(r => r.existingObjects))].sort().join(",");

async function checkMetrics(view: StackView, clients: AwsClients, errors: CheckError[], now: Date): Promise<RouteReport[]> {
    const reports = new Map<string, RouteReport>(
        view.monitoring.routes.map(r => [
            r.key,
            {
                route: r.key,
                source: r.source,
                destination: r.destination,
                ruleId: r.ruleId,
                sourceAccount: r.sourceAccount,
                sourceRegion: r.sourceRegion,
                destinationRegion: r.destinationRegion,
                enabled: r.enabled,
                metrics: r.metrics,
                failedOperations: null,
                bytesPending: null,
                operationsPending: null,
                latencyMaxSeconds: null,
                state: r.metrics ? "no-data" : "no-metrics",
            },
        ]),
    );
    const watched = view.monitoring.routes.filter(r => r.metrics && r.enabled);
    const start = new Date(now.getTime() - 3600_000);
    const failedChecks = new Set<string>();
    await mapLimit(routeMetricQueries(watched), CONCURRENCY, async batch => {
        const client = clients.cloudwatch(batch.account, batch.region);
        const results = new Map<string, MetricDataResult>();
        try {
            let token: string | undefined;
            do {
                const page = await client.send(
                    new GetMetricDataCommand({
                        MetricDataQueries: batch.queries,
                        StartTime: start,
                        EndTime: now,
                        ScanBy: "TimestampDescending",
                        ...(token ? { NextToken: token } : {}),
                    }),
                );
                for (const r of page.MetricDataResults ?? []) {
                    if (!r.Id) continue;
                    const prev = results.get(r.Id);
                    results.set(
                        r.Id,
                        prev
                            ? {
                                  ...prev,
                                  Timestamps: [...(prev.Timestamps ?? []), ...(r.Timestamps ?? [])],
                                  Values: [...(prev.Values ?? []), ...(r.Values ?? [])],
                              }
                            : r,
                    );
                }
                token = page.NextToken;
            } while (token);
        } catch (err) {
            errors.push(clients.error(err, "CloudWatch", "GetMetricData", batch.account, batch.region));
            for (const ref of batch.refs.values()) failedChecks.add(ref.routeKey);
            return;
        }
        for (const [id, ref] of batch.refs) {
            const values = results.get(id)?.Values ?? [];
            if (values.length === 0) continue;
            const report = reports.get(ref.routeKey)!;
            const set: Record<ReplicationMetricName, () => void> = {
                OperationsFailedReplication: () => {
                    report.failedOperations = values.reduce((a, b) => a + b, 0);
                },
                // Newest first (TimestampDescending): the latest backlog.
                BytesPendingReplication: () => {
                    report.bytesPending = values[0];
                },
                OperationsPendingReplication: () => {
                    report.operationsPending = values[0];
                },
                ReplicationLatency: () => {
                    report.latencyMaxSeconds = Math.max(...values);
                },
            };
            set[ref.metric]();
        }
    });
    for (const report of reports.values()) {
        if (!report.metrics || !report.enabled) continue;
        if (failedChecks.has(report.route)) report.state = "unknown";
        else if ((report.failedOperations ?? 0) > 0) report.state = "failed";
        else if ([report.failedOperations, report.bytesPending, report.operationsPending, report.latencyMaxSeconds].some(v => v !== null)) report.state = "ok";
    }
    return [...reports.values()];
}

async function checkAlarms(view: StackView, clients: AwsClients, errors: CheckError[]): Promise<AlarmReport[]> {
    const planned = view.monitoring.alarms;
    const reports = new Map<string, AlarmReport>(
        planned.map(a => [`${a.account}/${a.region}/${a.alarmName}`, { name: a.alarmName, account: a.account, region: a.region, state: "MISSING" }]),
    );
    const chunks: Array<{ account: string; region: string; names: string[] }> = [];
    for (const [place, alarms] of groupBy(planned, a => `${a.account}/${a.region}`)) {
        const [account, region] = place.split("/");
        const names = [...new Set(alarms.map(a => a.alarmName))].sort();
        // DescribeAlarms takes at most 100 alarm names per call.
        for (let i = 0; i < names.length; i += 100) chunks.push({ account, region, names: names.slice(i, i + 100) });
    }
    await mapLimit(chunks, CONCURRENCY, async ({ account, region, names }) => {
        const client = clients.cloudwatch(account, region);
        try {
            let token: string | undefined;
            do {
                const page = await client.send(
                    new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ["MetricAlarm"], MaxRecords: 100, ...(token ? { NextToken: token } : {}) }),
                );
                for (const a of page.MetricAlarms ?? []) {
                    const report = reports.get(`${account}/${region}/${a.AlarmName}`);
                    if (!report) continue;
                    report.state = (a.StateValue ?? "INSUFFICIENT_DATA") as AlarmReport["state"];
                    if (a.StateReason) report.reason = a.StateReason;
                    if (a.StateUpdatedTimestamp) report.updatedAt = a.StateUpdatedTimestamp.toISOString();
                }
                token = page.NextToken;
            } while (token);
        } catch (err) {
            errors.push(clients.error(err, "CloudWatch", "DescribeAlarms", account, region));
            for (const n of names) reports.get(`${account}/${region}/${n}`)!.state = "UNKNOWN";
        }
    });
    return [...reports.values()].sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region) || a.name.localeCompare(b.name));
}

/** Everything `status` reports, from one round of calls. */
async function collectStatus(view: StackView, clients: AwsClients, now: Date): Promise<StatusReport> {
    const errors: CheckError[] = [];
    const [jobs, routes, alarms] = await Promise.all([
        checkJobs(view, clients, errors),
        checkMetrics(view, clients, errors, now),
        checkAlarms(view, clients, errors),
    ]);
    const count = <T>(items: T[], f: (t: T) => boolean) => items.filter(f).length;
    const summary: StatusReport["summary"] = {
        routes: routes.length,
        jobs: {
            running: count(jobs, j => j.state === "running"),
            complete: count(jobs, j => j.state === "complete"),
            failed: count(jobs, j => j.state === "failed"),
            notFound: count(jobs, j => j.state === "not-found"),
            unknown: count(jobs, j => j.state === "unknown"),
        },
        tasks: {
            total: jobs.reduce((a, j) => a + j.totalTasks, 0),
            succeeded: jobs.reduce((a, j) => a + j.succeededTasks, 0),
            failed: jobs.reduce((a, j) => a + j.failedTasks, 0),
        },
        routesWithFailures: count(routes, r => r.state === "failed"),
        alarms: {
            alarm: count(alarms, a => a.state === "ALARM"),
            ok: count(alarms, a => a.state === "OK"),
            insufficientData: count(alarms, a => a.state === "INSUFFICIENT_DATA"),
            missing: count(alarms, a => a.state === "MISSING"),
            unknown: count(alarms, a => a.state === "UNKNOWN"),
        },
        errors: errors.length,
    };
    const healthy = summary.jobs.failed === 0 && summary.routesWithFailures === 0 && summary.alarms.alarm === 0 && errors.length === 0;
    return { stack: view.stack, checkedAt: now.toISOString(), healthy, summary, jobs, routes, alarms, errors };
}

// ---- output ----------------------------------------------------------------------------------

export function formatBytes(n: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let v = n;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
        v /= 1024;
        u++;
    }
    return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

const routeLabel = (r: { source: string; destination: string; ruleId: string }) => escapeTerminal(`${r.source} -> ${r.destination} [${r.ruleId}]`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The human report (every value from AWS escaped for the terminal). */
export function statusText(report: StatusReport): string {
    const lines: string[] = [];
    const s = report.summary;
    lines.push(
        `Status of stack "${escapeTerminal(report.stack)}": ${plural(s.routes, "route")}, ${plural(report.jobs.length, "backfill job")}, ${plural(report.alarms.length, "alarm")}; checked ${report.checkedAt} (metrics: the last hour).`,
    );
    if (report.jobs.length > 0) {
        lines.push("", "Backfill jobs (S3 Batch Replication)");
        for (const j of report.jobs) {
            const tag = { running: "RUNNING", complete: "COMPLETE", failed: "FAILED", "not-found": "NOT FOUND", unknown: "UNKNOWN" }[j.state];
            const progress = j.found
                ? `${escapeTerminal(j.status ?? "?")}, ${j.succeededTasks + j.failedTasks}/${j.totalTasks} tasks (${j.percent}%), ${j.failedTasks} failed; job ${escapeTerminal(j.jobId ?? "?")}${j.earlierJobs ? ` (+${j.earlierJobs} earlier)` : ""}`
                : j.state === "unknown"
                  ? "could not be checked (see below)"
                  : "no job in the last 90 days: not started yet, or ended long ago";
            lines.push(`  ${tag.padEnd(9)} ${escapeTerminal(j.job)} (${j.mode}, ${j.account} ${j.region}): ${progress}`);
            for (const reason of j.failureReasons) lines.push(`            ${escapeTerminal(reason)}`);
        }
    }
    lines.push("", "Replication, last hour");
    for (const r of report.routes) {
        if (!r.enabled) {
            lines.push(`  ${"DISABLED".padEnd(9)} ${routeLabel(r)}`);
            continue;
        }
        const tag = { ok: "OK", failed: "FAILED", "no-data": "NO DATA", "no-metrics": "NO METRICS", unknown: "UNKNOWN" }[r.state];
        const detail =
            r.state === "no-metrics"
                ? "replication metrics are off for this rule (monitoring.metrics: false)"
                : r.state === "unknown"
                  ? "could not be checked (see below)"
                  : r.state === "no-data"
                    ? "no datapoints: nothing to replicate in the last hour, or metrics were enabled less than 15 minutes ago"
                    : [
                          `${r.failedOperations ?? 0} failed operation${r.failedOperations === 1 ? "" : "s"}`,
                          `pending ${r.bytesPending === null ? "-" : formatBytes(r.bytesPending)} / ${r.operationsPending ?? "-"} operations`,
                          `latency max ${r.latencyMaxSeconds === null ? "-" : `${r.latencyMaxSeconds} s`}`,
                      ].join(", ");
        lines.push(`  ${tag.padEnd(9)} ${routeLabel(r)}: ${detail}`);
    }
    const a = s.alarms;
    lines.push(
        "",
        `Alarms: ${a.alarm} in ALARM, ${a.ok} OK, ${a.insufficientData} with insufficient data, ${a.missing} not found${a.unknown ? `, ${a.unknown} not checked` : ""}`,
    );
    for (const alarm of report.alarms.filter(x => x.state === "ALARM" || x.state === "MISSING")) {
        const why =
            alarm.state === "ALARM"
                ? alarm.reason
                    ? `: ${escapeTerminal(alarm.reason)}`
                    : ""
                : ": not found (the stack is not deployed yet, or the alarm was deleted)";
        lines.push(`  ${alarm.state.padEnd(9)} ${escapeTerminal(alarm.name)} (${alarm.account} ${alarm.region})${why}`);
    }
    if (report.errors.length > 0) {
        lines.push("", `Could not check (${report.errors.length})`);
        for (const e of report.errors) lines.push(`  ${e.service} ${escapeTerminal(e.operation)} in ${e.account} ${e.region}: ${e.message}`);
    }
    const problems = [
        s.jobs.failed && plural(s.jobs.failed, "failed backfill job"),
        s.routesWithFailures && plural(s.routesWithFailures, "route with failed operations"),
        a.alarm && plural(a.alarm, "alarm") + " in ALARM",
        report.errors.length && plural(report.errors.length, "check") + " that could not run",
    ].filter((x): x is string => typeof x === "string");
    lines.push(
        "",
        report.healthy
            ? `Healthy: no failed job, no failed replication in the last hour, no alarm in ALARM${s.jobs.running ? `; ${plural(s.jobs.running, "backfill job")} running` : ""}.`
            : `Unhealthy: ${problems.join(", ")}.`,
    );
    return lines.join("\n");
}

/** One line per poll for --watch output that is not a terminal (logs). */
function pollLine(report: StatusReport): string {
    const s = report.summary;
    return `${report.checkedAt} jobs: ${s.jobs.running} running, ${s.jobs.complete} complete, ${s.jobs.failed} failed; tasks ${s.tasks.succeeded + s.tasks.failed}/${s.tasks.total}; alarms in ALARM: ${s.alarms.alarm}`;
}

/** A bar per running job and a fleet total, drawn only on a terminal. */
class JobBars {
    private readonly multi?: MultiBar;
    private readonly bars = new Map<string, SingleBar>();
    private total?: SingleBar;
    private stopped = false;

    constructor(stream: NodeJS.WritableStream & { isTTY?: boolean }, enabled: boolean) {
        if (!enabled || stream.isTTY !== true) return;
        this.multi = new MultiBar({
            stream: stream as NodeJS.WriteStream,
            format: "{label} |{bar}| {percentage}% {value}/{total} tasks {status}",
            hideCursor: false,
            clearOnComplete: false,
            emptyOnZero: true,
            fps: 5,
        });
    }

    update(report: StatusReport): void {
        if (!this.multi) return;
        for (const j of report.jobs.filter(x => x.found && (x.state === "running" || this.bars.has(`${x.source}\0${x.job}`)))) {
            const payload = { label: escapeTerminal(j.job), status: escapeTerminal(j.status ?? "") };
            const done = j.succeededTasks + j.failedTasks;
            const key = `${j.source}\0${j.job}`;
            let bar = this.bars.get(key);
            if (!bar) {
                bar = this.multi.create(j.totalTasks, done, payload);
                this.bars.set(key, bar);
            }
            bar.setTotal(j.totalTasks);
            bar.update(done, payload);
        }
        if (this.bars.size === 0) return;
        const t = report.summary.tasks;
        const payload = { label: "fleet total", status: `${report.summary.jobs.running} running, ${report.summary.jobs.failed} failed` };
        if (!this.total) this.total = this.multi.create(t.total, t.succeeded + t.failed, payload);
        this.total.setTotal(t.total);
        this.total.update(t.succeeded + t.failed, payload);
    }

    stop(): void {
        if (this.stopped) return;
        this.stopped = true;
        this.multi?.stop();
    }
}

// ---- the command -----------------------------------------------------------------------------

export async function runStatus(options: StatusOptions, io: StatusIo): Promise<number> {
    const validation = await validateStack(options.stack, { ...(options.stacksDir !== undefined ? { stacksDir: options.stacksDir } : {}) });
    const context = loadStackContext(options.stack, options.stacksDir);
    if (validation.fatal || !validation.ok || !validation.plan || !context.settings) {
        for (const d of validation.errors) io.err(escapeTerminal(formatDiagnostic(d)));
        io.err(
            `status: stack ${escapeTerminal(options.stack)} cannot be read as it deploys; fix the problems above (s3-replication validate --stack ${escapeTerminal(options.stack)}).`,
        );
        return EXIT_UNUSABLE;
    }
    const settings = context.settings;
    // A sharded stack deploys (and is asked about) its own routes only, under its own names.
    const plan = validation.plan;
    const inShard = (r: { source: string; sourceAccount: string; sourceRegion: string }) => routeInShard(r, settings.shard);
    const view: StackView = {
        stack: options.stack,
        plan: { ...plan, spec: { ...plan.spec, routes: plan.spec.routes.filter(inShard) } },
        settings,
        monitoring: planMonitoring(plan, settings.monitoring, { inShard, shardTag: shardTag(settings.shard) }),
    };
    const endpoints: StatusEndpoints = {
        ...(settings.backfill.endpoint ? { s3control: settings.backfill.endpoint } : {}),
        ...options.endpoints,
    };
    const clients = new AwsClients(settings.accounts, endpoints, options.maxAttempts ?? 5);
    const now = options.now ?? (() => new Date());
    const bars = new JobBars(options.progressStream ?? process.stdout, !options.json);
    const interval = Math.max(0, (options.intervalSeconds ?? 30) * 1000);
    try {
        let report = await collectStatus(view, clients, now());
        bars.update(report);
        let polls = 1;
        const ticking = options.progressStream?.isTTY ?? process.stdout.isTTY;
        while (options.watch && report.summary.jobs.running > 0 && (options.maxPolls === undefined || polls < options.maxPolls)) {
            if (!options.json && !ticking) io.out(pollLine(report));
            await new Promise(resolve => setTimeout(resolve, interval));
            report = await collectStatus(view, clients, now());
            bars.update(report);
            polls++;
        }
        bars.stop();
        io.out(options.json ? safeJson(report, 2) : statusText(report));
        return report.healthy ? EXIT_HEALTHY : EXIT_UNHEALTHY;
    } finally {
        bars.stop();
        clients.destroy();
    }
}
