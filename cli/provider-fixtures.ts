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
import { partitionOf } from "../components/model";

export type InvokeHandler = (inputs: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

export const TOKENS = {
    getBucket: "aws:s3/getBucket:getBucket",
    getBucketPolicy: "aws:s3/getBucketPolicy:getBucketPolicy",
    getBucketReplicationConfiguration: "aws:s3/getBucketReplicationConfiguration:getBucketReplicationConfiguration",
    getBuckets: "aws:s3/getBuckets:getBuckets",
} as const;

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
                bucket: name, id: name, arn: `arn:${partition}:s3:::${name}`, bucketRegion: b.region,
                bucketDomainName: `${name}.s3.amazonaws.com`, bucketRegionalDomainName: `${name}.s3.${b.region}.amazonaws.com`,
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
                .map(([name, b]) => ({ bucketArn: `arn:${partitionOf(b.region)}:s3:::${name}`, bucketRegion: b.region, creationDate: "2026-01-01T00:00:00Z", name }));
            return { id: String(inputs.region ?? "us-east-1"), buckets: listed, region: String(inputs.region ?? "us-east-1"), ...(prefix ? { prefix } : {}) };
        },
        [TOKENS.getBucketPolicy]: inputs => {
            const name = String(inputs.bucket);
            const b = find(inputs);
            if (b?.denied?.includes("policy")) {
                throw sdkv2DataSourceError(TOKENS.getBucketPolicy, `reading S3 Bucket (${name}) Policy: operation error S3: GetBucketPolicy, https response error StatusCode: 403, api error AccessDenied: Access Denied`);
            }
            if (!b || b.policy === undefined) throw sdkv2DataSourceError(TOKENS.getBucketPolicy, `reading S3 Bucket (${name}) Policy: ${NOT_FOUND}`);
            return { bucket: name, id: name, policy: b.policy, region: String(inputs.region ?? b.region) };
        },
        [TOKENS.getBucketReplicationConfiguration]: inputs => {
            const name = String(inputs.bucket);
            const b = find(inputs);
            const summary = `reading S3 Bucket Replication Configuration Data Source (${JSON.stringify(name)})`;
            if (b?.denied?.includes("replication")) {
                throw frameworkDataSourceError(TOKENS.getBucketReplicationConfiguration, summary, "operation error S3: GetBucketReplication, https response error StatusCode: 403, api error AccessDenied: Access Denied");
            }
            if (!b || !b.replication) throw frameworkDataSourceError(TOKENS.getBucketReplicationConfiguration, summary, NOT_FOUND);
            return { bucket: name, id: name, role: b.replication.role, rules: b.replication.rules, region: String(inputs.region ?? b.region) };
        },
    };
}

/** What the offline `plan` answers: adopted buckets exist, bare. */
export const OFFLINE_INVOKES: Record<string, InvokeHandler> = providerWorld();
