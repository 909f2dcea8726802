/**
 * `s3-replication status` (issue 12) against loopback fakes of S3 Control (REST-XML, with STS for
 * the accounts' roles) and CloudWatch (AWS JSON 1.0, query-compatible errors), through the real
 * pinned SDK clients: jobs found by this package's descriptions, metrics asked in the Region S3
 * publishes them in, alarms, retries of throttling, errors that say what to do, exit codes, and
 * progress bars only on a terminal. Nothing here calls AWS.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { CreateJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { runStatus, StatusOptions, StatusReport } from "../cli/status-command";
import { main } from "../cli/main";
import { buildCreateJobInput, formatRouteName, type BatchJobMode } from "../components/model";
import { S3ControlFake, type FakeJobStatus } from "./fakes/s3-control-fake";
import { CloudWatchFake } from "./fakes/cloudwatch-fake";

const PROD = "111111111111";
const DR = "222222222222";
const PROD_ROLE = `arn:aws:iam::${PROD}:role/deployer`;
const MINUTE = 60_000;

const MANIFEST = [
    "source_bucket,source_account,source_region,destination_bucket,destination_account,destination_region,rtc,existing_objects",
    "st-alpha,prod,us-east-1,st-alpha-dr,dr,us-west-2,false,eligible",
    "st-beta,prod,us-east-1,st-beta-dr,dr,us-west-2,true,failed",
    "st-gamma,prod,us-east-1,st-gamma-dr,dr,us-west-2,false,none",
].join("\n");

const ROUTES = {
    alpha: { source: "st-alpha", destination: "st-alpha-dr", ruleId: "to-st-alpha-dr", mode: "eligible" as BatchJobMode },
    beta: { source: "st-beta", destination: "st-beta-dr", ruleId: "to-st-beta-dr", mode: "failed" as BatchJobMode },
    gamma: { source: "st-gamma", destination: "st-gamma-dr", ruleId: "to-st-gamma-dr", mode: "eligible" as BatchJobMode },
};
const dims = (r: { source: string; destination: string; ruleId: string }) => ({ SourceBucket: r.source, DestinationBucket: r.destination, RuleId: r.ruleId });

function writeStack(dir: string, name: string, manifest = MANIFEST, extra: string[] = []): void {
    fs.writeFileSync(path.join(dir, `${name}.csv`), manifest);
    fs.writeFileSync(
        path.join(dir, `Pulumi.${name}.yaml`),
        [
            "config:",
            "  pulumi-s3-replication:accounts:",
            "    prod:",
            `      id: "${PROD}"`,
            `      roleArn: ${PROD_ROLE}`,
            "    dr:",
            `      id: "${DR}"`,
            `  pulumi-s3-replication:manifest: ${name}.csv`,
            ...extra,
        ].join("\n") + "\n",
    );
}

/** A Writable that says it is (or is not) a terminal, keeping what was drawn. */
function screen(isTTY: boolean): PassThrough & { isTTY: boolean; columns: number; text(): string } {
    const s = new PassThrough() as PassThrough & { isTTY: boolean; columns: number; text(): string };
    const chunks: Buffer[] = [];
    s.on("data", (c: Buffer) => chunks.push(c));
    s.isTTY = isTTY;
    s.columns = 200;
    s.text = () => Buffer.concat(chunks).toString("utf8");
    return s;
}

