import { expect } from "chai";
import * as fc from "fast-check";
import {
    ExistingPolicyError,
    bucketNameProblems,
    checkReplicationConfig,
    hardenedBucketPolicy,
    mergeAdoptedPolicy,
    parseKmsKeyArn,
    partitionOf,
    replicationTrustPolicy,
} from "../components/model";

describe("pure model", () => {
    it("bucket names follow S3's rules for general purpose buckets", () => {
        for (const ok of ["abc", "my.bucket-01", "a".repeat(63), "1bucket"]) expect(bucketNameProblems(ok), ok).to.deep.equal([]);
        const bad: Array<[string, RegExp]> = [
            ["ab", /3-63/],
            ["a".repeat(64), /3-63/],
            ["Upper", /lowercase/],
            ["-lead", /begin/],
            ["trail-", /end/],
            ["two..dots", /adjacent dots/],
            ["192.168.1.1", /IP address/],
            ["xn--bucket", /xn--/],
            ["sthree-x", /sthree-/],
            ["amzn-s3-demo-x", /amzn-s3-demo-/],
            ["name-s3alias", /-s3alias/],
            ["name--ol-s3", /--ol-s3/],
            ["name.mrap", /\.mrap/],
            ["name--x-s3", /--x-s3/],
        ];
        for (const [name, why] of bad) expect(bucketNameProblems(name).join("; "), name).to.match(why);
    });

    it("KMS key ARNs and partitions", () => {
        expect(parseKmsKeyArn("arn:aws:kms:eu-west-1:123456789012:key/abcd-1")).to.deep.include({ region: "eu-west-1", account: "123456789012", kind: "key" });
        expect(parseKmsKeyArn("arn:aws:kms:eu-west-1:123456789012:alias/data")).to.deep.include({ kind: "alias", id: "data" });
        for (const bad of ["abcd-1", "alias/data", "arn:aws:kms:eu-west-1:1234:key/x", "arn:aws:s3:::bucket"])
            expect(parseKmsKeyArn(bad), bad).to.equal(undefined);
        expect([partitionOf("us-east-1"), partitionOf("cn-north-1"), partitionOf("us-gov-west-1")]).to.deep.equal(["aws", "aws-cn", "aws-us-gov"]);
    });

    it("the trust policy admits S3 and Batch Operations in one statement each, without conditions unless asked", () => {
        const doc = replicationTrustPolicy("123456789012");
        expect(doc.Statement.map(s => s.Principal)).to.deep.equal([{ Service: "s3.amazonaws.com" }, { Service: "batchoperations.s3.amazonaws.com" }]);
        expect(doc.Statement.map(s => s.Condition)).to.deep.equal([undefined, undefined]);
        const strict = replicationTrustPolicy("123456789012", { conditions: { sourceAccount: true } });
        expect(strict.Statement.map(s => s.Condition)).to.deep.equal([0, 1].map(() => ({ StringEquals: { "aws:SourceAccount": "123456789012" } })));
    });

    it("adopting keeps a bucket's own statements, replaces only ours, and refuses what it cannot read", () => {
        const ours = hardenedBucketPolicy("data-bucket", "us-east-1");
        const existing = JSON.stringify({
            Version: "2012-10-17",
            Statement: {
                Sid: "Audit",
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::123456789012:root" },
                Action: "s3:GetObject",
                Resource: "arn:aws:s3:::data-bucket/*",
            },
        });
        const merged = mergeAdoptedPolicy(existing, ours, "data-bucket");
        expect(merged.Statement.map(s => s.Sid)).to.deep.equal(["DenyInsecureTransport", "Audit"]);
        // Merging our own previous output is stable.
        expect(mergeAdoptedPolicy(JSON.stringify(merged), ours)).to.deep.equal(merged);
        expect(mergeAdoptedPolicy(undefined, ours)).to.deep.equal(ours);
        expect(() => mergeAdoptedPolicy("{nope", ours, "data-bucket")).to.throw(ExistingPolicyError, /data-bucket.*refusing/);
        expect(() => mergeAdoptedPolicy("{}", ours)).to.throw(ExistingPolicyError);
    });

    it("reports a field of the wrong type once, at its column, and checks the rest of the rule", () => {
        // CI's fuzzing found this one: an object whose conversion to text throws.
        const rule = {
            id: "r1",
            priority: { toString: false },
            status: "Enabled",
            filter: { prefix: "logs/" },
            deleteMarkerReplication: { status: "Disabled" },
            destination: { bucket: { toString: false }, storageClass: 7 },
        };
        const findings = checkReplicationConfig({ bucket: "src", rules: [rule as never] });
        expect(findings.map(f => [f.code, f.field])).to.deep.equal([
            ["INVALID_VALUE", "priority"],
            ["INVALID_VALUE", "destination_bucket"],
            ["INVALID_VALUE", "storage_class"],
        ]);
        expect(findings[0].message).to.equal(`rule "r1": priority must be a number (is an object).`);
        expect(checkReplicationConfig({ bucket: { toString: false } as never, rules: "x" as never }).map(f => f.code)).to.deep.equal([
            "INVALID_VALUE",
            "INVALID_VALUE",
            "NO_RULES",
        ]);
    });

    it("the shared configuration checks never throw, whatever a program registered", () => {
        const anything = fc.anything({
            withBigInt: true,
            withBoxedValues: true,
            withNullPrototype: true,
            withObjectString: true,
            withMap: true,
            withDate: true,
        });
        fc.assert(
            fc.property(anything, anything, anything, (rules, role, bucket) => {
                const findings = checkReplicationConfig({ rules: rules as never, role: role as never, bucket: bucket as never });
                return Array.isArray(findings) && findings.every(f => typeof f.code === "string");
            }),
            { numRuns: 1000 },
        );
        fc.assert(
            fc.property(
                fc.array(
                    fc.dictionary(
                        fc.constantFrom("id", "priority", "status", "filter", "destination", "deleteMarkerReplication", "sourceSelectionCriteria"),
                        anything,
                    ),
                ),
                rules => {
                    checkReplicationConfig({ rules: rules as never });
                    return true;
                },
            ),
            { numRuns: 500 },
        );
    });
});
