/** Object ownership BucketOwnerEnforced (ACLs disabled), and no ACLs at all. */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, isAnyOf, UNKNOWN, at, asList, validateTypes } from "./common";

export const ownershipPolicy: ResourceValidationPolicy = {
    name: "s3-bucket-owner-enforced",
    displayName: "S3 object ownership BucketOwnerEnforced",
    description: "S3 buckets use object ownership BucketOwnerEnforced: ACLs are disabled and the bucket owner owns every object, replicas included.",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["s3", "ownership", "acl"],
    // No remediation: switching to BucketOwnerEnforced disables ACLs, which can cut off readers
    // whose access was granted by an ACL; that change needs a person.
    remediationSteps:
        'Set rule.objectOwnership to "BucketOwnerEnforced" on the bucket\'s aws.s3.BucketOwnershipControls, after moving any access granted by ACLs into the bucket policy.',
    validateResource: validateTypes(TYPES.ownership, (props, _args, report) => {
        const ownership = at(props, "rule", "objectOwnership");
        if (ownership === UNKNOWN) return;
        if (ownership !== "BucketOwnerEnforced") {
            report(
                `objectOwnership is ${JSON.stringify(ownership ?? null)}; set it to "BucketOwnerEnforced" (ObjectWriter and BucketOwnerPreferred keep ACLs, so a writer or a replica can end up owned by another account).`,
            );
        }
    }),
};

export const noAclPolicy: ResourceValidationPolicy = {
    name: "s3-no-bucket-acls",
    displayName: "No S3 bucket ACLs",
    description: "No bucket ACL resources, canned ACLs or grants: with BucketOwnerEnforced, access is granted by policies only.",
    severity: "medium",
    enforcementLevel: "mandatory",
    tags: ["s3", "acl"],
    remediationSteps: "Remove aws.s3.BucketAcl resources and the acl/grants arguments of aws.s3.Bucket; grant access in the bucket policy instead.",
    validateResource: validateTypes([...TYPES.acl, ...TYPES.bucket], (props, args, report) => {
        if (isAnyOf(args.type, TYPES.acl)) {
            report(
                `bucket ACL resource "${args.name}": ACLs are disabled under BucketOwnerEnforced (S3 rejects all but the default); grant access in the bucket policy instead.`,
            );
            return;
        }
        const acl = props.acl;
        if (acl !== undefined && acl !== UNKNOWN && acl !== "private") {
            report(`the bucket sets the canned ACL ${JSON.stringify(acl)}; remove acl and grant access in the bucket policy.`);
        }
        const grants = asList(props.grants);
        if (grants !== UNKNOWN && grants.length > 0) {
            report(`the bucket sets ${grants.length} ACL grant(s); remove grants and grant access in the bucket policy.`);
        }
    }),
};
