/**
 * BatchReplicationJob: ONE S3 Batch Replication job for the objects that existed before a route's
 * replication rule, started exactly once per `trigger`, then only reported on. Two ways to host it,
 * one implementation (./batch-job-provider):
 *
 * - {@link BatchReplicationJob}, a dynamic resource, the default for TypeScript programs: it needs
 *   nothing but this npm package. Its provider's methods only call the implementation module, so
 *   when the package is installed under node_modules Pulumi stores `require("pulumi-s3-replication/
 *   batch-job-provider")` in the state instead of the provider's code.
 * - {@link BatchReplicationJobResource}, `pulumi-s3-replication:index:BatchReplicationJob`, served
 *   by this package's own plugin: what every other language uses, and what the components register
 *   while the plugin hosts them ({@link useProviderHostedBatchJobs}).
 */
import * as pulumi from "@pulumi/pulumi";
import type { BatchJobMode } from "./model/batch-job";
import * as jobProvider from "./batch-job-provider";
import type { BatchJobWaitFor, BatchReplicationJobInputs, BatchReplicationJobOutputs } from "./batch-job-provider";

export {
    BATCH_JOB_DEFAULTS,
    BATCH_JOB_DEFINITION_KEYS,
    BATCH_JOB_REPLACE_KEYS,
    credentialsFor,
    type BatchJobWaitFor,
    type BatchReplicationJobInputs,
    type BatchReplicationJobOutputs,
    type CredentialInputs,
} from "./batch-job-provider";

/** The type token of the provider-hosted job. */
export const BATCH_JOB_TYPE = "pulumi-s3-replication:index:BatchReplicationJob";

/**
 * The dynamic provider behind {@link BatchReplicationJob}. Pulumi serializes it into the state of
 * every job: each method only calls the implementation module, which the serializer captures as a
 * module (a bare `require` when the package lives under node_modules; its code, when it does not).
 * Exported so that tests and tools can drive it directly.
 */
export const batchReplicationJobProvider: pulumi.dynamic.ResourceProvider<BatchReplicationJobInputs, BatchReplicationJobOutputs> = {
    check: (olds, news) => jobProvider.checkJob(olds, news),
    diff: (id, olds, news) => jobProvider.diffJob(id, olds, news),
    create: inputs => jobProvider.createJob(inputs),
    read: (id, props) => jobProvider.readJob(id, props),
    update: (id, olds, news) => jobProvider.updateJob(id, olds, news),
    delete: (id, props) => jobProvider.deleteJob(id, props),
};

/**
 * Arguments of the backfill job that every Pulumi language can pass (the schema of
 * `pulumi-s3-replication:index:BatchReplicationJob`); {@link BatchReplicationJobArgs} narrows the
 * documented string values to literal types for TypeScript.
 */
