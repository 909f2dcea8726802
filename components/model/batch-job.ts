/**
 * S3 Batch Replication jobs as pure data: which objects a route's `existing_objects` mode selects,
 * the CreateJob request that selects them, and the idempotency token that makes "start the job
 * exactly once" hold across retries and crashes.
 *
 * Pure: no Pulumi and no AWS SDK at runtime (type-only imports are erased), so the CLI, the
 * components, the policy pack and the dynamic provider (which serializes this code) share it.
 */
import { createHash } from "crypto";
import type { CreateJobCommandInput, JobManifestGeneratorFilter } from "@aws-sdk/client-s3-control";
import { bucketNameProblems, isAccountId, partitionOf } from "./aws-facts";

/**
 * What a route does with objects that existed before its replication rule.
 * - `none`: no Batch Replication job.
 * - `eligible`: objects never attempted (replication status NONE).
 * - `failed`: objects whose replication FAILED (S3 never retries them by itself).
 * - `unreplicated`: NONE and FAILED.
 * - `new-destination`: NONE, FAILED and COMPLETED, to fill a destination added to an existing rule set.
 * - `all`: also REPLICA objects (replicas of another bucket), e.g. for chained or two-way routes.
 */
export type ExistingObjectsMode = "none" | "eligible" | "failed" | "unreplicated" | "new-destination" | "all";

/** Modes that start a job (every mode except `none`). */
export type BatchJobMode = Exclude<ExistingObjectsMode, "none">;

/** Every mode, in the order documented for the manifest column `existing_objects`. */
export const EXISTING_OBJECTS_MODES: readonly ExistingObjectsMode[] = Object.freeze([
    "none",
    "eligible",
    "failed",
    "unreplicated",
    "new-destination",
    "all",
] as const);

/** True when `value` is one of {@link EXISTING_OBJECTS_MODES}. */
export function isExistingObjectsMode(value: unknown): value is ExistingObjectsMode {
    return typeof value === "string" && (EXISTING_OBJECTS_MODES as readonly string[]).includes(value);
}

/** Replication statuses a manifest-generator filter can select. */
export type ObjectReplicationStatus = "NONE" | "FAILED" | "COMPLETED" | "REPLICA";

const STATUSES_BY_MODE: Readonly<Record<BatchJobMode, readonly ObjectReplicationStatus[]>> = {
    "eligible": ["NONE"],
    "failed": ["FAILED"],
    "unreplicated": ["NONE", "FAILED"],
    "new-destination": ["NONE", "FAILED", "COMPLETED"],
    "all": ["NONE", "FAILED", "COMPLETED", "REPLICA"],
};

/** The replication statuses a mode selects; empty for `none`. */
export function replicationStatusesFor(mode: ExistingObjectsMode): readonly ObjectReplicationStatus[] {
    return mode === "none" ? [] : STATUSES_BY_MODE[mode];
}

/** Optional narrowing of the generated manifest beyond the mode. */
export interface ManifestConstraints {
    /** Only objects created before this instant (ISO 8601). */
    createdBefore?: string;
    /** Only objects created after this instant (ISO 8601). */
    createdAfter?: string;
    /**
     * Only keys starting with this prefix (1-1,024 characters). ONE prefix: S3 Control's
     * KeyNameConstraint.MatchAnyPrefix is a list, but "each KeyNameConstraint filter accepts an
     * array of strings with a length of 1 string" (S3 Control API reference, KeyNameConstraint:
     * https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_KeyNameConstraint.html).
     */
    keyPrefix?: string;
}

/**
 * The `S3JobManifestGenerator.Filter` for a mode, or `undefined` for `none` (no job).
 * EligibleForReplication is always true: Batch Replication only acts on objects that an enabled
 * rule of the source bucket covers.
 */
export function manifestFilterFor(mode: ExistingObjectsMode, constraints: ManifestConstraints = {}): JobManifestGeneratorFilter | undefined {
    if (mode === "none") return undefined;
    const filter: JobManifestGeneratorFilter = {
        EligibleForReplication: true,
        ObjectReplicationStatuses: [...STATUSES_BY_MODE[mode]],
    };
    if (constraints.createdAfter !== undefined) filter.CreatedAfter = new Date(constraints.createdAfter);
    if (constraints.createdBefore !== undefined) filter.CreatedBefore = new Date(constraints.createdBefore);
    if (constraints.keyPrefix !== undefined && constraints.keyPrefix.length > 0) {
        filter.KeyNameConstraint = { MatchAnyPrefix: [constraints.keyPrefix] };
    }
    return filter;
}

