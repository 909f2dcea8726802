/**
 * The whole pack on whole programs, as `pulumi preview --policy-pack` runs it: every resource
 * policy on each resource's inputs, then every stack policy on the stack.
 *  - the example prod stack, as the mock runtime records it, passes with no diagnostic at all;
 *  - so does a hand-written program that is not ours, in preview (names, ARNs and ids unknown);
 *  - breaking one setting yields exactly the expected violations, and nothing else.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { replicationTrustPolicy } from "../components/model/iam";
import { packArgs } from "../policy-packs/replication-guard/policies";
import { Diagnostic, HarnessResource, PackConfig, StackBuilder, awsProvider, fromRecorded, messageOf, runPack, unknown } from "./support/policy-harness";
import { runStackUnderMocks } from "./support/mock-runtime";

/** A pack config that turns the route options on (cross-Region, allowed Regions). */
const EXAMPLE_CONFIG: PackConfig = {
    "s3-replication-route-requirements": { requireCrossRegion: true, allowedRegions: ["us-east-1", "us-west-2", "eu-west-1"] },
    "s3-bucket-encryption": { requireBucketKey: true },
};

const summary = (ds: Diagnostic[]) => ds.map(d => ({ policy: d.policyName, level: d.enforcementLevel, urn: d.urn }));

/** Replace a resource in both views (inputs and outputs) of a graph. */
function change(
    graph: { inputs: HarnessResource[]; outputs: HarnessResource[] },
    name: string,
    f: (props: Record<string, unknown>) => Record<string, unknown>,
) {
    const apply = (rs: HarnessResource[]) => {
        if (!rs.some(r => r.name === name)) throw new Error(`no resource ${name}`);
        return rs.map(r => (r.name === name ? { ...r, props: f(JSON.parse(JSON.stringify(r.props)) as Record<string, unknown>) } : r));
    };
    return { inputs: apply(graph.inputs), outputs: apply(graph.outputs) };
}

function remove(graph: { inputs: HarnessResource[]; outputs: HarnessResource[] }, name: string) {
    if (!graph.inputs.some(r => r.name === name)) throw new Error(`no resource ${name}`);
    return { inputs: graph.inputs.filter(r => r.name !== name), outputs: graph.outputs.filter(r => r.name !== name) };
}

const run = (g: { inputs: HarnessResource[]; outputs: HarnessResource[] }) => runPack(packArgs, g.inputs, g.outputs, { config: EXAMPLE_CONFIG });

describe("policy pack on the example prod stack (recorded by the mock runtime)", function () {
    this.timeout(20000);
    let prod: { inputs: HarnessResource[]; outputs: HarnessResource[] };
    const urnOf = (name: string) => prod.inputs.find(r => r.name === name)!.urn;

    before(async () => {
        const result = await runStackUnderMocks("prod");
        if (result.error) throw result.error;
        prod = fromRecorded(result.resources);
    });

    it("records a replicated fleet (so the checks below have something to check)", () => {
        const types = prod.inputs.map(r => r.type);
        expect(types.filter(t => t === "aws:s3/bucketReplicationConfig:BucketReplicationConfig")).to.have.length(3);
        expect(types.filter(t => t === "aws:iam/role:Role")).to.have.length.greaterThan(0);
    });

    it("passes every policy with no diagnostic at all", async () => {
        expect(summary(await run(prod))).to.deep.equal([]);
    });

    it("with a source's encryption removed: exactly one violation, at that bucket", async () => {
        const d = await run(remove(prod, "acme-prod-orders-encryption"));
        expect(summary(d)).to.deep.equal([{ policy: "s3-replicated-buckets-hardened", level: "mandatory", urn: urnOf("acme-prod-orders-replication") }]);
        expect(messageOf(d[0])).to.equal(
            'bucket "acme-prod-orders" (replication source) has no default encryption (aws.s3.BucketServerSideEncryptionConfiguration).',
        );
    });

    it("with a destination's ownership set to ObjectWriter: exactly one violation, at its ownership controls", async () => {
        const d = await run(change(prod, "acme-dr-orders-ownership", p => ({ ...p, rule: { objectOwnership: "ObjectWriter" } })));
        expect(summary(d)).to.deep.equal([{ policy: "s3-bucket-owner-enforced", level: "mandatory", urn: urnOf("acme-dr-orders-ownership") }]);
    });

    it("with one public-access flag false: exactly one violation, naming the flag", async () => {
        const d = await run(change(prod, "acme-prod-customer-docs-public-access-block", p => ({ ...p, restrictPublicBuckets: false })));
        expect(summary(d)).to.deep.equal([{ policy: "s3-public-access-block", level: "mandatory", urn: urnOf("acme-prod-customer-docs-public-access-block") }]);
        expect(messageOf(d[0])).to.contain("restrictPublicBuckets is false");
    });

    it("with versioning Suspended: exactly one violation, at the versioning resource", async () => {
        const d = await run(change(prod, "acme-dr-analytics-versioning", p => ({ ...p, versioningConfiguration: { status: "Suspended" } })));
        expect(summary(d)).to.deep.equal([{ policy: "s3-versioning-enabled", level: "mandatory", urn: urnOf("acme-dr-analytics-versioning") }]);
    });
});

