/**
 * Resource-level replication and role policies: the replication checks are the model's
 * checkReplicationConfig (the manifest validator's code), reported with their codes.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { replicationTrustPolicy } from "../components/model/iam";
import { ReplicationConfigDoc, checkReplicationConfig } from "../components/model/replication-config";
import { replicationAdvisoriesPolicy, replicationRolePolicy, replicationWellFormedPolicy } from "../policy-packs/replication-guard/policies";
import { formatFinding } from "../policy-packs/replication-guard/policies/replication-doc";
import { Diagnostic, HarnessResource, PackConfig, analyzeResource, awsProvider, messageOf, unknown } from "./support/policy-harness";

type Policy = Parameters<typeof analyzeResource>[0][number];
const typeOf = (c: unknown) => (c as { __pulumiType: string }).__pulumiType;

const ROLE = "arn:aws:iam::111111111111:role/s3-replication/s3-replication-111111111111";
const REPLICA_KEY = "arn:aws:kms:us-west-2:222222222222:key/7c9d8e1f-2a3b-4c5d-8e9f-0a1b2c3d4e5f";

function rule(over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        id: "to-dr",
        priority: 1,
        status: "Enabled",
        filter: { prefix: "" },
        deleteMarkerReplication: { status: "Disabled" },
        destination: { bucket: "arn:aws:s3:::acme-dr", storageClass: "STANDARD_IA" },
        ...over,
    };
}

function config(rules: unknown, region = "us-east-1", extra: Record<string, unknown> = {}): HarnessResource {
    return {
        type: typeOf(aws.s3.BucketReplicationConfig),
        name: "src-replication",
        props: { bucket: "acme-src", role: ROLE, rules, ...extra },
        provider: awsProvider(`aws-${region}`, region, "111111111111"),
    };
}

async function run(policy: Policy, r: HarnessResource, cfg?: PackConfig): Promise<Diagnostic[]> {
    return (await analyzeResource([policy], r, cfg ? { config: cfg } : {})).diagnostics;
}

const codes = (ds: Diagnostic[]) => ds.map(d => /^\[([A-Z0-9_]+)\]/.exec(messageOf(d))?.[1]);

describe("policy s3-replication-config-well-formed", () => {
    it("passes a V2 configuration with SSE-KMS selection, a replica key and RTC with metrics", async () => {
        const good = rule({
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: {
                bucket: "arn:aws:s3:::acme-dr",
                encryptionConfiguration: { replicaKmsKeyId: REPLICA_KEY },
                replicationTime: { status: "Enabled", time: { minutes: 15 } },
                metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            },
        });
        expect(await run(replicationWellFormedPolicy, config([good]))).to.deep.equal([]);
    });

    it("reports each finding with its code: V2 schema, priorities, delete markers with tags, RTC, KMS", async () => {
        const rules = [
            { id: "legacy", status: "Enabled", prefix: "logs/", destination: { bucket: "arn:aws:s3:::acme-dr" } },
            rule({ id: "a", priority: 5 }),
            rule({ id: "b", priority: 5, filter: { tag: { key: "class", value: "gold" } }, deleteMarkerReplication: { status: "Enabled" } }),
            rule({ id: "c", priority: 6, destination: { bucket: "arn:aws:s3:::acme-dr", replicationTime: { status: "Enabled", time: { minutes: 15 } } } }),
            rule({ id: "d", priority: 7, sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } } }),
        ];
        const d = await run(replicationWellFormedPolicy, config(rules));
        expect(codes(d)).to.deep.equal([
            "V2_SCHEMA_REQUIRED",
            "PRIORITY_CONFLICT",
            "DELETE_MARKER_WITH_TAG_FILTER",
            "RTC_METRICS_MISMATCH",
            "KMS_REPLICA_KEY_MISSING",
        ]);
        expect(d.every(x => x.enforcementLevel === "mandatory")).to.equal(true);
    });

    it("reports exactly what the manifest validator's checkReplicationConfig reports", async () => {
        const rules = [
            rule({ id: "x", priority: 2 }),
            rule({ id: "x", priority: 2, destination: { bucket: "arn:aws:s3:::acme-dr", storageClass: "OUTPOSTS" } }),
        ];
        const expected = checkReplicationConfig({ bucket: "acme-src", role: ROLE, rules } as ReplicationConfigDoc, {
            sourceRegion: "us-east-1",
            sourceAccount: "111111111111",
        })
            .filter(f => f.severity === "error")
            .map(formatFinding);
        expect(expected.length).to.be.greaterThan(2);
        expect((await run(replicationWellFormedPolicy, config(rules))).map(messageOf)).to.deep.equal(expected);
    });

    it("in preview, drops only findings that rest on unknown values", async () => {
        const rules = [
            rule({ id: "a", priority: 3, destination: { bucket: unknown.string } }),
            rule({
                id: "b",
                priority: 3,
                sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                destination: { bucket: unknown.string, encryptionConfiguration: { replicaKmsKeyId: unknown.string } },
            }),
        ];
        const d = await run(replicationWellFormedPolicy, config(rules, "us-east-1", { role: unknown.string }));
        // The duplicate priority is known and reported; the unknown replica key is not a missing one.
        expect(codes(d)).to.deep.equal(["PRIORITY_CONFLICT"]);
    });

    it("stays silent while the whole rule list is unknown", async () => {
        const r = await analyzeResource([replicationWellFormedPolicy], config(unknown.array));
        expect(r.diagnostics).to.deep.equal([]);
    });

    it("knows the source Region from the provider: RTC where it is unavailable; config replaces the list", async () => {
        const rtc = rule({
            destination: {
                bucket: "arn:aws:s3:::acme-dr",
                replicationTime: { status: "Enabled", time: { minutes: 15 } },
                metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            },
        });
        expect(codes(await run(replicationWellFormedPolicy, config([rtc], "ap-east-2")))).to.deep.equal(["RTC_UNSUPPORTED_REGION"]);
        expect(
            await run(replicationWellFormedPolicy, config([rtc], "ap-east-2"), { "s3-replication-config-well-formed": { rtcUnsupportedRegions: [] } }),
        ).to.deep.equal([]);
    });

    it("checks the deprecated inline configuration of aws.s3.Bucket as the legacy provider sends it", async () => {
        // With a filter the legacy form sends priority 0 unless given: two such rules clash.
        const bucket: HarnessResource = {
            type: typeOf(aws.s3.Bucket),
            name: "legacy",
            props: {
                bucket: "acme-src",
                replicationConfiguration: {
                    role: ROLE,
                    rules: [
                        { id: "one", status: "Enabled", filter: { prefix: "a/" }, destination: { bucket: "arn:aws:s3:::acme-dr" } },
                        { id: "two", status: "Enabled", filter: { prefix: "b/" }, destination: { bucket: "arn:aws:s3:::acme-dr2" } },
                    ],
                },
            },
        };
        expect(codes(await run(replicationWellFormedPolicy, bucket))).to.deep.equal(["PRIORITY_CONFLICT"]);
        const fixed = JSON.parse(JSON.stringify(bucket)) as HarnessResource;
        (fixed.props.replicationConfiguration as { rules: Array<Record<string, unknown>> }).rules[1].priority = 1;
        expect(await run(replicationWellFormedPolicy, fixed)).to.deep.equal([]);
    });
});

describe("policy s3-replication-config-advisories", () => {
    const sameAccount = rule({ destination: { bucket: "arn:aws:s3:::acme-dr", account: "111111111111", accessControlTranslation: { owner: "Destination" } } });

    it("warns (advisory) about an ownership override within one account, which the mandatory policy does not report", async () => {
        const d = await run(replicationAdvisoriesPolicy, config([sameAccount]));
        expect(codes(d)).to.deep.equal(["OWNERSHIP_OVERRIDE_SAME_ACCOUNT"]);
        expect(d[0].enforcementLevel).to.equal("advisory");
        expect(await run(replicationWellFormedPolicy, config([sameAccount]))).to.deep.equal([]);
    });

    it("passes an override into another account", async () => {
        const cross = rule({ destination: { bucket: "arn:aws:s3:::acme-dr", account: "222222222222", accessControlTranslation: { owner: "Destination" } } });
        expect(await run(replicationAdvisoriesPolicy, config([cross]))).to.deep.equal([]);
    });
});

describe("policy iam-replication-role-least-privilege", () => {
    const role = (assumeRolePolicy: unknown, inlinePolicies?: unknown): HarnessResource => ({
        type: typeOf(aws.iam.Role),
        name: "replication",
        props: { name: "replication", assumeRolePolicy, ...(inlinePolicies ? { inlinePolicies } : {}) },
    });
    const inline = (Action: unknown, Resource: unknown) => [
        { name: "replicate", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action, Resource }] }) },
    ];

    it("passes the trust the model renders with an exact inline policy", async () => {
        const r = role(JSON.stringify(replicationTrustPolicy("111111111111")), inline(["s3:ReplicateObject"], ["arn:aws:s3:::acme-dr/*"]));
        expect(await run(replicationRolePolicy, r)).to.deep.equal([]);
    });

    it("fails a trust that also admits another service, and an inline s3:* on *", async () => {
        const trust = JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: ["s3.amazonaws.com", "ec2.amazonaws.com"] }, Action: "sts:AssumeRole" }],
        });
        const d = await run(replicationRolePolicy, role(trust, inline("s3:*", "*")));
        expect(d.map(messageOf)).to.have.length(3);
        expect(messageOf(d[0])).to.match(/^trust policy: .*trusts service "ec2\.amazonaws\.com"/);
        expect(messageOf(d[1])).to.match(/^inline policy "replicate": .*wildcard action "s3:\*"/);
        expect(messageOf(d[2])).to.match(/^inline policy "replicate": .*resource "\*"/);
    });

    it("leaves roles S3 cannot assume alone, and cannot-tell trust in preview", async () => {
        const lambda = JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        expect(await run(replicationRolePolicy, role(lambda, inline("s3:*", "*")))).to.deep.equal([]);
        expect(await run(replicationRolePolicy, role(unknown.string, inline("s3:*", "*")))).to.deep.equal([]);
    });
});
