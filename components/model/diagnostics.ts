/**
 * Diagnostics: the one shape every problem is reported in, from the manifest loader, the
 * validator, the component argument checks and the policy pack. Codes are a public contract:
 * they are documented in the README and never renamed once released.
 */

export type Severity = "error" | "warning";

/** Every diagnostic code, with a one-line description used by the README and `--help`. */
export const DIAGNOSTIC_CODES = {
    MANIFEST_UNREADABLE: "The manifest file cannot be read or parsed.",
    MANIFEST_EMPTY: "The manifest has no header or no data rows.",
    UNKNOWN_COLUMN: "A header is not a known column (a suggestion is given when one is close).",
    DUPLICATE_COLUMN: "Two headers map to the same column.",
    MISSING_FIELD: "A required value is missing.",
    INVALID_VALUE: "A value is not one of the accepted values for its column.",
    INVALID_BUCKET_NAME: "A bucket name breaks S3's naming rules for general purpose buckets.",
    INVALID_ACCOUNT: "An account is neither a 12-digit id nor a known alias shape.",
    UNKNOWN_ACCOUNT_ALIAS: "An account alias is not defined in stack config.",
    INVALID_REGION: "A Region is not a known AWS Region.",
    INVALID_STORAGE_CLASS: "A storage class is not a valid replication destination storage class.",
    INVALID_TAG_FILTER: "A tag filter is malformed (key=value;key2=value2, non-empty keys, no duplicates).",
    INVALID_RULE_ID: "A rule id contains non-ASCII characters.",
    DUPLICATE_ROUTE: "The same source -> destination route is declared twice.",
    SAME_BUCKET: "A route replicates a bucket to itself.",
    CONFLICTING_BUCKET_SETTINGS: "One bucket is declared with different accounts, Regions, create flags or keys.",
    TOO_MANY_RULES: "A source bucket has more than 1,000 replication rules.",
    CONFIG_TOO_LARGE: "A source bucket's rendered replication configuration is over 2 MB.",
    RULE_ID_TOO_LONG: "A rule id is longer than 255 characters.",
    DUPLICATE_RULE_ID: "Two rules of one source bucket share an id.",
    PREFIX_TOO_LONG: "A prefix filter is longer than 1,024 characters.",
    PRIORITY_CONFLICT: "Two rules of one source bucket share a priority.",
    INVALID_PRIORITY: "A priority is not a non-negative integer.",
    DELETE_MARKER_WITH_TAG_FILTER: "Delete-marker replication is enabled on a rule filtered by tags.",
    OWNERSHIP_OVERRIDE_SAME_ACCOUNT: "Replica ownership override on a same-account route has no effect.",
    OWNERSHIP_OVERRIDE_WITHOUT_ACCOUNT: "Replica ownership override needs the destination account.",
    KMS_KEY_INVALID: "A KMS key is not a key ARN or alias ARN.",
    KMS_KEY_REGION_MISMATCH: "A replica KMS key is not in the destination bucket's Region (or its account differs).",
    KMS_REPLICA_KEY_MISSING: "SSE-KMS objects are replicated but no replica key is given.",
    KMS_KEY_WITHOUT_REPLICATION: "A replica KMS key is given but SSE-KMS objects are not selected for replication.",
    RTC_UNSUPPORTED_REGION: "Replication Time Control is not available in a route's Region.",
    RTC_METRICS_MISMATCH: "Replication Time Control needs replication metrics on the same rule, both at 15 minutes (metrics alone are fine).",
    REPLICATION_CHAIN: "A -> B -> C does not carry A's objects to C: replicas are never re-replicated.",
    TWO_WAY_NOT_DECLARED: "A -> B and B -> A exist but are not marked bidirectional (replica modifications stay off).",
    BUCKET_POLICY_TOO_LARGE: "A destination bucket's rendered policy is over 20 KB.",
    V2_SCHEMA_REQUIRED: "A rule lacks the V2 schema fields (filter, priority, delete-marker replication).",
    EXISTING_OBJECT_REPLICATION_UNSUPPORTED: "ExistingObjectReplication is rejected by S3: use Batch Replication.",
    NO_RULES: "A replication configuration has no rules.",
    OBJECT_LOCK_MISMATCH: "A source with Object Lock replicates to a destination without Object Lock.",
    SOURCE_KMS_KEY_MISSING: "SSE-KMS replication without the source key: the role cannot be granted kms:Decrypt.",
    IAM_QUOTA_EXCEEDED: "The replication role's permissions cannot fit inside the configured IAM quotas.",
    INVALID_CONFIG: "A stack config or component argument is malformed.",
    ACCOUNT_WITHOUT_CREDENTIALS:
        "An account the routes use has no roleArn or profile in stack config while other accounts do: its provider uses the ambient credentials.",
    PARTITION_MISMATCH: "A route, key or account spans AWS partitions (aws, aws-cn, aws-us-gov, aws-eusc); replication cannot cross partitions.",
    MANIFEST_TOO_LARGE: "The manifest is over a size limit (file size, decompressed workbook size or rows).",
    DUPLICATE_KEY: "A YAML or JSON mapping gives the same key twice (a second `routes:`, a tag key).",
    UNSUPPORTED_YAML_TAG: "A YAML value carries a tag (`!Sub`, `!!binary`) a manifest does not support.",
    VALUE_NOT_TEXT: "A text column holds a number, boolean or date whose text the parser has already changed.",
    CONTROL_CHARACTER: "A value contains a control or bidirectional formatting character.",
    SURROUNDING_WHITESPACE: "A prefix, tag or rule id starts or ends with whitespace (a space, a non-breaking space), which is refused, never trimmed.",
    HIDDEN_SHEET: "Excel: the sheet read is hidden, or hidden sheets before it were skipped.",
    HIDDEN_ROWS: "Excel: rows or columns holding routes are hidden.",
    MERGED_CELLS: "Excel: a merged range spans several columns; only its first column gets the value.",
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** One problem, located as precisely as its origin allows. */
export interface Diagnostic {
    /** The manifest file (as given), when the value came from a file. */
    file?: string;
    /** 1-based row as a spreadsheet shows it (header = row 1); the line for YAML and JSON. */
    row?: number;
    /** Canonical snake_case column name (or the header as written, for UNKNOWN_COLUMN). */
    column?: string;
    /** Stable UPPER_SNAKE code. */
    code: DiagnosticCode;
    severity: Severity;
    /** What is wrong and what to change. */
    message: string;
    /** Argument path (`routes[3].sourceBucket`) when the value came from code or stack config. */
    path?: string;
}

/** Where a value came from: a manifest cell or an argument path. */
export interface SourceLocation {
    file?: string;
    row?: number;
    column?: string;
    path?: string;
}

export function diag(code: DiagnosticCode, message: string, at: SourceLocation | undefined, severity: Severity = "error"): Diagnostic {
    const d: Diagnostic = { code, severity, message };
    if (at?.file !== undefined) d.file = at.file;
    if (at?.row !== undefined) d.row = at.row;
    if (at?.column !== undefined) d.column = at.column;
    if (at?.path !== undefined) d.path = at.path;
    return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
    return diagnostics.some(d => d.severity === "error");
}

/** `--strict`: every warning becomes an error. */
export function escalateWarnings(diagnostics: readonly Diagnostic[]): Diagnostic[] {
    return diagnostics.map(d => (d.severity === "warning" ? { ...d, severity: "error" } : d));
}

/** Stable order: by file, row, column, then code, so output does not depend on check order. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
    return [...diagnostics].sort(
        (a, b) =>
            (a.file ?? "").localeCompare(b.file ?? "") ||
            (a.row ?? 0) - (b.row ?? 0) ||
            (a.path ?? "").localeCompare(b.path ?? "") ||
            (a.column ?? "").localeCompare(b.column ?? "") ||
            a.code.localeCompare(b.code),
    );
}

/** What a value is, for a message, without ever calling its own conversion methods. */
export function kindOf(v: unknown): string {
    if (Array.isArray(v)) return "a list";
    if (v === null) return "null";
    return typeof v === "object" ? "an object" : typeof v;
}

/**
 * C0 and C1 control characters, DEL, and the bidirectional formatting characters (embeddings,
 * overrides, isolates, marks) plus the line and paragraph separators: everything that can move
 * the cursor, rewrite a terminal line or reorder what a reader sees.
 */
export const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_TEXT_ALL = new RegExp(UNSAFE_TEXT.source, "g");

/** `\x1b`, `\u202e`: how an unsafe character is shown. */
export function escapedChar(c: string): string {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
}

/**
 * Text safe to print on a terminal: every unsafe character (see UNSAFE_TEXT) shown as an escape,
 * so a hostile manifest cannot clear the screen or fake a line of output.
 */
export function escapeTerminal(text: string): string {
    return text.replace(UNSAFE_TEXT_ALL, escapedChar);
}

// JSON.stringify already escapes C0 controls; these it writes raw (and only ever inside strings).
const JSON_RAW_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON.stringify, with the characters it leaves raw (C1 controls, bidirectional formatting, line
 * separators) written as \u escapes: the same JSON value, safe to view in a terminal.
 */
export function safeJson(value: unknown, indent?: number): string {
    return JSON.stringify(value, null, indent).replace(JSON_RAW_UNSAFE, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `file:row:col severity CODE message`, the CLI's human line; unsafe characters are escaped. */
export function formatDiagnostic(d: Diagnostic): string {
    const where = d.file !== undefined ? [d.file, d.row ?? "", d.column ?? ""].join(":") : (d.path ?? "(args)");
    return escapeTerminal(`${where} ${d.severity} ${d.code} ${d.message}`);
}
