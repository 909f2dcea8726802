/**
 * Reading an adopted bucket's encryption, object ownership, public access block and ACL.
 *
 * pulumi-aws has no data source for any of these four, so the program reads them with the AWS SDK
 * (@aws-sdk/client-s3), reaching the bucket's account the way its provider does: the account's
 * assume-role ARN (with its external id) or profile from stack config, else the default chain.
 * Reads only; nothing here writes to AWS.
 *
 * The offline `plan` and tests under mocks answer from a fixture world instead
 * (setBucketSettingsSource), never from AWS.
 */
import type {
    GetBucketAclCommandOutput,
    GetBucketEncryptionCommandOutput,
    GetBucketOwnershipControlsCommandOutput,
    GetPublicAccessBlockCommandOutput,
    S3Client,
} from "@aws-sdk/client-s3";
import { credentialsFor } from "./batch-job-provider";
import { AclGrant, ExistingBucketSettings } from "./model";

/** How to reach a bucket's account: as its aws.Provider is configured. */
export interface AccountAccess {
    accountId: string;
    roleArn?: string;
    externalId?: string;
    profile?: string;
}

export interface BucketSettingsSource {
    read(bucket: string, region: string, access: AccountAccess): Promise<ExistingBucketSettings>;
}

export class BucketSettingsReadError extends Error {}

/** One S3 API call: the SDK's client.send, or a fixture answering as S3 does. */
export type S3Send = (command: { input: unknown; constructor: { name: string } }, region: string, access: AccountAccess) => Promise<unknown>;

/**
 * Error codes S3 answers when a bucket has no such configuration (S3 API reference; the same codes
 * terraform-provider-aws treats as "not found", internal/service/s3/errors.go and
 * bucket_ownership_controls.go).
 */
const NONE = {
    encryption: "ServerSideEncryptionConfigurationNotFoundError",
    ownership: "OwnershipControlsNotFoundError",
    publicAccessBlock: "NoSuchPublicAccessBlockConfiguration",
} as const;

/** The IAM action each read needs (Service Authorization Reference, Amazon S3). */
const ACTION = {
    encryption: "s3:GetEncryptionConfiguration",
    ownership: "s3:GetBucketOwnershipControls",
    publicAccessBlock: "s3:GetBucketPublicAccessBlock",
    acl: "s3:GetBucketAcl",
} as const;

function codeOf(e: unknown): string {
    return String((e as { name?: string; Code?: string })?.Code ?? (e as Error)?.name ?? "");
}

function textOf(e: unknown): string {
    return `${codeOf(e)}: ${String((e as Error)?.message ?? e)}`.replace(/\s+/g, " ").trim();
}

/**
 * The SDK source: one S3 client per (account access, Region), created on first use. `send`
 * replaces the client (the offline world answers the same commands as S3 would).
 */
