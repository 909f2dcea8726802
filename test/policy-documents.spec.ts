/**
 * The pure document checks the policy pack runs (components/model/policy-checks.ts), and that
 * the documents the components render from the model pass them.
 */
import { expect } from "chai";
import fc from "fast-check";
import { KNOWN_REGIONS, bucketNameProblems } from "../components/model/aws-facts";
import { hardenedBucketPolicy, tlsDenyStatement } from "../components/model/bucket-policy";
import { planRoles, replicationTrustPolicy } from "../components/model/iam";
import {
    UNKNOWN,
    checkLeastPrivilegePolicy,
    checkNoPublicAllow,
    checkReplicationTrustPolicy,
    checkTlsOnlyPolicy,
    parsePolicy,
    trustsReplicationService,
    wildcardMatches,
} from "../components/model/policy-checks";

const tls = (bucket: string) => ({
    Version: "2012-10-17",
    Statement: [
        {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
    ],
});

describe("policy documents: parsing", () => {
    it("reads JSON strings and objects alike, and calls broken JSON invalid", () => {
        expect(parsePolicy(JSON.stringify(tls("b")))).to.deep.include({ kind: "ok" });
        expect(parsePolicy(tls("b"))).to.deep.include({ kind: "ok" });
        expect(parsePolicy("{not json").kind).to.equal("invalid");
        expect(parsePolicy(UNKNOWN).kind).to.equal("unknown");
        expect(parsePolicy({ Statement: UNKNOWN }).kind).to.equal("unknown");
    });

    it("matches IAM wildcards", () => {
        expect(wildcardMatches("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y")).to.equal(true);
        expect(wildcardMatches("arn:aws:s3:::b?", "arn:aws:s3:::bc")).to.equal(true);
        expect(wildcardMatches("arn:aws:s3:::b", "arn:aws:s3:::bc")).to.equal(false);
        expect(wildcardMatches("arn:aws:s3:::b.c", "arn:aws:s3:::bxc")).to.equal(false);
    });
});

describe("policy documents: TLS-only", () => {
    it("passes the Bool aws:SecureTransport deny on the bucket and its objects", () => {
        expect(checkTlsOnlyPolicy(tls("logs"), "logs").verdict).to.equal("pass");
        expect(checkTlsOnlyPolicy(JSON.stringify(tls("logs")), "logs").verdict).to.equal("pass");
    });

    it("accepts the NumericLessThan s3:TlsVersion form and Action *", () => {
        const doc = tls("logs");
        doc.Statement[0] = { ...doc.Statement[0], Action: "*", Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } as never };
        expect(checkTlsOnlyPolicy(doc, "logs").verdict).to.equal("pass");
    });

    it("fails when the deny misses the objects, another bucket is named, or the effect is Allow", () => {
        const noObjects = tls("logs");
        noObjects.Statement[0].Resource = ["arn:aws:s3:::logs"];
        expect(checkTlsOnlyPolicy(noObjects, "logs").verdict).to.equal("fail");
        expect(checkTlsOnlyPolicy(tls("other"), "logs").verdict).to.equal("fail");
        const allow = tls("logs");
        allow.Statement[0].Effect = "Allow";
        const r = checkTlsOnlyPolicy(allow, "logs");
        expect(r.verdict).to.equal("fail");
        expect(r.problems[0]).to.contain("aws:SecureTransport");
    });

    it("fails when the condition is missing or says true", () => {
        const noCondition = tls("logs") as { Statement: Array<Record<string, unknown>> };
        delete noCondition.Statement[0].Condition;
        expect(checkTlsOnlyPolicy(noCondition, "logs").verdict).to.equal("fail");
        const wrong = tls("logs");
        wrong.Statement[0].Condition = { Bool: { "aws:SecureTransport": "true" } };
        expect(checkTlsOnlyPolicy(wrong, "logs").verdict).to.equal("fail");
    });

    it("cannot tell (never fails) while the policy or its resources are unknown", () => {
        expect(checkTlsOnlyPolicy(UNKNOWN, "logs").verdict).to.equal("unknown");
        const unknownResource = tls("logs") as { Statement: Array<Record<string, unknown>> };
        unknownResource.Statement[0].Resource = [UNKNOWN, UNKNOWN];
        expect(checkTlsOnlyPolicy(unknownResource, "logs").verdict).to.equal("unknown");
    });

    it("with the bucket name unknown, accepts <arn> with <arn>/* and refuses a lone bucket ARN", () => {
        expect(checkTlsOnlyPolicy(tls("logs"), UNKNOWN).verdict).to.equal("pass");
        const lone = tls("logs");
        lone.Statement[0].Resource = ["arn:aws:s3:::logs"];
        expect(checkTlsOnlyPolicy(lone, UNKNOWN).verdict).to.equal("fail");
    });

    it("passes every TLS deny the model renders, for any valid bucket name and Region", () => {
        const name = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,40}[a-z0-9]$/).filter(n => bucketNameProblems(n).length === 0);
        fc.assert(
            fc.property(name, fc.constantFrom(...KNOWN_REGIONS), (bucket, region) => {
                const doc = { Version: "2012-10-17", Statement: [tlsDenyStatement(bucket, region)] };
                return checkTlsOnlyPolicy(JSON.stringify(doc), bucket).verdict === "pass";
            }),
            { numRuns: 200 },
        );
    });
});

