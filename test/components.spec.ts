import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { AccountProviders, BucketReplication, HardenedBucket, ReplicationFleet, ReplicationRole } from "../components";
import { RecordedResource, T, byType, runProgram, runStackUnderMocks } from "./support/mock-runtime";
import { identityPriority, roleNameForSource } from "../components/model";
import { OFFLINE_INVOKES } from "../cli/plan-command";

const PROD = "111111111111";
const DR = "222222222222";
const PROD_KEY = `arn:aws:kms:us-east-1:${PROD}:key/0f0e0d0c-1111-2222-3333-444455556666`;
const DR_KEY = `arn:aws:kms:us-west-2:${DR}:key/9a9b9c9d-1111-2222-3333-444455556666`;
/** The fleet's role for acme-prod-data: the account's role slot the bucket's name hashes to. */
const ROLE_NAME = roleNameForSource(PROD, "acme-prod-data");
const ROLE_ARN = `arn:aws:iam::${PROD}:role/s3-replication/${ROLE_NAME}`;

/** Adopted buckets read their current policy; these have none. */
const NO_EXISTING_POLICY = OFFLINE_INVOKES;

const policyOf = (r: RecordedResource) => JSON.parse(String(r.inputs.policy));

describe("mock-runtime recorder", () => {
    it("records provider, account and Region of every resource, and refuses unmocked invokes", async () => {
        const result = await runProgram(
            () => {
                const p = new AccountProviders("p", { targets: [{ account: PROD, region: "eu-west-1" }] });
                new HardenedBucket("b", { bucketName: "recorder-bucket", accountId: PROD, region: "eu-west-1" }, { provider: p.get(PROD) });
                return pulumi.output(pulumi.runtime.invoke("aws:s3/getBucketPolicy:getBucketPolicy", { bucket: "x" }));
            },
            { allowError: true, invokes: { "aws:s3/getBuckets:getBuckets": OFFLINE_INVOKES["aws:s3/getBuckets:getBuckets"] } },
        );
        expect(result.error?.message).to.match(/unmocked invoke aws:s3\/getBucketPolicy/);
        const bucket = byType(result.resources, T.bucket)[0];
        expect(bucket.account).to.equal(PROD);
        expect(bucket.region).to.equal("eu-west-1");
        expect(result.resources.find(r => r.urn === bucket.parent)?.type).to.equal("pulumi-s3-replication:index:HardenedBucket");
    });
});

