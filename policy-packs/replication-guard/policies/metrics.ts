/**
 * Every enabled replication rule publishes S3 Replication metrics. Without them a failed object
 * stays FAILED (S3 never retries it) and nothing tells anyone: no OperationsFailedReplication
 * metric to alarm on, no failure events. Metrics need no Replication Time Control (S3 User
 * Guide, "Using S3 Replication metrics":
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html).
 * Advisory: metrics are billed like CloudWatch custom metrics, a choice a team may make.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, isAnyOf, validateTypes } from "./common";
import { replicationDocOf } from "./replication-config";

export const replicationMetricsPolicy: ResourceValidationPolicy = {
    name: "s3-replication-metrics-enabled",
    displayName: "Replication metrics on every rule",
    description:
        "Every enabled replication rule has S3 Replication metrics (destination.metrics.status Enabled), so failed replication can raise alarms and failure events. Metrics need no Replication Time Control.",
    severity: "medium",
    enforcementLevel: "advisory",
    tags: ["s3", "replication", "monitoring"],
    remediationSteps:
        'Set destination.metrics to { status: "Enabled" } on each rule (ReplicationFleet does unless stack config monitoring.metrics is false), then alarm on OperationsFailedReplication.',
    validateResource: validateTypes([...TYPES.replication, ...TYPES.bucket], (props, args, report) => {
        const checkable = replicationDocOf(props, isAnyOf(args.type, TYPES.bucket));
        if (!checkable || checkable.rulesUnknown) return;
        const bucket = checkable.doc.bucket ?? "this bucket";
        (checkable.doc.rules ?? []).forEach((rule, i) => {
            const tainted = checkable.tainted.get(i);
            // A status or destination not known yet (preview) is judged on `up`.
            if (tainted && (tainted.has("*") || tainted.has("rtc") || tainted.has("status"))) return;
            if (rule.status !== "Enabled" || rule.destination?.metrics?.status === "Enabled") return;
            const name = rule.id ? `rule "${rule.id}"` : `rule #${i + 1}`;
            report(
                `${name} of ${bucket} publishes no replication metrics, so failed replication goes unnoticed (S3 does not retry FAILED objects); set destination.metrics.status to "Enabled" (no RTC needed).`,
            );
        });
    }),
};
