/** Bucket policies deny requests that do not use TLS, on the bucket and all of its objects. */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { checkTlsOnlyPolicy } from "../../../components/model/policy-checks";
import { TYPES, isAnyOf, UNKNOWN, validateTypes } from "./common";

export const tlsOnlyPolicy: ResourceValidationPolicy = {
    name: "s3-tls-only-bucket-policy",
    displayName: "TLS-only bucket policy",
    description:
        'Bucket policies deny every request made without TLS (Deny, Principal "*", s3:*, the bucket and bucket/*, Bool aws:SecureTransport = false, or NumericLessThan s3:TlsVersion).',
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["s3", "tls", "bucket-policy"],
    remediationSteps:
        'Add to the bucket policy: {"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::<bucket>","arn:aws:s3:::<bucket>/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}.',
    validateResource: validateTypes([...TYPES.bucketPolicy, ...TYPES.bucket], (props, args, report) => {
        const isBucket = isAnyOf(args.type, TYPES.bucket);
        // On aws.s3.Bucket only the deprecated inline policy is checked; most programs use aws.s3.BucketPolicy.
        if (isBucket && (props.policy === undefined || props.policy === null || props.policy === "")) return;
        const bucket = props.bucket;
        const result = checkTlsOnlyPolicy(props.policy, typeof bucket === "string" || bucket === UNKNOWN ? bucket : undefined);
        if (result.verdict === "fail") for (const p of result.problems) report(p);
    }),
};
