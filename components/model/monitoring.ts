/**
 * Monitoring of a replication fleet as plain data: which replication metrics each rule
 * publishes, the CloudWatch alarms, dashboards and SNS topics that watch them, the S3 event
 * notifications that report failed objects, and the GetMetricData queries `status` sends.
 * Pure: no Pulumi, no AWS SDK. The ReplicationMonitoring component registers this plan; the
 * CLI's `status` reads it to know what to ask AWS.
 *
 * AWS facts used here, and where they come from:
 * - Replication metrics can be enabled without Replication Time Control (`Metrics` alone, no
 *   `EventThreshold`); RTC turns them on and needs them. OperationsFailedReplication is published
 *   in the Region of the SOURCE bucket; BytesPendingReplication, OperationsPendingReplication and
 *   ReplicationLatency in the Region of the DESTINATION bucket; all with the dimensions
 *   SourceBucket, DestinationBucket and RuleId in namespace AWS/S3.
 *   (S3 User Guide, "Using S3 Replication metrics":
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html)
 * - Failure events need replication metrics on the rule, not RTC; the threshold events need RTC.
 *   (S3 User Guide, "Receiving replication failure events with Amazon S3 Event Notifications":
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html)
 * - An SNS topic that receives S3 events must allow s3.amazonaws.com to publish, scoped with
 *   aws:SourceArn and aws:SourceAccount (S3 User Guide, "Granting permissions to publish event
 *   notification messages to a destination":
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
 * - Alarms may evaluate a Metrics Insights query (at most 200 such alarms per account and Region,
 *   only the last 3 hours of data): "Create a CloudWatch alarm based on a Metrics Insights query",
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html
 *   and "Limits": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html
 * - A dashboard body holds 0 to 500 widgets; a metric widget names its own Region, so one
 *   (global) dashboard shows metrics of several Regions ("Dashboard Body Structure and Syntax":
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
 */
import { z } from "zod";
import { partitionOf } from "./aws-facts";
import type { Column } from "./columns";
import { Diagnostic, SourceLocation, diag } from "./diagnostics";
import type { FleetPlan } from "./fleet-plan";
import type { RouteRecord, RouteSpec } from "./fleet-spec";
import { shortHash } from "./iam";
import { PolicyDocument, PolicyStatement, policyDocument } from "./policy-document";

/** How a fleet is watched. Every field is optional; the defaults are what a fleet should have. */
export interface MonitoringSettings {
    /**
     * Replication metrics on every rule (default true). Rules with RTC always have them: S3
     * requires metrics with Replication Time Control.
     */
    metrics?: boolean;
    /** Per-route alarms: failed operations, and latency over the RTC threshold (default true). */
    alarms?: boolean;
    /** One Metrics Insights alarm per source account and Region on failures of any rule (default true). */
    fleetAlarm?: boolean;
    /** Alarm when BytesPendingReplication keeps growing for `pendingGrowthMinutes` (default false). */
    pendingGrowthAlarm?: boolean;
    /** How long pending bytes must grow, every 5-minute period, before that alarm fires (default 30). */
    pendingGrowthMinutes?: number;
    /** ReplicationLatency (seconds) above which an RTC route's latency alarm fires (default 900: the RTC threshold). */
    latencyThresholdSeconds?: number;
    /** A dashboard per source account and Region (default true). */
    dashboards?: boolean;
    /**
     * S3 event notifications for replication failures (default true): on source buckets the stack
     * creates, and on adopted ones whose `failure_events` column is true. False writes none.
     */
    failureEvents?: boolean;
    /**
     * Existing SNS topic ARNs to notify instead of creating one: each is used for the account and
     * Region its ARN names (an alarm can only notify a topic in its own Region).
     */
    topicArns?: string[];
    /** Prefix of the names of topics, alarms and dashboards (default "s3-replication"); give each fleet sharing an account its own. */
    namePrefix?: string;
}

/** The stack config schema of `monitoring` (pulumi-s3-replication:monitoring). */
export const monitoringSettingsSchema = z
    .object({
        metrics: z.boolean().optional(),
        alarms: z.boolean().optional(),
        fleetAlarm: z.boolean().optional(),
        pendingGrowthAlarm: z.boolean().optional(),
        pendingGrowthMinutes: z.number().int().min(10).max(1440).multipleOf(5).optional(),
        latencyThresholdSeconds: z.number().int().positive().optional(),
        dashboards: z.boolean().optional(),
        failureEvents: z.boolean().optional(),
        topicArns: z.array(z.string()).optional(),
        namePrefix: z
            .string()
            .regex(/^[A-Za-z0-9_-]{1,64}$/, "use 1-64 letters, digits, - or _")
            .optional(),
    })
    .strict() satisfies z.ZodType<MonitoringSettings>;

