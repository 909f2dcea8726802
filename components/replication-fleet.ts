import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccountProviders } from "./account-providers";
import { BatchReplicationJob, BatchJobWaitFor } from "./batch-replication-job";
import { BucketReplication } from "./bucket-replication";
import { diagnosticsMessage, typeToken } from "./errors";
import { HardenedBucket } from "./hardened-bucket";
import { ReplicationRole } from "./replication-role";
import { AdoptedBucketError, AdoptedBucketReader } from "./adoption";
import { ReplicationMonitoring } from "./replication-monitoring";
import { MonitoringSettings, failureEventChoices, monitoringSettingsProblems, planMonitoring, shardTag } from "./model";
import {
    ADOPTED_SETTINGS_MODES,
    AccountInput,
    AdoptedSettingsMode,
    BatchJobMode,
    BucketOverride,
    BucketPlan,
    BucketSpec,
    Column,
    ROLE_PATH,
    ShardSelector,
    backfillJobName,
    bucketInShard,
    routeInShard,
    Diagnostic,
    FleetPlan,
    IamQuotas,
    RouteRecord,
    RouteSpec,
    TrustConditions,
    escalateWarnings,
    formatDiagnostic,
    parseKmsKeyArn,
    recordsFromObjects,
    replicationGrantStatements,
    shortHash,
    validateFleet,
} from "./model";

export { ShardSelector, bucketInShard, routeInShard, shardOf } from "./model";

/**
 * What a resource that can move between sharded stacks also answers to: `pulumi state move`
 * re-parents a moved resource to the destination stack's root when its parent (this fleet) stays
 * behind (pulumi pkg/cmd/pulumi/state/state_move.go), so the fleet's per-bucket and per-source
 * children take that state back under the fleet instead of being created again.
 */
const MOVABLE: pulumi.Input<pulumi.URN | pulumi.Alias>[] = [{ parent: pulumi.rootStackResource }];

/** Sources declared per turn of the event loop (see registerAll). */
const SOURCES_PER_TURN = 10;

/**
 * ReplicationFleet's arguments that every Pulumi language can pass; {@link ReplicationFleetArgs}
 * adds what a TypeScript program passes (routes keyed by manifest column, loaded records).
 */
export interface ReplicationFleetBaseArgs {
    /** Alias -> account id and how to reach it (assume-role ARN or profile). */
    accounts?: Record<string, AccountInput>;
    /** Destination name template, e.g. `{source}-replica`. */
    destinationTemplate?: string;
    /** Per-bucket settings: default-encryption key, Object Lock, create or adopt, adopted settings. */
    buckets?: Record<string, BucketOverride>;
    /**
     * Adopted buckets' default encryption, object ownership and public access block, which the fleet
     * reads from AWS before changing anything: "keep" (default) keeps them; "harden" applies this
     * package's settings and stops where that would cut off access the bucket grants today.
     * `buckets.<name>.adoptedSettings` overrides it per bucket.
     */
    adoptedSettings?: string;
    /** IAM role layout and quotas. */
    iam?: FleetIamSettings;
    /** Regions without Replication Time Control (replaces the built-in list). */
    rtcUnsupportedRegions?: string[];
    /** Report bucket name template for backfill jobs: `{account}`, `{region}`. */
    reportBucketTemplate?: string;
    /** Default tags on every resource, besides `managed-by`. */
    defaultTags?: Record<string, string>;
    /** Treat warnings as errors. */
    strict?: boolean;
    /** Deploy only part of the routes (sharded stacks). */
    shard?: ShardSelector;
    /** S3 Batch Replication jobs for routes whose `existing_objects` is not `none`. */
    backfill?: BackfillBaseSettings;
    /**
     * Replication metrics on every rule, alarms, dashboards, alert topics and failure events
     * (all on by default; see MonitoringSettings).
     */
    monitoring?: MonitoringSettings;
}

// ---- typed route input (issue 14) ----
/**
 * One route as a TypeScript program writes it: the manifest's columns, camelCase. Every value is
 * read exactly as the same cell of a manifest would be (see the README's column table), so a
 * boolean column also takes "true"/"false", "yes"/"no" or "Enabled"/"Disabled".
 */
