/**
 * Monitoring as pure data (issue 12): metrics on every rule, the corrected metrics/RTC check,
 * the failure_events column, the monitoring plan (alarms, topics, dashboards, notifications, and
 * which shard registers each), the documents (topic policy, dashboard body) and the metric
 * queries `status` sends. No Pulumi here.
 */
import { expect } from "chai";
import {
    ALARM_PERIOD_SECONDS,
    FLEET_FAILED_QUERY,
    MAX_QUERIES_PER_CALL,
    REPLICATION_EVENTS,
    ROUTES_PER_DASHBOARD,
    RouteSpec,
    alertTopicPolicy,
    checkReplicationConfig,
    dashboardBody,
    failureEventChoices,
    monitoringSettingsProblems,
    parseStackSettings,
    planMonitoring,
    recordsFromObjects,
    routeMetricQueries,
    ruleFor,
    validateFleet,
    watchedRoutes,
} from "../components/model";
import { syntheticRoutes } from "../bench/fleet-fixture";

const A = "111111111111";
const B = "222222222222";
type Row = Record<string, unknown>;
const route = (source: string, destination: string, extra: Row = {}): Row => ({
    source_bucket: source,
    source_account: A,
    source_region: "us-east-1",
    destination_bucket: destination,
    destination_account: B,
    destination_region: "us-west-2",
    ...extra,
});

function plan(rows: Row[], options: Parameters<typeof validateFleet>[1] = {}) {
    const records = recordsFromObjects(rows, { path: "routes" }, []);
    const result = validateFleet(records, options);
    expect(result.errors, JSON.stringify(result.errors)).to.deep.equal([]);
    return { plan: result.plan!, records };
}

const codes = (rules: unknown[]) => checkReplicationConfig({ bucket: "src", role: `arn:aws:iam::${A}:role/r`, rules } as never).map(f => f.code);
const rule = (destination: Record<string, unknown>) => ({
    id: "r",
    priority: 1,
    status: "Enabled",
    filter: { prefix: "" },
    deleteMarkerReplication: { status: "Disabled" },
    destination: { bucket: "arn:aws:s3:::dst", ...destination },
});

describe("monitoring model: replication metrics on every rule", () => {
    const spec = (rtc: boolean) => plan([route("m-src", "m-dst", { rtc })]).plan.spec.routes[0];

    it("renders metrics without RTC or a threshold by default, and none when turned off", () => {
        expect(ruleFor(spec(false)).destination).to.deep.include({ metrics: { status: "Enabled" } });
        expect(ruleFor(spec(false)).destination).to.not.have.property("replicationTime");
        expect(ruleFor(spec(false), { metrics: false }).destination).to.not.have.property("metrics");
    });

    it("keeps RTC's metrics with the 15-minute threshold whatever the setting (RTC needs them)", () => {
        for (const metrics of [true, false]) {
            const d = ruleFor(spec(true), { metrics }).destination!;
            expect(d.replicationTime).to.deep.equal({ status: "Enabled", time: { minutes: 15 } });
            expect(d.metrics).to.deep.equal({ status: "Enabled", eventThreshold: { minutes: 15 } });
        }
    });

    it("puts metrics on every rule of a planned fleet, or only on RTC rules when replicationMetrics is false", () => {
        const rows = [route("p-src", "p-dst"), route("p-src", "p-dst-rtc", { rtc: true })];
        const on = plan(rows).plan.sources.flatMap(s => s.config.rules ?? []);
        expect(on.map(r => r.destination?.metrics?.status)).to.deep.equal(["Enabled", "Enabled"]);
        const off = plan(rows, { replicationMetrics: false }).plan.sources.flatMap(s => s.config.rules ?? []);
        expect(off.map(r => [r.id, r.destination?.metrics?.status ?? "none"]).sort()).to.deep.equal([
            ["to-p-dst", "none"],
            ["to-p-dst-rtc", "Enabled"],
        ]);
    });
});

