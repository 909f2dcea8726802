/**
 * The stacks program as `pulumi preview` / `pulumi up` run it: started through
 * @pulumi/pulumi/cmd/run with the cwd, arguments and environment the nodejs language host uses for
 * this Pulumi.yaml, against a loopback engine (test/support/engine) that answers like the real one.
 * Mocks answer the way the code expects; these tests are where that assumption is checked.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OFFLINE_INVOKES } from "../cli/provider-fixtures";
import { readStackFile } from "../components/manifest/stack-file";
import { syntheticRoutes } from "../bench/fleet-fixture";
import { EngineRun, projectLaunch, runUnderEngine } from "./support/engine/launch";
import { UNKNOWN } from "./support/engine/wire";
import { runStackUnderMocks } from "./support/mock-runtime";

const ROOT = path.join(__dirname, "..");
const NS = "pulumi-s3-replication";
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { main: string };

function run(stack: string, preview: boolean, extra: Partial<Parameters<typeof runUnderEngine>[0]> = {}): Promise<EngineRun> {
    return runUnderEngine({ rootDirectory: ROOT, stack, config: readStackFile(stack).pulumiConfig, preview, invokes: OFFLINE_INVOKES, ...extra });
}

const custom = (r: EngineRun) => r.engine.resources.filter(x => x.custom);

/** A resource's identity and inputs, comparable between the engine and the mock runtime. */
const canonical = (urn: string, inputs: Record<string, unknown>) => `${urn} ${JSON.stringify(sortKeys(inputs))}`;
function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === "object")
        return Object.fromEntries(
            Object.keys(v as object)
                .sort()
                .map(k => [k, sortKeys((v as Record<string, unknown>)[k])]),
        );
    return v;
}

