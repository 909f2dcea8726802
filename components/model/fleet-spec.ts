/**
 * Normalization and validation of replication routes, from a manifest or from component
 * arguments alike: every value parsed, every default applied, every mistake reported at once
 * with where it came from. Pure: no Pulumi, no AWS.
 */
import {
    LIMITS,
    bucketNameProblems,
    describePartition,
    isAccountId,
    isAscii,
    isKnownRegion,
    isReplicationStorageClass,
    KNOWN_REGIONS,
    parseKmsKeyArn,
    partitionOf,
    REPLICATION_STORAGE_CLASSES,
} from "./aws-facts";
import { BLOG_TEMPLATE_DESTINATION, Column, COLUMNS, REQUIRED_COLUMNS } from "./columns";
import { Diagnostic, DiagnosticCode, Severity, SourceLocation, diag, kindOf } from "./diagnostics";
import { REFUSED } from "./records";
import { accountFromNumber, hasSurroundingWhitespace, parsePriority, parseTagText, screenValue, trimSpaces } from "./values";
import { EXISTING_OBJECTS_MODES, ExistingObjectsMode, isExistingObjectsMode } from "./batch-job";
import { assignPriorities, defaultRuleId, filterKey, routeKey } from "./identity";

/** A raw value as a file or an argument holds it. */
export type Cell = unknown;

/** One route as it arrived: raw values by column, and where each came from. */
export interface RouteRecord {
    /** The row (file + row) or argument path (`routes[3]`) of the record. */
    at: SourceLocation;
    values: Partial<Record<Column, Cell>>;
    /** Per-column location; defaults to `at` with the column name. */
    locs?: Partial<Record<Column, SourceLocation>>;
    /** The row comes from a manifest with the AWS Storage Blog template's headers (see isBlogTemplateHeader). */
    template?: "aws-storage-blog";
}

/** An account in stack config: its id and how to reach it. */
export interface AccountInput {
    /** 12-digit account id. */
    id: string;
    /** Role the deploying identity assumes in this account. */
    roleArn?: string;
    /** Named profile (shared config/credentials files) for this account. */
    profile?: string;
    /** External id for the assume-role call. */
    externalId?: string;
    /**
     * The Region of this account's provider, for global services (IAM, STS); every regional
     * resource names its own Region. Default: the home Region of the account's partition.
     */
    region?: string;
}

/** Per-bucket settings from stack config that a manifest row does not carry. */
export interface BucketOverride {
    /** Default-encryption key of the bucket (SSE-KMS); SSE-S3 when absent. */
    kmsKeyArn?: string;
    /** The bucket has (source) or must have (destination) Object Lock. */
    objectLock?: boolean;
    /** Create (true) or adopt (false). */
    create?: boolean;
    /**
     * Adopted source that already has a replication configuration written by someone else
     * (another role): replace it anyway. Default false: the program stops instead.
     */
    replaceExistingReplication?: boolean;
    /**
     * An adopted bucket's encryption, ownership and public access block: "keep" what it has, or
     * "harden" them (see AdoptedSettingsMode). Default: the fleet's `adoptedSettings`, else "keep".
     */
    adoptedSettings?: string;
}

export interface FleetOptions {
    /** Alias -> account. Manifests may name accounts by alias. */
    accounts?: Record<string, AccountInput>;
    /** Values for columns a row leaves blank or a file lacks (`--set`, stack `defaults`). */
    defaults?: Partial<Record<Column, Cell>>;
    /** Destination name template: `{source}`, `{source_account}`, `{source_region}`, `{destination_account}`, `{destination_region}`. */
    destinationTemplate?: string;
    buckets?: Record<string, BucketOverride>;
    rtcUnsupportedRegions?: readonly string[];
}

export interface AccountSpec extends AccountInput {
    /** The alias the account is known by in stack config, if any. */
    alias?: string;
}

export interface BucketSpec {
    name: string;
    account: string;
    region: string;
    create: boolean;
    kmsKeyArn?: string;
    objectLock: boolean;
    /** See BucketOverride.replaceExistingReplication. */
    replaceExistingReplication?: boolean;
    isSource: boolean;
    isDestination: boolean;
    at: SourceLocation;
}

export type ReplicaOwnership = "destination" | "source";

/** Where a route runs: its two buckets, with their accounts and Regions. */
export interface RouteEnds {
    source: string;
    destination: string;
    sourceAccount: string;
    sourceRegion: string;
    destinationAccount: string;
    destinationRegion: string;
}

export interface RouteSpec extends RouteEnds {
    /** Stable identity: source, destination and filter. Never a row number. */
    key: string;
    ruleId: string;
    priority: number;
    status: "Enabled" | "Disabled";
    prefix: string;
    tags: Record<string, string>;
    storageClass?: string;
    deleteMarkerReplication: boolean;
    replicaOwnership: ReplicaOwnership;
    replicateKms: boolean;
    replicaKmsKeyId?: string;
    sourceKmsKeyArn?: string;
    rtc: boolean;
    existingObjects: ExistingObjectsMode;
    /** `backfill_trigger`: a new value runs this route's backfill again. */
    backfillTrigger?: string;
    /** Two-way: replica modifications are synced on this rule. */
    bidirectional: boolean;
    /** Generated as the reverse of a `bidirectional` row. */
    implied: boolean;
    at: SourceLocation;
    locs: Partial<Record<Column, SourceLocation>>;
}

export interface FleetSpec {
    accounts: AccountSpec[];
    buckets: BucketSpec[];
    routes: RouteSpec[];
}

