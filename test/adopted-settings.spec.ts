/**
 * Adoption does no silent harm (issue 10.7): an adopted bucket's default encryption, object
 * ownership and public access block are read from AWS and kept unless stack config changes them;
 * every change is named; a change that would cut off access the bucket grants today is refused
 * before anything about the bucket is declared.
 */
import { expect } from "chai";
import { ReplicationFleet } from "../components";
import { AclGrant, ExistingBucketSettings, PUBLIC_ACL_GROUPS, decideAdoptedSettings, newBucketDefaults } from "../components/model";
import { sdkBucketSettingsSource } from "../components/bucket-settings";
import { S3_SDK_CALL, WorldBucket, canonicalIdOf, providerWorld } from "../cli/provider-fixtures";
import { T, byType, runProgram } from "./support/mock-runtime";
import { S3SettingsFake } from "./fakes/s3-settings-fake";

const A = "111111111111";
const B = "222222222222";
const OWNER = canonicalIdOf(A);
const PARTNER = canonicalIdOf("555555555555");
const KEY = `arn:aws:kms:us-east-1:${A}:key/11111111-2222-3333-4444-555555555555`;
const NEW_KEY = `arn:aws:kms:us-east-1:${A}:key/99999999-2222-3333-4444-555555555555`;

const ownerGrant: AclGrant = { grantee: OWNER, granteeType: "CanonicalUser", permission: "FULL_CONTROL" };
const partnerGrant: AclGrant = { grantee: PARTNER, granteeType: "CanonicalUser", permission: "READ" };
const publicRead: AclGrant = { grantee: PUBLIC_ACL_GROUPS[0], granteeType: "Group", permission: "READ" };

/** A bucket from before April 2023, as many adopted ones are: KMS, ObjectWriter, no public access block, a partner's ACL grant. */
const legacy: ExistingBucketSettings = {
    encryption: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY, bucketKeyEnabled: true },
    objectOwnership: "ObjectWriter",
    acl: { ownerId: OWNER, grants: [ownerGrant, partnerGrant] },
};

describe("adopted bucket settings: what is kept, changed or refused", () => {
    it("keep (the default) declares exactly what the bucket has and changes nothing", () => {
        const d = decideAdoptedSettings("old-src", legacy, { mode: "keep" });
        expect(d.encryption).to.deep.equal(legacy.encryption);
        expect(d.objectOwnership).to.equal("ObjectWriter");
        // No public access block on the bucket behaves as all four flags off: declared as such.
        expect(d.publicAccessBlock).to.deep.equal({ blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false });
        expect(d.changes).to.deep.equal([]);
        expect(d.refusals).to.deep.equal([]);
        // No ownership controls at all is ObjectWriter, kept without being called a change.
        const bare = decideAdoptedSettings("b", { ...legacy, objectOwnership: undefined }, { mode: "keep" });
        expect([bare.objectOwnership, bare.changes.length]).to.deep.equal(["ObjectWriter", 0]);
    });

    it("a key named in stack config is applied even under keep, and named as a change", () => {
        const d = decideAdoptedSettings("old-src", legacy, { mode: "keep", kmsKeyArn: NEW_KEY });
        expect(d.encryption).to.deep.equal({ sseAlgorithm: "aws:kms", kmsMasterKeyId: NEW_KEY, bucketKeyEnabled: true });
        expect(d.changes).to.deep.equal([`default encryption: aws:kms ${KEY} (bucket key) -> aws:kms ${NEW_KEY} (bucket key)`]);
    });

    it("harden refuses BucketOwnerEnforced while the ACL grants another account, naming the bucket and the grant", () => {
        const d = decideAdoptedSettings("old-src", legacy, { mode: "harden" });
        expect(d.refusals).to.have.length(1);
        expect(d.refusals[0])
            .to.contain("adopted bucket old-src")
            .and.contain(`READ to ${PARTNER}`)
            .and.contain("InvalidBucketAclWithObjectOwnership")
            .and.contain("buckets.old-src.adoptedSettings: keep");
    });

    it("harden refuses IgnorePublicAcls over a public-read ACL", () => {
        const d = decideAdoptedSettings(
            "site",
            { ...legacy, objectOwnership: "BucketOwnerPreferred", acl: { ownerId: OWNER, grants: [ownerGrant, publicRead] } },
            { mode: "harden" },
        );
        expect(d.refusals.some(r => r.includes("IgnorePublicAcls") && r.includes(PUBLIC_ACL_GROUPS[0]))).to.equal(true);
    });

    it("harden without outside grants: ownership enforced, all four flags, KMS kept (never weakened to SSE-S3), every change named", () => {
        const d = decideAdoptedSettings("quiet", { ...legacy, acl: { ownerId: OWNER, grants: [ownerGrant] } }, { mode: "harden" });
        expect(d.refusals).to.deep.equal([]);
        expect(d.objectOwnership).to.equal("BucketOwnerEnforced");
        expect(d.publicAccessBlock).to.deep.equal({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true });
        expect(d.encryption).to.deep.equal(legacy.encryption);
        expect(d.changes).to.deep.equal(["object ownership: ObjectWriter -> BucketOwnerEnforced", "public access block: none -> all four flags"]);
    });

    it("a bucket S3 creates today is already hardened: neither mode changes anything", () => {
        for (const mode of ["keep", "harden"] as const) {
            const d = decideAdoptedSettings("new", newBucketDefaults(OWNER), { mode });
            expect([d.changes, d.refusals], mode).to.deep.equal([[], []]);
            expect(d.objectOwnership).to.equal("BucketOwnerEnforced");
        }
    });
});