export interface RouteFields {
    /** Source bucket name. Required. */
    sourceBucket?: string;
    /** Source account: 12-digit id or an alias from `accounts`. Required unless `defaults` gives it. */
    sourceAccount?: string | number;
    /** Source bucket Region, e.g. "us-east-1". Required unless `defaults` gives it. */
    sourceRegion?: string;
    /** Destination bucket name (default: `destinationTemplate`, e.g. "{source}-replica"). */
    destinationBucket?: string;
    /** Destination account, id or alias (default: the source account). */
    destinationAccount?: string | number;
    /** Destination Region (default: the source Region). */
    destinationRegion?: string;
    /** Replicate only keys starting with this prefix (at most 1,024 characters). */
    prefix?: string;
    /** Replicate only objects with these tags: "key=value;key2=value2", or an object of tags. */
    tags?: string | Record<string, string>;
    /** Storage class of replicas: STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE or REDUCED_REDUNDANCY. */
    storageClass?: string;
    /** Replicate delete markers (not with a tag filter). Default false. */
    deleteMarkerReplication?: boolean | string;
    /** "destination" makes the destination account own replicas (cross-account only); "source" keeps the source owner. */
    replicaOwnership?: string;
    /** Replicate SSE-KMS encrypted objects (default: true when `replicaKmsKey` is given). */
    replicateKms?: boolean | string;
    /** KMS key ARN in the destination Region that encrypts replicas. */
    replicaKmsKey?: string;
    /** KMS key ARN the source bucket encrypts with (kms:Decrypt for the role). */
    sourceKmsKey?: string;
    /** S3 Replication Time Control with metrics (15 minutes). Default false. */
    rtc?: boolean | string;
    /** Backfill existing objects with S3 Batch Replication: "none" (default), "eligible", "failed", "unreplicated", "new-destination" or "all". */
    existingObjects?: string;
    /** Change it to run this route's backfill again (a new Batch Replication job). */
    backfillTrigger?: string;
    /** Two-way replication, with replica modification sync on both rules. Default false. */
    bidirectional?: boolean | string;
    /** Create the source bucket (false adopts an existing bucket without recreating it). Default false. */
    createSource?: boolean | string;
    /** Create the destination bucket (false adopts an existing bucket). Default false. */
    createDestination?: boolean | string;
    /** Rule priority 0-2147483647, unique per source bucket (default: derived from the route itself). */
    priority?: number | string;
    /** "Enabled" (default) or "Disabled". */
    status?: string;
    /** Replication rule id (ASCII, at most 255 characters; default `to-<destination>[-<filter hash>]`). */
    ruleId?: string;
    /** Send the source's replication failure events to the alert topic (default: true for created sources, false for adopted ones). */
    failureEvents?: boolean | string;
}

/** `sourceBucket` -> `source_bucket`, at the type level. */
type SnakeCase<S extends string> = S extends `${infer C}${infer Rest}` ? `${C extends Lowercase<C> ? C : `_${Lowercase<C>}`}${SnakeCase<Rest>}` : S;

/** {@link RouteFields} under the manifest's own snake_case column names (`source_bucket`, ...). */
export type SnakeCaseRouteFields = { [K in keyof RouteFields as SnakeCase<K>]: RouteFields[K] };

/**
 * A route for {@link ReplicationFleetArgs.routes}: the manifest's columns in camelCase or
 * snake_case (use one spelling per column). A misspelled column in an object literal does not
 * compile; rows typed `Record<string, unknown>` (parsed from a file) are still accepted, and
 * checked when the fleet is constructed.
 */
export type RouteInput = RouteFields & SnakeCaseRouteFields;
// ---- end typed route input ----

/** Arguments of {@link ReplicationFleet}. */
export interface ReplicationFleetArgs extends ReplicationFleetBaseArgs {
    /**
     * Routes as objects keyed by manifest column (`sourceBucket` or `source_bucket`, ...).
     * Give `routes` or `records`.
     */
    routes?: RouteInput[];
    /** Routes already loaded from a manifest, with file/row/column for every value. */
    records?: RouteRecord[];
    /** Problems found while loading `records` (or config), reported together with the fleet's own. */
    loadDiagnostics?: Diagnostic[];
    /** Values for columns a route leaves blank. */
    defaults?: Partial<Record<Column, unknown>>;
    iam?: FleetIamSettings & { granularity?: "account" | "bucket" };
    backfill?: BackfillSettings;
}