export interface BatchReplicationJobBaseArgs {
    /** The source bucket's AWS account (12 digits). The job is created in, and billed to, this account. Changing it replaces the resource. */
    accountId: pulumi.Input<string>;
    /** The source bucket's Region; the job and its generated manifest live there. Changing it replaces the resource. */
    region: pulumi.Input<string>;
    /** Name of the source bucket whose existing objects are replicated. Changing it replaces the resource. */
    sourceBucket: pulumi.Input<string>;
    /**
     * The role S3 Batch Operations assumes (trusted by batchoperations.s3.amazonaws.com): s3:InitiateReplication
     * on the source objects, s3:GetReplicationConfiguration and s3:PutInventoryConfiguration on the source bucket,
     * s3:PutObject on the report bucket.
     */
    roleArn: pulumi.Input<string>;
    /** Bucket in the source account and Region that receives the generated manifest and the completion report. */
    reportBucket: pulumi.Input<string>;
    /** Base key prefix in the report bucket (default "batch-replication"); reports go to `<prefix>/<source>/reports`, manifests to `<prefix>/<source>/manifests`. */
    reportPrefix?: pulumi.Input<string>;
    /** Which tasks the completion report lists: "AllTasks" (default) or "FailedTasksOnly". */
    reportScope?: pulumi.Input<string>;
    /**
     * Which existing objects to replicate, as the route's `existing_objects` column says: "eligible"
     * (never attempted), "failed", "unreplicated" (never attempted or failed), "new-destination"
     * (also those already replicated elsewhere) or "all" (replicas too). "none" means no job: do
     * not declare the resource.
     */
    mode: pulumi.Input<string>;
    /** Only objects created before this instant (ISO 8601, e.g. the time the replication rule was added). */
    createdBefore?: pulumi.Input<string>;
    /** Only objects created after this instant (ISO 8601). */
    createdAfter?: pulumi.Input<string>;
    /**
     * Only keys starting with this prefix (usually the rule's prefix filter), 1-1,024 characters.
     * One prefix per job: S3 Control's KeyNameConstraint accepts "an array of strings with a
     * length of 1 string" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_KeyNameConstraint.html).
     */
    keyPrefix?: pulumi.Input<string>;
    /** Job priority, 0-2147483647, higher first (default 10). Changing it updates the running job in place. */
    priority?: pulumi.Input<number>;
    /** Hold the job in Suspended until it is confirmed (default false). Setting it to false later confirms a waiting job. */
    confirmationRequired?: pulumi.Input<boolean>;
    /** On delete, cancel the job if it still awaits confirmation (default false). A job that runs or ran is never cancelled. */
    cancelOnDelete?: pulumi.Input<boolean>;
    /** The route the job backfills, e.g. "src -> dst [rule-id]" (see formatRouteName); named in the description, tags and errors. */
    routeName: pulumi.Input<string>;
    /** Job description (max 256 characters; default: mode and route name). */
    description?: pulumi.Input<string>;
    /** Extra job tags (at most 47); the route, mode and trigger tags are always added. */
    tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /**
     * The only input whose change starts another job for the same route (e.g. "2024-06-backfill").
     * Together with the route's identity it determines the job's ClientRequestToken.
     */
    trigger?: pulumi.Input<string>;
    /** What `pulumi up` waits for after creating the job: "none" (default), "created", "ready" or "complete". */
    waitFor?: pulumi.Input<string>;
    /** Longest wait for `waitFor`, in seconds (default 1800). On timeout the job keeps running and stays in the state. */
    waitTimeoutSeconds?: pulumi.Input<number>;
    /** First interval between DescribeJob polls while waiting, in seconds (default 5; grows 1.5x up to 60). */
    pollIntervalSeconds?: pulumi.Input<number>;
    /** A role in the source account for the provider to assume (the job's provider does not use the aws.Provider's credentials). */
    assumeRoleArn?: pulumi.Input<string>;
    /** External id for `assumeRoleArn`, when its trust policy requires one. Kept secret in the state. */
    assumeRoleExternalId?: pulumi.Input<string>;
    /** A named profile (shared config/credentials files) for the provider's credentials; with `assumeRoleArn`, the credentials that assume it. */
    profile?: pulumi.Input<string>;
    /**
     * An S3 Control endpoint URL (e.g. a VPC endpoint or a test fake), used verbatim: the account id is sent in
     * the x-amz-account-id header and NOT prepended to the host name, so give the full host you need.
     */
    endpoint?: pulumi.Input<string>;
    /** An STS endpoint URL for `assumeRoleArn` (e.g. a VPC endpoint); default: the Region's STS endpoint. */
    stsEndpoint?: pulumi.Input<string>;
    /** Attempts per AWS call, including the first, for throttling, 5xx, timeouts and dropped connections (1-20, default 6). */
    maxAttempts?: pulumi.Input<number>;
    /** The SDK retry mode: "standard" (default) or "adaptive" (adds client-side rate limiting after throttling). */
    retryMode?: pulumi.Input<string>;
    /** Seconds before an unanswered request is abandoned and retried (default 30). */
    requestTimeoutSeconds?: pulumi.Input<number>;
}

/** {@link BatchReplicationJobBaseArgs} with the documented string values as TypeScript literal types. */
export interface BatchReplicationJobArgs extends BatchReplicationJobBaseArgs {
    reportScope?: pulumi.Input<"AllTasks" | "FailedTasksOnly">;
    mode: pulumi.Input<BatchJobMode>;
    waitFor?: pulumi.Input<BatchJobWaitFor>;
    retryMode?: pulumi.Input<"standard" | "adaptive">;
}

let providerHosted = false;

/**
 * Make {@link BatchReplicationJob} register the provider-hosted resource (this package's plugin)
 * instead of the dynamic one, for every job created from now on in this process. The plugin calls
 * it when it starts, so that a ReplicationFleet constructed for Python, Go, C# or YAML never
 * registers a dynamic resource (which needs a Node.js program: pulumi/pulumi#5455). A TypeScript
 * program may call it when its Pulumi.yaml lists the plugin (`pulumi package add`).
 */
export function useProviderHostedBatchJobs(enabled = true): void {
    providerHosted = enabled;
}

