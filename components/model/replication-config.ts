/**
 * The replication configuration of one source bucket, as plain data in the shape of
 * `aws.s3.BucketReplicationConfig`'s inputs, and the ONE set of checks for it. The manifest
 * validator runs the checks on the configurations it is about to register; the policy pack runs
 * them on whatever any program registers. Both report the same codes.
 */
import { DiagnosticCode, Severity, kindOf } from "./diagnostics";
import { LIMITS, isAscii, isReplicationStorageClass, parseKmsKeyArn, DEFAULT_RTC_UNSUPPORTED_REGIONS } from "./aws-facts";

export interface StatusDoc {
    status?: string;
}

export interface ReplicationFilterDoc {
    prefix?: string;
    tag?: { key?: string; value?: string };
    and?: { prefix?: string; tags?: Record<string, string> };
}

export interface ReplicationDestinationDoc {
    bucket?: string;
    storageClass?: string;
    account?: string;
    accessControlTranslation?: { owner?: string };
    encryptionConfiguration?: { replicaKmsKeyId?: string };
    replicationTime?: { status?: string; time?: { minutes?: number } };
    metrics?: { status?: string; eventThreshold?: { minutes?: number } };
}

export interface ReplicationRuleDoc {
    id?: string;
    priority?: number;
    status?: string;
    /** Legacy V1 rule-level prefix: never emitted by this package, flagged when seen. */
    prefix?: string;
    filter?: ReplicationFilterDoc;
    deleteMarkerReplication?: StatusDoc;
    destination?: ReplicationDestinationDoc;
    sourceSelectionCriteria?: {
        sseKmsEncryptedObjects?: StatusDoc;
        replicaModifications?: StatusDoc;
    };
    existingObjectReplication?: StatusDoc;
}

export interface ReplicationConfigDoc {
    bucket?: string;
    role?: string;
    rules?: ReplicationRuleDoc[];
}

/** Which manifest column a finding is about, so the validator can point at the cell. */
export type RuleField =
    | "rule_id"
    | "priority"
    | "status"
    | "prefix"
    | "tags"
    | "delete_marker_replication"
    | "destination_bucket"
    | "storage_class"
    | "replica_ownership"
    | "replica_kms_key"
    | "replicate_kms"
    | "rtc"
    | "destination_account"
    | "destination_region"
    | "existing_objects";

export interface ConfigFinding {
    code: DiagnosticCode;
    severity: Severity;
    message: string;
    /** Index into `rules`, absent for findings about the whole configuration. */
    ruleIndex?: number;
    field?: RuleField;
}

/** What the checks may know beyond the document itself. Everything is optional. */
export interface ConfigCheckContext {
    sourceAccount?: string;
    sourceRegion?: string;
    /** Destination bucket ARN -> the destination's Region, where known. */
    destinationRegions?: Record<string, string>;
    /** Destination bucket ARN -> the destination's account, where known. */
    destinationAccounts?: Record<string, string>;
    rtcUnsupportedRegions?: readonly string[];
    /** Skip the 2 MB size check (the policy pack cannot see resolved sizes during preview). */
    skipSize?: boolean;
}

/** Number of bytes PutBucketReplication's XML body takes for this configuration. */
export function replicationConfigXmlBytes(doc: ReplicationConfigDoc): number {
    return Buffer.byteLength(replicationConfigXml(doc), "utf8");
}

/**
 * The PutBucketReplication body, used only to measure it against S3's 2 MB limit. Takes a typed
 * document: `checkReplicationConfig` conforms whatever a program registered before measuring it.
 */
