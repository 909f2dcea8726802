/**
 * Every policy of the replication-guard pack, and the pack's arguments. Importing this module
 * does not start the pack (index.ts does), so tests and other packs can use the policies.
 */
import { PolicyPackArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { crossAccountGrantPolicy, destinationConsistencyPolicy, crossAccountOwnershipPolicy, objectLockParityPolicy } from "./destinations";
import { encryptionPolicy } from "./encryption";
import { hardenedReplicatedBucketsPolicy } from "./hardened-buckets";
import { replicationRoleAttachedPoliciesPolicy } from "./iam-attached";
import { replicationMetricsPolicy } from "./metrics";
import { replicationRolePolicy } from "./iam-role";
import { noAclPolicy, ownershipPolicy } from "./ownership";
import { noPublicPrincipalPolicy, publicAccessBlockPolicy } from "./public-access";
import { replicationAdvisoriesPolicy, replicationWellFormedPolicy } from "./replication-config";
import { routeRequirementsPolicy } from "./routes";
import { tlsOnlyPolicy } from "./tls";
import { versioningPolicy } from "./versioning";

export {
    crossAccountGrantPolicy,
    crossAccountOwnershipPolicy,
    destinationConsistencyPolicy,
    encryptionPolicy,
    hardenedReplicatedBucketsPolicy,
    noAclPolicy,
    noPublicPrincipalPolicy,
    objectLockParityPolicy,
    ownershipPolicy,
    publicAccessBlockPolicy,
    replicationAdvisoriesPolicy,
    replicationRoleAttachedPoliciesPolicy,
    replicationRolePolicy,
    replicationWellFormedPolicy,
    routeRequirementsPolicy,
    tlsOnlyPolicy,
    versioningPolicy,
    replicationMetricsPolicy,
};

export const resourcePolicies: ResourceValidationPolicy[] = [
    encryptionPolicy,
    ownershipPolicy,
    noAclPolicy,
    publicAccessBlockPolicy,
    versioningPolicy,
    tlsOnlyPolicy,
    noPublicPrincipalPolicy,
    replicationWellFormedPolicy,
    replicationAdvisoriesPolicy,
    replicationRolePolicy,
    replicationMetricsPolicy,
];

export const stackPolicies: StackValidationPolicy[] = [
    hardenedReplicatedBucketsPolicy,
    routeRequirementsPolicy,
    destinationConsistencyPolicy,
    crossAccountOwnershipPolicy,
    crossAccountGrantPolicy,
    objectLockParityPolicy,
    replicationRoleAttachedPoliciesPolicy,
];

export const PACK_NAME = "replication-guard";

export const packArgs: PolicyPackArgs = {
    description:
        "S3 replication guard: replicated buckets are encrypted, owner-enforced, private, versioned and TLS-only; replication configurations are ones S3 accepts; replication roles are least-privilege.",
    displayName: "S3 replication guard",
    provider: "aws",
    tags: ["aws", "s3", "replication", "security"],
    // Policies without their own level: none today; new ones start as warnings.
    enforcementLevel: "advisory",
    policies: [...resourcePolicies, ...stackPolicies],
};
