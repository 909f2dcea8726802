/** Versioning Enabled (replication needs it on both ends, and refuses a Suspended source). */
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, isAnyOf, UNKNOWN, at, tryRemediate, validateTypes } from "./common";

/** Enabled is safe to force: it keeps every version and deletes nothing. */
function remediate(args: ResourceValidationArgs): Record<string, unknown> | undefined {
    const isBucket = isAnyOf(args.type, TYPES.bucket);
    if (!isBucket && !isAnyOf(args.type, TYPES.versioning)) {
        args.notApplicable("Policy only applies to S3 buckets and their versioning resources");
    }
    if (isBucket) {
        const props = args.props as { versioning?: { enabled?: boolean } };
        const versioning = tryRemediate(() => props.versioning);
        if (!versioning || tryRemediate(() => versioning.enabled) !== false) return undefined;
        versioning.enabled = true;
        return args.props;
    }
    const props = args.props as { versioningConfiguration?: { status?: string } };
    const config = tryRemediate(() => props.versioningConfiguration);
    if (!config) return undefined;
    const status = tryRemediate(() => config.status);
    if (status === undefined || status === "Enabled") return undefined;
    config.status = "Enabled";
    return args.props;
}

export const versioningPolicy: ResourceValidationPolicy = {
    name: "s3-versioning-enabled",
    displayName: "S3 versioning enabled",
    description: "S3 bucket versioning is Enabled, never Suspended or Disabled: replication requires it on the source and on the destination.",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["s3", "versioning", "replication"],
    remediationSteps:
        'Set versioningConfiguration.status to "Enabled" on the bucket\'s aws.s3.BucketVersioning (enforcement level "remediate" does this automatically).',
    validateResource: validateTypes([...TYPES.versioning, ...TYPES.bucket], (props, args, report) => {
        if (isAnyOf(args.type, TYPES.bucket)) {
            // Deprecated inline form: only an explicit `enabled: false` is a finding here.
            const enabled = at(props, "versioning", "enabled");
            if (enabled === false) report("the inline versioning sets enabled: false; enable versioning (replication needs it on both buckets).");
            return;
        }
        const status = at(props, "versioningConfiguration", "status");
        if (status === UNKNOWN) return;
        if (status !== "Enabled") {
            report(
                `versioningConfiguration.status is ${JSON.stringify(status ?? null)}; set it to "Enabled" (S3 refuses to replicate from or to a bucket whose versioning is not Enabled).`,
            );
        }
    }),
    remediateResource: remediate,
};
