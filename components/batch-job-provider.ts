/**
 * The Batch Replication job's resource provider: Check, Diff, Create, Read, Update and Delete of ONE
 * S3 Batch Replication job, shared by both ways the package hosts the job:
 * - `BatchReplicationJob`, a dynamic resource (components/batch-replication-job.ts): Pulumi
 *   serializes a provider whose methods only call this module, so an installed package stores a
 *   bare `require("pulumi-s3-replication/batch-job-provider")` in the state instead of the code.
 * - `pulumi-s3-replication:index:BatchReplicationJob`, served by this package's own plugin
 *   (provider/), for every Pulumi language.
 *
 * It neither imports the Pulumi SDK at run time nor keeps anything but a credential cache: every
 * method builds its own S3 Control client from the resource's inputs (Region, account, role to
 * assume or profile, endpoint), because neither host sees the program's aws.Provider credentials.
 *
 * Exactly once: CreateJob carries a ClientRequestToken derived from the route's identity and the
 * `trigger` input (see deriveClientRequestToken), so SDK retries, timeouts and a crash between
 * CreateJob and the state write all land on the same job. Only a new `trigger` (or a new identity)
 * replaces the resource and so starts a new job.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { DescribeJobCommandOutput, JobDescriptor, S3ControlClient, S3ControlClientConfig } from "@aws-sdk/client-s3-control";
import { type BatchJobMode, type BatchJobSpec, DEFAULT_REPORT_PREFIX, batchJobSpecProblems, buildCreateJobInput } from "./model/batch-job";

/** How long `create` waits for the new job: not at all, until S3 knows it, until it can run, or until it is done. */
export type BatchJobWaitFor = "none" | "created" | "ready" | "complete";

/** The inputs as the provider receives them, after `check` applied the defaults (meanings: {@link BatchReplicationJobArgs}). */
export interface BatchReplicationJobInputs {
    accountId: string;
    region: string;
    sourceBucket: string;
    roleArn: string;
    reportBucket: string;
    reportPrefix: string;
    reportScope: "AllTasks" | "FailedTasksOnly";
    mode: BatchJobMode;
    createdBefore?: string;
    createdAfter?: string;
    keyPrefix?: string;
    priority: number;
    confirmationRequired: boolean;
    cancelOnDelete: boolean;
    routeName: string;
    description?: string;
    tags?: Record<string, string>;
    trigger?: string;
    waitFor: BatchJobWaitFor;
    waitTimeoutSeconds: number;
    pollIntervalSeconds: number;
    assumeRoleArn?: string;
    assumeRoleExternalId?: string;
    profile?: string;
    endpoint?: string;
    stsEndpoint?: string;
    maxAttempts: number;
    retryMode: "standard" | "adaptive";
    requestTimeoutSeconds: number;
}

/** The resource's state: its inputs plus what S3 reports about the job. */
export interface BatchReplicationJobOutputs extends BatchReplicationJobInputs {
    jobId: string;
    jobArn?: string;
    status: string;
    totalTasks: number;
    succeededTasks: number;
    failedTasks: number;
    failureReasons: string[];
    clientRequestToken: string;
}

/** Defaults `check` fills in; documented on {@link BatchReplicationJobArgs}. */
export const BATCH_JOB_DEFAULTS = {
    reportPrefix: DEFAULT_REPORT_PREFIX,
    reportScope: "AllTasks",
    priority: 10,
    confirmationRequired: false,
    cancelOnDelete: false,
    waitFor: "none",
    waitTimeoutSeconds: 1800,
    pollIntervalSeconds: 5,
    maxAttempts: 6,
    retryMode: "standard",
    requestTimeoutSeconds: 30,
} as const;

/** Inputs whose change replaces the resource (and so starts a new job). Everything else updates in place. */
export const BATCH_JOB_REPLACE_KEYS: readonly (keyof BatchReplicationJobInputs)[] = ["accountId", "region", "sourceBucket", "trigger"];

/**
 * What a created job is: the objects it replicates and where it reports. S3 offers no way to change
 * them, so `check` refuses a change unless `trigger` changes too (which replaces the resource).
 */