describe("ReplicationFleet: cross-account, cross-Region route with SSE-KMS", () => {
    let resources: RecordedResource[];
    before(async () => {
        const result = await runProgram(() => {
            const fleet = new ReplicationFleet("dr", {
                accounts: {
                    prod: { id: PROD, roleArn: `arn:aws:iam::${PROD}:role/deployer` },
                    dr: { id: DR, roleArn: `arn:aws:iam::${DR}:role/deployer` },
                },
                routes: [
                    {
                        source_bucket: "acme-prod-data",
                        source_account: "prod",
                        source_region: "us-east-1",
                        destination_bucket: "acme-dr-data",
                        destination_account: "dr",
                        destination_region: "us-west-2",
                        source_kms_key: PROD_KEY,
                        replica_kms_key: DR_KEY,
                        storage_class: "STANDARD_IA",
                        rtc: true,
                        create_source: true,
                        create_destination: true,
                    },
                ],
            });
            return { routes: fleet.routes };
        });
        resources = result.resources.filter(r => r.custom);
    });

    const on = (account: string, region: string) =>
        resources.filter(r => r.account === account && r.region === region && !r.type.startsWith("pulumi:providers:"));

    it("registers exactly one pinned provider per account, and every regional resource names its Region", () => {
        const providers = byType(resources, T.provider);
        expect(providers.map(p => p.name).sort()).to.deep.equal([`aws-${PROD}`, `aws-${DR}`]);
        // The provider's own Region serves IAM and STS: the partition's home Region unless config says otherwise.
        expect(providers.map(p => p.inputs.region)).to.deep.equal(["us-east-1", "us-east-1"]);
        for (const r of resources.filter(x => x.type.startsWith("aws:s3/") || x.type.startsWith("aws:kms/"))) {
            expect(r.inputs.region, r.urn).to.be.a("string").and.equal(r.region);
        }
        for (const r of resources.filter(x => x.type.startsWith("aws:iam/"))) expect(r.inputs.region, r.urn).to.equal(undefined);
        for (const p of providers) {
            const account = p.name.split("-")[1];
            expect(JSON.parse(String(p.inputs.allowedAccountIds))).to.deep.equal([account]);
            expect(JSON.parse(String(p.inputs.assumeRoles))[0].roleArn).to.equal(`arn:aws:iam::${account}:role/deployer`);
            expect(JSON.parse(String(p.inputs.defaultTags)).tags["managed-by"]).to.equal("pulumi-s3-replication");
        }
    });

    it("puts the exact resource set on each account and Region", () => {
        expect(
            on(PROD, "global")
                .map(r => `${r.type} ${r.name}`)
                .sort(),
        ).to.deep.equal([`${T.role} ${PROD}-${ROLE_NAME}`, `${T.rolePolicy} ${PROD}-${ROLE_NAME}-policy`].sort());
        expect(
            on(PROD, "us-east-1")
                .map(r => `${r.type} ${r.name}`)
                .sort(),
        ).to.deep.equal(
            [
                `${T.bucket} acme-prod-data`,
                `${T.ownership} acme-prod-data-ownership`,
                `${T.policy} acme-prod-data-policy`,
                `${T.pab} acme-prod-data-public-access-block`,
                `${T.replication} acme-prod-data-replication`,
                `${T.encryption} acme-prod-data-encryption`,
                `${T.versioning} acme-prod-data-versioning`,
                // Monitoring in the source's account and Region: failures are published there.
                "aws:sns/topic:Topic alerts-111111111111-us-east-1",
                "aws:sns/topicPolicy:TopicPolicy alerts-111111111111-us-east-1-policy",
                "aws:cloudwatch/metricAlarm:MetricAlarm alarm-failed-acme-prod-data-to-acme-dr-data",
                "aws:cloudwatch/metricAlarm:MetricAlarm alarm-any-route-failed-111111111111-us-east-1",
                "aws:cloudwatch/dashboard:Dashboard dashboard-111111111111-us-east-1",
                "aws:s3/bucketNotification:BucketNotification acme-prod-data-failure-events",
            ].sort(),
        );
        // Latency is published in the destination's Region: its alarm and topic are there, in the source account.
        expect(
            on(PROD, "us-west-2")
                .map(r => `${r.type} ${r.name}`)
                .sort(),
        ).to.deep.equal(
            [
                "aws:cloudwatch/metricAlarm:MetricAlarm alarm-latency-acme-prod-data-to-acme-dr-data",
                "aws:sns/topic:Topic alerts-111111111111-us-west-2",
                "aws:sns/topicPolicy:TopicPolicy alerts-111111111111-us-west-2-policy",
            ].sort(),
        );
        expect(
            on(DR, "us-west-2")
                .map(r => `${r.type} ${r.name}`)
                .sort(),
        ).to.deep.equal(
            [
                `${T.kmsGrant} kms-grant-${ROLE_NAME}-${require("../components/model").shortHash(DR_KEY)}`,
                `${T.bucket} acme-dr-data`,
                `${T.ownership} acme-dr-data-ownership`,
                `${T.policy} acme-dr-data-policy`,
                `${T.pab} acme-dr-data-public-access-block`,
                `${T.encryption} acme-dr-data-encryption`,
                `${T.versioning} acme-dr-data-versioning`,
            ].sort(),
        );
        expect(resources.filter(r => !r.type.startsWith("pulumi:providers:") && (!r.account || !r.region))).to.deep.equal([]);
    });

    it("hardens every bucket: versioning, four PAB flags, BucketOwnerEnforced, KMS with bucket key, TLS deny", () => {
        for (const name of ["acme-prod-data", "acme-dr-data"]) {
            const key = name === "acme-prod-data" ? PROD_KEY : DR_KEY;
            const of = (type: string) => resources.filter(r => r.type === type && r.inputs.bucket === name);
            expect(of(T.versioning)[0].inputs.versioningConfiguration).to.deep.equal({ status: "Enabled" });
            expect(of(T.pab)[0].inputs).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
            expect(of(T.ownership)[0].inputs.rule).to.deep.equal({ objectOwnership: "BucketOwnerEnforced" });
            expect(of(T.encryption)[0].inputs.rules).to.deep.equal([
                { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key }, bucketKeyEnabled: true },
            ]);
            const deny = policyOf(of(T.policy)[0]).Statement[0];
            expect(deny).to.deep.equal({
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            });
            const bucket = of(T.bucket)[0];
            expect(bucket.inputs.forceDestroy).to.equal(false);
            expect(bucket.retainOnDelete).to.equal(true);
        }
    });

    it("renders the replication rule in the V2 schema with ownership override, KMS and RTC", () => {
        const config = byType(resources, T.replication)[0];
        expect(config.inputs.bucket).to.equal("acme-prod-data");
        expect(config.inputs.role).to.equal(ROLE_ARN);
        expect(config.inputs.rules).to.deep.equal([
            {
                id: "to-acme-dr-data",
                // From the route's identity: no filter (specificity 0), then the hash of its key.
                priority: identityPriority("acme-prod-data->acme-dr-data", "", {}),
                status: "Enabled",
                filter: { prefix: "" },
                deleteMarkerReplication: { status: "Disabled" },
                destination: {
                    bucket: "arn:aws:s3:::acme-dr-data",
                    storageClass: "STANDARD_IA",
                    account: DR,
                    accessControlTranslation: { owner: "Destination" },
                    encryptionConfiguration: { replicaKmsKeyId: DR_KEY },
                    replicationTime: { status: "Enabled", time: { minutes: 15 } },
                    metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
                },
                sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            },
        ]);
    });

    it("waits for both versionings, the role, the destination policy and the KMS grant", () => {
        const config = byType(resources, T.replication)[0];
        const urnOf = (type: string, name: string) => resources.find(r => r.type === type && r.name === name)!.urn;
        const roleComponent = `pulumi-s3-replication:index:ReplicationRole`;
        expect(config.dependencies).to.include.members([
            urnOf(T.versioning, "acme-prod-data-versioning"),
            urnOf(T.versioning, "acme-dr-data-versioning"),
            urnOf(T.policy, "acme-dr-data-policy"),
            byType(resources, T.kmsGrant)[0].urn,
        ]);
        expect(config.dependencies.some(u => u.includes(roleComponent))).to.equal(true);
    });

    it("gives the role exactly the replication actions on exact ARNs, KMS scoped by ViaService", () => {
        const role = byType(resources, T.role)[0];
        expect(role.inputs.name).to.equal(ROLE_NAME);
        const trust = policyOf({ ...role, inputs: { policy: role.inputs.assumeRolePolicy } } as RecordedResource);
        // As the S3 User Guide documents it, and no Batch Operations: no route of this role backfills.
        expect(trust.Statement).to.deep.equal([
            {
                Sid: "S3Replication",
                Effect: "Allow",
                Principal: { Service: "s3.amazonaws.com" },
                Action: "sts:AssumeRole",
            },
        ]);
        const doc = policyOf(byType(resources, T.rolePolicy)[0]);
        const grants = doc.Statement.map((s: { Action: string[]; Resource: string[] }) => [s.Action.join(","), s.Resource.join(",")]);
        expect(grants).to.deep.equal([
            ["s3:GetReplicationConfiguration,s3:ListBucket", "arn:aws:s3:::acme-prod-data"],
            ["s3:GetObjectVersionAcl,s3:GetObjectVersionForReplication,s3:GetObjectVersionTagging", "arn:aws:s3:::acme-prod-data/*"],
            ["kms:Decrypt", PROD_KEY],
            ["s3:ReplicateDelete,s3:ReplicateObject,s3:ReplicateTags", "arn:aws:s3:::acme-dr-data/*"],
            ["s3:ObjectOwnerOverrideToBucketOwner", "arn:aws:s3:::acme-dr-data/*"],
            ["kms:Decrypt,kms:Encrypt,kms:GenerateDataKey", DR_KEY],
        ]);
        const kms = doc.Statement.filter((s: { Action: string[] }) => s.Action[0].startsWith("kms:"));
        expect(kms.map((s: { Condition: { StringEquals: Record<string, string> } }) => s.Condition.StringEquals["kms:ViaService"])).to.deep.equal([
            "s3.us-east-1.amazonaws.com",
            "s3.us-west-2.amazonaws.com",
        ]);
        const all = JSON.stringify(doc);
        expect(all).not.to.match(/"\*"|"s3:\*"|"kms:\*"/);
    });

    it("lets the source account's replication roles (by path) replicate objects into the destination, nothing on the bucket", () => {
        const policy = policyOf(resources.find(r => r.type === T.policy && r.inputs.bucket === "acme-dr-data")!);
        const allows = policy.Statement.filter((s: { Effect: string }) => s.Effect === "Allow");
        expect(allows.map((s: { Principal: { AWS: string[] } }) => s.Principal.AWS)).to.deep.equal([
            [`arn:aws:iam::${PROD}:root`],
            [`arn:aws:iam::${PROD}:root`],
        ]);
        expect(allows.map((s: { Condition: unknown }) => s.Condition)).to.deep.equal(
            [0, 1].map(() => ({ ArnLike: { "aws:PrincipalArn": [`arn:aws:iam::${PROD}:role/s3-replication/*`] } })),
        );
        expect(allows.map((s: { Action: string[] }) => s.Action)).to.deep.equal([
            ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
            ["s3:ObjectOwnerOverrideToBucketOwner"],
        ]);
        expect(allows.map((s: { Resource: string }) => s.Resource)).to.deep.equal(["arn:aws:s3:::acme-dr-data/*", "arn:aws:s3:::acme-dr-data/*"]);
        const source = policyOf(resources.find(r => r.type === T.policy && r.inputs.bucket === "acme-prod-data")!);
        expect(source.Statement).to.have.length(1);
    });

    it("registers the destination policy without waiting for the role: the grant names the account", () => {
        const policy = resources.find(r => r.type === T.policy && r.inputs.bucket === "acme-dr-data")!;
        const roleUrns = resources.filter(r => r.type === T.role || r.type === "pulumi-s3-replication:index:ReplicationRole").map(r => r.urn);
        expect(policy.dependencies.filter(u => roleUrns.includes(u))).to.deep.equal([]);
    });

    it("lets the source role use the cross-account replica key through a KMS grant, Decrypt included for the S3 Bucket Key", () => {
        const grant = byType(resources, T.kmsGrant)[0];
        expect(grant.inputs).to.include({ keyId: DR_KEY, granteePrincipal: ROLE_ARN });
        expect(grant.inputs.operations).to.deep.equal(["Decrypt", "Encrypt", "GenerateDataKey"]);
    });
});

