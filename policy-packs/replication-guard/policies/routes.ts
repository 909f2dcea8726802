/**
 * Stack level, per replication route: an enabled rule per source, a destination in another
 * Region where config asks for it, and destinations only in allowed Regions (data residency).
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { parseKmsKeyArn } from "../../../components/model/aws-facts";
import { UNKNOWN, at, configOf } from "./common";
import { ReplicationNode, RouteNode, StackGraph } from "./graph";

export interface RouteConfig extends Record<string, unknown> {
    requireEnabledRule: boolean;
    requireCrossRegion: boolean;
    allowedRegions: string[];
}

export const ROUTE_DEFAULTS: RouteConfig = { requireEnabledRule: true, requireCrossRegion: false, allowedRegions: [] };

/**
 * The destination's Region: the bucket's own (from the program), else the Region of the replica
 * KMS key its rules name (S3 requires that key to be in the destination's Region).
 */
export function destinationRegion(graph: StackGraph, rep: ReplicationNode, route: RouteNode): { region?: string; from?: string } {
    if (route.destinationKey !== undefined) {
        const region = graph.regionOfBucket(route.destinationKey);
        if (region) return { region, from: "the bucket's Region" };
    }
    for (const i of route.ruleIndexes) {
        const key = parseKmsKeyArn(String(at(rep.doc.raw.rules[i], "destination", "encryptionConfiguration", "replicaKmsKeyId") ?? ""));
        if (key) return { region: key.region, from: "the Region of its replica KMS key" };
    }
    return {};
}

export const routeRequirementsPolicy: StackValidationPolicy = {
    name: "s3-replication-route-requirements",
    displayName: "Replication routes meet the organisation's requirements",
    description:
        "Where configured: every replication source has an enabled rule; every destination is in a different Region from its source; every destination is in an allowed Region (data residency).",
    severity: "medium",
    enforcementLevel: "mandatory",
    tags: ["s3", "replication", "data-residency"],
    remediationSteps: "Enable a rule, or move the destination bucket to another (allowed) Region.",
    configSchema: {
        properties: {
            requireEnabledRule: {
                type: "boolean",
                default: ROUTE_DEFAULTS.requireEnabledRule,
                description: "Every replication configuration has at least one rule with status Enabled.",
            },
            requireCrossRegion: {
                type: "boolean",
                default: ROUTE_DEFAULTS.requireCrossRegion,
                description: "Every destination is in a different Region from its source (disaster recovery).",
            },
            allowedRegions: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "When not empty, the only Regions destinations may be in (data residency).",
            },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf(args.getConfig<Partial<RouteConfig>>(), ROUTE_DEFAULTS);
        const graph = new StackGraph(args.resources);
        for (const rep of graph.replications) {
            const source = rep.sourceKey !== undefined ? graph.label(rep.sourceKey) : `of ${rep.resource.name}`;
            if (cfg.requireEnabledRule && !rep.doc.rulesUnknown) {
                const statuses = rep.doc.raw.rules.map(r => (r === UNKNOWN ? UNKNOWN : at(r, "status")));
                if (!statuses.includes("Enabled") && !statuses.includes(UNKNOWN)) {
                    report(
                        `the replication configuration of bucket ${source} has no rule with status Enabled, so nothing replicates; enable a rule (or set requireEnabledRule to false for a paused route).`,
                        rep.resource.urn,
                    );
                }
            }
            if (!cfg.requireCrossRegion && cfg.allowedRegions.length === 0) continue;
            const sourceRegion = graph.sourceRegionOf(rep);
            for (const route of rep.routes) {
                const dest = destinationRegion(graph, rep, route);
                if (!dest.region) continue; // cannot be told from anything the program says
                const destLabel = route.destinationKey !== undefined ? graph.label(route.destinationKey) : "(not known yet)";
                if (cfg.requireCrossRegion && sourceRegion && dest.region === sourceRegion) {
                    report(
                        `bucket ${source} replicates to ${destLabel} in the same Region (${sourceRegion}, ${dest.from}); cross-Region replication is required: use a destination in another Region.`,
                        rep.resource.urn,
                    );
                }
                if (cfg.allowedRegions.length > 0 && !cfg.allowedRegions.includes(dest.region)) {
                    report(
                        `bucket ${source} replicates to ${destLabel} in ${dest.region} (${dest.from}), which is not an allowed Region (${cfg.allowedRegions.join(", ")}).`,
                        rep.resource.urn,
                    );
                }
            }
        }
    },
};