export const BATCH_JOB_DEFINITION_KEYS: readonly (keyof BatchReplicationJobInputs)[] = [
    "mode",
    "createdBefore",
    "createdAfter",
    "keyPrefix",
    "reportBucket",
    "reportPrefix",
    "reportScope",
    "roleArn",
    "routeName",
    "description",
    "tags",
];

const INPUT_KEYS: readonly (keyof BatchReplicationJobInputs)[] = [
    "accountId",
    "region",
    "sourceBucket",
    "roleArn",
    "reportBucket",
    "reportPrefix",
    "reportScope",
    "mode",
    "createdBefore",
    "createdAfter",
    "keyPrefix",
    "priority",
    "confirmationRequired",
    "cancelOnDelete",
    "routeName",
    "description",
    "tags",
    "trigger",
    "waitFor",
    "waitTimeoutSeconds",
    "pollIntervalSeconds",
    "assumeRoleArn",
    "assumeRoleExternalId",
    "profile",
    "endpoint",
    "stsEndpoint",
    "maxAttempts",
    "retryMode",
    "requestTimeoutSeconds",
];

/** What the engine sends for a value not known yet (preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const TERMINAL_STATUSES: readonly string[] = ["Complete", "Cancelled", "Failed"];
/** Statuses in which the manifest exists and the job can run (or already ran). */
const READY_STATUSES: readonly string[] = ["Suspended", "Ready", "Active", "Pausing", "Paused", "Completing", "Complete"];
/** Status reported when S3 no longer knows the job (it forgets jobs 90 days after they end). */
const NOT_FOUND_STATUS = "NotFound";

// ---- helpers ----

/** The S3 Control SDK, loaded on first use: loading the library or the CLI must not pay for it. */
function s3control(): typeof import("@aws-sdk/client-s3-control") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above), and synchronous for newClient
    return require("@aws-sdk/client-s3-control");
}

function isUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(isUnknown);
    if (value !== null && typeof value === "object") return Object.values(value).some(isUnknown);
    return false;
}

/** Drops `undefined` (the engine's Struct encoding rejects it), recursively. */
function compact<T>(value: T): T {
    if (Array.isArray(value)) return value.filter(v => v !== undefined).map(compact) as unknown as T;
    if (value !== null && typeof value === "object" && !(value instanceof Date)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = compact(v);
        return out as T;
    }
    return value;
}

/** Structural equality over JSON values; `undefined` equals a missing key. */
function sameValue(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (a === undefined || b === undefined || a === null || b === null) return false;
    if (Array.isArray(a) || Array.isArray(b)) {
        return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
    }
    if (typeof a === "object" && typeof b === "object") {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        for (const k of keys) {
            if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
        }
        return true;
    }
    return false;
}

function toSpec(inputs: BatchReplicationJobInputs): BatchJobSpec {
    return {
        accountId: inputs.accountId,
        region: inputs.region,
        sourceBucket: inputs.sourceBucket,
        roleArn: inputs.roleArn,
        reportBucket: inputs.reportBucket,
        reportPrefix: inputs.reportPrefix,
        reportScope: inputs.reportScope,
        mode: inputs.mode,
        createdBefore: inputs.createdBefore,
        createdAfter: inputs.createdAfter,
        keyPrefix: inputs.keyPrefix,
        priority: inputs.priority,
        confirmationRequired: inputs.confirmationRequired,
        routeName: inputs.routeName,
        description: inputs.description,
        tags: inputs.tags,
        trigger: inputs.trigger,
    };
}

function sleep(ms: number): Promise<void> {
    return new Promise(resolve => setTimeout(resolve, ms));
}

interface CredentialCacheEntry {
    provider: () => Promise<{ expiration?: Date }>;
}

/** What credentialsFor needs: the account, the Region for STS, and a role and/or a profile. */
export type CredentialInputs = Pick<BatchReplicationJobInputs, "accountId" | "region" | "assumeRoleArn" | "assumeRoleExternalId" | "profile" | "stsEndpoint">;

