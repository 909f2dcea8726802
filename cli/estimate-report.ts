/**
 * `plan --estimate <file>`: reads the estimate file, takes what costs money from the plan, and
 * prints the estimate (components/model/cost.ts) as text, Markdown or JSON. Every figure printed
 * here is labelled an estimate.
 */
import * as fs from "fs";
import { parse as parseYaml } from "yaml";
import { Diagnostic, diag, routeKey } from "../components/model";
import { CostEstimate, CostPlan, EstimateFile, estimateCosts, parseEstimateFile } from "../components/model/cost";
import { PlanJson, code, routesOf, text } from "./plan-markdown";

const JOB_TYPES = ["pulumi-nodejs:dynamic/s3-replication:BatchReplicationJob", "pulumi-s3-replication:index:BatchReplicationJob"];

/** The estimate file (YAML or JSON), or every problem with it. */
export function readEstimateFile(file: string): { estimate?: EstimateFile; diagnostics: Diagnostic[] } {
    let raw: unknown;
    try {
        raw = parseYaml(fs.readFileSync(file, "utf8"));
    } catch (e) {
        return {
            diagnostics: [diag("INVALID_CONFIG", `the estimate file cannot be read: ${(e as Error).message.split("\n")[0]}`, { file, path: "--estimate" })],
        };
    }
    return parseEstimateFile(raw, file);
}

/** What costs money in a plan, as the estimate model takes it. */
export function costPlanOf(plan: PlanJson): CostPlan {
    return {
        routes: routesOf(plan).map(r => {
            const tags = Object.fromEntries((r.rule?.tags ?? []).map(t => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]));
            return {
                key: routeKey(r.source, r.destination, r.rule?.prefix ?? "", tags),
                source: r.source,
                destination: r.destination,
                sourceAccount: r.sourceAccount,
                sourceRegion: r.sourceRegion,
                destinationAccount: r.destinationAccount,
                destinationRegion: r.destinationRegion,
                ...(r.rule?.storageClass ? { storageClass: r.rule.storageClass } : {}),
                ...(r.rule?.replicaKmsKey ? { replicaKmsKey: r.rule.replicaKmsKey } : {}),
                rtc: r.rule?.rtc ?? false,
                metrics: r.rule?.metrics ?? false,
                backfill: r.existingObjects,
            };
        }),
        jobs: plan.resources.filter(x => JOB_TYPES.includes(x.type)).map(x => ({ name: x.name, source: String(x.inputs.sourceBucket ?? "") })),
        alarms: plan.resources
            .filter(x => x.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
            .map(x => ({
                account: x.account ?? "",
                region: x.region ?? "",
                metricsInsights: JSON.stringify(x.inputs.metricQueries ?? "").includes("SELECT"),
            })),
        dashboards: plan.resources.filter(x => x.type === "aws:cloudwatch/dashboard:Dashboard").length,
    };
}

export function estimatePlan(plan: PlanJson, file: EstimateFile): CostEstimate {
    return estimateCosts(costPlanOf(plan), file);
}

