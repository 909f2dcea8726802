/**
 * ReplicationMonitoring inside ReplicationFleet (issue 12), under the Pulumi mock runtime: what it
 * registers, with which provider and Region, what waits for what, the settings and the
 * failure_events column; `plan` for the prod example; and the policy pack's advisory metrics
 * policy.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { ReplicationFleet } from "../components";
import { replicationMetricsPolicy, packArgs } from "../policy-packs/replication-guard/policies";
import { runPlan } from "../cli/plan-command";
import { OFFLINE_INVOKES } from "../cli/provider-fixtures";
import { RecordedResource, T, byType, runProgram } from "./support/mock-runtime";
import { HarnessResource, analyzeResource, awsProvider, messageOf, unknown } from "./support/policy-harness";

const A = "111111111111";
const B = "222222222222";
const M = {
    topic: "aws:sns/topic:Topic",
    topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
    notification: "aws:s3/bucketNotification:BucketNotification",
    component: "pulumi-s3-replication:index:ReplicationMonitoring",
};
type Row = Record<string, unknown>;
const route = (source: string, destination: string, extra: Row = {}): Row => ({
    source_bucket: source,
    source_account: A,
    source_region: "us-east-1",
    destination_bucket: destination,
    destination_account: B,
    destination_region: "eu-west-1",
    ...extra,
});

async function fleet(routes: Row[], extra: Record<string, unknown> = {}) {
    const result = await runProgram(() => new ReplicationFleet("fleet", { routes, ...extra }), { invokes: OFFLINE_INVOKES, allowError: true });
    return result;
}

async function resourcesOf(routes: Row[], extra: Record<string, unknown> = {}): Promise<RecordedResource[]> {
    const result = await fleet(routes, extra);
    if (result.error) throw result.error;
    return result.resources;
}

describe("ReplicationMonitoring in a fleet", () => {
    let resources: RecordedResource[];
    before(async () => {
        resources = await resourcesOf([route("mon-created", "mon-created-dr", { create_source: true, rtc: true }), route("mon-adopted", "mon-adopted-dr")]);
    });
    const named = (type: string, name: string) => resources.find(r => r.type === type && r.name === name)!;

    it("registers every monitoring resource under one component, in the source account, each naming its Region", () => {
        const component = byType(resources, M.component);
        expect(component).to.have.length(1);
        const mine = resources.filter(r => r.parent === component[0].urn);
        expect(mine.map(r => `${r.type} ${r.name}`).sort()).to.deep.equal(
            [
                `${M.alarm} alarm-any-route-failed-${A}-us-east-1`,
                `${M.alarm} alarm-failed-mon-adopted-to-mon-adopted-dr`,
                `${M.alarm} alarm-failed-mon-created-to-mon-created-dr`,
                `${M.alarm} alarm-latency-mon-created-to-mon-created-dr`,
                `${M.dashboard} dashboard-${A}-us-east-1`,
                `${M.notification} mon-created-failure-events`,
                `${M.topic} alerts-${A}-eu-west-1`,
                `${M.topic} alerts-${A}-us-east-1`,
                `${M.topicPolicy} alerts-${A}-eu-west-1-policy`,
                `${M.topicPolicy} alerts-${A}-us-east-1-policy`,
            ].sort(),
        );
        for (const r of mine) {
            expect(r.account, r.urn).to.equal(A);
            expect(r.inputs.region, r.urn).to.be.a("string").and.equal(r.region);
            expect(r.provider?.urn, r.urn).to.contain(`aws-${A}`);
        }
        expect(named(M.alarm, "alarm-latency-mon-created-to-mon-created-dr").region).to.equal("eu-west-1");
    });

    it("renders alarms as CloudWatch takes them: dimensions, statistic, actions to the Region's topic", () => {
        const failed = named(M.alarm, "alarm-failed-mon-adopted-to-mon-adopted-dr").inputs;
        expect(failed).to.deep.include({
            name: "s3-replication-failed-mon-adopted-to-mon-adopted-dr",
            namespace: "AWS/S3",
            metricName: "OperationsFailedReplication",
            statistic: "Sum",
            period: 300,
            threshold: 0,
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: 1,
            treatMissingData: "notBreaching",
        });
        expect(failed.dimensions).to.deep.equal({ SourceBucket: "mon-adopted", DestinationBucket: "mon-adopted-dr", RuleId: "to-mon-adopted-dr" });
        expect(failed.alarmActions).to.deep.equal([`arn:aws:sns:us-east-1:${A}:s3-replication-alerts`]);
        expect(failed.okActions).to.deep.equal(failed.alarmActions);
        const fleetAlarm = named(M.alarm, `alarm-any-route-failed-${A}-us-east-1`).inputs;
        expect(fleetAlarm.metricName).to.equal(undefined);
        expect(fleetAlarm.metricQueries).to.deep.equal([
            {
                id: "failed",
                returnData: true,
                period: 300,
                label: "failed replication operations, all rules",
                expression: 'SELECT SUM(OperationsFailedReplication) FROM SCHEMA("AWS/S3", DestinationBucket, RuleId, SourceBucket)',
            },
        ]);
        expect(named(M.alarm, "alarm-latency-mon-created-to-mon-created-dr").inputs.alarmActions).to.deep.equal([
            `arn:aws:sns:eu-west-1:${A}:s3-replication-alerts`,
        ]);
    });

    it("sends failure events of the created source only (adopted: never written unless opted in), after the topic policy and the bucket", () => {
        const n = named(M.notification, "mon-created-failure-events");
        expect(n.inputs.bucket).to.equal("mon-created");
        expect(n.inputs.topics).to.deep.equal([
            {
                id: "s3-replication-failure-events",
                topicArn: `arn:aws:sns:us-east-1:${A}:s3-replication-alerts`,
                events: [
                    "s3:Replication:OperationFailedReplication",
                    "s3:Replication:OperationMissedThreshold",
                    "s3:Replication:OperationReplicatedAfterThreshold",
                ],
            },
        ]);
        expect(n.dependencies).to.include(named(M.topicPolicy, `alerts-${A}-us-east-1-policy`).urn);
        // dependsOn the HardenedBucket component: the SDK expands it to the bucket's settings (which wait for the bucket).
        expect(n.dependencies).to.include(named(T.versioning, "mon-created-versioning").urn);
        expect(byType(resources, M.notification).some(r => r.inputs.bucket === "mon-adopted")).to.equal(false);
        const policy = JSON.parse(String(named(M.topicPolicy, `alerts-${A}-us-east-1-policy`).inputs.policy));
        const s3 = policy.Statement.find((s: { Sid: string }) => s.Sid === "S3ReplicationEventsPublish");
        expect(s3.Condition.ArnLike["aws:SourceArn"]).to.deep.equal(["arn:aws:s3:::mon-created"]);
        expect(named(M.alarm, "alarm-failed-mon-created-to-mon-created-dr").dependencies).to.include(named(M.topic, `alerts-${A}-us-east-1`).urn);
    });

    it("writes an adopted source's notifications only when its rows say failure_events=true", async () => {
        const rs = await resourcesOf([
            route("mon-optin", "mon-optin-dr", { failure_events: "yes" }),
            route("mon-optout", "mon-optout-dr", { create_source: true, failure_events: false }),
        ]);
        expect(byType(rs, M.notification).map(r => r.inputs.bucket)).to.deep.equal(["mon-optin"]);
    });

    it("monitoring.metrics=false keeps metrics (and alarms) on RTC rules only", async () => {
        const rs = await resourcesOf([route("mon-a", "mon-a-dr", { rtc: true }), route("mon-b", "mon-b-dr")], {
            monitoring: { metrics: false, fleetAlarm: false },
        });
        const rules = byType(rs, T.replication).flatMap(r => r.inputs.rules as Array<{ id: string; destination: { metrics?: unknown } }>);
        expect(rules.map(r => [r.id, r.destination.metrics !== undefined]).sort()).to.deep.equal([
            ["to-mon-a-dr", true],
            ["to-mon-b-dr", false],
        ]);
        expect(
            byType(rs, M.alarm)
                .map(r => r.name)
                .sort(),
        ).to.deep.equal(["alarm-failed-mon-a-to-mon-a-dr", "alarm-latency-mon-a-to-mon-a-dr"]);
    });

    it("uses given topics instead of creating them; stops before registering anything on a bad value", async () => {
        const given = `arn:aws:sns:us-east-1:${A}:oncall`;
        const rs = await resourcesOf([route("mon-g", "mon-g-dr")], { monitoring: { topicArns: [given] } });
        expect(byType(rs, M.topic).map(r => r.name)).to.deep.equal([]);
        expect(byType(rs, M.alarm).every(r => (r.inputs.alarmActions as string[])[0] === given)).to.equal(true);

        const bad = await fleet([route("mon-bad", "mon-bad-dr", { failure_events: "sometimes" })], {
            monitoring: { topicArns: ["arn:aws:sqs:us-east-1:111111111111:q"] },
        });
        expect(bad.error?.message)
            .to.contain("INVALID_VALUE")
            .and.contain("failure_events")
            .and.contain("monitoring.topicArns[0]")
            .and.contain("nothing was registered");
        expect(bad.resources.filter(r => r.custom)).to.deep.equal([]);
    });
});

describe("plan --stack prod shows the monitoring", () => {
    it("metrics on every rule, one failure alarm per route, RTC latency, the fleet alarm and a dashboard", async function () {
        this.timeout(30_000);
        const out: string[] = [];
        const code = await runPlan({ stack: "prod" }, { out: s => out.push(s), err: () => undefined });
        expect(code).to.equal(0);
        const text = out.join("\n");
        const rules = text.split("\n").filter(l => /^\s+rule /.test(l));
        expect(rules).to.have.length(4);
        for (const r of rules) expect(r, r).to.match(/ metrics /);
        const failedAlarms = text.split("\n").filter(l => /^\s+s3-replication-failed-.*: OperationsFailedReplication Sum\/300s > 0/.test(l));
        expect(failedAlarms).to.have.length(4);
        expect(text).to.match(/s3-replication-latency-acme-prod-orders-to-acme-dr-orders: ReplicationLatency Maximum\/300s > 900/);
        expect(text).to.match(/s3-replication-any-route-failed: SELECT SUM\(OperationsFailedReplication\)/);
        expect(text).to.match(/aws\.cloudwatch\.Dashboard\s+dashboard-111111111111-us-east-1\n\s+name=s3-replication-us-east-1 widgets=13/);
    });
});

describe("policy s3-replication-metrics-enabled (advisory)", () => {
    const typeOf = (c: unknown) => (c as { __pulumiType: string }).__pulumiType;
    const config = (rules: unknown): HarnessResource => ({
        type: typeOf(aws.s3.BucketReplicationConfig),
        name: "src-replication",
        props: { bucket: "acme-src", role: `arn:aws:iam::${A}:role/r`, rules },
        provider: awsProvider("aws-a", "us-east-1", A),
    });
    const rule = (id: string, destination: Record<string, unknown>, status = "Enabled") => ({
        id,
        priority: 1,
        status,
        filter: { prefix: "" },
        deleteMarkerReplication: { status: "Disabled" },
        destination: { bucket: "arn:aws:s3:::acme-dst", ...destination },
    });

    it("is in the pack as an advisory, medium-severity resource policy", () => {
        const p = packArgs.policies.find(x => x.name === "s3-replication-metrics-enabled");
        expect(p).to.equal(replicationMetricsPolicy);
        expect([replicationMetricsPolicy.enforcementLevel, replicationMetricsPolicy.severity]).to.deep.equal(["advisory", "medium"]);
    });

    it("reports each enabled rule without metrics; metrics alone (no RTC) pass; disabled rules and unknown values are not judged", async () => {
        const r = await analyzeResource(
            [replicationMetricsPolicy],
            config([
                rule("off", {}),
                rule("metrics-only", { metrics: { status: "Enabled" } }),
                rule("metrics-disabled", { metrics: { status: "Disabled" } }),
                rule("paused", {}, "Disabled"),
                rule("later", { metrics: unknown.object }),
            ]),
        );
        expect(r.diagnostics.map(messageOf)).to.deep.equal([
            'rule "off" of acme-src publishes no replication metrics, so failed replication goes unnoticed (S3 does not retry FAILED objects); set destination.metrics.status to "Enabled" (no RTC needed).',
            'rule "metrics-disabled" of acme-src publishes no replication metrics, so failed replication goes unnoticed (S3 does not retry FAILED objects); set destination.metrics.status to "Enabled" (no RTC needed).',
        ]);
        expect(r.diagnostics.every(d => d.enforcementLevel === "advisory")).to.equal(true);
    });

    it("passes every configuration the fleet registers", async () => {
        const rs = await resourcesOf([route("pol-a", "pol-a-dr"), route("pol-a", "pol-a-dr2", { rtc: true })]);
        for (const c of byType(rs, T.replication)) {
            const r = await analyzeResource([replicationMetricsPolicy], {
                type: c.type,
                name: c.name,
                props: c.inputs,
                provider: awsProvider("aws-a", "us-east-1", A),
            });
            expect(r.diagnostics, c.name).to.deep.equal([]);
        }
    });
});