describe("monitoring model: the shared metrics/RTC check follows AWS", () => {
    it("accepts metrics alone (no RTC, with or without the 15-minute threshold) and RTC with metrics at 15", () => {
        expect(codes([rule({ metrics: { status: "Enabled" } })])).to.deep.equal([]);
        expect(codes([rule({ metrics: { status: "Enabled", eventThreshold: { minutes: 15 } } })])).to.deep.equal([]);
        expect(codes([rule({ metrics: { status: "Disabled" } })])).to.deep.equal([]);
        expect(
            codes([rule({ replicationTime: { status: "Enabled", time: { minutes: 15 } }, metrics: { status: "Enabled", eventThreshold: { minutes: 15 } } })]),
        ).to.deep.equal([]);
    });

    it("refuses RTC without metrics, RTC without the threshold, and minutes other than 15", () => {
        const rtc = { status: "Enabled", time: { minutes: 15 } };
        expect(codes([rule({ replicationTime: rtc })])).to.deep.equal(["RTC_METRICS_MISMATCH"]);
        expect(codes([rule({ replicationTime: rtc, metrics: { status: "Disabled" } })])).to.deep.equal(["RTC_METRICS_MISMATCH"]);
        expect(codes([rule({ replicationTime: rtc, metrics: { status: "Enabled" } })])).to.deep.equal(["RTC_METRICS_MISMATCH"]);
        expect(codes([rule({ metrics: { status: "Enabled", eventThreshold: { minutes: 10 } } })])).to.deep.equal(["RTC_METRICS_MISMATCH"]);
        expect(
            codes([rule({ replicationTime: { status: "Enabled", time: { minutes: 20 } }, metrics: { status: "Enabled", eventThreshold: { minutes: 15 } } })]),
        ).to.deep.equal(["RTC_METRICS_MISMATCH"]);
    });
});

describe("monitoring model: the failure_events column", () => {
    it("reads true/false per source bucket, and the stack default where a row is blank", () => {
        const records = recordsFromObjects(
            [
                route("fe-a", "x1", { failure_events: "yes" }),
                route("fe-a", "x2", { failure_events: true }),
                route("fe-b", "x3", { failure_events: "off" }),
                route("fe-c", "x4"),
            ],
            { path: "routes" },
            [],
        );
        const none = failureEventChoices(records);
        expect([...none.bySource]).to.deep.equal([
            ["fe-a", true],
            ["fe-b", false],
        ]);
        expect(none.diagnostics).to.deep.equal([]);
        expect(failureEventChoices(records, { failure_events: "true" }).bySource.get("fe-c")).to.equal(true);
    });

    it("reports a value that is not a boolean and two rows of one source that disagree, at their cells", () => {
        const records = recordsFromObjects(
            [route("fe-a", "x1", { failure_events: "maybe" }), route("fe-b", "x2", { failure_events: true }), route("fe-b", "x3", { failure_events: false })],
            { path: "routes" },
            [],
        );
        const { diagnostics } = failureEventChoices(records);
        expect(diagnostics.map(d => [d.code, d.path])).to.deep.equal([
            ["INVALID_VALUE", "routes[0].failure_events"],
            ["CONFLICTING_BUCKET_SETTINGS", "routes[2].failure_events"],
        ]);
        expect(diagnostics[1].message).to.contain("routes[1]").and.contain("fe-b");
    });

    it("is part of the one validation every caller runs (manifest rows keep their file, row and column)", () => {
        const records = [
            {
                at: { file: "m.csv", row: 2 },
                values: route("fe-v", "fe-v-dst", { failure_events: "sometimes" }),
                locs: { failure_events: { file: "m.csv", row: 2, column: "failure_events" } },
            },
        ];
        const result = validateFleet(records as never, {});
        expect(result.errors.map(d => `${d.code}@${d.file}:${d.row}:${d.column}`)).to.deep.equal(["INVALID_VALUE@m.csv:2:failure_events"]);
    });
});