/** How the fleet lays out its replication roles. */
export interface FleetIamSettings {
    /** "account" (default): one role layout per source account; "bucket": a role per source bucket. */
    granularity?: string;
    /** IAM quotas the role documents must fit (defaults: AWS's default quotas). */
    quotas?: Partial<IamQuotas>;
    /** Roles per source account the sources are spread over by a hash of their names (default 16). */
    roleSlots?: number;
    /** Stricter trust policy conditions (aws:SourceAccount, aws:SourceArn), opt-in: AWS documents the trust without them. */
    trustConditions?: TrustConditions;
}

/** How backfill jobs are started; every field is optional. */
export interface BackfillBaseSettings {
    /** Register jobs at all (default true). */
    enabled?: boolean;
    /** Changing it starts new jobs for every backfill route; nothing else does. */
    trigger?: string;
    /** Block `pulumi up` until jobs reach this state: "none" (default), "created", "ready" or "complete". */
    waitFor?: string;
    /** Longest wait for `waitFor`, in seconds (default 1800). */
    waitTimeoutSeconds?: number;
    /** Jobs wait in Suspended until confirmed (default false). */
    confirmationRequired?: boolean;
    /** Job priority (default 10). */
    priority?: number;
    /** Only objects created before this ISO-8601 time. */
    createdBefore?: string;
    /** S3 Control endpoint override (tests, VPC endpoints). */
    endpoint?: string;
    /** Deleting a job resource cancels the job while it still awaits confirmation (default false). */
    cancelOnDelete?: boolean;
}

/** {@link BackfillBaseSettings} with `waitFor` as a TypeScript literal type. */
export interface BackfillSettings extends BackfillBaseSettings {
    waitFor?: BatchJobWaitFor;
}

/** What the fleet did with one route: the route's identity and settings, and the role it uses. */
export type RouteSummary = Pick<
    RouteSpec,
    | "source"
    | "destination"
    | "sourceAccount"
    | "sourceRegion"
    | "destinationAccount"
    | "destinationRegion"
    | "ruleId"
    | "priority"
    | "existingObjects"
    | "bidirectional"
> & { role: string };

/**
 * Which routes, sources, buckets and roles this shard registers. The whole fleet is always
 * planned (so bucket policies are complete); a source's configuration belongs to the source's
 * shard, a bucket to the shard its own identity selects, and a role to the shard of the sources
 * it serves. Ownership never depends on which other routes exist.
 */
export function ownedByShard(plan: FleetPlan, shard: ShardSelector | undefined) {
    const routes = plan.spec.routes.filter(r => routeInShard(r, shard));
    const sources = plan.sources.filter(s => routeInShard(s.routes[0], shard));
    const mySources = new Set(sources.map(s => s.bucket.name));
    return {
        routes,
        sources,
        buckets: plan.buckets.filter(b => bucketInShard(b.bucket, shard)),
        roles: plan.roles.filter(role => role.sources.some(src => mySources.has(src))),
    };
}

/**
 * A whole replication fleet from routes (a manifest, stack config or code): one provider per
 * account and Region, hardened buckets (created or adopted), replication roles sharded inside
 * IAM's quotas, one replication configuration per source, destination policies granting every
 * source role, and KMS grants for cross-account replica keys. Nothing is registered while any
 * route has an error.
 */
export class ReplicationFleet extends pulumi.ComponentResource {
    readonly routes: pulumi.Output<RouteSummary[]>;
    readonly roleArns: pulumi.Output<string[]>;
    readonly bucketNames: pulumi.Output<string[]>;
    /** The validated plan this fleet registered (whole fleet, all shards). */
    readonly plan: FleetPlan;
    /** Warnings found while validating (errors stop construction). */
    readonly warnings: Diagnostic[];
    readonly providers?: AccountProviders;
    /** Filled as the fleet declares its resources: complete once `ready` resolves. */
    readonly hardenedBuckets: Record<string, HardenedBucket> = {};
    readonly roles: Record<string, ReplicationRole> = {};
    /** Filled as the fleet declares its resources: complete once `ready` resolves. */
    readonly replications: Record<string, BucketReplication> = {};
    /** Backfill jobs by name (`backfill-<source>-<mode>[-<prefix hash>]`); complete once `ready` resolves. */
    readonly backfillJobs: Record<string, BatchReplicationJob> = {};
    /** Alarms, dashboards, alert topics and failure events (see ReplicationMonitoring); set once `ready` resolves. */
    monitoring?: ReplicationMonitoring;
    /**
     * Resolves once every resource of the fleet has been declared (not created: under the engine,
     * creation follows). The fleet declares its sources a few at a time, yielding to the event loop
     * in between, so that a fleet of thousands of routes does not hold them all in flight at once.
     */
    readonly ready: Promise<void> = Promise.resolve();
    /** Each change this fleet makes to an adopted bucket's existing settings: `bucket: setting: before -> after`. */
    readonly adoptedSettingChanges: pulumi.Output<string[]> = pulumi.output([]);
    private readonly backfill: BackfillSettings;
    private readonly accounts: Record<string, AccountInput>;
    private readonly bucketOverrides: Record<string, BucketOverride>;
    private readonly adoptedSettings: AdoptedSettingsMode;

