/** All four public-access-block flags, and no unconditioned Principal "*" allow in bucket policies. */
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { checkNoPublicAllow } from "../../../components/model/policy-checks";
import { TYPES, isAnyOf, UNKNOWN, peel, validateTypes } from "./common";

export const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** Set every flag to true: it only removes public access, never data. */
function remediate(args: ResourceValidationArgs): Record<string, unknown> | undefined {
    if (!isAnyOf(args.type, TYPES.publicAccessBlock)) {
        args.notApplicable("Policy only applies to resources of type 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock'");
    }
    const props = args.props as Record<string, unknown>;
    const current = peel(props) as Record<string, unknown>;
    const missing = PUBLIC_ACCESS_FLAGS.filter(f => current[f] !== true);
    if (missing.length === 0) return undefined;
    for (const f of missing) props[f] = true;
    return args.props;
}

export const publicAccessBlockPolicy: ResourceValidationPolicy = {
    name: "s3-public-access-block",
    displayName: "S3 public access block",
    description: "S3 buckets block public access with all four flags: blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets.",
    severity: "critical",
    enforcementLevel: "mandatory",
    tags: ["s3", "public-access"],
    remediationSteps:
        'Set blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true on the bucket\'s aws.s3.BucketPublicAccessBlock (enforcement level "remediate" does this automatically).',
    validateResource: validateTypes(TYPES.publicAccessBlock, (props, _args, report) => {
        const off = PUBLIC_ACCESS_FLAGS.filter(f => props[f] !== UNKNOWN && props[f] !== true);
        if (off.length > 0) {
            report(`${off.map(f => `${f} is ${JSON.stringify(props[f] ?? null)}`).join(", ")}; set all four flags to true.`);
        }
    }),
    remediateResource: remediate,
};

export const noPublicPrincipalPolicy: ResourceValidationPolicy = {
    name: "s3-no-public-principal",
    displayName: "No public principal in bucket policies",
    description: 'Bucket policies never allow Principal "*" (or NotPrincipal) without a condition.',
    severity: "critical",
    enforcementLevel: "mandatory",
    tags: ["s3", "public-access", "bucket-policy"],
    remediationSteps:
        "Name the principals (account, role or service ARNs) in the Allow statement, or add a condition such as aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID.",
    validateResource: validateTypes([...TYPES.bucketPolicy, ...TYPES.bucket], (props, _args, report) => {
        if (props.policy === undefined || props.policy === null) return;
        const result = checkNoPublicAllow(props.policy);
        if (result.verdict === "fail") for (const p of result.problems) report(p);
    }),
};
