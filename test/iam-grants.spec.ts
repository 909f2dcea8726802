/**
 * Issues 10 (item 3) and 11 at the model and policy-pack level: destination grants that name the
 * source account and this package's role path; the pack's check that a cross-account destination
 * lets the configuration's role replicate (passes the example stacks and both grant shapes, fails a
 * genuinely missing grant); opt-in trust conditions; one key prefix per Batch Replication job.
 */
import { expect } from "chai";
import {
    BATCH_JOB_LIMITS,
    DEFAULT_IAM_QUOTAS,
    REPLICATION_GRANT_SID,
    SourceGrant,
    batchJobSpecProblems,
    bucketPolicyAllows,
    checkNoPublicAllow,
    hardenedBucketPolicy,
    manifestFilterFor,
    mergeAdoptedPolicy,
    parseStackSettings,
    fleetOptionsFrom,
    planRoles,
    policyChars,
    replicationTrustPolicy,
} from "../components/model";
import { crossAccountGrantPolicy, packArgs } from "../policy-packs/replication-guard/policies";
import { HarnessResource, fromRecorded, messageOf, runPack } from "./support/policy-harness";
import { runStackUnderMocks } from "./support/mock-runtime";

const A = "111111111111";
const B = "222222222222";
const ROLE = `arn:aws:iam::${A}:role/s3-replication/s3-replication-${A}`;

