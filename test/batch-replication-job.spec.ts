/**
 * BatchReplicationJob (issue 6): the pure job model, the dynamic provider driven directly against a
 * loopback fake of S3 Control with the real AWS SDK client, the provider after Pulumi's closure
 * serialization, and the resource under the Pulumi mock runtime.
 */
import { expect } from "chai";
import fc from "fast-check";
import * as path from "path";
import * as fs from "fs";
import * as os from "os";
import { execFile } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { CreateJobCommand, ListJobsCommand, S3ControlClient, type JobListDescriptor } from "@aws-sdk/client-s3-control";
import {
    BATCH_JOB_DEFAULTS,
    BatchReplicationJob,
    batchReplicationJobProvider as provider,
    type BatchReplicationJobInputs,
    type BatchReplicationJobOutputs,
} from "../components/batch-replication-job";
import {
    EXISTING_OBJECTS_MODES,
    type BatchJobMode,
    type BatchJobSpec,
    batchJobSpecProblems,
    buildCreateJobInput,
    deriveClientRequestToken,
    formatRouteName,
    isExistingObjectsMode,
    jobDescription,
    jobKeyPrefixes,
    manifestFilterFor,
} from "../components/model/batch-job";
import { S3ControlFake, type FakeJob } from "./fakes/s3-control-fake";

const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const ROUTE = formatRouteName("src-bucket-a", "dst-bucket-b", "rule-1");
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const EXPECTED_STATUSES: Record<BatchJobMode, string[]> = {
    "eligible": ["NONE"],
    "failed": ["FAILED"],
    "unreplicated": ["NONE", "FAILED"],
    "new-destination": ["NONE", "FAILED", "COMPLETED"],
    "all": ["NONE", "FAILED", "COMPLETED", "REPLICA"],
};
const JOB_MODES = Object.keys(EXPECTED_STATUSES) as BatchJobMode[];

function spec(over: Partial<BatchJobSpec> = {}): BatchJobSpec {
    return {
        accountId: ACCOUNT,
        region: REGION,
        sourceBucket: "src-bucket-a",
        roleArn: `arn:aws:iam::${ACCOUNT}:role/batch-replication`,
        reportBucket: `reports-${ACCOUNT}-${REGION}`,
        mode: "eligible",
        priority: 10,
        confirmationRequired: false,
        routeName: ROUTE,
        ...over,
    };
}

/** Unchecked provider inputs, as the engine would pass them before `check`. */
function raw(over: Record<string, unknown> = {}): BatchReplicationJobInputs {
    const { priority: _p, confirmationRequired: _c, ...base } = spec();
    return { ...base, ...over } as unknown as BatchReplicationJobInputs;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { id?: string; properties?: Record<string, unknown>; reasons?: string[] }> {
    try {
        await promise;
    } catch (err) {
        return err as Error & { id?: string };
    }
    throw new Error("expected the promise to reject");
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await fn(items[i]);
        }
    });
    await Promise.all(workers);
    return results;
}