export function sdkBucketSettingsSource(send?: S3Send): BucketSettingsSource {
    const clients = new Map<string, S3Client>();
    const clientFor = (region: string, access: AccountAccess): S3Client => {
        const key = JSON.stringify([region, access.accountId, access.roleArn, access.externalId, access.profile]);
        let client = clients.get(key);
        if (!client) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- only programs that adopt buckets load the S3 client
            const { S3Client: Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
            const credentials = credentialsFor({
                accountId: access.accountId,
                region,
                ...(access.roleArn ? { assumeRoleArn: access.roleArn } : {}),
                ...(access.externalId ? { assumeRoleExternalId: access.externalId } : {}),
                ...(access.profile ? { profile: access.profile } : {}),
            });
            client = new Client({ region, ...(credentials ? { credentials } : {}) });
            clients.set(key, client);
        }
        return client;
    };
    return {
        async read(bucket, region, access) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const sdk = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
            const call = <T>(command: { input: unknown; constructor: { name: string } }): Promise<T> =>
                (send ? send(command, region, access) : clientFor(region, access).send(command as never)) as Promise<T>;
            const owner = { ExpectedBucketOwner: access.accountId };
            const attempt = async <T>(what: keyof typeof ACTION, call: () => Promise<T>, none?: string): Promise<T | undefined> => {
                try {
                    return await call();
                } catch (e) {
                    if (none && codeOf(e) === none) return undefined;
                    throw new BucketSettingsReadError(
                        `could not read the ${what === "acl" ? "ACL" : what} of adopted bucket ${bucket} in account ${access.accountId} (${textOf(e)}); ` +
                            `refusing to change settings that could not be read. The deploying identity needs ${ACTION[what]}.`,
                    );
                }
            };
            const [enc, own, pab, acl] = await Promise.all([
                attempt(
                    "encryption",
                    () => call<GetBucketEncryptionCommandOutput>(new sdk.GetBucketEncryptionCommand({ Bucket: bucket, ...owner })),
                    NONE.encryption,
                ),
                attempt(
                    "ownership",
                    () => call<GetBucketOwnershipControlsCommandOutput>(new sdk.GetBucketOwnershipControlsCommand({ Bucket: bucket, ...owner })),
                    NONE.ownership,
                ),
                attempt(
                    "publicAccessBlock",
                    () => call<GetPublicAccessBlockCommandOutput>(new sdk.GetPublicAccessBlockCommand({ Bucket: bucket, ...owner })),
                    NONE.publicAccessBlock,
                ),
                attempt("acl", () => call<GetBucketAclCommandOutput>(new sdk.GetBucketAclCommand({ Bucket: bucket, ...owner }))),
            ]);
            const rule = enc?.ServerSideEncryptionConfiguration?.Rules?.[0];
            const byDefault = rule?.ApplyServerSideEncryptionByDefault;
            const block = pab?.PublicAccessBlockConfiguration;
            const grants: AclGrant[] = (acl?.Grants ?? []).map(g => ({
                grantee: g.Grantee?.ID ?? g.Grantee?.URI ?? g.Grantee?.EmailAddress ?? "",
                granteeType: String(g.Grantee?.Type ?? ""),
                permission: String(g.Permission ?? ""),
            }));
            return {
                ...(byDefault?.SSEAlgorithm
                    ? {
                          encryption: {
                              sseAlgorithm: String(byDefault.SSEAlgorithm),
                              ...(byDefault.KMSMasterKeyID ? { kmsMasterKeyId: byDefault.KMSMasterKeyID } : {}),
                              ...(rule?.BucketKeyEnabled !== undefined ? { bucketKeyEnabled: rule.BucketKeyEnabled } : {}),
                          },
                      }
                    : {}),
                ...(own?.OwnershipControls?.Rules?.[0]?.ObjectOwnership ? { objectOwnership: String(own.OwnershipControls.Rules[0].ObjectOwnership) } : {}),
                ...(block
                    ? {
                          publicAccessBlock: {
                              blockPublicAcls: !!block.BlockPublicAcls,
                              ignorePublicAcls: !!block.IgnorePublicAcls,
                              blockPublicPolicy: !!block.BlockPublicPolicy,
                              restrictPublicBuckets: !!block.RestrictPublicBuckets,
                          },
                      }
                    : {}),
                acl: { ownerId: acl?.Owner?.ID ?? "", grants },
            };
        },
    };
}

const SLOT = Symbol.for("pulumi-s3-replication/bucket-settings-source");
type Holder = Record<symbol, BucketSettingsSource | undefined>;

/**
 * Where adopted buckets' settings are read from in this process: the AWS SDK unless replaced
 * (the offline plan and tests install a fixture world; undefined restores the SDK).
 */
export function setBucketSettingsSource(source: BucketSettingsSource | undefined): BucketSettingsSource | undefined {
    const holder = globalThis as unknown as Holder;
    const previous = holder[SLOT];
    holder[SLOT] = source;
    return previous;
}

export function bucketSettingsSource(): BucketSettingsSource {
    const holder = globalThis as unknown as Holder;
    return (holder[SLOT] ??= sdkBucketSettingsSource());
}
