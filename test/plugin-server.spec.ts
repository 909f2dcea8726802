/**
 * The package as a Pulumi plugin, through its gRPC server as the engine talks to it: started by
 * @pulumi/pulumi/cmd/run-plugin the way the nodejs language host's RunPlugin starts it. GetSchema
 * (what `pulumi package add` generates SDKs from), Construct failures, and the backfill job's
 * Check, Diff, Create, Read, Update and Delete against the loopback S3 Control fake, with the
 * job's exactly-once token and its secret external id.
 */
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { deriveClientRequestToken } from "../components/model/batch-job";
import type { BatchReplicationJobInputs } from "../components/batch-replication-job";
import { OFFLINE_INVOKES } from "../cli/provider-fixtures";
import { ROOT, ensureBuilt } from "./support/build";
import { LoopbackEngine } from "./support/engine/monitor";
import { S3ControlFake } from "./fakes/s3-control-fake";
import { PluginProcess, SchemaProperty, call, configure, construct, getSchema, plain, provproto, startPlugin, struct } from "./support/plugin";

const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const JOB_TYPE = "pulumi-s3-replication:index:BatchReplicationJob";
const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });

describe("the plugin's gRPC server, started as the language host starts it", function () {
    this.timeout(90_000);
    let engine: LoopbackEngine;
    let plugin: PluginProcess;
    const fake = new S3ControlFake({ accountIds: [ACCOUNT] });

    before(async () => {
        await ensureBuilt();
        await fake.start();
        engine = new LoopbackEngine({ project: "plugin-test", stack: "dev", preview: false, invokes: OFFLINE_INVOKES });
        await engine.start();
        // The job's provider uses the SDK's default credential chain unless its inputs say otherwise.
        plugin = await startPlugin(ROOT, engine.engineAddress, {
            AWS_ACCESS_KEY_ID: "AKIDPLUGINDEFAULT",
            AWS_SECRET_ACCESS_KEY: "fake-secret",
            AWS_SESSION_TOKEN: "",
            AWS_PROFILE: "",
        });
        const configured = await configure(plugin);
        expect(configured.getAcceptsecrets()).to.equal(true);
    });
    after(async () => {
        await plugin?.stop();
        await engine?.stop();
        await fake.stop();
    });

    describe("GetSchema", () => {
        let schema: Awaited<ReturnType<typeof getSchema>>;
        before(async () => {
            schema = await getSchema(plugin);
        });

        it("lists the five components and the backfill job, under the package's tokens", () => {
            expect(schema.name).to.equal("pulumi-s3-replication");
            const components = Object.entries(schema.resources)
                .filter(([, r]) => r.isComponent)
                .map(([t]) => t)
                .sort();
            expect(components).to.deep.equal(
                ["AccountProviders", "BucketReplication", "HardenedBucket", "ReplicationFleet", "ReplicationRole"].map(n => `pulumi-s3-replication:index:${n}`),
            );
            expect(schema.resources[JOB_TYPE].isComponent).to.equal(false);
        });

        it("documents every resource, input and output, and types each one (no Any)", () => {
            expect(JSON.stringify(schema)).to.not.contain("pulumi.json#/Any");
            for (const [token, resource] of Object.entries(schema.resources)) {
                expect(resource.description, token).to.be.a("string").and.not.equal("");
                for (const [kind, props] of [
                    ["input", resource.inputProperties],
                    ["output", resource.properties],
                ] as const) {
                    expect(Object.keys(props ?? {}).length, `${token} ${kind}s`).to.be.greaterThan(0);
                    for (const [name, p] of Object.entries(props ?? {}))
                        expect((p as SchemaProperty).description, `${token} ${kind} ${name}`)
                            .to.be.a("string")
                            .and.not.equal("");
                }
            }
            const fleet = schema.resources["pulumi-s3-replication:index:ReplicationFleet"];
            expect(fleet.requiredInputs).to.deep.equal(["routes"]);
            expect(Object.keys(fleet.properties!).sort()).to.deep.equal(["bucketNames", "roleArns", "routes", "warnings"]);
            expect(fleet.inputProperties!.routes.items!.$ref).to.equal("#/types/pulumi-s3-replication:index:FleetRoute");
        });

        it("types the job's state as its inputs and S3's answers, the external id secret; AccountProviders returns pulumi-aws providers", () => {
            const job = schema.resources[JOB_TYPE];
            expect(job.requiredInputs!.slice().sort()).to.deep.equal(["accountId", "mode", "region", "reportBucket", "roleArn", "routeName", "sourceBucket"]);
            expect(job.properties).to.include.keys("jobId", "status", "clientRequestToken", "accountId", "mode", "trigger");
            expect(job.inputProperties!.assumeRoleExternalId.secret).to.equal(true);
            expect(job.properties!.assumeRoleExternalId.secret).to.equal(true);
            const aws = schema.dependencies!.find(d => d.name === "aws")!;
            expect(schema.resources["pulumi-s3-replication:index:AccountProviders"].properties!.providers.additionalProperties!.$ref).to.equal(
                `/aws/v${aws.version}/schema.json#/provider`,
            );
        });
    });

    describe("Construct", () => {
        it("refuses arguments the TypeScript types would refuse, naming the property", async () => {
            const err = await construct(plugin, {
                project: "plugin-test",
                stack: "dev",
                monitorAddress: engine.monitorAddress,
                type: "pulumi-s3-replication:index:ReplicationFleet",
                name: "bad",
                inputs: { routes: [{ sourceBucket: "app-a", sourceAccount: ACCOUNT, sourceRegion: REGION }], iam: { granularity: "team" } },
                dryRun: true,
            }).then(
                () => undefined,
                (e: grpc.ServiceError) => e,
            );
            expect(err?.details).to.contain("iam.granularity").and.contain('"account" or "bucket"');
        });

        it("reports every problem of a component's arguments at once, before registering anything", async () => {
            const before = engine.resources.length;
            const err = await construct(plugin, {
                project: "plugin-test",
                stack: "dev",
                monitorAddress: engine.monitorAddress,
                type: "pulumi-s3-replication:index:HardenedBucket",
                name: "bad-bucket",
                inputs: { bucketName: "Bad_Bucket", accountId: "12", region: "mars-1" },
                dryRun: true,
            }).then(
                () => undefined,
                (e: grpc.ServiceError) => e,
            );
            for (const code of ["INVALID_BUCKET_NAME", "INVALID_ACCOUNT", "INVALID_REGION"]) expect(err?.details).to.contain(code);
            expect(engine.resources.slice(before).filter(r => r.custom)).to.deep.equal([]);
        });

        it("refuses a type that is not one of its components", async () => {
            const err = await construct(plugin, {
                project: "plugin-test",
                stack: "dev",
                monitorAddress: engine.monitorAddress,
                type: "pulumi-s3-replication:index:Nope",
                name: "x",
                inputs: {},
                dryRun: true,
            }).then(
                () => undefined,
                (e: grpc.ServiceError) => e,
            );
            expect(err?.details).to.contain("no component");
        });
    });

    describe("BatchReplicationJob", () => {
        let counter = 0;
        const urn = (name: string) => `urn:pulumi:dev::plugin-test::${JOB_TYPE}::${name}`;
        /** The job's inputs as a program sends them, pointed at the fake. */
        const news = (over: Record<string, unknown> = {}) => ({
            accountId: ACCOUNT,
            region: REGION,
            sourceBucket: "src-bucket-a",
            roleArn: `arn:aws:iam::${ACCOUNT}:role/batch-replication`,
            reportBucket: `reports-${ACCOUNT}-${REGION}`,
            mode: "eligible",
            routeName: `src-bucket-a -> dst-${++counter} [rule-1]`,
            endpoint: fake.endpoint,
            pollIntervalSeconds: 0.005,
            requestTimeoutSeconds: 2,
            maxAttempts: 3,
            ...over,
        });

        async function check(name: string, inputs: Record<string, unknown>, olds: Record<string, unknown> = {}) {
            const req = new provproto.CheckRequest();
            req.setUrn(urn(name));
            req.setOlds(struct(olds));
            req.setNews(struct(inputs));
            const resp = await call<provproto.CheckRequest, provproto.CheckResponse>(plugin.client, plugin.client.check, req);
            return { inputs: plain(resp.getInputs()), failures: resp.getFailuresList().map(f => ({ property: f.getProperty(), reason: f.getReason() })) };
        }
        async function create(name: string, inputs: Record<string, unknown>) {
            const req = new provproto.CreateRequest();
            req.setUrn(urn(name));
            req.setProperties(struct(inputs));
            const resp = await call<provproto.CreateRequest, provproto.CreateResponse>(plugin.client, plugin.client.create, req);
            return { id: resp.getId(), outs: plain(resp.getProperties()) };
        }

        it("Check fills the defaults, lists every bad input at once, and keeps a secret input secret", async () => {
            const ok = await check("defaults", news({ assumeRoleExternalId: secret("ext-1") }));
            expect(ok.failures).to.deep.equal([]);
            expect(ok.inputs).to.deep.include({ priority: 10, waitFor: "none", reportScope: "AllTasks", maxAttempts: 3 });
            expect(ok.inputs.assumeRoleExternalId).to.deep.equal(secret("ext-1"));
            const bad = await check("bad", news({ mode: "none", waitFor: "forever", maxAttempts: 99, roleArn: unknownValue }));
            expect(bad.failures.map(f => f.property).sort()).to.deep.equal(["maxAttempts", "mode", "waitFor"]);
        });

        it("Create starts one job with the route's token, reached with the credentials its inputs give, and answers a replay with the same job", async () => {
            const role = `arn:aws:iam::${ACCOUNT}:role/fleet-deployer`;
            const assumedBefore = fake.assumedRoles.length;
            const { inputs } = await check(
                "create",
                news({ assumeRoleArn: role, assumeRoleExternalId: secret("ext-create"), stsEndpoint: fake.endpoint, trigger: "t1" }),
            );
            const first = await create("create", inputs);
            const token = deriveClientRequestToken({ ...inputs, assumeRoleExternalId: "ext-create" } as unknown as BatchReplicationJobInputs);
            expect(first.outs).to.deep.include({ jobId: first.id, clientRequestToken: token, status: "New" });
            expect(fake.job(first.id)).to.deep.include({ clientRequestToken: token, accountId: ACCOUNT });
            // The role and external id came from the inputs; CreateJob was signed with what AssumeRole gave.
            const assumed = fake.assumedRoles.slice(assumedBefore);
            expect(assumed).to.have.length(1);
            expect(assumed[0]).to.deep.include({ roleArn: role, externalId: "ext-create" });
            expect(fake.requestsOf("CreateJob").at(-1)!.accessKeyId).to.equal(assumed[0].accessKeyId);
            // Secrets stay secrets in the state; nothing else carries the external id.
            expect(first.outs.assumeRoleExternalId).to.deep.equal(secret("ext-create"));
            expect(JSON.stringify({ ...first.outs, assumeRoleExternalId: null })).to.not.contain("ext-create");
            // The engine retrying after a crash before the state was written: the same job, not a second.
            const replays = fake.stats.idempotentReplays;
            const again = await create("create", inputs);
            expect(again.id).to.equal(first.id);
            expect(fake.jobs().filter(j => j.clientRequestToken === token)).to.have.length(1);
            expect(fake.stats.idempotentReplays).to.equal(replays + 1);
        });

        it("Diff replaces only for a new trigger or identity; Update changes the priority in place; Read reports progress; Delete cancels a job awaiting confirmation", async () => {
            const { inputs } = await check(
                "lifecycle",
                news({ confirmationRequired: true, cancelOnDelete: true, trigger: "t1", assumeRoleExternalId: secret("ext-life") }),
            );
            const { id, outs } = await create("lifecycle", inputs);
            const diff = async (changes: Record<string, unknown>) => {
                const req = new provproto.DiffRequest();
                req.setId(id);
                req.setUrn(urn("lifecycle"));
                req.setOlds(struct(outs));
                req.setNews(struct({ ...inputs, ...changes }));
                const resp = await call<provproto.DiffRequest, provproto.DiffResponse>(plugin.client, plugin.client.diff, req);
                return { changes: resp.getChanges(), replaces: resp.getReplacesList() };
            };
            expect(await diff({})).to.deep.equal({ changes: provproto.DiffResponse.DiffChanges.DIFF_NONE, replaces: [] });
            expect(await diff({ priority: 42 })).to.deep.equal({ changes: provproto.DiffResponse.DiffChanges.DIFF_SOME, replaces: [] });
            expect(await diff({ trigger: "t2" })).to.deep.equal({ changes: provproto.DiffResponse.DiffChanges.DIFF_SOME, replaces: ["trigger"] });

            const creates = fake.requestsOf("CreateJob").length;
            const update = new provproto.UpdateRequest();
            update.setId(id);
            update.setUrn(urn("lifecycle"));
            update.setOlds(struct(outs));
            update.setNews(struct({ ...inputs, priority: 42 }));
            const updated = plain((await call<provproto.UpdateRequest, provproto.UpdateResponse>(plugin.client, plugin.client.update, update)).getProperties());
            expect(fake.requestsOf("CreateJob")).to.have.length(creates);
            expect(fake.job(id)?.priority).to.equal(42);
            expect(updated).to.deep.include({ priority: 42, jobId: id, clientRequestToken: outs.clientRequestToken });
            expect(updated.assumeRoleExternalId).to.deep.equal(secret("ext-life"));

            const read = new provproto.ReadRequest();
            read.setId(id);
            read.setUrn(urn("lifecycle"));
            read.setProperties(struct(updated));
            const refreshed = plain((await call<provproto.ReadRequest, provproto.ReadResponse>(plugin.client, plugin.client.read, read)).getProperties());
            expect(refreshed).to.deep.include({ jobId: id, jobArn: `arn:aws:s3:${REGION}:${ACCOUNT}:job/${id}` });
            expect(refreshed.status).to.be.a("string").and.not.equal("NotFound");
            expect(refreshed.assumeRoleExternalId).to.deep.equal(secret("ext-life"));

            fake.setJob(id, { status: "Suspended" });
            const del = new provproto.DeleteRequest();
            del.setId(id);
            del.setUrn(urn("lifecycle"));
            del.setProperties(struct(refreshed));
            await call<provproto.DeleteRequest, unknown>(plugin.client, plugin.client.delete, del);
            expect(fake.job(id)?.status).to.equal("Cancelled");
        });

        it("refuses CRUD for a type that is not its resource", async () => {
            const req = new provproto.CreateRequest();
            req.setUrn("urn:pulumi:dev::plugin-test::pulumi-s3-replication:index:HardenedBucket::x");
            req.setProperties(struct({}));
            const err = await call<provproto.CreateRequest, provproto.CreateResponse>(plugin.client, plugin.client.create, req).then(
                () => undefined,
                (e: grpc.ServiceError) => e,
            );
            expect(err?.details ?? err?.message).to.contain("its only resource is pulumi-s3-replication:index:BatchReplicationJob");
        });
    });
});

describe("the plugin's argument mapping (pure)", () => {
    it("takes the fleet's camelCase defaults as manifest columns and refuses a field that is none", async () => {
        const { fleetArgs } = await import("../provider/construct");
        const args = fleetArgs({
            routes: [{ sourceBucket: "a" }],
            defaults: { sourceAccount: "prod", createDestination: true },
            iam: { granularity: "bucket" },
            backfill: { waitFor: "ready" },
        });
        expect(args.defaults).to.deep.equal({ source_account: "prod", create_destination: true });
        expect(args.iam?.granularity).to.equal("bucket");
        expect(args.backfill?.waitFor).to.equal("ready");
        expect(() => fleetArgs({ routes: [], defaults: { sourceBuckett: "x" } as never })).to.throw(/defaults.sourceBuckett is not a manifest column/);
    });

    it("reads the resource type out of a URN, parent types and all", async () => {
        const { typeOfUrn } = await import("../provider/provider");
        expect(typeOfUrn(`urn:pulumi:dev::p::pulumi-s3-replication:index:ReplicationFleet$${JOB_TYPE}::job`)).to.equal(JOB_TYPE);
    });
});
