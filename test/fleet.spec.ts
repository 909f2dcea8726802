import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { ReplicationFleet, ownedByShard, routeInShard } from "../components";
import { DEFAULT_IAM_QUOTAS, roleNameForSource, policyChars, recordsFromObjects, validateFleet } from "../components/model";
import { syntheticRoutes } from "../bench/fleet-fixture";
import { RecordedResource, T, byType, runProgram } from "./support/mock-runtime";
import { OFFLINE_INVOKES } from "../cli/plan-command";
import { InvokeHandler, providerWorld } from "../cli/provider-fixtures";

const A = "111111111111";
const B = "222222222222";
const C = "333333333333";
const LOGS = "444444444444";
/** Adopted buckets read their policy and replication configuration; these have none. */
const NO_POLICY = OFFLINE_INVOKES;

type Row = Record<string, unknown>;
/** A route whose destination is a new bucket (created); its source exists (adopted) unless `extra` says otherwise. */
const route = (source: string, account: string, region: string, destination: string, destAccount: string, destRegion: string, extra: Row = {}): Row => ({
    source_bucket: source,
    source_account: account,
    source_region: region,
    destination_bucket: destination,
    destination_account: destAccount,
    destination_region: destRegion,
    create_destination: true,
    ...extra,
});

async function fleetGraph(routes: Row[], extra: Record<string, unknown> = {}, invokes: Record<string, InvokeHandler> = NO_POLICY) {
    const result = await runProgram(() => new ReplicationFleet("fleet", { routes, ...extra }), { invokes, allowError: true });
    if (result.error) throw result.error;
    return result.resources;
}

const policyDoc = (resources: RecordedResource[], bucket: string) =>
    JSON.parse(String(resources.find(r => r.type === T.policy && r.inputs.bucket === bucket)!.inputs.policy));
const rulesOf = (resources: RecordedResource[], bucket: string) =>
    resources.find(r => r.type === T.replication && r.inputs.bucket === bucket)!.inputs.rules as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** The role a fleet gives a source: the account's role slot the source's name hashes to. */
const roleArn = (account: string, source: string) => `arn:aws:iam::${account}:role/s3-replication/${roleNameForSource(account, source)}`;
const accountRoot = (account: string) => `arn:aws:iam::${account}:root`;
const rolePath = (account: string) => `arn:aws:iam::${account}:role/s3-replication/*`;
const GRANT_SID = "ReplicationFromSourceAccounts";

/** Fails if the dependency graph (dependsOn + input dependencies) has a cycle. */
function assertAcyclic(resources: RecordedResource[]): void {
    const deps = new Map(resources.map(r => [r.urn, [...r.dependencies, ...Object.values(r.propertyDependencies).flat()]]));
    const state = new Map<string, 1 | 2>();
    const visit = (urn: string, path: string[]) => {
        if (state.get(urn) === 2) return;
        if (state.get(urn) === 1) throw new Error(`dependency cycle: ${[...path, urn].join(" -> ")}`);
        state.set(urn, 1);
        for (const d of deps.get(urn) ?? []) visit(d, [...path, urn]);
        state.set(urn, 2);
    };
    for (const r of resources) visit(r.urn, []);
}

