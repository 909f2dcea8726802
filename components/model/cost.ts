/**
 * Cost and capacity estimate of a fleet (`plan --estimate`): what replication adds to the bill per
 * route and for the fleet, and how close SSE-KMS routes come to the KMS request quota, from object
 * counts and sizes the user gives per route or per source bucket. Every figure is an estimate made
 * from the list prices in prices.ts; storage of the replicas is not included (it depends on how long
 * objects live), nor are free tiers. Pure: no Pulumi, no AWS.
 */
import { Diagnostic, diag, kindOf } from "./diagnostics";
import { parseKmsKeyArn } from "./aws-facts";
import { PRICES, PriceTable, PricedStorageClass, kmsQuota } from "./prices";
import { REPLICATION_METRICS } from "./monitoring";
import type { RouteEnds } from "./fleet-spec";

/** What a route (or every route of a source bucket) moves. All optional; missing ones price as 0. */
export interface ObjectEstimate {
    /** Objects in the source today (what a backfill replicates). */
    objects?: number;
    /** Their average size in bytes. */
    averageObjectBytes?: number;
    /** Objects written per month (what live replication copies). */
    monthlyNewObjects?: number;
    /** Bytes written per month. */
    monthlyNewBytes?: number;
}

/** The `--estimate` file: estimates by route key or source bucket, and optional price overrides. */
export interface EstimateFile {
    routes: Record<string, ObjectEstimate>;
    prices?: Partial<Pick<PriceTable, NumericPrice>>;
}

type NumericPrice =
    | "interRegionTransferPerGb"
    | "rtcTransferPerGb"
    | "customMetricPerMonth"
    | "alarmMetricPerMonth"
    | "dashboardPerMonth"
    | "batchJob"
    | "batchPerMillionObjects"
    | "batchManifestPerMillionObjects"
    | "kmsPer10kRequests"
    | "rtcGbpsQuota";
const NUMERIC_PRICES: readonly NumericPrice[] = [
    "interRegionTransferPerGb",
    "rtcTransferPerGb",
    "customMetricPerMonth",
    "alarmMetricPerMonth",
    "dashboardPerMonth",
    "batchJob",
    "batchPerMillionObjects",
    "batchManifestPerMillionObjects",
    "kmsPer10kRequests",
    "rtcGbpsQuota",
];
const ESTIMATE_FIELDS: ReadonlyArray<keyof ObjectEstimate> = ["objects", "averageObjectBytes", "monthlyNewObjects", "monthlyNewBytes"];

/** Read an estimate file's parsed YAML/JSON, every problem at once (INVALID_CONFIG at its path). */
export function parseEstimateFile(raw: unknown, file: string): { estimate?: EstimateFile; diagnostics: Diagnostic[] } {
    const out: Diagnostic[] = [];
    const at = (path: string) => ({ file, path });
    const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
    if (!isMap(raw))
        return {
            diagnostics: [
                diag(
                    "INVALID_CONFIG",
                    `the estimate file must be a mapping with \`routes:\` (route keys or source buckets to {objects, averageObjectBytes, monthlyNewObjects, monthlyNewBytes}), not ${kindOf(raw)}.`,
                    at("(file)"),
                ),
            ],
        };
    for (const k of Object.keys(raw))
        if (k !== "routes" && k !== "prices")
            out.push(diag("INVALID_CONFIG", `unknown key ${JSON.stringify(k)}; an estimate file has \`routes:\` and optionally \`prices:\`.`, at(k)));
    const routes = Object.create(null) as Record<string, ObjectEstimate>;
    if (!isMap(raw.routes))
        out.push(diag("INVALID_CONFIG", `\`routes\` must map route keys or source buckets to estimates, not ${kindOf(raw.routes)}.`, at("routes")));
    else
        for (const [key, v] of Object.entries(raw.routes)) {
            if (!isMap(v)) {
                out.push(diag("INVALID_CONFIG", `routes.${key} must be a mapping of ${ESTIMATE_FIELDS.join(", ")}, not ${kindOf(v)}.`, at(`routes.${key}`)));
                continue;
            }
            const e: ObjectEstimate = {};
            for (const [field, n] of Object.entries(v)) {
                if (!(ESTIMATE_FIELDS as readonly string[]).includes(field)) {
                    out.push(
                        diag(
                            "INVALID_CONFIG",
                            `routes.${key}.${field} is not an estimate field; use ${ESTIMATE_FIELDS.join(", ")}.`,
                            at(`routes.${key}.${field}`),
                        ),
                    );
                    continue;
                }
                if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
                    out.push(
                        diag(
                            "INVALID_CONFIG",
                            `routes.${key}.${field} must be a number of 0 or more, not ${typeof n === "number" ? n : kindOf(n)}.`,
                            at(`routes.${key}.${field}`),
                        ),
                    );
                    continue;
                }
                e[field as keyof ObjectEstimate] = n;
            }
            routes[key] = e;
        }
    const prices: Partial<Pick<PriceTable, NumericPrice>> = {};
    if (raw.prices !== undefined) {
        if (!isMap(raw.prices))
            out.push(diag("INVALID_CONFIG", `\`prices\` must be a mapping of price names to numbers, not ${kindOf(raw.prices)}.`, at("prices")));
        else
            for (const [name, n] of Object.entries(raw.prices)) {
                if (!(NUMERIC_PRICES as readonly string[]).includes(name))
                    out.push(
                        diag("INVALID_CONFIG", `prices.${name} is not a price this estimate uses; use ${NUMERIC_PRICES.join(", ")}.`, at(`prices.${name}`)),
                    );
                else if (typeof n !== "number" || !Number.isFinite(n) || n < 0)
                    out.push(diag("INVALID_CONFIG", `prices.${name} must be a number of 0 or more.`, at(`prices.${name}`)));
                else prices[name as NumericPrice] = n;
            }
    }
    if (out.length > 0) return { diagnostics: out };
    return { estimate: { routes, ...(Object.keys(prices).length > 0 ? { prices } : {}) }, diagnostics: [] };
}

