/**
 * Resource-level bucket policies, each with a passing and a failing case through the
 * engine-mirroring harness (props behind @pulumi/policy's unknown-checking proxy).
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import {
    encryptionPolicy,
    noAclPolicy,
    noPublicPrincipalPolicy,
    ownershipPolicy,
    publicAccessBlockPolicy,
    tlsOnlyPolicy,
    versioningPolicy,
} from "../policy-packs/replication-guard/policies";
import { Diagnostic, HarnessResource, PackConfig, analyzeResource, awsProvider, messageOf, remediateResource, unknown } from "./support/policy-harness";

type Policy = Parameters<typeof analyzeResource>[0][number];
type Class = { __pulumiType: string };
const typeOf = (c: unknown) => (c as Class).__pulumiType;

function resource(cls: unknown, props: Record<string, unknown>, name = "r"): HarnessResource {
    return { type: typeOf(cls), name, props, provider: awsProvider("aws-us-east-1", "us-east-1", "111111111111") };
}

async function run(policy: Policy, r: HarnessResource, config?: PackConfig): Promise<Diagnostic[]> {
    return (await analyzeResource([policy], r, config ? { config } : {})).diagnostics;
}

const sse = (rule: Record<string, unknown>) => resource(aws.s3.BucketServerSideEncryptionConfiguration, { bucket: "data", rules: [rule] });
const KEY = "arn:aws:kms:us-east-1:111111111111:key/0b7e2c1a-5d4f-4c3e-9a8b-1f2e3d4c5b6a";

describe("policy s3-bucket-encryption", () => {
    it("passes SSE-KMS with a customer managed key and the bucket key, and SSE-S3 by default", async () => {
        expect(
            await run(encryptionPolicy, sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY }, bucketKeyEnabled: true })),
        ).to.deep.equal([]);
        expect(await run(encryptionPolicy, sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }))).to.deep.equal([]);
    });

    it("fails a rule without default encryption, and SSE-KMS without the bucket key", async () => {
        const none = await run(encryptionPolicy, sse({ bucketKeyEnabled: true }));
        expect(none).to.have.length(1);
        expect(messageOf(none[0])).to.contain("applyServerSideEncryptionByDefault");
        expect(none[0].enforcementLevel).to.equal("mandatory");
        const noKey = await run(encryptionPolicy, sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY } }));
        expect(noKey).to.have.length(1);
        expect(messageOf(noKey[0])).to.contain("bucketKeyEnabled: true");
    });

    it("with requireKms, fails SSE-S3 and the AWS managed key; allowedKmsKeyArns refuses other keys", async () => {
        const config: PackConfig = { "s3-bucket-encryption": { requireKms: true } };
        expect(await run(encryptionPolicy, sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }), config)).to.have.length(1);
        const managed = await run(encryptionPolicy, sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }), config);
        expect(messageOf(managed[0])).to.contain("AWS managed key");
        const allowed: PackConfig = { "s3-bucket-encryption": { allowedKmsKeyArns: ["arn:aws:kms:us-east-1:111111111111:key/other"] } };
        const other = await run(
            encryptionPolicy,
            sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY }, bucketKeyEnabled: true }),
            allowed,
        );
        expect(messageOf(other[0])).to.contain("not in allowedKmsKeyArns");
    });

    it("does not fail (or abort) in preview when the key or the algorithm is unknown", async () => {
        const r = await run(encryptionPolicy, sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: unknown.string, kmsMasterKeyId: unknown.string } }));
        expect(r).to.deep.equal([]);
    });

    it("checks the deprecated inline configuration of aws.s3.Bucket", async () => {
        const bucket = resource(aws.s3.Bucket, {
            bucket: "data",
            serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY } } },
        });
        expect(await run(encryptionPolicy, bucket)).to.have.length(1);
        expect(await run(encryptionPolicy, resource(aws.s3.Bucket, { bucket: "data" }))).to.deep.equal([]);
    });

    it("remediates by enabling the bucket key on SSE-KMS rules only, keeping unknown values unknown", async () => {
        const r = sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY } });
        r.props.bucket = unknown.string;
        (r.props.rules as unknown[]).push({ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } });
        const fixed = await remediateResource([encryptionPolicy], r, { config: { "s3-bucket-encryption": "remediate" } });
        expect(fixed.remediatedBy).to.deep.equal(["s3-bucket-encryption"]);
        expect(fixed.props.bucket).to.equal(unknown.string);
        expect((fixed.props.rules as Array<Record<string, unknown>>).map(x => x.bucketKeyEnabled)).to.deep.equal([true, undefined]);
        // And the remediated resource passes the validation.
        expect(await run(encryptionPolicy, { ...r, props: fixed.props })).to.deep.equal([]);
    });

    it("does not remediate at the default (mandatory) level", async () => {
        const r = sse({ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY } });
        expect((await remediateResource([encryptionPolicy], r)).remediatedBy).to.deep.equal([]);
    });
});

describe("policy s3-bucket-owner-enforced", () => {
    const ownership = (objectOwnership: unknown) => resource(aws.s3.BucketOwnershipControls, { bucket: "data", rule: { objectOwnership } });

    it("passes BucketOwnerEnforced", async () => {
        expect(await run(ownershipPolicy, ownership("BucketOwnerEnforced"))).to.deep.equal([]);
    });

    it("fails ObjectWriter and BucketOwnerPreferred", async () => {
        for (const o of ["ObjectWriter", "BucketOwnerPreferred"]) {
            const d = await run(ownershipPolicy, ownership(o));
            expect(d).to.have.length(1);
            expect(messageOf(d[0])).to.contain(o);
        }
    });

    it("is not applicable to other types, and silent on an unknown value", async () => {
        const r = await analyzeResource([ownershipPolicy], resource(aws.s3.BucketVersioning, { bucket: "data" }));
        expect(r.notApplicable.has("s3-bucket-owner-enforced")).to.equal(true);
        expect(await run(ownershipPolicy, ownership(unknown.string))).to.deep.equal([]);
    });
});

describe("policy s3-no-bucket-acls", () => {
    it("passes a bucket without ACLs", async () => {
        expect(await run(noAclPolicy, resource(aws.s3.Bucket, { bucket: "data", acl: "private" }))).to.deep.equal([]);
    });

    it("fails any BucketAcl resource and a public canned ACL or grants on the bucket", async () => {
        expect(await run(noAclPolicy, resource(aws.s3.BucketAcl, { bucket: "data", acl: "private" }))).to.have.length(1);
        const d = await run(noAclPolicy, resource(aws.s3.Bucket, { bucket: "data", acl: "public-read", grants: [{ type: "Group", permissions: ["READ"] }] }));
        expect(d.map(messageOf)).to.have.length(2);
        expect(messageOf(d[0])).to.contain("public-read");
    });
});

describe("policy s3-public-access-block", () => {
    const pab = (over: Record<string, unknown> = {}) =>
        resource(aws.s3.BucketPublicAccessBlock, {
            bucket: "data",
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
            ...over,
        });

    it("passes with all four flags", async () => {
        expect(await run(publicAccessBlockPolicy, pab())).to.deep.equal([]);
    });

    it("fails when one flag is false or missing, naming it", async () => {
        const d = await run(publicAccessBlockPolicy, pab({ restrictPublicBuckets: false, ignorePublicAcls: undefined }));
        expect(d).to.have.length(1);
        expect(messageOf(d[0])).to.contain("ignorePublicAcls is null").and.contain("restrictPublicBuckets is false");
        expect(d[0].severity).to.equal("critical");
    });

    it("remediates by turning every flag on", async () => {
        const fixed = await remediateResource([publicAccessBlockPolicy], pab({ blockPublicPolicy: false }), {
            config: { "s3-public-access-block": "remediate" },
        });
        expect(fixed.props).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    });
});

describe("policy s3-versioning-enabled", () => {
    const versioning = (status: unknown) => resource(aws.s3.BucketVersioning, { bucket: "data", versioningConfiguration: { status } });

    it("passes Enabled", async () => {
        expect(await run(versioningPolicy, versioning("Enabled"))).to.deep.equal([]);
    });

    it("fails Suspended and Disabled", async () => {
        expect(messageOf((await run(versioningPolicy, versioning("Suspended")))[0])).to.contain('"Suspended"');
        expect(await run(versioningPolicy, versioning("Disabled"))).to.have.length(1);
        expect(await run(versioningPolicy, resource(aws.s3.Bucket, { bucket: "data", versioning: { enabled: false } }))).to.have.length(1);
    });

    it("remediates Suspended to Enabled; leaves an unknown status alone", async () => {
        const level: PackConfig = { "s3-versioning-enabled": "remediate" };
        const fixed = await remediateResource([versioningPolicy], versioning("Suspended"), { config: level });
        expect(fixed.props.versioningConfiguration).to.deep.equal({ status: "Enabled" });
        const pending = await remediateResource([versioningPolicy], versioning(unknown.string), { config: level });
        expect(pending.remediatedBy).to.deep.equal([]);
        expect(pending.props.versioningConfiguration).to.deep.equal({ status: unknown.string });
    });
});

describe("policy s3-tls-only-bucket-policy", () => {
    const doc = (resources: string[], condition: unknown = { Bool: { "aws:SecureTransport": "false" } }) =>
        JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: resources, Condition: condition }],
        });
    const bp = (bucket: unknown, policy: unknown) => resource(aws.s3.BucketPolicy, { bucket, policy });

    it("passes a TLS deny on the bucket and its objects", async () => {
        expect(await run(tlsOnlyPolicy, bp("data", doc(["arn:aws:s3:::data", "arn:aws:s3:::data/*"])))).to.deep.equal([]);
    });

    it("fails a policy whose deny covers only the bucket, or has no deny", async () => {
        expect(await run(tlsOnlyPolicy, bp("data", doc(["arn:aws:s3:::data"])))).to.have.length(1);
        expect(await run(tlsOnlyPolicy, bp("data", JSON.stringify({ Version: "2012-10-17", Statement: [] })))).to.have.length(1);
    });

    it("does not fail in preview while the policy document is unknown", async () => {
        expect(await run(tlsOnlyPolicy, bp(unknown.string, unknown.string))).to.deep.equal([]);
    });

    it("accepts an object-form document with the bucket name unknown", async () => {
        const object = {
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
                    Condition: { Bool: { "aws:SecureTransport": false } },
                },
            ],
        };
        expect(await run(tlsOnlyPolicy, bp(unknown.string, object))).to.deep.equal([]);
    });
});

describe("policy s3-no-public-principal", () => {
    const bp = (statement: Record<string, unknown>) =>
        resource(aws.s3.BucketPolicy, {
            bucket: "data",
            policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }),
        });

    it("passes an allow to a named role", async () => {
        expect(
            await run(
                noPublicPrincipalPolicy,
                bp({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/r" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::data/*" }),
            ),
        ).to.deep.equal([]);
    });

    it("fails an unconditioned Principal * allow", async () => {
        const d = await run(
            noPublicPrincipalPolicy,
            bp({ Sid: "Public", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::data/*" }),
        );
        expect(d).to.have.length(1);
        expect(messageOf(d[0])).to.contain('statement "Public"');
    });
});