    constructor(name: string, args: ReplicationFleetArgs, opts?: pulumi.ComponentResourceOptions) {
        const { plan, warnings } = ReplicationFleet.validate(name, args);
        super(typeToken("ReplicationFleet"), name, {}, opts);
        this.plan = plan;
        this.warnings = warnings;
        // Logged here, so any program that builds a fleet shows them (stacks/program.ts does not repeat them).
        for (const w of warnings) pulumi.log.warn(formatDiagnostic(w), this);
        this.backfill = args.backfill ?? {};
        this.accounts = args.accounts ?? {};
        this.bucketOverrides = args.buckets ?? {};
        this.adoptedSettings = (args.adoptedSettings ?? "keep") as AdoptedSettingsMode; // checked in validate
        const owned = ownedByShard(plan, args.shard);
        const roleOfSource = new Map(plan.sources.map(s => [s.bucket.name, s.role]));
        this.routes = pulumi.output(
            owned.routes.map(r => ({
                source: r.source,
                destination: r.destination,
                sourceAccount: r.sourceAccount,
                sourceRegion: r.sourceRegion,
                destinationAccount: r.destinationAccount,
                destinationRegion: r.destinationRegion,
                ruleId: r.ruleId,
                priority: r.priority,
                role: roleOfSource.get(r.source)?.arn ?? "",
                existingObjects: r.existingObjects,
                bidirectional: r.bidirectional,
            })),
        );
        this.roleArns = pulumi.output(owned.roles.map(r => r.arn));
        this.bucketNames = pulumi.output(owned.buckets.map(b => b.bucket.name));
        if (opts?.urn) return;

        const kmsGrants = this.kmsGrantsNeeded(owned.sources);
        const targets = [
            ...owned.buckets.map(b => ({ account: b.bucket.account, region: b.bucket.region })),
            ...owned.sources.map(s => ({ account: s.bucket.account, region: s.bucket.region })),
            ...kmsGrants.map(g => ({ account: g.keyAccount, region: g.keyRegion })),
        ];
        // Roles are global; their account still needs a provider (its Region only names the partition).
        for (const role of owned.roles) {
            const home = plan.buckets.find(b => b.bucket.account === role.account);
            if (home) targets.push({ account: role.account, region: home.bucket.region });
        }
        const providers = new AccountProviders(
            `${name}-providers`,
            {
                targets,
                accounts: args.accounts,
                defaultTags: args.defaultTags,
            },
            { parent: this },
        );
        this.providers = providers;

        for (const role of owned.roles) {
            this.roles[role.name] = new ReplicationRole(
                `${role.account}-${role.name}`,
                { plan: role },
                {
                    parent: this,
                    provider: providers.get(role.account),
                },
            );
        }
        const rolesByArn = new Map(Object.values(this.roles).map(r => [r.plan.arn, r]));

        // Grants by the role they serve: a source's configuration waits for its role's grants.
        const grantsOfRole = new Map<string, aws.kms.Grant[]>();
        for (const g of kmsGrants) {
            const role = rolesByArn.get(g.roleArn);
            const grant = new aws.kms.Grant(
                `kms-grant-${g.roleName}-${shortHash(g.keyArn)}`,
                {
                    name: `s3-replication-${shortHash(g.roleArn + g.keyArn)}`,
                    region: g.keyRegion,
                    keyId: g.keyArn,
                    granteePrincipal: g.roleArn,
                    operations: g.operations,
                },
                { parent: this, provider: providers.get(g.keyAccount), dependsOn: role ? [role] : [] },
            );
            grantsOfRole.set(g.roleArn, [...(grantsOfRole.get(g.roleArn) ?? []), grant]);
        }

        this.ready = this.registerAll(owned, providers, rolesByArn, grantsOfRole).then(() => {
            // ---- monitoring (issue 12): planned by the pure model, registered by ReplicationMonitoring ----
            const failureEvents = failureEventChoices(args.records ?? recordsFromObjects(args.routes ?? [], { path: "routes" }, []), args.defaults).bySource;
            this.monitoring = new ReplicationMonitoring(
                `${name}-monitoring`,
                {
                    plan: planMonitoring(plan, args.monitoring, {
                        inShard: r => routeInShard(r, args.shard),
                        failureEvents,
                        shardTag: shardTag(args.shard),
                    }),
                    providers: providers.providers,
                    bucketDependencies: Object.fromEntries(Object.entries(this.hardenedBuckets).map(([bucket, hb]) => [bucket, [hb]])),
                },
                { parent: this },
            );
            // ---- end monitoring ----
        });
        this.adoptedSettingChanges = pulumi.output(
            this.ready.then(() =>
                pulumi
                    .all(Object.entries(this.hardenedBuckets).map(([bucket, hb]) => hb.settingChanges.apply(cs => cs.map(c => `${bucket}: ${c}`))))
                    .apply(lists => lists.flat().sort()),
            ),
        );
        this.registerOutputs(this.ready.then(() => ({ routes: this.routes, roleArns: this.roleArns, bucketNames: this.bucketNames })));
    }

