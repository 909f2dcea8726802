/**
 * The replication doctor's data: every failure reason on AWS's "Amazon S3 replication failure
 * reasons" list, and what in this package prevents it, checks it at deploy time, or why it cannot
 * be checked offline. docs/replication-doctor.md renders it; test/doctor.spec.ts checks that every
 * listed reason is mapped and that every code, check, policy and test named here exists.
 *
 * Source: S3 User Guide, "Amazon S3 replication failure reasons",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html#replication-failure-codes
 * (formerly .../replication-failure-codes.html), as stored by the search tool's public-repository
 * index (a markdown copy of the page). The stored copy carries no revision date; its newest dated
 * content is the sample failure event of 2024-09-05 on the same page. 34 reasons.
 */

/** Where a reason stands. */
export type FailureCoverage =
    /** Cannot happen to what this package registers, by a check that runs before anything is deployed. */
    | "prevented"
    /** Caught while deploying (preview reads, or AWS refusing the call), not offline. */
    | "checked-at-deploy"
    /** Depends on live state or data no offline check can see. */
    | "not-checkable-offline";

/** One thing that guards against a reason. */
export type Guard =
    /** A diagnostic code of the validator (components/model/diagnostics.ts). */
    | { diagnostic: string }
    /** A kind of simulated check of the IAM proof (test/support/iam-proof.ts CHECK_KINDS). */
    | { evaluator: string }
    /** A policy of the replication-guard pack. */
    | { policy: string }
    /** A structural guarantee, and the test (file and test title) that shows it. */
    | { structure: string; test: { file: string; title: string } };

export interface FailureReason {
    reason: string;
    /** AWS's description, shortened. */
    aws: string;
    coverage: FailureCoverage;
    guards: Guard[];
    /** Why it is covered that way (and what it does not cover). */
    note: string;
}

const WRITE_CHECKS: Guard[] = [{ evaluator: "destination-write" }, { evaluator: "least-privilege" }, { policy: "s3-replication-cross-account-grants" }];

export const FAILURE_REASONS_SOURCE = {
    title: "Amazon S3 replication failure reasons",
    url: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html#replication-failure-codes",
    storedCopy: "no revision date on the stored copy; newest dated content: sample event of 2024-09-05",
} as const;

/** The reasons exactly as the stored page lists them, in its order (the mapping below must cover each). */
export const AWS_LISTED_FAILURE_REASONS: readonly string[] = [
    "AssumeRoleNotPermitted",
    "DstBucketInvalidRegion",
    "DstBucketNotFound",
    "DstBucketObjectLockConfigMissing",
    "DstBucketUnversioned",
    "DstDelObjNotPermitted",
    "DstKmsKeyInvalidState",
    "DstKmsKeyNotFound",
    "DstMultipartCompleteNotPermitted",
    "DstMultipartInitNotPermitted",
    "DstMultipartUploadNotPermitted",
    "DstObjectHardDeleted",
    "DstPutAclNotPermitted",
    "DstPutLegalHoldNotPermitted",
    "DstPutObjectNotPermitted",
    "DstPutRetentionNotPermitted",
    "DstPutTaggingNotPermitted",
    "DstVersionNotFound",
    "InitiateReplicationNotPermitted",
    "SrcBucketInvalidRegion",
    "SrcBucketNotFound",
    "SrcBucketReplicationConfigMissing",
    "SrcGetAclNotPermitted",
    "SrcGetLegalHoldNotPermitted",
    "SrcGetObjectNotPermitted",
    "SrcGetRetentionNotPermitted",
    "SrcGetTaggingNotPermitted",
    "SrcHeadObjectNotPermitted",
    "SrcKeyNotFound",
    "SrcKmsKeyInvalidState",
    "SrcObjectNotEligible",
    "SrcObjectNotFound",
    "SrcReplicationNotPending",
    "SrcVersionNotFound",
];