/**
 * Credentials for an assumed role or a profile, shared by every call in this process (one
 * AssumeRole per role, not one per resource) and refreshed 5 minutes before they expire.
 * Returns undefined for the SDK's default chain (environment, SSO, instance role...).
 * Exported for `s3-replication status`, which reaches each account the same way.
 */
export function credentialsFor(inputs: CredentialInputs): S3ControlClientConfig["credentials"] {
    if (!inputs.assumeRoleArn && !inputs.profile) return undefined;
    const key = JSON.stringify([inputs.assumeRoleArn, inputs.assumeRoleExternalId, inputs.profile, inputs.region, inputs.stsEndpoint]);
    // Runtime state of the provider host, created on first use: nothing here is serialized.
    const holder = globalThis as unknown as Record<symbol, Map<string, CredentialCacheEntry> | undefined>;
    const slot = Symbol.for("pulumi-s3-replication/batch-job-credentials");
    const cache = holder[slot] ?? (holder[slot] = new Map<string, CredentialCacheEntry>());
    const hit = cache.get(key);
    if (hit) return hit.provider as S3ControlClientConfig["credentials"];

    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, like s3control()
    const providers: typeof import("@aws-sdk/credential-providers") = require("@aws-sdk/credential-providers");
    const base = inputs.profile ? providers.fromIni({ profile: inputs.profile }) : undefined;
    const source = inputs.assumeRoleArn
        ? providers.fromTemporaryCredentials({
              params: {
                  RoleArn: inputs.assumeRoleArn,
                  RoleSessionName: `pulumi-s3-replication-${inputs.accountId}`,
                  ...(inputs.assumeRoleExternalId ? { ExternalId: inputs.assumeRoleExternalId } : {}),
              },
              ...(base ? { masterCredentials: base } : {}),
              clientConfig: { region: inputs.region, ...(inputs.stsEndpoint ? { endpoint: inputs.stsEndpoint } : {}) },
          })
        : base;
    if (!source) return undefined;
    type Identity = Awaited<ReturnType<typeof source>>;
    let current: Identity | undefined;
    let pending: Promise<Identity> | undefined;
    const provider = async (): Promise<Identity> => {
        const fresh = current && (!current.expiration || current.expiration.getTime() - Date.now() > 300_000);
        if (fresh && current) return current;
        pending ??= source().then(
            c => {
                current = c;
                pending = undefined;
                return c;
            },
            (e: unknown) => {
                pending = undefined;
                throw e;
            },
        );
        return pending;
    };
    cache.set(key, { provider });
    return provider;
}

/**
 * An S3 Control client for one provider call. With a custom `endpoint` the URL is used verbatim:
 * the SDK's endpoint rules would otherwise prepend the account id as a host label
 * (`{AccountId}.{endpoint host}`), which is invalid for an IP address or localhost. The account id
 * still travels in the `x-amz-account-id` header. (`disableHostPrefix` does not help: in this SDK
 * the prefix comes from the endpoint rule set, not from a hostPrefix trait.)
 */
function newClient(inputs: BatchReplicationJobInputs): S3ControlClient {
    const sdk = s3control();
    const timeoutMs = Math.round(inputs.requestTimeoutSeconds * 1000);
    const config: S3ControlClientConfig = {
        region: inputs.region,
        maxAttempts: inputs.maxAttempts,
        retryMode: inputs.retryMode,
        // Without throwOnRequestTimeout a hung answer only logs a warning and is never retried.
        requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 10_000), throwOnRequestTimeout: true },
    };
    const credentials = credentialsFor(inputs);
    if (credentials) config.credentials = credentials;
    if (inputs.endpoint) {
        const endpoint = inputs.endpoint;
        config.endpointProvider = () => ({ url: new URL(endpoint) });
    }
    return new sdk.S3ControlClient(config);
}

interface AwsErrorLike {
    name?: string;
    message?: string;
    Code?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
}

function isNotFound(err: unknown): boolean {
    const e = err as AwsErrorLike;
    return e?.name === "NotFoundException" || e?.name === "NoSuchJob" || e?.name === "NoSuchJobException" || e?.$metadata?.httpStatusCode === 404;
}