/** Everything a CreateJob request is built from, already resolved to plain values. */
export interface BatchJobSpec extends ManifestConstraints {
    /** The source bucket's account (12 digits); the job is created there. */
    accountId: string;
    /** The source bucket's Region; the job and its generated manifest live there. */
    region: string;
    /** Source bucket name. */
    sourceBucket: string;
    /** The Batch Operations role (trusted by batchoperations.s3.amazonaws.com). */
    roleArn: string;
    /** Bucket (same account and Region as the source) that receives the manifest and the completion report. */
    reportBucket: string;
    /** Key prefix under which reports and manifests are written; see {@link jobKeyPrefixes}. */
    reportPrefix?: string;
    /** Which tasks the completion report lists. */
    reportScope?: "AllTasks" | "FailedTasksOnly";
    /** What the job replicates. */
    mode: BatchJobMode;
    /** Job priority, 0-2147483647 (higher runs first). */
    priority: number;
    /** Hold the job in Suspended until someone confirms it. */
    confirmationRequired: boolean;
    /** The route this job backfills, e.g. from {@link formatRouteName}. */
    routeName: string;
    /** Overrides the generated description (max 256 characters). */
    description?: string;
    /** Extra job tags. */
    tags?: Readonly<Record<string, string>>;
    /** Changing this value is the only way to start another job for the same route. */
    trigger?: string;
}

/** The default base key prefix for reports and generated manifests. */
export const DEFAULT_REPORT_PREFIX = "batch-replication";

/** Tag keys this package sets on every job. */
export const JOB_TAG_KEYS = {
    route: "s3-replication:route",
    mode: "s3-replication:mode",
    trigger: "s3-replication:trigger",
} as const;

/** S3 Control limits this model enforces (description, token, priority, tags, key prefixes). */
export const BATCH_JOB_LIMITS = {
    maxDescriptionLength: 256,
    maxTokenLength: 64,
    maxPriority: 2147483647,
    maxTags: 50,
    maxTagKeyLength: 128,
    maxTagValueLength: 256,
    /** KeyNameConstraint.MatchAnyPrefix holds one NonEmptyMaxLength1024String. */
    maxKeyPrefixLength: 1024,
} as const;

/** `source -> destination [rule]`, the route name used in descriptions, tags and errors. */
export function formatRouteName(sourceBucket: string, destinationBucket: string, ruleId?: string): string {
    return ruleId ? `${sourceBucket} -> ${destinationBucket} [${ruleId}]` : `${sourceBucket} -> ${destinationBucket}`;
}

/**
 * Key prefixes (no trailing slash) for the completion report and the generated manifest. Both sit
 * under the source bucket's name so one report bucket can serve every source of an account+Region;
 * S3 adds `job-<id>/` below them, so jobs never overwrite each other.
 */
export function jobKeyPrefixes(sourceBucket: string, basePrefix: string = DEFAULT_REPORT_PREFIX): { report: string; manifest: string } {
    const base = basePrefix.replace(/^\/+|\/+$/g, "");
    const root = base.length > 0 ? `${base}/${sourceBucket}` : sourceBucket;
    return { report: `${root}/reports`, manifest: `${root}/manifests` };
}

/**
 * The deterministic ClientRequestToken of a job: the job's identity (account, Region, source
 * bucket, route) and its trigger, hashed. S3 answers a repeated CreateJob carrying the same token
 * (and the same request) with the job it already made, so a retry after throttling, a timeout or
 * a crash before Pulumi saved the job id never starts a second job.
 */
export function deriveClientRequestToken(identity: { accountId: string; region: string; sourceBucket: string; routeName: string; trigger?: string }): string {
    // JSON of an array: field order is fixed and no separator inside a value can be confused for another field.
    const canonical = JSON.stringify([
        "s3-replication/batch-job/v1",
        identity.accountId,
        identity.region,
        identity.sourceBucket,
        identity.routeName,
        identity.trigger ?? "",
    ]);
    const prefix = "s3rb1-";
    const digest = createHash("sha256").update(canonical, "utf8").digest("hex");
    return prefix + digest.slice(0, BATCH_JOB_LIMITS.maxTokenLength - prefix.length);
}

/** Truncates to `max` characters, marking the cut with an ellipsis. */
function truncate(value: string, max: number): string {
    const chars = Array.from(value); // code points, so a cut never splits a surrogate pair
    return chars.length <= max ? value : chars.slice(0, max - 1).join("") + "…";
}

/** The job description: the caller's, or one naming the mode and the route (max 256 characters). */
export function jobDescription(spec: Pick<BatchJobSpec, "mode" | "routeName" | "description">): string {
    if (spec.description !== undefined && spec.description.length > 0) {
        return truncate(spec.description, BATCH_JOB_LIMITS.maxDescriptionLength);
    }
    return truncate(`S3 Batch Replication (${spec.mode}) for ${spec.routeName}`, BATCH_JOB_LIMITS.maxDescriptionLength);
}