describe("policy documents: public principals", () => {
    const allow = (extra: Record<string, unknown>) => ({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*", ...extra }] });

    it("fails an unconditioned Principal * allow, {AWS: *} and NotPrincipal", () => {
        expect(checkNoPublicAllow(allow({ Principal: "*" })).verdict).to.equal("fail");
        expect(checkNoPublicAllow(allow({ Principal: { AWS: ["arn:aws:iam::111111111111:root", "*"] } })).verdict).to.equal("fail");
        expect(checkNoPublicAllow(allow({ NotPrincipal: { AWS: "arn:aws:iam::111111111111:root" } })).verdict).to.equal("fail");
    });

    it("passes a conditioned public allow, named principals and the model's hardened policy", () => {
        expect(checkNoPublicAllow(allow({ Principal: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-123" } } })).verdict).to.equal("pass");
        expect(checkNoPublicAllow(allow({ Principal: { AWS: "arn:aws:iam::111111111111:root" } })).verdict).to.equal("pass");
        const doc = hardenedBucketPolicy("dst", "us-west-2", [{ sourceAccount: "111111111111", ownerOverride: true }]);
        expect(checkNoPublicAllow(JSON.stringify(doc)).verdict).to.equal("pass");
    });

    it("cannot tell while the principal is unknown", () => {
        expect(checkNoPublicAllow(allow({ Principal: UNKNOWN })).verdict).to.equal("unknown");
    });
});

describe("policy documents: replication role trust", () => {
    it("passes the model's trust policy and recognizes it as a replication role", () => {
        const doc = replicationTrustPolicy("111111111111");
        expect(trustsReplicationService(doc)).to.equal(true);
        expect(checkReplicationTrustPolicy(JSON.stringify(doc))).to.deep.equal({ verdict: "pass", problems: [] });
    });

    it("does not take a Lambda role for a replication role", () => {
        expect(
            trustsReplicationService({ Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        ).to.equal(false);
    });

    it("passes AWS's documented trust (no condition), fails other principals, a wildcard action or a malformed aws:SourceAccount", () => {
        const base = { Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" };
        expect(checkReplicationTrustPolicy({ Statement: [base] })).to.deep.equal({ verdict: "pass", problems: [] });
        const badAccount = checkReplicationTrustPolicy({ Statement: [{ ...base, Condition: { StringEquals: { "aws:SourceAccount": "1111" } } }] });
        expect(badAccount.problems.join()).to.contain("aws:SourceAccount must name 12-digit account ids");
        const cond = { StringEquals: { "aws:SourceAccount": "111111111111" } };
        const other = checkReplicationTrustPolicy({
            Statement: [{ ...base, Condition: cond, Principal: { Service: ["s3.amazonaws.com", "ec2.amazonaws.com"], AWS: "arn:aws:iam::999999999999:root" } }],
        });
        expect(other.problems).to.have.length(2);
        expect(other.problems.join()).to.contain("ec2.amazonaws.com").and.contain("AWS principal");
        expect(checkReplicationTrustPolicy({ Statement: [{ ...base, Condition: cond, Action: "sts:*" }] }).verdict).to.equal("fail");
    });
});

describe("policy documents: least privilege", () => {
    const stmt = (Action: unknown, Resource: unknown) => ({ Statement: [{ Effect: "Allow", Action, Resource }] });

    it("allows object-key wildcards but not wildcard actions, * resources or wildcard bucket names", () => {
        expect(checkLeastPrivilegePolicy(stmt(["s3:ReplicateObject"], ["arn:aws:s3:::dst/*"])).verdict).to.equal("pass");
        expect(checkLeastPrivilegePolicy(stmt("s3:*", "arn:aws:s3:::dst/*")).problems[0]).to.contain("wildcard action");
        expect(checkLeastPrivilegePolicy(stmt("s3:Get*", "arn:aws:s3:::dst/*")).verdict).to.equal("fail");
        expect(checkLeastPrivilegePolicy(stmt("s3:ListBucket", "*")).verdict).to.equal("fail");
        expect(checkLeastPrivilegePolicy(stmt("s3:ListBucket", "arn:aws:s3:::acme-*")).problems[0]).to.contain("bucket name");
        expect(checkLeastPrivilegePolicy(stmt("kms:Decrypt", "arn:aws:kms:us-east-1:111111111111:key/*")).verdict).to.equal("fail");
        expect(checkLeastPrivilegePolicy({ Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b" }] }).verdict).to.equal("fail");
    });

    it("ignores Deny statements and cannot tell while resources are unknown", () => {
        expect(checkLeastPrivilegePolicy({ Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] }).verdict).to.equal("pass");
        expect(checkLeastPrivilegePolicy(stmt("s3:ReplicateObject", [UNKNOWN])).verdict).to.equal("unknown");
    });

    it("passes every policy the model's role planner renders", () => {
        const roles = planRoles("111111111111", "us-east-1", [
            {
                bucket: "src-a",
                region: "us-east-1",
                objectLock: true,
                sourceKmsKeys: ["arn:aws:kms:us-east-1:111111111111:key/k1"],
                destinations: [{ bucket: "dst-a", region: "eu-west-1", ownerOverride: true, replicaKmsKey: "arn:aws:kms:eu-west-1:222222222222:key/k2" }],
                batchReportBucket: { bucket: "reports", region: "us-east-1" },
            },
            {
                bucket: "src-b",
                region: "us-east-1",
                objectLock: false,
                sourceKmsKeys: [],
                destinations: [{ bucket: "dst-b", region: "us-west-2", ownerOverride: false }],
            },
        ]);
        const docs = roles.flatMap(r => [...(r.inlinePolicy ? [r.inlinePolicy] : []), ...r.managedPolicies]);
        expect(docs.length).to.be.greaterThan(0);
        for (const d of docs) expect(checkLeastPrivilegePolicy(JSON.stringify(d))).to.deep.equal({ verdict: "pass", problems: [] });
    });
});