describe("ReplicationFleet shapes", () => {
    it("many-to-one: one destination policy grants every source account's replication roles (log aggregation)", async () => {
        const resources = await fleetGraph([
            route("app-a-logs", A, "us-east-1", "central-logs", LOGS, "us-east-1"),
            route("app-b-logs", B, "eu-west-1", "central-logs", LOGS, "us-east-1"),
            route("app-c-logs", C, "us-east-1", "central-logs", LOGS, "us-east-1"),
        ]);
        expect(byType(resources, T.bucket).filter(b => b.inputs.bucket === "central-logs")).to.have.length(1);
        const doc = policyDoc(resources, "central-logs");
        const replicate = doc.Statement.find((s: { Sid: string }) => s.Sid === GRANT_SID);
        expect(replicate.Principal.AWS).to.deep.equal([accountRoot(A), accountRoot(B), accountRoot(C)]);
        expect(replicate.Condition).to.deep.equal({ ArnLike: { "aws:PrincipalArn": [rolePath(A), rolePath(B), rolePath(C)] } });
        expect(byType(resources, T.policy).filter(p => p.inputs.bucket === "central-logs")).to.have.length(1);
        expect(byType(resources, T.replication)).to.have.length(3);
    });

    it("two-way: each side's rule syncs replica modifications, KMS grants go both ways, and there is no dependency cycle", async () => {
        const keyA = `arn:aws:kms:us-east-1:${A}:key/aaaa`;
        const keyB = `arn:aws:kms:us-west-2:${B}:key/bbbb`;
        const resources = await fleetGraph([
            route("team-east", A, "us-east-1", "team-west", B, "us-west-2", { bidirectional: true, source_kms_key: keyA, replica_kms_key: keyB }),
        ]);
        for (const [bucket, dest, key] of [
            ["team-east", "team-west", keyB],
            ["team-west", "team-east", keyA],
        ]) {
            const rules = rulesOf(resources, bucket);
            expect(rules).to.have.length(1);
            expect(rules[0].destination.bucket).to.equal(`arn:aws:s3:::${dest}`);
            expect(rules[0].sourceSelectionCriteria).to.deep.equal({
                sseKmsEncryptedObjects: { status: "Enabled" },
                replicaModifications: { status: "Enabled" },
            });
            expect(rules[0].destination.encryptionConfiguration.replicaKmsKeyId).to.equal(key);
        }
        const grants = byType(resources, T.kmsGrant)
            .map(g => `${g.inputs.granteePrincipal} ${g.inputs.keyId} ${(g.inputs.operations as string[]).join(",")}`)
            .sort();
        expect(grants).to.deep.equal(
            [`${roleArn(A, "team-east")} ${keyB} Decrypt,Encrypt,GenerateDataKey`, `${roleArn(B, "team-west")} ${keyA} Decrypt,Encrypt,GenerateDataKey`].sort(),
        );
        assertAcyclic(resources);
    });

    it("same account, same Region: one provider, no ownership override, and no grant in the destination policy (the role's own policy suffices)", async () => {
        const resources = await fleetGraph([route("same-src", A, "us-east-2", "same-dst", A, "us-east-2")]);
        expect(byType(resources, T.provider)).to.have.length(1);
        const rule = rulesOf(resources, "same-src")[0];
        // Replication metrics are on for every rule; they need no RTC.
        expect(rule.destination).to.deep.equal({ bucket: "arn:aws:s3:::same-dst", metrics: { status: "Enabled" } });
        expect(policyDoc(resources, "same-dst").Statement.map((s: { Sid: string }) => s.Sid)).to.deep.equal(["DenyInsecureTransport"]);
    });

    it("cross-account with replica_ownership=source leaves replicas owned by the source and grants no override", async () => {
        const resources = await fleetGraph([route("keep-owner-src", A, "us-east-1", "keep-owner-dst", B, "us-west-2", { replica_ownership: "source" })]);
        expect(rulesOf(resources, "keep-owner-src")[0].destination.accessControlTranslation).to.equal(undefined);
        const sids = policyDoc(resources, "keep-owner-dst").Statement.map((s: { Sid: string }) => s.Sid);
        expect(sids).to.deep.equal(["DenyInsecureTransport", GRANT_SID]);
    });
});