describe("ReplicationFleet: one source to two destinations", () => {
    it("registers one configuration with two rules and distinct priorities", async () => {
        const { resources } = await runProgram(
            () =>
                new ReplicationFleet("f", {
                    routes: [
                        {
                            source_bucket: "one-source",
                            source_account: PROD,
                            source_region: "us-east-1",
                            destination_bucket: "copy-east-2",
                            destination_region: "us-east-2",
                            create_destination: true,
                        },
                        {
                            source_bucket: "one-source",
                            source_account: PROD,
                            source_region: "us-east-1",
                            destination_bucket: "copy-west-2",
                            destination_region: "us-west-2",
                            destination_account: DR,
                            create_destination: true,
                        },
                    ],
                }),
            { invokes: NO_EXISTING_POLICY },
        );
        const configs = byType(resources, T.replication);
        expect(configs).to.have.length(1);
        const rules = configs[0].inputs.rules as Array<{ priority: number; destination: { bucket: string } }>;
        expect(rules.map(r => r.destination.bucket).sort()).to.deep.equal(["arn:aws:s3:::copy-east-2", "arn:aws:s3:::copy-west-2"]);
        expect(new Set(rules.map(r => r.priority)).size).to.equal(2);
        // One provider per account, whatever the Regions.
        expect(byType(resources, T.provider)).to.have.length(2);
    });
});

