/**
 * Bucket policy documents: the TLS-only deny every HardenedBucket carries, and the grants a
 * destination gives the replication roles of its sources in other accounts.
 */
import { bucketArn, partitionOf } from "./aws-facts";
import { DESTINATION_OBJECT_ACTIONS, OWNER_OVERRIDE_ACTIONS, ROLE_PATH } from "./iam";
import { PolicyDocument, PolicyStatement, policyDocument } from "./policy-document";
import { checkNoPublicAllow } from "./policy-checks";

export const TLS_DENY_SID = "DenyInsecureTransport";

/** Deny every request that does not use TLS, on the bucket and on its objects. */
export function tlsDenyStatement(bucket: string, region: string): PolicyStatement {
    const arn = bucketArn(bucket, region);
    return {
        Sid: TLS_DENY_SID,
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/** One source account replicating into a destination bucket of another account. */
export interface DestinationGrant {
    /** The source bucket's account (12 digits); its replication roles (path ROLE_PATH) may replicate. */
    sourceAccount: string;
    /** The source's roles may change replica ownership to the destination owner. */
    ownerOverride: boolean;
}

export const REPLICATION_GRANT_SID = "ReplicationFromSourceAccounts";
export const OWNER_OVERRIDE_GRANT_SID = "ReplicaOwnerOverrideFromSourceAccounts";
/** Sids of the role-ARN grants this package wrote before; kept managed so an update replaces them. */
const LEGACY_GRANT_SIDS = ["ReplicationRolesReadBucket", "ReplicationRolesReplicate", "ReplicationRolesOwnerOverride"] as const;

/** The ARN pattern of every replication role of this package in `account` (ROLE_PATH). */
export function replicationRolePattern(account: string, partition: string): string {
    return `arn:${partition}:iam::${account}:role${ROLE_PATH}*`;
}

/**
 * Statements letting the source accounts' replication roles replicate into `bucket` (another
 * account's bucket; same-account routes need no grant, see below).
 *
 * Shape, from the S3 User Guide "Setting up permissions for live replication", step "Granting
 * permissions when the source and destination buckets are owned by different AWS accounts"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html),
 * "Permissions on objects": s3:ReplicateObject and s3:ReplicateDelete on `<bucket>/*`, plus
 * s3:ReplicateTags (the role replicates tags) and, with owner override, "Changing the replica
 * owner" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-change-owner.html):
 * s3:ObjectOwnerOverrideToBucketOwner. Deliberately NOT the page's "Permissions on bucket"
 * statement (s3:List*, s3:GetBucketVersioning, s3:PutBucketVersioning): no AWS page says
 * replication needs them, and a cross-account request must be allowed by the caller's identity
 * policy too, which in AWS's own role policy on the same page names no destination bucket-level
 * action, so that statement never takes effect for replication; it would only let the source
 * account suspend the destination's versioning.
 *
 * Principal: the source ACCOUNT (`arn:<partition>:iam::<account>:root`) with `ArnLike
 * aws:PrincipalArn` on this package's role path, not role ARNs: S3 refuses a policy naming a role
 * that does not exist yet and a policy naming a role keeps its unique id, so a role ARN principal
 * would order every destination policy after every source role and stop granting a re-created
 * role. The policy stays non-public: "The meaning of public"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status)
 * counts a policy non-public when it grants only to fixed values of "an AWS principal, user, role,
 * or service principal"; the principal here is a fixed account (no wildcard, no policy variable),
 * and the aws:PrincipalArn condition only narrows it further (its account part is fixed too).
 *
 * Accounts are grouped: the policy grows by one account per source account, not by a statement
 * per route (many-to-one log aggregation).
 */
export function replicationGrantStatements(bucket: string, region: string, grants: readonly DestinationGrant[]): PolicyStatement[] {
    if (grants.length === 0) return [];
    const partition = partitionOf(region);
    const arn = bucketArn(bucket, region);
    const statement = (sid: string, accounts: string[], actions: readonly string[]): PolicyStatement => ({
        Sid: sid,
        Effect: "Allow",
        Principal: { AWS: accounts.map(a => `arn:${partition}:iam::${a}:root`) },
        Action: [...actions],
        Resource: `${arn}/*`,
        Condition: { ArnLike: { "aws:PrincipalArn": accounts.map(a => replicationRolePattern(a, partition)) } },
    });
    const accounts = [...new Set(grants.map(g => g.sourceAccount))].sort();
    const overrideAccounts = [...new Set(grants.filter(g => g.ownerOverride).map(g => g.sourceAccount))].sort();
    const statements = [statement(REPLICATION_GRANT_SID, accounts, DESTINATION_OBJECT_ACTIONS)];
    if (overrideAccounts.length > 0) statements.push(statement(OWNER_OVERRIDE_GRANT_SID, overrideAccounts, OWNER_OVERRIDE_ACTIONS));
    return statements;
}

/** The one policy of a hardened bucket: TLS deny first, then replication grants, then extras. */
export function hardenedBucketPolicy(
    bucket: string,
    region: string,
    grants: readonly DestinationGrant[] = [],
    extra: readonly PolicyStatement[] = [],
): PolicyDocument {
    return policyDocument([tlsDenyStatement(bucket, region), ...replicationGrantStatements(bucket, region, grants), ...extra]);
}

/** Sids this package writes; statements with other Sids in an adopted bucket's policy are kept. */
export const MANAGED_SIDS: readonly string[] = [TLS_DENY_SID, REPLICATION_GRANT_SID, OWNER_OVERRIDE_GRANT_SID, ...LEGACY_GRANT_SIDS];

export class ExistingPolicyError extends Error {}

/**
 * An adopted bucket's policy: its existing statements are kept (except the ones this package
 * manages, which are replaced by `ours`), so adopting never silently drops someone's grants.
 * Throws when the existing policy cannot be read as a policy document, rather than replace it.
 */
export function mergeAdoptedPolicy(
    existing: string | undefined,
    ours: PolicyDocument,
    bucket = "the bucket",
    /** Whether the bucket's public access block will have BlockPublicPolicy or RestrictPublicBuckets on (default true). */
    options: { blocksPublicPolicy?: boolean } = {},
): PolicyDocument {
    if (existing === undefined || existing.trim() === "") return ours;
    let parsed: unknown;
    try {
        parsed = JSON.parse(existing);
    } catch {
        throw new ExistingPolicyError(`the existing policy of ${bucket} is not valid JSON; refusing to replace it. Fix or remove it by hand, then run again.`);
    }
    const statements = (parsed as { Statement?: unknown }).Statement;
    if (statements === undefined || typeof statements !== "object") {
        throw new ExistingPolicyError(`the existing policy of ${bucket} has no Statement list; refusing to replace it.`);
    }
    const list = (Array.isArray(statements) ? statements : [statements]) as PolicyStatement[];
    const kept = list.filter(s => !(typeof s.Sid === "string" && MANAGED_SIDS.includes(s.Sid)));
    // A public grant cannot survive adoption: the public access block this package applies first
    // (BlockPublicPolicy) makes S3 refuse the merged policy, and RestrictPublicBuckets cuts the
    // grant off. Stop instead of breaking the bucket's public readers half way through a deploy.
    // A bucket that keeps a public access block without those two flags keeps its public grant as it is.
    const publicGrant = checkNoPublicAllow({ Version: "2012-10-17", Statement: kept });
    if (publicGrant.verdict === "fail" && options.blocksPublicPolicy !== false) {
        throw new ExistingPolicyError(
            `the existing policy of ${bucket} grants public access (${publicGrant.problems.join(" ")}); adopting it would block that access (BlockPublicPolicy, RestrictPublicBuckets) and S3 would refuse the merged policy. Remove the public statement by hand (or serve the objects another way, e.g. through CloudFront), then run again.`,
        );
    }
    return { Version: "2012-10-17", Statement: [...ours.Statement, ...kept] };
}