/**
 * A program written without this package: its own component type, auto-named buckets,
 * settings that point at `bucket.id`, a managed policy attached by ARN, one adopted source,
 * unrelated resources the pack must leave alone; all in preview, with unknown names and ARNs.
 */
function handWritten(): { inputs: HarnessResource[]; outputs: HarnessResource[]; b: StackBuilder } {
    const A = "333333333333";
    const B = "444444444444";
    const s = new StackBuilder();
    const use1 = awsProvider("use1", "us-east-1", A);
    const usw2 = awsProvider("usw2", "us-west-2", A);
    const euw1 = awsProvider("euw1", "eu-west-1", B);
    const srcKey = `arn:aws:kms:us-east-1:${A}:key/1111aaaa-1111-4111-8111-111111111111`;
    const euKey = `arn:aws:kms:eu-west-1:${B}:key/2222bbbb-2222-4222-8222-222222222222`;

    /** The program's own "secure bucket" component: name unknown in preview, settings via bucket.id. */
    const secure = (name: string, provider: ReturnType<typeof awsProvider>, key?: string, lock = false) => {
        const parent = s.add("acme:storage:SecureBucket", name, {});
        const bucket = s.add(
            aws.s3.Bucket,
            `${name}-bucket`,
            { bucket: unknown.string, bucketPrefix: `${name}-`, arn: unknown.string, ...(lock ? { objectLockEnabled: true } : {}) },
            { provider, parent },
        );
        const opts = { provider, parent, deps: { bucket: [bucket] } };
        s.add(aws.s3.BucketVersioning, `${name}-versioning`, { bucket: unknown.string, versioningConfiguration: { status: "Enabled" } }, opts);
        s.add(
            aws.s3.BucketServerSideEncryptionConfiguration,
            `${name}-sse`,
            {
                bucket: unknown.string,
                rules: [
                    key
                        ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key }, bucketKeyEnabled: true }
                        : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
                ],
            },
            opts,
        );
        s.add(
            aws.s3.BucketPublicAccessBlock,
            `${name}-pab`,
            { bucket: unknown.string, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            opts,
        );
        // Ownership registered from inside an apply: the dependency is lost, the parent still tells.
        s.add(
            aws.s3.BucketOwnershipControls,
            `${name}-ownership`,
            { bucket: unknown.string, rule: { objectOwnership: "BucketOwnerEnforced" } },
            { provider, parent },
        );
        // The policy document interpolates the bucket ARN: unknown as a whole in preview.
        s.add(aws.s3.BucketPolicy, `${name}-policy`, { bucket: unknown.string, policy: unknown.string }, opts);
        return bucket;
    };
    const orders = secure("orders", use1, srcKey, true);
    const ordersDr = secure("orders-dr", euw1, euKey, true);
    const logsDr = secure("logs-dr", usw2);

    // An adopted source: settings name it, no aws.s3.Bucket.
    for (const [n, type, props] of [
        ["legacy-versioning", aws.s3.BucketVersioning, { versioningConfiguration: { status: "Enabled" } }],
        ["legacy-sse", aws.s3.BucketServerSideEncryptionConfiguration, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }],
        ["legacy-pab", aws.s3.BucketPublicAccessBlock, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }],
        ["legacy-ownership", aws.s3.BucketOwnershipControls, { rule: { objectOwnership: "BucketOwnerEnforced" } }],
    ] as const)
        s.add(type, n, { bucket: "acme-legacy-logs", ...props }, { provider: use1 });
    s.add(
        aws.s3.BucketPolicy,
        "legacy-policy",
        {
            bucket: "acme-legacy-logs",
            policy: {
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Deny",
                        Principal: "*",
                        Action: "s3:*",
                        Resource: ["arn:aws:s3:::acme-legacy-logs", "arn:aws:s3:::acme-legacy-logs/*"],
                        Condition: { Bool: { "aws:SecureTransport": "false" } },
                    },
                ],
            },
        },
        { provider: use1 },
    );

    const role = s.add(
        aws.iam.Role,
        "replicator",
        { name: "replicator-7f3a", arn: unknown.string, assumeRolePolicy: JSON.stringify(replicationTrustPolicy(A)) },
        { provider: use1 },
    );
    const perms = s.add(
        aws.iam.Policy,
        "replicator-perms",
        {
            arn: unknown.string,
            policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: ["arn:aws:s3:::acme-legacy-logs"] },
                    {
                        Effect: "Allow",
                        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                        Resource: ["arn:aws:s3:::acme-legacy-logs/*"],
                    },
                ],
            }),
        },
        { provider: use1 },
    );
    s.add(
        aws.iam.RolePolicyAttachment,
        "replicator-perms",
        { role: "replicator-7f3a", policyArn: unknown.string },
        { provider: use1, deps: { role: [role], policyArn: [perms] } },
    );

    const rule = (id: string, priority: number, extra: Record<string, unknown>) => ({
        id,
        priority,
        status: "Enabled",
        filter: {},
        deleteMarkerReplication: { status: "Disabled" },
        ...extra,
    });
    s.add(
        aws.s3.BucketReplicationConfig,
        "orders-replication",
        {
            bucket: unknown.string,
            role: unknown.string,
            rules: [
                rule("orders-to-dr", 10, {
                    sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                    destination: {
                        bucket: unknown.string,
                        account: B,
                        accessControlTranslation: { owner: "Destination" },
                        encryptionConfiguration: { replicaKmsKeyId: euKey },
                    },
                }),
            ],
        },
        { provider: use1, parent: "urn:pulumi:dev::test::acme:storage:SecureBucket::orders", deps: { bucket: [orders], role: [role], rules: [ordersDr] } },
    );
    s.add(
        aws.s3.BucketReplicationConfig,
        "legacy-replication",
        {
            bucket: "acme-legacy-logs",
            role: unknown.string,
            rules: [
                rule("logs-to-west", 1, {
                    destination: {
                        bucket: unknown.string,
                        storageClass: "STANDARD_IA",
                        replicationTime: { status: "Enabled", time: { minutes: 15 } },
                        metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
                    },
                }),
            ],
        },
        { provider: use1, deps: { role: [role], rules: [logsDr] } },
    );

    // Not replication: left alone (a Lambda role with broad rights, a bare bucket).
    s.add(aws.iam.Role, "lambda", {
        name: "lambda",
        assumeRolePolicy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        inlinePolicies: [{ name: "all", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) }],
    });
    s.add(aws.s3.Bucket, "scratch", { bucket: "acme-scratch" }, { provider: use1 });
    return { inputs: s.resources, outputs: s.resources, b: s };
}

