/**
 * From a validated FleetSpec to exactly what must exist: roles and their documents, one
 * replication configuration per source, one policy per bucket, report buckets for backfill.
 * The components register this plan; the validator measures it against AWS's limits.
 */
import { bucketArn, LIMITS } from "./aws-facts";
import { DestinationGrant, hardenedBucketPolicy } from "./bucket-policy";
import { Diagnostic, diag, sortDiagnostics } from "./diagnostics";
import { BucketSpec, FleetOptions, FleetSpec, RouteRecord, RouteSpec, buildFleetSpec } from "./fleet-spec";
import { IamQuotaError, IamQuotas, RolePlan, SourceGrant, TrustConditions, planRoles } from "./iam";
import { PolicyDocument, policyBytes } from "./policy-document";
import { ReplicationConfigDoc, ReplicationRuleDoc, checkReplicationConfig } from "./replication-config";
import { ShardSelector, routeInShard, shardTag } from "./sharding";
import { failureEventChoices } from "./monitoring";

export interface FleetPlanOptions {
    quotas?: Partial<IamQuotas>;
    /** One role set per source account (default) or per source bucket. */
    roleGranularity?: "account" | "bucket";
    /** Opt-in conditions in the roles' trust policies (stack config `iam.trustConditions`). */
    trustConditions?: TrustConditions;
    rtcUnsupportedRegions?: readonly string[];
    /** Replication metrics on rules without RTC (default true; stack config `monitoring.metrics`). */
    replicationMetrics?: boolean;
    /** Report bucket name for Batch Replication jobs of an account and Region. */
    reportBucketName?: (account: string, region: string) => string;
    /** Per-bucket settings; `create: false` adopts an existing report bucket. */
    buckets?: Record<string, { create?: boolean; kmsKeyArn?: string }>;
    /** Roles per source account a fleet spreads its sources over (default 16; stack config `iam.roleSlots`). */
    roleSlots?: number;
    /**
     * The shard this stack deploys: roles are planned for its own sources only, under names that
     * carry the shard's tag, so two stacks never declare the same role.
     */
    shard?: ShardSelector;
}

/** Configuration findings buildFleetSpec reports first (with the offending row); not repeated. */
const REPORTED_BY_SPEC: ReadonlySet<string> = new Set(["PRIORITY_CONFLICT", "DUPLICATE_RULE_ID", "TOO_MANY_RULES"]);

export function defaultReportBucketName(account: string, region: string): string {
    return `s3-replication-reports-${account}-${region}`;
}

export interface SourcePlan {
    bucket: BucketSpec;
    role: RolePlan;
    routes: RouteSpec[];
    config: ReplicationConfigDoc;
}

export interface BucketPlan {
    bucket: BucketSpec;
    /** Source accounts (other than the bucket's) granted replication into this bucket. */
    grants: DestinationGrant[];
    policy: PolicyDocument;
    /** A report bucket the fleet adds for backfill jobs (not in the manifest). */
    reportBucket: boolean;
}

export interface FleetPlan {
    spec: FleetSpec;
    roles: RolePlan[];
    sources: SourcePlan[];
    buckets: BucketPlan[];
}

/** How rules are rendered beyond what a route says. */
export interface RuleOptions {
    /** Replication metrics on a rule without RTC (default true). */
    metrics?: boolean;
}

/** One rule of the V2 schema for a route. */
export function ruleFor(route: RouteSpec, options: RuleOptions = {}): ReplicationRuleDoc {
    const tagKeys = Object.keys(route.tags).sort();
    const filter: ReplicationRuleDoc["filter"] =
        tagKeys.length === 0
            ? { prefix: route.prefix }
            : tagKeys.length === 1 && !route.prefix
              ? { tag: { key: tagKeys[0], value: route.tags[tagKeys[0]] } }
              : { and: { ...(route.prefix ? { prefix: route.prefix } : {}), tags: Object.fromEntries(tagKeys.map(k => [k, route.tags[k]])) } };
    const crossAccount = route.sourceAccount !== route.destinationAccount;
    const override = crossAccount && route.replicaOwnership === "destination";
    const rule: ReplicationRuleDoc = {
        id: route.ruleId,
        priority: route.priority,
        status: route.status,
        filter,
        deleteMarkerReplication: { status: route.deleteMarkerReplication ? "Enabled" : "Disabled" },
        destination: {
            bucket: bucketArn(route.destination, route.destinationRegion),
            ...(route.storageClass ? { storageClass: route.storageClass } : {}),
            ...(override ? { account: route.destinationAccount, accessControlTranslation: { owner: "Destination" } } : {}),
            ...(route.replicateKms && route.replicaKmsKeyId ? { encryptionConfiguration: { replicaKmsKeyId: route.replicaKmsKeyId } } : {}),
            // Metrics on every rule unless turned off: they need no RTC (and no event threshold) and
            // are what alarms, dashboards and failure events read; RTC needs them at 15 minutes.
            // (S3 User Guide, "Using S3 Replication metrics":
            // https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html)
            ...(route.rtc
                ? {
                      replicationTime: { status: "Enabled", time: { minutes: LIMITS.rtcMinutes } },
                      metrics: { status: "Enabled", eventThreshold: { minutes: LIMITS.rtcMinutes } },
                  }
                : options.metrics !== false
                  ? { metrics: { status: "Enabled" } }
                  : {}),
        },
    };
    if (route.replicateKms || route.bidirectional) {
        rule.sourceSelectionCriteria = {
            ...(route.replicateKms ? { sseKmsEncryptedObjects: { status: "Enabled" } } : {}),
            ...(route.bidirectional ? { replicaModifications: { status: "Enabled" } } : {}),
        };
    }
    return rule;
}