describe("status: jobs, metrics and alarms of what a stack deploys, against loopback fakes", function () {
    this.timeout(20_000);
    let s3: S3ControlFake;
    let cw: CloudWatchFake;
    let dir: string;
    const saved: Record<string, string | undefined> = {};
    const now = new Date();
    /** The account each access key acts for: the role STS handed it out for. */
    const accountForKey = (key: string) => (key === "AKIDSTATUSDEFAULT" ? PROD : s3.assumedRoles.find(r => r.accessKeyId === key)?.roleArn.split(":")[4]);

    async function createJob(
        route: typeof ROUTES.alpha,
        status: FakeJobStatus,
        progress: { total: number; ok: number; failed: number },
        reasons: Array<{ FailureCode: string; FailureReason: string }> = [],
    ): Promise<string> {
        const client = new S3ControlClient({ region: "us-east-1", endpointProvider: () => ({ url: new URL(s3.endpoint) }) });
        try {
            const input = buildCreateJobInput({
                accountId: PROD,
                region: "us-east-1",
                sourceBucket: route.source,
                roleArn: `arn:aws:iam::${PROD}:role/s3-replication/s3-replication-${PROD}`,
                reportBucket: `s3-replication-reports-${PROD}-us-east-1`,
                mode: route.mode,
                priority: 10,
                confirmationRequired: false,
                routeName: formatRouteName(route.source, route.destination, route.ruleId),
                trigger: `t-${Math.random()}`,
            });
            const jobId = (await client.send(new CreateJobCommand(input))).JobId!;
            s3.setJob(jobId, { status, totalTasks: progress.total, succeededTasks: progress.ok, failedTasks: progress.failed, failureReasons: reasons });
            return jobId;
        } finally {
            client.destroy();
        }
    }

    function options(extra: Partial<StatusOptions> = {}): StatusOptions {
        return {
            stack: "fleet",
            stacksDir: dir,
            now: () => now,
            progressStream: screen(false),
            endpoints: { s3control: s3.endpoint, sts: s3.endpoint, cloudwatch: cw.endpoint },
            ...extra,
        };
    }

    async function status(extra: Partial<StatusOptions> = {}): Promise<{ code: number; out: string[]; err: string[] }> {
        const out: string[] = [];
        const err: string[] = [];
        const code = await runStatus(options(extra), { out: s => out.push(s), err: s => err.push(s) });
        return { code, out, err };
    }

    before(() => {
        for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) saved[k] = process.env[k];
        process.env.AWS_ACCESS_KEY_ID = "AKIDSTATUSDEFAULT";
        process.env.AWS_SECRET_ACCESS_KEY = "fake-secret";
        delete process.env.AWS_SESSION_TOKEN;
        delete process.env.AWS_PROFILE;
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3r-status-"));
        writeStack(dir, "fleet");
    });
    after(() => {
        for (const [k, v] of Object.entries(saved))
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        fs.rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(async () => {
        s3 = new S3ControlFake({ lifecycle: "manual" });
        cw = new CloudWatchFake({ accountForKey });
        await Promise.all([s3.start(), cw.start()]);
    });
    afterEach(async () => {
        await Promise.all([s3.stop(), cw.stop()]);
    });

    /** A failed backfill, a route that failed to replicate, and its alarm in ALARM. */
    async function troubledFleet(): Promise<string> {
        const failed = await createJob(ROUTES.alpha, "Failed", { total: 2000, ok: 900, failed: 1100 }, [
            { FailureCode: "TooManyFailures", FailureReason: "More than 50% of 1000 or more tasks failed" },
        ]);
        await createJob(ROUTES.beta, "Active", { total: 1000, ok: 250, failed: 0 });
        cw.putMetric(PROD, "us-east-1", "OperationsFailedReplication", dims(ROUTES.alpha), [
            { timestamp: new Date(now.getTime() - 10 * MINUTE), value: 2 },
            { timestamp: new Date(now.getTime() - 40 * MINUTE), value: 3 },
        ]);
        cw.putMetric(PROD, "us-west-2", "BytesPendingReplication", dims(ROUTES.beta), [
            { timestamp: new Date(now.getTime() - 30 * MINUTE), value: 1024 },
            { timestamp: new Date(now.getTime() - 2 * MINUTE), value: 3 * 1024 * 1024 },
        ]);
        cw.putMetric(PROD, "us-west-2", "ReplicationLatency", dims(ROUTES.beta), [
            { timestamp: new Date(now.getTime() - 20 * MINUTE), value: 42 },
            { timestamp: new Date(now.getTime() - 5 * MINUTE), value: 7 },
        ]);
        // An older datapoint is outside the hour status looks at.
        cw.putMetric(PROD, "us-east-1", "OperationsFailedReplication", dims(ROUTES.gamma), [{ timestamp: new Date(now.getTime() - 90 * MINUTE), value: 9 }]);
        cw.putAlarm(PROD, "us-east-1", {
            AlarmName: "s3-replication-failed-st-alpha-to-st-alpha-dr",
            StateValue: "ALARM",
            StateReason: "Threshold Crossed: 1 datapoint [2.0] was greater than the threshold (0.0).",
        });
        cw.putAlarm(PROD, "us-east-1", {
            AlarmName: "s3-replication-any-route-failed",
            StateValue: "ALARM",
            StateReason: "Threshold Crossed: 1 datapoint [2.0] was greater than the threshold (0.0).",
        });
        for (const r of [ROUTES.beta, ROUTES.gamma])
            cw.putAlarm(PROD, "us-east-1", { AlarmName: `s3-replication-failed-${r.source}-${r.ruleId}`, StateValue: "OK" });
        return failed;
    }

    it("reports a failed job, a route that failed to replicate and alarms in ALARM, and exits 1 (text and JSON)", async () => {
        const failedJob = await troubledFleet();
        const text = await status();
        expect(text.code).to.equal(1);
        const out = text.out.join("\n");
        expect(out).to.contain(
            `FAILED    st-alpha -> st-alpha-dr [to-st-alpha-dr] (eligible, ${PROD} us-east-1): Failed, 2000/2000 tasks (100%), 1100 failed; job ${failedJob}`,
        );
        expect(out).to.contain("TooManyFailures: More than 50% of 1000 or more tasks failed");
        expect(out).to.contain("RUNNING   st-beta -> st-beta-dr [to-st-beta-dr] (failed, 111111111111 us-east-1): Active, 250/1000 tasks (25%), 0 failed");
        expect(out).to.contain("FAILED    st-alpha -> st-alpha-dr [to-st-alpha-dr]: 5 failed operations");
        expect(out).to.contain("OK        st-beta -> st-beta-dr [to-st-beta-dr]: 0 failed operations, pending 3.0 MiB / - operations, latency max 42 s");
        expect(out).to.contain("NO DATA   st-gamma -> st-gamma-dr [to-st-gamma-dr]");
        expect(out).to.contain("ALARM     s3-replication-failed-st-alpha-to-st-alpha-dr (111111111111 us-east-1): Threshold Crossed");
        expect(out).to.contain("Unhealthy: 1 failed backfill job, 1 route with failed operations, 2 alarms in ALARM.");

        const json = await status({ json: true });
        expect(json.code).to.equal(1);
        const report = JSON.parse(json.out.join("\n")) as StatusReport;
        expect(report.healthy).to.equal(false);
        expect(report.jobs.map(j => [j.source, j.job, j.state, j.status, j.percent])).to.deep.equal([
            ["st-alpha", "st-alpha -> st-alpha-dr [to-st-alpha-dr]", "failed", "Failed", 100],
            ["st-beta", "st-beta -> st-beta-dr [to-st-beta-dr]", "running", "Active", 25],
        ]);
        expect(report.jobs[0].failureReasons).to.deep.equal(["TooManyFailures: More than 50% of 1000 or more tasks failed"]);
        expect(report.routes.map(r => [r.route, r.state, r.failedOperations, r.bytesPending, r.latencyMaxSeconds])).to.deep.equal([
            ["st-alpha->st-alpha-dr", "failed", 5, null, null],
            ["st-beta->st-beta-dr", "ok", null, 3 * 1024 * 1024, 42],
            ["st-gamma->st-gamma-dr", "no-data", null, null, null],
        ]);
        // The latency alarm of the RTC route lives in the destination's Region and was not deployed here.
        expect(report.alarms.filter(a => a.state === "MISSING").map(a => [a.name, a.region])).to.deep.equal([
            ["s3-replication-latency-st-beta-to-st-beta-dr", "us-west-2"],
        ]);
        expect(report.summary).to.deep.include({ routesWithFailures: 1, errors: 0 });
        expect(report.summary.tasks).to.deep.equal({ total: 3000, succeeded: 1150, failed: 1100 });
    });

    it("exits 0 for a healthy fleet: finished jobs, no failed operations, alarms OK", async () => {
        await createJob(ROUTES.alpha, "Complete", { total: 10, ok: 10, failed: 0 });
        await createJob(ROUTES.beta, "Complete", { total: 5, ok: 5, failed: 0 });
        cw.putMetric(PROD, "us-east-1", "OperationsFailedReplication", dims(ROUTES.alpha), [{ timestamp: new Date(now.getTime() - 10 * MINUTE), value: 0 }]);
        const r = await status();
        expect(r.code, r.out.join("\n")).to.equal(0);
        expect(r.out.join("\n")).to.match(/^Healthy: /m);
    });

    it("finds only this package's jobs (the newest of each) in the source's account and Region, with the account's assumed role", async () => {
        const older = await createJob(ROUTES.alpha, "Complete", { total: 10, ok: 10, failed: 0 });
        s3.setJob(older, { createdAt: new Date(now.getTime() - 60 * MINUTE) });
        const newer = await createJob(ROUTES.alpha, "Complete", { total: 20, ok: 20, failed: 0 });
        // Another tool's job in the same account: never reported.
        const client = new S3ControlClient({ region: "us-east-1", endpointProvider: () => ({ url: new URL(s3.endpoint) }) });
        const foreign = buildCreateJobInput({
            accountId: PROD,
            region: "us-east-1",
            sourceBucket: "st-alpha",
            roleArn: `arn:aws:iam::${PROD}:role/other`,
            reportBucket: "other-reports",
            mode: "all",
            priority: 1,
            confirmationRequired: false,
            routeName: "someone else's",
            description: "nightly copy",
        });
        await client.send(new CreateJobCommand(foreign));
        // A job per source, mode and prefix (another way the fleet may name jobs) is its own job;
        // a source whose name merely starts with st-alpha is another source.
        const perPrefix = buildCreateJobInput({
            accountId: PROD,
            region: "us-east-1",
            sourceBucket: "st-alpha",
            roleArn: `arn:aws:iam::${PROD}:role/r`,
            reportBucket: "rb-reports",
            mode: "failed",
            priority: 1,
            confirmationRequired: false,
            routeName: "st-alpha [failed logs/]",
        });
        const prefixJob = (await client.send(new CreateJobCommand(perPrefix))).JobId!;
        const lookalike = buildCreateJobInput({
            accountId: PROD,
            region: "us-east-1",
            sourceBucket: "st-alpha-2",
            roleArn: `arn:aws:iam::${PROD}:role/r`,
            reportBucket: "rb-reports",
            mode: "all",
            priority: 1,
            confirmationRequired: false,
            routeName: "st-alpha-2 [all]",
        });
        await client.send(new CreateJobCommand(lookalike));
        client.destroy();
        s3.clearRequests();

        const report = JSON.parse((await status({ json: true })).out.join("\n")) as StatusReport;
        expect(report.jobs.map(j => [j.source, j.job, j.mode])).to.deep.equal([
            ["st-alpha", "st-alpha -> st-alpha-dr [to-st-alpha-dr]", "eligible"],
            ["st-alpha", "st-alpha [failed logs/]", "failed"],
            ["st-beta", "st-beta", "failed"],
        ]);
        expect(report.jobs.map(j => j.state)).to.deep.equal(["complete", "running", "not-found"]);
        const alpha = report.jobs[0];
        expect([alpha.jobId, alpha.earlierJobs, alpha.totalTasks]).to.deep.equal([newer, 1, 20]);
        expect(report.jobs[1].jobId).to.equal(prefixJob);
        const lists = s3.requestsOf("ListJobs");
        expect(lists.map(r => [r.accountId, r.region])).to.deep.equal([[PROD, "us-east-1"]]);
        // Signed with the credentials STS handed out for the prod role, not the default ones.
        expect(s3.assumedRoles.map(r => r.roleArn)).to.include(PROD_ROLE);
        const roleKey = s3.assumedRoles.find(r => r.roleArn === PROD_ROLE)!.accessKeyId;
        expect(lists[0].accessKeyId).to.equal(roleKey);
        expect(
            s3
                .requestsOf("DescribeJob")
                .map(r => r.path)
                .sort(),
        ).to.deep.equal([`/v20180820/jobs/${newer}`, `/v20180820/jobs/${prefixJob}`].sort());
    });

    it("asks each metric in the Region S3 publishes it in, over the last hour, in the query shape CloudWatch takes", async () => {
        await status();
        const calls = cw.requestsOf("GetMetricData");
        expect(
            calls.every(
                c => c.target === "GraniteServiceVersion20100801.GetMetricData" && c.contentType === "application/x-amz-json-1.0" && c.queryMode === "true",
            ),
        ).to.equal(true);
        const byRegion = Object.fromEntries(
            calls.map(c => [
                c.region,
                (c.body.MetricDataQueries as Array<{ MetricStat: { Metric: { MetricName: string } } }>).map(q => q.MetricStat.Metric.MetricName),
            ]),
        );
        expect(byRegion["us-east-1"]).to.deep.equal(["OperationsFailedReplication", "OperationsFailedReplication", "OperationsFailedReplication"]);
        expect([...new Set(byRegion["us-west-2"])].sort()).to.deep.equal(["BytesPendingReplication", "OperationsPendingReplication", "ReplicationLatency"]);
        expect(calls.every(c => c.account === PROD)).to.equal(true);
        expect([calls[0].body.StartTime, calls[0].body.EndTime]).to.deep.equal([now.getTime() / 1000 - 3600, now.getTime() / 1000]);
        const alarms = cw.requestsOf("DescribeAlarms");
        expect(alarms.map(a => a.region).sort()).to.deep.equal(["us-east-1", "us-west-2"]);
        expect(alarms.find(a => a.region === "us-west-2")!.body.AlarmNames).to.deep.equal(["s3-replication-latency-st-beta-to-st-beta-dr"]);
    });

    it("retries throttling and server errors of both services, and reports an error it cannot retry with what to do (exit 1)", async () => {
        await createJob(ROUTES.alpha, "Complete", { total: 10, ok: 10, failed: 0 });
        s3.inject({ kind: "throttle", operation: "ListJobs" }, { kind: "server-error", operation: "DescribeJob" });
        cw.inject(
            { kind: "throttle", operation: "GetMetricData" },
            { kind: "server-error", operation: "GetMetricData" },
            { kind: "throttle", operation: "DescribeAlarms" },
        );
        const retried = await status({ json: true });
        const report = JSON.parse(retried.out.join("\n")) as StatusReport;
        expect(report.errors).to.deep.equal([]);
        expect(retried.code).to.equal(0);
        expect(s3.requestsOf("ListJobs").map(r => r.status)).to.deep.equal([429, 200]);
        expect(
            cw.requests
                .filter(r => r.errorCode)
                .map(r => r.errorCode)
                .sort(),
        ).to.deep.equal(["InternalServiceError", "Throttling", "Throttling"]);

        cw.inject({ kind: "access-denied", operation: "DescribeAlarms", account: PROD });
        const denied = await status();
        expect(denied.code).to.equal(1);
        const out = denied.out.join("\n");
        expect(out).to.match(
            /CloudWatch DescribeAlarms in 111111111111 us-(east-1|west-2): AWS said AccessDenied: User is not authorized to perform: cloudwatch:DescribeAlarms; the identity accounts\.prod \(role arn:aws:iam::111111111111:role\/deployer\) needs cloudwatch:GetMetricData and cloudwatch:DescribeAlarms in account 111111111111\./,
        );
        expect(out).to.contain("1 check that could not run");
        // The denial was not retried: one request for it.
        expect(cw.requests.filter(r => r.fault === "access-denied")).to.have.length(1);
    });

    it("with --watch, draws a bar per running job and a fleet total on a terminal until no job runs", async () => {
        s3 = await restartS3("advance-on-describe");
        // Each DescribeJob moves the fake's job one step: Preparing, Ready, Active, Complete.
        const jobId = await createJob(ROUTES.beta, "Preparing", { total: 0, ok: 0, failed: 0 });
        const tty = screen(true);
        const r = await status({ watch: true, intervalSeconds: 0.01, progressStream: tty });
        expect(r.code).to.equal(0);
        expect(s3.job(jobId)!.status).to.equal("Complete");
        const drawn = tty.text();
        expect(drawn).to.contain("st-beta -> st-beta-dr [to-st-beta-dr] |").and.contain("fleet total |").and.contain("100%");
        expect(r.out.join("\n")).to.contain("COMPLETE  st-beta -> st-beta-dr");
        // More than one poll: each DescribeJob moved the job one step.
        expect(s3.requestsOf("DescribeJob").length).to.be.greaterThan(1);
    });

    it("draws nothing when the output is not a terminal (and never with --json): a line per poll instead", async () => {
        s3 = await restartS3("advance-on-describe");
        await createJob(ROUTES.beta, "Preparing", { total: 0, ok: 0, failed: 0 });
        const pipe = screen(false);
        const r = await status({ watch: true, intervalSeconds: 0.01, progressStream: pipe });
        expect(pipe.text()).to.equal("");
        expect(r.out.filter(l => / jobs: 1 running, 0 complete, 0 failed; tasks /.test(l)).length).to.be.greaterThan(0);
        await createJob(ROUTES.alpha, "Active", { total: 10, ok: 1, failed: 0 });
        const tty = screen(true);
        const json = await status({ json: true, progressStream: tty });
        expect(tty.text()).to.equal("");
        expect(() => JSON.parse(json.out.join("\n"))).to.not.throw();
    });

    it("asks about a sharded stack's own routes only, under the names its shard registers", async () => {
        const shardOf = (source: string) => parseInt(require("../components/model").shortHash(source), 16) % 2;
        const index = shardOf("st-alpha");
        writeStack(dir, "sharded", MANIFEST, ["  pulumi-s3-replication:shard:", `    index: ${index}`, "    count: 2"]);
        const report = JSON.parse((await status({ stack: "sharded", json: true })).out.join("\n")) as StatusReport;
        const mine = ["st-alpha", "st-beta", "st-gamma"].filter(b => shardOf(b) === index);
        expect(report.routes.map(r => r.source)).to.deep.equal(mine);
        expect(report.jobs.every(j => mine.includes(j.source))).to.equal(true);
        expect(report.alarms.filter(a => a.name.startsWith("s3-replication-any-route-failed")).map(a => a.name)).to.deep.equal([
            `s3-replication-any-route-failed-s${index}`,
        ]);
    });

    it("exits 2 without asking AWS when the stack's manifest has errors", async () => {
        writeStack(dir, "broken", "source_bucket,source_account,source_region\nBad_Bucket,prod,us-east-1\n");
        const r = await status({ stack: "broken" });
        expect(r.code).to.equal(2);
        expect(r.err.join("\n")).to.contain("INVALID_BUCKET_NAME").and.contain("validate --stack broken");
        expect(s3.requests.length + cw.requests.length).to.equal(0);
    });

    it("runs from the CLI on the prod example stack, reaching both accounts through their roles", async () => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(
            ["status", "--stack", "prod", "--json", "--s3control-endpoint", s3.endpoint, "--sts-endpoint", s3.endpoint, "--cloudwatch-endpoint", cw.endpoint],
            { out: s => out.push(s), err: s => err.push(s) },
        );
        expect(err).to.deep.equal([]);
        const report = JSON.parse(out.join("\n")) as StatusReport;
        // Nothing is deployed in the fakes: the job is not found, the alarms are missing; nothing failed.
        expect(code).to.equal(0);
        expect(report.jobs.map(j => [j.source, j.mode, j.state])).to.deep.equal([["acme-prod-customer-docs", "eligible", "not-found"]]);
        expect(report.routes).to.have.length(4);
        expect(report.alarms.every(a => a.state === "MISSING")).to.equal(true);
        expect(s3.assumedRoles.map(r => r.roleArn)).to.include("arn:aws:iam::111111111111:role/pulumi-deployer");
    });

    async function restartS3(lifecycle: "advance-on-describe" | "manual"): Promise<S3ControlFake> {
        await s3.stop();
        const fresh = new S3ControlFake({ lifecycle, tasksPerJob: 100 });
        await fresh.start();
        return fresh;
    }
});
