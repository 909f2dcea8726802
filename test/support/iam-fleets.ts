/**
 * The graphs the IAM proof runs on: both example stacks, and generated fleets that together
 * cover every shape issue 11 lists (one-to-many, many-to-one, two-way, same-Region, same-account,
 * cross-account with and without owner override, SSE-KMS same- and cross-account, Object Lock,
 * prefix and tag filters, roles with managed policies, every backfill mode), plus roles planned
 * with the opt-in trust conditions. Each graph is registered once, under the mock runtime, and
 * read back from what was recorded.
 */
import { AccountProviders, BatchReplicationJob, BucketReplication, ReplicationFleet, ReplicationRole } from "../../components";
import { BatchJobMode, defaultReportBucketName, formatRouteName, recordsFromObjects, validateFleet } from "../../components/model";
import { OFFLINE_INVOKES } from "../../cli/plan-command";
import { World, worldFromResources } from "./iam-world";
import { runProgram, runStackUnderMocks } from "./mock-runtime";

export const A = "111111111111";
export const B = "222222222222";
export const C = "333333333333";
const key = (region: string, account: string, id: string) => `arn:aws:kms:${region}:${account}:key/${id}-0000-4000-8000-000000000000`;
export const KEYS = {
    eastA: key("us-east-1", A, "aaaaaaaa"),
    westB: key("us-west-2", B, "bbbbbbbb"),
    eastA2: key("us-east-1", A, "a2a2a2a2"),
    westA: key("us-west-2", A, "a3a3a3a3"),
};

type Row = Record<string, unknown>;
const route = (source: string, account: string, region: string, destination: string, destAccount: string, destRegion: string, extra: Row = {}): Row => ({
    source_bucket: source,
    source_account: account,
    source_region: region,
    destination_bucket: destination,
    destination_account: destAccount,
    destination_region: destRegion,
    ...extra,
});

/** Every shape, one fleet: see the comment of each row. */
export const SHAPES_ROWS: Row[] = [
    // One-to-many: same account and Region, a prefix filter, backfill of never-attempted objects.
    route("g-fan-src", A, "us-east-1", "g-fan-near", A, "us-east-1", { prefix: "logs/", existing_objects: "eligible", delete_marker_replication: true }),
    // ... and to another account and Region with a tag filter; replicas owned by the destination (override).
    route("g-fan-src", A, "us-east-1", "g-fan-far", B, "us-west-2", { tags: "team=data;tier=gold" }),
    // Many-to-one (log aggregation), cross-account into one bucket: one with override, one without.
    route("g-app-a", A, "us-east-1", "g-central", C, "us-east-1", { existing_objects: "failed" }),
    route("g-app-b", B, "eu-west-1", "g-central", C, "us-east-1", { replica_ownership: "source", existing_objects: "unreplicated" }),
    // Two-way, cross-account, SSE-KMS both ways (each side's key encrypts the other's replicas).
    route("g-east", A, "us-east-1", "g-west", B, "us-west-2", {
        bidirectional: true,
        source_kms_key: KEYS.eastA,
        replica_kms_key: KEYS.westB,
        existing_objects: "all",
    }),
    // SSE-KMS within one account, cross-Region.
    route("g-kms-src", A, "us-east-1", "g-kms-dst", A, "us-west-2", {
        source_kms_key: KEYS.eastA2,
        replica_kms_key: KEYS.westA,
        existing_objects: "new-destination",
    }),
    // Object Lock on both ends (created buckets: Object Lock is set at creation).
    route("g-lock-src", A, "us-east-1", "g-lock-dst", A, "us-east-2", { create_source: true, create_destination: true }),
];
export const SHAPES_OPTIONS = {
    buckets: { "g-lock-src": { objectLock: true }, "g-lock-dst": { objectLock: true } },
};

/** Small IAM quotas force managed policies (and RolePolicyAttachments). */
export const MANAGED_ROWS: Row[] = [
    route("g-m-one", A, "us-east-1", "g-m-dst-one", B, "us-west-2", { source_kms_key: KEYS.eastA, replica_kms_key: KEYS.westB }),
    route("g-m-two", A, "us-east-1", "g-m-dst-two", B, "us-west-2", { prefix: "p/", existing_objects: "eligible" }),
    route("g-m-three", A, "us-east-1", "g-m-dst-three", A, "us-east-1"),
];
export const MANAGED_OPTIONS = {
    // Small enough that even one source's permissions take several managed policies.
    iam: { quotas: { inlineCharsPerRole: 600, managedPolicyChars: 700 } },
};

/** Trust conditions are opt-in; ReplicationFleet does not take them yet, so roles are registered from the plan. */
export const TRUST_CONDITIONS = { sourceAccount: true, sourceArn: true } as const;

export async function fleetWorld(label: string, rows: Row[], options: Record<string, unknown> = {}): Promise<World> {
    const result = await runProgram(() => new ReplicationFleet("proof", { routes: rows, ...options }), { invokes: OFFLINE_INVOKES, allowError: true });
    if (result.error) throw result.error;
    return worldFromResources(label, result.resources);
}

/** Roles, configurations and backfill jobs of the SHAPES fleet, planned with `trustConditions` and registered through the components. */
export async function conditionedTrustWorld(): Promise<World> {
    const { plan, errors } = validateFleet(recordsFromObjects(SHAPES_ROWS, { path: "routes" }, []), { ...SHAPES_OPTIONS, trustConditions: TRUST_CONDITIONS });
    if (errors.length > 0 || !plan) throw new Error(errors.map(e => e.message).join("\n"));
    const result = await runProgram(() => {
        const providers = new AccountProviders("providers", { targets: plan.sources.map(s => ({ account: s.bucket.account, region: s.bucket.region })) });
        for (const role of plan.roles) new ReplicationRole(`${role.account}-${role.name}`, { plan: role }, { provider: providers.get(role.account) });
        for (const s of plan.sources) {
            new BucketReplication(
                s.bucket.name,
                {
                    sourceBucket: s.bucket.name,
                    sourceAccount: s.bucket.account,
                    sourceRegion: s.bucket.region,
                    roleArn: s.role.arn,
                    rules: s.config.rules ?? [],
                },
                { provider: providers.get(s.bucket.account) },
            );
            for (const r of s.routes.filter(x => x.existingObjects !== "none")) {
                new BatchReplicationJob(`backfill-${r.key.replace("->", "-to-")}`, {
                    accountId: s.bucket.account,
                    region: s.bucket.region,
                    sourceBucket: s.bucket.name,
                    roleArn: s.role.arn,
                    reportBucket: defaultReportBucketName(s.bucket.account, s.bucket.region),
                    mode: r.existingObjects as BatchJobMode,
                    routeName: formatRouteName(r.source, r.destination, r.ruleId),
                });
            }
        }
    });
    return worldFromResources("trust conditions (opt-in)", result.resources);
}

export interface ProofGraphs {
    dev: World;
    prod: World;
    shapes: World;
    managed: World;
    conditioned: World;
}

export async function proofGraphs(): Promise<ProofGraphs> {
    const stack = async (name: string) => {
        const result = await runStackUnderMocks(name);
        if (result.error) throw result.error;
        return worldFromResources(`stack ${name}`, result.resources);
    };
    return {
        dev: await stack("dev"),
        prod: await stack("prod"),
        shapes: await fleetWorld("generated: every shape", SHAPES_ROWS, SHAPES_OPTIONS),
        managed: await fleetWorld("generated: managed policies", MANAGED_ROWS, MANAGED_OPTIONS),
        conditioned: await conditionedTrustWorld(),
    };
}
