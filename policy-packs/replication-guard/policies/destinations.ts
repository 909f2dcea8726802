/**
 * Stack level: what a replication configuration needs to be right about its destinations,
 * which only the whole stack can tell: the replica KMS key and RTC in the destination's Region,
 * replica ownership across accounts, the cross-account grant in the destination's policy, and
 * Object Lock on both ends.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { accountOfArn, bucketPolicyAllows } from "../../../components/model/policy-checks";
import { ConfigCheckContext, ConfigFinding } from "../../../components/model/replication-config";
import { UNKNOWN, at, configOf, regionOf } from "./common";
import { ReplicationNode, StackGraph } from "./graph";
import { REPLICATION_CONFIG_DEFAULTS, ReplicationConfigConfig } from "./replication-config";
import { checkDoc, formatFinding } from "./replication-doc";

/** Rule index -> the one destination key it replicates to, where that is known. */
export function destinationOfRules(rep: ReplicationNode): Map<number, string> {
    const seen = new Map<number, Set<string>>();
    for (const route of rep.routes) {
        if (route.destinationKey === undefined) continue;
        for (const i of route.ruleIndexes) seen.set(i, (seen.get(i) ?? new Set<string>()).add(route.destinationKey));
    }
    const out = new Map<number, string>();
    for (const [i, keys] of seen) if (keys.size === 1) out.set(i, [...keys][0]);
    return out;
}

const key = (f: ConfigFinding) => `${f.code}|${f.ruleIndex ?? ""}|${f.message}`;