describe("invalid arguments", () => {
    it("ReplicationFleet names every bad field in one RunError and registers nothing", async () => {
        const result = await runProgram(
            () =>
                new ReplicationFleet("bad", {
                    routes: [
                        {
                            sourceBucket: "Not_A_Bucket",
                            sourceAccount: "12345",
                            sourceRegion: "us-middle-1",
                            destinationBucket: "ok-destination",
                            destinationRegion: "eu-west-1",
                            storageClass: "FROZEN",
                        },
                    ],
                }),
            { allowError: true },
        );
        expect(result.error).to.be.instanceOf(pulumi.RunError);
        const message = result.error!.message;
        for (const field of ["routes[0].sourceBucket", "routes[0].sourceAccount", "routes[0].sourceRegion", "routes[0].storageClass"]) {
            expect(message).to.include(field);
        }
        expect(message).to.include("INVALID_BUCKET_NAME").and.include("INVALID_ACCOUNT").and.include("INVALID_REGION").and.include("INVALID_STORAGE_CLASS");
        expect(result.resources).to.deep.equal([]);
    });

    it("HardenedBucket, ReplicationRole, BucketReplication and AccountProviders refuse bad args before registering", async () => {
        const cases: Array<[string, () => unknown, string[]]> = [
            [
                "HardenedBucket",
                () => new HardenedBucket("h", { bucketName: "xn--bad", accountId: "abc", region: "mars-1", kmsKeyArn: "my-key" }),
                ["bucketName", "accountId", "region", "kmsKeyArn"],
            ],
            [
                "HardenedBucket",
                // A grant to a malformed account, and one to the bucket's own account (which needs none).
                () =>
                    new HardenedBucket("g", {
                        bucketName: "grants-bucket",
                        accountId: PROD,
                        region: "us-east-1",
                        replicationSources: [{ account: "12345" }, { account: PROD }],
                    }),
                ["replicationSources[0].account", "replicationSources[1].account"],
            ],
            [
                "HardenedBucket",
                // Adopted without managing its policy: the grants would be dropped, so they are refused.
                () =>
                    new HardenedBucket("a", {
                        bucketName: "adopted-bucket",
                        accountId: PROD,
                        region: "us-east-1",
                        adopt: true,
                        replicationSources: [{ account: "222222222222" }],
                    }),
                ["replicationSources", "managePolicy"],
            ],
            [
                "ReplicationRole",
                () =>
                    new ReplicationRole("r", {
                        accountId: "1",
                        region: "us-east-1",
                        grants: [
                            {
                                bucket: "UPPER",
                                region: "us-east-1",
                                objectLock: false,
                                sourceKmsKeys: [],
                                destinations: [{ bucket: "a..b", region: "us-east-1", ownerOverride: false }],
                            },
                        ],
                    }),
                ["accountId", "grants[0].bucket", "grants[0].destinations[0].bucket"],
            ],
            [
                "BucketReplication",
                () =>
                    new BucketReplication("br", {
                        sourceBucket: "src-bucket",
                        sourceAccount: PROD,
                        sourceRegion: "us-east-1",
                        roleArn: ROLE_ARN,
                        destinations: [{ bucket: "dst-bucket", region: "nowhere-1", storageClass: "EXPRESS_ONEZONE" }],
                    }),
                ["destinations[0].region", "destinations[0].storageClass"],
            ],
            [
                "AccountProviders",
                () =>
                    new AccountProviders("ap", {
                        targets: [
                            { account: "12", region: "us-east-1" },
                            { account: PROD, region: "moon-1" },
                        ],
                    }),
                ["targets[0].account", "targets[1].region"],
            ],
        ];
        for (const [what, make, fields] of cases) {
            const result = await runProgram(make, { allowError: true });
            expect(result.error, what).to.be.instanceOf(pulumi.RunError);
            for (const f of fields) expect(result.error!.message, `${what} names ${f}`).to.include(f);
            expect(result.resources, what).to.deep.equal([]);
        }
    });
});

describe("example stacks", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack} runs under mocks with every bucket hardened and every route replicated`, async () => {
            const result = await runStackUnderMocks(stack);
            expect(result.error, result.error?.message).to.equal(undefined);
            const routes = result.outputs.routes as Array<{ source: string; destination: string }>;
            expect(routes.length).to.be.greaterThan(0);
            const buckets = byType(result.resources, T.bucket).map(b => b.inputs.bucket);
            const versioned = byType(result.resources, T.versioning).map(v => v.inputs.bucket);
            for (const b of buckets) expect(versioned).to.include(b);
            const ruleTargets = byType(result.resources, T.replication).flatMap(c =>
                (c.inputs.rules as Array<{ destination: { bucket: string } }>).map(r => r.destination.bucket),
            );
            for (const r of routes) expect(ruleTargets).to.include(`arn:aws:s3:::${r.destination}`);
        });
    }
});