    /**
     * Buckets, configurations and backfill jobs. Everything is registered at once: under the
     * engine a registration returns only once its resource has been created, so nothing here may
     * wait for one before registering the next (order comes from dependsOn alone).
     */
    private async registerAll(
        owned: ReturnType<typeof ownedByShard>,
        providers: AccountProviders,
        rolesByArn: Map<string, ReplicationRole>,
        grantsOfRole: Map<string, aws.kms.Grant[]>,
    ): Promise<void> {
        const bucketPlans = new Map(owned.buckets.map(b => [b.bucket.name, b]));
        const reportBuckets = new Map(this.plan.buckets.filter(b => b.reportBucket).map(b => [`${b.bucket.account}/${b.bucket.region}`, b]));
        const readers = new Map<string, AdoptedBucketReader>();
        const readerOf = (bucket: BucketSpec) => {
            let r = readers.get(bucket.name);
            if (!r) {
                r = new AdoptedBucketReader(bucket.name, bucket.region, bucket.account, providers.get(bucket.account));
                readers.set(bucket.name, r);
            }
            return r;
        };
        const ensureBucket = (bucketName: string) => {
            const plan = bucketPlans.get(bucketName);
            if (!plan || this.hardenedBuckets[bucketName]) return;
            this.hardenedBuckets[bucketName] = this.registerBucket(plan, providers, rolesByArn, readerOf);
        };

        let registered = 0;
        for (const s of owned.sources) {
            // Let the runtime serialize and send what is registered so far before declaring more:
            // a yield to the event loop, never a wait for any registration (under the engine those
            // return only once created). A 1,000-route plan peaks at ~1 GB instead of ~2.4 GB.
            if (++registered % SOURCES_PER_TURN === 0) await new Promise(resolve => setTimeout(resolve, 0));
            const bucketNames = [s.bucket.name, ...s.routes.map(r => r.destination)];
            for (const b of bucketNames) ensureBucket(b);
            const waitFor: pulumi.Resource[] = [];
            const role = rolesByArn.get(s.role.arn);
            if (role) waitFor.push(role);
            for (const bucketName of bucketNames) {
                const hb = this.hardenedBuckets[bucketName];
                if (!hb) continue;
                waitFor.push(hb.versioning);
                if (hb.policy && bucketName !== s.bucket.name) waitFor.push(hb.policy);
            }
            waitFor.push(...(grantsOfRole.get(s.role.arn) ?? []));
            const provider = providers.get(s.bucket.account);
            const replication = new BucketReplication(
                s.bucket.name,
                {
                    sourceBucket: s.bucket.name,
                    sourceAccount: s.bucket.account,
                    sourceRegion: s.bucket.region,
                    // An adopted source may already replicate under someone else's configuration,
                    // which a PUT would silently replace: the role waits for that check.
                    roleArn: s.bucket.create || s.bucket.replaceExistingReplication ? s.role.arn : guardExistingReplication(readerOf(s.bucket), s.role.arn),
                    rules: s.config.rules ?? [],
                    waitFor: [...new Set(waitFor)],
                    // Another shard owns the source bucket's settings (a bucket belongs to the shard its name selects).
                    ...(bucketPlans.has(s.bucket.name) ? {} : { sourceSettingsElsewhere: true }),
                },
                { parent: this, provider, aliases: MOVABLE },
            );
            this.replications[s.bucket.name] = replication;
            this.registerBackfill(s, replication, role, reportBuckets, ensureBucket);
        }
        // Buckets this shard owns that none of its sources touched (their sources are elsewhere).
        for (const name of bucketPlans.keys()) ensureBucket(name);
    }

