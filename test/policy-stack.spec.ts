/**
 * Stack-level policies on small programs written by hand (not this package's components), in
 * the engine's shape: providers with JSON-encoded config, parents, propertyDependencies, and in
 * "preview" the ids, ARNs and names that are not known until resources exist.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { replicationTrustPolicy } from "../components/model/iam";
import {
    crossAccountOwnershipPolicy,
    destinationConsistencyPolicy,
    hardenedReplicatedBucketsPolicy,
    objectLockParityPolicy,
    replicationRoleAttachedPoliciesPolicy,
    replicationWellFormedPolicy,
    routeRequirementsPolicy,
} from "../policy-packs/replication-guard/policies";
import {
    Diagnostic,
    HarnessResource,
    PackConfig,
    StackBuilder,
    analyzeResource,
    analyzeStack,
    awsProvider,
    messageOf,
    unknown,
} from "./support/policy-harness";

type Policy = Parameters<typeof analyzeStack>[0][number];

const A = "111111111111";
const B = "222222222222";
const REPLICA_KEY_EU = `arn:aws:kms:eu-west-1:${B}:key/7c9d8e1f-2a3b-4c5d-8e9f-0a1b2c3d4e5f`;

interface PairOptions {
    /** Names, ARNs and ids unknown; joins only through propertyDependencies. */
    preview?: boolean;
    destinationRegion?: string;
    destinationAccount?: string;
    /** Rule overrides (the one rule of the configuration). */
    rule?: Record<string, unknown>;
    sourceObjectLock?: boolean;
    destinationObjectLock?: boolean;
    /** The source is adopted: no aws.s3.Bucket, settings name it. */
    adoptSource?: boolean;
    /** Leave out these settings resources (by logical name). */
    omit?: string[];
}

/** Two buckets, their settings, a replication role and one replication configuration. */
function pair(o: PairOptions = {}): StackBuilder {
    const s = new StackBuilder();
    const destRegion = o.destinationRegion ?? "eu-west-1";
    const destAccount = o.destinationAccount ?? B;
    const src = awsProvider("src", "us-east-1", A);
    const dst = awsProvider("dst", destRegion, destAccount);
    const nameOrUnknown = (name: string) => (o.preview ? unknown.string : name);

    const srcBucket = o.adoptSource
        ? undefined
        : s.add(aws.s3.Bucket, "src", { bucket: "acme-src", ...(o.sourceObjectLock ? { objectLockEnabled: true } : {}) }, { provider: src });
    const dstBucket = s.add(aws.s3.Bucket, "dst", { bucket: "acme-dst", ...(o.destinationObjectLock ? { objectLockEnabled: true } : {}) }, { provider: dst });
    const settings = (prefix: string, bucketName: string, bucket: HarnessResource | undefined, provider: typeof src) => {
        const ref = bucket ? nameOrUnknown(bucketName) : bucketName;
        const deps = bucket ? { deps: { bucket: [bucket] } } : {};
        const add = (name: string, type: unknown, props: Record<string, unknown>) => {
            if (!o.omit?.includes(`${prefix}-${name}`)) s.add(type as never, `${prefix}-${name}`, { bucket: ref, ...props }, { provider, ...deps });
        };
        add("versioning", aws.s3.BucketVersioning, { versioningConfiguration: { status: "Enabled" } });
        add("encryption", aws.s3.BucketServerSideEncryptionConfiguration, { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] });
        add("pab", aws.s3.BucketPublicAccessBlock, { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
        add("ownership", aws.s3.BucketOwnershipControls, { rule: { objectOwnership: "BucketOwnerEnforced" } });
    };
    settings("src", "acme-src", srcBucket, src);
    settings("dst", "acme-dst", dstBucket, dst);

    const role = s.add(
        aws.iam.Role,
        "replication-role",
        {
            name: "replication",
            assumeRolePolicy: JSON.stringify(replicationTrustPolicy(A)),
            ...(o.preview ? { arn: unknown.string } : { arn: `arn:aws:iam::${A}:role/replication` }),
        },
        { provider: src },
    );
    s.add(
        aws.iam.RolePolicy,
        "replication-policy",
        {
            role: o.preview ? unknown.string : "replication",
            policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: ["s3:ReplicateObject"], Resource: ["arn:aws:s3:::acme-dst/*"] }],
            }),
        },
        { provider: src, deps: { role: [role] } },
    );

    const crossAccount = destAccount !== A;
    s.add(
        aws.s3.BucketReplicationConfig,
        "replication",
        {
            bucket: srcBucket ? nameOrUnknown("acme-src") : "acme-src",
            role: o.preview ? unknown.string : `arn:aws:iam::${A}:role/replication`,
            rules: [
                {
                    id: "to-dst",
                    priority: 1,
                    status: "Enabled",
                    filter: { prefix: "" },
                    deleteMarkerReplication: { status: "Disabled" },
                    destination: {
                        bucket: o.preview ? unknown.string : "arn:aws:s3:::acme-dst",
                        ...(crossAccount ? { account: destAccount, accessControlTranslation: { owner: "Destination" } } : {}),
                    },
                    ...o.rule,
                },
            ],
        },
        { provider: src, deps: { ...(srcBucket ? { bucket: [srcBucket] } : {}), role: [role], rules: [dstBucket] } },
    );
    return s;
}

