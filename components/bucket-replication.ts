import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { diagnosticsMessage, failOnErrors, typeToken } from "./errors";
import {
    Diagnostic, ReplicationRuleDoc, RouteRecord, buildFleetSpec, checkReplicationConfig, diag,
    recordsFromObjects, replicationConfigFor,
} from "./model";

/** One destination of a source bucket, in the manifest's terms (camelCase). */
export interface ReplicationDestinationArgs {
    /** Destination bucket name. */
    bucket: string;
    /** Destination account (12 digits). Default: the source account. */
    account?: string;
    /** Destination Region. Default: the source Region. */
    region?: string;
    prefix?: string;
    /** Tag filter. */
    tags?: Record<string, string>;
    storageClass?: string;
    deleteMarkerReplication?: boolean;
    /** `destination` (default cross-account) makes the destination account own replicas. */
    replicaOwnership?: "destination" | "source";
    replicateKms?: boolean;
    /** KMS key ARN in the destination Region for replicas. */
    replicaKmsKey?: string;
    rtc?: boolean;
    /** Two-way: sync replica modifications. */
    bidirectional?: boolean;
    priority?: number;
    ruleId?: string;
    status?: "Enabled" | "Disabled";
}

export interface BucketReplicationArgs {
    sourceBucket: string;
    /** Source account (12 digits). */
    sourceAccount: string;
    sourceRegion: string;
    /** ARN of the replication role (see ReplicationRole). */
    roleArn: pulumi.Input<string>;
    /** Destinations, one rule each; or give `rules` already rendered. */
    destinations?: ReplicationDestinationArgs[];
    /** Rules in the V2 schema, already rendered (ReplicationFleet passes these). */
    rules?: ReplicationRuleDoc[];
    /**
     * What the configuration must wait for: the versioning of the source and of every
     * destination (S3 refuses the configuration otherwise), the role's policies and the
     * destination policies.
     */
    waitFor?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The replication configuration of ONE source bucket (AWS keeps one per bucket and a PUT
 * replaces it), with a rule per destination, always in the V2 schema.
 */
export class BucketReplication extends pulumi.ComponentResource {
    readonly ruleIds: pulumi.Output<string[]>;
    readonly sourceBucket: pulumi.Output<string>;
    readonly configuration!: aws.s3.BucketReplicationConfig;

    constructor(name: string, args: BucketReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
        const rules = BucketReplication.rulesOf(name, args);
        super(typeToken("BucketReplication"), name, {}, opts);
        this.ruleIds = pulumi.output(rules.map(r => r.id ?? ""));
        this.sourceBucket = pulumi.output(args.sourceBucket);
        if (opts?.urn) return;

        this.configuration = new aws.s3.BucketReplicationConfig(`${name}-replication`, {
            bucket: args.sourceBucket,
            region: args.sourceRegion,
            role: args.roleArn,
            rules: rules as aws.types.input.s3.BucketReplicationConfigRule[],
        }, { parent: this, dependsOn: args.waitFor ?? [] });
        this.registerOutputs({ sourceBucket: this.sourceBucket, ruleIds: this.ruleIds });
    }

    private static rulesOf(name: string, args: BucketReplicationArgs): ReplicationRuleDoc[] {
        const what = `BucketReplication ${name}`;
        if (args.rules) {
            const findings = checkReplicationConfig({ bucket: args.sourceBucket, rules: args.rules }, { sourceAccount: args.sourceAccount, sourceRegion: args.sourceRegion });
            failOnErrors(what, findings.map(f => diag(f.code, f.message, { path: f.ruleIndex !== undefined ? `rules[${f.ruleIndex}]` : "rules" }, f.severity)));
            return args.rules;
        }
        const destinations = args.destinations ?? [];
        const out: Diagnostic[] = [];
        if (destinations.length === 0) out.push(diag("NO_RULES", "give at least one destination (or rules).", { path: "destinations" }));
        const rows = destinations.map(d => ({
            sourceBucket: args.sourceBucket, sourceAccount: args.sourceAccount, sourceRegion: args.sourceRegion,
            destinationBucket: d.bucket, destinationAccount: d.account, destinationRegion: d.region,
            prefix: d.prefix, tags: d.tags, storageClass: d.storageClass, deleteMarkerReplication: d.deleteMarkerReplication,
            replicaOwnership: d.replicaOwnership, replicateKms: d.replicateKms, replicaKmsKey: d.replicaKmsKey,
            rtc: d.rtc, bidirectional: d.bidirectional, priority: d.priority, ruleId: d.ruleId, status: d.status,
        }));
        const records: RouteRecord[] = recordsFromObjects(rows, { path: "destinations" }, out);
        const { spec, diagnostics } = buildFleetSpec(records, {});
        // Reverse routes of two-way destinations belong to the other bucket's configuration.
        const routes = spec.routes.filter(r => r.source === args.sourceBucket);
        // Point at the argument as the caller wrote it (destinations[i].bucket, sourceAccount, ...).
        const rename: Record<string, string> = { destination_bucket: "bucket", destination_account: "account", destination_region: "region", replica_kms_key: "replicaKmsKey" };
        const errors = [...out, ...diagnostics].filter(d => d.severity === "error").map(d => {
            const m = /^destinations\[(\d+)\]\.(\w+)$/.exec(d.path ?? "");
            if (!m) return d;
            const field = m[2].replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);
            if (field.startsWith("source_")) return { ...d, path: field.replace(/_([a-z])/g, (_: string, c: string) => c.toUpperCase()) };
            return { ...d, path: `destinations[${m[1]}].${rename[field] ?? field.replace(/_([a-z])/g, (_: string, c: string) => c.toUpperCase())}` };
        });
        if (errors.length) throw new pulumi.RunError(diagnosticsMessage(what, errors));
        const source = spec.buckets.find(b => b.name === args.sourceBucket)!;
        return replicationConfigFor(source, routes, "").rules ?? [];
    }
}