export function replicationConfigXml(doc: ReplicationConfigDoc): string {
    const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const el = (name: string, inner: string) => `<${name}>${inner}</${name}>`;
    const txt = (name: string, v: string | number | undefined) => (v === undefined ? "" : el(name, typeof v === "number" ? String(v) : esc(v)));
    const status = (name: string, s: StatusDoc | undefined) => (s ? el(name, txt("Status", s.status)) : "");
    const tag = (k: string, v: string) => el("Tag", txt("Key", k) + txt("Value", v));
    const rules = (doc.rules ?? [])
        .map(r => {
            const f = r.filter;
            const filter =
                f === undefined
                    ? ""
                    : el(
                          "Filter",
                          txt("Prefix", f.prefix) +
                              (f.tag ? tag(f.tag.key ?? "", f.tag.value ?? "") : "") +
                              (f.and
                                  ? el(
                                        "And",
                                        txt("Prefix", f.and.prefix) +
                                            Object.entries(f.and.tags ?? {})
                                                .map(([k, v]) => tag(k, v))
                                                .join(""),
                                    )
                                  : ""),
                      );
            const d = r.destination ?? {};
            const dest = el(
                "Destination",
                txt("Bucket", d.bucket) +
                    txt("Account", d.account) +
                    txt("StorageClass", d.storageClass) +
                    (d.accessControlTranslation ? el("AccessControlTranslation", txt("Owner", d.accessControlTranslation.owner)) : "") +
                    (d.encryptionConfiguration ? el("EncryptionConfiguration", txt("ReplicaKmsKeyID", d.encryptionConfiguration.replicaKmsKeyId)) : "") +
                    (d.replicationTime
                        ? el("ReplicationTime", txt("Status", d.replicationTime.status) + el("Time", txt("Minutes", d.replicationTime.time?.minutes)))
                        : "") +
                    (d.metrics ? el("Metrics", txt("Status", d.metrics.status) + el("EventThreshold", txt("Minutes", d.metrics.eventThreshold?.minutes))) : ""),
            );
            const ssc = r.sourceSelectionCriteria;
            return el(
                "Rule",
                txt("ID", r.id) +
                    txt("Priority", r.priority) +
                    txt("Prefix", r.prefix) +
                    filter +
                    txt("Status", r.status) +
                    (ssc
                        ? el(
                              "SourceSelectionCriteria",
                              status("SseKmsEncryptedObjects", ssc.sseKmsEncryptedObjects) + status("ReplicaModifications", ssc.replicaModifications),
                          )
                        : "") +
                    status("ExistingObjectReplication", r.existingObjectReplication) +
                    dest +
                    status("DeleteMarkerReplication", r.deleteMarkerReplication),
            );
        })
        .join("");
    return `<?xml version="1.0" encoding="UTF-8"?><ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${txt("Role", doc.role)}${rules}</ReplicationConfiguration>`;
}

/**
 * The shape of the fields the checks read. A program may register any value anywhere (the policy
 * pack sees whatever it was given), so the checks first conform the input to this shape: a field
 * of the wrong type is reported once and then treated as absent, and nothing downstream ever
 * touches a value it did not expect.
 */
type Shape = "text" | "number" | "tags" | { readonly [key: string]: Shape };

const STATUS: Shape = { status: "text" };
const RULE_SHAPE: Shape = {
    id: "text",
    priority: "number",
    status: "text",
    prefix: "text",
    filter: { prefix: "text", tag: { key: "text", value: "text" }, and: { prefix: "text", tags: "tags" } },
    deleteMarkerReplication: STATUS,
    destination: {
        bucket: "text",
        storageClass: "text",
        account: "text",
        accessControlTranslation: { owner: "text" },
        encryptionConfiguration: { replicaKmsKeyId: "text" },
        replicationTime: { status: "text", time: { minutes: "number" } },
        metrics: { status: "text", eventThreshold: { minutes: "number" } },
    },
    sourceSelectionCriteria: { sseKmsEncryptedObjects: STATUS, replicaModifications: STATUS },
    existingObjectReplication: STATUS,
};

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** A field found with the wrong type: its dotted path and what it held. */
interface Misfit {
    path: string;
    expected: string;
    found: string;
}

/**
 * `value` conformed to `shape`; fields of the wrong type go to `misfits` and are left out.
 * Null means absent (as it does to S3), and fields outside the shape are dropped.
 */
