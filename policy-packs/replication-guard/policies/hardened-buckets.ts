/**
 * Stack level: every replication source, and every destination the program declares, has its
 * versioning, default encryption, public access block and ownership controls declared. The
 * resource-level policies check the VALUES of those settings; this one checks that they exist,
 * which no single resource can tell.
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { UNKNOWN, at, configOf } from "./common";
import { SettingKind, StackGraph } from "./graph";

export type RequiredSetting = "versioning" | "encryption" | "publicAccessBlock" | "ownership" | "bucketPolicy";

export const REQUIRED_SETTINGS: readonly RequiredSetting[] = ["versioning", "encryption", "publicAccessBlock", "ownership", "bucketPolicy"];

export interface HardenedConfig extends Record<string, unknown> {
    requiredSettings: RequiredSetting[];
    /** Buckets whose settings another stack declares (names; a trailing `*` matches a prefix). */
    managedElsewhere: string[];
}

export const HARDENED_DEFAULTS: HardenedConfig = { requiredSettings: ["versioning", "encryption", "publicAccessBlock", "ownership"], managedElsewhere: [] };

/** Whether a replication's program says its source's settings live in another stack (a sharded fleet's BucketReplication does). */
function sourceSettingsElsewhere(graph: StackGraph, resource: PolicyResource): boolean {
    for (let p = resource.parent; p; p = p.parent) {
        if (graph.props(p).sourceSettingsElsewhere === true) return true;
    }
    return false;
}

function matchesAny(name: string, patterns: readonly string[]): boolean {
    return patterns.some(p => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p));
}

const WHAT: Record<RequiredSetting, string> = {
    versioning: "versioning (aws.s3.BucketVersioning with status Enabled)",
    encryption: "default encryption (aws.s3.BucketServerSideEncryptionConfiguration)",
    publicAccessBlock: "public access block (aws.s3.BucketPublicAccessBlock with all four flags)",
    ownership: "ownership controls (aws.s3.BucketOwnershipControls with BucketOwnerEnforced)",
    bucketPolicy: "bucket policy (aws.s3.BucketPolicy denying insecure transport)",
};

function hasSetting(graph: StackGraph, key: string, kind: RequiredSetting): boolean {
    const node = graph.buckets.get(key);
    if (!node) return false;
    if (node.settings[kind as SettingKind].length > 0) return true;
    // Deprecated inline arguments of aws.s3.Bucket. Inline encryption is not counted: in v7 the
    // bucket's output shows S3's default encryption whether or not the program set one.
    if (node.resource) {
        const p = graph.props(node.resource);
        if (kind === "versioning") {
            const enabled = at(p, "versioning", "enabled");
            return enabled === true || enabled === UNKNOWN;
        }
        if (kind === "bucketPolicy") return p.policy !== undefined && p.policy !== null && p.policy !== "";
    }
    return false;
}

export const hardenedReplicatedBucketsPolicy: StackValidationPolicy = {
    name: "s3-replicated-buckets-hardened",
    displayName: "Replicated buckets are hardened",
    description:
        "Every replication source bucket, and every destination bucket the program declares, has versioning, default encryption, a public access block and ownership controls (optionally a bucket policy) declared for it.",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["s3", "replication"],
    remediationSteps:
        "Declare the missing settings resources for the bucket (HardenedBucket from pulumi-s3-replication declares all of them), referring to the bucket by its name.",
    configSchema: {
        properties: {
            requiredSettings: {
                type: "array",
                items: { type: "string", enum: [...REQUIRED_SETTINGS] },
                default: [...HARDENED_DEFAULTS.requiredSettings],
                description: "The settings every replicated bucket must have declared.",
            },
            managedElsewhere: {
                type: "array",
                items: { type: "string" },
                default: [],
                description:
                    "Buckets whose settings another stack declares (exact names, or a prefix ending in *). A sharded ReplicationFleet marks such sources itself.",
            },
        },
    },
    validateStack: (args, report) => {
        const cfg = configOf(args.getConfig<Partial<HardenedConfig>>(), HARDENED_DEFAULTS);
        const required = cfg.requiredSettings.filter(s => REQUIRED_SETTINGS.includes(s));
        const graph = new StackGraph(args.resources);
        // Bucket key -> its roles, and a URN to report at when the bucket has no resource of its own.
        const subjects = new Map<string, { roles: Set<string>; urn: string }>();
        const add = (key: string, role: string, urn: string) => {
            const s = subjects.get(key) ?? { roles: new Set<string>(), urn };
            s.roles.add(role);
            subjects.set(key, s);
        };
        for (const rep of graph.replications) {
            const elsewhere =
                sourceSettingsElsewhere(graph, rep.resource) ||
                (rep.sourceKey !== undefined && matchesAny(graph.buckets.get(rep.sourceKey)?.name ?? rep.sourceKey, cfg.managedElsewhere));
            if (rep.sourceKey !== undefined && !elsewhere) add(rep.sourceKey, "replication source", rep.resource.urn);
            for (const route of rep.routes) {
                if (route.destinationKey !== undefined && route.destinationKey !== rep.sourceKey && graph.isDeclared(route.destinationKey)) {
                    add(route.destinationKey, "replication destination", rep.resource.urn);
                }
            }
        }
        for (const [key, subject] of subjects) {
            // At the bucket when the program declares one; for an adopted bucket, at the replication configuration.
            const urn = graph.buckets.get(key)?.resource?.urn ?? subject.urn;
            for (const kind of required) {
                if (hasSetting(graph, key, kind)) continue;
                report(`bucket ${graph.label(key)} (${[...subject.roles].sort().join(" and ")}) has no ${WHAT[kind]}.`, urn);
            }
        }
    },
};