/** One route as the estimate needs it (from the plan). */
export interface CostRoute extends RouteEnds {
    /** The route's key (`source->destination[-filter hash]`), as the estimate file may name it. */
    key: string;
    /** The replicas' storage class; absent: the source object's class (priced as STANDARD). */
    storageClass?: string;
    /** SSE-KMS objects are replicated, re-encrypted with this key. */
    replicaKmsKey?: string;
    rtc: boolean;
    /** Replication metrics on the rule. */
    metrics: boolean;
    /** The route's backfill mode ("none": no backfill). */
    backfill: string;
}

/** What the plan registers besides routes that costs money. */
export interface CostPlan {
    routes: CostRoute[];
    /** Backfill jobs, by the source they replicate. */
    jobs: Array<{ name: string; source: string }>;
    /** Standard alarms (one metric each), by account and Region. */
    alarms: Array<{ account: string; region: string; metricsInsights: boolean }>;
    dashboards: number;
}

export interface Money {
    usd: number;
}

export interface RouteCost {
    key: string;
    source: string;
    destination: string;
    /** Which estimate entry priced the route. */
    estimatedBy: "route" | "source" | "none";
    monthly: {
        puts: number;
        putUsd: number;
        transferGb: number;
        transferUsd: number;
        rtcUsd: number;
        metricsUsd: number;
        kmsRequests: number;
        kmsUsd: number;
        totalUsd: number;
    };
    backfill: { objects: number; putUsd: number; transferGb: number; transferUsd: number; kmsRequests: number; kmsUsd: number; totalUsd: number };
}

export interface JobCost {
    name: string;
    source: string;
    objects: number;
    jobUsd: number;
    objectsUsd: number;
    manifestUsd: number;
    totalUsd: number;
}

export interface KmsCapacity {
    account: string;
    region: string;
    /** Requests per month live replication adds (SSE-KMS routes). */
    monthlyRequests: number;
    averagePerSecond: number;
    quotaPerSecond: number;
    /** averagePerSecond as a percentage of the quota. */
    percentOfQuota: number;
    /** Requests a backfill adds in all. */
    backfillRequests: number;
    /** Hours the backfill's requests take at the whole quota: a floor on its duration. */
    backfillHoursAtQuota: number;
}

export interface RtcCapacity {
    account: string;
    region: string;
    averageGbps: number;
    quotaGbps: number;
}

export interface CostEstimate {
    prices: PriceTable;
    routes: RouteCost[];
    jobs: JobCost[];
    monitoring: { alarmMetrics: number; alarmsUsd: number; dashboards: number; dashboardsUsd: number; metricsUsd: number };
    monthlyUsd: number;
    oneTimeUsd: number;
    kms: KmsCapacity[];
    rtc: RtcCapacity[];
    /** Estimate keys that match no route or source of this plan (a typo, or another stack's). */
    unmatched: string[];
    notes: string[];
}