/** One adopted source (old-src in A) replicating to a new bucket in B. */
const rows = [
    {
        source_bucket: "old-src",
        source_account: A,
        source_region: "us-east-1",
        destination_bucket: "new-dst",
        destination_account: B,
        destination_region: "us-west-2",
        create_destination: true,
    },
];

function world(settings: WorldBucket["settings"], extra: Partial<WorldBucket> = {}) {
    return providerWorld({ "old-src": { region: "us-east-1", account: A, settings, ...extra } });
}

const settingsOf = (resources: ReturnType<typeof byType>, bucket: string) => ({
    encryption: resources.find(r => r.type === T.encryption && r.inputs.bucket === bucket)?.inputs.rules,
    ownership: (resources.find(r => r.type === T.ownership && r.inputs.bucket === bucket)?.inputs.rule as { objectOwnership?: string } | undefined)
        ?.objectOwnership,
    block: (() => {
        const p = resources.find(r => r.type === T.pab && r.inputs.bucket === bucket)?.inputs;
        return p && [p.blockPublicAcls, p.ignorePublicAcls, p.blockPublicPolicy, p.restrictPublicBuckets];
    })(),
});

describe("adopted bucket settings in a fleet (offline world)", () => {
    const legacyWorld = { encryption: legacy.encryption, objectOwnership: "ObjectWriter", publicAccessBlock: null, acl: legacy.acl };

    it("keeps what the bucket has: its KMS key, ObjectWriter, no public access block; the fleet reports no change", async () => {
        let fleet!: ReplicationFleet;
        const r = await runProgram(
            () => {
                fleet = new ReplicationFleet("fleet", { routes: rows });
                return { changes: fleet.adoptedSettingChanges };
            },
            { invokes: world(legacyWorld) },
        );
        expect(settingsOf(r.resources, "old-src")).to.deep.equal({
            encryption: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY }, bucketKeyEnabled: true }],
            ownership: "ObjectWriter",
            block: [false, false, false, false],
        });
        expect(r.outputs.changes).to.deep.equal([]);
        // The created destination is hardened as always.
        expect(settingsOf(r.resources, "new-dst").ownership).to.equal("BucketOwnerEnforced");
    });

    it("harden stops the program before anything of the bucket is declared, naming it and the grant", async () => {
        const r = await runProgram(() => new ReplicationFleet("fleet", { routes: rows, adoptedSettings: "harden" }), {
            invokes: world(legacyWorld),
            allowError: true,
        });
        expect(r.error?.message).to.contain("adopted bucket old-src").and.contain(`READ to ${PARTNER}`);
        for (const type of [T.versioning, T.pab, T.ownership, T.encryption, T.policy]) {
            expect(
                r.resources.filter(x => x.type === type && x.inputs.bucket === "old-src"),
                type,
            ).to.deep.equal([]);
        }
    });

    it("harden per bucket (buckets.<name>.adoptedSettings) applies and lists each change", async () => {
        const quiet = { ...legacyWorld, acl: { ownerId: OWNER, grants: [ownerGrant] } };
        const r = await runProgram(
            () => {
                const fleet = new ReplicationFleet("fleet", { routes: rows, buckets: { "old-src": { adoptedSettings: "harden" } } });
                return { changes: fleet.adoptedSettingChanges };
            },
            { invokes: world(quiet) },
        );
        expect(settingsOf(r.resources, "old-src")).to.deep.include({ ownership: "BucketOwnerEnforced", block: [true, true, true, true] });
        expect(r.outputs.changes).to.deep.equal([
            "old-src: object ownership: ObjectWriter -> BucketOwnerEnforced",
            "old-src: public access block: none -> all four flags",
        ]);
    });

    it("a replica key inferred from the routes never changes an adopted destination's encryption", async () => {
        const replicaKey = `arn:aws:kms:us-west-2:${B}:key/aaaaaaaa-2222-3333-4444-555555555555`;
        const r = await runProgram(
            () =>
                new ReplicationFleet("fleet", {
                    routes: [{ ...rows[0], create_destination: false, replicate_kms: true, replica_kms_key: replicaKey, source_kms_key: KEY }],
                }),
            { invokes: providerWorld({ "old-src": { region: "us-east-1", account: A }, "new-dst": { region: "us-west-2", account: B } }) },
        );
        expect(settingsOf(r.resources, "new-dst").encryption).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    });

    it("a setting that cannot be read stops the program with the permission it needs", async () => {
        const r = await runProgram(() => new ReplicationFleet("fleet", { routes: rows }), {
            invokes: world({}, { deniedSettings: ["acl"] }),
            allowError: true,
        });
        expect(r.error?.message).to.contain("old-src").and.contain("s3:GetBucketAcl").and.contain("AccessDenied");
        expect(r.resources.filter(x => x.inputs.bucket === "old-src" && x.type.startsWith("aws:s3/"))).to.deep.equal([]);
    });
});

