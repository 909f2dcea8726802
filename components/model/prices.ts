/**
 * The one price table `plan --estimate` uses: AWS list prices in USD for US East (N. Virginia),
 * taken on the date below from the pages listed. Prices differ by Region and change over time; the
 * estimate file can override any of them (`prices:`), and every figure printed from them is
 * labelled an estimate. Free tiers are not subtracted. Pure data: no Pulumi, no AWS.
 */

/** Storage classes a replication rule can name, as S3 spells them. */
export type PricedStorageClass =
    "STANDARD" | "INTELLIGENT_TIERING" | "STANDARD_IA" | "ONEZONE_IA" | "GLACIER_IR" | "GLACIER" | "DEEP_ARCHIVE" | "REDUCED_REDUNDANCY";

export interface PriceTable {
    /** When the prices were read (ISO date). */
    takenOn: string;
    /** The Region whose column was read. */
    region: string;
    currency: "USD";
    /** Where each group of prices comes from. */
    sources: Readonly<Record<string, string>>;
    /**
     * PUT, COPY, POST, LIST requests per 1,000, by storage class. A replicated object is billed
     * one PUT at the destination class ("You incur costs for only one PUT request per object
     * replicated", S3 User Guide).
     */
    s3PutPer1000: Readonly<Record<PricedStorageClass, number>>;
    /** Data transfer from S3 to another AWS Region, per GB (billed by the source Region). */
    interRegionTransferPerGb: number;
    /** S3 Replication Time Control data transfer, per GB (the same in every Region). */
    rtcTransferPerGb: number;
    /** One CloudWatch custom metric for a month; S3 Replication metrics are billed at this rate. */
    customMetricPerMonth: number;
    /** One standard-resolution alarm metric for a month (a Metrics Insights alarm pays per metric it analyzes). */
    alarmMetricPerMonth: number;
    /** One CloudWatch dashboard for a month. */
    dashboardPerMonth: number;
    /** S3 Batch Operations, per job. */
    batchJob: number;
    /** S3 Batch Operations, per million objects processed. */
    batchPerMillionObjects: number;
    /** S3 Batch Replication's generated manifest, per million objects in the source bucket. */
    batchManifestPerMillionObjects: number;
    /** AWS KMS symmetric requests, per 10,000. */
    kmsPer10kRequests: number;
    /** KMS "Cryptographic operations (symmetric) request rate" quota, requests per second, by Region (default: `default`). */
    kmsSymmetricRequestsPerSecond: Readonly<Record<string, number>>;
    /** The default S3 RTC data transfer rate quota, Gbps. */
    rtcGbpsQuota: number;
}

export const PRICES: PriceTable = {
    takenOn: "2026-12-01",
    region: "us-east-1",
    currency: "USD",
    sources: {
        s3: "https://aws.amazon.com/s3/pricing/ (Requests & data retrievals; Replication: RTC data transfer, S3 Batch Replication jobs, objects and manifest), US East (N. Virginia)",
        transfer:
            'https://aws.amazon.com/s3/pricing/ (Data transfer OUT from Amazon S3 to another AWS Region); us-east-1 to us-west-2 as AWS re:Post "Cost effective methods for accessing S3 buckets cross-region" states it, January 2026',
        cloudwatch:
            'https://aws.amazon.com/cloudwatch/pricing/ (Metrics, Alarms, Dashboards); S3 Replication metrics "billed at the same rate as Amazon CloudWatch custom metrics" (S3 pricing page); Metrics Insights alarms pay per metric analyzed (CloudWatch User Guide, "Metrics Insights query alarms")',
        kms: "https://aws.amazon.com/kms/pricing/ (requests); https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html (quotas)",
        rtcQuota:
            'S3 User Guide, replication best practices: "If you expect your S3 Replication Time Control data transfer rate to exceed the default 1 Gbps limit, contact AWS Support"',
    },
    s3PutPer1000: {
        STANDARD: 0.005,
        INTELLIGENT_TIERING: 0.005,
        STANDARD_IA: 0.01,
        ONEZONE_IA: 0.01,
        GLACIER_IR: 0.02,
        GLACIER: 0.03,
        DEEP_ARCHIVE: 0.05,
        // No longer on the pricing page; billed like S3 Standard requests.
        REDUCED_REDUNDANCY: 0.005,
    },
    interRegionTransferPerGb: 0.02,
    rtcTransferPerGb: 0.015,
    customMetricPerMonth: 0.3,
    alarmMetricPerMonth: 0.1,
    dashboardPerMonth: 3.0,
    batchJob: 0.25,
    batchPerMillionObjects: 1.0,
    batchManifestPerMillionObjects: 0.015,
    kmsPer10kRequests: 0.03,
    kmsSymmetricRequestsPerSecond: {
        default: 10000,
        "us-east-2": 20000,
        "ap-southeast-1": 20000,
        "ap-southeast-2": 20000,
        "ap-northeast-1": 20000,
        "eu-central-1": 20000,
        "eu-west-2": 20000,
        "us-east-1": 100000,
        "us-west-2": 100000,
        "eu-west-1": 100000,
    },
    rtcGbpsQuota: 1,
};

/** The KMS symmetric request quota of a Region. */
export function kmsQuota(prices: PriceTable, region: string): number {
    return prices.kmsSymmetricRequestsPerSecond[region] ?? prices.kmsSymmetricRequestsPerSecond.default;
}