async function stack(policy: Policy, resources: readonly HarnessResource[], config?: PackConfig): Promise<Diagnostic[]> {
    return (await analyzeStack([policy], resources, config ? { config } : {})).diagnostics;
}

describe("policy s3-replicated-buckets-hardened", () => {
    it("passes a fully declared pair, with names known and in preview (joined by dependencies)", async () => {
        expect(await stack(hardenedReplicatedBucketsPolicy, pair().resources)).to.deep.equal([]);
        expect(await stack(hardenedReplicatedBucketsPolicy, pair({ preview: true }).resources)).to.deep.equal([]);
    });

    it("reports each missing setting once, at the bucket, naming its role", async () => {
        const d = await stack(hardenedReplicatedBucketsPolicy, pair({ preview: true, omit: ["src-encryption", "dst-ownership"] }).resources);
        expect(d.map(messageOf)).to.deep.equal([
            'bucket "acme-src" (replication source) has no default encryption (aws.s3.BucketServerSideEncryptionConfiguration).',
            'bucket "acme-dst" (replication destination) has no ownership controls (aws.s3.BucketOwnershipControls with BucketOwnerEnforced).',
        ]);
        expect(d[0].urn).to.match(/aws:s3\/bucket:Bucket::src$/);
    });

    it("joins an adopted source (no aws.s3.Bucket) by its name", async () => {
        expect(await stack(hardenedReplicatedBucketsPolicy, pair({ adoptSource: true }).resources)).to.deep.equal([]);
        const d = await stack(hardenedReplicatedBucketsPolicy, pair({ adoptSource: true, omit: ["src-pab"] }).resources);
        expect(d.map(messageOf)).to.deep.equal([
            'bucket "acme-src" (replication source) has no public access block (aws.s3.BucketPublicAccessBlock with all four flags).',
        ]);
        expect(d[0].urn).to.match(/BucketReplicationConfig::replication$/);
    });

    it("does not ask for settings of a destination the program does not declare", async () => {
        const s = pair();
        const resources = s.resources.filter(r => !r.name.startsWith("dst"));
        expect(await stack(hardenedReplicatedBucketsPolicy, resources)).to.deep.equal([]);
    });

    it("leaves a source whose settings another stack declares: marked by its program, or named in config", async () => {
        // A sharded fleet: the source bucket's settings belong to another shard's stack.
        const base = pair({ adoptSource: true, omit: ["src-pab", "src-versioning", "src-encryption", "src-ownership"] });
        expect((await stack(hardenedReplicatedBucketsPolicy, base.resources)).map(messageOf)).to.have.length(4);
        const marked = new StackBuilder();
        const component = marked.add("pulumi-s3-replication:index:BucketReplication", "acme-src", { sourceSettingsElsewhere: true });
        const withParent = base.resources.map(r => (r.name === "replication" ? { ...r, parent: component.urn! } : r));
        expect(await stack(hardenedReplicatedBucketsPolicy, [component, ...withParent])).to.deep.equal([]);
        expect(
            await stack(hardenedReplicatedBucketsPolicy, base.resources, { "s3-replicated-buckets-hardened": { managedElsewhere: ["acme-*"] } }),
        ).to.deep.equal([]);
        // Anything else is still asked for.
        expect(
            await stack(hardenedReplicatedBucketsPolicy, base.resources, { "s3-replicated-buckets-hardened": { managedElsewhere: ["other-*"] } }),
        ).to.have.length(4);
    });

    it("requires a bucket policy when requiredSettings says so", async () => {
        const d = await stack(hardenedReplicatedBucketsPolicy, pair().resources, { "s3-replicated-buckets-hardened": { requiredSettings: ["bucketPolicy"] } });
        expect(d).to.have.length(2);
        expect(messageOf(d[0])).to.contain("bucket policy");
    });
});