    /**
     * One Batch Replication job per route that asks for a backfill, started after the source's
     * replication configuration exists (a job replicates through the configuration's rules).
     */
    private registerBackfill(
        s: FleetPlan["sources"][number],
        replication: BucketReplication,
        role: ReplicationRole | undefined,
        reportBuckets: Map<string, BucketPlan>,
        ensureBucket: (name: string) => void,
    ): void {
        const settings = this.backfill;
        if (settings.enabled === false) return;
        const routes = s.routes.filter(r => r.existingObjects !== "none");
        if (routes.length === 0) return;
        const report = reportBuckets.get(`${s.bucket.account}/${s.bucket.region}`);
        if (!report) throw new Error(`no report bucket planned for ${s.bucket.account}/${s.bucket.region}`);
        const access = Object.values(this.accounts).find(a => String(a.id) === s.bucket.account);
        const waitFor: pulumi.Resource[] = [replication];
        ensureBucket(report.bucket.name);
        const reportBucket = this.hardenedBuckets[report.bucket.name];
        if (reportBucket) waitFor.push(reportBucket);
        if (role) waitFor.push(role);
        // One job per source, key prefix and mode: a job replicates through every enabled rule of its
        // source, and its manifest can be narrowed by key prefix only (tags cannot select objects).
        const groups = new Map<string, { mode: BatchJobMode; prefix: string; triggers: Set<string> }>();
        for (const r of routes) {
            const name = backfillJobName(s.bucket.name, r.existingObjects, r.prefix, {});
            const g = groups.get(name) ?? { mode: r.existingObjects as BatchJobMode, prefix: r.prefix, triggers: new Set<string>() };
            if (r.backfillTrigger) g.triggers.add(r.backfillTrigger);
            groups.set(name, g);
        }
        for (const [name, g] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
            // The stack's trigger re-runs every job; a route's backfill_trigger re-runs its own.
            const trigger = [settings.trigger, ...[...g.triggers].sort()].filter((t): t is string => !!t).join("+");
            const job = new BatchReplicationJob(
                name,
                {
                    accountId: s.bucket.account,
                    region: s.bucket.region,
                    sourceBucket: s.bucket.name,
                    roleArn: s.role.arn,
                    reportBucket: report.bucket.name,
                    mode: g.mode,
                    // What the job is, not which routes share it: adding a route never renames a job.
                    routeName: `${s.bucket.name} [${g.mode}${g.prefix ? ` ${g.prefix}` : ""}]`,
                    ...(g.prefix ? { keyPrefix: g.prefix } : {}),
                    ...(trigger ? { trigger } : {}),
                    ...(settings.waitFor ? { waitFor: settings.waitFor } : {}),
                    ...(settings.waitTimeoutSeconds ? { waitTimeoutSeconds: settings.waitTimeoutSeconds } : {}),
                    ...(settings.confirmationRequired !== undefined ? { confirmationRequired: settings.confirmationRequired } : {}),
                    ...(settings.priority !== undefined ? { priority: settings.priority } : {}),
                    ...(settings.createdBefore ? { createdBefore: settings.createdBefore } : {}),
                    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
                    ...(settings.cancelOnDelete !== undefined ? { cancelOnDelete: settings.cancelOnDelete } : {}),
                    ...(access?.roleArn ? { assumeRoleArn: access.roleArn } : {}),
                    ...(access?.externalId ? { assumeRoleExternalId: pulumi.secret(access.externalId) } : {}),
                    ...(access?.profile ? { profile: access.profile } : {}),
                },
                { parent: this, dependsOn: waitFor, aliases: MOVABLE },
            );
            this.backfillJobs[name] = job;
        }
    }