export interface FleetSpecResult {
    spec: FleetSpec;
    diagnostics: Diagnostic[];
}

const TRUE = new Set(["true", "yes", "y", "1", "enabled", "on"]);
const FALSE = new Set(["false", "no", "n", "0", "disabled", "off"]);

/** Collects diagnostics for one record, pointing each at the right cell. */
class RecordReader {
    /** Columns whose value was refused (and reported): read as absent, never reported again. */
    private readonly refused = new Set<Column>();

    constructor(
        private readonly record: RouteRecord,
        private readonly defaults: Partial<Record<Column, Cell>>,
        readonly out: Diagnostic[],
    ) {}

    loc(column: Column): SourceLocation {
        return (
            this.record.locs?.[column] ?? {
                ...this.record.at,
                ...(this.record.at.path !== undefined ? { path: `${this.record.at.path}.${column}` } : { column }),
            }
        );
    }

    report(code: DiagnosticCode, column: Column, message: string, severity: Severity = "error"): void {
        this.out.push(diag(code, message, this.loc(column), severity));
    }

    /**
     * Refuse, once, every value that reading would change or that hides what it is: a loader's
     * REFUSED cell, a date, a number in a text column, a control character. Run before reading.
     */
    screen(): void {
        for (const column of COLUMNS) {
            if (this.record.values[column] === REFUSED) {
                this.refused.add(column);
                continue;
            }
            const v = this.raw(column);
            if (v === undefined) continue;
            const problem = screenValue(column, v);
            if (problem) {
                this.report(problem.code, column, problem.message);
                this.refused.add(column);
            }
        }
    }

    /** Whether the column's value was refused (so it is given, but unusable). */
    isRefused(column: Column): boolean {
        return this.refused.has(column);
    }

    anyRefused(): boolean {
        return this.refused.size > 0;
    }

    /** The raw value, falling back to defaults; blank and refused values count as absent. */
    raw(column: Column): Cell {
        if (this.refused.has(column)) return undefined;
        const v = this.record.values[column];
        if (!isBlank(v)) return v;
        const d = this.defaults[column];
        return isBlank(d) ? undefined : d;
    }

    explicit(column: Column): boolean {
        return !isBlank(this.record.values[column]);
    }

    private notText(column: Column, v: Cell): undefined {
        this.report("INVALID_VALUE", column, `${column} must be a text value, not ${kindOf(v)}.`);
        return undefined;
    }

    /** A name or choice: spaces and tabs around it are ignored (it cannot contain any). */
    str(column: Column): string | undefined {
        const v = this.raw(column);
        if (v === undefined) return undefined;
        if (typeof v === "string") return trimSpaces(v);
        if (typeof v === "number" || typeof v === "boolean") return String(v);
        return this.notText(column, v);
    }

    /**
     * Text used exactly as written (prefix, rule_id). Whitespace at either end is refused, not
     * trimmed: a cell does not show it, and S3 would match it exactly.
     */
    verbatim(column: Column): string | undefined {
        const v = this.raw(column);
        if (v === undefined) return undefined;
        if (typeof v !== "string") return this.notText(column, v);
        if (hasSurroundingWhitespace(v)) {
            this.report(
                "SURROUNDING_WHITESPACE",
                column,
                `${column} ${JSON.stringify(v)} starts or ends with whitespace, which a cell does not show and S3 would match exactly; delete it (values are never trimmed).`,
            );
            this.refused.add(column);
            return undefined;
        }
        return v;
    }

    bool(column: Column): boolean | undefined {
        const v = this.raw(column);
        if (v === undefined) return undefined;
        if (typeof v === "boolean") return v;
        const s = typeof v === "string" || typeof v === "number" ? trimSpaces(String(v)).toLowerCase() : undefined;
        if (s !== undefined && TRUE.has(s)) return true;
        if (s !== undefined && FALSE.has(s)) return false;
        this.report(
            "INVALID_VALUE",
            column,
            `${column} must be true or false (also yes/no, enabled/disabled), not ${s !== undefined ? JSON.stringify(String(v)) : kindOf(v)}.`,
        );
        return undefined;
    }

    oneOf<T extends string>(column: Column, allowed: readonly T[]): T | undefined {
        const s = this.str(column);
        if (s === undefined) return undefined;
        const hit = allowed.find(a => a.toLowerCase() === s.toLowerCase());
        if (!hit) this.report("INVALID_VALUE", column, `${column} must be one of ${allowed.join(", ")}, not ${JSON.stringify(s)}.`);
        return hit;
    }

