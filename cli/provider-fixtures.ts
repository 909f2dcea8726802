/**
 * How pulumi-aws (7.x, bridging terraform-provider-aws) answers the invokes this package makes,
 * errors included, for the offline `plan` and for the tests' engine. The offline world is: every
 * adopted bucket exists in the Region the manifest gives it, with no bucket policy and no
 * replication configuration. Tests build other worlds with `providerWorld`.
 *
 * Where each answer comes from:
 * - Data sources: terraform-provider-aws internal/service/s3 — `bucket_data_source.go`
 *   (HeadBucket, then the bucket's Region as `bucket_region`), `bucket_policy_data_source.go`
 *   ("reading S3 Bucket (%s) Policy: %s" around `findBucketPolicy`, which turns NoSuchBucket and
 *   NoSuchBucketPolicy into retry.NotFoundError) and `bucket_replication_configuration_data_source.go`
 *   (a plugin-framework data source; `findReplicationConfiguration` turns
 *   ReplicationConfigurationNotFoundError and NoSuchBucket into the same NotFoundError).
 *   retry.NotFoundError's text is "couldn't find resource".
 * - The bridge (pulumi-terraform-bridge pkg/tfbridge/provider.go `Invoke`) wraps an SDKv2 data
 *   source failure as "invoking <token>: " + a go-multierror list ("1 error occurred:\n\t* ...").
 * - The engine (pulumi pkg/resource/deploy/source_eval.go `Invoke`) answers the program with a
 *   gRPC error "invocation of <token> returned an error: ...", and the Node SDK rejects with
 *   `new Error(err.details)` (sdk/nodejs runtime/invoke.ts).
 * Only the text "couldn't find resource" is ever matched (components/adoption.ts); the rest is the
 * wrapping as those sources build it.
 */
import { createHash } from "crypto";
import { ExistingBucketSettings, newBucketDefaults, partitionOf } from "../components/model";

export type InvokeHandler = (inputs: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

export const TOKENS = {
    getBucket: "aws:s3/getBucket:getBucket",
    getBucketPolicy: "aws:s3/getBucketPolicy:getBucketPolicy",
    getBucketReplicationConfiguration: "aws:s3/getBucketReplicationConfiguration:getBucketReplicationConfiguration",
    getBuckets: "aws:s3/getBuckets:getBuckets",
} as const;

/**
 * Not an invoke: the AWS SDK S3 calls the program makes itself (components/bucket-settings.ts, for
 * the settings pulumi-aws has no data source for). Offline they are answered by the same world,
 * with `{ command, input, region, accountId }` in and the SDK command's output out.
 */
export const S3_SDK_CALL = "aws-sdk:s3:send";

/**
 * An error as @aws-sdk/client-s3 throws it for an S3 error response: an S3ServiceException whose
 * `name` is the error Code of the XML body and whose `message` is its Message
 * (smithy-client's decorateServiceException; codes and statuses from the S3 API reference).
 */
export function s3ServiceError(code: string, status: number, message: string): Error {
    return Object.assign(new Error(message), { name: code, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status } });
}

/** A canonical user id (64 hex digits) standing for an account's, stable per account. */
export function canonicalIdOf(account: string): string {
    return createHash("sha256").update(`canonical:${account}`).digest("hex");
}

/** The error the Node SDK sees when the engine's Invoke fails: a gRPC UNKNOWN status whose details the SDK rethrows. */
export class EngineInvokeError extends Error {
    readonly code = 2;
    constructor(readonly details: string) {
        super(details);
    }
}

/** An SDKv2 data source's failure, as the bridge and the engine wrap it. */
export function sdkv2DataSourceError(token: string, diagnostic: string): EngineInvokeError {
    return new EngineInvokeError(`invocation of ${token} returned an error: invoking ${token}: 1 error occurred:\n\t* ${diagnostic}\n\n`);
}

/** A plugin-framework data source's failure (summary, then the detail), as the engine wraps it. */
export function frameworkDataSourceError(token: string, summary: string, detail: string): EngineInvokeError {
    return new EngineInvokeError(`invocation of ${token} returned an error: ${summary}: ${detail}`);
}

const NOT_FOUND = "couldn't find resource";