describe("IAM at scale", () => {
    it("5,000 routes from one source account fit the default quotas, every document measured on its JSON", () => {
        const rows = syntheticRoutes({ routes: 5000, sourceAccounts: 1 });
        const result = validateFleet(recordsFromObjects(rows, { path: "routes" }, []), {});
        expect(result.errors).to.deep.equal([]);
        const roles = result.plan!.roles;
        expect(roles.length).to.be.greaterThan(1);
        expect(roles.length).to.be.at.most(DEFAULT_IAM_QUOTAS.rolesPerAccount);
        const covered = new Set<string>();
        for (const role of roles) {
            expect(policyChars(role.trustPolicy)).to.be.at.most(2048);
            if (role.inlinePolicy) expect(policyChars(role.inlinePolicy)).to.be.at.most(DEFAULT_IAM_QUOTAS.inlineCharsPerRole);
            expect(role.managedPolicies.length).to.be.at.most(DEFAULT_IAM_QUOTAS.managedPoliciesPerRole);
            for (const doc of role.managedPolicies) expect(JSON.stringify(doc).length).to.be.at.most(DEFAULT_IAM_QUOTAS.managedPolicyChars);
            const text = JSON.stringify([role.inlinePolicy, ...role.managedPolicies]);
            for (const s of role.sources) {
                expect(text).to.include(`"arn:aws:s3:::${s}"`);
                covered.add(s);
            }
        }
        expect(covered.size).to.equal(5000);
        // Every source's configuration names the role that holds its permissions.
        for (const s of result.plan!.sources) expect(s.role.sources).to.include(s.bucket.name);
    });

    it("tighter quotas need more role slots: a full slot is a diagnostic naming iam.roleSlots, never a spill into the next role", () => {
        const records = recordsFromObjects(syntheticRoutes({ routes: 200, sourceAccounts: 1 }), { path: "routes" }, []);
        const quotas = { managedPoliciesPerRole: 1, managedPolicyChars: 1500, inlineCharsPerRole: 1500 };
        const tight = validateFleet(records, { quotas });
        expect(tight.errors.map(e => e.code)).to.include("IAM_QUOTA_EXCEEDED");
        expect(tight.errors[0].message).to.match(/raise iam\.roleSlots \(now 16\)/);
        const spread = validateFleet(records, { quotas, roleSlots: 128 });
        expect(spread.errors).to.deep.equal([]);
        expect(spread.plan!.roles.length).to.be.greaterThan(16);
        for (const role of spread.plan!.roles) for (const d of role.managedPolicies) expect(JSON.stringify(d).length).to.be.at.most(1500);
        const impossible = validateFleet(records, { quotas: { managedPoliciesPerRole: 1, managedPolicyChars: 300, inlineCharsPerRole: 300 } });
        expect(impossible.errors.map(e => e.code)).to.include("IAM_QUOTA_EXCEEDED");
    });

    it("a new source never moves an existing one to another role, whatever its name sorts as (800 sources, then one more)", () => {
        const rows = syntheticRoutes({ routes: 800, sourceAccounts: 1 });
        const roleOf = (rs: Row[]) =>
            new Map(validateFleet(recordsFromObjects(rs, { path: "routes" }, []), {}).plan!.sources.map(x => [x.bucket.name, x.role.name]));
        const before = roleOf(rows);
        // A name that sorts first: with packing in name order, it pushed every other source along.
        const after = roleOf([{ ...rows[0], source_bucket: "aaa-first-source", destination_bucket: "aaa-first-replica" }, ...rows]);
        for (const [source, role] of before) expect(after.get(source), source).to.equal(role);
        expect(after.size).to.equal(before.size + 1);
    });
});