describe("destination grants name the source account and the role path", () => {
    const doc = hardenedBucketPolicy("dst", "us-west-2", [
        { sourceAccount: A, ownerOverride: true },
        { sourceAccount: B, ownerOverride: false },
    ]);
    const ask = (principalArn: string, action: string, resource = "arn:aws:s3:::dst/a/b.bin") => bucketPolicyAllows(doc, { principalArn, action, resource });

    it("lets any role of the package's path in a source account replicate objects, and nothing else", () => {
        for (const action of ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"])
            expect(ask(ROLE, action), action).to.equal("pass");
        expect(ask(`arn:aws:iam::${A}:role/s3-replication/s3-replication-${A}-2`, "s3:ReplicateObject")).to.equal("pass");
        // No bucket-level grant: replication needs none (see components/model/bucket-policy.ts).
        for (const action of ["s3:ListBucket", "s3:GetBucketVersioning", "s3:PutBucketVersioning"])
            expect(ask(ROLE, action, "arn:aws:s3:::dst"), action).to.equal("fail");
        expect(ask(ROLE, "s3:GetObject")).to.equal("fail");
        // Owner override only for the account that asked for it.
        expect(ask(`arn:aws:iam::${B}:role/s3-replication/s3-replication-${B}`, "s3:ObjectOwnerOverrideToBucketOwner")).to.equal("fail");
        expect(ask(`arn:aws:iam::${B}:role/s3-replication/s3-replication-${B}`, "s3:ReplicateObject")).to.equal("pass");
    });

    it("refuses roles outside the path and other accounts; a Deny that applies wins", () => {
        expect(ask(`arn:aws:iam::${A}:role/app/reader`, "s3:ReplicateObject")).to.equal("fail");
        expect(ask(`arn:aws:iam::333333333333:role/s3-replication/s3-replication-333333333333`, "s3:ReplicateObject")).to.equal("fail");
        // The TLS deny turned into one that matches (TLS requests): the grant no longer helps.
        const denying = {
            ...doc,
            Statement: doc.Statement.map(s => (s.Effect === "Deny" ? { ...s, Condition: { Bool: { "aws:SecureTransport": "true" } } } : s)),
        };
        expect(bucketPolicyAllows(denying, { principalArn: ROLE, action: "s3:ReplicateObject", resource: "arn:aws:s3:::dst/x" })).to.equal("fail");
    });

    it('is not public: a fixed account principal (AWS\'s "meaning of public")', () => {
        expect(checkNoPublicAllow(JSON.stringify(doc)).verdict).to.equal("pass");
        const grants = doc.Statement.filter(s => s.Effect === "Allow");
        expect(grants.every(s => typeof s.Principal === "object" && JSON.stringify(s.Principal).includes(":root"))).to.equal(true);
    });

    it("grows by one account, not by one role or route, and replaces the grants this package wrote before", () => {
        const many = hardenedBucketPolicy(
            "dst",
            "us-east-1",
            Array.from({ length: 50 }, () => ({ sourceAccount: A, ownerOverride: false })),
        );
        expect(many.Statement.find(s => s.Sid === REPLICATION_GRANT_SID)!.Principal).to.deep.equal({ AWS: [`arn:aws:iam::${A}:root`] });
        const gov = hardenedBucketPolicy("dst", "us-gov-west-1", [{ sourceAccount: A, ownerOverride: false }]);
        expect(JSON.stringify(gov)).to.contain(`arn:aws-us-gov:iam::${A}:role/s3-replication/*`);
        // An adopted bucket's policy written by the previous version (role ARNs) loses those grants on update.
        const legacy = JSON.stringify({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "ReplicationRolesReadBucket",
                    Effect: "Allow",
                    Principal: { AWS: [ROLE] },
                    Action: ["s3:GetBucketVersioning", "s3:ListBucket"],
                    Resource: "arn:aws:s3:::dst",
                },
                {
                    Sid: "ReplicationRolesReplicate",
                    Effect: "Allow",
                    Principal: { AWS: [ROLE] },
                    Action: ["s3:ReplicateObject"],
                    Resource: "arn:aws:s3:::dst/*",
                },
                { Sid: "Audit", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: "s3:GetObject", Resource: "arn:aws:s3:::dst/*" },
            ],
        });
        expect(mergeAdoptedPolicy(legacy, doc).Statement.map(s => s.Sid)).to.deep.equal([
            "DenyInsecureTransport",
            REPLICATION_GRANT_SID,
            "ReplicaOwnerOverrideFromSourceAccounts",
            "Audit",
        ]);
    });

    it("cannot tell (never fails) while the policy or a condition it cannot evaluate is unknown", () => {
        expect(
            bucketPolicyAllows(
                {
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { AWS: A },
                            Action: "s3:ReplicateObject",
                            Resource: "*",
                            Condition: { StringEquals: { "aws:PrincipalOrgID": "o-1" } },
                        },
                    ],
                },
                { principalArn: ROLE, action: "s3:ReplicateObject", resource: "arn:aws:s3:::d/x" },
            ),
        ).to.equal("unknown");
        expect(
            bucketPolicyAllows(
                { Statement: [{ Effect: "Allow", Principal: { AWS: ROLE }, Action: "s3:Replicate*", Resource: "arn:aws:s3:::d/*" }] },
                { principalArn: ROLE, action: "s3:ReplicateObject", resource: "arn:aws:s3:::d/x" },
            ),
        ).to.equal("pass");
    });
});