export const destinationConsistencyPolicy: StackValidationPolicy = {
    name: "s3-replication-destinations-consistent",
    displayName: "Replication rules agree with their destinations",
    description:
        "Replica KMS keys are in the destination bucket's Region and account, and Replication Time Control is available in the destination's Region (the shared replication checks, run with what the stack knows about each destination).",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["s3", "replication", "kms"],
    remediationSteps: "Use a replica KMS key ARN in the destination bucket's Region and account; turn RTC off for routes into Regions without it.",
    configSchema: {
        properties: {
            rtcUnsupportedRegions: {
                type: "array",
                items: { type: "string" },
                default: [...REPLICATION_CONFIG_DEFAULTS.rtcUnsupportedRegions],
                description: "Regions where Replication Time Control is not available (replaces the built-in list).",
            },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf(args.getConfig<Partial<ReplicationConfigConfig>>(), REPLICATION_CONFIG_DEFAULTS);
        const graph = new StackGraph(args.resources);
        for (const rep of graph.replications) {
            const destinationRegions: Record<string, string> = {};
            const destinationAccounts: Record<string, string> = {};
            const byRule = destinationOfRules(rep);
            for (const [i, destKey] of byRule) {
                const arn = at(rep.doc.raw.rules[i], "destination", "bucket");
                if (typeof arn !== "string") continue;
                const region = graph.regionOfBucket(destKey);
                if (region) destinationRegions[arn] = region;
                const account = graph.accountOfBucket(destKey);
                if (account) destinationAccounts[arn] = account;
            }
            // What the resource-level policy already saw (and reported): only the new findings are ours.
            const base: ConfigCheckContext = {
                sourceRegion: regionOf(graph.props(rep.resource), rep.resource.provider),
                rtcUnsupportedRegions: cfg.rtcUnsupportedRegions,
            };
            const seen = new Set(checkDoc(rep.doc, base).map(key));
            const full: ConfigCheckContext = {
                ...base,
                sourceRegion: graph.sourceRegionOf(rep),
                destinationRegions,
                destinationAccounts,
            };
            for (const f of checkDoc(rep.doc, full)) {
                if (f.severity === "error" && !seen.has(key(f))) report(formatFinding(f), rep.resource.urn);
            }
        }
    },
};

export const crossAccountOwnershipPolicy: StackValidationPolicy = {
    name: "s3-replication-cross-account-ownership",
    displayName: "Cross-account replicas are owned by the destination",
    description:
        "Rules that replicate into a bucket of another account set destination.account and accessControlTranslation.owner = Destination, so the destination account owns its replicas.",
    severity: "medium",
    enforcementLevel: "mandatory",
    tags: ["s3", "replication", "cross-account"],
    remediationSteps:
        'Set destination.account to the destination bucket owner\'s account id and destination.accessControlTranslation to { owner: "Destination" } (the role then needs s3:ObjectOwnerOverrideToBucketOwner).',
    validateStack: (args, report) => {
        const graph = new StackGraph(args.resources);
        for (const rep of graph.replications) {
            const sourceAccount = graph.sourceAccountOf(rep);
            if (!sourceAccount || rep.doc.rulesUnknown) continue;
            const byRule = destinationOfRules(rep);
            rep.doc.raw.rules.forEach((rule, i) => {
                if (rule === UNKNOWN) return;
                const destination = at(rule, "destination");
                if (destination === UNKNOWN) return;
                const declared = at(destination, "account");
                if (declared === UNKNOWN) return;
                const destKey = byRule.get(i);
                const destAccount = typeof declared === "string" ? declared : destKey !== undefined ? graph.accountOfBucket(destKey) : undefined;
                if (!destAccount || destAccount === sourceAccount) return;
                const owner = at(destination, "accessControlTranslation", "owner");
                // An override without destination.account is the well-formed policy's finding (OWNERSHIP_OVERRIDE_WITHOUT_ACCOUNT).
                if (owner === UNKNOWN || owner === "Destination") return;
                const id = at(rule, "id");
                const name = typeof id === "string" ? `rule "${id}"` : `rule #${i + 1}`;
                const dest = destKey !== undefined ? graph.label(destKey) : String(at(destination, "bucket"));
                report(
                    `${name} of ${rep.resource.name} replicates from account ${sourceAccount} into ${dest} in account ${destAccount} without replica ownership; set destination.account "${destAccount}" and accessControlTranslation.owner "Destination".`,
                    rep.resource.urn,
                );
            });
        }
    },
};

export const objectLockParityPolicy: StackValidationPolicy = {
    name: "s3-replication-object-lock-parity",
    displayName: "Object Lock on both ends",
    description:
        "A replication source with Object Lock replicates only to destinations with Object Lock (S3 fails such replication later with DstBucketObjectLockConfigMissing).",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["s3", "replication", "object-lock"],
    remediationSteps:
        "Create the destination with objectLockEnabled: true (it can only be set when the bucket is created), or replicate to another bucket that has it.",
    validateStack: (args, report) => {
        const graph = new StackGraph(args.resources);
        for (const rep of graph.replications) {
            if (rep.sourceKey === undefined || graph.objectLockOf(rep.sourceKey) !== true) continue;
            for (const route of rep.routes) {
                if (route.destinationKey === undefined || graph.objectLockOf(route.destinationKey) !== false) continue;
                report(
                    `source bucket ${graph.label(rep.sourceKey)} has Object Lock but replicates to ${graph.label(route.destinationKey)}, which does not; enable Object Lock on the destination (objectLockEnabled: true at creation).`,
                    graph.urnOfBucket(route.destinationKey) ?? rep.resource.urn,
                );
            }
        }
    },
};

/** The actions a rule needs on a cross-account destination's objects, as the S3 User Guide lists them. */
function actionsNeeded(rule: unknown): string[] {
    const actions = ["s3:ReplicateObject"];
    // Delete markers are replicated with s3:ReplicateDelete ("Setting up permissions for live replication").
    if (at(rule, "deleteMarkerReplication", "status") === "Enabled") actions.push("s3:ReplicateDelete");
    // "Changing the replica owner": the destination policy must allow the override.
    if (at(rule, "destination", "accessControlTranslation", "owner") === "Destination") actions.push("s3:ObjectOwnerOverrideToBucketOwner");
    return actions;
}

export const crossAccountGrantPolicy: StackValidationPolicy = {
    name: "s3-replication-cross-account-grants",
    displayName: "Cross-account destinations let the source's role replicate",
    description:
        "When a rule replicates into a bucket of another account whose bucket policy is in the stack, that policy allows the configuration's role s3:ReplicateObject on the bucket's objects (s3:ReplicateDelete with delete-marker replication, s3:ObjectOwnerOverrideToBucketOwner with owner override): by the role's ARN, or by its account with an aws:PrincipalArn condition the role matches. Otherwise S3 accepts the configuration and every object fails with DstPutObjectNotPermitted.",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["s3", "replication", "cross-account"],
    remediationSteps:
        'In the destination bucket policy, allow the source account ("arn:aws:iam::<source account>:root") s3:ReplicateObject, s3:ReplicateDelete and s3:ReplicateTags on "arn:aws:s3:::<destination>/*" with {"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::<source account>:role/s3-replication/*"}} (or name the role\'s ARN).',
    validateStack: (args, report) => {
        const graph = new StackGraph(args.resources);
        for (const rep of graph.replications) {
            const role = rep.doc.raw.role;
            if (typeof role !== "string" || rep.doc.rulesUnknown) continue;
            const sourceAccount = accountOfArn(role) ?? graph.sourceAccountOf(rep);
            for (const route of rep.routes) {
                if (route.destinationKey === undefined) continue;
                const destAccount = graph.accountOfBucket(route.destinationKey);
                // Same account (the role's own policy suffices) or an account the stack cannot tell.
                if (!sourceAccount || !destAccount || destAccount === sourceAccount) continue;
                // A policy managed in another stack, or not at all, is not this stack's to judge.
                const policies = graph.buckets.get(route.destinationKey)?.settings.bucketPolicy ?? [];
                for (const i of route.ruleIndexes) {
                    const rule = rep.doc.raw.rules[i];
                    if (rule === UNKNOWN || at(rule, "status") !== "Enabled") continue;
                    const bucket = at(rule, "destination", "bucket");
                    if (typeof bucket !== "string") continue;
                    const prefix = at(rule, "filter", "prefix") ?? at(rule, "filter", "and", "prefix");
                    const object = `${bucket}/${typeof prefix === "string" ? prefix : ""}replicated-object`;
                    for (const p of policies) {
                        const missing = actionsNeeded(rule).filter(
                            action => bucketPolicyAllows(graph.props(p).policy, { principalArn: role, action, resource: object }) === "fail",
                        );
                        if (missing.length === 0) continue;
                        const id = at(rule, "id");
                        const name = typeof id === "string" ? `rule "${id}"` : `rule #${i + 1}`;
                        report(
                            `the policy of ${graph.label(route.destinationKey)} (account ${destAccount}) does not let role ${role} (account ${sourceAccount}) ${missing.join(", ")} on ${bucket}/*, which ${name} of ${rep.resource.name} needs; allow the source account with an aws:PrincipalArn condition on the role path, or the role's ARN.`,
                            p.urn,
                        );
                    }
                }
            }
        }
    },
};