/**
 * S3 job tags accept letters, digits, spaces and `_ . : = + - @`; route names contain arrows and
 * brackets, so generated values are mapped onto that set ("a -> b [r]" becomes "a to b r").
 */
export function sanitizeTagValue(value: string): string {
    const cleaned = value
        .replace(/\s*(->|→)\s*/g, " to ")
        .replace(/[[\]()]/g, "")
        .replace(/[^\p{L}\p{Z}\p{N}_.:=+\-@]/gu, "_");
    return Array.from(cleaned).slice(0, BATCH_JOB_LIMITS.maxTagValueLength).join("");
}

/** User tags (sorted by key, for a stable request) followed by the tags naming route, mode and trigger. */
export function jobTags(spec: Pick<BatchJobSpec, "mode" | "routeName" | "tags" | "trigger">): { Key: string; Value: string }[] {
    const reserved = new Set<string>(Object.values(JOB_TAG_KEYS));
    const user = Object.entries(spec.tags ?? {})
        .filter(([key]) => !reserved.has(key))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([Key, Value]) => ({ Key, Value }));
    const own: { Key: string; Value: string }[] = [
        { Key: JOB_TAG_KEYS.route, Value: sanitizeTagValue(spec.routeName) },
        { Key: JOB_TAG_KEYS.mode, Value: spec.mode },
    ];
    if (spec.trigger !== undefined && spec.trigger.length > 0) {
        own.push({ Key: JOB_TAG_KEYS.trigger, Value: sanitizeTagValue(spec.trigger) });
    }
    return [...user, ...own];
}

/**
 * The complete CreateJob request (operation S3ReplicateObject, generated manifest, report) for a
 * spec. The result is a plain object in the SDK's CreateJobCommandInput shape; nothing random or
 * time-dependent goes in, so the same spec always yields the same request (which idempotency needs).
 */
export function buildCreateJobInput(spec: BatchJobSpec): CreateJobCommandInput {
    const partition = partitionOf(spec.region);
    const sourceArn = `arn:${partition}:s3:::${spec.sourceBucket}`;
    const reportArn = `arn:${partition}:s3:::${spec.reportBucket}`;
    const prefixes = jobKeyPrefixes(spec.sourceBucket, spec.reportPrefix ?? DEFAULT_REPORT_PREFIX);
    const filter = manifestFilterFor(spec.mode, spec);
    if (filter === undefined) throw new Error(`mode "${spec.mode}" does not start a Batch Replication job`);
    return {
        AccountId: spec.accountId,
        ClientRequestToken: deriveClientRequestToken(spec),
        ConfirmationRequired: spec.confirmationRequired,
        Operation: { S3ReplicateObject: {} },
        Priority: spec.priority,
        RoleArn: spec.roleArn,
        Description: jobDescription(spec),
        Tags: jobTags(spec),
        Report: {
            Enabled: true,
            Bucket: reportArn,
            Format: "Report_CSV_20180820",
            Prefix: prefixes.report,
            ReportScope: spec.reportScope ?? "AllTasks",
            ExpectedBucketOwner: spec.accountId,
        },
        ManifestGenerator: {
            S3JobManifestGenerator: {
                SourceBucket: sourceArn,
                ExpectedBucketOwner: spec.accountId,
                EnableManifestOutput: true,
                ManifestOutputLocation: {
                    Bucket: reportArn,
                    ExpectedManifestBucketOwner: spec.accountId,
                    ManifestFormat: "S3InventoryReport_CSV_20211130",
                    ManifestPrefix: prefixes.manifest,
                },
                Filter: filter,
            },
        },
    };
}

