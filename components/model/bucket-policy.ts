/**
 * Bucket policy documents: the TLS-only deny every HardenedBucket carries, and the grants a
 * destination gives the replication roles of its sources.
 */
import { bucketArn } from "./aws-facts";
import { PolicyDocument, PolicyStatement, policyDocument } from "./policy-document";

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

/** One source role replicating into a destination bucket. */
export interface DestinationGrant {
    roleArn: string;
    /** The role may change replica ownership to the destination owner. */
    ownerOverride: boolean;
}

/**
 * Statements letting the given roles replicate into `bucket`. Roles are grouped so the policy
 * grows by one ARN per role, not by a statement per route (many-to-one log aggregation).
 */
export function replicationGrantStatements(bucket: string, region: string, grants: readonly DestinationGrant[]): PolicyStatement[] {
    if (grants.length === 0) return [];
    const arn = bucketArn(bucket, region);
    const roles = [...new Set(grants.map(g => g.roleArn))].sort();
    const overrideRoles = [...new Set(grants.filter(g => g.ownerOverride).map(g => g.roleArn))].sort();
    const statements: PolicyStatement[] = [
        {
            Sid: "ReplicationRolesReadBucket",
            Effect: "Allow",
            Principal: { AWS: roles },
            Action: ["s3:GetBucketVersioning", "s3:ListBucket"],
            Resource: arn,
        },
        {
            Sid: "ReplicationRolesReplicate",
            Effect: "Allow",
            Principal: { AWS: roles },
            Action: ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
            Resource: `${arn}/*`,
        },
    ];
    if (overrideRoles.length > 0) {
        statements.push({
            Sid: "ReplicationRolesOwnerOverride",
            Effect: "Allow",
            Principal: { AWS: overrideRoles },
            Action: ["s3:ObjectOwnerOverrideToBucketOwner"],
            Resource: `${arn}/*`,
        });
    }
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
export const MANAGED_SIDS: readonly string[] = [
    TLS_DENY_SID, "ReplicationRolesReadBucket", "ReplicationRolesReplicate", "ReplicationRolesOwnerOverride",
];

export class ExistingPolicyError extends Error {}

/**
 * An adopted bucket's policy: its existing statements are kept (except the ones this package
 * manages, which are replaced by `ours`), so adopting never silently drops someone's grants.
 * Throws when the existing policy cannot be read as a policy document, rather than replace it.
 */
export function mergeAdoptedPolicy(existing: string | undefined, ours: PolicyDocument, bucket = "the bucket"): PolicyDocument {
    if (existing === undefined || existing.trim() === "") return ours;
    let parsed: unknown;
    try {
        parsed = JSON.parse(existing);
    } catch {
        throw new ExistingPolicyError(`the existing policy of ${bucket} is not valid JSON; refusing to replace it. Fix or remove it by hand, then run again.`);
    }
    const statements = (parsed as { Statement?: unknown }).Statement;
    if (statements === undefined || (typeof statements !== "object")) {
        throw new ExistingPolicyError(`the existing policy of ${bucket} has no Statement list; refusing to replace it.`);
    }
    const list = (Array.isArray(statements) ? statements : [statements]) as PolicyStatement[];
    const kept = list.filter(s => !(typeof s.Sid === "string" && MANAGED_SIDS.includes(s.Sid)));
    return { Version: "2012-10-17", Statement: [...ours.Statement, ...kept] };
}
