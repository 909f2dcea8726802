/**
 * The cross-language surface of this package: what Pulumi's component analyzer reads to write the
 * plugin's schema (provider/schema.ts), and so what Python, Go, C#, Java and YAML programs see.
 *
 * Each class here only DECLARES a component (or, for BatchReplicationJob, the provider's resource):
 * its constructor takes the arguments every language can pass (the components' own `*BaseArgs`
 * interfaces, with their documentation) and its members are the outputs the plugin returns. The
 * real classes in components/ stay richer for TypeScript (literal types, loaded manifest records,
 * resources to wait for, child resources as members), which the analyzer cannot read. The plugin
 * builds the real class from these arguments (provider/construct.ts); the type checks at the end of
 * this file keep both sides in step.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AccountProvidersArgs } from "../components/account-providers";
import type { BatchReplicationJobBaseArgs } from "../components/batch-replication-job";
import type { BucketReplicationBaseArgs } from "../components/bucket-replication";
import type { HardenedBucketBaseArgs } from "../components/hardened-bucket";
import type { ReplicationFleetBaseArgs } from "../components/replication-fleet";
import type { ReplicationRoleGrantArgs } from "../components/replication-role";

/**
 * Values for the manifest columns a route leaves out, camelCase (`sourceAccount` for the
 * `source_account` column): the fleet's `defaults`, and every optional field of a route.
 */
export interface FleetRouteDefaults {
    /** Source account: 12-digit id or an alias from `accounts`. */
    sourceAccount?: string;
    /** Source bucket Region. */
    sourceRegion?: string;
    /** Destination bucket name (default: `destinationTemplate`, e.g. "{source}-replica"). */
    destinationBucket?: string;
    /** Destination account, id or alias (default: the source account). */
    destinationAccount?: string;
    /** Destination Region (default: the source Region). */
    destinationRegion?: string;
    /** Replicate only keys starting with this prefix (at most 1,024 characters). */
    prefix?: string;
    /** Replicate only objects with these tags: "key=value;key2=value2". */
    tags?: string;
    /** Storage class of replicas: STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE or REDUCED_REDUNDANCY. */
    storageClass?: string;
    /** Replicate delete markers (not with a tag filter). Default false. */
    deleteMarkerReplication?: boolean;
    /** "destination" makes the destination account own replicas (cross-account only); "source" keeps the source owner. */
    replicaOwnership?: string;
    /** Replicate SSE-KMS encrypted objects (needs `replicaKmsKey`). */
    replicateKms?: boolean;
    /** KMS key ARN in the destination Region that encrypts replicas. */
    replicaKmsKey?: string;
    /** KMS key ARN the source bucket encrypts with. */
    sourceKmsKey?: string;
    /** S3 Replication Time Control with metrics (15 minutes). Default false. */
    rtc?: boolean;
    /** Backfill existing objects with S3 Batch Replication: "none" (default), "eligible", "failed", "unreplicated", "new-destination" or "all". */
    existingObjects?: string;
    /** Change it to run this route's backfill again (a new Batch Replication job). */
    backfillTrigger?: string;
    /** Two-way replication, with replica modification sync on both rules. Default false. */
    bidirectional?: boolean;
    /** Create the source bucket (false adopts an existing bucket without recreating it). Default false. */
    createSource?: boolean;
    /** Create the destination bucket (false adopts an existing bucket). Default false. */
    createDestination?: boolean;
    /** Rule priority, unique per source bucket (default: derived from the route itself). */
    priority?: number;
    /** "Enabled" (default) or "Disabled". */
    status?: string;
    /** Replication rule id (ASCII, at most 255 characters). */
    ruleId?: string;
}

/** One replication route (a manifest row): a source bucket, and where and how it replicates. */
export interface FleetRoute extends FleetRouteDefaults {
    /** Source bucket name. */
    sourceBucket: string;
}

/** Arguments of ReplicationFleet in every language: the routes as typed objects, and the fleet's settings. */
export interface ReplicationFleetArgs extends ReplicationFleetBaseArgs {
    /** The routes (manifest rows). */
    routes: FleetRoute[];
    /** Values for what a route leaves out. */
    defaults?: FleetRouteDefaults;
}

/** What the fleet did with one route. */
export interface FleetRouteSummary {
    /** Source bucket. */
    source: string;
    /** Destination bucket. */
    destination: string;
    /** Source account id. */
    sourceAccount: string;
    /** Source Region. */
    sourceRegion: string;
    /** Destination account id. */
    destinationAccount: string;
    /** Destination Region. */
    destinationRegion: string;
    /** The replication rule's id. */
    ruleId: string;
    /** The replication rule's priority. */
    priority: number;
    /** The route's backfill mode ("none" when it has no job). */
    existingObjects: string;
    /** Whether the route replicates both ways. */
    bidirectional: boolean;
    /** ARN of the role the source bucket's replication uses. */
    role: string;
}

/**
 * Amazon S3 replication for a whole manifest: one provider per account, hardened buckets (created
 * or adopted), replication roles, one replication configuration per source bucket, destination
 * bucket policies, KMS grants, backfill jobs and monitoring. Every problem in the routes is reported
 * at once, before anything is registered.
 */
