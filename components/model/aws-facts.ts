/**
 * What AWS enforces on names, accounts, Regions, storage classes and keys, as pure predicates.
 * See shared/reference/aws-replication-rules.md for the sources.
 */

/** Regions S3 general purpose buckets exist in (commercial, GovCloud, China, European Sovereign Cloud). */
export const KNOWN_REGIONS: readonly string[] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eusc-de-east-1",
];

const REGION_SET = new Set(KNOWN_REGIONS);

/**
 * Regions where S3 Replication Time Control was not available when this list was written
 * (AWS answers "RTC is not supported in this Region"). Stack config can replace the list.
 */
export const DEFAULT_RTC_UNSUPPORTED_REGIONS: readonly string[] = [
    "ap-east-2",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "mx-central-1",
    "eusc-de-east-1",
];

export function isKnownRegion(region: string): boolean {
    return REGION_SET.has(region);
}

/** The ARN partition a Region belongs to. */
export function partitionOf(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    if (region.startsWith("eusc-")) return "aws-eusc";
    return "aws";
}

/** What each partition is called, for messages. */
export const PARTITION_NAMES: ReadonlyMap<string, string> = new Map([
    ["aws", "the commercial AWS partition"],
    ["aws-cn", "AWS China"],
    ["aws-us-gov", "AWS GovCloud (US)"],
    ["aws-eusc", "the AWS European Sovereign Cloud"],
]);

/** `aws-cn (AWS China)`: a partition as a message names it. */
export function describePartition(partition: string): string {
    const name = PARTITION_NAMES.get(partition);
    return name ? `${partition} (${name})` : partition;
}

/**
 * Whether two Regions are in one partition. Replication, IAM principals and KMS keys never
 * cross partitions: each is a separate set of accounts and endpoints.
 */
export function samePartition(regionA: string, regionB: string): boolean {
    return partitionOf(regionA) === partitionOf(regionB);
}

/** The Region a provider of this partition uses for global services (IAM, STS) when none is configured. */
export function partitionHomeRegion(partition: string): string {
    switch (partition) {
        case "aws-cn":
            return "cn-north-1";
        case "aws-us-gov":
            return "us-gov-west-1";
        case "aws-eusc":
            return "eusc-de-east-1";
        default:
            return "us-east-1";
    }
}

export function bucketArn(bucket: string, region: string): string {
    return `arn:${partitionOf(region)}:s3:::${bucket}`;
}

export function roleArn(account: string, roleName: string, region: string, path = "/"): string {
    return `arn:${partitionOf(region)}:iam::${account}:role${path}${roleName}`;
}

export function isAccountId(value: string): boolean {
    return /^\d{12}$/.test(value);
}

/** Storage classes S3 accepts as a replication destination. */
export const REPLICATION_STORAGE_CLASSES: readonly string[] = [
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
];

export function isReplicationStorageClass(value: string): boolean {
    return REPLICATION_STORAGE_CLASSES.includes(value);
}

/**
 * S3's naming rules for general purpose buckets. Returns the reasons a name is invalid
 * (empty when it is valid), so one message can say everything that is wrong.
 */
export function bucketNameProblems(name: string): string[] {
    const problems: string[] = [];
    if (name.length < 3 || name.length > 63) problems.push(`must be 3-63 characters long (is ${name.length})`);
    if (!/^[a-z0-9.-]*$/.test(name)) problems.push("may contain only lowercase letters, digits, dots and hyphens");
    if (name.length > 0 && !/^[a-z0-9]/.test(name)) problems.push("must begin with a letter or digit");
    if (name.length > 0 && !/[a-z0-9]$/.test(name)) problems.push("must end with a letter or digit");
    if (name.includes("..")) problems.push("must not contain two adjacent dots");
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) problems.push("must not be formatted as an IP address");
    for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"]) {
        if (name.startsWith(prefix)) problems.push(`must not start with "${prefix}"`);
    }
    for (const suffix of ["-s3alias", "--ol-s3", ".mrap", "--x-s3"]) {
        if (name.endsWith(suffix)) problems.push(`must not end with "${suffix}"`);
    }
    return problems;
}

export interface KmsKeyRef {
    partition: string;
    region: string;
    account: string;
    kind: "key" | "alias";
    id: string;
}

/**
 * A KMS key ARN (`arn:aws:kms:<region>:<account>:key/<id>`) or alias ARN (`...:alias/<name>`).
 * Replication needs the full ARN: a bare key id or alias name is resolved in the caller's
 * account and Region, which is not where the destination's key lives.
 */
export function parseKmsKeyArn(value: string): KmsKeyRef | undefined {
    if (typeof value !== "string") return undefined;
    const m = /^arn:(aws|aws-cn|aws-us-gov|aws-eusc):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/([A-Za-z0-9/_+=.@-]+)$/.exec(value);
    if (!m) return undefined;
    return { partition: m[1], region: m[2], account: m[3], kind: m[4] as "key" | "alias", id: m[5] };
}

/** Rule ids must be ASCII (S3 answers InvalidArgument otherwise). */
export function isAscii(value: string): boolean {
    return /^[\x00-\x7f]*$/.test(value);
}

export const LIMITS = {
    maxRulesPerConfiguration: 1000,
    maxConfigurationBytes: 2 * 1024 * 1024,
    maxRuleIdLength: 255,
    maxPrefixLength: 1024,
    maxBucketPolicyBytes: 20 * 1024,
    rtcMinutes: 15,
} as const;
