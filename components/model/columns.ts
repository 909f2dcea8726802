/**
 * The manifest's columns: one row per replication route. Header matching ignores case, spaces,
 * underscores and hyphens; the AWS Storage Blog template's headers are accepted as aliases.
 */

export const COLUMNS = [
    "source_bucket",
    "source_account",
    "source_region",
    "destination_bucket",
    "destination_account",
    "destination_region",
    "prefix",
    "tags",
    "storage_class",
    "delete_marker_replication",
    "replica_ownership",
    "replicate_kms",
    "replica_kms_key",
    "source_kms_key",
    "rtc",
    "existing_objects",
    "backfill_trigger",
    "bidirectional",
    "create_source",
    "create_destination",
    "priority",
    "status",
    "rule_id",
    "failure_events",
] as const;

export type Column = (typeof COLUMNS)[number];

export const REQUIRED_COLUMNS: readonly Column[] = ["source_bucket", "source_account", "source_region"];

/**
 * How a column's value is read:
 * - `verbatim`: text used exactly as written (no trimming): prefix, tags, rule_id.
 * - `name`: text that cannot contain spaces (bucket names, KMS key ARNs); spaces and tabs
 *   around it are ignored.
 * - `account`: a 12-digit id or an alias.
 * - `integer`: a decimal whole number (priority).
 * - `boolean`, `choice`: one of a set of words (and YAML/JSON booleans for `boolean`).
 * Text columns (`verbatim`, `name`) refuse numbers, booleans and dates, whose text a parser has
 * already changed (YAML `0123` is 123; an Excel date is a serial number).
 */
export type ColumnKind = "verbatim" | "name" | "account" | "integer" | "boolean" | "choice";

export const COLUMN_KINDS: Readonly<Record<Column, ColumnKind>> = {
    source_bucket: "name",
    destination_bucket: "name",
    replica_kms_key: "name",
    source_kms_key: "name",
    source_account: "account",
    destination_account: "account",
    source_region: "choice",
    destination_region: "choice",
    storage_class: "choice",
    replica_ownership: "choice",
    existing_objects: "choice",
    status: "choice",
    prefix: "verbatim",
    tags: "verbatim",
    rule_id: "verbatim",
    backfill_trigger: "verbatim",
    delete_marker_replication: "boolean",
    replicate_kms: "boolean",
    rtc: "boolean",
    bidirectional: "boolean",
    create_source: "boolean",
    create_destination: "boolean",
    failure_events: "boolean",
    priority: "integer",
};

/** Columns whose value must be text: a number, boolean or date there is refused. */
export function isTextColumn(column: Column): boolean {
    const kind = COLUMN_KINDS[column];
    return kind === "verbatim" || kind === "name";
}

/** Description and default of each column, for the README and `validate --help`. */
export const COLUMN_DOCS: Record<Column, { description: string; default: string }> = {
    source_bucket: { description: "Source bucket name.", default: "required" },
    source_account: {
        description: "Source account: 12-digit id or an alias from stack config `accounts`.",
        default: "required (or `--set` / stack `defaults`)",
    },
    source_region: { description: "Source bucket Region.", default: "required (or `--set` / stack `defaults`)" },
    destination_bucket: {
        description: "Destination bucket name.",
        default: "stack `destinationTemplate`, e.g. `{source}-replica`; in a manifest with the AWS Storage Blog template's headers, `{source}-target`",
    },
    destination_account: { description: "Destination account (id or alias).", default: "the source account" },
    destination_region: { description: "Destination Region.", default: "the source Region" },
    prefix: { description: "Replicate only keys starting with this prefix (at most 1,024 characters).", default: "everything" },
    tags: { description: "Replicate only objects with these tags: `key=value;key2=value2`.", default: "no tag filter" },
    storage_class: {
        description:
            "Storage class of replicas (STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE, REDUCED_REDUNDANCY).",
        default: "stack `defaults.storage_class`, else the source object's class",
    },
    delete_marker_replication: { description: "Replicate delete markers (not allowed with a tag filter).", default: "false" },
    replica_ownership: {
        description: "`destination` makes the destination account own replicas (cross-account only); `source` keeps the source owner.",
        default: "`destination` cross-account, `source` same-account",
    },
    replicate_kms: { description: "Replicate SSE-KMS encrypted objects (needs `replica_kms_key`).", default: "true when `replica_kms_key` is set, else false" },
    replica_kms_key: { description: "KMS key ARN in the destination Region that encrypts replicas.", default: "none" },
    source_kms_key: {
        description: "KMS key ARN the source bucket encrypts with (default encryption, and kms:Decrypt for the role).",
        default: "none (SSE-S3)",
    },
    rtc: { description: "S3 Replication Time Control with metrics (15 minutes).", default: "false" },
    existing_objects: {
        description: "Backfill objects that existed before the rule with S3 Batch Replication: none, eligible, failed, unreplicated, new-destination, all.",
        default: "stack `defaults.existing_objects`, else none",
    },
    bidirectional: {
        description: "Two-way replication: also replicate destination -> source, with replica modification sync on both rules.",
        default: "false",
    },
    create_source: {
        description:
            "Create the source bucket (false adopts an existing bucket without recreating it). A bucket the account already owns is imported, not created again.",
        default: "false",
    },
    create_destination: {
        description: "Create the destination bucket (false adopts an existing bucket). A bucket the account already owns is imported, not created again.",
        default: "false (adopt); set it in stack `defaults` for new replicas",
    },
    backfill_trigger: {
        description:
            "Change it to run this route's backfill again: a new Batch Replication job for the route's source, filter and mode (e.g. `2026-12-rerun`).",
        default: "none",
    },
    priority: {
        description: "Rule priority, unique per source bucket (higher wins when rules to one destination overlap).",
        default: "derived from the route itself: more specific filters rank higher, then a hash of the route",
    },
    status: { description: "Enabled or Disabled.", default: "Enabled" },
    rule_id: { description: "Replication rule id (ASCII, at most 255 characters).", default: "`to-<destination>`, plus `-<filter hash>` for a filtered route" },
    failure_events: {
        description:
            "Send the source bucket's replication failure events (S3 Event Notifications) to the fleet's alert topic. S3 replaces a bucket's whole notification configuration on every write, so an adopted source only gets them when this is true.",
        default: "true for sources the stack creates, false for adopted ones",
    },
};