describe("sharding", () => {
    const records = recordsFromObjects(syntheticRoutes({ routes: 300, sourceAccounts: 6, destinationsPerSource: 2 }), { path: "routes" }, []);
    const plan = validateFleet(records, {}).plan!;

    it("index/count partitions routes, sources, buckets and roles exactly; each shard plans its own roles", () => {
        const count = 4;
        // Each shard's stack plans the whole fleet with its own selector, as the stacks program does.
        const parts = Array.from({ length: count }, (_, index) => ownedByShard(validateFleet(records, { shard: { index, count } }).plan!, { index, count }));
        const all = (pick: (p: ReturnType<typeof ownedByShard>) => string[]) => parts.flatMap(pick);
        const routes = all(p => p.routes.map(r => r.key));
        expect(routes.length).to.equal(plan.spec.routes.length);
        expect(new Set(routes).size).to.equal(plan.spec.routes.length);
        const buckets = all(p => p.buckets.map(b => b.bucket.name));
        expect(buckets.sort()).to.deep.equal(plan.buckets.map(b => b.bucket.name).sort());
        const sources = all(p => p.sources.map(s => s.bucket.name));
        expect(sources.sort()).to.deep.equal(plan.sources.map(s => s.bucket.name).sort());
        // Roles carry their shard's tag: no two stacks declare one role, and every source's role is in its own stack.
        const roles = all(p => p.roles.map(r => r.arn));
        expect(new Set(roles).size).to.equal(roles.length);
        parts.forEach((p, index) => {
            for (const r of p.roles) expect(r.name, r.name).to.include(`-s${index}-`);
            for (const s of p.sources) expect(p.roles.map(r => r.arn)).to.include(s.role.arn);
        });
        // A source's routes never straddle shards (its configuration is one resource).
        for (const p of parts) for (const s of p.sources) for (const r of s.routes) expect(p.routes).to.include(r);
        expect(parts.every(p => p.routes.length > 0)).to.equal(true);
    });

    it("account and Region selectors partition the routes too", () => {
        const accounts = [...new Set(plan.spec.routes.map(r => r.sourceAccount))];
        const byAccount = accounts.map(a => plan.spec.routes.filter(r => routeInShard(r, { sourceAccounts: [a] })).length);
        expect(byAccount.reduce((x, y) => x + y, 0)).to.equal(plan.spec.routes.length);
        const east = plan.spec.routes.filter(r => routeInShard(r, { sourceRegions: ["us-east-1"] })).length;
        const west = plan.spec.routes.filter(r => routeInShard(r, { sourceRegions: ["eu-west-1"] })).length;
        expect(east + west).to.equal(plan.spec.routes.length);
        expect(east).to.be.greaterThan(0);
    });

    it("a shard registers only its part, with complete destination policies", async () => {
        const rows = [
            route("shard-src-one", A, "us-east-1", "shared-dst", B, "us-west-2"),
            route("shard-src-two", C, "us-east-1", "shared-dst", B, "us-west-2"),
        ];
        // The destination-only account B is managed by exactly one shard (bucketAccounts).
        const first = await fleetGraph(rows, { shard: { sourceAccounts: [A], bucketAccounts: [A, B] } });
        const second = await fleetGraph(rows, { shard: { sourceAccounts: [C] } });
        const configs = (rs: RecordedResource[]) => byType(rs, T.replication).map(r => r.inputs.bucket);
        expect(configs(first)).to.deep.equal(["shard-src-one"]);
        expect(configs(second)).to.deep.equal(["shard-src-two"]);
        const owners = [first, second].filter(rs => rs.some(r => r.type === T.policy && r.inputs.bucket === "shared-dst"));
        expect(owners).to.have.length(1);
        const doc = policyDoc(owners[0], "shared-dst");
        expect(doc.Statement.find((s: { Sid: string }) => s.Sid === GRANT_SID).Principal.AWS).to.deep.equal([accountRoot(A), accountRoot(C)]);
    });
});