/** The settings with every default applied. */
export type ResolvedMonitoringSettings = Required<Omit<MonitoringSettings, "topicArns">> & { topicArns: string[] };

export const MONITORING_DEFAULTS: Readonly<ResolvedMonitoringSettings> = Object.freeze({
    metrics: true,
    alarms: true,
    fleetAlarm: true,
    pendingGrowthAlarm: false,
    pendingGrowthMinutes: 30,
    latencyThresholdSeconds: 900,
    dashboards: true,
    failureEvents: true,
    topicArns: [],
    namePrefix: "s3-replication",
});

export function resolveMonitoringSettings(settings: MonitoringSettings | undefined): ResolvedMonitoringSettings {
    const s = settings ?? {};
    const pick = <K extends keyof ResolvedMonitoringSettings>(k: K): ResolvedMonitoringSettings[K] =>
        (s[k] ?? MONITORING_DEFAULTS[k]) as ResolvedMonitoringSettings[K];
    return {
        metrics: pick("metrics"),
        alarms: pick("alarms"),
        fleetAlarm: pick("fleetAlarm"),
        pendingGrowthAlarm: pick("pendingGrowthAlarm"),
        pendingGrowthMinutes: pick("pendingGrowthMinutes"),
        latencyThresholdSeconds: pick("latencyThresholdSeconds"),
        dashboards: pick("dashboards"),
        failureEvents: pick("failureEvents"),
        topicArns: [...(s.topicArns ?? [])],
        namePrefix: pick("namePrefix"),
    };
}

// ---- AWS names ---------------------------------------------------------------------------------

export const S3_NAMESPACE = "AWS/S3";

/** The replication metrics S3 publishes per rule, and the Region each is published in. */
export const REPLICATION_METRICS = {
    OperationsFailedReplication: { region: "source", stat: "Sum" },
    BytesPendingReplication: { region: "destination", stat: "Maximum" },
    OperationsPendingReplication: { region: "destination", stat: "Maximum" },
    ReplicationLatency: { region: "destination", stat: "Maximum" },
} as const;

export type ReplicationMetricName = keyof typeof REPLICATION_METRICS;

/** The event types of S3 Event Notifications for replication (replication-metrics-events.html). */
export const REPLICATION_EVENTS = {
    /** An object eligible for replication failed to replicate (needs replication metrics). */
    failed: "s3:Replication:OperationFailedReplication",
    /** An RTC object exceeded the 15-minute threshold (needs RTC). */
    missedThreshold: "s3:Replication:OperationMissedThreshold",
    /** An RTC object replicated after the threshold (needs RTC): tells that a missed one arrived. */
    replicatedAfterThreshold: "s3:Replication:OperationReplicatedAfterThreshold",
} as const;

/** The event types a source bucket sends: failures always, threshold events when a rule has RTC. */
export function failureEventTypes(anyRtc: boolean): string[] {
    return anyRtc ? [REPLICATION_EVENTS.failed, REPLICATION_EVENTS.missedThreshold, REPLICATION_EVENTS.replicatedAfterThreshold] : [REPLICATION_EVENTS.failed];
}

/** The dimensions S3 replication metrics carry, for one rule. */
export function replicationDimensions(route: Pick<RouteSpec, "source" | "destination" | "ruleId">): Record<string, string> {
    return { SourceBucket: route.source, DestinationBucket: route.destination, RuleId: route.ruleId };
}

/** Whether a route's rule publishes replication metrics: RTC rules always do. */
export function routeHasMetrics(route: Pick<RouteSpec, "rtc">, settings: Pick<MonitoringSettings, "metrics">): boolean {
    return route.rtc || settings.metrics !== false;
}