export const FAILURE_REASONS: readonly FailureReason[] = [
    {
        reason: "AssumeRoleNotPermitted",
        aws: "S3 can't assume the IAM role of the replication configuration or the Batch Operations job.",
        coverage: "prevented",
        guards: [
            { evaluator: "trust-services" },
            { policy: "iam-replication-role-least-privilege" },
            {
                structure: "a configuration waits for its role",
                test: { file: "test/components.spec.ts", title: "waits for both versionings, the role, the destination policy and the KMS grant" },
            },
        ],
        note: "The trust is the S3 User Guide's (no condition); the evaluator shows both services may assume the role for the source. Opting in to iam.trustConditions risks exactly this failure if S3 does not send aws:SourceAccount/aws:SourceArn (unconfirmed by AWS).",
    },
    {
        reason: "DstBucketInvalidRegion",
        aws: "The destination bucket is not in the Region the Batch Operations job expects (Batch Replication only).",
        coverage: "checked-at-deploy",
        guards: [
            { diagnostic: "INVALID_REGION" },
            {
                structure: "an adopted bucket in another Region than the manifest says stops the program at preview",
                test: { file: "test/fleet.spec.ts", title: "so does a bucket in another Region" },
            },
        ],
        note: "Created destinations are created in the declared Region; an adopted one is read at preview (s3 GetBucket) and refused if its Region differs. A bucket moved later cannot be seen offline.",
    },
    {
        reason: "DstBucketNotFound",
        aws: "S3 can't find the destination bucket of the replication configuration.",
        coverage: "checked-at-deploy",
        guards: [
            {
                structure: "a configuration waits for its destinations' versioning (so for the bucket)",
                test: { file: "test/components.spec.ts", title: "waits for both versionings, the role, the destination policy and the KMS grant" },
            },
            {
                structure: "an adopted bucket that does not exist stops the program at preview",
                test: { file: "test/fleet.spec.ts", title: "a bucket that does not exist stops the program" },
            },
        ],
        note: "Created destinations exist before the configuration; adopted ones are read at preview. A bucket deleted after deployment is live state.",
    },
    {
        reason: "DstBucketObjectLockConfigMissing",
        aws: "The source has Object Lock and the destination does not.",
        coverage: "prevented",
        guards: [{ diagnostic: "OBJECT_LOCK_MISMATCH" }, { policy: "s3-replication-object-lock-parity" }],
        note: "As declared: the Object Lock of an adopted destination is not read from AWS.",
    },
    {
        reason: "DstBucketUnversioned",
        aws: "Versioning is not enabled on the destination.",
        coverage: "prevented",
        guards: [
            { policy: "s3-versioning-enabled" },
            { policy: "s3-replicated-buckets-hardened" },
            {
                structure: "every destination (created or adopted) gets versioning Enabled, and the configuration waits for it",
                test: { file: "test/components.spec.ts", title: "hardens every bucket: versioning" },
            },
        ],
        note: "Someone suspending versioning after deployment is live state (and S3 refuses suspension while replication is configured on a source).",
    },
    {
        reason: "DstDelObjNotPermitted",
        aws: "S3 can't replicate delete markers: s3:ReplicateDelete may be missing.",
        coverage: "prevented",
        guards: WRITE_CHECKS,
        note: "s3:ReplicateDelete is allowed by the role's policy and, across accounts, by the destination policy, on every route.",
    },
    {
        reason: "DstKmsKeyInvalidState",
        aws: "The destination's KMS key is not in a valid state.",
        coverage: "not-checkable-offline",
        guards: [],
        note: "A key's state (disabled, pending deletion) is live state in KMS.",
    },
    {
        reason: "DstKmsKeyNotFound",
        aws: "The KMS key of the replication configuration does not exist.",
        coverage: "not-checkable-offline",
        guards: [{ diagnostic: "KMS_KEY_INVALID" }, { diagnostic: "KMS_KEY_REGION_MISMATCH" }, { diagnostic: "KMS_REPLICA_KEY_MISSING" }],
        note: "The key ARN's shape, Region and presence are checked; whether the key exists is not (\"PutBucketReplication doesn't check the validity of KMS keys\", S3 User Guide, Replicating encrypted objects).",
    },
    {
        reason: "DstMultipartCompleteNotPermitted",
        aws: "S3 can't complete a multipart upload in the destination: s3:ReplicateObject may be missing.",
        coverage: "prevented",
        guards: WRITE_CHECKS,
        note: "s3:ReplicateObject is allowed on every route.",
    },
    {
        reason: "DstMultipartInitNotPermitted",
        aws: "S3 can't initiate a multipart upload in the destination: s3:ReplicateObject may be missing.",
        coverage: "prevented",
        guards: WRITE_CHECKS,
        note: "s3:ReplicateObject is allowed on every route.",
    },
    {
        reason: "DstMultipartUploadNotPermitted",
        aws: "S3 can't upload multipart objects to the destination: s3:ReplicateObject may be missing.",
        coverage: "prevented",
        guards: WRITE_CHECKS,
        note: "s3:ReplicateObject is allowed on every route.",
    },
    {
        reason: "DstObjectHardDeleted",
        aws: "Batch Replication does not re-replicate objects deleted by version id from the destination.",
        coverage: "not-checkable-offline",
        guards: [],
        note: "Depends on what was deleted in the destination.",
    },
    {
        reason: "DstPutAclNotPermitted",
        aws: "S3 can't replicate object ACLs: s3:ReplicateObject may be missing.",
        coverage: "prevented",
        guards: WRITE_CHECKS,
        note: "s3:ReplicateObject (which also replicates ACLs and tags) is allowed on every route; buckets are BucketOwnerEnforced.",
    },
    {
        reason: "DstPutLegalHoldNotPermitted",
        aws: "S3 can't put an Object Lock legal hold on destination objects: s3:PutObjectLegalHold may be missing.",
        coverage: "not-checkable-offline",
        guards: [{ evaluator: "source-read" }, { evaluator: "destination-write" }],
        note: "AWS's pages disagree: the setup pages (Setting up permissions for live replication; Object Lock considerations) ask only for s3:GetObjectRetention and s3:GetObjectLegalHold on the source plus s3:ReplicateObject on the destination, which the evaluator proves; this failure reason names s3:PutObjectLegalHold. Only a live replication of a locked object settles it.",
    },
    {
        reason: "DstPutObjectNotPermitted",
        aws: "S3 can't replicate objects to the destination: s3:ReplicateObject or s3:ObjectOwnerOverrideToBucketOwner missing, or the KMS key policy does not allow kms:Decrypt and kms:GenerateDataKey*.",
        coverage: "prevented",
        guards: [...WRITE_CHECKS, { evaluator: "kms" }, { evaluator: "public-access" }],
        note: "Object writes, the owner override and the replica key's kms:Decrypt (S3 Bucket Key) and kms:GenerateDataKey are allowed on every route, across accounts through the destination policy and the KMS grant.",
    },
    {
        reason: "DstPutRetentionNotPermitted",
        aws: "S3 can't put a retention period on destination objects: s3:PutObjectRetention may be missing.",
        coverage: "not-checkable-offline",
        guards: [{ evaluator: "source-read" }, { evaluator: "destination-write" }],
        note: "As for DstPutLegalHoldNotPermitted: the setup pages and this reason disagree on s3:PutObjectRetention; the package grants what the setup pages list.",
    },
    {
        reason: "DstPutTaggingNotPermitted",
        aws: "S3 can't replicate object tags: s3:ReplicateObject may be missing.",
        coverage: "prevented",
        guards: WRITE_CHECKS,
        note: "s3:ReplicateObject and s3:ReplicateTags are allowed on every route.",
    },
    {
        reason: "DstVersionNotFound",
        aws: "S3 can't find the destination object version whose metadata it replicates.",
        coverage: "not-checkable-offline",
        guards: [],
        note: "Depends on the objects in the destination.",
    },
    {
        reason: "InitiateReplicationNotPermitted",
        aws: "S3 can't initiate replication: s3:InitiateReplication may be missing (Batch Replication only).",
        coverage: "prevented",
        guards: [{ evaluator: "batch" }],
        note: "Every backfill job's role may s3:InitiateReplication on its source's objects, s3:PutInventoryConfiguration and s3:GetReplicationConfiguration on the source, and read and write the manifest and report.",
    },
    {
        reason: "SrcBucketInvalidRegion",
        aws: "The source bucket is not in the Region the Batch Operations job expects (Batch Replication only).",
        coverage: "checked-at-deploy",
        guards: [
            { diagnostic: "INVALID_REGION" },
            {
                structure: "jobs are created in the source's declared Region; an adopted source in another Region stops the program at preview",
                test: { file: "test/fleet.spec.ts", title: "so does a bucket in another Region" },
            },
        ],
        note: "A created source is where the manifest says; an adopted one is read at preview.",
    },
    {
        reason: "SrcBucketNotFound",
        aws: "S3 can't find the source bucket.",
        coverage: "checked-at-deploy",
        guards: [
            {
                structure: "an adopted bucket that does not exist stops the program at preview",
                test: { file: "test/fleet.spec.ts", title: "a bucket that does not exist stops the program" },
            },
        ],
        note: "Created sources exist before their configuration; a bucket deleted later is live state.",
    },
    {
        reason: "SrcBucketReplicationConfigMissing",
        aws: "S3 couldn't find a replication configuration for the source.",
        coverage: "prevented",
        guards: [
            { diagnostic: "NO_RULES" },
            {
                structure: "a backfill job waits for its source's replication configuration",
                test: { file: "test/fleet.spec.ts", title: "one job per route that asks, after the replication configuration" },
            },
        ],
        note: "A configuration deleted outside Pulumi after deployment is live state.",
    },
    {
        reason: "SrcGetAclNotPermitted",
        aws: "S3 can't read the source object's ACL: s3:GetObjectVersionAcl may be missing; objects must be owned by the bucket owner.",
        coverage: "prevented",
        guards: [{ evaluator: "source-read" }, { policy: "s3-bucket-owner-enforced" }],
        note: "s3:GetObjectVersionAcl is allowed on every source, and sources are BucketOwnerEnforced (the bucket owner owns every object).",
    },
    {
        reason: "SrcGetLegalHoldNotPermitted",
        aws: "S3 can't read the Object Lock legal hold.",
        coverage: "prevented",
        guards: [{ evaluator: "source-read" }],
        note: "s3:GetObjectLegalHold is allowed on every source with Object Lock.",
    },
    {
        reason: "SrcGetObjectNotPermitted",
        aws: "S3 can't read the source object: s3:GetObjectVersionForReplication may be missing.",
        coverage: "prevented",
        guards: [{ evaluator: "source-read" }, { evaluator: "kms" }, { diagnostic: "SOURCE_KMS_KEY_MISSING" }],
        note: "s3:GetObjectVersionForReplication on every source, and kms:Decrypt on the source key of SSE-KMS routes (a route without source_kms_key is warned about).",
    },
    {
        reason: "SrcGetRetentionNotPermitted",
        aws: "S3 can't read the Object Lock retention period.",
        coverage: "prevented",
        guards: [{ evaluator: "source-read" }],
        note: "s3:GetObjectRetention is allowed on every source with Object Lock.",
    },
    {
        reason: "SrcGetTaggingNotPermitted",
        aws: "S3 can't read the object's tags: s3:GetObjectVersionTagging may be missing.",
        coverage: "prevented",
        guards: [{ evaluator: "source-read" }],
        note: "s3:GetObjectVersionTagging is allowed on every source.",
    },
    {
        reason: "SrcHeadObjectNotPermitted",
        aws: "S3 can't read the object's metadata: s3:GetObjectVersionForReplication may be missing.",
        coverage: "prevented",
        guards: [{ evaluator: "source-read" }],
        note: "s3:GetObjectVersionForReplication is allowed on every source.",
    },
    {
        reason: "SrcKeyNotFound",
        aws: "S3 can't find the source object key (deleted before replication completed).",
        coverage: "not-checkable-offline",
        guards: [],
        note: "Depends on the objects in the source.",
    },
    {
        reason: "SrcKmsKeyInvalidState",
        aws: "The source's KMS key is not in a valid state.",
        coverage: "not-checkable-offline",
        guards: [],
        note: "A key's state is live state in KMS.",
    },
    {
        reason: "SrcObjectNotEligible",
        aws: "The object is not eligible: its storage class, or its tags do not match the configuration.",
        coverage: "not-checkable-offline",
        guards: [{ diagnostic: "INVALID_TAG_FILTER" }],
        note: "The filters' shape is checked; which objects match them (and which sit in Glacier Flexible Retrieval or Deep Archive) depends on the data.",
    },
    {
        reason: "SrcObjectNotFound",
        aws: "The source object does not exist.",
        coverage: "not-checkable-offline",
        guards: [],
        note: "Depends on the objects in the source.",
    },
    {
        reason: "SrcReplicationNotPending",
        aws: "The object is already replicated and no longer pending.",
        coverage: "not-checkable-offline",
        guards: [],
        note: "A state of each object (e.g. a backfill mode that includes COMPLETED objects meets some already replicated); not a misconfiguration.",
    },
    {
        reason: "SrcVersionNotFound",
        aws: "S3 can't find the source object version (deleted before replication completed).",
        coverage: "not-checkable-offline",
        guards: [],
        note: "Depends on the objects in the source.",
    },
];