/** Rules are emitted in priority order; findings about rule i are about the i-th of these routes. */
export function routesInRuleOrder(routes: readonly RouteSpec[]): RouteSpec[] {
    return [...routes].sort((a, b) => a.priority - b.priority || a.key.localeCompare(b.key));
}

export function replicationConfigFor(source: BucketSpec, routes: readonly RouteSpec[], roleArn: string, options: RuleOptions = {}): ReplicationConfigDoc {
    return { bucket: source.name, role: roleArn, rules: routesInRuleOrder(routes).map(r => ruleFor(r, options)) };
}

export interface FleetPlanResult {
    plan: FleetPlan;
    diagnostics: Diagnostic[];
}

export function planFleet(spec: FleetSpec, options: FleetPlanOptions = {}): FleetPlanResult {
    const diagnostics: Diagnostic[] = [];
    const bucketByName = new Map(spec.buckets.map(b => [b.name, b]));
    const routesBySource = new Map<string, RouteSpec[]>();
    for (const r of spec.routes) routesBySource.set(r.source, [...(routesBySource.get(r.source) ?? []), r]);
    const reportName = options.reportBucketName ?? defaultReportBucketName;

    // Report buckets, one per source account and Region that runs backfill jobs.
    const reportBuckets = new Map<string, BucketSpec>();
    const reportFor = (account: string, region: string): BucketSpec => {
        const name = reportName(account, region);
        let b = reportBuckets.get(name) ?? bucketByName.get(name);
        if (!b) {
            const o = options.buckets?.[name];
            b = {
                name,
                account,
                region,
                create: o?.create ?? true,
                ...(o?.kmsKeyArn ? { kmsKeyArn: o.kmsKeyArn } : {}),
                objectLock: false,
                isSource: false,
                isDestination: false,
                at: {},
            };
            reportBuckets.set(name, b);
        }
        return b;
    };

    // IAM: per source account, grants of each source bucket, packed into roles.
    const grantsByAccount = new Map<string, { region: string; grants: SourceGrant[] }>();
    for (const [source, routes] of routesBySource) {
        const b = bucketByName.get(source)!;
        const backfill = routes.some(r => r.existingObjects !== "none");
        // Planned for every shard's sources: the report bucket is owned by the shard its own identity selects.
        const report = backfill ? reportFor(b.account, b.region) : undefined;
        // Another shard's source: its role is that shard's (destination grants name accounts, not roles).
        if (!routeInShard(routes[0], options.shard)) continue;
        const keys = new Set<string>();
        if (b.kmsKeyArn) keys.add(b.kmsKeyArn);
        for (const r of routes) if (r.replicateKms && r.sourceKmsKeyArn) keys.add(r.sourceKmsKeyArn);
        const grant: SourceGrant = {
            bucket: source,
            region: b.region,
            objectLock: b.objectLock,
            sourceKmsKeys: routes.some(r => r.replicateKms) ? [...keys] : [],
            destinations: routes.map(r => {
                const replicaKey = r.replicateKms && r.replicaKmsKeyId ? r.replicaKmsKeyId : undefined;
                const defaultKey = bucketByName.get(r.destination)?.kmsKeyArn;
                return {
                    bucket: r.destination,
                    region: r.destinationRegion,
                    ownerOverride: r.sourceAccount !== r.destinationAccount && r.replicaOwnership === "destination",
                    ...(replicaKey ? { replicaKmsKey: replicaKey } : {}),
                    ...(defaultKey && defaultKey !== replicaKey ? { defaultKmsKey: defaultKey } : {}),
                };
            }),
            ...(report ? { batchReportBucket: { bucket: report.name, region: report.region } } : {}),
        };
        const entry = grantsByAccount.get(b.account) ?? { region: b.region, grants: [] };
        entry.grants.push(grant);
        grantsByAccount.set(b.account, entry);
    }
    const roles: RolePlan[] = [];
    const roleOfSource = new Map<string, RolePlan>();
    for (const [account, { region, grants }] of [...grantsByAccount].sort(([a], [b]) => a.localeCompare(b))) {
        try {
            const group = shardTag(options.shard);
            for (const role of planRoles(account, region, grants, {
                quotas: options.quotas,
                granularity: options.roleGranularity,
                trustConditions: options.trustConditions,
                ...(options.roleSlots !== undefined ? { slots: options.roleSlots } : {}),
                ...(group ? { group } : {}),
            })) {
                roles.push(role);
                for (const s of role.sources) roleOfSource.set(s, role);
            }
        } catch (e) {
            if (!(e instanceof IamQuotaError)) throw e;
            const route = spec.routes.find(r => r.source === e.subject) ?? spec.routes.find(r => r.sourceAccount === account);
            diagnostics.push(diag("IAM_QUOTA_EXCEEDED", e.message, route?.locs.source_bucket ?? route?.at));
        }
    }

    // One replication configuration per source, checked with the shared rules.
    const sources: SourcePlan[] = [];
    for (const [source, routes] of [...routesBySource].sort(([a], [b]) => a.localeCompare(b))) {
        const bucket = bucketByName.get(source)!;
        const role = roleOfSource.get(source);
        if (!role) continue;
        const config = replicationConfigFor(bucket, routes, role.arn, { metrics: options.replicationMetrics });
        const ordered = routesInRuleOrder(routes);
        const findings = checkReplicationConfig(config, {
            sourceAccount: bucket.account,
            sourceRegion: bucket.region,
            destinationRegions: Object.fromEntries(routes.map(r => [bucketArn(r.destination, r.destinationRegion), r.destinationRegion])),
            destinationAccounts: Object.fromEntries(routes.map(r => [bucketArn(r.destination, r.destinationRegion), r.destinationAccount])),
            rtcUnsupportedRegions: options.rtcUnsupportedRegions,
        });
        for (const f of findings) {
            // buildFleetSpec already reported these for every source, at the row that caused them.
            if (REPORTED_BY_SPEC.has(f.code)) continue;
            const route = f.ruleIndex !== undefined ? ordered[f.ruleIndex] : ordered[0];
            const at = (f.field ? route.locs[f.field] : undefined) ?? route.locs.source_bucket ?? route.at;
            diagnostics.push(diag(f.code, `${route.source} -> ${route.destination}: ${f.message}`, at, f.severity));
        }
        sources.push({ bucket, role, routes, config });
    }

    // One policy per bucket: TLS deny plus a grant to every OTHER account replicating into it.
    // Same-account routes need none: a bucket policy grant is needed only "when the source and
    // destination buckets aren't owned by the same accounts" (S3 User Guide, "Setting up
    // permissions for live replication"); the role's own policy suffices. Grants name accounts,
    // not roles, so they do not wait for (or depend on) the role plan.
    const grantsInto = new Map<string, DestinationGrant[]>();
    for (const r of spec.routes) {
        if (r.sourceAccount === r.destinationAccount) continue;
        const list = grantsInto.get(r.destination) ?? [];
        list.push({ sourceAccount: r.sourceAccount, ownerOverride: r.replicaOwnership === "destination" });
        grantsInto.set(r.destination, list);
    }
    const buckets: BucketPlan[] = [];
    for (const bucket of [...spec.buckets, ...reportBuckets.values()]) {
        const grants = grantsInto.get(bucket.name) ?? [];
        const policy = hardenedBucketPolicy(bucket.name, bucket.region, grants);
        const bytes = policyBytes(policy);
        if (bytes > LIMITS.maxBucketPolicyBytes) {
            const route = spec.routes.find(r => r.destination === bucket.name);
            diagnostics.push(
                diag(
                    "BUCKET_POLICY_TOO_LARGE",
                    `the policy of ${bucket.name} renders to ${bytes} bytes (grants to ${new Set(grants.map(g => g.sourceAccount)).size} source accounts); S3 allows ${LIMITS.maxBucketPolicyBytes}: replicate from fewer source accounts into this destination.`,
                    route?.locs.destination_bucket ?? route?.at ?? bucket.at,
                ),
            );
        }
        buckets.push({ bucket, grants, policy, reportBucket: reportBuckets.has(bucket.name) });
    }

    return { plan: { spec, roles, sources, buckets }, diagnostics };
}

export interface ValidationResult {
    spec: FleetSpec;
    plan?: FleetPlan;
    diagnostics: Diagnostic[];
    errors: Diagnostic[];
    warnings: Diagnostic[];
}

/**
 * The whole check, as the CLI, the stacks program and the components run it: parse and
 * normalize every record, then plan and measure. Diagnostics are deduplicated and sorted.
 */
export function validateFleet(records: readonly RouteRecord[], options: FleetOptions & FleetPlanOptions = {}): ValidationResult {
    const { spec, diagnostics } = buildFleetSpec(records, options);
    const planned = planFleet(spec, options);
    // The failure_events column (read by the monitoring plan): invalid or conflicting values.
    const failureEvents = failureEventChoices(records, options.defaults).diagnostics;
    const seen = new Set<string>();
    const all = sortDiagnostics([...diagnostics, ...planned.diagnostics, ...failureEvents]).filter(d => {
        const k = `${d.code}|${d.file}|${d.row}|${d.column}|${d.path}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
    });
    return {
        spec,
        plan: planned.plan,
        diagnostics: all,
        errors: all.filter(d => d.severity === "error"),
        warnings: all.filter(d => d.severity === "warning"),
    };
}