/** `arn:aws:sns:us-east-1:111111111111:name`, parsed. */
export function parseTopicArn(arn: string): { partition: string; region: string; account: string; name: string } | undefined {
    const m = /^arn:(aws[a-z-]*):sns:([a-z]{2,4}(?:-[a-z]+)+-\d+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/.exec(arn);
    return m ? { partition: m[1], region: m[2], account: m[3], name: m[4] } : undefined;
}

export function topicArn(account: string, region: string, name: string): string {
    return `arn:${partitionOf(region)}:sns:${region}:${account}:${name}`;
}

export function alarmArn(account: string, region: string, name: string): string {
    return `arn:${partitionOf(region)}:cloudwatch:${region}:${account}:alarm:${name}`;
}

/** CloudWatch names are at most 255 characters: a longer one keeps its start and a hash of the whole. */
function boundedName(name: string, max = 255): string {
    return name.length <= max ? name : `${name.slice(0, max - 9)}-${shortHash(name)}`;
}

/** Pulumi resource names derived from a route key (`a->b` becomes `a-to-b`). */
function routeResourceName(route: RouteSpec): string {
    return route.key.replace("->", "-to-");
}

/** Problems with the settings themselves (topic ARNs that are not SNS topic ARNs, or two for one place). */
export function monitoringSettingsProblems(settings: MonitoringSettings | undefined, path = "monitoring"): Diagnostic[] {
    const out: Diagnostic[] = [];
    const seen = new Map<string, string>();
    (settings?.topicArns ?? []).forEach((arn, i) => {
        const at = { path: `${path}.topicArns[${i}]` };
        const t = parseTopicArn(arn);
        if (!t) {
            out.push(
                diag("INVALID_CONFIG", `${path}.topicArns[${i}] ${JSON.stringify(arn)} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>).`, at),
            );
            return;
        }
        if (t.partition !== partitionOf(t.region)) {
            out.push(
                diag(
                    "INVALID_CONFIG",
                    `${path}.topicArns[${i}] is in partition ${t.partition} but names Region ${t.region} (partition ${partitionOf(t.region)}).`,
                    at,
                ),
            );
        }
        const place = `${t.account}/${t.region}`;
        const prev = seen.get(place);
        if (prev)
            out.push(
                diag(
                    "INVALID_CONFIG",
                    `${path}.topicArns[${i}] is a second topic for account ${t.account} in ${t.region} (${prev} is the first); give one topic per account and Region.`,
                    at,
                ),
            );
        else seen.set(place, arn);
    });
    return out;
}

// ---- failure_events: the manifest's opt-in for adopted buckets ---------------------------------

const FAILURE_EVENTS: Column = "failure_events";
// The words RecordReader.bool (fleet-spec.ts) accepts for every true/false column.
const TRUE_WORDS = new Set(["true", "yes", "y", "1", "enabled", "on"]);
const FALSE_WORDS = new Set(["false", "no", "n", "0", "disabled", "off"]);

export interface FailureEventChoices {
    /** Source bucket -> what a row (or stack default) says; absent: nobody said. */
    bySource: Map<string, boolean>;
    diagnostics: Diagnostic[];
}

function locOf(record: RouteRecord, column: Column): SourceLocation {
    return record.locs?.[column] ?? { ...record.at, ...(record.at.path !== undefined ? { path: `${record.at.path}.${column}` } : { column }) };
}

function readBoolean(v: unknown): boolean | undefined {
    if (typeof v === "boolean") return v;
    if (typeof v !== "string" && typeof v !== "number") return undefined;
    const s = String(v).trim().toLowerCase();
    return TRUE_WORDS.has(s) ? true : FALSE_WORDS.has(s) ? false : undefined;
}

function isBlank(v: unknown): boolean {
    return v === undefined || v === null || (typeof v === "string" && v.trim() === "");
}

/**
 * What the `failure_events` column says for each source bucket. A row's value is about its
 * source; two rows of one source that disagree are a conflict. Never throws.
 */
export function failureEventChoices(records: readonly RouteRecord[], defaults: Partial<Record<Column, unknown>> = {}): FailureEventChoices {
    const bySource = new Map<string, boolean>();
    const firstAt = new Map<string, SourceLocation>();
    const diagnostics: Diagnostic[] = [];
    for (const record of records) {
        const source = record.values.source_bucket;
        if (typeof source !== "string" || source.trim() === "") continue;
        const name = source.trim();
        const explicit = !isBlank(record.values[FAILURE_EVENTS]);
        const raw = explicit ? record.values[FAILURE_EVENTS] : defaults[FAILURE_EVENTS];
        if (isBlank(raw)) continue;
        const at = locOf(record, FAILURE_EVENTS);
        const value = readBoolean(raw);
        if (value === undefined) {
            diagnostics.push(
                diag(
                    "INVALID_VALUE",
                    `failure_events must be true or false (also yes/no, enabled/disabled), not ${typeof raw === "string" ? JSON.stringify(raw) : typeof raw}.`,
                    at,
                ),
            );
            continue;
        }
        const prev = bySource.get(name);
        if (prev !== undefined && prev !== value) {
            const where = firstAt.get(name);
            const there = where?.row !== undefined ? `row ${where.row}` : (where?.path ?? "another route");
            diagnostics.push(
                diag(
                    "CONFLICTING_BUCKET_SETTINGS",
                    `failure_events is ${value} here but ${prev} for ${name} at ${there}; the setting is about the source bucket, so give every route of ${name} the same value.`,
                    at,
                ),
            );
            continue;
        }
        if (prev === undefined) {
            bySource.set(name, value);
            firstAt.set(name, at);
        }
    }
    return { bySource, diagnostics };
}

// ---- the plan ----------------------------------------------------------------------------------

/** One metric a query or alarm reads. */
export interface MetricRef {
    namespace: string;
    metricName: ReplicationMetricName;
    dimensions: Record<string, string>;
    stat: "Sum" | "Maximum";
    period: number;
}

/** One entry of an alarm's metric queries (PutMetricAlarm `Metrics`). */
export interface AlarmQuery {
    id: string;
    metric?: MetricRef;
    /** Metric math, or a Metrics Insights query. */
    expression?: string;
    /** Needed with a Metrics Insights expression. */
    period?: number;
    label?: string;
    returnData: boolean;
}

export type AlarmKind = "failed" | "latency" | "pending-growth" | "fleet-failed";

export interface AlarmSpec {
    /** The resource's name in the stack: a function of what it watches. */
    resourceName: string;
    kind: AlarmKind;
    account: string;
    region: string;
    alarmName: string;
    description: string;
    /** A single-metric alarm. */
    metric?: MetricRef;
    /** A metric math or Metrics Insights alarm. */
    queries?: AlarmQuery[];
    comparisonOperator: "GreaterThanThreshold";
    threshold: number;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    /** No data is not a failure: the failure metric is only published when replication happens. */
    treatMissingData: "notBreaching";
    topicArn: string;
    /** The route it watches (absent for the fleet alarm). */
    routeKey?: string;
}

export interface TopicSpec {
    resourceName: string;
    account: string;
    region: string;
    name: string;
    arn: string;
    /** False: a topic given in settings, used as it is (its policy is the owner's business). */
    create: boolean;
    /** Source buckets whose failure events go here (the topic policy lets S3 publish for them). */
    eventSources: string[];
}

export interface NotificationSpec {
    resourceName: string;
    bucket: string;
    account: string;
    region: string;
    topicArn: string;
    events: string[];
    /** Why this bucket gets notifications: created by the stack, or opted in by the manifest. */
    reason: "created" | "opted-in";
}

export interface DashboardSpec {
    resourceName: string;
    account: string;
    region: string;
    name: string;
    /** Route keys on this dashboard, in order. */
    routes: string[];
    body: DashboardBody;
}

/** What `status` and the dashboards need to know about a route. */
export interface WatchedRoute {
    key: string;
    source: string;
    destination: string;
    ruleId: string;
    sourceAccount: string;
    sourceRegion: string;
    destinationRegion: string;
    rtc: boolean;
    enabled: boolean;
    /** The rule publishes replication metrics. */
    metrics: boolean;
}

export interface MonitoringPlan {
    settings: ResolvedMonitoringSettings;
    routes: WatchedRoute[];
    topics: TopicSpec[];
    alarms: AlarmSpec[];
    dashboards: DashboardSpec[];
    notifications: NotificationSpec[];
}

export interface PlanMonitoringOptions {
    /** Whether this stack deploys a route (sharded stacks); default: every route. */
    inShard?: (route: RouteSpec) => boolean;
    /**
     * A sharded stack's tag (sharding.ts `shardTag`, which names its roles too): appended to the
     * names of what an account and Region share (topic, fleet alarm, dashboard), so shards that
     * meet in one account and Region never register the same name.
     */
    shardTag?: string;
    /** The `failure_events` choices (see failureEventChoices). */
    failureEvents?: ReadonlyMap<string, boolean>;
}

/** Alarm periods: 5 minutes, the granularity the alarms and dashboards use. */
export const ALARM_PERIOD_SECONDS = 300;
/** Routes per dashboard: a header plus three widgets a route stays within the 500-widget limit. */
export const ROUTES_PER_DASHBOARD = 100;

/**
 * The Metrics Insights query of the fleet alarm: the failed operations of every replication rule
 * in the account and Region, summed into one series (SCHEMA keeps it to metrics with exactly the
 * replication dimensions).
 */
export const FLEET_FAILED_QUERY = `SELECT SUM(OperationsFailedReplication) FROM SCHEMA("${S3_NAMESPACE}", DestinationBucket, RuleId, SourceBucket)`;

function watched(route: RouteSpec, settings: ResolvedMonitoringSettings): WatchedRoute {
    return {
        key: route.key,
        source: route.source,
        destination: route.destination,
        ruleId: route.ruleId,
        sourceAccount: route.sourceAccount,
        sourceRegion: route.sourceRegion,
        destinationRegion: route.destinationRegion,
        rtc: route.rtc,
        enabled: route.status === "Enabled",
        metrics: routeHasMetrics(route, settings),
    };
}

/** The watched routes of a fleet (metrics, RTC, Regions), without planning any resource. */
export function watchedRoutes(routes: readonly RouteSpec[], settings: MonitoringSettings | undefined): WatchedRoute[] {
    const s = resolveMonitoringSettings(settings);
    return [...routes].sort((a, b) => a.key.localeCompare(b.key)).map(r => watched(r, s));
}

const group = <T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> => {
    const out = new Map<string, T[]>();
    for (const item of items) {
        const k = keyOf(item);
        const list = out.get(k);
        if (list) list.push(item);
        else out.set(k, [item]);
    }
    return out;
};

/**
 * Everything that watches the routes a stack deploys (all of them, or its shard's): per route its
 * alarms, per source its failure events, and per account and Region the topic, fleet alarm and
 * dashboard those need. Every name is a function of what it watches (and of the shard), never of
 * which other routes exist, so adding a route renames nothing.
 */
export function planMonitoring(
    plan: Pick<FleetPlan, "spec" | "sources">,
    settings: MonitoringSettings | undefined,
    options: PlanMonitoringOptions = {},
): MonitoringPlan {
    const s = resolveMonitoringSettings(settings);
    const inShard = options.inShard ?? (() => true);
    const suffix = options.shardTag ? `-${options.shardTag}` : "";
    const routes = plan.spec.routes.filter(inShard).sort((a, b) => a.key.localeCompare(b.key));
    const live = routes.filter(r => r.status === "Enabled" && routeHasMetrics(r, s));
    const given = new Map<string, string>();
    for (const arn of s.topicArns) {
        const t = parseTopicArn(arn);
        if (t && !given.has(`${t.account}/${t.region}`)) given.set(`${t.account}/${t.region}`, arn);
    }
    const topicName = `${s.namePrefix}-alerts${suffix}`;
    const needed = new Set<string>();
    const needTopic = (account: string, region: string): string => {
        needed.add(`${account}/${region}`);
        return given.get(`${account}/${region}`) ?? topicArn(account, region, topicName);
    };

    const alarms: AlarmSpec[] = [];
    if (s.alarms) {
        for (const r of live) {
            const dims = replicationDimensions(r);
            const base = {
                routeKey: r.key,
                account: r.sourceAccount,
                comparisonOperator: "GreaterThanThreshold" as const,
                treatMissingData: "notBreaching" as const,
            };
            alarms.push({
                ...base,
                kind: "failed",
                region: r.sourceRegion,
                resourceName: `alarm-failed-${routeResourceName(r)}`,
                alarmName: boundedName(`${s.namePrefix}-failed-${r.source}-${r.ruleId}`),
                description: `S3 replication ${r.source} -> ${r.destination} (rule ${r.ruleId}): operations failed to replicate. S3 does not retry failed objects; find them in the failure events or re-run them with existing_objects=failed.`,
                metric: { namespace: S3_NAMESPACE, metricName: "OperationsFailedReplication", dimensions: dims, stat: "Sum", period: ALARM_PERIOD_SECONDS },
                threshold: 0,
                evaluationPeriods: 1,
                datapointsToAlarm: 1,
                topicArn: needTopic(r.sourceAccount, r.sourceRegion),
            });
            // Latency and pending metrics are published in the destination's Region: alarms live there.
            if (r.rtc) {
                alarms.push({
                    ...base,
                    kind: "latency",
                    region: r.destinationRegion,
                    resourceName: `alarm-latency-${routeResourceName(r)}`,
                    alarmName: boundedName(`${s.namePrefix}-latency-${r.source}-${r.ruleId}`),
                    description: `S3 replication ${r.source} -> ${r.destination} (rule ${r.ruleId}, RTC): the destination is more than ${s.latencyThresholdSeconds} s behind the source.`,
                    metric: { namespace: S3_NAMESPACE, metricName: "ReplicationLatency", dimensions: dims, stat: "Maximum", period: ALARM_PERIOD_SECONDS },
                    threshold: s.latencyThresholdSeconds,
                    evaluationPeriods: 1,
                    datapointsToAlarm: 1,
                    topicArn: needTopic(r.sourceAccount, r.destinationRegion),
                });
            }
            if (s.pendingGrowthAlarm) {
                const periods = Math.max(2, Math.round((s.pendingGrowthMinutes * 60) / ALARM_PERIOD_SECONDS));
                alarms.push({
                    ...base,
                    kind: "pending-growth",
                    region: r.destinationRegion,
                    resourceName: `alarm-pending-${routeResourceName(r)}`,
                    alarmName: boundedName(`${s.namePrefix}-pending-growing-${r.source}-${r.ruleId}`),
                    description: `S3 replication ${r.source} -> ${r.destination} (rule ${r.ruleId}): bytes pending replication grew in every 5-minute period for ${periods * 5} minutes.`,
                    queries: [
                        {
                            id: "pending",
                            metric: {
                                namespace: S3_NAMESPACE,
                                metricName: "BytesPendingReplication",
                                dimensions: dims,
                                stat: "Maximum",
                                period: ALARM_PERIOD_SECONDS,
                            },
                            returnData: false,
                        },
                        { id: "growth", expression: "DIFF(pending)", label: "growth of bytes pending replication", returnData: true },
                    ],
                    threshold: 0,
                    evaluationPeriods: periods,
                    datapointsToAlarm: periods,
                    topicArn: needTopic(r.sourceAccount, r.destinationRegion),
                });
            }
        }
    }

    const bySourcePlace = group(live, r => `${r.sourceAccount}/${r.sourceRegion}`);
    if (s.fleetAlarm) {
        for (const place of bySourcePlace.keys()) {
            const [account, region] = place.split("/");
            alarms.push({
                resourceName: `alarm-any-route-failed-${account}-${region}`,
                kind: "fleet-failed",
                account,
                region,
                alarmName: `${s.namePrefix}-any-route-failed${suffix}`,
                description: `Any S3 replication rule in account ${account}, ${region}, with replication metrics failed to replicate an operation (a Metrics Insights query over every rule, managed by this fleet or not).`,
                queries: [
                    {
                        id: "failed",
                        expression: FLEET_FAILED_QUERY,
                        period: ALARM_PERIOD_SECONDS,
                        label: "failed replication operations, all rules",
                        returnData: true,
                    },
                ],
                comparisonOperator: "GreaterThanThreshold",
                threshold: 0,
                evaluationPeriods: 1,
                datapointsToAlarm: 1,
                treatMissingData: "notBreaching",
                topicArn: needTopic(account, region),
            });
        }
    }

    // Failure events: created sources by default, adopted ones only when the manifest opts in.
    const notifications: NotificationSpec[] = [];
    const eventSourcesOf = new Map<string, string[]>();
    if (s.failureEvents) {
        for (const src of [...plan.sources].sort((a, b) => a.bucket.name.localeCompare(b.bucket.name))) {
            if (!src.routes.some(inShard)) continue;
            const choice = options.failureEvents?.get(src.bucket.name);
            const on = choice ?? src.bucket.create;
            const withMetrics = src.routes.filter(r => routeHasMetrics(r, s));
            if (!on || withMetrics.length === 0) continue;
            const arn = needTopic(src.bucket.account, src.bucket.region);
            const place = `${src.bucket.account}/${src.bucket.region}`;
            eventSourcesOf.set(place, [...(eventSourcesOf.get(place) ?? []), src.bucket.name]);
            notifications.push({
                resourceName: `${src.bucket.name}-failure-events`,
                bucket: src.bucket.name,
                account: src.bucket.account,
                region: src.bucket.region,
                topicArn: arn,
                events: failureEventTypes(withMetrics.some(r => r.rtc)),
                reason: choice === true && !src.bucket.create ? "opted-in" : "created",
            });
        }
    }

    const topics: TopicSpec[] = [...needed].sort().map(place => {
        const [account, region] = place.split("/");
        const givenArn = given.get(place);
        const name = givenArn ? parseTopicArn(givenArn)!.name : topicName;
        return {
            resourceName: `alerts-${account}-${region}`,
            account,
            region,
            name,
            arn: givenArn ?? topicArn(account, region, name),
            create: givenArn === undefined,
            eventSources: [...(eventSourcesOf.get(place) ?? [])].sort(),
        };
    });

    const dashboards: DashboardSpec[] = [];
    if (s.dashboards) {
        for (const [place, rs] of bySourcePlace) {
            const [account, region] = place.split("/");
            const pages = Math.ceil(rs.length / ROUTES_PER_DASHBOARD);
            for (let p = 0; p < pages; p++) {
                const page = rs.slice(p * ROUTES_PER_DASHBOARD, (p + 1) * ROUTES_PER_DASHBOARD).map(r => watched(r, s));
                const pageSuffix = p === 0 ? "" : `-${p + 1}`;
                dashboards.push({
                    resourceName: `dashboard-${account}-${region}${pageSuffix}`,
                    account,
                    region,
                    name: `${s.namePrefix}-${region}${suffix}${pageSuffix}`,
                    routes: page.map(r => r.key),
                    body: dashboardBody(page, { account, region, page: p + 1, pages, latencyThresholdSeconds: s.latencyThresholdSeconds }),
                });
            }
        }
    }

    return { settings: s, routes: routes.map(r => watched(r, s)), topics, alarms, dashboards, notifications };
}

// ---- documents ---------------------------------------------------------------------------------

/**
 * The policy of a topic the fleet creates: the account itself (as SNS's default policy allows),
 * CloudWatch alarms of the account, and S3 for the failure events of the named buckets, each
 * scoped with aws:SourceAccount (and aws:SourceArn) against confused deputies.
 */
export function alertTopicPolicy(topic: Pick<TopicSpec, "account" | "region" | "arn" | "eventSources">): PolicyDocument {
    const partition = partitionOf(topic.region);
    const statements: PolicyStatement[] = [
        {
            Sid: "AccountOwnerManages",
            Effect: "Allow",
            Principal: { AWS: `arn:${partition}:iam::${topic.account}:root` },
            Action: ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"],
            Resource: topic.arn,
        },
        {
            Sid: "CloudWatchAlarmsPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topic.arn,
            Condition: {
                StringEquals: { "aws:SourceAccount": topic.account },
                ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${topic.region}:${topic.account}:alarm:*` },
            },
        },
    ];
    if (topic.eventSources.length > 0) {
        statements.push({
            Sid: "S3ReplicationEventsPublish",
            Effect: "Allow",
            Principal: { Service: "s3.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topic.arn,
            Condition: {
                StringEquals: { "aws:SourceAccount": topic.account },
                ArnLike: { "aws:SourceArn": topic.eventSources.map(b => `arn:${partition}:s3:::${b}`) },
            },
        });
    }
    return policyDocument(statements);
}

/** A CloudWatch dashboard body (the JSON document PutDashboard takes), as plain data. */
export interface DashboardBody {
    start: string;
    periodOverride: "inherit" | "auto";
    widgets: DashboardWidget[];
}

export interface DashboardWidget {
    type: "metric" | "text";
    x: number;
    y: number;
    width: number;
    height: number;
    properties: Record<string, unknown>;
}

/** One line of a metric widget: namespace, metric, dimension name/value pairs, then options. */
type MetricLine = Array<string | Record<string, unknown>>;

function metricLine(route: WatchedRoute, metric: ReplicationMetricName, options: Record<string, unknown>): MetricLine {
    const dims = replicationDimensions(route);
    return [S3_NAMESPACE, metric, ...Object.entries(dims).flat(), options];
}

/**
 * The dashboard of one source account and Region: a header, then per route its failed
 * operations (source Region), bytes and operations pending, and latency (destination Region).
 */
export function dashboardBody(
    routes: readonly WatchedRoute[],
    where: { account: string; region: string; page?: number; pages?: number; latencyThresholdSeconds?: number },
): DashboardBody {
    const pageNote = (where.pages ?? 1) > 1 ? ` (page ${where.page ?? 1} of ${where.pages})` : "";
    const widgets: DashboardWidget[] = [
        {
            type: "text",
            x: 0,
            y: 0,
            width: 24,
            height: 2,
            properties: {
                markdown:
                    `## S3 replication: account ${where.account}, ${where.region}${pageNote}\n` +
                    `${routes.length} route${routes.length === 1 ? "" : "s"}. Failed operations are published in the source Region; pending and latency in the destination's. S3 does not retry failed objects.`,
            },
        },
    ];
    const threshold = where.latencyThresholdSeconds ?? MONITORING_DEFAULTS.latencyThresholdSeconds;
    routes.forEach((r, i) => {
        const y = 2 + i * 6;
        const name = `${r.source} → ${r.destination} [${r.ruleId}]`;
        widgets.push(
            {
                type: "metric",
                x: 0,
                y,
                width: 8,
                height: 6,
                properties: {
                    title: `${name}: failed operations`,
                    region: r.sourceRegion,
                    view: "timeSeries",
                    stat: "Sum",
                    period: ALARM_PERIOD_SECONDS,
                    metrics: [metricLine(r, "OperationsFailedReplication", { label: "failed operations" })],
                },
            },
            {
                type: "metric",
                x: 8,
                y,
                width: 8,
                height: 6,
                properties: {
                    title: `${name}: pending`,
                    region: r.destinationRegion,
                    view: "timeSeries",
                    stat: "Maximum",
                    period: ALARM_PERIOD_SECONDS,
                    metrics: [
                        metricLine(r, "BytesPendingReplication", { label: "bytes pending" }),
                        metricLine(r, "OperationsPendingReplication", { label: "operations pending", yAxis: "right" }),
                    ],
                },
            },
            {
                type: "metric",
                x: 16,
                y,
                width: 8,
                height: 6,
                properties: {
                    title: `${name}: latency (s)`,
                    region: r.destinationRegion,
                    view: "timeSeries",
                    stat: "Maximum",
                    period: ALARM_PERIOD_SECONDS,
                    metrics: [metricLine(r, "ReplicationLatency", { label: "replication latency" })],
                    ...(r.rtc ? { annotations: { horizontal: [{ label: "RTC threshold", value: threshold }] } } : {}),
                },
            },
        );
    });
    return { start: "-PT6H", periodOverride: "inherit", widgets };
}

// ---- status: the GetMetricData queries ---------------------------------------------------------

/** One GetMetricData query, in the SDK's MetricDataQuery shape. */
export interface MetricDataQueryPlain {
    Id: string;
    MetricStat: {
        Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> };
        Period: number;
        Stat: string;
    };
    ReturnData: boolean;
}