/** Normalized header key: lowercase, without spaces, underscores, hyphens or dots. */
export function headerKey(header: string): string {
    return header
        .trim()
        .toLowerCase()
        .replace(/[\s_\-.]+/g, "");
}

/** Headers of the AWS Storage Blog template, mapped to columns. */
export const BLOG_TEMPLATE_ALIASES: Record<string, Column> = {
    "Source Bucket Name": "source_bucket",
    "Region": "destination_region",
    "Target Storage Class": "storage_class",
    "Prefix Filter": "prefix",
    "DeleteMarkerReplication": "delete_marker_replication",
    "Existing Object Replication": "existing_objects",
};

/**
 * Whether a header row is the AWS Storage Blog template's: it names the source bucket with the
 * template's own header. Such a manifest names no destination, and the blog's buckets are
 * `<source>-target`, so that is its default destination (see buildFleetSpec).
 */
export function isBlogTemplateHeader(headers: readonly string[]): boolean {
    const key = headerKey("Source Bucket Name");
    return headers.some(h => headerKey(h) === key);
}

/** The destination a blog-template row gets when nothing else names one. */
export const BLOG_TEMPLATE_DESTINATION = "{source}-target";

/** Other spellings people use, mapped to columns. */
export const EXTRA_ALIASES: Record<string, Column> = {
    "Source": "source_bucket",
    "Destination": "destination_bucket",
    "Destination Bucket Name": "destination_bucket",
    "Target Bucket": "destination_bucket",
    "Target Bucket Name": "destination_bucket",
    "Target Region": "destination_region",
    "Target Account": "destination_account",
    "Rule Priority": "priority",
    "Rule Status": "status",
    "Rule Name": "rule_id",
    "KMS Key": "replica_kms_key",
    "Replication Time Control": "rtc",
    "Two Way": "bidirectional",
};

const HEADER_INDEX: Map<string, Column> = (() => {
    const m = new Map<string, Column>();
    for (const c of COLUMNS) m.set(headerKey(c), c);
    for (const [alias, c] of Object.entries({ ...EXTRA_ALIASES, ...BLOG_TEMPLATE_ALIASES })) m.set(headerKey(alias), c);
    return m;
})();

/** The column a header names, or undefined when it names none. */
export function columnForHeader(header: string): Column | undefined {
    return HEADER_INDEX.get(headerKey(header));
}

/** camelCase argument name of a column (`source_bucket` -> `sourceBucket`). */
export function camelOf(column: Column): string {
    return column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The closest known column to an unknown header, when one is close enough to suggest. */
export function suggestColumn(header: string): Column | undefined {
    const key = headerKey(header);
    if (!key) return undefined;
    let best: Column | undefined;
    let bestDistance = Infinity;
    for (const [candidate, column] of HEADER_INDEX) {
        const d = editDistance(key, candidate);
        if (d < bestDistance) {
            bestDistance = d;
            best = column;
        }
    }
    return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** The candidate closest to `name` (ignoring case), when one is close enough to suggest. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of candidates) {
        const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance) {
            bestDistance = d;
            best = candidate;
        }
    }
    return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = tmp;
        }
    }
    return prev[b.length];
}
