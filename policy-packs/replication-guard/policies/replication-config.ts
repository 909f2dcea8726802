/**
 * Replication configurations that S3 would reject never pass a preview. The rules are the
 * model's `checkReplicationConfig`, the same code the manifest validator runs, so a finding
 * carries the same code here as in `s3-replication validate`.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_RTC_UNSUPPORTED_REGIONS } from "../../../components/model/aws-facts";
import { ConfigFinding } from "../../../components/model/replication-config";
import { accountOfArn } from "../../../components/model/policy-checks";
import { TYPES, isAnyOf, configOf, regionOf, validateTypes, Plain } from "./common";
import { CheckableDoc, checkDoc, docFromInlineBucket, docFromReplicationConfig, formatFinding } from "./replication-doc";

export interface ReplicationConfigConfig extends Record<string, unknown> {
    /** Regions without Replication Time Control (replaces the built-in list). */
    rtcUnsupportedRegions: string[];
}

export const REPLICATION_CONFIG_DEFAULTS: ReplicationConfigConfig = { rtcUnsupportedRegions: [...DEFAULT_RTC_UNSUPPORTED_REGIONS] };

/** The checkable document of a BucketReplicationConfig, or of a Bucket's inline configuration. */
export function replicationDocOf(props: Plain, isBucket: boolean): CheckableDoc | undefined {
    return isBucket ? docFromInlineBucket(props.bucket, props.replicationConfiguration) : docFromReplicationConfig(props);
}

function findingsOf(props: Plain, args: ResourceValidationArgs): ConfigFinding[] {
    const isBucket = isAnyOf(args.type, TYPES.bucket);
    const doc = replicationDocOf(props, isBucket);
    if (!doc) return [];
    const cfg = configOf(args.getConfig<Partial<ReplicationConfigConfig>>(), REPLICATION_CONFIG_DEFAULTS);
    return checkDoc(doc, {
        // The configuration is written through the source bucket's Region, and its role lives in the source account.
        sourceRegion: regionOf(props, args.provider),
        sourceAccount: accountOfArn(doc.raw.role),
        rtcUnsupportedRegions: cfg.rtcUnsupportedRegions,
    });
}

function reportFindings(findings: ConfigFinding[], report: ReportViolation): void {
    for (const f of findings) report(formatFinding(f));
}

const configSchema = {
    properties: {
        rtcUnsupportedRegions: {
            type: "array" as const,
            items: { type: "string" as const },
            default: [...DEFAULT_RTC_UNSUPPORTED_REGIONS],
            description: "Regions where Replication Time Control is not available (replaces the built-in list).",
        },
    },
};

export const replicationWellFormedPolicy: ResourceValidationPolicy = {
    name: "s3-replication-config-well-formed",
    displayName: "Replication configurations S3 accepts",
    description:
        "Replication configurations are ones S3 accepts: V2 schema (filter, priority, deleteMarkerReplication), unique priorities and ids, no delete-marker replication with tag filters, RTC together with metrics at 15 minutes, SSE-KMS selection with a replica key ARN, ownership override with the destination account, replication storage classes, limits on rules, prefixes and ids.",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["s3", "replication"],
    remediationSteps: "Fix each finding as its message says; `s3-replication validate` reports the same codes for a manifest before anything is deployed.",
    configSchema,
    validateResource: validateTypes([...TYPES.replication, ...TYPES.bucket], (props, args, report) => {
        reportFindings(
            findingsOf(props, args).filter(f => f.severity === "error"),
            report,
        );
    }),
};

export const replicationAdvisoriesPolicy: ResourceValidationPolicy = {
    name: "s3-replication-config-advisories",
    displayName: "Replication configuration warnings",
    description:
        "Replication configurations have no setting that S3 accepts but that does nothing or surprises (for example a replica ownership override between buckets of the same account).",
    severity: "low",
    enforcementLevel: "advisory",
    tags: ["s3", "replication"],
    remediationSteps: "Remove the setting the message names.",
    configSchema,
    validateResource: validateTypes([...TYPES.replication, ...TYPES.bucket], (props, args, report) => {
        reportFindings(
            findingsOf(props, args).filter(f => f.severity === "warning"),
            report,
        );
    }),
};