/** Where a query's answer belongs: which route, which metric. */
export interface MetricQueryRef {
    routeKey: string;
    metric: ReplicationMetricName;
}

/** The queries of one account and Region (a GetMetricData call takes at most 500). */
export interface MetricQueryBatch {
    account: string;
    region: string;
    queries: MetricDataQueryPlain[];
    refs: Map<string, MetricQueryRef>;
}

/** GetMetricData's limit on queries per call. */
export const MAX_QUERIES_PER_CALL = 500;

/**
 * The replication metrics of every route with metrics, grouped by the account and Region they are
 * published in (failed operations in the source Region, the rest in the destination's), in
 * batches of at most 500 queries. Ids are `m<n>`, unique per batch.
 */
export function routeMetricQueries(routes: readonly WatchedRoute[], periodSeconds = ALARM_PERIOD_SECONDS): MetricQueryBatch[] {
    const byPlace = new Map<string, Array<{ route: WatchedRoute; metric: ReplicationMetricName }>>();
    for (const r of routes) {
        if (!r.metrics) continue;
        for (const metric of Object.keys(REPLICATION_METRICS) as ReplicationMetricName[]) {
            const region = REPLICATION_METRICS[metric].region === "source" ? r.sourceRegion : r.destinationRegion;
            const place = `${r.sourceAccount}/${region}`;
            const list = byPlace.get(place) ?? [];
            list.push({ route: r, metric });
            byPlace.set(place, list);
        }
    }
    const batches: MetricQueryBatch[] = [];
    for (const [place, items] of [...byPlace].sort(([a], [b]) => a.localeCompare(b))) {
        const [account, region] = place.split("/");
        for (let start = 0; start < items.length; start += MAX_QUERIES_PER_CALL) {
            const refs = new Map<string, MetricQueryRef>();
            const queries = items.slice(start, start + MAX_QUERIES_PER_CALL).map(({ route, metric }, i) => {
                const id = `m${i}`;
                refs.set(id, { routeKey: route.key, metric });
                return {
                    Id: id,
                    MetricStat: {
                        Metric: {
                            Namespace: S3_NAMESPACE,
                            MetricName: metric,
                            Dimensions: Object.entries(replicationDimensions(route)).map(([Name, Value]) => ({ Name, Value })),
                        },
                        Period: periodSeconds,
                        Stat: REPLICATION_METRICS[metric].stat,
                    },
                    ReturnData: true,
                };
            });
            batches.push({ account, region, queries, refs });
        }
    }
    return batches;
}