/** Dollars as a reader wants them: cents, "< $0.01" for what rounds to nothing. */
export function usd(n: number): string {
    if (n === 0) return "$0.00";
    if (n < 0.005) return "< $0.01";
    return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const gb = (n: number) => `${n.toLocaleString("en-US", { maximumFractionDigits: 1 })} GB`;
const dashboards = (n: number) => `${n} dashboard${n === 1 ? "" : "s"}`;
const by = (r: CostEstimate["routes"][number]) => (r.estimatedBy === "none" ? "no estimate" : `by ${r.estimatedBy}`);

export function estimateText(e: CostEstimate): string {
    const lines = [`Cost and capacity ESTIMATE (${e.prices.region} list prices of ${e.prices.takenOn}, ${e.prices.currency}; every figure is an estimate)`];
    lines.push("", "Per route, per month (estimated):");
    for (const r of e.routes) {
        const m = r.monthly;
        lines.push(`  ${r.key}  [${by(r)}]`);
        lines.push(
            `      ${int(m.puts)} replication PUTs ${usd(m.putUsd)} · ${gb(m.transferGb)} inter-Region ${usd(m.transferUsd)} · RTC ${usd(m.rtcUsd)} · metrics ${usd(m.metricsUsd)} · ${int(m.kmsRequests)} KMS requests ${usd(m.kmsUsd)} · total ≈ ${usd(m.totalUsd)}`,
        );
    }
    lines.push(
        "",
        `Monitoring, per month (estimated): ${int(e.monitoring.alarmMetrics)} alarm metrics ${usd(e.monitoring.alarmsUsd)} · ${dashboards(e.monitoring.dashboards)} ${usd(e.monitoring.dashboardsUsd)} (replication metrics are in the routes: ${usd(e.monitoring.metricsUsd)})`,
    );
    const backfilled = e.routes.filter(r => r.backfill.objects > 0);
    if (backfilled.length > 0 || e.jobs.length > 0) {
        lines.push("", "Backfill, once (estimated):");
        for (const r of backfilled)
            lines.push(
                `  ${r.key}: ${int(r.backfill.objects)} objects, PUTs ${usd(r.backfill.putUsd)} · ${gb(r.backfill.transferGb)} inter-Region ${usd(r.backfill.transferUsd)} · ${int(r.backfill.kmsRequests)} KMS requests ${usd(r.backfill.kmsUsd)} · total ≈ ${usd(r.backfill.totalUsd)}`,
            );
        for (const j of e.jobs)
            lines.push(
                `  job ${j.name}: ${int(j.objects)} objects, job ${usd(j.jobUsd)} · objects ${usd(j.objectsUsd)} · manifest ${usd(j.manifestUsd)} · total ≈ ${usd(j.totalUsd)}`,
            );
    }
    lines.push("", `Fleet total (estimated): ≈ ${usd(e.monthlyUsd)} per month, ≈ ${usd(e.oneTimeUsd)} once for backfills.`);
    if (e.kms.length > 0) {
        lines.push("", "KMS request capacity (SSE-KMS routes; estimated):");
        for (const k of e.kms)
            lines.push(
                `  ${k.account} · ${k.region}: ${int(k.monthlyRequests)} requests/month ≈ ${k.averagePerSecond} per second on average, ${k.percentOfQuota}% of the ${int(k.quotaPerSecond)}/s quota; backfill ${int(k.backfillRequests)} requests, at least ${k.backfillHoursAtQuota} h at the whole quota`,
            );
    }
    if (e.rtc.length > 0) {
        lines.push("", "RTC data transfer (estimated):");
        for (const x of e.rtc) lines.push(`  ${x.account} · ${x.region}: ${x.averageGbps} Gbps on average, against the ${x.quotaGbps} Gbps default quota`);
    }
    if (e.unmatched.length > 0) lines.push("", `Estimate entries that match no route or source of this plan (not used): ${e.unmatched.join(", ")}`);
    lines.push("", "Notes:", ...e.notes.map(n => `  - ${n}`), `  - Prices: ${Object.values(e.prices.sources).join("; ")}`);
    return lines.join("\n");
}

export function estimateMarkdown(e: CostEstimate): string {
    const out = [
        "### Cost and capacity estimate",
        "",
        `**Every figure here is an estimate**, from ${e.prices.region} list prices taken on ${e.prices.takenOn} (${e.prices.currency}); see the notes.`,
        "",
    ];
    out.push(`**Fleet total (estimated):** ≈ ${usd(e.monthlyUsd)} per month, ≈ ${usd(e.oneTimeUsd)} once for backfills.`, "");
    out.push(
        "| Route | Estimated by | Replication PUTs | Inter-Region transfer | RTC | Metrics | KMS requests | Est. per month |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const r of e.routes) {
        const m = r.monthly;
        out.push(
            `| ${code(r.key)} | ${by(r)} | ${int(m.puts)}: ${usd(m.putUsd)} | ${gb(m.transferGb)}: ${usd(m.transferUsd)} | ${usd(m.rtcUsd)} | ${usd(m.metricsUsd)} | ${int(m.kmsRequests)}: ${usd(m.kmsUsd)} | ≈ ${usd(m.totalUsd)} |`,
        );
    }
    out.push(
        `| Alarms and dashboards | – | – | – | – | ${int(e.monitoring.alarmMetrics)} alarm metrics: ${usd(e.monitoring.alarmsUsd)}; ${dashboards(e.monitoring.dashboards)}: ${usd(e.monitoring.dashboardsUsd)} | – | ≈ ${usd(e.monitoring.alarmsUsd + e.monitoring.dashboardsUsd)} |`,
        "",
    );
    const backfilled = e.routes.filter(r => r.backfill.objects > 0);
    if (backfilled.length > 0 || e.jobs.length > 0) {
        out.push(
            "**Backfill, once (estimated)**",
            "",
            "| Route or job | Objects | Replication PUTs | Inter-Region transfer | KMS requests | Batch Operations | Est. once |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        );
        for (const r of backfilled)
            out.push(
                `| ${code(r.key)} | ${int(r.backfill.objects)} | ${usd(r.backfill.putUsd)} | ${gb(r.backfill.transferGb)}: ${usd(r.backfill.transferUsd)} | ${int(r.backfill.kmsRequests)}: ${usd(r.backfill.kmsUsd)} | – | ≈ ${usd(r.backfill.totalUsd)} |`,
            );
        for (const j of e.jobs)
            out.push(
                `| job ${code(j.name)} | ${int(j.objects)} | – | – | – | job ${usd(j.jobUsd)}, objects ${usd(j.objectsUsd)}, manifest ${usd(j.manifestUsd)} | ≈ ${usd(j.totalUsd)} |`,
            );
        out.push("");
    }
    if (e.kms.length > 0) {
        out.push(
            "**KMS request capacity (estimated)**",
            "",
            "| Account · Region | Requests per month | Average per second | Share of quota | Backfill requests | Backfill at the whole quota |",
            "| --- | --- | --- | --- | --- | --- |",
        );
        for (const k of e.kms)
            out.push(
                `| ${code(`${k.account} · ${k.region}`)} | ${int(k.monthlyRequests)} | ${k.averagePerSecond} | ${k.percentOfQuota}% of ${int(k.quotaPerSecond)}/s | ${int(k.backfillRequests)} | ≥ ${k.backfillHoursAtQuota} h |`,
            );
        out.push("");
    }
    if (e.rtc.length > 0) {
        out.push("**RTC data transfer (estimated)**", "", "| Account · Region | Average | Default quota |", "| --- | --- | --- |");
        for (const x of e.rtc) out.push(`| ${code(`${x.account} · ${x.region}`)} | ${x.averageGbps} Gbps | ${x.quotaGbps} Gbps |`);
        out.push("");
    }
    if (e.unmatched.length > 0) out.push(`Estimate entries that match no route or source of this plan (not used): ${e.unmatched.map(code).join(", ")}`, "");
    out.push(
        "<details><summary>Notes and price sources</summary>",
        "",
        ...e.notes.map(n => `- ${text(n)}`),
        ...Object.entries(e.prices.sources).map(([k, v]) => `- ${k}: ${text(v)}`),
        "",
        "</details>",
    );
    return out.join("\n");
}