/** Rewrites an SDK error into one that says what AWS said, for which route, and what to do. */
function describeAwsError(err: unknown, inputs: BatchReplicationJobInputs, operation: string, token?: string): Error {
    const e = (err ?? {}) as AwsErrorLike;
    const name = e.name ?? "Error";
    const said = (e.message ?? String(err)).replace(/\.+$/, "");
    const attempts = e.$metadata?.attempts;
    // No HTTP status: the request never got an answer (timeout, dropped connection, DNS...).
    const answered = e.$metadata?.httpStatusCode !== undefined;
    const where = `BatchReplicationJob for route "${inputs.routeName}" (account ${inputs.accountId}, ${inputs.region})`;
    let hint: string;
    switch (name) {
        case "BadRequestException":
        case "InvalidRequestException":
        case "MalformedXML":
            hint = "Correct the input AWS objects to and run `pulumi up` again.";
            break;
        case "IdempotencyException":
            hint =
                `A job with ClientRequestToken ${token ?? "(unknown)"} was already created from different settings. ` +
                "Restore the settings it was created with, or set a new `trigger` to start a new job.";
            break;
        case "AccessDenied":
        case "AccessDeniedException":
        case "InvalidAccessKeyId":
        case "ExpiredToken":
        case "CredentialsProviderError":
            hint =
                "Check the credentials the provider uses: `assumeRoleArn` or `profile` must reach account " +
                `${inputs.accountId} with s3:CreateJob, s3:DescribeJob and iam:PassRole on the job role.`;
            break;
        case "TooManyRequestsException":
        case "SlowDown":
        case "ThrottlingException":
            hint =
                `Still throttled after ${attempts ?? inputs.maxAttempts} attempts; raise \`maxAttempts\` or run again ` +
                "(the same ClientRequestToken means a rerun cannot start a second job).";
            break;
        default:
            hint = `Failed after ${attempts ?? "?"} attempt(s); run again: the same ClientRequestToken means a rerun cannot start a second job.`;
    }
    const what = answered ? `AWS said ${name}: ${said}` : `S3 Control did not answer (${name}: ${said})`;
    return new Error(`${where}: ${operation} failed. ${what}. ${hint}`, { cause: err });
}

/** The progress part of the outputs, from a DescribeJob answer. */
function progressOf(
    job: JobDescriptor | undefined,
): Pick<BatchReplicationJobOutputs, "status" | "totalTasks" | "succeededTasks" | "failedTasks" | "failureReasons" | "jobArn"> {
    return {
        status: job?.Status ?? "Unknown",
        jobArn: job?.JobArn,
        totalTasks: job?.ProgressSummary?.TotalNumberOfTasks ?? 0,
        succeededTasks: job?.ProgressSummary?.NumberOfTasksSucceeded ?? 0,
        failedTasks: job?.ProgressSummary?.NumberOfTasksFailed ?? 0,
        failureReasons: (job?.FailureReasons ?? []).map(f => `${f.FailureCode ?? "Unknown"}: ${f.FailureReason ?? ""}`.trim()),
    };
}

async function describeJob(client: S3ControlClient, inputs: BatchReplicationJobInputs, jobId: string): Promise<DescribeJobCommandOutput | undefined> {
    const sdk = s3control();
    try {
        return await client.send(new sdk.DescribeJobCommand({ AccountId: inputs.accountId, JobId: jobId }));
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw describeAwsError(err, inputs, `DescribeJob ${jobId}`);
    }
}

/**
 * An error that tells the engine the job exists but did not reach the awaited state: Pulumi keeps
 * the resource (id and outputs) in the state, so the next `pulumi up` does not create another job.
 */
function initError(message: string, outs: BatchReplicationJobOutputs): Error {
    return Object.assign(new Error(message), { id: outs.jobId, properties: compact(outs), reasons: [message] });
}

function waitSatisfied(waitFor: BatchJobWaitFor, status: string): boolean {
    switch (waitFor) {
        case "none":
        case "created":
            return true;
        case "ready":
            return READY_STATUSES.includes(status);
        case "complete":
            return status === "Complete";
    }
}