    account(column: Column, accounts: Record<string, AccountInput>): string | undefined {
        const v = this.raw(column);
        if (v === undefined) return undefined;
        if (typeof v === "number") {
            const id = accountFromNumber(v);
            if (id === undefined) {
                this.report(
                    "INVALID_ACCOUNT",
                    column,
                    `the number ${v} is not a 12-digit AWS account id (only an 11-digit number, an id whose leading zero a spreadsheet dropped, gets it back); write all 12 digits as text.`,
                );
            }
            return id;
        }
        if (typeof v !== "string") {
            this.report("INVALID_ACCOUNT", column, `an account must be a 12-digit id or an alias from stack config, not ${kindOf(v)}.`);
            return undefined;
        }
        const s = trimSpaces(v);
        if (isAccountId(s)) return s;
        // Own names only: an alias called "constructor" must not find Object.prototype's.
        const own = (k: string) => Object.prototype.hasOwnProperty.call(accounts, k);
        const aliasKey = own(s) ? s : Object.keys(accounts).find(k => k.toLowerCase() === s.toLowerCase());
        const alias = aliasKey !== undefined ? accounts[aliasKey] : undefined;
        if (alias) {
            if (!isAccountId(String(alias.id))) {
                this.report(
                    "INVALID_ACCOUNT",
                    column,
                    `alias ${s} maps to ${JSON.stringify(alias.id)}, which is not a 12-digit account id; fix accounts.${s}.id in stack config.`,
                );
                return undefined;
            }
            return String(alias.id);
        }
        if (/^[\d\s-]+$/.test(s)) {
            this.report(
                "INVALID_ACCOUNT",
                column,
                `${JSON.stringify(s)} is not a 12-digit AWS account id; write all 12 digits (as text, so leading zeros stay).`,
            );
        } else {
            const known = Object.keys(accounts);
            this.report(
                "UNKNOWN_ACCOUNT_ALIAS",
                column,
                `account alias ${JSON.stringify(s)} is not defined in stack config; ${known.length ? `known aliases: ${known.join(", ")}` : "add it under accounts"} or use the 12-digit id.`,
            );
        }
        return undefined;
    }

    region(column: Column): string | undefined {
        const s = this.str(column);
        if (s === undefined) return undefined;
        const r = s.toLowerCase();
        if (isKnownRegion(r)) return r;
        const near = KNOWN_REGIONS.find(k => k.replace(/-/g, "") === r.replace(/[-_\s]/g, ""));
        this.report("INVALID_REGION", column, `${JSON.stringify(s)} is not an AWS Region${near ? `; did you mean ${near}?` : " (for example us-east-1)"}.`);
        return undefined;
    }

    bucket(column: Column, name: string | undefined): string | undefined {
        if (name === undefined) return undefined;
        const problems = bucketNameProblems(name);
        if (problems.length === 0) return name;
        this.report("INVALID_BUCKET_NAME", column, `bucket name ${JSON.stringify(name)} ${problems.join("; ")}.`);
        return undefined;
    }

    /** Tags, keys and values kept exactly; undefined (reported) when they cannot be read. */
    tags(column: Column): Record<string, string> | undefined {
        // Null prototype: tag keys such as "constructor" or "__proto__" are ordinary keys.
        const out = Object.create(null) as Record<string, string>;
        if (this.refused.has(column)) return undefined;
        const v = this.raw(column);
        if (v === undefined) return out;
        const bad = (why: string) => {
            this.report("INVALID_TAG_FILTER", column, `tags ${why}; write key=value pairs separated by semicolons, e.g. team=data;class=logs.`);
            return undefined;
        };
        let pairs: Array<[string, string]>;
        if (typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date)) {
            // Screened already: every value is text (or empty).
            pairs = Object.entries(v as Record<string, unknown>).map(([k, val]) => [k, typeof val === "string" ? val : ""]);
        } else if (typeof v === "string") {
            const parsed = parseTagText(v);
            if ("error" in parsed) return bad(parsed.error);
            pairs = parsed.pairs;
        } else {
            return bad(`must be text like key=value;key2=value2, not ${kindOf(v)}`);
        }
        for (const [k, val] of pairs) {
            if (!k) return bad("have an entry with an empty key");
            if (k.length > 128 || val.length > 256) return bad(`entry ${JSON.stringify(k)} is too long (keys at most 128, values 256 characters)`);
            if (Object.prototype.hasOwnProperty.call(out, k)) return bad(`name key ${JSON.stringify(k)} twice`);
            out[k] = val;
        }
        const spaced = pairs.find(([k, val]) => hasSurroundingWhitespace(k) || hasSurroundingWhitespace(val));
        if (spaced) {
            this.report(
                "SURROUNDING_WHITESPACE",
                column,
                `tag ${JSON.stringify(`${spaced[0]}=${spaced[1]}`)} has whitespace at the start or end of its key or value, which S3 would match exactly; delete it (write team=data;class=logs, with no spaces around ";" and "=").`,
            );
            this.refused.add(column);
            return undefined;
        }
        return out;
    }

    integer(column: Column): number | undefined {
        const v = this.raw(column);
        if (v === undefined) return undefined;
        const n = parsePriority(v);
        if (n === undefined) {
            this.report(
                "INVALID_PRIORITY",
                column,
                `${column} must be a whole number from 0 to 2147483647, written in decimal digits, not ${typeof v === "string" || typeof v === "number" ? JSON.stringify(String(v)) : kindOf(v)}.`,
            );
        }
        return n;
    }
}

/** Absent, null, or only spaces, tabs and line breaks (other whitespace is a value). */
function isBlank(v: Cell): boolean {
    return v === undefined || v === null || (typeof v === "string" && /^[ \t\r\n]*$/.test(v));
}