function conform(value: unknown, shape: Shape, path: string, misfits: Misfit[]): unknown {
    if (value === undefined || value === null) return undefined;
    const misfit = (expected: string) => {
        misfits.push({ path, expected, found: kindOf(value) });
        return undefined;
    };
    if (shape === "text") return typeof value === "string" ? value : misfit("text");
    if (shape === "number") return typeof value === "number" ? value : misfit("a number");
    if (!isRecord(value)) return misfit(shape === "tags" ? "a map of tag keys to values" : "an object");
    const out: Record<string, unknown> = {};
    for (const [key, sub] of shape === "tags" ? Object.keys(value).map(k => [k, "text" as Shape] as const) : Object.entries(shape)) {
        const v = conform(value[key], sub, path ? `${path}.${key}` : key, misfits);
        if (v !== undefined) out[key] = v;
    }
    return out;
}

/** Manifest columns of the rule's fields, and of its destination's, for pointing at the cell. */
const RULE_FIELD_COLUMNS: Readonly<Record<string, RuleField>> = {
    id: "rule_id",
    priority: "priority",
    status: "status",
    prefix: "prefix",
    filter: "tags",
    deleteMarkerReplication: "delete_marker_replication",
    existingObjectReplication: "existing_objects",
    sourceSelectionCriteria: "replicate_kms",
    destination: "destination_bucket",
};
const DESTINATION_FIELD_COLUMNS: Readonly<Record<string, RuleField>> = {
    bucket: "destination_bucket",
    storageClass: "storage_class",
    account: "destination_account",
    accessControlTranslation: "replica_ownership",
    encryptionConfiguration: "replica_kms_key",
    replicationTime: "rtc",
    metrics: "rtc",
};

/** The manifest column a misfit field (a dotted path in the rule) corresponds to. */
function fieldOfPath(path: string): RuleField | undefined {
    if (path === "filter.prefix" || path === "filter.and.prefix") return "prefix";
    const [top, second] = path.split(".");
    return top === "destination" && second !== undefined ? DESTINATION_FIELD_COLUMNS[second] : RULE_FIELD_COLUMNS[top];
}

function filterTags(f: ReplicationFilterDoc | undefined): Array<[string, string]> {
    if (!f) return [];
    if (f.tag) return [[f.tag.key ?? "", f.tag.value ?? ""]];
    return Object.entries(f.and?.tags ?? {});
}

function filterPrefix(rule: ReplicationRuleDoc): string | undefined {
    return rule.filter?.prefix ?? rule.filter?.and?.prefix ?? rule.prefix;
}

const isEnabled = (s: StatusDoc | undefined) => s?.status === "Enabled";

/**
 * Every rule S3 enforces on PutBucketReplication that can be known before calling it.
 * Returns findings in rule order; never throws on malformed input.
 */