export declare class ReplicationFleet extends pulumi.ComponentResource {
    /** One summary per route this fleet (shard) deploys. */
    readonly routes: pulumi.Output<FleetRouteSummary[]>;
    /** ARNs of the replication roles. */
    readonly roleArns: pulumi.Output<string[]>;
    /** Names of the buckets the fleet manages. */
    readonly bucketNames: pulumi.Output<string[]>;
    /** Warnings found in the routes, one line each ("file:row:column warning CODE message"). */
    readonly warnings: pulumi.Output<string[]>;
    constructor(name: string, args: ReplicationFleetArgs, opts?: pulumi.ComponentResourceOptions);
}

/**
 * A bucket (created or adopted) with versioning Enabled, all four public-access-block flags,
 * ownership BucketOwnerEnforced, default encryption, and one policy that denies requests without
 * TLS. Retained when removed from the program; nothing ever empties it.
 */
export declare class HardenedBucket extends pulumi.ComponentResource {
    /** The bucket's name. */
    readonly bucketName: pulumi.Output<string>;
    /** The bucket's ARN. */
    readonly bucketArn: pulumi.Output<string>;
    constructor(name: string, args: HardenedBucketBaseArgs, opts?: pulumi.ComponentResourceOptions);
}

/**
 * The IAM role S3 and S3 Batch Operations assume for a source account's replication: trust as the
 * S3 User Guide documents it, permissions on exact bucket ARNs and actions, KMS only for the keys in
 * use. One inline policy when it fits, else managed policies of at most 6,144 characters.
 */
export declare class ReplicationRole extends pulumi.ComponentResource {
    /** The role's ARN (known before deployment: the name and path are fixed). */
    readonly roleArn: pulumi.Output<string>;
    /** The role's name. */
    readonly roleName: pulumi.Output<string>;
    constructor(name: string, args: ReplicationRoleGrantArgs, opts?: pulumi.ComponentResourceOptions);
}

/**
 * The replication configuration of ONE source bucket (AWS keeps one per bucket and a PUT replaces
 * it), with a rule per destination, always in the V2 schema.
 */
export declare class BucketReplication extends pulumi.ComponentResource {
    /** The source bucket. */
    readonly sourceBucket: pulumi.Output<string>;
    /** The ids of the configuration's rules, in order. */
    readonly ruleIds: pulumi.Output<string[]>;
    constructor(name: string, args: BucketReplicationBaseArgs, opts?: pulumi.ComponentResourceOptions);
}

/**
 * Exactly one AWS provider per account, pinned with allowedAccountIds, assuming the account's role
 * or using its profile; every regional resource names its own Region, so accounts times Regions
 * never multiply into provider processes.
 */
export declare class AccountProviders extends pulumi.ComponentResource {
    /** Account id -> the account's AWS provider, for the `provider` option of your own resources. */
    readonly providers: pulumi.Output<Record<string, string>>;
    constructor(name: string, args: AccountProvidersArgs, opts?: pulumi.ComponentResourceOptions);
}

/**
 * An S3 Batch Replication job for the objects that existed before a route's replication rule,
 * started exactly once per `trigger` (its ClientRequestToken is derived from the route and the
 * trigger). `pulumi refresh` shows its status and progress. Deleting the resource never touches a
 * bucket; it cancels the job only if it still awaits confirmation and `cancelOnDelete` is set.
 *
 * A resource of this package's provider, not a component: the analyzer only reads its shape, and
 * provider/schema.ts lists it under the provider's resources.
 */
export declare class BatchReplicationJob extends pulumi.ComponentResource {
    /** The S3 Batch Operations job id. */
    readonly jobId: pulumi.Output<string>;
    /** The job's ARN (known once the job has been described). */
    readonly jobArn: pulumi.Output<string>;
    /** The job status S3 reported last (New, Preparing, Suspended, Ready, Active, ..., Complete, Failed, Cancelled; NotFound once S3 forgot it). */
    readonly status: pulumi.Output<string>;
    /** Objects in the generated manifest. */
    readonly totalTasks: pulumi.Output<number>;
    /** Objects replicated so far. */
    readonly succeededTasks: pulumi.Output<number>;
    /** Objects that failed so far (see the completion report). */
    readonly failedTasks: pulumi.Output<number>;
    /** Why the job failed, as "Code: reason". */
    readonly failureReasons: pulumi.Output<string[]>;
    /** The idempotency token the job was created with. */
    readonly clientRequestToken: pulumi.Output<string>;
    constructor(name: string, args: BatchReplicationJobBaseArgs, opts?: pulumi.CustomResourceOptions);
}

/** The components of the surface, by the name in their type token. */
export const COMPONENT_NAMES = ["ReplicationFleet", "HardenedBucket", "ReplicationRole", "BucketReplication", "AccountProviders"] as const;
/** The provider's own resources, by the name in their type token. */
export const RESOURCE_NAMES = ["BatchReplicationJob"] as const;

/** The outputs a surface class declares (its own Output members), as the values Construct returns. */
export type SurfaceOutputs<T> = {
    [K in Exclude<keyof T, keyof pulumi.ComponentResource>]: T[K] extends pulumi.Output<infer V> ? pulumi.Input<V> : never;
};