describe("policy s3-replication-route-requirements", () => {
    const policy = routeRequirementsPolicy;

    it("passes an enabled cross-Region route inside the allowed Regions", async () => {
        const config: PackConfig = { [policy.name]: { requireCrossRegion: true, allowedRegions: ["us-east-1", "eu-west-1"] } };
        expect(await stack(policy, pair().resources, config)).to.deep.equal([]);
        expect(await stack(policy, pair({ preview: true }).resources, config)).to.deep.equal([]);
    });

    it("fails a configuration with no enabled rule (by default), but not while the status is unknown", async () => {
        const d = await stack(policy, pair({ rule: { status: "Disabled" } }).resources);
        expect(d).to.have.length(1);
        expect(messageOf(d[0])).to.contain("no rule with status Enabled");
        expect(await stack(policy, pair({ rule: { status: unknown.string } }).resources)).to.deep.equal([]);
        expect(await stack(policy, pair({ rule: { status: "Disabled" } }).resources, { [policy.name]: { requireEnabledRule: false } })).to.deep.equal([]);
    });

    it("fails a same-Region destination when cross-Region is required, even in preview", async () => {
        const config: PackConfig = { [policy.name]: { requireCrossRegion: true } };
        const d = await stack(policy, pair({ preview: true, destinationRegion: "us-east-1" }).resources, config);
        expect(d).to.have.length(1);
        expect(messageOf(d[0])).to.contain("same Region (us-east-1");
    });

    it("fails a destination outside the allowed Regions (data residency)", async () => {
        const d = await stack(policy, pair({ destinationRegion: "us-west-2" }).resources, { [policy.name]: { allowedRegions: ["eu-west-1", "eu-central-1"] } });
        expect(d).to.have.length(1);
        expect(messageOf(d[0])).to.contain("in us-west-2").and.contain("not an allowed Region");
    });

    it("for an undeclared destination, uses the Region of its replica key, and cannot tell without one", async () => {
        const withKey = pair({
            rule: {
                sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                destination: { bucket: "arn:aws:s3:::elsewhere", encryptionConfiguration: { replicaKmsKeyId: REPLICA_KEY_EU } },
            },
        });
        const config: PackConfig = { [policy.name]: { allowedRegions: ["us-east-1"] } };
        const d = await stack(policy, withKey.resources, config);
        expect(messageOf(d[0])).to.contain("in eu-west-1 (the Region of its replica KMS key)");
        const noKey = pair({ rule: { destination: { bucket: "arn:aws:s3:::elsewhere" } } });
        expect(await stack(policy, noKey.resources, config)).to.deep.equal([]);
    });
});

describe("policy s3-replication-destinations-consistent", () => {
    const kms = (key: string) => ({
        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
        destination: {
            bucket: "arn:aws:s3:::acme-dst",
            account: B,
            accessControlTranslation: { owner: "Destination" },
            encryptionConfiguration: { replicaKmsKeyId: key },
        },
    });

    it("passes a replica key in the destination's Region", async () => {
        expect(await stack(destinationConsistencyPolicy, pair({ rule: kms(REPLICA_KEY_EU) }).resources)).to.deep.equal([]);
    });

    it("fails a replica key in another Region than the destination, which no single resource can see", async () => {
        const s = pair({ rule: kms(`arn:aws:kms:us-west-2:${B}:key/k`) });
        const d = await stack(destinationConsistencyPolicy, s.resources);
        expect(d.map(messageOf)).to.have.length(1);
        expect(messageOf(d[0])).to.match(/^\[KMS_KEY_REGION_MISMATCH\] .*us-west-2.*eu-west-1/);
        const config = s.resources.find(r => r.name === "replication")!;
        expect((await analyzeResource([replicationWellFormedPolicy], config)).diagnostics).to.deep.equal([]);
    });

    it("fails RTC into a Region without it", async () => {
        const rtc = {
            destination: {
                bucket: "arn:aws:s3:::acme-dst",
                account: B,
                accessControlTranslation: { owner: "Destination" },
                replicationTime: { status: "Enabled", time: { minutes: 15 } },
                metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            },
        };
        const d = await stack(destinationConsistencyPolicy, pair({ destinationRegion: "ap-east-2", rule: rtc }).resources);
        expect(d.map(messageOf).map(m => m.slice(0, 24))).to.deep.equal(["[RTC_UNSUPPORTED_REGION]"]);
    });
});