describe("policy pack on a hand-written program in preview (not this package's components)", () => {
    const g = handWritten();
    const urnOf = (name: string) => g.inputs.find(r => r.name === name)!.urn;

    it("passes every policy with no diagnostic (not even a can't-run-in-preview advisory)", async () => {
        expect(summary(await run(g))).to.deep.equal([]);
    });

    it("with encryption removed from the adopted source: exactly one violation", async () => {
        const d = await run(remove(g, "legacy-sse"));
        expect(summary(d)).to.deep.equal([{ policy: "s3-replicated-buckets-hardened", level: "mandatory", urn: urnOf("legacy-replication") }]);
        expect(messageOf(d[0])).to.contain('"acme-legacy-logs" (replication source)');
    });

    it("with encryption removed from a destination whose name is unknown: found through its dependencies", async () => {
        const d = await run(remove(g, "orders-dr-sse"));
        expect(summary(d)).to.deep.equal([{ policy: "s3-replicated-buckets-hardened", level: "mandatory", urn: urnOf("orders-dr-bucket") }]);
        expect(messageOf(d[0])).to.contain('(the aws.s3.Bucket "orders-dr-bucket", name not known yet) (replication destination)');
    });

    it("with ownership ObjectWriter, a public-access flag off, or versioning Suspended: exactly that violation", async () => {
        const cases: Array<[string, (p: Record<string, unknown>) => Record<string, unknown>, string]> = [
            ["logs-dr-ownership", p => ({ ...p, rule: { objectOwnership: "ObjectWriter" } }), "s3-bucket-owner-enforced"],
            ["orders-pab", p => ({ ...p, blockPublicPolicy: false }), "s3-public-access-block"],
            ["orders-dr-versioning", p => ({ ...p, versioningConfiguration: { status: "Suspended" } }), "s3-versioning-enabled"],
        ];
        for (const [name, f, policy] of cases) {
            expect(summary(await run(change(g, name, f))), name).to.deep.equal([{ policy, level: "mandatory", urn: urnOf(name) }]);
        }
    });

    it("with the destination's Object Lock off: the parity policy reports it", async () => {
        const d = await run(change(g, "orders-dr-bucket", p => ({ ...p, objectLockEnabled: false })));
        expect(summary(d)).to.deep.equal([{ policy: "s3-replication-object-lock-parity", level: "mandatory", urn: urnOf("orders-dr-bucket") }]);
    });

    it("with a destination outside the allowed Regions: the route policy reports it", async () => {
        const d = await runPack(packArgs, g.inputs, g.outputs, {
            config: { "s3-replication-route-requirements": { allowedRegions: ["eu-west-1", "us-east-1"] } },
        });
        expect(summary(d)).to.deep.equal([{ policy: "s3-replication-route-requirements", level: "mandatory", urn: urnOf("legacy-replication") }]);
        expect(messageOf(d[0])).to.contain("in us-west-2");
    });
});

