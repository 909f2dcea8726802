import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { failOnErrors, typeToken } from "./errors";
import {
    Diagnostic,
    IamQuotaError,
    IamQuotas,
    ROLE_PATH,
    RolePlan,
    bucketNameProblems,
    diag,
    isAccountId,
    isKnownRegion,
    parseKmsKeyArn,
    planRoles,
} from "./model";

/** A destination a source bucket replicates to, as the role must reach it. */
export interface ReplicationRoleDestination {
    /** Destination bucket name. */
    bucket: string;
    /** The destination bucket's Region. */
    region: string;
    /** Whether replicas are owned by the destination account (s3:ObjectOwnerOverrideToBucketOwner). */
    ownerOverride: boolean;
    /** KMS key ARN that encrypts replicas (kms:Encrypt and kms:GenerateDataKey via S3 in the destination Region). */
    replicaKmsKey?: string;
    /** The destination's default-encryption key when it is another key than the replica key (the same actions on it). */
    defaultKmsKey?: string;
}

/** The bucket a Batch Replication job of the role writes its manifest and report to. */
export interface ReplicationRoleReportBucket {
    /** Report bucket name. */
    bucket: string;
    /** The report bucket's Region. */
    region: string;
}

/** One source bucket the role replicates from, with its destinations, keys and Object Lock. */
export interface ReplicationRoleGrant {
    /** Source bucket name. */
    bucket: string;
    /** The source bucket's Region. */
    region: string;
    /** Whether the source has Object Lock (the role then needs s3:GetObjectRetention and s3:GetObjectLegalHold). */
    objectLock: boolean;
    /** KMS key ARNs that encrypt source objects (kms:Decrypt via S3 in the source Region); empty for SSE-S3. */
    sourceKmsKeys: string[];
    /** Where the bucket replicates to. */
    destinations: ReplicationRoleDestination[];
    /** Batch Replication: the report/manifest bucket, when a backfill job uses this role. */
    batchReportBucket?: ReplicationRoleReportBucket;
}

/** Describe the role by what it must do; it is planned (and size-checked) from that. */
export interface ReplicationRoleGrantArgs {
    /** Source account (12 digits): the role lives here and trusts S3 only on its behalf. */
    accountId: string;
    /** Region used for the ARN partition (aws, aws-cn, aws-us-gov). */
    region: string;
    /** Each source bucket with its destinations, keys and Object Lock. */
    grants: ReplicationRoleGrant[];
    /** Role name. Default: `s3-replication-<account>`. */
    roleName?: string;
    /** IAM quotas the documents must fit (defaults: AWS's default quotas). */
    quotas?: Partial<IamQuotas>;
}

/** A role already planned by `planRoles` (what ReplicationFleet passes; TypeScript only). */
export interface ReplicationRolePlanArgs {
    plan: RolePlan;
}

/** Grants (every language: {@link ReplicationRoleGrantArgs}) or, from TypeScript, a finished plan. */
export type ReplicationRoleArgs = ReplicationRoleGrantArgs | ReplicationRolePlanArgs;

/**
 * The IAM role S3 and S3 Batch Operations assume for a source account's replication: trust as the
 * S3 User Guide documents it (stricter conditions opt-in), permissions on exact bucket ARNs and
 * actions, KMS only for the keys in use. One inline policy when it fits, else managed policies of at most 6,144 characters.
 */
export class ReplicationRole extends pulumi.ComponentResource {
    /** Role ARN: known before deployment (the name and path are fixed), so policies that name it are too. */
    readonly roleArn: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;
    readonly role!: aws.iam.Role;
    /** The plan this role was built from: documents as rendered and measured. */
    readonly plan: RolePlan;