describe("the stacks program under the Pulumi CLI's launcher and a loopback engine", function () {
    this.timeout(180_000);

    before(() => {
        // `npm run build` (also run by npm pack and on install) writes bin/, and package.json's `main`
        // is the plugin entry; the launcher must still run the stacks program (Pulumi.yaml `main`).
        if (!fs.existsSync(path.join(ROOT, pkg.main))) {
            const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: ROOT, encoding: "utf8" });
            expect(build.status, build.stderr + build.stdout).to.equal(0);
        }
        expect(fs.existsSync(path.join(ROOT, pkg.main)), `${pkg.main} exists`).to.equal(true);
    });

    it("is launched as the language host launches Pulumi.yaml's main: program directory stacks/, entry index.ts", () => {
        const launch = projectLaunch(ROOT);
        expect(launch.programDirectory).to.equal(path.join(ROOT, "stacks"));
        expect(launch.entryPoint).to.equal("index.ts");
        expect(launch.typescript).to.equal(true);
        // run.js looks for tsconfig.json in the program directory only.
        expect(fs.existsSync(path.join(launch.programDirectory, "tsconfig.json"))).to.equal(true);
        expect(launch.runPath).to.equal(require.resolve("@pulumi/pulumi/cmd/run"));
    });

    for (const stack of ["dev", "prod"]) {
        describe(`stack ${stack}`, () => {
            let preview: EngineRun;
            let update: EngineRun;
            before(async () => {
                preview = await run(stack, true);
                update = await run(stack, false);
            });

            it("previews and updates without an error, after `npm run build` too", () => {
                for (const r of [preview, update]) {
                    expect(r.errors, r.errors.join("\n")).to.deep.equal([]);
                    expect(r.exitCode).to.equal(0);
                    expect(r.engine.failedSteps).to.deep.equal([]);
                    expect(custom(r).length).to.be.greaterThan(20);
                }
            });

            it("registers the same graph as under mocks, and the same in preview as in update", async () => {
                const mocked = await runStackUnderMocks(stack);
                expect(mocked.error, mocked.error?.message).to.equal(undefined);
                const fromMocks = mocked.resources.map(r => canonical(r.urn, r.inputs)).sort();
                const fromEngine = update.engine.resources
                    .filter(r => r.type !== "pulumi:pulumi:Stack")
                    .map(r => canonical(r.urn, r.inputs))
                    .sort();
                expect(fromEngine).to.deep.equal(fromMocks);
                expect(preview.engine.resources.map(r => r.urn).sort()).to.deep.equal(update.engine.resources.map(r => r.urn).sort());
                expect(Object.keys(update.engine.stackOutputs).sort()).to.deep.equal([
                    "adoptedSettingChanges",
                    "buckets",
                    "replicationRoles",
                    "routes",
                    "warnings",
                ]);
            });

            it("runs one provider (one plugin process) per account, with every regional resource naming its Region", () => {
                const providers = update.engine.resources.filter(r => r.type === "pulumi:providers:aws");
                const accounts = new Set(
                    custom(update)
                        .filter(r => !r.type.startsWith("pulumi:providers:") && r.account)
                        .map(r => r.account),
                );
                expect(providers.length).to.equal(accounts.size);
                for (const r of custom(update).filter(x => x.type.startsWith("aws:s3/") || x.type.startsWith("aws:kms/"))) {
                    expect(r.inputs.region, r.urn).to.be.a("string");
                }
            });

            it("answers every invoke from provider-faithful fixtures, and adopted buckets are established before they are read", () => {
                const tokens = update.engine.invokes.map(i => i.token);
                for (const i of update.engine.invokes) expect(i.providerRef, i.token).to.be.a("string");
                const adopted = new Set(update.engine.invokes.filter(i => i.token === "aws:s3/getBucketPolicy:getBucketPolicy").map(i => i.args.bucket));
                for (const bucket of adopted) {
                    const first = (t: string) => update.engine.invokes.findIndex(i => i.token === t && i.args.bucket === bucket);
                    expect(first("aws:s3/getBucket:getBucket"), String(bucket)).to.be.within(0, first("aws:s3/getBucketPolicy:getBucketPolicy"));
                }
                if (stack === "prod") expect(tokens).to.include("aws:s3/getBucketReplicationConfiguration:getBucketReplicationConfiguration");
            });

            it("reads each adopted bucket's settings with the AWS SDK, as the account's deployer role, owner checked", () => {
                const adopted = [
                    ...new Set(update.engine.invokes.filter(i => i.token === "aws:s3/getBucketPolicy:getBucketPolicy").map(i => String(i.args.bucket))),
                ].sort();
                const reads = update.awsRequests.filter(r => r.operation !== "AssumeRole");
                expect([...new Set(reads.map(r => r.bucket))].sort()).to.deep.equal(adopted);
                for (const bucket of adopted) {
                    expect(
                        reads
                            .filter(r => r.bucket === bucket)
                            .map(r => r.operation)
                            .sort(),
                        bucket,
                    ).to.deep.equal(["GetBucketAclCommand", "GetBucketEncryptionCommand", "GetBucketOwnershipControlsCommand", "GetPublicAccessBlockCommand"]);
                }
                // Through the role stack config names for the bucket's account, with that account as expected owner.
                for (const r of reads) expect(r.accessKey, r.bucket).to.equal(`ASIAFAKE${r.expectedBucketOwner}`);
                const assumed = update.awsRequests.filter(r => r.operation === "AssumeRole").map(r => r.params?.RoleArn);
                if (stack === "prod") expect(assumed).to.include("arn:aws:iam::111111111111:role/pulumi-deployer");
                // Offline, adopted buckets have what S3 gives a new bucket: only the source keys the
                // prod manifest names for its sources change anything, and each change is listed.
                const keyed = stack === "prod" ? ["acme-prod-customer-docs", "acme-prod-orders"] : [];
                expect((update.engine.stackOutputs.adoptedSettingChanges as string[]).map(c => c.split(":")[0])).to.deep.equal(keyed);
                for (const c of update.engine.stackOutputs.adoptedSettingChanges as string[])
                    expect(c).to.match(/: default encryption: AES256 -> aws:kms arn:aws:kms:us-east-1:111111111111:key\/[0-9a-f-]+ \(bucket key\)$/);
            });
        });
    }

    it("keeps an external id given as a secret secret in the provider's inputs", async () => {
        const config = { ...readStackFile("prod").pulumiConfig };
        const accounts = JSON.parse(config[`${NS}:accounts`]) as Record<string, Record<string, string>>;
        accounts.prod.externalId = "s3cr3t-external-id";
        config[`${NS}:accounts`] = JSON.stringify(accounts);
        const r = await runUnderEngine({ rootDirectory: ROOT, stack: "prod", config, secretKeys: [`${NS}:accounts`], preview: true, invokes: OFFLINE_INVOKES });
        expect(r.errors, r.errors.join("\n")).to.deep.equal([]);
        const provider = r.engine.resources.find(x => x.name === "aws-111111111111")!;
        expect(provider.secretInputs).to.include("assumeRoles");
        // And nowhere in the clear: no recorded input outside a secret carries it.
        const plain = r.engine.resources.filter(x => JSON.stringify(x.inputs).includes("s3cr3t-external-id"));
        for (const x of plain) expect(x.secretInputs.length, x.urn).to.be.greaterThan(0);
    });

    it("never waits on a registration it does not depend on: a fleet of 205 sources is not deployed batch by batch", async () => {
        // Under the engine a registration returns only once its resource exists. The engine here
        // holds back one source bucket's versioning until the program goes quiet: by then every
        // resource that does not depend on it must have been sent. (The fleet used to await each
        // batch of 200 sources; 160 resources of the second batch then arrived only after the release.)
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3r-engine-"));
        const manifest = path.join(dir, "fleet.json");
        fs.writeFileSync(manifest, JSON.stringify({ routes: syntheticRoutes({ routes: 205, sourceAccounts: 1 }) }));
        const config = {
            ...readStackFile("dev").pulumiConfig,
            [`${NS}:manifest`]: manifest,
            [`${NS}:accounts`]: "{}",
            [`${NS}:defaults`]: JSON.stringify({ create_source: true }),
        };
        const r = await runUnderEngine({
            rootDirectory: ROOT,
            stack: "dev",
            config,
            preview: true,
            invokes: OFFLINE_INVOKES,
            // Quiet for 6 s: on a loaded 2-core machine the program can stall for seconds between registrations.
            hold: { match: type => type === "aws:s3/bucketVersioning:BucketVersioning", quietMs: 6000 },
        });
        expect(r.errors, r.errors.join("\n")).to.deep.equal([]);
        const held = r.engine.held!;
        expect(held.releasedMs).to.be.greaterThan(0);
        const late = r.engine.resources.filter(x => x.arrivedMs >= held.releasedMs);
        const independent = late.filter(x => !r.engine.dependsOn(x.urn, held.urn)).map(x => x.urn);
        expect(independent, "registered only after an unrelated resource was created").to.deep.equal([]);
        expect(r.engine.resources.length).to.be.greaterThan(205 * 12);
        // One provider per account: the sources' and the destinations'.
        expect(
            r.engine.resources
                .filter(x => x.type === "pulumi:providers:aws")
                .map(x => x.name)
                .sort(),
        ).to.deep.equal(["aws-100000000000", "aws-999999999999"]);
        // Computed values stay unknown in a preview, as the engine leaves them.
        const role = custom(r).find(x => x.type === "aws:iam/role:Role")!;
        expect(role.outputs.arn).to.equal(UNKNOWN);
    });
});
