/**
 * The pack as a whole: its files, each policy's metadata, config schemas that match the
 * defaults the code applies, the harness's engine rules, and robustness: no input the engine
 * can send (unknowns anywhere, odd shapes) makes a policy throw or give up in preview.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import fc from "fast-check";
import * as aws from "@pulumi/aws";
import { PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    PACK_NAME,
    encryptionPolicy,
    hardenedReplicatedBucketsPolicy,
    packArgs,
    resourcePolicies,
    routeRequirementsPolicy,
    stackPolicies,
} from "../policy-packs/replication-guard/policies";
import { TYPES } from "../policy-packs/replication-guard/policies/common";
import { ENCRYPTION_DEFAULTS } from "../policy-packs/replication-guard/policies/encryption";
import { HARDENED_DEFAULTS } from "../policy-packs/replication-guard/policies/hardened-buckets";
import { ROUTE_DEFAULTS } from "../policy-packs/replication-guard/policies/routes";
import { HarnessResource, StackBuilder, analyzeResource, analyzeStack, awsProvider, levelOf, unknown } from "./support/policy-harness";

const PACK_DIR = path.join(__dirname, "..", "policy-packs", "replication-guard");

describe("policy pack: files", () => {
    it("has PulumiPolicy.yaml with the nodejs runtime, and a versioned package.json whose main exists", () => {
        const yaml = fs.readFileSync(path.join(PACK_DIR, "PulumiPolicy.yaml"), "utf8");
        expect(yaml).to.match(/^runtime: nodejs$/m);
        const pkg = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8")) as {
            version?: string;
            main?: string;
            dependencies?: Record<string, string>;
        };
        expect(pkg.version).to.match(/^\d+\.\d+\.\d+$/);
        expect(fs.existsSync(path.join(PACK_DIR, pkg.main ?? "index.js"))).to.equal(true);
        expect(pkg.dependencies).to.deep.equal({ "@pulumi/policy": "1.21.0", "@pulumi/pulumi": "3.248.0" });
    });

    it("names each resource type by the token @pulumi/aws gives its class, and does not load @pulumi/aws", () => {
        const classes = [aws.s3, aws.iam].flatMap(m => Object.values(m)).filter(c => typeof c === "function");
        const tokens = new Set(classes.map(c => (c as { __pulumiType?: string }).__pulumiType).filter(Boolean));
        const all = Object.values(TYPES).flat();
        expect(all.length).to.be.greaterThan(15);
        expect(all.filter(t => !tokens.has(t))).to.deep.equal([]);
        for (const f of fs.readdirSync(path.join(PACK_DIR, "policies"))) {
            expect(fs.readFileSync(path.join(PACK_DIR, "policies", f), "utf8"), f).not.to.match(/from "@pulumi\/aws"/);
        }
    });

    it("starts the pack only from index.ts, under a valid pack name", () => {
        expect(PACK_NAME).to.match(/^[a-zA-Z0-9-_.]{1,100}$/);
        expect(fs.readFileSync(path.join(PACK_DIR, "index.ts"), "utf8")).to.contain("new PolicyPack(PACK_NAME, packArgs)");
        for (const f of fs.readdirSync(path.join(PACK_DIR, "policies"))) {
            expect(fs.readFileSync(path.join(PACK_DIR, "policies", f), "utf8"), f).not.to.contain("new PolicyPack");
        }
    });
});

describe("policy pack: policies", () => {
    const all = packArgs.policies as Array<ResourceValidationPolicy | StackValidationPolicy>;

    it("has uniquely named policies, each with a description, a severity, a level and remediation steps", () => {
        expect(new Set(all.map(p => p.name)).size).to.equal(all.length);
        expect(all).to.have.length(resourcePolicies.length + stackPolicies.length);
        for (const p of all) {
            expect(p.name, p.name)
                .to.match(/^[a-z0-9-]+$/)
                .and.not.equal("all");
            expect(p.description.length, p.name).to.be.greaterThan(40);
            expect(p.severity, p.name).to.be.oneOf(["low", "medium", "high", "critical"]);
            expect(p.enforcementLevel, p.name).to.be.oneOf(["advisory", "mandatory"]);
            expect(p.remediationSteps, p.name).to.be.a("string");
        }
    });

    it("makes encryption, ownership, public access, versioning and TLS mandatory", () => {
        const levels = Object.fromEntries(all.map(p => [p.name, p.enforcementLevel]));
        for (const name of [
            "s3-bucket-encryption",
            "s3-bucket-owner-enforced",
            "s3-public-access-block",
            "s3-versioning-enabled",
            "s3-tls-only-bucket-policy",
        ]) {
            expect(levels[name], name).to.equal("mandatory");
        }
    });

    it("offers remediations for the bucket key, the public access block and versioning only", () => {
        const remediating = resourcePolicies
            .filter(p => p.remediateResource)
            .map(p => p.name)
            .sort();
        expect(remediating).to.deep.equal(["s3-bucket-encryption", "s3-public-access-block", "s3-versioning-enabled"]);
    });

    it("declares config schemas whose defaults are the ones the code applies", () => {
        const defaults = (s: PolicyConfigSchema | undefined) =>
            Object.fromEntries(Object.entries(s?.properties ?? {}).map(([k, v]) => [k, (v as { default?: unknown }).default]));
        expect(defaults(encryptionPolicy.configSchema)).to.deep.equal(ENCRYPTION_DEFAULTS);
        expect(defaults(routeRequirementsPolicy.configSchema)).to.deep.equal(ROUTE_DEFAULTS);
        expect(defaults(hardenedReplicatedBucketsPolicy.configSchema)).to.deep.equal(HARDENED_DEFAULTS);
        for (const p of all) expect(Object.keys(p.configSchema?.properties ?? {}), p.name).not.to.include("enforcementLevel");
    });
});

describe("policy pack: its docs page (docs/policies.md, linked from the README)", () => {
    const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "policies.md"), "utf8");
    const all = packArgs.policies as Array<ResourceValidationPolicy | StackValidationPolicy>;

    it("lists every policy with its kind, severity and default level", () => {
        for (const p of all) {
            const row = doc.split("\n").find(l => l.startsWith(`| \`${p.name}\``));
            expect(row, p.name).to.be.a("string");
            const cells = row!.split("|").map(c => c.trim());
            expect(cells.slice(2, 5), p.name).to.deep.equal(["validateStack" in p ? "stack" : "resource", p.severity, p.enforcementLevel]);
        }
    });

    it("shows an example config whose policies and options exist", () => {
        const json = /```json\n([\s\S]*?)```/.exec(doc);
        expect(json).to.not.equal(null);
        const config = JSON.parse(json![1]) as Record<string, unknown>;
        for (const [name, value] of Object.entries(config)) {
            const p = all.find(x => x.name === name);
            expect(p, name).to.not.equal(undefined);
            if (typeof value === "string") expect(value).to.be.oneOf(["advisory", "mandatory", "remediate", "disabled"]);
            else
                for (const option of Object.keys(value as object))
                    expect(Object.keys(p!.configSchema?.properties ?? {}).concat("enforcementLevel"), `${name}.${option}`).to.include(option);
        }
        expect(doc).to.contain("pulumi preview --policy-pack").and.contain("--policy-pack-config");
    });
});

describe("policy harness: engine rules", () => {
    const pab = (flag: boolean): HarnessResource => ({
        type: TYPES.publicAccessBlock[0],
        name: "pab",
        props: { bucket: "b", blockPublicAcls: flag, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    });
    const policy = resourcePolicies.find(p => p.name === "s3-public-access-block")!;

    it("resolves levels: policy config, then `all`, then the policy's own, then the pack's", () => {
        expect(levelOf(policy, {})).to.equal("mandatory");
        expect(levelOf(policy, { config: { all: "advisory" } })).to.equal("advisory");
        expect(levelOf(policy, { config: { all: "advisory", [policy.name]: { enforcementLevel: "disabled" } } })).to.equal("disabled");
        expect(levelOf({ name: "x", description: "x", validateResource: () => undefined }, { packEnforcementLevel: "mandatory" })).to.equal("mandatory");
    });

    it("skips a disabled policy and reports a remediate-level violation as mandatory", async () => {
        expect((await analyzeResource([policy], pab(false), { config: { [policy.name]: "disabled" } })).diagnostics).to.deep.equal([]);
        const d = (await analyzeResource([policy], pab(false), { config: { [policy.name]: "remediate" } })).diagnostics;
        expect(d.map(x => x.enforcementLevel)).to.deep.equal(["mandatory"]);
    });

    it("turns an unknown value read through the proxy into the engine's can't-run advisory", async () => {
        const naive: ResourceValidationPolicy = {
            name: "naive",
            description: "reads props directly",
            enforcementLevel: "mandatory",
            validateResource: (args, report) => {
                if (args.props.bucket !== "b") report("wrong bucket");
            },
        };
        const d = (await analyzeResource([naive], { ...pab(true), props: { bucket: unknown.string } })).diagnostics;
        expect(d).to.have.length(1);
        expect(d[0].enforcementLevel).to.equal("advisory");
        expect(d[0].message).to.match(/^can't run policy 'naive' during preview: string value at \.bucket/);
    });
});

// ---- robustness ----

const KEYS = [
    "bucket",
    "rules",
    "rule",
    "filter",
    "destination",
    "status",
    "priority",
    "id",
    "prefix",
    "tag",
    "and",
    "tags",
    "key",
    "value",
    "deleteMarkerReplication",
    "sourceSelectionCriteria",
    "sseKmsEncryptedObjects",
    "replicaModifications",
    "account",
    "accessControlTranslation",
    "owner",
    "encryptionConfiguration",
    "replicaKmsKeyId",
    "replicationTime",
    "metrics",
    "time",
    "eventThreshold",
    "minutes",
    "storageClass",
    "role",
    "policy",
    "Statement",
    "Effect",
    "Principal",
    "AWS",
    "Service",
    "Action",
    "Resource",
    "Condition",
    "Bool",
    "StringEquals",
    "aws:SourceAccount",
    "aws:SecureTransport",
    "versioningConfiguration",
    "applyServerSideEncryptionByDefault",
    "sseAlgorithm",
    "kmsMasterKeyId",
    "bucketKeyEnabled",
    "objectOwnership",
    "assumeRolePolicy",
    "inlinePolicies",
    "managedPolicyArns",
    "policyArn",
    "name",
    "replicationConfiguration",
    "region",
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
    "acl",
    "grants",
    "versioning",
    "enabled",
    "objectLockEnabled",
    "serverSideEncryptionConfiguration",
];
const leaf = fc.oneof(
    fc.constantFrom(...Object.values(unknown)),
    fc.constantFrom(
        "Enabled",
        "Disabled",
        "Suspended",
        "aws:kms",
        "AES256",
        "*",
        "s3:*",
        "Allow",
        "Deny",
        "arn:aws:s3:::b",
        "arn:aws:s3:::b/*",
        "arn:aws:kms:us-east-1:111111111111:key/k",
        "111111111111",
        "s3.amazonaws.com",
        "BucketOwnerEnforced",
        "false",
        "",
    ),
    fc.string({ maxLength: 6 }),
    fc.integer({ min: -2, max: 20 }),
    fc.boolean(),
    fc.constant(null),
);
const { value: anyValue } = fc.letrec(tie => ({
    value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.array(tie("value"), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom(...KEYS), tie("value"), { maxKeys: 4 }),
    ),
}));
const anyProps = fc.dictionary(fc.constantFrom(...KEYS), anyValue, { maxKeys: 6 });
/** Everything known (no sentinel), so the checks run all the way, the 2 MB rendering included. */
const knownLeaf = fc.oneof(
    fc.constantFrom("Enabled", "Disabled", "arn:aws:s3:::b", "STANDARD", "Destination", "111111111111"),
    fc.string({ maxLength: 4 }),
    fc.integer({ min: -1, max: 16 }),
    fc.boolean(),
    fc.constant(null),
);
const { value: knownValue } = fc.letrec(tie => ({
    value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        knownLeaf,
        fc.array(tie("value"), { maxLength: 2 }),
        fc.dictionary(fc.constantFrom(...KEYS), tie("value"), { maxKeys: 4 }),
    ),
}));
const allTypes = Object.values(TYPES).flat();