export function checkReplicationConfig(input: ReplicationConfigDoc, ctx: ConfigCheckContext = {}): ConfigFinding[] {
    const out: ConfigFinding[] = [];
    const source: Record<string, unknown> = isRecord(input) ? input : {};
    const top: Misfit[] = [];
    const bucket = conform(source.bucket, "text", "bucket", top) as string | undefined;
    const role = conform(source.role, "text", "role", top) as string | undefined;
    const rawRules: unknown[] = Array.isArray(source.rules) ? source.rules : [];
    const add = (code: DiagnosticCode, message: string, ruleIndex?: number, field?: RuleField, severity: Severity = "error") =>
        out.push({ code, severity, message, ...(ruleIndex !== undefined ? { ruleIndex } : {}), ...(field ? { field } : {}) });

    for (const m of top) add("INVALID_VALUE", `${m.path} must be ${m.expected} (is ${m.found}).`);
    if (source.rules !== undefined && source.rules !== null && !Array.isArray(source.rules)) {
        add("INVALID_VALUE", `rules must be a list of rule objects (is ${kindOf(source.rules)}).`);
    }
    // Conform every rule first; a rule that is not an object stays a gap so indexes keep matching.
    const misfitsOf: Misfit[][] = rawRules.map(() => []);
    const rules: Array<ReplicationRuleDoc | undefined> = rawRules.map((raw, i) =>
        isRecord(raw) ? (conform(raw, RULE_SHAPE, "", misfitsOf[i]) as ReplicationRuleDoc) : undefined,
    );
    const doc: ReplicationConfigDoc = {
        ...(bucket !== undefined ? { bucket } : {}),
        ...(role !== undefined ? { role } : {}),
        rules: rules.filter((r): r is ReplicationRuleDoc => r !== undefined),
    };

    if (rules.length === 0) add("NO_RULES", "A replication configuration needs at least one rule (S3 answers MalformedXML).");
    if (rules.length > LIMITS.maxRulesPerConfiguration) {
        add(
            "TOO_MANY_RULES",
            `${rules.length} rules for bucket ${bucket ?? "(unknown)"}: S3 allows at most ${LIMITS.maxRulesPerConfiguration} per bucket; split the routes over more source buckets or combine prefixes.`,
        );
    }

    const priorities = new Map<number, number>();
    const ids = new Map<string, number>();
    rules.forEach((rule, i) => {
        if (rule === undefined) {
            add("INVALID_VALUE", `rule #${i + 1} is not a rule object (is ${kindOf(rawRules[i])}).`, i);
            return;
        }
        const name = rule.id ? `rule "${rule.id}"` : `rule #${i + 1}`;
        // Fields of the wrong type are reported here and are absent from `rule` from now on.
        const misfit = new Set<string>();
        for (const m of misfitsOf[i]) {
            misfit.add(m.path);
            add(m.path === "id" ? "INVALID_RULE_ID" : "INVALID_VALUE", `${name}: ${m.path} must be ${m.expected} (is ${m.found}).`, i, fieldOfPath(m.path));
        }
        const present = (key: keyof ReplicationRuleDoc) => rule[key] !== undefined || misfit.has(key);
        if (rule.id !== undefined) {
            if (rule.id.length > LIMITS.maxRuleIdLength)
                add(
                    "RULE_ID_TOO_LONG",
                    `${name.slice(0, 40)}…: rule ids are at most ${LIMITS.maxRuleIdLength} characters (is ${rule.id.length}); shorten rule_id.`,
                    i,
                    "rule_id",
                );
            if (!isAscii(rule.id))
                add("INVALID_RULE_ID", `${name}: rule ids must be ASCII (S3 answers InvalidArgument); use only ASCII characters in rule_id.`, i, "rule_id");
            const prev = ids.get(rule.id);
            if (prev !== undefined)
                add("DUPLICATE_RULE_ID", `${name} is used by rule #${prev + 1} too; rule ids must be unique within a bucket's configuration.`, i, "rule_id");
            else ids.set(rule.id, i);
        }
        if (rule.status !== "Enabled" && rule.status !== "Disabled" && !misfit.has("status"))
            add("INVALID_VALUE", `${name}: status must be Enabled or Disabled (is ${JSON.stringify(rule.status)}).`, i, "status");

        // V2 schema: Filter, Priority and DeleteMarkerReplication together.
        if (!present("filter") || !present("priority") || !present("deleteMarkerReplication") || present("prefix")) {
            const missing = (["filter", "priority", "deleteMarkerReplication"] as const).filter(k => !present(k)).join(", ");
            add(
                "V2_SCHEMA_REQUIRED",
                `${name}: use the V2 schema (filter, priority and deleteMarkerReplication${present("prefix") ? "; no rule-level prefix" : ""})${missing ? `; missing ${missing}` : ""}.`,
                i,
                "priority",
            );
        }
        if (rule.priority !== undefined) {
            if (!Number.isInteger(rule.priority) || rule.priority < 0) {
                add("INVALID_PRIORITY", `${name}: priority must be a non-negative integer (is ${rule.priority}).`, i, "priority");
            } else {
                const prev = priorities.get(rule.priority);
                if (prev !== undefined)
                    add(
                        "PRIORITY_CONFLICT",
                        `${name} has priority ${rule.priority}, as does rule #${prev + 1} (${rules[prev]?.id ?? "no id"}); priorities must be unique within one bucket's configuration: change one or leave it blank to have one assigned.`,
                        i,
                        "priority",
                    );
                else priorities.set(rule.priority, i);
            }
        }

        const f = rule.filter;
        if (f) {
            const kinds = [f.prefix !== undefined, f.tag !== undefined, f.and !== undefined].filter(Boolean).length;
            if (kinds > 1) add("INVALID_TAG_FILTER", `${name}: a filter holds exactly one of prefix, tag or and; put prefix and tags inside "and".`, i, "tags");
            for (const [k, v] of filterTags(f)) {
                if (!k) add("INVALID_TAG_FILTER", `${name}: a tag filter needs a non-empty key.`, i, "tags");
                if (v === undefined || v === null) add("INVALID_TAG_FILTER", `${name}: tag "${k}" needs a value.`, i, "tags");
                if (k.length > 128 || (v ?? "").length > 256)
                    add("INVALID_TAG_FILTER", `${name}: tag keys are at most 128 and values 256 characters.`, i, "tags");
            }
        }
        const prefix = filterPrefix(rule);
        if (prefix !== undefined && prefix.length > LIMITS.maxPrefixLength) {
            add("PREFIX_TOO_LONG", `${name}: prefix is ${prefix.length} characters; S3 allows at most ${LIMITS.maxPrefixLength}.`, i, "prefix");
        }
        if (isEnabled(rule.deleteMarkerReplication) && filterTags(f).length > 0) {
            add(
                "DELETE_MARKER_WITH_TAG_FILTER",
                `${name}: delete markers cannot be replicated by a rule with a tag filter; set delete_marker_replication to false or remove the tags.`,
                i,
                "delete_marker_replication",
            );
        }
        if (rule.existingObjectReplication !== undefined) {
            add(
                "EXISTING_OBJECT_REPLICATION_UNSUPPORTED",
                `${name}: S3 no longer accepts ExistingObjectReplication (MalformedXML); backfill existing objects with S3 Batch Replication (existing_objects).`,
                i,
                "existing_objects",
            );
        }

        const d = rule.destination ?? {};
        if (!d.bucket && !misfit.has("destination") && !misfit.has("destination.bucket"))
            add("MISSING_FIELD", `${name}: destination bucket ARN is required.`, i, "destination_bucket");
        if (d.storageClass !== undefined && !isReplicationStorageClass(d.storageClass)) {
            add(
                "INVALID_STORAGE_CLASS",
                `${name}: ${d.storageClass} is not a replication storage class; use one of STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE, REDUCED_REDUNDANCY.`,
                i,
                "storage_class",
            );
        }
        const destAccount = d.account ?? (d.bucket ? ctx.destinationAccounts?.[d.bucket] : undefined);
        if (d.accessControlTranslation !== undefined) {
            if (d.accessControlTranslation.owner !== "Destination")
                add("INVALID_VALUE", `${name}: accessControlTranslation.owner can only be Destination.`, i, "replica_ownership");
            if (!d.account)
                add(
                    "OWNERSHIP_OVERRIDE_WITHOUT_ACCOUNT",
                    `${name}: replica ownership override needs destination.account (the destination bucket owner's account id).`,
                    i,
                    "destination_account",
                );
            else if (ctx.sourceAccount && d.account === ctx.sourceAccount) {
                add(
                    "OWNERSHIP_OVERRIDE_SAME_ACCOUNT",
                    `${name}: source and destination are both in account ${d.account}, so the ownership override changes nothing; set replica_ownership to source.`,
                    i,
                    "replica_ownership",
                    "warning",
                );
            }
        }

        const sseKms = isEnabled(rule.sourceSelectionCriteria?.sseKmsEncryptedObjects);
        const replicaKey = d.encryptionConfiguration?.replicaKmsKeyId;
        if (rule.sourceSelectionCriteria && !rule.sourceSelectionCriteria.sseKmsEncryptedObjects && !rule.sourceSelectionCriteria.replicaModifications) {
            add("INVALID_VALUE", `${name}: an empty sourceSelectionCriteria is rejected by S3; remove it or set a criterion.`, i, "replicate_kms");
        }
        if (sseKms && !replicaKey) {
            add(
                "KMS_REPLICA_KEY_MISSING",
                `${name}: SSE-KMS objects are selected but no replica key is set; give replica_kms_key (a KMS key ARN in the destination Region).`,
                i,
                "replica_kms_key",
            );
        }
        if (replicaKey !== undefined) {
            if (!sseKms)
                add(
                    "KMS_KEY_WITHOUT_REPLICATION",
                    `${name}: a replica KMS key is set but SSE-KMS objects are not selected; set replicate_kms to true.`,
                    i,
                    "replicate_kms",
                );
            const key = parseKmsKeyArn(replicaKey);
            if (!key) {
                add(
                    "KMS_KEY_INVALID",
                    `${name}: replica key ${JSON.stringify(replicaKey)} is not a KMS key ARN or alias ARN (arn:aws:kms:<region>:<account>:key/<id>); a bare id resolves in the wrong account and Region.`,
                    i,
                    "replica_kms_key",
                );
            } else {
                const destRegion = d.bucket ? ctx.destinationRegions?.[d.bucket] : undefined;
                if (destRegion && key.region !== destRegion) {
                    add(
                        "KMS_KEY_REGION_MISMATCH",
                        `${name}: replica key is in ${key.region} but the destination bucket is in ${destRegion}; use a key in ${destRegion}.`,
                        i,
                        "replica_kms_key",
                    );
                }
                if (destAccount && key.account !== destAccount && key.kind === "alias") {
                    add(
                        "KMS_KEY_REGION_MISMATCH",
                        `${name}: alias ARN in account ${key.account} cannot name a key for destination account ${destAccount}; use the key ARN.`,
                        i,
                        "replica_kms_key",
                    );
                }
            }
        }

        // Replication metrics may be enabled alone, without RTC or an event threshold; RTC needs
        // them, with the 15-minute threshold (S3 User Guide, "Using S3 Replication metrics":
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html, and "Meeting
        // compliance requirements using S3 RTC": .../userguide/replication-time-control.html).
        const rt = d.replicationTime;
        const m = d.metrics;
        if (rt !== undefined || m !== undefined) {
            const rtOn = rt?.status === "Enabled";
            const mOn = m?.status === "Enabled";
            if (rtOn && !mOn) {
                add(
                    "RTC_METRICS_MISMATCH",
                    `${name}: Replication Time Control needs replication metrics: set metrics.status to Enabled (with eventThreshold.minutes ${LIMITS.rtcMinutes}) or turn replicationTime off.`,
                    i,
                    "rtc",
                );
            }
            const thresholdMissing = rtOn && mOn && m?.eventThreshold === undefined;
            const thresholdWrong = m?.eventThreshold !== undefined && m.eventThreshold.minutes !== LIMITS.rtcMinutes;
            if ((rt && rt.time?.minutes !== LIMITS.rtcMinutes) || thresholdMissing || thresholdWrong) {
                add(
                    "RTC_METRICS_MISMATCH",
                    `${name}: replicationTime.time.minutes and metrics.eventThreshold.minutes must be ${LIMITS.rtcMinutes} (the threshold is required with Replication Time Control).`,
                    i,
                    "rtc",
                );
            }
            if (rtOn) {
                const unsupported = ctx.rtcUnsupportedRegions ?? DEFAULT_RTC_UNSUPPORTED_REGIONS;
                const destRegion = d.bucket ? ctx.destinationRegions?.[d.bucket] : undefined;
                for (const r of [ctx.sourceRegion, destRegion]) {
                    if (r && unsupported.includes(r)) {
                        add("RTC_UNSUPPORTED_REGION", `${name}: Replication Time Control is not supported in ${r}; set rtc to false for this route.`, i, "rtc");
                        break;
                    }
                }
            }
        }
    });

    if (!ctx.skipSize && rules.length > 0) {
        const bytes = replicationConfigXmlBytes(doc);
        if (bytes > LIMITS.maxConfigurationBytes) {
            add(
                "CONFIG_TOO_LARGE",
                `the replication configuration of ${doc.bucket ?? "this bucket"} renders to ${bytes} bytes; S3 accepts at most ${LIMITS.maxConfigurationBytes} (2 MB): shorten prefixes/rule ids or split routes.`,
            );
        }
    }
    return out;
}
