import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { diagnosticsMessage, failOnErrors, typeToken } from "./errors";
import { Diagnostic, ReplicationRuleDoc, RouteRecord, buildFleetSpec, checkReplicationConfig, diag, recordsFromObjects, replicationConfigFor } from "./model";

/** One destination of a source bucket, in the manifest's terms (camelCase); every Pulumi language can pass it. */
export interface ReplicationDestinationBaseArgs {
    /** Destination bucket name. */
    bucket: string;
    /** Destination account (12 digits). Default: the source account. */
    account?: string;
    /** Destination Region. Default: the source Region. */
    region?: string;
    /** Replicate only keys starting with this prefix (at most 1,024 characters). Default: everything. */
    prefix?: string;
    /** Replicate only objects with all of these tags (not with delete-marker replication). */
    tags?: Record<string, string>;
    /** Storage class of the replicas, e.g. "STANDARD_IA" or "GLACIER_IR". Default: the source object's class. */
    storageClass?: string;
    /** Replicate delete markers (not with a tag filter). Default false. */
    deleteMarkerReplication?: boolean;
    /** "destination" (the default cross-account) makes the destination account own the replicas; "source" keeps the source owner. */
    replicaOwnership?: string;
    /** Replicate SSE-KMS encrypted objects (needs `replicaKmsKey`). Default: true when `replicaKmsKey` is set. */
    replicateKms?: boolean;
    /** KMS key ARN in the destination Region for replicas. */
    replicaKmsKey?: string;
    /** S3 Replication Time Control (15 minutes) with its metrics. Default false. */
    rtc?: boolean;
    /** Two-way: also replicate the destination back to the source, with replica modification sync on both rules. */
    bidirectional?: boolean;
    /** Rule priority, unique per source bucket. Default: derived from the route itself. */
    priority?: number;
    /** Replication rule id (at most 255 characters). Default: `to-<destination>`, plus a filter hash for a filtered route. */
    ruleId?: string;
    /** "Enabled" (default) or "Disabled". */
    status?: string;
}

/** {@link ReplicationDestinationBaseArgs} with the documented string values as TypeScript literal types. */
export interface ReplicationDestinationArgs extends ReplicationDestinationBaseArgs {
    replicaOwnership?: "destination" | "source";
    status?: "Enabled" | "Disabled";
}

/** BucketReplication's arguments that every Pulumi language can pass. */
export interface BucketReplicationBaseArgs {
    /** Name of the source bucket, whose ONE replication configuration this is. */
    sourceBucket: string;
    /** Source account (12 digits). */
    sourceAccount: string;
    /** The source bucket's Region. */
    sourceRegion: string;
    /** ARN of the replication role (see ReplicationRole). */
    roleArn: pulumi.Input<string>;
    /** Destinations, one rule each. */
    destinations?: ReplicationDestinationBaseArgs[];
    /**
     * The source bucket's versioning, encryption, public access block and ownership are declared in
     * another stack (a sharded fleet). Recorded on this component so that the replication-guard
     * pack does not ask this stack to declare them too. Default false.
     */
    sourceSettingsElsewhere?: boolean;
}

/**
 * Arguments of {@link BucketReplication}: {@link BucketReplicationBaseArgs} and what only a
 * TypeScript program can pass (rendered rules, resources to wait for).
 */
export interface BucketReplicationArgs extends BucketReplicationBaseArgs {
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
        super(typeToken("BucketReplication"), name, args.sourceSettingsElsewhere ? { sourceSettingsElsewhere: true } : {}, opts);
        this.ruleIds = pulumi.output(rules.map(r => r.id ?? ""));
        this.sourceBucket = pulumi.output(args.sourceBucket);
        if (opts?.urn) return;

        this.configuration = new aws.s3.BucketReplicationConfig(
            `${name}-replication`,
            {
                bucket: args.sourceBucket,
                region: args.sourceRegion,
                role: args.roleArn,
                rules: rules as aws.types.input.s3.BucketReplicationConfigRule[],
            },
            { parent: this, dependsOn: args.waitFor ?? [] },
        );
        this.registerOutputs({ sourceBucket: this.sourceBucket, ruleIds: this.ruleIds });
    }

    private static rulesOf(name: string, args: BucketReplicationArgs): ReplicationRuleDoc[] {
        const what = `BucketReplication ${name}`;
        if (args.rules) {
            const findings = checkReplicationConfig(
                { bucket: args.sourceBucket, rules: args.rules },
                { sourceAccount: args.sourceAccount, sourceRegion: args.sourceRegion },
            );
            failOnErrors(
                what,
                findings.map(f => diag(f.code, f.message, { path: f.ruleIndex !== undefined ? `rules[${f.ruleIndex}]` : "rules" }, f.severity)),
            );
            return args.rules;
        }
        const destinations = args.destinations ?? [];
        const out: Diagnostic[] = [];
        if (destinations.length === 0) out.push(diag("NO_RULES", "give at least one destination (or rules).", { path: "destinations" }));
        const rows = destinations.map(d => ({
            sourceBucket: args.sourceBucket,
            sourceAccount: args.sourceAccount,
            sourceRegion: args.sourceRegion,
            destinationBucket: d.bucket,
            destinationAccount: d.account,
            destinationRegion: d.region,
            prefix: d.prefix,
            tags: d.tags,
            storageClass: d.storageClass,
            deleteMarkerReplication: d.deleteMarkerReplication,
            replicaOwnership: d.replicaOwnership,
            replicateKms: d.replicateKms,
            replicaKmsKey: d.replicaKmsKey,
            rtc: d.rtc,
            bidirectional: d.bidirectional,
            priority: d.priority,
            ruleId: d.ruleId,
            status: d.status,
        }));
        const records: RouteRecord[] = recordsFromObjects(rows, { path: "destinations" }, out);
        const { spec, diagnostics } = buildFleetSpec(records, {});
        // Reverse routes of two-way destinations belong to the other bucket's configuration.
        const routes = spec.routes.filter(r => r.source === args.sourceBucket);
        // Point at the argument as the caller wrote it (destinations[i].bucket, sourceAccount, ...).
        const rename: Record<string, string> = {
            destination_bucket: "bucket",
            destination_account: "account",
            destination_region: "region",
            replica_kms_key: "replicaKmsKey",
        };
        const errors = [...out, ...diagnostics]
            .filter(d => d.severity === "error")
            .map(d => {
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