    constructor(name: string, args: ReplicationRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = ReplicationRole.planOf(name, args);
        super(typeToken("ReplicationRole"), name, {}, opts);
        this.plan = plan;
        this.roleArn = pulumi.output(plan.arn);
        this.roleName = pulumi.output(plan.name);
        if (opts?.urn) return;

        this.role = new aws.iam.Role(
            name,
            {
                name: plan.name,
                path: ROLE_PATH,
                // Fixed text: a description that counted sources would change with every route edit.
                description: `S3 replication and S3 Batch Replication role of pulumi-s3-replication in ${plan.account}`,
                assumeRolePolicy: JSON.stringify(plan.trustPolicy),
            },
            { parent: this },
        );
        if (plan.inlinePolicy) {
            new aws.iam.RolePolicy(
                `${name}-policy`,
                {
                    role: this.role.name,
                    name: "s3-replication",
                    policy: JSON.stringify(plan.inlinePolicy),
                },
                { parent: this },
            );
        }
        plan.managedPolicies.forEach((doc, i) => {
            const policy = new aws.iam.Policy(
                `${name}-policy-${i + 1}`,
                {
                    name: `${plan.name}-${i + 1}`,
                    path: ROLE_PATH,
                    // An IAM policy's description cannot change (replacing the policy instead), so it
                    // names only the role and its own place, never how many policies there are.
                    description: `S3 replication permissions ${i + 1} of role ${plan.name}`,
                    policy: JSON.stringify(doc),
                },
                { parent: this },
            );
            new aws.iam.RolePolicyAttachment(
                `${name}-policy-${i + 1}`,
                {
                    role: this.role.name,
                    policyArn: policy.arn,
                },
                { parent: this },
            );
        });
        this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName, sources: plan.sources });
    }

    private static planOf(name: string, args: ReplicationRoleArgs): RolePlan {
        if ("plan" in args) return args.plan;
        const out: Diagnostic[] = [];
        if (!isAccountId(String(args.accountId ?? "")))
            out.push(diag("INVALID_ACCOUNT", `accountId ${JSON.stringify(args.accountId)} is not a 12-digit account id.`, { path: "accountId" }));
        if (!isKnownRegion(String(args.region ?? "")))
            out.push(diag("INVALID_REGION", `region ${JSON.stringify(args.region)} is not an AWS Region.`, { path: "region" }));
        if (!args.grants?.length) out.push(diag("MISSING_FIELD", "grants must name at least one source bucket.", { path: "grants" }));
        (args.grants ?? []).forEach((g, i) => {
            const at = (f: string) => ({ path: `grants[${i}].${f}` });
            const p = bucketNameProblems(g.bucket);
            if (p.length) out.push(diag("INVALID_BUCKET_NAME", `grants[${i}].bucket ${JSON.stringify(g.bucket)} ${p.join("; ")}.`, at("bucket")));
            g.destinations.forEach((d, j) => {
                const dp = bucketNameProblems(d.bucket);
                if (dp.length)
                    out.push(
                        diag(
                            "INVALID_BUCKET_NAME",
                            `grants[${i}].destinations[${j}].bucket ${JSON.stringify(d.bucket)} ${dp.join("; ")}.`,
                            at(`destinations[${j}].bucket`),
                        ),
                    );
                if (d.replicaKmsKey && !parseKmsKeyArn(d.replicaKmsKey))
                    out.push(
                        diag("KMS_KEY_INVALID", `grants[${i}].destinations[${j}].replicaKmsKey is not a KMS key ARN.`, at(`destinations[${j}].replicaKmsKey`)),
                    );
            });
            g.sourceKmsKeys.forEach((k, j) => {
                if (!parseKmsKeyArn(k)) out.push(diag("KMS_KEY_INVALID", `grants[${i}].sourceKmsKeys[${j}] is not a KMS key ARN.`, at(`sourceKmsKeys[${j}]`)));
            });
        });
        failOnErrors(`ReplicationRole ${name}`, out);
        try {
            // One role for the grants given: no slots (ReplicationFleet spreads a fleet over several).
            const roles = planRoles(args.accountId, args.region, args.grants, {
                quotas: args.quotas,
                slots: 1,
                ...(args.roleName ? { roleName: () => args.roleName! } : {}),
            });
            if (roles.length > 1) {
                failOnErrors(`ReplicationRole ${name}`, [
                    diag(
                        "IAM_QUOTA_EXCEEDED",
                        `these grants need ${roles.length} roles under the IAM quotas; use ReplicationFleet (which shards roles) or split the grants.`,
                        { path: "grants" },
                    ),
                ]);
            }
            return roles[0];
        } catch (e) {
            if (e instanceof IamQuotaError) failOnErrors(`ReplicationRole ${name}`, [diag("IAM_QUOTA_EXCEEDED", e.message, { path: "grants" })]);
            throw e;
        }
    }
}