    private registerBucket(
        b: BucketPlan,
        providers: AccountProviders,
        rolesByArn: Map<string, ReplicationRole>,
        readerOf: (bucket: BucketSpec) => AdoptedBucketReader,
    ): HardenedBucket {
        const spec = b.bucket;
        const provider = providers.get(spec.account);
        // Grants name source accounts, not roles: the policy needs no role to exist first.
        const grants = replicationGrantStatements(spec.name, spec.region, b.grants);
        const override = Object.hasOwn(this.bucketOverrides, spec.name) ? this.bucketOverrides[spec.name] : undefined;
        // An adopted bucket's default encryption changes only for a key named for it (stack config
        // buckets.<name>.kmsKeyArn, or the source_kms_key its routes declare), never for an inferred one.
        const kmsKeyArn = spec.kmsKeyArn;
        return new HardenedBucket(
            spec.name,
            {
                bucketName: spec.name,
                accountId: spec.account,
                region: spec.region,
                adopt: !spec.create,
                ...(kmsKeyArn ? { kmsKeyArn } : {}),
                objectLock: spec.objectLock,
                policyStatements: grants,
                ...(!spec.create
                    ? {
                          existingPolicy: readerOf(spec).policy(),
                          existingSettings: readerOf(spec).settings(this.accessOf(spec.account)),
                          adoptedSettings: (override?.adoptedSettings ?? this.adoptedSettings) as AdoptedSettingsMode,
                      }
                    : {}),
            },
            { parent: this, provider, aliases: MOVABLE },
        );
    }

    /** How the account's provider reaches it (stack config `accounts`), for the SDK reads of adopted buckets. */
    private accessOf(account: string) {
        const a = Object.values(this.accounts).find(x => String(x.id) === account);
        return {
            accountId: account,
            ...(a?.roleArn ? { roleArn: a.roleArn } : {}),
            ...(a?.externalId ? { externalId: a.externalId } : {}),
            ...(a?.profile ? { profile: a.profile } : {}),
        };
    }

    /**
     * Cross-account KMS keys: the key's account must let the source role use it ("If the KMS keys
     * are owned by another AWS account, the owner of the KMS keys must grant these permissions",
     * S3 User Guide, "Replicating encrypted objects"). A replica key needs what the role policy
     * grants on it (REPLICA_KEY_ACTIONS): Encrypt, GenerateDataKey and, for S3 Bucket Keys,
     * Decrypt; a source key needs Decrypt.
     */
    private kmsGrantsNeeded(sources: FleetPlan["sources"]) {
        const grants = new Map<string, { roleArn: string; roleName: string; keyArn: string; keyAccount: string; keyRegion: string; operations: string[] }>();
        const defaultKeyOf = new Map(this.plan.buckets.map(b => [b.bucket.name, b.bucket.kmsKeyArn]));
        for (const s of sources) {
            for (const r of s.routes) {
                const replicaKey = r.replicateKms ? r.replicaKmsKeyId : undefined;
                const defaultKey = defaultKeyOf.get(r.destination);
                const keys: Array<[string | undefined, string[]]> = [
                    [replicaKey, ["Decrypt", "Encrypt", "GenerateDataKey"]],
                    // The destination's default key encrypts replicas of unencrypted objects.
                    [defaultKey !== replicaKey ? defaultKey : undefined, ["Decrypt", "Encrypt", "GenerateDataKey"]],
                    [r.replicateKms ? r.sourceKmsKeyArn : undefined, ["Decrypt"]],
                ];
                for (const [keyArn, operations] of keys) {
                    const key = keyArn ? parseKmsKeyArn(keyArn) : undefined;
                    // Aliases cannot be granted on; same-account keys are governed by IAM + the key policy.
                    if (!keyArn || !key || key.kind !== "key" || key.account === s.role.account) continue;
                    const id = `${s.role.arn}|${keyArn}`;
                    const prev = grants.get(id);
                    if (prev) prev.operations = [...new Set([...prev.operations, ...operations])].sort();
                    else
                        grants.set(id, {
                            roleArn: s.role.arn,
                            roleName: s.role.name,
                            keyArn,
                            keyAccount: key.account,
                            keyRegion: key.region,
                            operations: [...operations].sort(),
                        });
                }
            }
        }
        return [...grants.values()];
    }