describe("monitoring model: the plan", () => {
    const rows = [
        route("acme-orders", "dr-orders", { rtc: true }),
        route("acme-orders", "dr-archive", { prefix: "invoices/" }),
        route("acme-docs", "dr-docs", { create_source: true }),
        route("acme-off", "dr-off", { status: "Disabled" }),
        { ...route("eu-src", "eu-dst"), source_region: "eu-west-1", destination_region: "eu-west-1", destination_account: A },
    ];

    it("alarms on failed operations per enabled route in the source Region, and on RTC latency in the destination's", () => {
        const built = plan(rows).plan;
        // Route keys as the spec gives them (a filtered route's key carries a hash of its filter).
        const keyOf = (destination: string) => built.spec.routes.find(r => r.destination === destination)!.key;
        const m = planMonitoring(built, {});
        const failed = m.alarms.filter(a => a.kind === "failed");
        expect(failed.map(a => [a.routeKey, a.account, a.region]).sort()).to.deep.equal(
            [
                [keyOf("dr-docs"), A, "us-east-1"],
                [keyOf("dr-archive"), A, "us-east-1"],
                [keyOf("dr-orders"), A, "us-east-1"],
                [keyOf("eu-dst"), A, "eu-west-1"],
            ].sort(),
        );
        const f = failed.find(a => a.routeKey === keyOf("dr-archive"))!;
        const archiveRule = built.spec.routes.find(r => r.destination === "dr-archive")!.ruleId;
        expect(f.metric).to.deep.equal({
            namespace: "AWS/S3",
            metricName: "OperationsFailedReplication",
            stat: "Sum",
            period: ALARM_PERIOD_SECONDS,
            dimensions: { SourceBucket: "acme-orders", DestinationBucket: "dr-archive", RuleId: archiveRule },
        });
        expect([f.comparisonOperator, f.threshold, f.treatMissingData]).to.deep.equal(["GreaterThanThreshold", 0, "notBreaching"]);
        expect(f.topicArn).to.equal(`arn:aws:sns:us-east-1:${A}:s3-replication-alerts`);
        const latency = m.alarms.filter(a => a.kind === "latency");
        expect(latency.map(a => [a.routeKey, a.account, a.region, a.threshold, a.metric?.metricName])).to.deep.equal([
            [keyOf("dr-orders"), A, "us-west-2", 900, "ReplicationLatency"],
        ]);
        expect(latency[0].topicArn).to.equal(`arn:aws:sns:us-west-2:${A}:s3-replication-alerts`);
        expect(m.alarms.some(a => a.routeKey === keyOf("dr-off"))).to.equal(false);
    });

    it("adds one Metrics Insights alarm per source account and Region over every rule's failures", () => {
        const fleet = planMonitoring(plan(rows).plan, {}).alarms.filter(a => a.kind === "fleet-failed");
        expect(fleet.map(a => `${a.account}/${a.region}`).sort()).to.deep.equal([`${A}/eu-west-1`, `${A}/us-east-1`]);
        expect(fleet[0].queries).to.deep.equal([
            { id: "failed", expression: FLEET_FAILED_QUERY, period: ALARM_PERIOD_SECONDS, label: "failed replication operations, all rules", returnData: true },
        ]);
        expect(FLEET_FAILED_QUERY).to.equal('SELECT SUM(OperationsFailedReplication) FROM SCHEMA("AWS/S3", DestinationBucket, RuleId, SourceBucket)');
        expect(planMonitoring(plan(rows).plan, { fleetAlarm: false }).alarms.some(a => a.kind === "fleet-failed")).to.equal(false);
    });

    it("watches pending-bytes growth only when asked, as DIFF over consecutive 5-minute periods", () => {
        const m = planMonitoring(plan([route("g-src", "g-dst")]).plan, { pendingGrowthAlarm: true, pendingGrowthMinutes: 45 });
        const growth = m.alarms.find(a => a.kind === "pending-growth")!;
        expect([growth.region, growth.evaluationPeriods, growth.datapointsToAlarm]).to.deep.equal(["us-west-2", 9, 9]);
        expect(growth.queries!.map(q => q.expression ?? q.metric?.metricName)).to.deep.equal(["BytesPendingReplication", "DIFF(pending)"]);
    });

    it("sends failure events from created sources, and from adopted ones only when their rows opt in", () => {
        const built = plan(rows);
        const byDefault = planMonitoring(built.plan, {}).notifications;
        expect(byDefault.map(n => [n.bucket, n.reason, n.events])).to.deep.equal([["acme-docs", "created", [REPLICATION_EVENTS.failed]]]);
        const optIn = new Map([
            ["acme-orders", true],
            ["acme-docs", false],
        ]);
        const chosen = planMonitoring(built.plan, {}, { failureEvents: optIn }).notifications;
        // RTC on one of acme-orders' rules adds the threshold events.
        expect(chosen.map(n => [n.bucket, n.reason, n.events.length])).to.deep.equal([["acme-orders", "opted-in", 3]]);
        expect(planMonitoring(built.plan, { failureEvents: false }, { failureEvents: optIn }).notifications).to.deep.equal([]);
        const topic = planMonitoring(built.plan, {}, { failureEvents: optIn }).topics.find(t => t.region === "us-east-1")!;
        expect(topic.eventSources).to.deep.equal(["acme-orders"]);
    });

    it("uses a given topic for its own account and Region and creates the others", () => {
        const given = `arn:aws:sns:us-east-1:${A}:oncall`;
        const m = planMonitoring(plan(rows).plan, { topicArns: [given] });
        expect(m.topics.map(t => [t.region, t.create, t.arn])).to.deep.equal([
            ["eu-west-1", true, `arn:aws:sns:eu-west-1:${A}:s3-replication-alerts`],
            ["us-east-1", false, given],
            ["us-west-2", true, `arn:aws:sns:us-west-2:${A}:s3-replication-alerts`],
        ]);
        expect(m.alarms.filter(a => a.region === "us-east-1").every(a => a.topicArn === given)).to.equal(true);
    });

    it("with metrics off, watches only the RTC routes (the others publish nothing)", () => {
        const m = planMonitoring(plan(rows).plan, { metrics: false });
        expect([...new Set(m.alarms.filter(a => a.routeKey).map(a => a.routeKey))]).to.deep.equal(["acme-orders->dr-orders"]);
        expect(m.routes.filter(r => r.metrics).map(r => r.key)).to.deep.equal(["acme-orders->dr-orders"]);
        expect(m.dashboards.flatMap(d => d.routes)).to.deep.equal(["acme-orders->dr-orders"]);
    });

    it("in sharded stacks: each route's pieces in its shard, shared pieces per shard under names that never collide", () => {
        const big = syntheticRoutes({ routes: 60, sourceAccounts: 3 });
        const built = plan(big, { accounts: {} });
        const whole = planMonitoring(built.plan, {});
        const count = 3;
        const shardOf = (r: RouteSpec) => parseInt(require("../components/model").shortHash(r.source), 16) % count;
        const parts = [0, 1, 2].map(i => planMonitoring(built.plan, {}, { inShard: r => shardOf(r) === i, shardTag: `s${i}` }));
        // What belongs to a route or a source is registered exactly once across the shards.
        const perRoute = (m: typeof whole) => [...m.alarms.filter(a => a.routeKey), ...m.notifications].map(x => x.resourceName).sort();
        expect(parts.flatMap(perRoute).sort()).to.deep.equal(perRoute(whole));
        expect(parts.filter(p => p.alarms.length > 0).length).to.be.greaterThan(1);
        // What an account and Region shares is per shard, and no two shards use one name there.
        const names = parts.flatMap(p => [
            ...p.topics.filter(t => t.create).map(t => `${t.account}/${t.region}/topic/${t.name}`),
            ...p.alarms.map(a => `${a.account}/${a.region}/alarm/${a.alarmName}`),
            ...p.dashboards.map(d => `${d.account}/dashboard/${d.name}`),
        ]);
        expect(new Set(names).size).to.equal(names.length);
        expect(parts[1].topics[0].name).to.equal("s3-replication-alerts-s1");
        // Every alarm notifies a topic of its own account and Region that its shard has (or was given).
        for (const p of parts)
            for (const a of p.alarms) expect(p.topics.some(t => t.arn === a.topicArn && t.account === a.account && t.region === a.region)).to.equal(true);
    });

    it("names depend on what is watched, never on row order", () => {
        const names = (rs: Row[]) => {
            const m = planMonitoring(plan(rs).plan, {});
            return [...m.alarms, ...m.topics, ...m.dashboards, ...m.notifications].map(x => x.resourceName).sort();
        };
        expect(names([...rows].reverse())).to.deep.equal(names(rows));
        const longRule = "r".repeat(250);
        const long = planMonitoring(plan([route("long-src", "long-dst", { rule_id: longRule })]).plan, {});
        expect(long.alarms.every(a => a.alarmName.length <= 255)).to.equal(true);
    });
});