/** Polls DescribeJob with backoff until `waitFor` holds, the job ends badly, or the timeout passes. */
async function waitForJob(client: S3ControlClient, outs: BatchReplicationJobOutputs): Promise<BatchReplicationJobOutputs> {
    const deadline = Date.now() + outs.waitTimeoutSeconds * 1000;
    let interval = Math.max(1, outs.pollIntervalSeconds * 1000);
    let current = outs;
    for (;;) {
        const answer = await describeJob(client, outs, outs.jobId);
        if (answer) {
            current = { ...current, ...progressOf(answer.Job) };
            if (waitSatisfied(outs.waitFor, current.status)) return current;
            const reasons = current.failureReasons.length > 0 ? ` (${current.failureReasons.join("; ")})` : "";
            if (current.status === "Failed" || current.status === "Cancelled") {
                throw initError(`Batch Replication job ${outs.jobId} for route "${outs.routeName}" is ${current.status}${reasons}.`, current);
            }
            if (outs.waitFor === "complete" && current.status === "Suspended" && answer.Job?.ConfirmationRequired) {
                throw initError(
                    `Batch Replication job ${outs.jobId} for route "${outs.routeName}" awaits confirmation, so waitFor "complete" ` +
                        'cannot finish: confirm it (set confirmationRequired to false and run `pulumi up`, or confirm in the S3 console), or wait for "ready".',
                    current,
                );
            }
        }
        if (Date.now() + interval > deadline) {
            throw initError(
                `Batch Replication job ${outs.jobId} for route "${outs.routeName}" is still ${answer ? current.status : "not visible"} ` +
                    `after ${outs.waitTimeoutSeconds} s (waitFor "${outs.waitFor}"). The job keeps running; \`pulumi refresh\` shows its progress.`,
                current,
            );
        }
        await sleep(interval);
        interval = Math.min(interval * 1.5, 60_000);
    }
}

// ---- provider methods (the dynamic provider's signatures; provider/ adapts them to the gRPC ones) ----

export async function checkJob(
    olds: BatchReplicationJobInputs,
    news: BatchReplicationJobInputs,
): Promise<pulumi.dynamic.CheckResult<BatchReplicationJobInputs>> {
    const raw = news as unknown as Record<string, unknown>;
    const inputs: Record<string, unknown> = {};
    for (const key of INPUT_KEYS) if (raw[key] !== undefined && raw[key] !== null) inputs[key] = raw[key];
    for (const [key, value] of Object.entries(BATCH_JOB_DEFAULTS)) inputs[key] ??= value;

    const skip = new Set(Object.keys(inputs).filter(k => isUnknown(inputs[k])));
    const failures = batchJobSpecProblems(inputs, skip);
    const add = (property: string, reason: string): void => {
        if (!skip.has(property)) failures.push({ property, reason });
    };
    const positive = (key: string, max: number): void => {
        const v = inputs[key];
        if (typeof v !== "number" || !(v > 0) || v > max) add(key, `must be a number of seconds greater than 0 and at most ${max} (got ${JSON.stringify(v)})`);
    };
    if (!["none", "created", "ready", "complete"].includes(inputs.waitFor as string))
        add("waitFor", `must be "none", "created", "ready" or "complete" (got ${JSON.stringify(inputs.waitFor)})`);
    positive("waitTimeoutSeconds", 43_200);
    positive("pollIntervalSeconds", 3_600);
    positive("requestTimeoutSeconds", 3_600);
    const attempts = inputs.maxAttempts;
    if (typeof attempts !== "number" || !Number.isInteger(attempts) || attempts < 1 || attempts > 20)
        add("maxAttempts", `must be an integer from 1 to 20 (got ${JSON.stringify(attempts)})`);
    if (inputs.retryMode !== "standard" && inputs.retryMode !== "adaptive")
        add("retryMode", `must be "standard" or "adaptive" (got ${JSON.stringify(inputs.retryMode)})`);
    if (typeof inputs.cancelOnDelete !== "boolean") add("cancelOnDelete", "must be true or false");
    for (const key of ["endpoint", "stsEndpoint"]) {
        const v = inputs[key];
        if (v === undefined) continue;
        let ok = false;
        try {
            const u = new URL(String(v));
            ok = u.protocol === "https:" || u.protocol === "http:";
        } catch {
            /* reported below */
        }
        if (!ok) add(key, `must be an http(s) URL such as "https://s3-control.us-east-1.amazonaws.com" (got ${JSON.stringify(v)})`);
    }
    if (
        inputs.assumeRoleArn !== undefined &&
        (typeof inputs.assumeRoleArn !== "string" || !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(inputs.assumeRoleArn))
    ) {
        add("assumeRoleArn", `must be an IAM role ARN (got ${JSON.stringify(inputs.assumeRoleArn)})`);
    }
    if (inputs.profile !== undefined && (typeof inputs.profile !== "string" || inputs.profile.length === 0)) add("profile", "must be a profile name");
    // A job cannot be changed once S3 created it: recording new settings would describe a job that
    // never ran. Only a new trigger (a new job, by replacement) may change what a job does.
    const previous = (olds ?? {}) as unknown as Record<string, unknown>;
    if (previous.accountId !== undefined && sameValue(previous.trigger, inputs.trigger)) {
        for (const key of BATCH_JOB_DEFINITION_KEYS) {
            if (skip.has(key) || sameValue(previous[key], inputs[key])) continue;
            add(
                key,
                `cannot change after the job was created (it ran with ${JSON.stringify(previous[key] ?? null)}); ` +
                    "set a new `trigger` to start a new job with the new settings, or restore the old value",
            );
        }
    }
    return { inputs: inputs as unknown as BatchReplicationJobInputs, failures };
}