describe("policy s3-replication-cross-account-ownership", () => {
    it("passes a cross-account rule with the ownership override, and a same-account rule without", async () => {
        expect(await stack(crossAccountOwnershipPolicy, pair().resources)).to.deep.equal([]);
        expect(await stack(crossAccountOwnershipPolicy, pair({ destinationAccount: A }).resources)).to.deep.equal([]);
    });

    it("fails a rule into another account's bucket without it: the account comes from the destination's provider", async () => {
        const noOverride = { destination: { bucket: "arn:aws:s3:::acme-dst" } };
        const d = await stack(crossAccountOwnershipPolicy, pair({ rule: noOverride }).resources);
        expect(d).to.have.length(1);
        expect(messageOf(d[0])).to.contain(`from account ${A}`).and.contain(`in account ${B}`);
        // In preview the destination ARN and the role ARN are unknown: the dependency and the provider still tell.
        const preview = pair({ preview: true, rule: { destination: { bucket: unknown.string } } });
        expect(await stack(crossAccountOwnershipPolicy, preview.resources)).to.have.length(1);
    });
});

describe("policy s3-replication-object-lock-parity", () => {
    it("passes Object Lock on both ends, and none on either", async () => {
        expect(await stack(objectLockParityPolicy, pair({ sourceObjectLock: true, destinationObjectLock: true }).resources)).to.deep.equal([]);
        expect(await stack(objectLockParityPolicy, pair().resources)).to.deep.equal([]);
    });

    it("fails a locked source replicating to an unlocked destination (in preview too)", async () => {
        const d = await stack(objectLockParityPolicy, pair({ preview: true, sourceObjectLock: true }).resources);
        expect(d).to.have.length(1);
        expect(messageOf(d[0])).to.contain('"acme-src" has Object Lock').and.contain('"acme-dst"');
        expect(d[0].urn).to.match(/Bucket::dst$/);
    });
});

describe("policy iam-replication-role-attached-policies", () => {
    const policy = replicationRoleAttachedPoliciesPolicy;

    it("passes an exact RolePolicy on the replication role", async () => {
        expect(await stack(policy, pair().resources)).to.deep.equal([]);
    });

    it("fails a wildcard RolePolicy, found by role name or, in preview, by dependency", async () => {
        const wild = (p: Record<string, unknown>) => ({ ...p, policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) });
        const known = await stack(policy, pair().with("replication-policy", wild));
        expect(known).to.have.length(2);
        expect(messageOf(known[0])).to.contain('aws.iam.RolePolicy "replication-policy" of replication role "replication-role"');
        expect(await stack(policy, pair({ preview: true }).with("replication-policy", wild))).to.have.length(2);
    });

    it("fails an AWS managed policy and a wildcard aws.iam.Policy attached to the role, not one attached elsewhere", async () => {
        const s = pair({ preview: true });
        const role = s.resources.find(r => r.name === "replication-role")!;
        const other = s.add(aws.iam.Role, "lambda-role", {
            name: "lambda",
            assumeRolePolicy: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        });
        const broad = s.add(aws.iam.Policy, "broad", {
            arn: unknown.string,
            policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:Get*", Resource: "arn:aws:s3:::acme-src/*" }] }),
        });
        s.add(
            aws.iam.RolePolicyAttachment,
            "attach-broad",
            { role: unknown.string, policyArn: unknown.string },
            { deps: { role: [role], policyArn: [broad] } },
        );
        s.add(aws.iam.RolePolicyAttachment, "attach-managed", { role: "replication", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" });
        s.add(aws.iam.RolePolicyAttachment, "attach-lambda", { role: "lambda", policyArn: unknown.string }, { deps: { role: [other], policyArn: [broad] } });
        const d = await stack(policy, s.resources);
        expect(d.map(messageOf)).to.have.length(2);
        expect(messageOf(d[0])).to.contain('aws.iam.Policy "broad"').and.contain("s3:Get*");
        expect(messageOf(d[1])).to.contain("AmazonS3FullAccess");
    });
});
