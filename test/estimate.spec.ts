/**
 * `plan --estimate` (issue 14, item 3): the cost and capacity model on a small fleet with numbers
 * a reader can check by hand, the estimate file's diagnostics, and the CLI's three formats.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CostPlan, CostRoute, estimateCosts, parseEstimateFile } from "../components/model/cost";
import { PRICES } from "../components/model/prices";
import { estimateText, usd } from "../cli/estimate-report";
import { runPlan } from "../cli/plan-command";

const GiB = 2 ** 30;
const MiB = 2 ** 20;

const route = (over: Partial<CostRoute>): CostRoute => ({
    key: "x->y",
    source: "x",
    destination: "y",
    sourceAccount: "111111111111",
    sourceRegion: "us-east-1",
    destinationAccount: "111111111111",
    destinationRegion: "us-east-1",
    rtc: false,
    metrics: true,
    backfill: "none",
    ...over,
});

/** a -> a-dr: cross-Region and cross-account, SSE-KMS, RTC, backfilled; b -> b-copy: same Region; c -> c-dr: no estimate, no metrics. */
const PLAN: CostPlan = {
    routes: [
        route({
            key: "a->a-dr",
            source: "a",
            destination: "a-dr",
            destinationAccount: "222222222222",
            destinationRegion: "eu-central-1",
            storageClass: "STANDARD_IA",
            replicaKmsKey: "arn:aws:kms:eu-central-1:222222222222:key/k",
            rtc: true,
            backfill: "eligible",
        }),
        route({ key: "b->b-copy", source: "b", destination: "b-copy" }),
        route({ key: "c->c-dr", source: "c", destination: "c-dr", destinationRegion: "us-west-2", metrics: false }),
    ],
    jobs: [{ name: "backfill-a-eligible", source: "a" }],
    alarms: [
        { account: "111111111111", region: "us-east-1", metricsInsights: true },
        { account: "111111111111", region: "us-east-1", metricsInsights: false },
        { account: "111111111111", region: "us-east-1", metricsInsights: false },
        { account: "111111111111", region: "eu-central-1", metricsInsights: false },
    ],
    dashboards: 1,
};
const FILE = {
    routes: {
        "a->a-dr": { objects: 10_000_000, averageObjectBytes: MiB, monthlyNewObjects: 1_000_000, monthlyNewBytes: 100 * GiB },
        b: { monthlyNewObjects: 200_000, monthlyNewBytes: 50 * GiB },
        "typo-bucket": { objects: 1 },
    },
};

describe("cost model (pure)", () => {
    const e = estimateCosts(PLAN, FILE);

    it("prices live replication per route: PUTs at the destination class, inter-Region GB, RTC, four metrics a rule, KMS both sides", () => {
        const [a, b, c] = e.routes;
        expect(a.estimatedBy).to.equal("route");
        expect(a.monthly).to.deep.include({
            puts: 1_000_000,
            putUsd: 10,
            transferGb: 100,
            transferUsd: 2,
            rtcUsd: 1.5,
            metricsUsd: 1.2,
            kmsRequests: 2_000_000,
            kmsUsd: 6,
        });
        expect(a.monthly.totalUsd).to.be.closeTo(20.7, 1e-9);
        // Same Region: no transfer; no class: priced as STANDARD.
        expect(b.estimatedBy).to.equal("source");
        expect(b.monthly).to.deep.include({ putUsd: 1, transferGb: 0, transferUsd: 0, rtcUsd: 0, kmsUsd: 0 });
        expect(c).to.deep.include({ estimatedBy: "none" });
        expect(c.monthly.totalUsd).to.equal(0);
    });

    it("prices a backfill once: its objects' PUTs, transfer and KMS requests, and the Batch Operations job, objects and manifest", () => {
        expect(e.routes[0].backfill).to.deep.include({
            objects: 10_000_000,
            putUsd: 100,
            transferGb: 9765.625,
            transferUsd: 195.3125,
            kmsRequests: 20_000_000,
            kmsUsd: 60,
        });
        expect(e.jobs).to.deep.equal([
            { name: "backfill-a-eligible", source: "a", objects: 10_000_000, jobUsd: 0.25, objectsUsd: 10, manifestUsd: 0.15, totalUsd: 10.4 },
        ]);
        expect(e.oneTimeUsd).to.be.closeTo(355.3125 + 10.4, 1e-9);
    });

    it("bills a Metrics Insights alarm per rule it analyzes, standard alarms one metric each, and dashboards", () => {
        // The insights alarm in 111111111111 · us-east-1 analyzes a's and b's rules (c has no metrics).
        expect(e.monitoring).to.deep.equal({ alarmMetrics: 5, alarmsUsd: 0.5, dashboards: 1, dashboardsUsd: 3, metricsUsd: 2.4 });
        expect(e.monthlyUsd).to.be.closeTo(20.7 + 2.2 + 0.5 + 3, 1e-9);
    });

    it("measures KMS requests against each Region's quota, in the account that owns the key", () => {
        expect(e.kms).to.deep.equal([
            {
                account: "111111111111",
                region: "us-east-1",
                monthlyRequests: 1_000_000,
                averagePerSecond: 0.381,
                quotaPerSecond: 100_000,
                percentOfQuota: 0.000381,
                backfillRequests: 10_000_000,
                backfillHoursAtQuota: 0.028,
            },
            {
                account: "222222222222",
                region: "eu-central-1",
                monthlyRequests: 1_000_000,
                averagePerSecond: 0.381,
                quotaPerSecond: 20_000,
                percentOfQuota: 0.001903,
                backfillRequests: 10_000_000,
                backfillHoursAtQuota: 0.139,
            },
        ]);
        expect(e.rtc).to.deep.equal([{ account: "111111111111", region: "us-east-1", averageGbps: 0.000327, quotaGbps: 1 }]);
    });

    it("reports estimate entries that match nothing, and takes price overrides", () => {
        expect(e.unmatched).to.deep.equal(["typo-bucket"]);
        const dearer = estimateCosts(PLAN, { ...FILE, prices: { interRegionTransferPerGb: 0.09 } });
        expect(dearer.routes[0].monthly.transferUsd).to.be.closeTo(9, 1e-9);
        expect(dearer.prices.takenOn).to.equal(PRICES.takenOn);
    });

    it("prints every figure as an estimate", () => {
        const lines = estimateText(e).split("\n");
        expect(lines[0]).to.equal("Cost and capacity ESTIMATE (us-east-1 list prices of 2026-12-01, USD; every figure is an estimate)");
        expect(lines).to.include.members([
            "  a->a-dr  [by route]",
            "      1,000,000 replication PUTs $10.00 · 100 GB inter-Region $2.00 · RTC $1.50 · metrics $1.20 · 2,000,000 KMS requests $6.00 · total ≈ $20.70",
            "Fleet total (estimated): ≈ $26.40 per month, ≈ $365.71 once for backfills.",
            "  222222222222 · eu-central-1: 1,000,000 requests/month ≈ 0.381 per second on average, 0.001903% of the 20,000/s quota; backfill 10,000,000 requests, at least 0.139 h at the whole quota",
        ]);
        expect([usd(0), usd(0.004), usd(1234.5)]).to.deep.equal(["$0.00", "< $0.01", "$1,234.50"]);
    });
});