describe("data safety", () => {
    const rows = [
        route("safe-src-1", A, "us-east-1", "safe-dst-1", B, "us-west-2"),
        route("safe-src-1", A, "us-east-1", "safe-dst-2", B, "us-west-2", { prefix: "b/" }),
        route("safe-src-2", A, "us-east-1", "safe-dst-3", B, "us-west-2", { create_source: true }),
        route("safe-src-3", C, "eu-west-1", "safe-dst-1", B, "us-west-2"),
    ];
    const names = (rs: RecordedResource[]) => rs.map(r => r.urn).sort();

    it("reordering rows changes no logical name and no input", async () => {
        const before = await fleetGraph(rows);
        const after = await fleetGraph([rows[3], rows[1], rows[2], rows[0]]);
        expect(names(after)).to.deep.equal(names(before));
        const inputsOf = (rs: RecordedResource[]) => Object.fromEntries(rs.filter(r => r.custom).map(r => [r.urn, r.inputs]));
        expect(inputsOf(after)).to.deep.equal(inputsOf(before));
    });

    it("removing a row renames nothing else; buckets and their settings are retained, never force-destroyed", async () => {
        const before = await fleetGraph(rows);
        const after = await fleetGraph(rows.filter((_, i) => i !== 1));
        const gone = names(before).filter(u => !names(after).includes(u));
        expect(names(after).filter(u => !names(before).includes(u))).to.deep.equal([]);
        // Only the removed destination's bucket leaves the program; it stays in AWS (retainOnDelete).
        expect(gone.every(u => u.includes("safe-dst-2"))).to.equal(true);
        const bucketChildren = before.filter(x => x.urn.includes("safe-dst-2") && x.custom && x.urn.includes("HardenedBucket$"));
        expect(bucketChildren.length).to.be.greaterThan(3);
        for (const r of bucketChildren) expect(r.retainOnDelete, r.urn).to.equal(true);
        // The removed route's alarm goes with it (it watches nothing once the rule is gone).
        expect(gone.some(u => u.includes("MetricAlarm::alarm-failed-") && u.includes("safe-dst-2"))).to.equal(true);
        for (const b of byType(before, T.bucket)) {
            expect(b.retainOnDelete).to.equal(true);
            expect(b.inputs.forceDestroy).to.equal(false);
        }
        for (const t of [T.versioning, T.pab, T.ownership, T.encryption, T.policy])
            for (const r of byType(before, t)) expect(r.retainOnDelete, r.urn).to.equal(true);
    });

    it("adopted buckets register no bucket, keep their existing policy statements, and refuse an unreadable one", async () => {
        const foreign = {
            Sid: "PartnerRead",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::555555555555:root" },
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::safe-src-1/*",
        };
        // The provider answers with the bucket's policy, or "couldn't find resource" when it has none.
        const invokes = providerWorld({
            "safe-src-1": {
                region: "us-east-1",
                policy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [foreign, { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "old" }],
                }),
            },
            "safe-src-3": { region: "eu-west-1" },
        });
        const resources = await fleetGraph(rows, {}, invokes);
        const created = byType(resources, T.bucket).map(b => b.inputs.bucket);
        expect(created).to.include("safe-src-2");
        for (const adopted of ["safe-src-1", "safe-src-3"]) {
            expect(created).not.to.include(adopted);
            expect(resources.some(r => r.type === T.versioning && r.inputs.bucket === adopted)).to.equal(true);
        }
        const doc = policyDoc(resources, "safe-src-1");
        expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).to.deep.equal(["DenyInsecureTransport", "PartnerRead"]);
        expect(doc.Statement[1]).to.deep.equal(foreign);

        const broken = await runProgram(() => new ReplicationFleet("fleet", { routes: rows }), {
            invokes: providerWorld({ "safe-src-1": { region: "us-east-1", policy: "{not json" }, "safe-src-3": { region: "eu-west-1" } }),
            allowError: true,
        });
        expect(broken.error?.message).to.match(/refusing to replace it/);
        expect(broken.resources.some(r => r.type === T.policy && r.inputs.bucket === "safe-src-1")).to.equal(false);
    });
});

describe("backfill jobs in the fleet", () => {
    it("one job per route that asks, after the replication configuration, with the mode's inputs", async () => {
        const resources = await fleetGraph(
            [
                route("bf-src", A, "us-east-1", "bf-dst-1", B, "us-west-2", { existing_objects: "eligible", prefix: "data/" }),
                route("bf-src", A, "us-east-1", "bf-dst-2", B, "us-west-2", { existing_objects: "none" }),
                route("bf-src-2", A, "us-east-1", "bf-dst-3", B, "us-west-2", { existing_objects: "new-destination" }),
                route("bf-src-3", A, "eu-west-1", "bf-dst-4", B, "eu-west-2", { existing_objects: "failed" }),
            ],
            { accounts: { a: { id: A, roleArn: `arn:aws:iam::${A}:role/deployer` } }, backfill: { trigger: "2026-11" } },
        );
        const jobs = resources.filter(r => r.type === "pulumi-nodejs:dynamic/s3-replication:BatchReplicationJob");
        expect(jobs.map(j => `${j.inputs.sourceBucket} ${j.inputs.mode}`).sort()).to.deep.equal([
            "bf-src eligible",
            "bf-src-2 new-destination",
            "bf-src-3 failed",
        ]);
        for (const job of jobs) {
            const src = String(job.inputs.sourceBucket);
            const region = src === "bf-src-3" ? "eu-west-1" : "us-east-1";
            expect(job.inputs).to.include({
                accountId: A,
                region,
                roleArn: roleArn(A, src),
                reportBucket: `s3-replication-reports-${A}-${region}`,
                trigger: "2026-11",
                assumeRoleArn: `arn:aws:iam::${A}:role/deployer`,
            });
            const config = resources.find(r => r.type === T.replication && r.inputs.bucket === src)!;
            expect(job.dependencies, `${src} waits for its configuration`).to.include(config.urn);
            const report = resources.find(r => r.type === T.versioning && r.inputs.bucket === job.inputs.reportBucket)!;
            expect(job.dependencies).to.include(report.urn);
        }
        expect(jobs.find(j => j.inputs.sourceBucket === "bf-src")!.inputs.keyPrefix).to.equal("data/");
        // The role may run Batch Operations and write reports.
        const rolePolicy = JSON.stringify(byType(resources, T.rolePolicy).map(p => JSON.parse(String(p.inputs.policy))));
        expect(rolePolicy)
            .to.include("s3:InitiateReplication")
            .and.include("s3:PutInventoryConfiguration")
            .and.include(`arn:aws:s3:::s3-replication-reports-${A}-us-east-1/*`);
    });

    it("registers no job (and no report bucket) when no route asks, or when backfill is disabled", async () => {
        const rows = [route("nobf-src", A, "us-east-1", "nobf-dst", B, "us-west-2", { existing_objects: "all" })];
        const off = await fleetGraph(rows, { backfill: { enabled: false } });
        expect(off.some(r => r.type.includes("BatchReplicationJob"))).to.equal(false);
        const none = await fleetGraph([route("nobf-src", A, "us-east-1", "nobf-dst", B, "us-west-2")]);
        expect(none.some(r => r.type === T.bucket && String(r.inputs.bucket).startsWith("s3-replication-reports"))).to.equal(false);
        void pulumi;
    });
});

describe("adopted sources that already replicate", () => {
    const rows = [route("busy-src", A, "us-east-1", "busy-dst", B, "us-west-2")];
    const existing = (role: string) => providerWorld({ "busy-src": { region: "us-east-1", replication: { role, rules: [{ id: "legacy-to-archive" }] } } });

    it("refuses to replace a configuration someone else wrote, naming its role and rules", async () => {
        const result = await runProgram(() => new ReplicationFleet("fleet", { routes: rows }), {
            invokes: existing("arn:aws:iam::111111111111:role/boto3-replication"),
            allowError: true,
        });
        expect(result.error?.message).to.match(
            /busy-src already replicates under role arn:aws:iam::111111111111:role\/boto3-replication \(rules: legacy-to-archive\); refusing/,
        );
        expect(result.resources.some(r => r.type === T.replication)).to.equal(false);
    });

    it("updates a configuration this package wrote, and replaces a foreign one when told to", async () => {
        const ours = await fleetGraph(rows, {}, existing(roleArn(A, "busy-src")));
        expect(byType(ours, T.replication)).to.have.length(1);
        const told = await fleetGraph(
            rows,
            { buckets: { "busy-src": { replaceExistingReplication: true } } },
            existing("arn:aws:iam::111111111111:role/boto3-replication"),
        );
        expect(byType(told, T.replication)[0].inputs.role).to.equal(roleArn(A, "busy-src"));
    });
});

describe("adopted buckets as the provider answers for them", () => {
    const rows = [route("adopt-src", A, "us-east-1", "adopt-dst", B, "us-west-2")];
    const run = (world: Parameters<typeof providerWorld>[0]) =>
        runProgram(() => new ReplicationFleet("fleet", { routes: rows }), { invokes: providerWorld(world), allowError: true });

    it('a bucket with no policy and no replication configuration ("couldn\'t find resource") is adopted with a fresh policy', async () => {
        const result = await run({ "adopt-src": { region: "us-east-1" } });
        expect(result.error, result.error?.message).to.equal(undefined);
        const doc = policyDoc(result.resources, "adopt-src");
        expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).to.deep.equal(["DenyInsecureTransport"]);
        expect(byType(result.resources, T.replication)[0].inputs.role).to.equal(roleArn(A, "adopt-src"));
        // Existence is established once, before the policy and replication reads.
        const tokens = result.invokes.map(i => i.token);
        expect(tokens.filter(t => t === "aws:s3/getBucket:getBucket")).to.have.length(1);
        expect(tokens.indexOf("aws:s3/getBucket:getBucket")).to.be.lessThan(tokens.indexOf("aws:s3/getBucketPolicy:getBucketPolicy"));
    });

    it('a bucket that does not exist stops the program, naming it, instead of reading as "no policy"', async () => {
        const result = await run({});
        expect(result.error?.message).to.match(/adopted bucket adopt-src could not be read in account 111111111111 .*couldn't find resource/);
        expect(result.resources.some(r => r.type === T.policy && r.inputs.bucket === "adopt-src")).to.equal(false);
        expect(result.resources.some(r => r.type === T.replication)).to.equal(false);
    });

    it("a policy that cannot be read (AccessDenied) stops the program; so does a bucket in another Region", async () => {
        const denied = await run({ "adopt-src": { region: "us-east-1", denied: ["policy"] } });
        expect(denied.error?.message).to.match(/could not read the existing policy of adopted bucket adopt-src .*AccessDenied.*refusing to replace it/);
        expect(denied.resources.some(r => r.type === T.policy && r.inputs.bucket === "adopt-src")).to.equal(false);
        const elsewhere = await run({ "adopt-src": { region: "eu-west-1" } });
        expect(elsewhere.error?.message).to.match(/adopt-src is in eu-west-1, not us-east-1/);
    });

    it("refuses to adopt a bucket whose policy grants public access, instead of cutting it off half way", async () => {
        const publicRead = { Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::adopt-src/*" };
        const result = await run({ "adopt-src": { region: "us-east-1", policy: JSON.stringify({ Version: "2012-10-17", Statement: [publicRead] }) } });
        expect(result.error?.message).to.match(/existing policy of adopt-src grants public access .*PublicRead.*Remove the public statement/);
        expect(result.resources.some(r => r.type === T.policy && r.inputs.bucket === "adopt-src")).to.equal(false);
    });

    it("recognises a configuration written by any replication role of this package in the account (by its path)", async () => {
        const result = await run({
            "adopt-src": {
                region: "us-east-1",
                replication: { role: `arn:aws:iam::${A}:role/s3-replication/s3-replication-${A}-2`, rules: [{ id: "to-adopt-dst" }] },
            },
        });
        expect(result.error, result.error?.message).to.equal(undefined);
        const foreignAccount = await run({
            "adopt-src": { region: "us-east-1", replication: { role: `arn:aws:iam::${B}:role/s3-replication/s3-replication-${B}`, rules: [] } },
        });
        expect(foreignAccount.error?.message).to.match(/already replicates under role/);
    });
});