describe("policy pack: robustness", () => {
    it("no resource policy throws or gives up (can't-run) on any props the engine could send", async () => {
        await fc.assert(
            fc.asyncProperty(fc.constantFrom(...allTypes), anyProps, async (type, props) => {
                const r = await analyzeResource(resourcePolicies, { type, name: "r", props, provider: awsProvider("p", "us-east-1", "111111111111") });
                return r.diagnostics.every(d => !d.message.startsWith("can't run"));
            }),
            { numRuns: 400 },
        );
    });

    it("the replication checks never throw on fully known rules of any shape", async () => {
        const rules = fc.array(fc.dictionary(fc.constantFrom(...KEYS), knownValue, { maxKeys: 8 }), { maxLength: 4 });
        const types = [TYPES.replication[0], TYPES.bucket[0]];
        await fc.assert(
            fc.asyncProperty(fc.constantFrom(...types), rules, async (type, rs) => {
                const props =
                    type === types[0]
                        ? { bucket: "src", role: "arn:aws:iam::111111111111:role/r", rules: rs }
                        : { bucket: "src", replicationConfiguration: { role: "r", rules: rs } };
                const r = await analyzeResource(resourcePolicies, { type, name: "r", props });
                return r.diagnostics.every(d => !d.message.startsWith("can't run"));
            }),
            { numRuns: 400 },
        );
    });

    it("no stack policy throws or gives up on any stack of such resources", async () => {
        await fc.assert(
            fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...allTypes), anyProps), { maxLength: 8 }), async list => {
                const b = new StackBuilder();
                const added: HarnessResource[] = [];
                list.forEach(([type, props], i) => {
                    // Each resource depends on the one before, so the joins by dependency are exercised too.
                    const deps: Record<string, HarnessResource[]> = added.length
                        ? { bucket: [added[added.length - 1]], rules: [added[0]], role: [added[0]], policyArn: [added[added.length - 1]] }
                        : {};
                    added.push(
                        b.add(type, `r${i}`, props, {
                            deps,
                            provider: awsProvider(`p${i % 2}`, i % 2 ? "eu-west-1" : "us-east-1", i % 2 ? "222222222222" : "111111111111"),
                        }),
                    );
                });
                const r = await analyzeStack(stackPolicies, b.resources, {
                    config: { [routeRequirementsPolicy.name]: { requireCrossRegion: true, allowedRegions: ["us-east-1"] } },
                });
                return r.diagnostics.every(d => !d.message.startsWith("can't run"));
            }),
            { numRuns: 300 },
        );
    });
});