describe("policy pack on every shard of a sharded fleet (recorded by the mock runtime)", function () {
    this.timeout(30000);

    it("passes each shard, though a source's bucket settings live in another shard's stack", async () => {
        const { ReplicationFleet } = await import("../components");
        const { runProgram } = await import("./support/mock-runtime");
        const { syntheticRoutes, sourceAccountId, DR_ACCOUNT } = await import("../bench/fleet-fixture");
        const routes = syntheticRoutes({ routes: 8, sourceAccounts: 2 });
        const [a0, a1] = [sourceAccountId(0), sourceAccountId(1)];
        // Sharded by source account, with each source account's buckets managed by the OTHER shard.
        const shards = [
            { sourceAccounts: [a0], bucketAccounts: [a1, DR_ACCOUNT] },
            { sourceAccounts: [a1], bucketAccounts: [a0] },
        ];
        for (const [index, shard] of shards.entries()) {
            const result = await runProgram(() => new ReplicationFleet("fleet", { routes, shard }));
            const marked = result.resources.filter(
                r => r.type === "pulumi-s3-replication:index:BucketReplication" && r.inputs.sourceSettingsElsewhere === true,
            );
            expect(marked.length, `shard ${index}: sources whose settings the other shard declares`).to.equal(4);
            const graph = fromRecorded(result.resources);
            // The pack's defaults (the example config's allowed Regions are the prod example's).
            expect(summary(await runPack(packArgs, graph.inputs, graph.outputs, {})), `shard ${index}`).to.deep.equal([]);
        }
    });
});
