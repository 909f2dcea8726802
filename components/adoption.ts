/**
 * Reading what an adopted (existing) bucket already has, through the account's provider, so that
 * adopting it never silently replaces someone else's policy or replication configuration.
 *
 * How pulumi-aws answers, and why the code below reads it the way it does:
 * - `aws.s3.getBucket` fails when the bucket does not exist or cannot be read (HeadBucket), and
 *   reports the bucket's Region (`bucketRegion`).
 * - `aws.s3.getBucketPolicy` and `aws.s3.getBucketReplicationConfiguration` report "no policy" and
 *   "no replication configuration" as a failed invoke, exactly as they report a missing bucket:
 *   terraform-provider-aws wraps NoSuchBucket, NoSuchBucketPolicy and
 *   ReplicationConfigurationNotFoundError in the same retry.NotFoundError, whose text is
 *   "couldn't find resource" (internal/service/s3/bucket_policy.go `findBucketPolicy`,
 *   bucket_replication_configuration.go `findReplicationConfiguration`; the error type in
 *   internal/retry and terraform-plugin-sdk helper/retry). The bridge prefixes
 *   "invoking <token>: " and the engine "invocation of <token> returned an error: ", and the Node
 *   SDK rejects with that text (runtime/invoke.js: `new Error(err.details)`).
 * So the bucket's existence is established first (getBucket); only then does "couldn't find
 * resource" from the policy or replication read mean "there is none". Any other failure stops
 * the program rather than risk replacing something that could not be read.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AccountAccess, bucketSettingsSource } from "./bucket-settings";
import { ExistingBucketSettings } from "./model";

/** The NotFoundError text of terraform-provider-aws (see the module comment for where it comes from). */
const PROVIDER_NOT_FOUND = "couldn't find resource";

export function isProviderNotFound(err: unknown): boolean {
    return String((err as Error)?.message ?? err).includes(PROVIDER_NOT_FOUND);
}

/** What an adopted source's existing replication configuration says, as far as the guard needs. */
export interface ExistingReplication {
    role: string;
    ruleIds: string[];
}

export class AdoptedBucketError extends Error {}

/**
 * One adopted bucket, read through its account's provider. Every read waits for the existence
 * check, which runs once however many reads ask for it.
 */
export class AdoptedBucketReader {
    private existence?: Promise<void>;
    private settingsRead?: Promise<ExistingBucketSettings>;

    constructor(
        readonly bucket: string,
        readonly region: string,
        readonly account: string,
        private readonly provider: aws.Provider,
    ) {}

    /** Resolves when the bucket is known to exist in the declared Region; rejects otherwise. */
    exists(): Promise<void> {
        this.existence ??= aws.s3.getBucket({ bucket: this.bucket, region: this.region }, { provider: this.provider }).then(
            found => {
                if (found.bucketRegion && found.bucketRegion !== this.region) {
                    throw new AdoptedBucketError(
                        `adopted bucket ${this.bucket} is in ${found.bucketRegion}, not ${this.region} as the manifest says; fix its Region in the manifest.`,
                    );
                }
            },
            (e: unknown) => {
                throw new AdoptedBucketError(
                    `adopted bucket ${this.bucket} could not be read in account ${this.account} (${errorText(e)}); it must exist and be readable by the deploying identity (s3:ListBucket). If it does not exist yet, set create_source/create_destination (or buckets.${this.bucket}.create: true).`,
                );
            },
        );
        return this.existence;
    }

    /** The bucket's current policy (JSON text), or undefined when it has none. */
    policy(): pulumi.Output<string | undefined> {
        return pulumi.output(
            this.exists().then(() =>
                aws.s3.getBucketPolicy({ bucket: this.bucket, region: this.region }, { provider: this.provider }).then(
                    r => (r.policy ? r.policy : undefined),
                    (e: unknown) => {
                        if (isProviderNotFound(e)) return undefined;
                        throw new AdoptedBucketError(
                            `could not read the existing policy of adopted bucket ${this.bucket} (${errorText(e)}); refusing to replace it. Check the deploying identity has s3:GetBucketPolicy.`,
                        );
                    },
                ),
            ),
        );
    }

    /**
     * The bucket's default encryption, object ownership, public access block and ACL: read with
     * the AWS SDK and the account's credentials (pulumi-aws has no data source for them), once the
     * bucket is known to exist. A read that fails stops the program.
     */
    settings(access: AccountAccess): Promise<ExistingBucketSettings> {
        this.settingsRead ??= this.exists().then(() =>
            bucketSettingsSource()
                .read(this.bucket, this.region, access)
                .catch((e: unknown) => {
                    throw new AdoptedBucketError(errorText(e));
                }),
        );
        return this.settingsRead;
    }

    /** The bucket's current replication configuration, or undefined when it has none. */
    replication(): Promise<ExistingReplication | undefined> {
        return this.exists().then(() =>
            aws.s3.getBucketReplicationConfiguration({ bucket: this.bucket, region: this.region }, { provider: this.provider }).then(
                r => ({ role: r.role, ruleIds: (r.rules ?? []).map(x => x.id).filter((id): id is string => !!id) }),
                (e: unknown) => {
                    if (isProviderNotFound(e)) return undefined;
                    throw new AdoptedBucketError(
                        `could not read the replication configuration of adopted bucket ${this.bucket} (${errorText(e)}); refusing to replace it. Check the deploying identity has s3:GetReplicationConfiguration.`,
                    );
                },
            ),
        );
    }
}

function errorText(e: unknown): string {
    return String((e as Error)?.message ?? e)
        .replace(/\s+/g, " ")
        .trim();
}