/** The props both resources register: the inputs, and the outputs S3 reports, unknown until then. */
function jobProps(name: string, args: BatchReplicationJobBaseArgs): pulumi.Inputs {
    if ((args.mode as unknown) === "none") {
        throw new Error(`BatchReplicationJob ${name}: mode "none" means no Batch Replication job; do not declare this resource for the route.`);
    }
    return {
        ...args,
        jobId: undefined,
        jobArn: undefined,
        status: undefined,
        totalTasks: undefined,
        succeededTasks: undefined,
        failedTasks: undefined,
        failureReasons: undefined,
        clientRequestToken: undefined,
    };
}

/** The external id is a shared secret of the account's trust policy: secret in the state too. */
function withSecretOutputs<T extends pulumi.CustomResourceOptions>(opts: T | undefined): T {
    return { ...opts, additionalSecretOutputs: [...new Set([...(opts?.additionalSecretOutputs ?? []), "assumeRoleExternalId"])] } as T;
}

/**
 * An S3 Batch Replication job for the objects that existed before a route's replication rule,
 * started exactly once per `trigger`. `pulumi refresh` shows its status and progress.
 *
 * Deleting the resource never touches a bucket; it cancels the job only if it still awaits
 * confirmation and `cancelOnDelete` is set.
 *
 * A dynamic resource: it works wherever this npm package is installed, with no plugin. After
 * {@link useProviderHostedBatchJobs} it registers a {@link BatchReplicationJobResource} instead.
 */
export class BatchReplicationJob extends pulumi.dynamic.Resource {
    // `declare`: with ES2022 class fields, a plain field would overwrite the outputs the base constructor set.
    /** The S3 Batch Operations job id. */
    declare public readonly jobId: pulumi.Output<string>;
    /** The job's ARN (known once the job has been described). */
    declare public readonly jobArn: pulumi.Output<string | undefined>;
    /** The job status S3 reported last (New, Preparing, Suspended, Ready, Active, ..., Complete, Failed, Cancelled; NotFound once S3 forgot it). */
    declare public readonly status: pulumi.Output<string>;
    /** Objects in the generated manifest. */
    declare public readonly totalTasks: pulumi.Output<number>;
    /** Objects replicated so far. */
    declare public readonly succeededTasks: pulumi.Output<number>;
    /** Objects that failed so far (see the completion report). */
    declare public readonly failedTasks: pulumi.Output<number>;
    /** Why the job failed, as "Code: reason". */
    declare public readonly failureReasons: pulumi.Output<string[]>;
    /** The idempotency token the job was created with. */
    declare public readonly clientRequestToken: pulumi.Output<string>;

    constructor(name: string, args: BatchReplicationJobArgs, opts?: pulumi.CustomResourceOptions) {
        if (providerHosted) {
            // Same outputs, same inputs, the plugin's provider: callers (the fleet) need not know
            // which one they got. A constructor may return another object instead of `this`.
            return new BatchReplicationJobResource(name, args, opts) as unknown as BatchReplicationJob;
        }
        super(batchReplicationJobProvider, name, jobProps(name, args), withSecretOutputs(opts), "s3-replication", "BatchReplicationJob");
    }
}

/**
 * The same job as a resource of this package's own provider
 * (`pulumi-s3-replication:index:BatchReplicationJob`): the state holds only inputs and outputs,
 * never code, and it works from every Pulumi language and any package manager. Needs the plugin:
 * `pulumi package add` this package, or list it under `packages` in Pulumi.yaml.
 */
export class BatchReplicationJobResource extends pulumi.CustomResource {
    /** The S3 Batch Operations job id. */
    declare public readonly jobId: pulumi.Output<string>;
    /** The job's ARN (known once the job has been described). */
    declare public readonly jobArn: pulumi.Output<string | undefined>;
    /** The job status S3 reported last (New, Preparing, Suspended, Ready, Active, ..., Complete, Failed, Cancelled; NotFound once S3 forgot it). */
    declare public readonly status: pulumi.Output<string>;
    /** Objects in the generated manifest. */
    declare public readonly totalTasks: pulumi.Output<number>;
    /** Objects replicated so far. */
    declare public readonly succeededTasks: pulumi.Output<number>;
    /** Objects that failed so far (see the completion report). */
    declare public readonly failedTasks: pulumi.Output<number>;
    /** Why the job failed, as "Code: reason". */
    declare public readonly failureReasons: pulumi.Output<string[]>;
    /** The idempotency token the job was created with. */
    declare public readonly clientRequestToken: pulumi.Output<string>;

    constructor(name: string, args: BatchReplicationJobArgs, opts?: pulumi.CustomResourceOptions) {
        super(BATCH_JOB_TYPE, name, jobProps(name, args), withSecretOutputs(opts));
    }
}