describe("the estimate file", () => {
    it("lists every problem at once, at its path", () => {
        const r = parseEstimateFile({ routes: { a: { objects: -1, size: 3 }, b: 7 }, extra: 1, prices: { gold: 1 } }, "e.yaml");
        expect(r.estimate).to.equal(undefined);
        expect(r.diagnostics.map(d => `${d.code} ${d.path}`)).to.deep.equal([
            "INVALID_CONFIG extra",
            "INVALID_CONFIG routes.a.objects",
            "INVALID_CONFIG routes.a.size",
            "INVALID_CONFIG routes.b",
            "INVALID_CONFIG prices.gold",
        ]);
    });
});

describe("plan --estimate", function () {
    this.timeout(60_000);
    const estimate = path.join(__dirname, "..", "stacks", "estimates", "prod.yaml");
    const run = async (options: { format?: "text" | "markdown" | "json"; estimate: string }) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await runPlan({ stack: "prod", ...options }, { out: s => out.push(s), err: s => err.push(s) });
        return { code, out: out.join("\n"), err: err.join("\n") };
    };

    it("adds the estimate to the JSON plan and the Markdown plan", async () => {
        const json = await run({ format: "json", estimate });
        expect(json.code, json.err).to.equal(0);
        const doc = JSON.parse(json.out) as { estimate: { routes: unknown[]; monthlyUsd: number; unmatched: string[] }; resources: unknown[] };
        expect(doc.resources.length).to.be.greaterThan(0);
        expect(doc.estimate.routes).to.have.length(4);
        expect(doc.estimate.unmatched).to.deep.equal([]);
        expect(Math.round(doc.estimate.monthlyUsd * 100) / 100).to.equal(437.06);
        const md = await run({ format: "markdown", estimate });
        expect(md.out)
            .to.include("### Cost and capacity estimate")
            .and.include("**Every figure here is an estimate**")
            .and.include("**Fleet total (estimated):** ≈ $437.06 per month, ≈ $4,385.80 once for backfills.");
    });

    it("refuses an estimate file it cannot use before planning (exit 2)", async () => {
        const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "s3r-est-")), "bad.yaml");
        fs.writeFileSync(bad, "routes:\n  acme-prod-orders:\n    objects: lots\n");
        const r = await run({ estimate: bad });
        expect(r.code).to.equal(2);
        expect(r.err.split("\n")).to.deep.equal([
            `${bad}:: error INVALID_CONFIG routes.acme-prod-orders.objects must be a number of 0 or more, not string.`,
            "plan: nothing was planned; fix the estimate file above.",
        ]);
    });
});
