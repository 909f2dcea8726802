/**
 * The replication role is least-privilege: only S3 and S3 Batch Operations may assume it (with
 * sts:AssumeRole, as the S3 User Guide documents the trust policies; conditions optional), and its
 * permissions name exact actions and resources.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { checkLeastPrivilegePolicy, checkReplicationTrustPolicy, trustsReplicationService } from "../../../components/model/policy-checks";
import { TYPES, UNKNOWN, asList, at, validateTypes } from "./common";

export const replicationRolePolicy: ResourceValidationPolicy = {
    name: "iam-replication-role-least-privilege",
    displayName: "Least-privilege replication role",
    description:
        "IAM roles that S3 replication or S3 Batch Operations can assume trust only s3.amazonaws.com and batchoperations.s3.amazonaws.com with sts:AssumeRole (an aws:SourceAccount condition, if any, names 12-digit accounts), and their inline policies use no wildcard actions or resources.",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["iam", "replication", "least-privilege"],
    remediationSteps:
        'Trust only the S3 and Batch Operations service principals (one statement each: {"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}); list exact actions (s3:GetReplicationConfiguration, s3:ListBucket, s3:GetObjectVersionForReplication, s3:ReplicateObject, ...) on exact bucket and key ARNs.',
    validateResource: validateTypes(TYPES.role, (props, _args, report) => {
        const trusted = trustsReplicationService(props.assumeRolePolicy);
        // Not a replication role (or cannot tell yet): nothing to check.
        if (trusted !== true) return;
        const trust = checkReplicationTrustPolicy(props.assumeRolePolicy);
        if (trust.verdict === "fail") for (const p of trust.problems) report(`trust policy: ${p}`);
        const inline = asList(props.inlinePolicies);
        if (inline === UNKNOWN) return;
        inline.forEach((entry, i) => {
            const name = at(entry, "name");
            const label = typeof name === "string" && name ? `inline policy "${name}"` : `inline policy #${i + 1}`;
            const doc = at(entry, "policy");
            if (doc === undefined || doc === null || doc === "") return;
            const result = checkLeastPrivilegePolicy(doc);
            if (result.verdict === "fail") for (const p of result.problems) report(`${label}: ${p}`);
        });
    }),
};