    private static validate(name: string, args: ReplicationFleetArgs): { plan: FleetPlan; warnings: Diagnostic[] } {
        const pre: Diagnostic[] = [];
        const records = args.records ?? recordsFromObjects(args.routes ?? [], { path: "routes" }, pre);
        const template = args.reportBucketTemplate;
        const result = validateFleet(records, {
            accounts: args.accounts,
            defaults: args.defaults,
            destinationTemplate: args.destinationTemplate,
            buckets: args.buckets,
            rtcUnsupportedRegions: args.rtcUnsupportedRegions,
            quotas: args.iam?.quotas,
            roleGranularity: args.iam?.granularity,
            ...(args.iam?.roleSlots !== undefined ? { roleSlots: args.iam.roleSlots } : {}),
            ...(args.iam?.trustConditions ? { trustConditions: args.iam.trustConditions } : {}),
            ...(args.shard ? { shard: args.shard } : {}),
            ...(args.monitoring?.metrics === false ? { replicationMetrics: false } : {}), // monitoring (issue 12)
            ...(template ? { reportBucketName: (account: string, region: string) => template.replace("{account}", account).replace("{region}", region) } : {}),
        });
        let diagnostics = [...(args.loadDiagnostics ?? []), ...pre, ...result.diagnostics];
        diagnostics.push(...monitoringSettingsProblems(args.monitoring)); // monitoring (issue 12)
        diagnostics.push(...adoptedSettingsProblems(args));
        if (args.strict) diagnostics = escalateWarnings(diagnostics);
        if (records.length === 0 && diagnostics.length === 0) {
            diagnostics.push({ code: "MANIFEST_EMPTY", severity: "error", message: "the fleet has no routes; give routes or records.", path: "routes" });
        }
        const errors = diagnostics.filter(d => d.severity === "error");
        if (errors.length > 0 || !result.plan) throw new pulumi.RunError(diagnosticsMessage(`ReplicationFleet ${name}`, errors));
        return { plan: result.plan, warnings: diagnostics.filter(d => d.severity === "warning") };
    }
}

/**
 * The role an adopted source's configuration will name, once it is known that the bucket has no
 * replication configuration, or one this package wrote: its role is a role of this package in the
 * source account (path /s3-replication/), whichever of the account's roles that is. A
 * configuration written by someone else stops the program instead of being replaced.
 */
function guardExistingReplication(reader: AdoptedBucketReader, roleArn: string): pulumi.Output<string> {
    return pulumi.output(
        reader.replication().then(existing => {
            if (existing && !isPackageRole(existing.role, reader.account)) {
                const rules = existing.ruleIds.join(", ");
                throw new AdoptedBucketError(
                    `adopted bucket ${reader.bucket} already replicates under role ${existing.role}${rules ? ` (rules: ${rules})` : ""}; refusing to replace that configuration. Add those rules as routes and set buckets.${reader.bucket}.replaceExistingReplication: true in stack config.`,
                );
            }
            return roleArn;
        }),
    );
}

/** `adoptedSettings`, for the fleet and per bucket, is one of the modes. */
function adoptedSettingsProblems(args: ReplicationFleetBaseArgs): Diagnostic[] {
    const modes = ADOPTED_SETTINGS_MODES as readonly string[];
    const given: Array<[string, unknown]> = [["adoptedSettings", args.adoptedSettings]];
    for (const [bucket, o] of Object.entries(args.buckets ?? {})) given.push([`buckets.${bucket}.adoptedSettings`, o?.adoptedSettings]);
    return given
        .filter(([, v]) => v !== undefined && !modes.includes(v as string))
        .map(([path, v]) => ({
            code: "INVALID_CONFIG" as const,
            severity: "error" as const,
            message: `${path} ${JSON.stringify(v)} is not one of ${modes.join(", ")}.`,
            path,
        }));
}

/** Whether a role ARN names a replication role of this package in `account` (by its path). */
export function isPackageRole(arn: string, account: string): boolean {
    const m = /^arn:aws[a-z-]*:iam::(\d{12}):role(\/.*\/|\/)([^/]+)$/.exec(arn);
    return m !== null && m[1] === account && m[2] === ROLE_PATH;
}