describe("monitoring model: documents", () => {
    it("lets CloudWatch alarms and S3 (for the named buckets) publish, each scoped to the account", () => {
        const doc = alertTopicPolicy({ account: A, region: "us-east-1", arn: `arn:aws:sns:us-east-1:${A}:t`, eventSources: ["b1", "b2"] });
        const bySid = Object.fromEntries(doc.Statement.map(s => [s.Sid, s]));
        expect(Object.keys(bySid)).to.deep.equal(["AccountOwnerManages", "CloudWatchAlarmsPublish", "S3ReplicationEventsPublish"]);
        expect(bySid.CloudWatchAlarmsPublish.Condition).to.deep.equal({
            StringEquals: { "aws:SourceAccount": A },
            ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:us-east-1:${A}:alarm:*` },
        });
        expect(bySid.S3ReplicationEventsPublish).to.deep.include({ Principal: { Service: "s3.amazonaws.com" }, Action: "sns:Publish" });
        expect(bySid.S3ReplicationEventsPublish.Condition).to.deep.equal({
            StringEquals: { "aws:SourceAccount": A },
            ArnLike: { "aws:SourceArn": ["arn:aws:s3:::b1", "arn:aws:s3:::b2"] },
        });
        const none = alertTopicPolicy({ account: A, region: "cn-north-1", arn: "arn:aws-cn:sns:cn-north-1:111111111111:t", eventSources: [] });
        expect(none.Statement.map(s => s.Sid)).to.deep.equal(["AccountOwnerManages", "CloudWatchAlarmsPublish"]);
        expect(JSON.stringify(none)).to.contain("arn:aws-cn:cloudwatch:cn-north-1:");
    });

    it("draws per route failed operations (source Region), pending and latency (destination Region)", () => {
        const routes = watchedRoutes(plan([route("d-src", "d-dst", { rtc: true })]).plan.spec.routes, {});
        const body = dashboardBody(routes, { account: A, region: "us-east-1" });
        expect(body.widgets.map(w => [w.type, w.properties.region ?? null])).to.deep.equal([
            ["text", null],
            ["metric", "us-east-1"],
            ["metric", "us-west-2"],
            ["metric", "us-west-2"],
        ]);
        const metricsOf = (i: number) => (body.widgets[i].properties.metrics as unknown[][]).map(m => m[1]);
        expect([metricsOf(1), metricsOf(2), metricsOf(3)]).to.deep.equal([
            ["OperationsFailedReplication"],
            ["BytesPendingReplication", "OperationsPendingReplication"],
            ["ReplicationLatency"],
        ]);
        expect((body.widgets[1].properties.metrics as unknown[][])[0].slice(0, 8)).to.deep.equal([
            "AWS/S3",
            "OperationsFailedReplication",
            "SourceBucket",
            "d-src",
            "DestinationBucket",
            "d-dst",
            "RuleId",
            "to-d-dst",
        ]);
        expect(body.widgets[3].properties.annotations).to.deep.equal({ horizontal: [{ label: "RTC threshold", value: 900 }] });
        // Widgets do not overlap.
        const cells = new Set<string>();
        for (const w of body.widgets)
            for (let x = w.x; x < w.x + w.width; x++)
                for (let y = w.y; y < w.y + w.height; y++) {
                    expect(cells.has(`${x},${y}`)).to.equal(false);
                    cells.add(`${x},${y}`);
                }
    });

    it("splits a large account and Region over dashboards that stay within 500 widgets", () => {
        const rows = Array.from({ length: ROUTES_PER_DASHBOARD + 20 }, (_, i) => route(`big-src-${i}`, `big-dst-${i}`));
        const m = planMonitoring(plan(rows).plan, {});
        expect(m.dashboards.map(d => [d.name, d.routes.length])).to.deep.equal([
            ["s3-replication-us-east-1", ROUTES_PER_DASHBOARD],
            ["s3-replication-us-east-1-2", 20],
        ]);
        for (const d of m.dashboards) expect(d.body.widgets.length).to.be.at.most(500);
    });
});

describe("monitoring model: status queries and settings", () => {
    it("asks each metric in the Region it is published in, in batches of at most 500 with unique ids", () => {
        const routes = watchedRoutes(plan([route("q-src", "q-dst"), route("q-src", "q-dst2", { rtc: true })]).plan.spec.routes, {});
        const batches = routeMetricQueries(routes);
        expect(batches.map(b => [b.account, b.region, b.queries.length])).to.deep.equal([
            [A, "us-east-1", 2],
            [A, "us-west-2", 6],
        ]);
        expect(batches[0].queries.map(q => q.MetricStat.Metric.MetricName)).to.deep.equal(["OperationsFailedReplication", "OperationsFailedReplication"]);
        expect(batches[0].queries[0]).to.deep.equal({
            Id: "m0",
            ReturnData: true,
            MetricStat: {
                Metric: {
                    Namespace: "AWS/S3",
                    MetricName: "OperationsFailedReplication",
                    Dimensions: [
                        { Name: "SourceBucket", Value: "q-src" },
                        { Name: "DestinationBucket", Value: "q-dst" },
                        { Name: "RuleId", Value: "to-q-dst" },
                    ],
                },
                Period: 300,
                Stat: "Sum",
            },
        });
        expect(batches[1].refs.get("m0")).to.deep.equal({ routeKey: "q-src->q-dst", metric: "BytesPendingReplication" });
        // 170 routes: 170 failure queries in the source Region, 3 x 170 = 510 in the destination's.
        const many = watchedRoutes(plan(Array.from({ length: 170 }, (_, i) => route(`many-${i}`, `many-dst-${i}`))).plan.spec.routes, {});
        const big = routeMetricQueries(many);
        expect(big.map(b => [b.region, b.queries.length])).to.deep.equal([
            ["us-east-1", 170],
            ["us-west-2", MAX_QUERIES_PER_CALL],
            ["us-west-2", 10],
        ]);
        for (const b of big) expect(new Set(b.queries.map(q => q.Id)).size).to.equal(b.queries.length);
    });

    it("checks topic ARNs and takes `monitoring` in stack config", () => {
        expect(
            monitoringSettingsProblems({
                topicArns: [`arn:aws:sns:us-east-1:${A}:a`, "not-an-arn", `arn:aws:sns:us-east-1:${A}:b`, `arn:aws-cn:sns:eu-west-1:${A}:c`],
            }).map(d => d.path),
        ).to.deep.equal(["monitoring.topicArns[1]", "monitoring.topicArns[2]", "monitoring.topicArns[3]"]);
        const ok = parseStackSettings({ monitoring: JSON.stringify({ metrics: false, pendingGrowthAlarm: true }) });
        expect(ok.diagnostics).to.deep.equal([]);
        expect(ok.settings!.monitoring).to.deep.equal({ metrics: false, pendingGrowthAlarm: true });
        expect(parseStackSettings({}).settings!.monitoring).to.deep.equal({});
        const bad = parseStackSettings({ monitoring: { alarm: true, pendingGrowthMinutes: 7 } });
        // The misspelt key and the minutes that are not a multiple of 5, both under monitoring.
        expect(bad.diagnostics.length).to.be.at.least(2);
        expect(bad.diagnostics.every(d => d.code === "INVALID_CONFIG")).to.equal(true);
        expect(bad.diagnostics.every(d => d.path?.startsWith("pulumi-s3-replication:monitoring"))).to.equal(true);
        expect(bad.diagnostics.some(d => d.path === "pulumi-s3-replication:monitoring.pendingGrowthMinutes")).to.equal(true);
    });
});