/** Seconds in the month the estimate uses: 730 hours, as AWS's own calculator uses. */
export const SECONDS_PER_MONTH = 730 * 3600;
const GB = 2 ** 30;
const round = (n: number, digits = 6) => Math.round(n * 10 ** digits) / 10 ** digits;
/** Dollars to a millionth of a cent's worth: enough for any sum, and free of binary-fraction noise. */
const money = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k.endsWith("Usd") && typeof v === "number" ? round(v, 8) : v])) as T;

function putPrice(prices: PriceTable, storageClass: string | undefined): number {
    return prices.s3PutPer1000[(storageClass ?? "STANDARD") as PricedStorageClass] ?? prices.s3PutPer1000.STANDARD;
}

export function estimateCosts(plan: CostPlan, file: EstimateFile, basePrices: PriceTable = PRICES): CostEstimate {
    const prices: PriceTable = { ...basePrices, ...file.prices };
    const sources = new Set(plan.routes.map(r => r.source));
    const keys = new Set(plan.routes.map(r => r.key));
    const unmatched = Object.keys(file.routes)
        .filter(k => !keys.has(k) && !sources.has(k))
        .sort();
    const kms = new Map<string, { account: string; region: string; monthly: number; backfill: number }>();
    const addKms = (account: string, region: string, monthly: number, backfill: number) => {
        const k = `${account}/${region}`;
        const e = kms.get(k) ?? { account, region, monthly: 0, backfill: 0 };
        e.monthly += monthly;
        e.backfill += backfill;
        kms.set(k, e);
    };
    const rtc = new Map<string, { account: string; region: string; bytes: number }>();

    const routes: RouteCost[] = plan.routes.map(r => {
        const own = file.routes[r.key];
        const bySource = file.routes[r.source];
        const e: ObjectEstimate = own ?? bySource ?? {};
        const crossRegion = r.sourceRegion !== r.destinationRegion;
        const put = putPrice(prices, r.storageClass) / 1000;
        const kmsPrice = prices.kmsPer10kRequests / 10000;
        // Live replication: one PUT per object at the destination's class, its bytes across Regions,
        // RTC's per-GB charge, and for SSE-KMS one request in each Region (decrypt, re-encrypt).
        const puts = e.monthlyNewObjects ?? 0;
        const bytes = e.monthlyNewBytes ?? 0;
        const transferGb = crossRegion ? bytes / GB : 0;
        const kmsRequests = r.replicaKmsKey ? 2 * puts : 0;
        const monthly = {
            puts,
            putUsd: puts * put,
            transferGb,
            transferUsd: transferGb * prices.interRegionTransferPerGb,
            rtcUsd: r.rtc ? (bytes / GB) * prices.rtcTransferPerGb : 0,
            metricsUsd: r.metrics ? Object.keys(REPLICATION_METRICS).length * prices.customMetricPerMonth : 0,
            kmsRequests,
            kmsUsd: kmsRequests * kmsPrice,
            totalUsd: 0,
        };
        monthly.totalUsd = monthly.putUsd + monthly.transferUsd + monthly.rtcUsd + monthly.metricsUsd + monthly.kmsUsd;
        Object.assign(monthly, money(monthly));
        const objects = r.backfill !== "none" ? (e.objects ?? 0) : 0;
        const backfillGb = crossRegion ? (objects * (e.averageObjectBytes ?? 0)) / GB : 0;
        const backfillKms = r.replicaKmsKey ? 2 * objects : 0;
        const backfill = {
            objects,
            putUsd: objects * put,
            transferGb: backfillGb,
            transferUsd: backfillGb * prices.interRegionTransferPerGb,
            kmsRequests: backfillKms,
            kmsUsd: backfillKms * kmsPrice,
            totalUsd: 0,
        };
        backfill.totalUsd = backfill.putUsd + backfill.transferUsd + backfill.kmsUsd;
        Object.assign(backfill, money(backfill));
        if (r.replicaKmsKey) {
            // Decrypt in the source's account and Region; encrypt against the replica key, whose
            // owner's quota counts the request.
            const key = parseKmsKeyArn(r.replicaKmsKey);
            addKms(r.sourceAccount, r.sourceRegion, puts, objects);
            addKms(key?.account ?? r.destinationAccount, key?.region ?? r.destinationRegion, puts, objects);
        }
        if (r.rtc) {
            const k = `${r.sourceAccount}/${r.sourceRegion}`;
            const x = rtc.get(k) ?? { account: r.sourceAccount, region: r.sourceRegion, bytes: 0 };
            x.bytes += bytes;
            rtc.set(k, x);
        }
        return { key: r.key, source: r.source, destination: r.destination, estimatedBy: own ? "route" : bySource ? "source" : "none", monthly, backfill };
    });

    const jobs: JobCost[] = plan.jobs.map(j => {
        // A job's manifest lists its source's objects: the source's estimate, else the largest of its routes'.
        const objects =
            file.routes[j.source]?.objects ?? Math.max(0, ...plan.routes.filter(r => r.source === j.source).map(r => file.routes[r.key]?.objects ?? 0));
        const c = {
            name: j.name,
            source: j.source,
            objects,
            jobUsd: prices.batchJob,
            objectsUsd: (objects / 1e6) * prices.batchPerMillionObjects,
            manifestUsd: (objects / 1e6) * prices.batchManifestPerMillionObjects,
            totalUsd: 0,
        };
        c.totalUsd = c.jobUsd + c.objectsUsd + c.manifestUsd;
        return money(c);
    });

    // A Metrics Insights alarm pays for every metric its query analyzes: the failed-operations
    // metric of each rule whose source is in its account and Region.
    const rulesIn = (account: string, region: string) => plan.routes.filter(r => r.metrics && r.sourceAccount === account && r.sourceRegion === region).length;
    const alarmMetrics = plan.alarms.reduce((n, a) => n + (a.metricsInsights ? rulesIn(a.account, a.region) : 1), 0);
    const monitoring = money({
        alarmMetrics,
        alarmsUsd: alarmMetrics * prices.alarmMetricPerMonth,
        dashboards: plan.dashboards,
        dashboardsUsd: plan.dashboards * prices.dashboardPerMonth,
        metricsUsd: routes.reduce((n, r) => n + r.monthly.metricsUsd, 0),
    });
    const monthlyUsd = round(routes.reduce((n, r) => n + r.monthly.totalUsd, 0) + monitoring.alarmsUsd + monitoring.dashboardsUsd, 8);
    const oneTimeUsd = round(routes.reduce((n, r) => n + r.backfill.totalUsd, 0) + jobs.reduce((n, j) => n + j.totalUsd, 0), 8);

    const capacity: KmsCapacity[] = [...kms.values()]
        .sort((a, b) => `${a.account}/${a.region}`.localeCompare(`${b.account}/${b.region}`))
        .map(k => {
            const quota = kmsQuota(prices, k.region);
            const perSecond = k.monthly / SECONDS_PER_MONTH;
            return {
                account: k.account,
                region: k.region,
                monthlyRequests: k.monthly,
                averagePerSecond: round(perSecond, 3),
                quotaPerSecond: quota,
                percentOfQuota: round((perSecond / quota) * 100, 6),
                backfillRequests: k.backfill,
                backfillHoursAtQuota: round(k.backfill / quota / 3600, 3),
            };
        });
    const rtcCapacity: RtcCapacity[] = [...rtc.values()]
        .sort((a, b) => `${a.account}/${a.region}`.localeCompare(`${b.account}/${b.region}`))
        .map(x => ({ account: x.account, region: x.region, averageGbps: round((x.bytes * 8) / SECONDS_PER_MONTH / 1e9, 6), quotaGbps: prices.rtcGbpsQuota }));

    const notes = [
        `Every figure is an estimate from ${prices.region} list prices taken on ${prices.takenOn} (${prices.currency}); other Regions and later dates differ, and free tiers are not subtracted.`,
        "Replica storage is not included: it is the destination class's storage price for as long as replicas live.",
        "A route without a storage class is priced as STANDARD (its replicas keep the source object's class).",
        "A filtered route priced from its source bucket's numbers is priced as if every object matched its filter: an upper bound.",
        "SSE-KMS routes count one KMS request per object in the source Region (decrypt; the writes themselves already use about as many, so replication roughly doubles them) and one in the replica key's Region (encrypt); S3 Bucket Keys lower both.",
        "KMS and RTC capacity use monthly averages; bursts and backfills run far above them.",
    ];
    return { prices, routes, jobs, monitoring, monthlyUsd, oneTimeUsd, kms: capacity, rtc: rtcCapacity, unmatched, notes };
}