/** One reason a spec cannot become a job, keyed by the input it came from. */
export interface BatchJobProblem {
    property: string;
    reason: string;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Every problem with a spec at once (empty when valid). Fields whose value is `unknown` (e.g. a
 * role ARN not created yet during preview) are skipped by passing them in `skip`.
 */
export function batchJobSpecProblems(spec: Partial<Record<keyof BatchJobSpec, unknown>>, skip: ReadonlySet<string> = new Set()): BatchJobProblem[] {
    const problems: BatchJobProblem[] = [];
    const add = (property: string, reason: string): void => {
        if (!skip.has(property)) problems.push({ property, reason });
    };
    const str = (v: unknown): v is string => typeof v === "string";

    if (!str(spec.accountId) || !isAccountId(spec.accountId)) add("accountId", `must be a 12-digit AWS account id (got ${JSON.stringify(spec.accountId)})`);
    if (!str(spec.region) || !REGION.test(spec.region)) add("region", `must be an AWS Region such as "us-east-1" (got ${JSON.stringify(spec.region)})`);
    for (const key of ["sourceBucket", "reportBucket"] as const) {
        const value = spec[key];
        if (!str(value)) add(key, "must be a bucket name");
        else {
            const p = bucketNameProblems(value);
            if (p.length > 0) add(key, `"${value}" is not a valid bucket name: ${p.join("; ")}`);
        }
    }
    if (!str(spec.roleArn) || !ROLE_ARN.test(spec.roleArn)) {
        add("roleArn", `must be an IAM role ARN such as "arn:aws:iam::111122223333:role/batch-replication" (got ${JSON.stringify(spec.roleArn)})`);
    } else if (str(spec.region) && REGION.test(spec.region) && !spec.roleArn.startsWith(`arn:${partitionOf(spec.region)}:`)) {
        add("roleArn", `is in another partition than Region ${spec.region} (expected "arn:${partitionOf(spec.region)}:iam::...")`);
    }
    if (!isExistingObjectsMode(spec.mode) || spec.mode === "none") {
        add(
            "mode",
            `must be one of ${EXISTING_OBJECTS_MODES.filter(m => m !== "none").join(", ")} (got ${JSON.stringify(spec.mode)}); mode "none" means: do not create a BatchReplicationJob`,
        );
    }
    if (typeof spec.priority !== "number" || !Number.isInteger(spec.priority) || spec.priority < 0 || spec.priority > BATCH_JOB_LIMITS.maxPriority) {
        add("priority", `must be an integer from 0 to ${BATCH_JOB_LIMITS.maxPriority} (got ${JSON.stringify(spec.priority)})`);
    }
    if (typeof spec.confirmationRequired !== "boolean") add("confirmationRequired", "must be true or false");
    if (!str(spec.routeName) || spec.routeName.trim().length === 0) add("routeName", 'must name the route, e.g. "src -> dst [rule-id]"');
    if (spec.description !== undefined && (!str(spec.description) || spec.description.length > BATCH_JOB_LIMITS.maxDescriptionLength)) {
        add("description", `must be a string of at most ${BATCH_JOB_LIMITS.maxDescriptionLength} characters`);
    }
    if (spec.reportPrefix !== undefined && (!str(spec.reportPrefix) || spec.reportPrefix.length > 400)) {
        add("reportPrefix", "must be a key prefix of at most 400 characters");
    }
    if (spec.reportScope !== undefined && spec.reportScope !== "AllTasks" && spec.reportScope !== "FailedTasksOnly") {
        add("reportScope", `must be "AllTasks" or "FailedTasksOnly" (got ${JSON.stringify(spec.reportScope)})`);
    }
    if (spec.trigger !== undefined && !str(spec.trigger)) add("trigger", "must be a string");

    const instants: Partial<Record<"createdBefore" | "createdAfter", number>> = {};
    for (const key of ["createdBefore", "createdAfter"] as const) {
        const value = spec[key];
        if (value === undefined) continue;
        if (!str(value) || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
            add(key, `must be an ISO 8601 date or instant such as "2024-01-31T00:00:00Z" (got ${JSON.stringify(value)})`);
        } else {
            instants[key] = Date.parse(value);
        }
    }
    if (instants.createdAfter !== undefined && instants.createdBefore !== undefined && instants.createdAfter >= instants.createdBefore) {
        add("createdAfter", "must be earlier than createdBefore, or the manifest selects nothing");
    }
    if (spec.keyPrefix !== undefined && (!str(spec.keyPrefix) || spec.keyPrefix.length === 0 || spec.keyPrefix.length > BATCH_JOB_LIMITS.maxKeyPrefixLength)) {
        add(
            "keyPrefix",
            `must be one non-empty key prefix of at most ${BATCH_JOB_LIMITS.maxKeyPrefixLength} characters (S3 Control accepts one prefix per job; got ${JSON.stringify(spec.keyPrefix)})`,
        );
    }
    if (spec.tags !== undefined) {
        if (spec.tags === null || typeof spec.tags !== "object" || Array.isArray(spec.tags)) {
            add("tags", "must be a map of tag keys to values");
        } else {
            const entries = Object.entries(spec.tags as Record<string, unknown>);
            // Route and mode (and trigger) tags are always added.
            const room = BATCH_JOB_LIMITS.maxTags - 3;
            if (entries.length > room) add("tags", `at most ${room} tags (S3 allows ${BATCH_JOB_LIMITS.maxTags} per job; 3 are reserved)`);
            for (const [key, value] of entries) {
                if (key.length === 0 || key.length > BATCH_JOB_LIMITS.maxTagKeyLength)
                    add(`tags.${key}`, `tag keys must be 1-${BATCH_JOB_LIMITS.maxTagKeyLength} characters`);
                if (!str(value) || value.length > BATCH_JOB_LIMITS.maxTagValueLength)
                    add(`tags.${key}`, `tag values must be strings of at most ${BATCH_JOB_LIMITS.maxTagValueLength} characters`);
            }
        }
    }
    return problems;
}