describe("policy s3-replication-cross-account-grants", function () {
    this.timeout(30_000);
    let prod: { inputs: HarnessResource[]; outputs: HarnessResource[] };
    /** The role acme-prod-orders replicates with, as registered (whatever the role layout). */
    let ordersRole: string;
    const policyName = "acme-dr-orders-policy";
    const run = (g: { inputs: HarnessResource[]; outputs: HarnessResource[] }) =>
        runPack({ policies: [crossAccountGrantPolicy], enforcementLevel: "mandatory" }, g.inputs, g.outputs);
    const withPolicy = (doc: unknown) => {
        const apply = (rs: HarnessResource[]) => rs.map(r => (r.name === policyName ? { ...r, props: { ...r.props, policy: JSON.stringify(doc) } } : r));
        return { inputs: apply(prod.inputs), outputs: apply(prod.outputs) };
    };
    const current = () => JSON.parse(String(prod.inputs.find(r => r.name === policyName)!.props.policy)) as { Statement: Array<Record<string, unknown>> };

    before(async () => {
        const result = await runStackUnderMocks("prod");
        if (result.error) throw result.error;
        prod = fromRecorded(result.resources);
        ordersRole = String(
            result.resources.find(r => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig" && r.inputs.bucket === "acme-prod-orders")!.inputs
                .role,
        );
        expect(ordersRole).to.match(new RegExp(`^arn:aws:iam::${A}:role/s3-replication/`));
    });

    it("is part of the pack and passes both example stacks", async () => {
        expect(packArgs.policies.map(p => p.name)).to.include("s3-replication-cross-account-grants");
        expect(await run(prod)).to.deep.equal([]);
        const dev = await runStackUnderMocks("dev");
        expect(await run(fromRecorded(dev.resources))).to.deep.equal([]);
    });

    it("fails a destination policy without the grant, at that policy, naming the role and the missing actions", async () => {
        const d = await run(withPolicy({ Version: "2012-10-17", Statement: current().Statement.filter(s => s.Effect !== "Allow") }));
        expect(d).to.have.length(1);
        expect(d[0].urn).to.match(/BucketPolicy::acme-dr-orders-policy$/);
        expect(messageOf(d[0])).to.contain(ordersRole).and.contain("s3:ReplicateObject").and.contain("acme-dr-orders");
    });

    it("fails a grant whose aws:PrincipalArn pattern the role does not match, and a missing owner override", async () => {
        const otherPath = current().Statement.map(s =>
            s.Effect === "Allow" ? { ...s, Condition: { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${A}:role/other/*` } } } : s,
        );
        expect(await run(withPolicy({ Version: "2012-10-17", Statement: otherPath }))).to.have.length(1);
        const noOverride = current().Statement.filter(s => s.Sid !== "ReplicaOwnerOverrideFromSourceAccounts");
        const d = await run(withPolicy({ Version: "2012-10-17", Statement: noOverride }));
        expect(d).to.have.length(1);
        expect(messageOf(d[0])).to.contain("s3:ObjectOwnerOverrideToBucketOwner").and.not.contain("s3:ReplicateObject,");
    });

    it("passes the older shape too: the role's ARN as principal", async () => {
        const byRole = current().Statement.map(s => {
            if (s.Effect !== "Allow") return s;
            const { Condition: _c, ...rest } = s;
            return { ...rest, Principal: { AWS: ordersRole } };
        });
        expect(await run(withPolicy({ Version: "2012-10-17", Statement: byRole }))).to.deep.equal([]);
    });
});

describe("trust: as AWS documents it, conditions opt-in", () => {
    const grant = (bucket: string, backfill = false): SourceGrant => ({
        bucket,
        region: "us-east-1",
        objectLock: false,
        sourceKmsKeys: [],
        destinations: [{ bucket: `${bucket}-copy`, region: "us-west-2", ownerOverride: false }],
        ...(backfill ? { batchReportBucket: { bucket: `reports-${A}`, region: "us-east-1" } } : {}),
    });

    it("trusts Batch Operations only for a role that runs backfill jobs", () => {
        const [plain] = planRoles(A, "us-east-1", [grant("plain-src")]);
        expect(plain.trustPolicy.Statement.map(s => s.Principal)).to.deep.equal([{ Service: "s3.amazonaws.com" }]);
        const [backfill] = planRoles(A, "us-east-1", [grant("bf-src", true)]);
        expect(backfill.trustPolicy.Statement.map(s => s.Principal)).to.deep.equal([
            { Service: "s3.amazonaws.com" },
            { Service: "batchoperations.s3.amazonaws.com" },
        ]);
        expect(backfill.trustPolicy.Statement.every(s => s.Condition === undefined)).to.equal(true);
    });

    it("adds aws:SourceAccount and aws:SourceArn (the role's sources, the account's jobs) on request", () => {
        const [role] = planRoles(A, "us-east-1", [grant("b-src", true)], { trustConditions: { sourceAccount: true, sourceArn: true } });
        expect(role.trustPolicy.Statement.map(s => s.Condition)).to.deep.equal([
            { StringEquals: { "aws:SourceAccount": A }, ArnLike: { "aws:SourceArn": ["arn:aws:s3:::b-src"] } },
            { StringEquals: { "aws:SourceAccount": A }, ArnLike: { "aws:SourceArn": [`arn:aws:s3:us-east-1:${A}:job/*`] } },
        ]);
        // Several sources: each role's trust names exactly the sources it serves.
        for (const r of planRoles(
            A,
            "us-east-1",
            ["c-src", "d-src", "e-src"].map(b => grant(b)),
            { trustConditions: { sourceArn: true } },
        )) {
            expect(r.trustPolicy.Statement[0].Condition).to.deep.equal({ ArnLike: { "aws:SourceArn": [...r.sources].sort().map(b => `arn:aws:s3:::${b}`) } });
        }
        expect(replicationTrustPolicy(A, { conditions: { sourceAccount: true } }).Statement[0].Condition).to.deep.equal({
            StringEquals: { "aws:SourceAccount": A },
        });
    });

    it("packs sources so that a trust naming them stays inside the trust policy quota", () => {
        const grants = Array.from({ length: 120 }, (_, i) => grant(`conditioned-source-${String(i).padStart(3, "0")}`));
        const roles = planRoles(A, "us-east-1", grants, { trustConditions: { sourceArn: true } });
        for (const r of roles) expect(policyChars(r.trustPolicy)).to.be.at.most(DEFAULT_IAM_QUOTAS.trustPolicyChars);
        expect(roles.flatMap(r => r.sources).sort()).to.deep.equal(grants.map(g => g.bucket).sort());
        // 120 source ARNs alone are far over 2,048 characters: the quota, not luck, kept each trust small.
        expect(grants.map(g => `"arn:aws:s3:::${g.bucket}"`).join(",").length).to.be.greaterThan(DEFAULT_IAM_QUOTAS.trustPolicyChars);
        // Without the opt-in the trust does not grow: every role has the same small document.
        const plain = planRoles(A, "us-east-1", grants);
        expect(new Set(plain.map(r => JSON.stringify(r.trustPolicy))).size).to.equal(1);
    });

    it("takes iam.trustConditions from stack config, and refuses unknown keys in it", () => {
        const ok = parseStackSettings({ iam: JSON.stringify({ trustConditions: { sourceAccount: true } }) });
        expect(ok.diagnostics).to.deep.equal([]);
        expect(fleetOptionsFrom(ok.settings!).trustConditions).to.deep.equal({ sourceAccount: true });
        const bad = parseStackSettings({ iam: JSON.stringify({ trustConditions: { sourceAcount: true } }) });
        expect(bad.diagnostics.map(d => d.code)).to.deep.equal(["INVALID_CONFIG"]);
    });
});

describe("Batch Replication: one key prefix per job", () => {
    it("puts the prefix in KeyNameConstraint.MatchAnyPrefix as a list of one", () => {
        expect(manifestFilterFor("eligible", { keyPrefix: "logs/" })?.KeyNameConstraint).to.deep.equal({ MatchAnyPrefix: ["logs/"] });
        expect(manifestFilterFor("eligible", {})?.KeyNameConstraint).to.equal(undefined);
    });

    it("refuses a list, an empty prefix and one over 1,024 characters", () => {
        const base = {
            accountId: A,
            region: "us-east-1",
            sourceBucket: "src-bucket",
            roleArn: ROLE,
            reportBucket: "report-bucket",
            mode: "eligible",
            priority: 1,
            confirmationRequired: false,
            routeName: "a -> b",
        };
        expect(batchJobSpecProblems({ ...base, keyPrefix: "logs/" })).to.deep.equal([]);
        for (const keyPrefix of [["logs/", "data/"], "", "x".repeat(BATCH_JOB_LIMITS.maxKeyPrefixLength + 1)]) {
            expect(
                batchJobSpecProblems({ ...base, keyPrefix }).map(p => p.property),
                JSON.stringify(keyPrefix).slice(0, 20),
            ).to.deep.equal(["keyPrefix"]);
        }
    });
});