describe("batch-job model (pure)", () => {
    it("maps each existing_objects mode to its replication statuses, and none to no job", () => {
        expect(EXISTING_OBJECTS_MODES).to.deep.equal(["none", "eligible", "failed", "unreplicated", "new-destination", "all"]);
        for (const mode of JOB_MODES) {
            const filter = manifestFilterFor(mode);
            expect(filter?.EligibleForReplication, mode).to.equal(true);
            expect(filter?.ObjectReplicationStatuses, mode).to.deep.equal(EXPECTED_STATUSES[mode]);
        }
        expect(manifestFilterFor("none")).to.equal(undefined);
        expect(["eligible", "none", "all"].every(isExistingObjectsMode)).to.equal(true);
        expect([undefined, "ELIGIBLE", "everything", 3].some(isExistingObjectsMode)).to.equal(false);
    });

    it("builds a CreateJob request with a generated manifest, report, role, priority and route tags", () => {
        const input = buildCreateJobInput(
            spec({
                mode: "new-destination",
                createdBefore: "2024-05-01T00:00:00Z",
                keyPrefix: "logs/",
                priority: 42,
                confirmationRequired: true,
                tags: { team: "storage" },
                trigger: "2024-05",
            }),
        );
        expect(input.AccountId).to.equal(ACCOUNT);
        expect(input.Operation).to.deep.equal({ S3ReplicateObject: {} });
        expect(input.Priority).to.equal(42);
        expect(input.ConfirmationRequired).to.equal(true);
        expect(input.RoleArn).to.equal(`arn:aws:iam::${ACCOUNT}:role/batch-replication`);
        expect(input.Manifest).to.equal(undefined);
        const generator = input.ManifestGenerator?.S3JobManifestGenerator;
        expect(generator?.SourceBucket).to.equal("arn:aws:s3:::src-bucket-a");
        expect(generator?.ExpectedBucketOwner).to.equal(ACCOUNT);
        expect(generator?.EnableManifestOutput).to.equal(true);
        expect(generator?.ManifestOutputLocation).to.deep.include({
            Bucket: `arn:aws:s3:::reports-${ACCOUNT}-${REGION}`,
            ManifestFormat: "S3InventoryReport_CSV_20211130",
            ManifestPrefix: "batch-replication/src-bucket-a/manifests",
        });
        expect(generator?.Filter?.CreatedBefore?.toISOString()).to.equal("2024-05-01T00:00:00.000Z");
        // One prefix: "Each KeyNameConstraint filter accepts an array of strings with a length of 1 string."
        expect(generator?.Filter?.KeyNameConstraint).to.deep.equal({ MatchAnyPrefix: ["logs/"] });
        expect(input.Report).to.deep.include({
            Enabled: true,
            Bucket: `arn:aws:s3:::reports-${ACCOUNT}-${REGION}`,
            Format: "Report_CSV_20180820",
            Prefix: "batch-replication/src-bucket-a/reports",
            ReportScope: "AllTasks",
        });
        expect(input.Description).to.contain(ROUTE).and.contain("new-destination");
        expect(input.Tags).to.deep.include({ Key: "team", Value: "storage" });
        expect(input.Tags?.find(t => t.Key === "s3-replication:route")?.Value).to.equal("src-bucket-a to dst-bucket-b rule-1");
        expect(input.ClientRequestToken).to.equal(deriveClientRequestToken({ ...spec(), trigger: "2024-05" }));
    });

    it("uses the Region's partition in bucket ARNs", () => {
        expect(
            buildCreateJobInput(spec({ region: "cn-north-1", roleArn: `arn:aws-cn:iam::${ACCOUNT}:role/r` })).ManifestGenerator?.S3JobManifestGenerator
                ?.SourceBucket,
        ).to.equal("arn:aws-cn:s3:::src-bucket-a");
        expect(buildCreateJobInput(spec({ region: "us-gov-west-1" })).Report?.Bucket).to.equal(`arn:aws-us-gov:s3:::reports-${ACCOUNT}-${REGION}`);
    });

    it("derives key prefixes under the source bucket whatever slashes the base prefix has", () => {
        expect(jobKeyPrefixes("src", "/backfill/")).to.deep.equal({ report: "backfill/src/reports", manifest: "backfill/src/manifests" });
        expect(jobKeyPrefixes("src", "")).to.deep.equal({ report: "src/reports", manifest: "src/manifests" });
    });

    it("derives a stable token of at most 64 characters that changes with the trigger and every identity field", () => {
        const identity = { accountId: ACCOUNT, region: REGION, sourceBucket: "src", routeName: ROUTE };
        const token = deriveClientRequestToken(identity);
        expect(token).to.have.length.within(1, 64);
        expect(deriveClientRequestToken({ ...identity })).to.equal(token);
        expect(deriveClientRequestToken({ ...identity, trigger: "" })).to.equal(token);
        for (const changed of [
            { trigger: "again" },
            { accountId: "444455556666" },
            { region: "eu-west-2" },
            { sourceBucket: "src2" },
            { routeName: "other" },
        ]) {
            expect(deriveClientRequestToken({ ...identity, ...changed }), JSON.stringify(changed)).to.not.equal(token);
        }
    });

    it("never collides tokens for distinct identities and keeps them within S3's limits (property)", () => {
        const identity = fc.record({
            accountId: fc.stringMatching(/^\d{12}$/),
            region: fc.constantFrom("us-east-1", "eu-west-1", "cn-north-1"),
            sourceBucket: fc.string({ minLength: 3, maxLength: 63 }),
            routeName: fc.string({ maxLength: 300 }),
            trigger: fc.option(fc.string(), { nil: undefined }),
        });
        fc.assert(
            fc.property(identity, identity, (a, b) => {
                const ta = deriveClientRequestToken(a);
                expect(ta).to.match(/^[A-Za-z0-9-]{1,64}$/);
                const same =
                    a.accountId === b.accountId &&
                    a.region === b.region &&
                    a.sourceBucket === b.sourceBucket &&
                    a.routeName === b.routeName &&
                    (a.trigger ?? "") === (b.trigger ?? "");
                return (ta === deriveClientRequestToken(b)) === same;
            }),
            { numRuns: 300 },
        );
    });

    it("keeps descriptions within 256 characters and starting with the mode and route (property)", () => {
        fc.assert(
            fc.property(fc.string({ minLength: 1, maxLength: 600 }), fc.constantFrom(...JOB_MODES), (route, mode) => {
                const d = jobDescription({ mode, routeName: route });
                expect(Array.from(d).length).to.be.at.most(256);
                expect(d.startsWith(`S3 Batch Replication (${mode}) for ${Array.from(route).slice(0, 100).join("")}`)).to.equal(true);
            }),
            { numRuns: 200 },
        );
    });

    it("reports every problem of a spec at once, naming the input", () => {
        expect(batchJobSpecProblems(spec())).to.deep.equal([]);
        const problems = batchJobSpecProblems({
            ...spec(),
            accountId: "12345",
            region: "Europe",
            roleArn: "batch-role",
            mode: "none",
            priority: -1,
            createdAfter: "2024-06-01",
            createdBefore: "2024-01-01",
            sourceBucket: "Bad_Bucket",
        });
        expect(problems.map(p => p.property)).to.have.members(["accountId", "region", "roleArn", "mode", "priority", "createdAfter", "sourceBucket"]);
        expect(problems.find(p => p.property === "mode")?.reason).to.contain("do not create a BatchReplicationJob");
        expect(batchJobSpecProblems({ ...spec(), roleArn: `arn:aws:iam::${ACCOUNT}:role/r`, region: "cn-north-1" }).map(p => p.property)).to.deep.equal([
            "roleArn",
        ]);
    });
});