export async function diffJob(_id: pulumi.ID, olds: BatchReplicationJobOutputs, news: BatchReplicationJobInputs): Promise<pulumi.dynamic.DiffResult> {
    const o = olds as unknown as Record<string, unknown>;
    const n = news as unknown as Record<string, unknown>;
    const changed = INPUT_KEYS.filter(k => isUnknown(n[k]) || !sameValue(o[k], n[k]));
    const replaces = changed.filter(k => BATCH_JOB_REPLACE_KEYS.includes(k));
    return {
        changes: changed.length > 0,
        replaces,
        stables: replaces.length === 0 ? ["jobId", "jobArn", "clientRequestToken"] : [],
        deleteBeforeReplace: false,
    };
}

export async function createJob(inputs: BatchReplicationJobInputs): Promise<pulumi.dynamic.CreateResult<BatchReplicationJobOutputs>> {
    const sdk = s3control();
    const request = buildCreateJobInput(toSpec(inputs));
    const token = request.ClientRequestToken as string;
    const client = newClient(inputs);
    try {
        let jobId: string | undefined;
        try {
            // The SDK retries throttling, 5xx, timeouts and dropped connections with the same
            // token; S3 answers a replay with the job it already created.
            jobId = (await client.send(new sdk.CreateJobCommand(request))).JobId;
        } catch (err) {
            throw describeAwsError(err, inputs, "CreateJob", token);
        }
        if (!jobId) throw new Error(`BatchReplicationJob for route "${inputs.routeName}": CreateJob answered without a JobId.`);
        let outs: BatchReplicationJobOutputs = {
            ...inputs,
            jobId,
            clientRequestToken: token,
            status: "New",
            totalTasks: 0,
            succeededTasks: 0,
            failedTasks: 0,
            failureReasons: [],
        };
        if (inputs.waitFor !== "none") {
            try {
                outs = await waitForJob(client, outs);
            } catch (err) {
                // Whatever went wrong while waiting, the job exists: report it with its id.
                if ((err as { id?: string }).id) throw err;
                throw initError((err as Error).message, outs);
            }
        }
        return { id: jobId, outs: compact(outs) };
    } finally {
        client.destroy();
    }
}