/** One existing bucket of a test world. */
export interface WorldBucket {
    region: string;
    /** Policy JSON text; absent: no policy (NoSuchBucketPolicy). */
    policy?: string;
    /** Absent: no replication configuration (ReplicationConfigurationNotFoundError). */
    replication?: { role: string; rules: Array<{ id?: string }> };
    /** Make a read fail as AWS would for a caller without the permission. */
    denied?: Array<"policy" | "replication">;
    /** Owned by another account: HeadBucket works for a reader, but ListBuckets of the caller omits it. */
    foreign?: boolean;
    /** The owning account (for ExpectedBucketOwner); default: whoever asks. */
    account?: string;
    /**
     * Encryption, ownership, public access block and ACL, over the defaults of a bucket S3 creates
     * today (SSE-S3, BucketOwnerEnforced, all four flags, owner-only ACL); null: none configured.
     */
    settings?: { [K in keyof ExistingBucketSettings]?: ExistingBucketSettings[K] | null };
    /** SDK reads denied to the caller (AccessDenied), by what they read. */
    deniedSettings?: Array<"encryption" | "ownership" | "publicAccessBlock" | "acl">;
}

/** What GetBucket* answers for one bucket of the world, as the SDK returns it. */
function answerS3(name: string, b: WorldBucket | undefined, command: string, input: Record<string, unknown>, caller: string): Record<string, unknown> {
    // A bucket that does not exist: 404 NoSuchBucket. ExpectedBucketOwner not matching the owner: 403 AccessDenied.
    if (!b) throw s3ServiceError("NoSuchBucket", 404, "The specified bucket does not exist");
    // The offline world's buckets belong to whichever account the reader expects.
    const owner = b.account ?? (typeof input.ExpectedBucketOwner === "string" ? input.ExpectedBucketOwner : caller);
    if ((typeof input.ExpectedBucketOwner === "string" && input.ExpectedBucketOwner !== owner) || b.foreign) {
        throw s3ServiceError("AccessDenied", 403, "Access Denied");
    }
    const defaults = newBucketDefaults(canonicalIdOf(owner));
    const pick = <K extends keyof ExistingBucketSettings>(k: K): ExistingBucketSettings[K] | undefined => {
        const v = b.settings && Object.prototype.hasOwnProperty.call(b.settings, k) ? b.settings[k] : defaults[k];
        return v === null ? undefined : (v as ExistingBucketSettings[K]);
    };
    const denied = (what: NonNullable<WorldBucket["deniedSettings"]>[number]) => {
        if (b.deniedSettings?.includes(what)) throw s3ServiceError("AccessDenied", 403, "Access Denied");
    };
    switch (command) {
        case "GetBucketEncryptionCommand": {
            denied("encryption");
            const e = pick("encryption");
            if (!e) throw s3ServiceError("ServerSideEncryptionConfigurationNotFoundError", 404, "The server side encryption configuration was not found");
            return {
                ServerSideEncryptionConfiguration: {
                    Rules: [
                        {
                            ApplyServerSideEncryptionByDefault: {
                                SSEAlgorithm: e.sseAlgorithm,
                                ...(e.kmsMasterKeyId ? { KMSMasterKeyID: e.kmsMasterKeyId } : {}),
                            },
                            BucketKeyEnabled: !!e.bucketKeyEnabled,
                        },
                    ],
                },
            };
        }
        case "GetBucketOwnershipControlsCommand": {
            denied("ownership");
            const o = pick("objectOwnership");
            if (!o) throw s3ServiceError("OwnershipControlsNotFoundError", 404, "The bucket ownership controls were not found");
            return { OwnershipControls: { Rules: [{ ObjectOwnership: o }] } };
        }
        case "GetPublicAccessBlockCommand": {
            denied("publicAccessBlock");
            const p = pick("publicAccessBlock");
            if (!p) throw s3ServiceError("NoSuchPublicAccessBlockConfiguration", 404, "The public access block configuration was not found");
            return {
                PublicAccessBlockConfiguration: {
                    BlockPublicAcls: p.blockPublicAcls,
                    IgnorePublicAcls: p.ignorePublicAcls,
                    BlockPublicPolicy: p.blockPublicPolicy,
                    RestrictPublicBuckets: p.restrictPublicBuckets,
                },
            };
        }
        case "GetBucketAclCommand": {
            denied("acl");
            const acl = pick("acl") ?? defaults.acl;
            return {
                Owner: { ID: acl.ownerId },
                Grants: acl.grants.map(g => ({
                    Grantee: {
                        Type: g.granteeType,
                        ...(g.granteeType === "Group"
                            ? { URI: g.grantee }
                            : g.granteeType === "AmazonCustomerByEmail"
                              ? { EmailAddress: g.grantee }
                              : { ID: g.grantee }),
                    },
                    Permission: g.permission,
                })),
            };
        }
        default:
            throw new Error(`the offline world does not answer S3 ${command} (${name})`);
    }
}