function fillTemplate(template: string, vars: Record<string, string>): string {
    return template.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

/** Parsed but not yet cross-checked. */
interface Draft extends Omit<RouteSpec, "ruleId" | "priority" | "key"> {
    ruleId?: string;
    priority?: number;
    createSource?: boolean;
    createDestination?: boolean;
    replicaOwnershipExplicit: boolean;
}

/**
 * Normalize and validate routes. Always returns a spec (of the routes that could be read) and
 * every diagnostic; callers must not deploy while any diagnostic is an error.
 */
export function buildFleetSpec(records: readonly RouteRecord[], options: FleetOptions = {}): FleetSpecResult {
    const diagnostics: Diagnostic[] = [];
    const accounts = options.accounts ?? {};
    const defaults = options.defaults ?? {};
    const drafts: Draft[] = [];

    for (const record of records) {
        const r = new RecordReader(record, defaults, diagnostics);
        r.screen();
        for (const c of REQUIRED_COLUMNS) {
            if (r.raw(c) === undefined && !r.isRefused(c))
                r.report(
                    "MISSING_FIELD",
                    c,
                    `${c} is required; fill it in${c === "source_bucket" ? "" : " or give a default with --set " + c + "=... or stack config defaults"}.`,
                );
        }
        const sourceName = r.str("source_bucket");
        const source = r.bucket("source_bucket", sourceName);
        const sourceAccount = r.account("source_account", accounts);
        const sourceRegion = r.region("source_region");
        // A refused destination account or Region is unusable, never replaced by the source's.
        const destinationAccount = r.isRefused("destination_account")
            ? undefined
            : r.raw("destination_account") === undefined
              ? sourceAccount
              : r.account("destination_account", accounts);
        const destinationRegion = r.isRefused("destination_region")
            ? undefined
            : r.raw("destination_region") === undefined
              ? sourceRegion
              : r.region("destination_region");

        let destName = r.str("destination_bucket");
        // Null prototype: a `{constructor}` placeholder is left as written, not filled from Object.prototype.
        const vars = () =>
            Object.assign(Object.create(null) as Record<string, string>, {
                source: source ?? "",
                source_account: sourceAccount ?? "",
                source_region: sourceRegion ?? "",
                destination_account: destinationAccount ?? "",
                destination_region: destinationRegion ?? "",
            });
        // A default like `--set destination_bucket={source}-replica` is a template too.
        if (destName !== undefined && destName.includes("{") && source !== undefined) destName = fillTemplate(destName, vars());
        if (destName === undefined && source !== undefined) {
            if (options.destinationTemplate) {
                destName = fillTemplate(options.destinationTemplate, vars());
            } else if (record.template === "aws-storage-blog") {
                // The blog's spreadsheet names no target: its buckets are `<source>-target`.
                destName = fillTemplate(BLOG_TEMPLATE_DESTINATION, vars());
            } else if (sourceName !== undefined) {
                r.report(
                    "MISSING_FIELD",
                    "destination_bucket",
                    'destination_bucket is required when stack config has no destinationTemplate (e.g. "{source}-replica").',
                );
            }
        }
        const destination = r.bucket("destination_bucket", destName);

        const prefix = r.verbatim("prefix") ?? "";
        const tags = r.tags("tags");
        let storageClass = r.str("storage_class");
        if (storageClass !== undefined) {
            const norm = storageClass.toUpperCase().replace(/[\s-]+/g, "_");
            if (isReplicationStorageClass(norm)) storageClass = norm;
            else {
                r.report(
                    "INVALID_STORAGE_CLASS",
                    "storage_class",
                    `${JSON.stringify(storageClass)} is not a replication storage class; use one of ${REPLICATION_STORAGE_CLASSES.join(", ")}.`,
                );
                storageClass = undefined;
            }
        }
        const deleteMarkers = r.bool("delete_marker_replication") ?? false;
        const ownership = r.oneOf("replica_ownership", ["destination", "source"] as const);
        const replicaKey = r.str("replica_kms_key");
        const sourceKey = r.str("source_kms_key");
        for (const [col, key] of [
            ["replica_kms_key", replicaKey],
            ["source_kms_key", sourceKey],
        ] as const) {
            if (key !== undefined && !parseKmsKeyArn(key)) {
                r.report(
                    "KMS_KEY_INVALID",
                    col,
                    `${JSON.stringify(key)} is not a KMS key ARN or alias ARN (arn:aws:kms:<region>:<account>:key/<id>); a bare key id resolves in the wrong account and Region.`,
                );
            }
        }
        const replicateKms = r.bool("replicate_kms") ?? replicaKey !== undefined;
        const rtc = r.bool("rtc") ?? false;
        let existing: ExistingObjectsMode | undefined;
        const existingRaw = r.str("existing_objects");
        if (existingRaw !== undefined) {
            const s = existingRaw.toLowerCase();
            // The AWS blog template says Enabled/Disabled.
            if (TRUE.has(s)) existing = "eligible";
            else if (FALSE.has(s)) existing = "none";
            else if (isExistingObjectsMode(s)) existing = s;
            else
                r.report(
                    "INVALID_VALUE",
                    "existing_objects",
                    `existing_objects must be one of ${EXISTING_OBJECTS_MODES.join(", ")} (or Enabled/Disabled), not ${JSON.stringify(existingRaw)}.`,
                );
        }
        const backfillTrigger = r.verbatim("backfill_trigger");
        const bidirectional = r.bool("bidirectional") ?? false;
        const createSource = r.explicit("create_source") || defaults.create_source !== undefined ? r.bool("create_source") : undefined;
        const createDestination = r.explicit("create_destination") || defaults.create_destination !== undefined ? r.bool("create_destination") : undefined;
        const priority = r.integer("priority");
        const statusRaw = r.str("status");
        let status: "Enabled" | "Disabled" = "Enabled";
        if (statusRaw !== undefined) {
            const s = statusRaw.toLowerCase();
            if (TRUE.has(s)) status = "Enabled";
            else if (FALSE.has(s)) status = "Disabled";
            else r.report("INVALID_VALUE", "status", `status must be Enabled or Disabled, not ${JSON.stringify(statusRaw)}.`);
        }
        const ruleId = r.verbatim("rule_id");
        if (ruleId !== undefined) {
            if (ruleId.length > LIMITS.maxRuleIdLength)
                r.report("RULE_ID_TOO_LONG", "rule_id", `rule_id is ${ruleId.length} characters; S3 allows at most ${LIMITS.maxRuleIdLength}.`);
            if (!isAscii(ruleId))
                r.report("INVALID_RULE_ID", "rule_id", `rule_id ${JSON.stringify(ruleId)} has non-ASCII characters, which S3 rejects; use ASCII only.`);
        }
        if (prefix.length > LIMITS.maxPrefixLength)
            r.report("PREFIX_TOO_LONG", "prefix", `prefix is ${prefix.length} characters; S3 allows at most ${LIMITS.maxPrefixLength}.`);
        if (deleteMarkers && tags && Object.keys(tags).length > 0) {
            r.report(
                "DELETE_MARKER_WITH_TAG_FILTER",
                "delete_marker_replication",
                "delete markers cannot be replicated by a rule with a tag filter (S3 rejects it); set delete_marker_replication to false or remove the tags.",
            );
        }

        // Replication, roles and keys never cross partitions (separate accounts and endpoints).
        let partitionsMatch = true;
        if (sourceRegion && destinationRegion && partitionOf(sourceRegion) !== partitionOf(destinationRegion)) {
            partitionsMatch = false;
            r.report(
                "PARTITION_MISMATCH",
                r.explicit("destination_region") ? "destination_region" : "source_region",
                `the source is in ${sourceRegion}, in ${describePartition(partitionOf(sourceRegion))}, but the destination is in ${destinationRegion}, in ${describePartition(partitionOf(destinationRegion))}; S3 cannot replicate between partitions: choose a destination in the source's partition.`,
            );
        }
        for (const [col, keyArn] of [
            ["replica_kms_key", replicaKey],
            ["source_kms_key", sourceKey],
        ] as const) {
            const key = keyArn !== undefined ? parseKmsKeyArn(keyArn) : undefined;
            if (key && isKnownRegion(key.region) && partitionOf(key.region) !== key.partition) {
                partitionsMatch = false;
                r.report(
                    "PARTITION_MISMATCH",
                    col,
                    `the key ARN says partition ${key.partition}, but its Region ${key.region} is in ${describePartition(partitionOf(key.region))}; write it as arn:${partitionOf(key.region)}:kms:${key.region}:...`,
                );
            }
        }

        if (
            !source ||
            !destination ||
            !sourceAccount ||
            !sourceRegion ||
            !destinationAccount ||
            !destinationRegion ||
            !tags ||
            !partitionsMatch ||
            r.anyRefused()
        )
            continue;
        const crossAccount = sourceAccount !== destinationAccount;
        if (ownership === "destination" && !crossAccount) {
            r.report(
                "OWNERSHIP_OVERRIDE_SAME_ACCOUNT",
                "replica_ownership",
                `source and destination are both in account ${sourceAccount}: the ownership override has no effect; set replica_ownership to source or leave it blank.`,
                "warning",
            );
        }
        if (replicateKms && replicaKey === undefined) {
            r.report(
                "KMS_REPLICA_KEY_MISSING",
                "replica_kms_key",
                "replicate_kms is true but replica_kms_key is empty; give a KMS key ARN in the destination Region.",
            );
        }
        if (!replicateKms && replicaKey !== undefined && r.explicit("replicate_kms")) {
            r.report(
                "KMS_KEY_WITHOUT_REPLICATION",
                "replicate_kms",
                "replica_kms_key is set but replicate_kms is false, so SSE-KMS objects would not be replicated; set replicate_kms to true or clear the key.",
                "warning",
            );
        }
        if (replicateKms && sourceKey === undefined) {
            r.report(
                "SOURCE_KMS_KEY_MISSING",
                "source_kms_key",
                "replicate_kms is true but source_kms_key is empty: the role gets no kms:Decrypt and SSE-KMS objects will fail to replicate; give the source bucket's key ARN.",
                "warning",
            );
        }
        if (replicaKey !== undefined) {
            const key = parseKmsKeyArn(replicaKey);
            if (key && key.region !== destinationRegion) {
                r.report(
                    "KMS_KEY_REGION_MISMATCH",
                    "replica_kms_key",
                    `replica key is in ${key.region} but the destination bucket is in ${destinationRegion}; S3 needs a key in the destination's Region.`,
                );
            }
        }
        if (sourceKey !== undefined) {
            const key = parseKmsKeyArn(sourceKey);
            if (key && key.region !== sourceRegion) {
                r.report(
                    "KMS_KEY_REGION_MISMATCH",
                    "source_kms_key",
                    `source key is in ${key.region} but the source bucket is in ${sourceRegion}; give the key the source bucket encrypts with.`,
                );
            }
        }

        drafts.push({
            source,
            destination,
            sourceAccount,
            sourceRegion,
            destinationAccount,
            destinationRegion,
            ruleId,
            priority,
            status,
            prefix,
            tags,
            storageClass,
            deleteMarkerReplication: deleteMarkers,
            replicaOwnership: ownership ?? (crossAccount ? "destination" : "source"),
            replicaOwnershipExplicit: ownership !== undefined,
            replicateKms,
            ...(replicateKms && replicaKey !== undefined ? { replicaKmsKeyId: replicaKey } : {}),
            ...(sourceKey !== undefined ? { sourceKmsKeyArn: sourceKey } : {}),
            rtc,
            existingObjects: existing ?? "none",
            ...(backfillTrigger !== undefined ? { backfillTrigger } : {}),
            bidirectional,
            implied: false,
            createSource,
            createDestination,
            at: record.at,
            locs: Object.fromEntries(COLUMNS.map(c => [c, r.loc(c)])) as Partial<Record<Column, SourceLocation>>,
        });
    }

    const routes = crossCheck(drafts, options, diagnostics);
    const buckets = collectBuckets(drafts, routes, options, diagnostics);
    const accountSpecs: AccountSpec[] = Object.entries(accounts)
        .filter(([, a]) => isAccountId(String(a.id)))
        .map(([alias, a]) => ({ ...a, id: String(a.id), alias }));
    for (const id of new Set(routes.flatMap(r => [r.sourceAccount, r.destinationAccount]))) {
        if (!accountSpecs.some(a => a.id === id)) accountSpecs.push({ id });
    }
    diagnostics.push(...accountsWithoutCredentials(routes, accountSpecs));
    return { spec: { accounts: accountSpecs, buckets, routes }, diagnostics };
}

/**
 * ACCOUNT_WITHOUT_CREDENTIALS: an account the routes use that stack config gives neither a role
 * nor a profile, in a fleet where other accounts have one. Its provider then uses whatever
 * credentials `pulumi up` runs with; allowedAccountIds stops them deploying into the wrong
 * account, but only at deploy time. A fleet where no account has credentials uses the ambient
 * ones on purpose (one account, `aws sso login`), so it is not warned about.
 */
function accountsWithoutCredentials(routes: readonly RouteSpec[], accounts: readonly AccountSpec[]): Diagnostic[] {
    const reachable = (a: AccountSpec | undefined) => !!(a?.roleArn || a?.profile);
    if (!accounts.some(reachable)) return [];
    const out: Diagnostic[] = [];
    const seen = new Set<string>();
    // Rows in file order, so the warning points at the first row that names the account.
    const byRow = [...routes].filter(r => !r.implied).sort((a, b) => (a.at.row ?? 0) - (b.at.row ?? 0));
    for (const r of byRow) {
        for (const [id, column] of [
            [r.sourceAccount, "source_account"],
            [r.destinationAccount, "destination_account"],
        ] as const) {
            if (seen.has(id)) continue;
            seen.add(id);
            const account = accounts.find(a => a.id === id);
            if (reachable(account)) continue;
            const name = account?.alias ? `accounts.${account.alias}` : "accounts.<alias>";
            out.push(
                diag(
                    "ACCOUNT_WITHOUT_CREDENTIALS",
                    `account ${id}${account?.alias ? ` (${account.alias})` : ""} has no roleArn or profile in stack config, while other accounts do: its provider will use the ambient credentials of whoever runs pulumi (allowedAccountIds refuses the wrong account, but only at deploy); give ${name}.roleArn or ${name}.profile${account?.alias ? "" : ` with id "${id}"`}.`,
                    r.locs[column] ?? r.at,
                    "warning",
                ),
            );
        }
    }
    return out;
}

/** Duplicates, self-routes, two-way pairs, chains; then rule ids and priorities. */
function crossCheck(drafts: Draft[], options: FleetOptions, out: Diagnostic[]): RouteSpec[] {
    const report = (d: Draft, code: DiagnosticCode, column: Column, message: string, severity: Severity = "error") =>
        out.push(diag(code, message, d.locs[column] ?? d.at, severity));
    const rowOf = (d: Draft) => (d.at.row !== undefined ? `row ${d.at.row}` : (d.at.path ?? "another entry"));

    const identity = (d: Pick<Draft, "source" | "destination" | "prefix" | "tags">) => `${d.source}->${d.destination}|${filterKey(d.prefix, d.tags)}`;
    const seen = new Map<string, Draft>();
    const kept: Draft[] = [];
    for (const d of drafts) {
        if (d.source === d.destination) {
            report(d, "SAME_BUCKET", "destination_bucket", `route replicates ${d.source} to itself; choose a different destination bucket.`);
            continue;
        }
        const id = identity(d);
        const first = seen.get(id);
        if (first) {
            report(
                d,
                "DUPLICATE_ROUTE",
                "destination_bucket",
                `${d.source} -> ${d.destination}${d.prefix || Object.keys(d.tags).length ? " with the same filter" : ""} is already declared at ${rowOf(first)}; remove one of the two.`,
            );
            continue;
        }
        seen.set(id, d);
        kept.push(d);
    }

    // Two-way: a bidirectional row implies its reverse unless that is declared too.
    const pairKey = (a: string, b: string) => `${a}->${b}`;
    const byPair = new Map<string, Draft[]>();
    for (const d of kept) byPair.set(pairKey(d.source, d.destination), [...(byPair.get(pairKey(d.source, d.destination)) ?? []), d]);
    const implied: Draft[] = [];
    for (const d of kept) {
        const reverse = byPair.get(pairKey(d.destination, d.source)) ?? [];
        if (d.bidirectional) {
            for (const rv of reverse) rv.bidirectional = true;
            if (reverse.length === 0) {
                const replicaKey = d.sourceKmsKeyArn;
                if (d.replicateKms && !replicaKey) {
                    report(
                        d,
                        "KMS_REPLICA_KEY_MISSING",
                        "source_kms_key",
                        `two-way route: the reverse rule ${d.destination} -> ${d.source} replicates SSE-KMS objects and needs source_kms_key (the key replicas are encrypted with in ${d.sourceRegion}).`,
                    );
                }
                implied.push({
                    ...d,
                    source: d.destination,
                    destination: d.source,
                    sourceAccount: d.destinationAccount,
                    destinationAccount: d.sourceAccount,
                    sourceRegion: d.destinationRegion,
                    destinationRegion: d.sourceRegion,
                    ruleId: undefined,
                    priority: undefined,
                    ...(d.replicateKms && replicaKey ? { replicaKmsKeyId: replicaKey } : { replicaKmsKeyId: undefined }),
                    ...(d.replicaKmsKeyId ? { sourceKmsKeyArn: d.replicaKmsKeyId } : { sourceKmsKeyArn: undefined }),
                    createSource: d.createDestination,
                    createDestination: d.createSource,
                    existingObjects: "none",
                    implied: true,
                });
            }
        }
    }
    const flagged = new Set<Draft>();
    for (const d of kept) {
        const reverse = byPair.get(pairKey(d.destination, d.source)) ?? [];
        if (!d.bidirectional && reverse.length > 0 && !reverse.some(rv => rv.bidirectional) && !reverse.some(rv => flagged.has(rv))) {
            flagged.add(d);
            const later = [d, reverse[0]].sort((a, b) => (a.at.row ?? 0) - (b.at.row ?? 0))[1];
            report(
                later,
                "TWO_WAY_NOT_DECLARED",
                "bidirectional",
                `${d.source} -> ${d.destination} and ${d.destination} -> ${d.source} are both declared but not marked bidirectional, so changes to replicas (metadata, tags, ACLs) are not synced back; set bidirectional to true on one of them.`,
                "warning",
            );
        }
    }
    const all = [...kept, ...implied];

    // A -> B -> C: replicas are never re-replicated.
    const intoBucket = new Map<string, Draft[]>();
    for (const d of all) intoBucket.set(d.destination, [...(intoBucket.get(d.destination) ?? []), d]);
    for (const d of kept) {
        const upstream = (intoBucket.get(d.source) ?? []).filter(u => u.source !== d.destination);
        if (upstream.length > 0) {
            const u = upstream[0];
            report(
                d,
                "REPLICATION_CHAIN",
                "source_bucket",
                `${d.source} is itself a replication destination (${u.source} -> ${d.source}, ${rowOf(u)}): objects replicated from ${u.source} will NOT be replicated on to ${d.destination}; add a direct route ${u.source} -> ${d.destination} if they must arrive there.`,
                "warning",
            );
        }
    }

    // Rule ids and priorities, per source: each a function of the route's own identity (identity.ts).
    const bySource = new Map<string, Draft[]>();
    for (const d of all) bySource.set(d.source, [...(bySource.get(d.source) ?? []), d]);
    const routes: RouteSpec[] = [];
    for (const [, group] of bySource) {
        group.sort((a, b) => identity(a).localeCompare(identity(b)));
        // Every route sharing a priority with an earlier row is reported, whatever the row order.
        const byPriority = new Map<number, Draft[]>();
        for (const d of group) {
            if (d.priority !== undefined) byPriority.set(d.priority, [...(byPriority.get(d.priority) ?? []), d]);
        }
        for (const [p, sharing] of byPriority) {
            const [first, ...later] = [...sharing].sort((x, y) => (x.at.row ?? 0) - (y.at.row ?? 0));
            for (const b of later) {
                report(
                    b,
                    "PRIORITY_CONFLICT",
                    "priority",
                    `priority ${p} is also used by ${first.source} -> ${first.destination} (${rowOf(first)}); priorities must be unique per source bucket: change one or leave it blank to have one assigned.`,
                );
            }
        }
        const ids = new Map<string, Draft[]>();
        if (group.length > LIMITS.maxRulesPerConfiguration) {
            // Point at the first route over the limit as the file lists them.
            const d = [...group].sort((a, b) => (a.at.row ?? 0) - (b.at.row ?? 0))[LIMITS.maxRulesPerConfiguration];
            report(
                d,
                "TOO_MANY_RULES",
                "source_bucket",
                `${d.source} has ${group.length} routes; S3 allows at most ${LIMITS.maxRulesPerConfiguration} rules per bucket: combine routes with a shared prefix or split the source.`,
            );
        }
        const keyOf = (d: Draft) => routeKey(d.source, d.destination, d.prefix, d.tags);
        const priorities = assignPriorities(
            group.map(d => ({ key: keyOf(d), prefix: d.prefix, tags: d.tags, ...(d.priority !== undefined ? { explicit: d.priority } : {}) })),
        );
        for (const d of group) {
            const key = keyOf(d);
            const ruleId = d.ruleId ?? defaultRuleId(d.destination, d.prefix, d.tags);
            ids.set(ruleId, [...(ids.get(ruleId) ?? []), d]);
            const { createSource: _cs, createDestination: _cd, replicaOwnershipExplicit: _ro, ...rest } = d;
            routes.push({ ...rest, key, ruleId, priority: priorities.get(key)! });
        }
        // Flag every route after the first (by row) that reuses a rule id, as for priorities.
        for (const [ruleId, sharing] of ids) {
            const [first, ...later] = [...sharing].sort((x, y) => (x.at.row ?? 0) - (y.at.row ?? 0));
            for (const d of later) {
                report(
                    d,
                    "DUPLICATE_RULE_ID",
                    "rule_id",
                    `rule_id ${JSON.stringify(ruleId)} is already used for ${first.source} -> ${first.destination} (${rowOf(first)}); rule ids must be unique per source bucket.`,
                );
            }
        }
    }
    routes.sort((a, b) => a.key.localeCompare(b.key));
    void options;
    return routes;
}

/** One BucketSpec per bucket name; the same bucket declared two ways is an error. */
function collectBuckets(drafts: Draft[], routes: RouteSpec[], options: FleetOptions, out: Diagnostic[]): BucketSpec[] {
    interface Acc {
        spec: BucketSpec;
        createExplicit?: { value: boolean; at: SourceLocation };
        replicaKeys: Set<string>;
    }
    const byName = new Map<string, Acc>();
    const conflict = (at: SourceLocation, message: string) => out.push(diag("CONFLICTING_BUCKET_SETTINGS", message, at));

    const see = (name: string, account: string, region: string, role: "source" | "destination", create: boolean | undefined, d: Draft, kmsKey?: string) => {
        // Point each conflict at the cell that states the conflicting value.
        const cell = (source: Column, destination: Column) => d.locs[role === "source" ? source : destination] ?? d.at;
        const at = d.at;
        let acc = byName.get(name);
        if (!acc) {
            acc = {
                spec: { name, account, region, create: false, objectLock: false, isSource: false, isDestination: false, at },
                replicaKeys: new Set(),
            };
            byName.set(name, acc);
        } else {
            if (acc.spec.account !== account)
                conflict(
                    cell("source_account", "destination_account"),
                    `bucket ${name} is declared in account ${account} here but ${acc.spec.account} at ${where(acc.spec.at)}; a bucket lives in one account.`,
                );
            if (acc.spec.region !== region)
                conflict(
                    cell("source_region", "destination_region"),
                    `bucket ${name} is declared in ${region} here but ${acc.spec.region} at ${where(acc.spec.at)}; a bucket lives in one Region.`,
                );
        }
        if (role === "source") acc.spec.isSource = true;
        else acc.spec.isDestination = true;
        if (create !== undefined) {
            if (acc.createExplicit && acc.createExplicit.value !== create) {
                conflict(
                    cell("create_source", "create_destination"),
                    `bucket ${name} is marked ${create ? "create" : "adopt (create=false)"} here but ${acc.createExplicit.value ? "create" : "adopt"} at ${where(acc.createExplicit.at)}; choose one.`,
                );
            } else acc.createExplicit = { value: create, at: cell("create_source", "create_destination") };
        }
        if (kmsKey && role === "source") {
            if (acc.spec.kmsKeyArn && acc.spec.kmsKeyArn !== kmsKey)
                conflict(
                    cell("source_kms_key", "replica_kms_key"),
                    `bucket ${name} is given source key ${kmsKey} here but ${acc.spec.kmsKeyArn} elsewhere; a bucket has one default key.`,
                );
            else acc.spec.kmsKeyArn = kmsKey;
        }
        if (kmsKey && role === "destination") acc.replicaKeys.add(kmsKey);
    };

    for (const d of drafts) {
        see(d.source, d.sourceAccount, d.sourceRegion, "source", d.createSource, d, d.sourceKmsKeyArn);
        see(d.destination, d.destinationAccount, d.destinationRegion, "destination", d.createDestination, d, d.replicaKmsKeyId);
    }
    // Implied reverse routes make their destinations sources of data too.
    for (const r of routes.filter(x => x.implied)) {
        byName.get(r.source)!.spec.isSource = true;
        byName.get(r.destination)!.spec.isDestination = true;
    }

    const buckets: BucketSpec[] = [];
    for (const [name, acc] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
        // A bucket named `constructor` is an ordinary bucket, not Object.prototype's.
        const o = options.buckets && Object.hasOwn(options.buckets, name) ? options.buckets[name] : undefined;
        // Created only when something says so (stack config, a create_* column or its default):
        // never inferred from the other routes that use the bucket, so adding a route that reads
        // from a destination never turns it from created into adopted.
        acc.spec.create = o?.create ?? acc.createExplicit?.value ?? false;
        if (o?.kmsKeyArn) acc.spec.kmsKeyArn = o.kmsKeyArn;
        // A created destination encrypts with its replica key when all routes into it agree on one;
        // an adopted one keeps its own default encryption (never changed by inference).
        if (!acc.spec.kmsKeyArn && acc.spec.create && acc.replicaKeys.size === 1) acc.spec.kmsKeyArn = [...acc.replicaKeys][0];
        acc.spec.objectLock = o?.objectLock ?? false;
        if (o?.replaceExistingReplication) acc.spec.replaceExistingReplication = true;
        buckets.push(acc.spec);
    }
    for (const r of routes) {
        const s = byName.get(r.source)!.spec;
        const d = byName.get(r.destination)!.spec;
        if (s.objectLock && !d.objectLock) {
            out.push(
                diag(
                    "OBJECT_LOCK_MISMATCH",
                    `${r.source} has Object Lock but ${r.destination} does not: replication fails with DstBucketObjectLockConfigMissing; enable Object Lock on the destination (buckets.${r.destination}.objectLock).`,
                    r.locs.destination_bucket ?? r.at,
                ),
            );
        }
    }
    return buckets;
}

function where(at: SourceLocation): string {
    if (at.row !== undefined) return `row ${at.row}`;
    return at.path ?? "another entry";
}