export async function readJob(id: pulumi.ID, props?: BatchReplicationJobOutputs): Promise<pulumi.dynamic.ReadResult<BatchReplicationJobOutputs>> {
    if (!props || !props.accountId || !props.region) {
        throw new Error(
            `BatchReplicationJob ${id}: reading a job needs accountId and region in its state; ` +
                "declare the resource in the program instead of importing it by id alone.",
        );
    }
    const client = newClient(props);
    try {
        const answer = await describeJob(client, props, id);
        // A job S3 has forgotten stays in the state: dropping it would let the next `pulumi up`
        // start a second backfill for the same route and trigger.
        const progress = answer ? progressOf(answer.Job) : { status: NOT_FOUND_STATUS };
        return { id, props: compact({ ...props, ...progress, jobId: id }) };
    } finally {
        client.destroy();
    }
}

export async function updateJob(
    id: pulumi.ID,
    olds: BatchReplicationJobOutputs,
    news: BatchReplicationJobInputs,
): Promise<pulumi.dynamic.UpdateResult<BatchReplicationJobOutputs>> {
    const sdk = s3control();
    const client = newClient(news);
    try {
        let answer = await describeJob(client, news, id);
        const status = answer?.Job?.Status;
        const live = status !== undefined && !TERMINAL_STATUSES.includes(status);
        let touched = false;
        if (live && olds.priority !== news.priority) {
            try {
                await client.send(new sdk.UpdateJobPriorityCommand({ AccountId: news.accountId, JobId: id, Priority: news.priority }));
            } catch (err) {
                throw describeAwsError(err, news, `UpdateJobPriority ${id}`);
            }
            touched = true;
        }
        // Turning confirmationRequired off is how a program confirms a job that waits for it.
        if (status === "Suspended" && answer?.Job?.ConfirmationRequired && olds.confirmationRequired && !news.confirmationRequired) {
            try {
                await client.send(
                    new sdk.UpdateJobStatusCommand({
                        AccountId: news.accountId,
                        JobId: id,
                        RequestedJobStatus: "Ready",
                        StatusUpdateReason: "confirmed by pulumi up (confirmationRequired set to false)",
                    }),
                );
            } catch (err) {
                throw describeAwsError(err, news, `UpdateJobStatus ${id} (confirm)`);
            }
            touched = true;
        }
        if (touched) answer = (await describeJob(client, news, id)) ?? answer;
        const progress = answer ? progressOf(answer.Job) : { status: NOT_FOUND_STATUS };
        // Exactly the new inputs and what S3 reports: an input removed from the program leaves the
        // state too (credentials and endpoints included), and the job keeps its identity.
        const outs: BatchReplicationJobOutputs = {
            ...news,
            ...progress,
            jobId: id,
            clientRequestToken: olds.clientRequestToken,
            ...(!("jobArn" in progress && progress.jobArn) && olds.jobArn !== undefined ? { jobArn: olds.jobArn } : {}),
        } as BatchReplicationJobOutputs;
        return { outs: compact(outs) };
    } finally {
        client.destroy();
    }
}

export async function deleteJob(id: pulumi.ID, props: BatchReplicationJobOutputs): Promise<void> {
    // Deleting the resource forgets the job; it never touches a bucket, a report or a manifest.
    if (!props.cancelOnDelete) return;
    const sdk = s3control();
    const client = newClient(props);
    try {
        const answer = await describeJob(client, props, id);
        const job = answer?.Job;
        // Only a job that never started (still awaiting confirmation) is cancelled: a running
        // backfill is left to finish rather than leave a half-replicated destination.
        if (!job || job.Status !== "Suspended" || !job.ConfirmationRequired) return;
        try {
            await client.send(
                new sdk.UpdateJobStatusCommand({
                    AccountId: props.accountId,
                    JobId: id,
                    RequestedJobStatus: "Cancelled",
                    StatusUpdateReason: "cancelled by pulumi destroy (cancelOnDelete)",
                }),
            );
        } catch (err) {
            if (isNotFound(err)) return;
            throw describeAwsError(err, props, `UpdateJobStatus ${id} (cancel)`);
        }
    } finally {
        client.destroy();
    }
}