describe("BatchReplicationJob provider against a fake S3 Control endpoint", function () {
    this.timeout(20_000);
    const fake = new S3ControlFake({ seed: 7 });
    const savedEnv: Record<string, string | undefined> = {};

    before(async () => {
        for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) savedEnv[k] = process.env[k];
        // The SDK's default chain reads these first: no profile files or instance metadata are consulted.
        process.env.AWS_ACCESS_KEY_ID = "AKIDFAKEDEFAULT";
        process.env.AWS_SECRET_ACCESS_KEY = "fake-secret";
        delete process.env.AWS_SESSION_TOKEN;
        delete process.env.AWS_PROFILE;
        await fake.start();
    });
    after(async () => {
        await fake.stop();
        for (const [k, v] of Object.entries(savedEnv)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    });
    beforeEach(() => {
        fake.setFaults(undefined);
        fake.clearRequests();
    });

    /** Checked inputs pointed at the fake, with fast polling and short timeouts. */
    async function inputs(over: Record<string, unknown> = {}): Promise<BatchReplicationJobInputs> {
        const result = await provider.check!(
            {} as BatchReplicationJobInputs,
            raw({
                endpoint: fake.endpoint,
                pollIntervalSeconds: 0.005,
                requestTimeoutSeconds: 0.5,
                maxAttempts: 4,
                ...over,
            }),
        );
        expect(result.failures ?? []).to.deep.equal([]);
        return result.inputs as BatchReplicationJobInputs;
    }
    let routeCounter = 0;
    /** Inputs for a route no other test uses, so tokens never meet across tests. */
    function uniqueRoute(): string {
        return formatRouteName("src-bucket-a", `dst-${++routeCounter}`, `rule-${routeCounter}`);
    }
    async function create(over: Record<string, unknown> = {}): Promise<{ id: string; outs: BatchReplicationJobOutputs; inputs: BatchReplicationJobInputs }> {
        const ins = await inputs({ routeName: uniqueRoute(), ...over });
        const result = await provider.create(ins);
        return { id: result.id, outs: result.outs as BatchReplicationJobOutputs, inputs: ins };
    }

    describe("the fake itself", () => {
        it("refuses a malformed CreateJob the way S3 Control does, listing every problem", async () => {
            const client = new S3ControlClient({ region: "cn-north-1", endpointProvider: () => ({ url: new URL(fake.endpoint) }), maxAttempts: 1 });
            try {
                const err = await rejection(
                    client.send(
                        new CreateJobCommand({
                            AccountId: ACCOUNT,
                            ClientRequestToken: "t",
                            Priority: 1,
                            RoleArn: "not-a-role",
                            Operation: { S3PutObjectTagging: { TagSet: [] } },
                            Report: { Enabled: true, Bucket: "arn:aws:s3:::reports", Format: "Report_CSV_20180820" },
                            Manifest: { Spec: { Format: "S3BatchOperations_CSV_20180820" }, Location: { ObjectArn: "arn:aws:s3:::m/k", ETag: "e" } },
                            ManifestGenerator: { S3JobManifestGenerator: { SourceBucket: "arn:aws:s3:::src", EnableManifestOutput: false } },
                        }),
                    ),
                );
                expect(err.name).to.equal("BadRequestException");
                for (const problem of [
                    "RoleArn",
                    "Operation must be exactly S3ReplicateObject",
                    "exactly one of Manifest and ManifestGenerator",
                    "partition aws, but the job is created in cn-north-1",
                ]) {
                    expect(err.message).to.contain(problem);
                }
                expect(fake.jobs().some(j => j.clientRequestToken === "t")).to.equal(false);
            } finally {
                client.destroy();
            }
        });

        it("documents why the provider resolves a custom endpoint itself: the SDK would prefix the account id", async () => {
            const client = new S3ControlClient({ region: REGION, endpoint: fake.endpoint, maxAttempts: 1 });
            // The SDK logs the URL it failed to build; keep it as evidence instead of noise.
            const original = console.error;
            const logged: string[] = [];
            console.error = (...args: unknown[]): void => {
                logged.push(args.map(String).join(" "));
            };
            try {
                const err = await rejection(client.send(new ListJobsCommand({ AccountId: ACCOUNT })));
                expect([err.message, (err as { input?: string }).input ?? "", ...logged].join("\n")).to.contain(`//${ACCOUNT}.127.0.0.1:`);
                expect(fake.requests).to.have.length(0);
            } finally {
                console.error = original;
                client.destroy();
            }
        });
    });

    describe("check", () => {
        it("fills the documented defaults", async () => {
            const result = await provider.check!({} as BatchReplicationJobInputs, raw());
            expect(result.failures).to.deep.equal([]);
            expect(result.inputs).to.deep.include(BATCH_JOB_DEFAULTS);
        });

        it("lists every invalid input at once, by property", async () => {
            const result = await provider.check!(
                {} as BatchReplicationJobInputs,
                raw({
                    accountId: "1234",
                    waitFor: "forever",
                    maxAttempts: 0,
                    endpoint: "not a url",
                    retryMode: "eager",
                    priority: 1.5,
                }),
            );
            expect((result.failures ?? []).map(f => f.property)).to.have.members(["accountId", "waitFor", "maxAttempts", "endpoint", "retryMode", "priority"]);
        });

        it("does not fail on values that are unknown during preview", async () => {
            const result = await provider.check!({} as BatchReplicationJobInputs, raw({ roleArn: UNKNOWN, reportBucket: UNKNOWN, keyPrefix: UNKNOWN }));
            expect(result.failures).to.deep.equal([]);
        });
    });

    describe("create", () => {
        it("sends one CreateJob to the account and Region with the route's manifest filter, and returns the job", async () => {
            const { id, outs, inputs: ins } = await create({ mode: "unreplicated", keyPrefix: "logs/", createdBefore: "2024-02-01T00:00:00Z" });
            const calls = fake.requestsOf("CreateJob");
            expect(calls).to.have.length(1);
            expect(calls[0].accountId).to.equal(ACCOUNT);
            expect(calls[0].region).to.equal(REGION);
            expect(calls[0].accessKeyId).to.equal("AKIDFAKEDEFAULT");
            expect(calls[0].host).to.equal(new URL(fake.endpoint).host); // the endpoint verbatim, no account label
            const job = fake.job(id) as FakeJob;
            expect(job.clientRequestToken).to.equal(outs.clientRequestToken);
            expect(job.clientRequestToken).to.equal(deriveClientRequestToken(ins));
            const generator = job.request.ManifestGenerator.S3JobManifestGenerator;
            expect(generator.Filter.ObjectReplicationStatuses.member).to.deep.equal(["NONE", "FAILED"]);
            expect(generator.Filter.KeyNameConstraint.MatchAnyPrefix.member).to.deep.equal(["logs/"]);
            expect(generator.Filter.CreatedBefore).to.equal("2024-02-01T00:00:00Z");
            expect(job.request.Report.Bucket).to.equal(`arn:aws:s3:::reports-${ACCOUNT}-${REGION}`);
            expect(job.tags).to.deep.include({ Key: "s3-replication:mode", Value: "unreplicated" });
            expect(job.priority).to.equal(10);
            expect(outs).to.deep.include({ jobId: id, status: "New", routeName: ins.routeName, mode: "unreplicated" });
        });

        it("returns the same job when create runs again after a crash before the state was written", async () => {
            const ins = await inputs({ routeName: uniqueRoute() });
            const first = await provider.create(ins);
            const before = fake.stats.idempotentReplays;
            const again = await provider.create(ins);
            expect(again.id).to.equal(first.id);
            expect(fake.jobs().filter(j => j.clientRequestToken === (first.outs as BatchReplicationJobOutputs).clientRequestToken)).to.have.length(1);
            expect(fake.stats.idempotentReplays).to.equal(before + 1);
        });

        it("recovers a lost CreateJob answer on the next run without a second job", async () => {
            const ins = await inputs({ routeName: uniqueRoute(), maxAttempts: 1 });
            fake.inject({ kind: "drop-after", operation: "CreateJob" });
            const err = await rejection(provider.create(ins));
            expect(err.message).to.contain(ins.routeName).and.contain("did not answer").and.contain("cannot start a second job");
            const token = deriveClientRequestToken(ins);
            expect(fake.jobs().filter(j => j.clientRequestToken === token)).to.have.length(1);
            const rerun = await provider.create(ins);
            expect(
                fake
                    .jobs()
                    .filter(j => j.clientRequestToken === token)
                    .map(j => j.jobId),
            ).to.deep.equal([rerun.id]);
        });

        it("retries throttling, 500s, dropped connections and slow answers inside one create, with one job", async () => {
            const ins = await inputs({ routeName: uniqueRoute(), maxAttempts: 8 });
            fake.inject(
                { kind: "throttle", operation: "CreateJob" },
                { kind: "slowdown", operation: "CreateJob" },
                { kind: "server-error", operation: "CreateJob" },
                { kind: "drop-before", operation: "CreateJob" },
                { kind: "drop-after", operation: "CreateJob" },
                { kind: "slow", operation: "CreateJob", delayMs: 800 },
            );
            const result = await provider.create(ins);
            const calls = fake.requestsOf("CreateJob");
            expect(calls.map(c => c.fault)).to.deep.equal(["throttle", "slowdown", "server-error", "drop-before", "drop-after", "slow", undefined]);
            expect(
                fake
                    .jobs()
                    .filter(j => j.clientRequestToken === deriveClientRequestToken(ins))
                    .map(j => j.jobId),
            ).to.deep.equal([result.id]);
        });

        it("starts a new job when only the trigger changes", async () => {
            const route = uniqueRoute();
            const a = await create({ routeName: route, trigger: "2024-01" });
            const b = await create({ routeName: route, trigger: "2024-02" });
            expect(b.id).to.not.equal(a.id);
            expect(b.outs.clientRequestToken).to.not.equal(a.outs.clientRequestToken);
        });

        it("reports BadRequest with what AWS said and the route", async () => {
            // Bypasses check on purpose, so the request reaches the fake's own validation.
            const ins = { ...(await inputs({ routeName: uniqueRoute() })), priority: -1 };
            const err = await rejection(provider.create(ins));
            expect(err.message).to.contain("BadRequestException").and.contain("Priority must be an integer").and.contain(ins.routeName);
            expect(fake.requestsOf("CreateJob")).to.have.length(1); // a BadRequest is not retried
            fake.inject({ kind: "bad-request", operation: "CreateJob", message: "Manifest bucket is not in the job's Region" });
            const err2 = await rejection(provider.create(await inputs({ routeName: uniqueRoute() })));
            expect(err2.message).to.contain("Manifest bucket is not in the job's Region");
        });

        it("explains an IdempotencyException: same token, different settings", async () => {
            const ins = await inputs({ routeName: uniqueRoute() });
            await provider.create(ins);
            const err = await rejection(provider.create({ ...ins, description: "something else" }));
            expect(err.message).to.contain("IdempotencyException").and.contain("`trigger`").and.contain(deriveClientRequestToken(ins));
        });

        it("sends x-amz-account-id, and surfaces AccessDenied for an account the endpoint does not serve", async () => {
            const strict = new S3ControlFake({ accountIds: ["999988887777"] });
            await strict.start();
            try {
                const err = await rejection(provider.create(await inputs({ routeName: uniqueRoute(), endpoint: strict.endpoint })));
                expect(err.message).to.contain("AccessDenied").and.contain(`account ${ACCOUNT}`);
                expect(strict.requests.map(r => r.accountId)).to.deep.equal([ACCOUNT]);
                expect(strict.jobs()).to.have.length(0);
            } finally {
                await strict.stop();
            }
        });

        it("uses a named profile, alone or as the source credentials for assumeRoleArn", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "batch-job-profile-"));
            const saved = { creds: process.env.AWS_SHARED_CREDENTIALS_FILE, config: process.env.AWS_CONFIG_FILE };
            fs.writeFileSync(path.join(dir, "credentials"), "[fleet-prod]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n");
            fs.writeFileSync(path.join(dir, "config"), "");
            process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, "credentials");
            process.env.AWS_CONFIG_FILE = path.join(dir, "config");
            try {
                await create({ profile: "fleet-prod" });
                expect(fake.requestsOf("CreateJob").at(-1)?.accessKeyId).to.equal("AKIDPROFILE");
                const role = `arn:aws:iam::${ACCOUNT}:role/profile-hop`;
                await create({ profile: "fleet-prod", assumeRoleArn: role, stsEndpoint: fake.endpoint });
                const assume = fake.requestsOf("AssumeRole").at(-1);
                expect(assume?.accessKeyId).to.equal("AKIDPROFILE");
                expect(fake.requestsOf("CreateJob").at(-1)?.accessKeyId).to.equal(fake.assumedRoles.at(-1)?.accessKeyId);
                expect(fake.assumedRoles.at(-1)?.roleArn).to.equal(role);
            } finally {
                for (const [k, v] of [
                    ["AWS_SHARED_CREDENTIALS_FILE", saved.creds],
                    ["AWS_CONFIG_FILE", saved.config],
                ] as const) {
                    if (v === undefined) delete process.env[k];
                    else process.env[k] = v;
                }
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });

        it("assumes assumeRoleArn once per process and signs S3 Control calls with the assumed credentials", async () => {
            const role = `arn:aws:iam::${ACCOUNT}:role/fleet-deployer`;
            const assumedBefore = fake.assumedRoles.length;
            const a = await create({ assumeRoleArn: role, assumeRoleExternalId: "ext-1", stsEndpoint: fake.endpoint });
            await create({ assumeRoleArn: role, assumeRoleExternalId: "ext-1", stsEndpoint: fake.endpoint });
            const assumed = fake.assumedRoles.slice(assumedBefore);
            expect(assumed).to.have.length(1);
            expect(assumed[0]).to.deep.include({ roleArn: role, externalId: "ext-1" });
            expect(fake.requestsOf("CreateJob").map(r => r.accessKeyId)).to.deep.equal([assumed[0].accessKeyId, assumed[0].accessKeyId]);
            expect(fake.job(a.id)?.accountId).to.equal(ACCOUNT);
        });
    });

    describe("waitFor", () => {
        it("complete: polls until the job is Complete and reports its progress", async () => {
            const { outs } = await create({ waitFor: "complete" });
            expect(outs).to.deep.include({ status: "Complete", totalTasks: 1000, succeededTasks: 1000, failedTasks: 0 });
            expect(fake.requestsOf("DescribeJob").length).to.be.at.least(4);
        });

        it("ready: returns once a job that needs confirmation is Suspended", async () => {
            const { outs } = await create({ waitFor: "ready", confirmationRequired: true });
            expect(outs.status).to.equal("Suspended");
        });

        it("keeps a job that failed in the state (init error with its id) and names the failure", async () => {
            const ins = await inputs({ routeName: uniqueRoute(), waitFor: "complete" });
            fake.setLatency(0);
            const pending = provider.create(ins);
            // Fail the job as soon as it exists.
            const started = Date.now();
            while (fake.jobs().every(j => j.clientRequestToken !== deriveClientRequestToken(ins)) && Date.now() - started < 2000) {
                await new Promise(r => setTimeout(r, 1));
            }
            const job = fake.jobs().find(j => j.clientRequestToken === deriveClientRequestToken(ins)) as FakeJob;
            fake.setJob(job.jobId, {
                status: "Failed",
                failureReasons: [{ FailureCode: "SrcBucketReplicationConfigMissing", FailureReason: "no replication configuration" }],
            });
            const err = await rejection(pending);
            expect(err.id).to.equal(job.jobId);
            expect(err.message).to.contain("Failed").and.contain("SrcBucketReplicationConfigMissing");
            expect(err.properties?.jobId).to.equal(job.jobId);
            expect(err.reasons?.[0]).to.contain(ins.routeName);
        });

        it("gives up after waitTimeoutSeconds without losing the job", async () => {
            const quiet = new S3ControlFake({ lifecycle: "manual" });
            await quiet.start();
            try {
                const started = Date.now();
                const err = await rejection(
                    provider.create(await inputs({ routeName: uniqueRoute(), endpoint: quiet.endpoint, waitFor: "ready", waitTimeoutSeconds: 0.2 })),
                );
                expect(Date.now() - started).to.be.below(3000);
                expect(err.message).to.contain("still New").and.contain("pulumi refresh");
                expect(err.id).to.equal(quiet.jobs()[0].jobId);
            } finally {
                await quiet.stop();
            }
        });

        it("refuses to wait for completion of a job that awaits confirmation", async () => {
            const err = await rejection(provider.create(await inputs({ routeName: uniqueRoute(), waitFor: "complete", confirmationRequired: true })));
            expect(err.message).to.contain("awaits confirmation");
            expect(err.id).to.be.a("string");
        });
    });

    describe("read", () => {
        it("turns DescribeJob status, progress and failure reasons into outputs", async () => {
            const { id, outs } = await create();
            fake.setJob(id, {
                status: "Active",
                totalTasks: 5000,
                succeededTasks: 1200,
                failedTasks: 3,
                failureReasons: [{ FailureCode: "DstBucketObjectLockConfigMissing", FailureReason: "destination has no Object Lock" }],
            });
            const read = await provider.read!(id, outs);
            expect(read.id).to.equal(id);
            expect(read.props).to.deep.include({
                status: "Active",
                totalTasks: 5000,
                succeededTasks: 1200,
                failedTasks: 3,
                failureReasons: ["DstBucketObjectLockConfigMissing: destination has no Object Lock"],
                jobArn: `arn:aws:s3:${REGION}:${ACCOUNT}:job/${id}`,
                clientRequestToken: outs.clientRequestToken,
                routeName: outs.routeName,
            });
        });

        it("keeps a job S3 has forgotten, so no second job starts", async () => {
            const { id, outs } = await create();
            fake.expireJob(id);
            const read = await provider.read!(id, outs);
            expect(read.id).to.equal(id);
            expect(read.props?.status).to.equal("NotFound");
        });

        it("looks in the job's own Region only", async () => {
            const { id, outs } = await create();
            const read = await provider.read!(id, { ...outs, region: "eu-west-2" });
            expect(read.props?.status).to.equal("NotFound");
            expect(fake.requestsOf("DescribeJob").at(-1)?.region).to.equal("eu-west-2");
        });
    });

    describe("diff", () => {
        it("replaces only for trigger and identity changes; everything else updates in place", async () => {
            const { id, outs } = await create({ trigger: "t1" });
            const news = (over: Record<string, unknown>): BatchReplicationJobInputs => ({ ...outs, ...over }) as BatchReplicationJobInputs;
            expect(await provider.diff!(id, outs, news({}))).to.deep.include({ changes: false, replaces: [] });
            expect((await provider.diff!(id, outs, news({ trigger: "t2" }))).replaces).to.deep.equal(["trigger"]);
            expect(
                (await provider.diff!(id, outs, news({ accountId: "444455556666", region: "eu-west-2", sourceBucket: "other-src" }))).replaces,
            ).to.have.members(["accountId", "region", "sourceBucket"]);
            for (const change of [
                { priority: 99 },
                { mode: "all" },
                { description: "new" },
                { tags: { a: "b" } },
                { routeName: "renamed" },
                { maxAttempts: 9 },
                { waitFor: "complete" },
            ]) {
                expect(await provider.diff!(id, outs, news(change)), JSON.stringify(change)).to.deep.include({ changes: true, replaces: [] });
            }
            expect((await provider.diff!(id, outs, news({ trigger: UNKNOWN }))).replaces).to.deep.equal(["trigger"]);
        });
    });

    describe("check on update", () => {
        it("refuses to change what a created job is (mode, filters, report, role, route) unless the trigger changes", async () => {
            const { outs } = await create({ trigger: "t1" });
            const olds = outs as unknown as BatchReplicationJobInputs;
            for (const change of [
                { mode: "all" },
                { keyPrefix: "other/" },
                { createdBefore: "2026-01-01T00:00:00Z" },
                { reportBucket: "other-reports" },
                { roleArn: "arn:aws:iam::111122223333:role/other" },
            ]) {
                const result = await provider.check!(olds, raw({ ...outs, ...change }));
                const [key] = Object.keys(change);
                expect(
                    result.failures?.map(f => f.property),
                    JSON.stringify(change),
                ).to.deep.equal([key]);
                expect(result.failures?.[0].reason).to.match(/cannot change after the job was created .*set a new `trigger`/);
            }
            // With a new trigger the same change starts a new job (the resource is replaced).
            expect((await provider.check!(olds, raw({ ...outs, mode: "all", trigger: "t2" }))).failures ?? []).to.deep.equal([]);
            // What the job is not (priority, waiting, credentials) may change in place.
            expect((await provider.check!(olds, raw({ ...outs, priority: 3, waitFor: "complete", maxAttempts: 9 }))).failures ?? []).to.deep.equal([]);
        });
    });

    describe("update", () => {
        it("changes the priority of a live job in place and never creates a job", async () => {
            const { id, outs } = await create();
            fake.clearRequests();
            const result = await provider.update!(id, outs, { ...outs, priority: 77 });
            expect(fake.requestsOf("CreateJob")).to.have.length(0);
            expect(fake.requestsOf("UpdateJobPriority").map(r => r.query.priority)).to.deep.equal([["77"]]);
            expect(fake.job(id)?.priority).to.equal(77);
            expect(result.outs).to.deep.include({ jobId: id, priority: 77, clientRequestToken: outs.clientRequestToken });
        });

        it("records exactly the new inputs and what S3 reports: an input removed from the program leaves the state", async () => {
            const { id, outs } = await create({ stsEndpoint: "http://127.0.0.1:9", waitTimeoutSeconds: 77 });
            expect(outs).to.include({ stsEndpoint: "http://127.0.0.1:9", waitTimeoutSeconds: 77 });
            const news = await inputs({ routeName: outs.routeName });
            const result = await provider.update!(id, outs, news);
            expect(result.outs).not.to.have.property("stsEndpoint");
            expect(result.outs).to.include({ waitTimeoutSeconds: 1800, jobId: id, clientRequestToken: outs.clientRequestToken });
        });

        it("confirms a job waiting for confirmation when confirmationRequired is turned off", async () => {
            const { id, outs } = await create({ confirmationRequired: true, waitFor: "ready" });
            expect(fake.job(id)?.status).to.equal("Suspended");
            const result = await provider.update!(id, outs, { ...outs, confirmationRequired: false });
            expect(fake.requestsOf("UpdateJobStatus").at(-1)?.query.requestedJobStatus).to.deep.equal(["Ready"]);
            expect(result.outs?.status).to.be.oneOf(["Ready", "Active"]);
        });

        it("leaves a finished job alone", async () => {
            const { id, outs } = await create();
            fake.setJob(id, { status: "Complete" });
            fake.clearRequests();
            await provider.update!(id, outs, { ...outs, priority: 5 });
            expect(fake.requests.map(r => r.operation)).to.deep.equal(["DescribeJob"]);
        });
    });

    describe("delete", () => {
        it("makes no AWS call by default", async () => {
            const { id, outs } = await create({ confirmationRequired: true });
            fake.clearRequests();
            await provider.delete!(id, outs);
            expect(fake.requests).to.have.length(0);
            expect(fake.job(id)?.status).to.not.equal("Cancelled");
        });

        it("cancels a job still awaiting confirmation when cancelOnDelete is set", async () => {
            const { id, outs } = await create({ confirmationRequired: true, cancelOnDelete: true, waitFor: "ready" });
            await provider.delete!(id, outs);
            expect(fake.job(id)?.status).to.equal("Cancelled");
            expect(fake.requestsOf("UpdateJobStatus").at(-1)?.query.requestedJobStatus).to.deep.equal(["Cancelled"]);
        });

        it("does not cancel a running job, and tolerates a forgotten one", async () => {
            const { id, outs } = await create({ cancelOnDelete: true });
            fake.setJob(id, { status: "Active" });
            await provider.delete!(id, outs);
            expect(fake.job(id)?.status).to.not.equal("Cancelled");
            fake.expireJob(id);
            await provider.delete!(id, outs);
            expect(fake.requestsOf("UpdateJobStatus")).to.have.length(0);
        });
    });

    it("under 30% injected faults, 200 creates (and a rerun of all of them) yield exactly 200 jobs", async function () {
        this.timeout(60_000);
        const isolated = new S3ControlFake({ seed: 2024 });
        await isolated.start();
        try {
            isolated.setFaults({
                throttle: 0.04,
                slowdown: 0.03,
                serverError: 0.09,
                dropBefore: 0.06,
                dropAfter: 0.06,
                slow: 0.02,
                slowMs: 1500,
            });
            // A create that fails after all its SDK attempts is what a rerun of `pulumi up` retries.
            const createUntilDone = async (ins: BatchReplicationJobInputs): Promise<string> => {
                for (let run = 1; ; run++) {
                    try {
                        return (await provider.create(ins)).id;
                    } catch (err) {
                        if (run >= 5) throw err;
                    }
                }
            };
            const all = await mapLimit(
                Array.from({ length: 200 }, (_, i) => i),
                40,
                async i => {
                    // Few SDK attempts keep throttling backoff (1 s x 2^attempt) short; reruns cover the rest.
                    const ins = await inputs({ endpoint: isolated.endpoint, routeName: `route-${i}`, maxAttempts: 4, requestTimeoutSeconds: 1 });
                    return { ins, id: await createUntilDone(ins) };
                },
            );
            const injected = Object.values(isolated.stats.faults).reduce((a, b) => a + b, 0);
            const createCalls = isolated.requestsOf("CreateJob").length;
            expect(injected / createCalls).to.be.within(0.2, 0.4);
            expect(isolated.stats.faults["drop-after"] + isolated.stats.faults.slow).to.be.greaterThan(0);

            const jobs = isolated.jobs();
            expect(jobs).to.have.length(200);
            expect(new Set(jobs.map(j => j.clientRequestToken)).size).to.equal(200);
            expect(new Set(all.map(r => r.id)).size).to.equal(200);
            for (const { ins, id } of all) expect(isolated.job(id)?.clientRequestToken).to.equal(deriveClientRequestToken(ins));

            // Every create again, as after a crash that lost the whole state write.
            const rerun = await mapLimit(all, 40, async ({ ins }) => createUntilDone(ins));
            expect(rerun).to.deep.equal(all.map(r => r.id));
            expect(isolated.jobs()).to.have.length(200);

            // ListJobs (paged, through the SDK) agrees.
            isolated.setFaults(undefined);
            const client = new S3ControlClient({ region: REGION, endpointProvider: () => ({ url: new URL(isolated.endpoint) }) });
            const listed: JobListDescriptor[] = [];
            let token: string | undefined;
            do {
                const page = await client.send(new ListJobsCommand({ AccountId: ACCOUNT, MaxResults: 64, NextToken: token }));
                listed.push(...(page.Jobs ?? []));
                token = page.NextToken;
            } while (token);
            client.destroy();
            expect(listed).to.have.length(200);
            expect(new Set(listed.map(j => j.JobId))).to.deep.equal(new Set(all.map(r => r.id)));
            expect(listed.every(j => j.Operation === "S3ReplicateObject")).to.equal(true);
        } finally {
            await isolated.stop();
        }
    });

    describe("after pulumi.runtime.serializeFunction", () => {
        let text = "";
        before(async () => {
            // Exactly what pulumi.dynamic.Resource does with its provider.
            const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
            text = serialized.text;
        });

        it("captures no client, no ESM module and no Pulumi runtime", () => {
            expect(text).to.contain("exports.handler");
            expect(text).to.contain('require("@aws-sdk/client-s3-control")');
            expect(text).to.not.match(/require\("(chai|@pulumi\/pulumi|fast-check)"\)/);
            expect(text).to.not.contain("S3ControlFake");
        });

        it("works against the fake when loaded the way the dynamic-provider host loads it", async () => {
            const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
            const requireFromString = require(require.resolve("require-from-string", { paths: [pulumiDir] })) as (code: string) => {
                handler: () => typeof provider;
            };
            const copy = requireFromString(text).handler();
            expect(copy).to.not.equal(provider);
            const checked = await copy.check!(
                {} as BatchReplicationJobInputs,
                raw({ endpoint: fake.endpoint, routeName: uniqueRoute(), pollIntervalSeconds: 0.005 }),
            );
            const created = await copy.create(checked.inputs as BatchReplicationJobInputs);
            const outs = created.outs as BatchReplicationJobOutputs;
            expect(fake.job(created.id)?.clientRequestToken).to.equal(deriveClientRequestToken(checked.inputs as BatchReplicationJobInputs));
            const read = await copy.read!(created.id, outs);
            expect(read.props?.status).to.equal("New");
            await copy.delete!(created.id, { ...outs, cancelOnDelete: true, confirmationRequired: true });
            expect(fake.requestsOf("DescribeJob").filter(r => r.path.endsWith(created.id))).to.have.length(2);
        });

        it("works in a separate Node process, like the engine's provider host", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "batch-job-provider-"));
            const file = path.join(dir, "provider.js");
            fs.writeFileSync(file, text);
            const checked = await provider.check!({} as BatchReplicationJobInputs, raw({ endpoint: fake.endpoint, routeName: uniqueRoute() }));
            const script = `
                const requireFromString = require(require.resolve("require-from-string", { paths: [require("path").dirname(require.resolve("@pulumi/pulumi/package.json"))] }));
                const p = requireFromString(require("fs").readFileSync(process.env.PROVIDER_FILE, "utf8")).handler();
                (async () => {
                    const created = await p.create(JSON.parse(process.env.INPUTS));
                    const read = await p.read(created.id, created.outs);
                    await p.delete(created.id, { ...created.outs, cancelOnDelete: true });
                    return { created, read };
                })().then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
            const stdout = await new Promise<string>((resolve, reject) => {
                execFile(
                    process.execPath,
                    ["--no-warnings", "-e", script],
                    {
                        cwd: path.resolve(__dirname, ".."),
                        env: { ...process.env, PROVIDER_FILE: file, INPUTS: JSON.stringify(checked.inputs) },
                        timeout: 15_000,
                    },
                    (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
                );
            });
            fs.rmSync(dir, { recursive: true, force: true });
            const { created, read } = JSON.parse(stdout) as {
                created: { id: string; outs: BatchReplicationJobOutputs };
                read: { props: BatchReplicationJobOutputs };
            };
            expect(fake.job(created.id)?.clientRequestToken).to.equal(created.outs.clientRequestToken);
            expect(created.outs.clientRequestToken).to.equal(deriveClientRequestToken(checked.inputs as BatchReplicationJobInputs));
            expect(read.props).to.deep.include({ jobId: created.id, status: "New", jobArn: `arn:aws:s3:${REGION}:${ACCOUNT}:job/${created.id}` });
            expect(fake.requestsOf("DescribeJob").filter(r => r.path.endsWith(created.id))).to.have.length(2);
        });
    });
});

describe("BatchReplicationJob under the Pulumi mock runtime", () => {
    interface Registered {
        type: string;
        name: string;
        inputs: Record<string, unknown>;
    }
    const registered: Registered[] = [];

    before(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource: (args: pulumi.runtime.MockResourceArgs) => {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
                    return { id: `${args.name}-job-id`, state: { ...args.inputs, jobId: `${args.name}-job-id`, status: "New" } };
                },
                call: (args: pulumi.runtime.MockCallArgs) => {
                    throw new Error(`unexpected invoke ${args.token}`);
                },
            },
            "project",
            "stack",
            false,
        );
    });

    function settled<T>(output: pulumi.Output<T>): Promise<T> {
        return new Promise(resolve => output.apply(resolve));
    }

    it("registers one job per mode with its own type token and the inputs that select that mode's objects", async function () {
        this.timeout(20_000);
        const jobs = JOB_MODES.map(
            mode =>
                new BatchReplicationJob(`backfill-${mode}`, {
                    accountId: ACCOUNT,
                    region: REGION,
                    sourceBucket: "src-bucket-a",
                    roleArn: pulumi.output(`arn:aws:iam::${ACCOUNT}:role/batch-replication`),
                    reportBucket: `reports-${ACCOUNT}-${REGION}`,
                    mode,
                    routeName: formatRouteName("src-bucket-a", `dst-${mode}`, "rule-1"),
                    trigger: "initial",
                    createdBefore: "2024-05-01T00:00:00Z",
                    keyPrefix: pulumi.output("logs/"),
                }),
        );
        const ids = await Promise.all(jobs.map(j => settled(j.jobId)));
        expect(ids).to.deep.equal(JOB_MODES.map(m => `backfill-${m}-job-id`));

        const mine = registered.filter(r => r.name.startsWith("backfill-"));
        expect(mine).to.have.length(JOB_MODES.length);
        for (const mode of JOB_MODES) {
            const reg = mine.find(r => r.name === `backfill-${mode}`) as Registered;
            expect(reg.type).to.equal("pulumi-nodejs:dynamic/s3-replication:BatchReplicationJob");
            expect(reg.inputs).to.deep.include({
                mode,
                routeName: formatRouteName("src-bucket-a", `dst-${mode}`, "rule-1"),
                trigger: "initial",
                accountId: ACCOUNT,
                region: REGION,
                roleArn: `arn:aws:iam::${ACCOUNT}:role/batch-replication`,
            });
            expect(reg.inputs.__provider).to.be.a("string").and.contain("exports.handler");
            // What the registered inputs become on the wire once the engine runs the provider.
            const checked = await provider.check!({} as BatchReplicationJobInputs, reg.inputs as unknown as BatchReplicationJobInputs);
            expect(checked.failures, mode).to.deep.equal([]);
            const request = buildCreateJobInput(checked.inputs as BatchReplicationJobInputs);
            expect(request.ManifestGenerator?.S3JobManifestGenerator?.Filter?.ObjectReplicationStatuses, mode).to.deep.equal(EXPECTED_STATUSES[mode]);
            expect(request.ManifestGenerator?.S3JobManifestGenerator?.Filter?.KeyNameConstraint?.MatchAnyPrefix).to.deep.equal(["logs/"]);
        }
        // Each route has its own token, so jobs of different routes from one source bucket never meet.
        const tokens = new Set(mine.map(r => deriveClientRequestToken(r.inputs as unknown as BatchJobSpec)));
        expect(tokens.size).to.equal(JOB_MODES.length);
    });

    it("refuses mode none: that route needs no job", () => {
        expect(
            () =>
                new BatchReplicationJob("backfill-none", {
                    accountId: ACCOUNT,
                    region: REGION,
                    sourceBucket: "src-bucket-a",
                    roleArn: "arn:aws:iam::111122223333:role/r",
                    reportBucket: "reports",
                    mode: "none" as BatchJobMode,
                    routeName: ROUTE,
                }),
        ).to.throw(/mode "none"/);
    });
});