describe("adopted bucket settings over the wire (@aws-sdk/client-s3 against a loopback S3)", function () {
    this.timeout(30000);
    const buckets: Record<string, WorldBucket> = {
        "old-src": {
            region: "us-east-1",
            account: A,
            settings: {
                encryption: legacy.encryption,
                objectOwnership: "ObjectWriter",
                publicAccessBlock: null,
                acl: { ownerId: OWNER, grants: [ownerGrant, partnerGrant, publicRead] },
            },
        },
        "plain": { region: "us-east-1", account: A, settings: { encryption: null, objectOwnership: null } },
        "locked": { region: "us-east-1", account: A, deniedSettings: ["encryption"] },
    };
    const invokes = providerWorld(buckets);
    const fake = new S3SettingsFake(invokes[S3_SDK_CALL]);
    const saved: Record<string, string | undefined> = {};
    const env = (url: string) => ({
        AWS_ENDPOINT_URL_S3: url,
        AWS_ENDPOINT_URL_STS: url,
        AWS_ACCESS_KEY_ID: "AKIAFAKEDEPLOYER",
        AWS_SECRET_ACCESS_KEY: "fake",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    });

    before(async () => {
        const url = await fake.start();
        for (const [k, v] of Object.entries(env(url))) {
            saved[k] = process.env[k];
            process.env[k] = v;
        }
        for (const k of ["AWS_PROFILE", "AWS_SESSION_TOKEN"]) {
            saved[k] = process.env[k];
            delete process.env[k];
        }
    });
    after(async () => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
        await fake.stop();
    });

    const viaWorld = sdkBucketSettingsSource(async (command, region, access) =>
        invokes[S3_SDK_CALL]({ command: command.constructor.name, input: command.input, region, accountId: access.accountId }),
    );

    it("parses what S3 sends into the same settings the offline world answers, absent configurations included", async () => {
        const sdk = sdkBucketSettingsSource();
        for (const bucket of ["old-src", "plain"]) {
            const wire = await sdk.read(bucket, "us-east-1", { accountId: A, roleArn: `arn:aws:iam::${A}:role/deployer`, externalId: "ext-1" });
            const offline = await viaWorld.read(bucket, "us-east-1", { accountId: A });
            expect(wire, bucket).to.deep.equal(offline);
        }
        const wire = await sdk.read("old-src", "us-east-1", { accountId: A, roleArn: `arn:aws:iam::${A}:role/deployer`, externalId: "ext-1" });
        expect(wire).to.deep.equal({
            encryption: legacy.encryption,
            objectOwnership: "ObjectWriter",
            acl: { ownerId: OWNER, grants: [ownerGrant, partnerGrant, publicRead] },
        });
        const plain = await sdk.read("plain", "us-east-1", { accountId: A, roleArn: `arn:aws:iam::${A}:role/deployer`, externalId: "ext-1" });
        expect([plain.encryption, plain.objectOwnership]).to.deep.equal([undefined, undefined]);
    });

    it("reads as the account's deployer role (AssumeRole with its external id), with the account as expected owner", () => {
        const assumed = fake.requests.filter(r => r.operation === "AssumeRole");
        expect(assumed.length).to.be.greaterThan(0);
        expect(assumed[0].params).to.include({ RoleArn: `arn:aws:iam::${A}:role/deployer`, ExternalId: "ext-1" });
        for (const r of fake.requests.filter(x => x.operation !== "AssumeRole")) {
            expect(r.accessKey).to.equal(`ASIAFAKE${A}`);
            expect(r.expectedBucketOwner).to.equal(A);
        }
    });

    it("a denied read or a bucket of another account fails with the S3 error code and the permission needed", async () => {
        const sdk = sdkBucketSettingsSource();
        const failure = (bucket: string, account: string) =>
            sdk.read(bucket, "us-east-1", { accountId: account }).then(
                () => "read",
                (e: Error) => e.message,
            );
        expect(await failure("locked", A))
            .to.contain("AccessDenied")
            .and.contain("s3:GetEncryptionConfiguration")
            .and.contain("locked");
        expect(await failure("old-src", B)).to.contain("AccessDenied");
        expect(await failure("missing", A)).to.contain("NoSuchBucket");
    });
});