/**
 * Invoke answers for a world of existing buckets, by name. `undefined` for `buckets` is the
 * offline world: every bucket asked about by name exists where it is asked for, bare (adopted
 * buckets are read by name), and the account owns no bucket yet (ListBuckets is empty, so every
 * bucket the fleet creates is new).
 */
export function providerWorld(buckets?: Record<string, WorldBucket>): Record<string, InvokeHandler> {
    const find = (inputs: Record<string, unknown>): WorldBucket | undefined => {
        const name = String(inputs.bucket);
        if (!buckets) return { region: String(inputs.region ?? "us-east-1") };
        return Object.prototype.hasOwnProperty.call(buckets, name) ? buckets[name] : undefined;
    };
    return {
        [TOKENS.getBucket]: inputs => {
            const name = String(inputs.bucket);
            const b = find(inputs);
            // HeadBucket answers 404 with no body; the SDK error is NotFound, wrapped as NotFoundError.
            if (!b) throw sdkv2DataSourceError(TOKENS.getBucket, `reading S3 Bucket (${name}): ${NOT_FOUND}`);
            const partition = partitionOf(b.region);
            return {
                bucket: name,
                id: name,
                arn: `arn:${partition}:s3:::${name}`,
                bucketRegion: b.region,
                bucketDomainName: `${name}.s3.amazonaws.com`,
                bucketRegionalDomainName: `${name}.s3.${b.region}.amazonaws.com`,
                region: String(inputs.region ?? b.region),
            };
        },
        // terraform-provider-aws buckets_data_source.go: ListBuckets (the caller's own buckets),
        // filtered by `prefix` and `bucketRegion`; every bucket as {bucketArn, bucketRegion, creationDate, name}.
        [TOKENS.getBuckets]: inputs => {
            const prefix = typeof inputs.prefix === "string" ? inputs.prefix : "";
            const onlyRegion = typeof inputs.bucketRegion === "string" ? inputs.bucketRegion : undefined;
            const listed = Object.entries(buckets ?? {})
                .filter(([name, b]) => !b.foreign && name.startsWith(prefix) && (!onlyRegion || b.region === onlyRegion))
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([name, b]) => ({
                    bucketArn: `arn:${partitionOf(b.region)}:s3:::${name}`,
                    bucketRegion: b.region,
                    creationDate: "2026-01-01T00:00:00Z",
                    name,
                }));
            return { id: String(inputs.region ?? "us-east-1"), buckets: listed, region: String(inputs.region ?? "us-east-1"), ...(prefix ? { prefix } : {}) };
        },
        [TOKENS.getBucketPolicy]: inputs => {
            const name = String(inputs.bucket);
            const b = find(inputs);
            if (b?.denied?.includes("policy")) {
                throw sdkv2DataSourceError(
                    TOKENS.getBucketPolicy,
                    `reading S3 Bucket (${name}) Policy: operation error S3: GetBucketPolicy, https response error StatusCode: 403, api error AccessDenied: Access Denied`,
                );
            }
            if (!b || b.policy === undefined) throw sdkv2DataSourceError(TOKENS.getBucketPolicy, `reading S3 Bucket (${name}) Policy: ${NOT_FOUND}`);
            return { bucket: name, id: name, policy: b.policy, region: String(inputs.region ?? b.region) };
        },
        [S3_SDK_CALL]: inputs => {
            const input = (inputs.input ?? {}) as Record<string, unknown>;
            const name = String(input.Bucket);
            return answerS3(name, find({ bucket: name, region: inputs.region }), String(inputs.command), input, String(inputs.accountId));
        },
        [TOKENS.getBucketReplicationConfiguration]: inputs => {
            const name = String(inputs.bucket);
            const b = find(inputs);
            const summary = `reading S3 Bucket Replication Configuration Data Source (${JSON.stringify(name)})`;
            if (b?.denied?.includes("replication")) {
                throw frameworkDataSourceError(
                    TOKENS.getBucketReplicationConfiguration,
                    summary,
                    "operation error S3: GetBucketReplication, https response error StatusCode: 403, api error AccessDenied: Access Denied",
                );
            }
            if (!b || !b.replication) throw frameworkDataSourceError(TOKENS.getBucketReplicationConfiguration, summary, NOT_FOUND);
            return { bucket: name, id: name, role: b.replication.role, rules: b.replication.rules, region: String(inputs.region ?? b.region) };
        },
    };
}

/** What the offline `plan` answers: adopted buckets exist, bare. */
export const OFFLINE_INVOKES: Record<string, InvokeHandler> = providerWorld();
