/**
 * From the props of a replication configuration (an aws.s3.BucketReplicationConfig, or the
 * deprecated inline `replicationConfiguration` of an aws.s3.Bucket) to the model's
 * ReplicationConfigDoc, so the pack runs exactly the checks the manifest validator runs.
 *
 * Values unknown during a preview become placeholders, and every finding about a field that
 * involved an unknown value is dropped: it cannot be told yet, and will be on `up`.
 */
import { ConfigCheckContext, ConfigFinding, ReplicationConfigDoc, RuleField, checkReplicationConfig } from "../../../components/model/replication-config";
import { UNKNOWN, at, Plain } from "./common";

export interface CheckableDoc {
    /** The document with unknown values replaced by placeholders. */
    doc: ReplicationConfigDoc;
    /** Rule index -> the fields whose findings cannot be trusted (they involve unknown values). */
    tainted: Map<number, Set<RuleField | "*">>;
    /** Anything unknown at all (the 2 MB size check is skipped then). */
    anyUnknown: boolean;
    /** The rule list itself is unknown: nothing can be checked. */
    rulesUnknown: boolean;
    /** The document with UNKNOWN markers left in (for the graph's own reasoning). */
    raw: { role: unknown; rules: unknown[] };
}

const ALL_FIELDS = "*" as const;

/** Which finding fields an unknown value at a rule path (dotted) makes untrustworthy. */
function fieldsFor(path: string): Array<RuleField | "*"> {
    const map: Array<[string, Array<RuleField | "*">]> = [
        ["id", ["rule_id"]],
        ["priority", ["priority"]],
        ["status", ["status"]],
        ["prefix", ["prefix"]],
        ["filter", ["prefix", "tags", "delete_marker_replication"]],
        ["deleteMarkerReplication", ["delete_marker_replication"]],
        ["destination.bucket", ["destination_bucket", "replica_kms_key", "rtc"]],
        ["destination.storageClass", ["storage_class"]],
        ["destination.account", ["destination_account", "replica_ownership", "replica_kms_key"]],
        ["destination.accessControlTranslation", ["replica_ownership", "destination_account"]],
        ["destination.encryptionConfiguration", ["replica_kms_key", "replicate_kms"]],
        ["destination.replicationTime", ["rtc"]],
        ["destination.metrics", ["rtc"]],
        ["destination", ["destination_bucket", "storage_class", "destination_account", "replica_ownership", "replica_kms_key", "replicate_kms", "rtc"]],
        ["sourceSelectionCriteria", ["replicate_kms", "replica_kms_key"]],
        ["existingObjectReplication", ["existing_objects"]],
    ];
    for (const [prefix, fields] of map) {
        if (path === prefix || path.startsWith(prefix + ".")) return fields;
    }
    return [ALL_FIELDS];
}

/** Keys whose values are objects in the schema: an unknown one becomes `{}` (present, contents unknown). */
const OBJECT_KEYS = new Set([
    "filter",
    "tag",
    "and",
    "tags",
    "deleteMarkerReplication",
    "destination",
    "sourceSelectionCriteria",
    "sseKmsEncryptedObjects",
    "replicaModifications",
    "accessControlTranslation",
    "encryptionConfiguration",
    "replicationTime",
    "time",
    "metrics",
    "eventThreshold",
    "existingObjectReplication",
]);
const NUMBER_KEYS = new Set(["priority", "minutes"]);

function placeholder(key: string, path: string): unknown {
    if (OBJECT_KEYS.has(key)) return {};
    if (NUMBER_KEYS.has(key)) return Number.NaN;
    return `\u0000unknown:${path}`;
}

/** Keys whose values are strings in the schema (and every value of a `tags` map). */
const STRING_KEYS = new Set(["id", "status", "prefix", "bucket", "storageClass", "account", "owner", "replicaKmsKeyId", "key", "value"]);

/**
 * Replace UNKNOWN below a rule with placeholders, recording the tainted fields. A value of the
 * wrong JSON type (which the provider's own check refuses before policies run) is treated the
 * same way, so that no input can make the shared checks throw.
 */
function scrub(value: unknown, key: string, path: string, taint: (path: string) => void, parentKey = ""): unknown {
    if (value === UNKNOWN) {
        taint(path);
        return placeholder(key, path);
    }
    const wantsString = STRING_KEYS.has(key) || parentKey === "tags";
    if (wantsString && typeof value !== "string" && value !== null) {
        if (typeof value === "number" || typeof value === "boolean") return String(value);
        taint(path);
        return placeholder("", path);
    }
    if (NUMBER_KEYS.has(key) && value !== null && typeof value !== "number" && typeof value !== "string") {
        taint(path);
        return Number.NaN;
    }
    if (Array.isArray(value)) return value.map((v, i) => scrub(v, key, `${path}.${i}`, taint, parentKey));
    if (value !== null && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            // null is how the wire says "not set".
            if (v === undefined || v === null) continue;
            out[k] = scrub(v, k, path ? `${path}.${k}` : k, taint, key);
        }
        return out;
    }
    return value;
}

/** Build the checkable document from rules in the BucketReplicationConfig shape (may contain UNKNOWN). */
export function checkableDoc(bucket: unknown, role: unknown, rules: unknown): CheckableDoc {
    const tainted = new Map<number, Set<RuleField | "*">>();
    let anyUnknown = bucket === UNKNOWN || role === UNKNOWN;
    if (rules === UNKNOWN || (rules !== undefined && !Array.isArray(rules))) {
        return { doc: {}, tainted, anyUnknown: true, rulesUnknown: rules === UNKNOWN, raw: { role, rules: [] } };
    }
    const list = (rules as unknown[] | undefined) ?? [];
    const docRules = list.map((rule, i) => {
        const taint = (path: string) => {
            anyUnknown = true;
            const set = tainted.get(i) ?? new Set<RuleField | "*">();
            for (const f of fieldsFor(path)) set.add(f);
            tainted.set(i, set);
        };
        if (rule === UNKNOWN || rule === null || typeof rule !== "object") {
            if (rule === UNKNOWN) taint("");
            return {};
        }
        return scrub(rule, "", "", taint) as Record<string, unknown>;
    });
    return {
        doc: {
            ...(typeof bucket === "string" ? { bucket } : {}),
            ...(typeof role === "string" ? { role } : {}),
            rules: docRules,
        } as ReplicationConfigDoc,
        tainted,
        anyUnknown,
        rulesUnknown: false,
        raw: { role, rules: list },
    };
}

/** The BucketReplicationConfig resource's props. */
export function docFromReplicationConfig(props: Plain): CheckableDoc {
    return checkableDoc(props.bucket, props.role, props.rules);
}

function mapKnown(v: unknown, f: (x: unknown) => unknown): unknown {
    return v === UNKNOWN ? UNKNOWN : v === undefined ? undefined : f(v);
}

/**
 * The deprecated inline `replicationConfiguration` of aws.s3.Bucket, in the shape the legacy
 * provider sends: with a filter it always sends Priority (default 0) and DeleteMarkerReplication
 * (Disabled unless "Enabled"), so the converted rule says what S3 will receive.
 */
export function docFromInlineBucket(bucketName: unknown, inline: unknown): CheckableDoc | undefined {
    if (inline === undefined || inline === null) return undefined;
    if (inline === UNKNOWN) return checkableDoc(bucketName, UNKNOWN, UNKNOWN);
    const rules = at(inline, "rules");
    if (rules === UNKNOWN || !Array.isArray(rules)) return checkableDoc(bucketName, at(inline, "role"), rules);
    const converted = rules.map((r: unknown) => {
        if (r === UNKNOWN || r === null || typeof r !== "object") return r;
        const rule = r as Plain;
        const out: Plain = {};
        for (const k of ["id", "status", "prefix"]) if (rule[k] !== undefined) out[k] = rule[k];
        const filter = rule.filter;
        if (filter !== undefined && filter !== null) {
            out.filter = mapKnown(filter, f => {
                const prefix = at(f, "prefix");
                const tags = at(f, "tags");
                if (tags === UNKNOWN) return { and: { ...(prefix !== undefined ? { prefix } : {}), tags: UNKNOWN } };
                const entries = tags && typeof tags === "object" ? Object.entries(tags as Plain) : [];
                if (entries.length === 0) return prefix !== undefined ? { prefix } : {};
                if (entries.length === 1 && (prefix === undefined || prefix === "")) return { tag: { key: entries[0][0], value: entries[0][1] } };
                return { and: { ...(prefix !== undefined ? { prefix } : {}), tags } };
            });
            out.priority = rule.priority ?? 0;
            out.deleteMarkerReplication = {
                status: mapKnown(rule.deleteMarkerReplicationStatus, s => (s === "Enabled" ? "Enabled" : "Disabled")) ?? "Disabled",
            };
        } else if (rule.priority !== undefined) {
            out.priority = rule.priority;
        }
        const d = rule.destination;
        out.destination = mapKnown(d, dest => {
            const o: Plain = {};
            const bucket = at(dest, "bucket");
            if (bucket !== undefined) o.bucket = bucket;
            const storageClass = at(dest, "storageClass");
            if (storageClass !== undefined) o.storageClass = storageClass;
            const account = at(dest, "accountId");
            if (account !== undefined) o.account = account;
            const act = at(dest, "accessControlTranslation");
            if (act !== undefined) o.accessControlTranslation = act;
            const key = at(dest, "replicaKmsKeyId");
            if (key !== undefined) o.encryptionConfiguration = { replicaKmsKeyId: key };
            const metrics = at(dest, "metrics");
            if (metrics !== undefined) o.metrics = mapKnown(metrics, m => ({ status: at(m, "status"), eventThreshold: { minutes: at(m, "minutes") } }));
            const rt = at(dest, "replicationTime");
            if (rt !== undefined) o.replicationTime = mapKnown(rt, t => ({ status: at(t, "status"), time: { minutes: at(t, "minutes") } }));
            return o;
        });
        const ssc = rule.sourceSelectionCriteria;
        if (ssc !== undefined) {
            out.sourceSelectionCriteria = mapKnown(ssc, s => {
                const sse = at(s, "sseKmsEncryptedObjects");
                if (sse === undefined) return {};
                return { sseKmsEncryptedObjects: mapKnown(sse, e => ({ status: mapKnown(at(e, "enabled"), en => (en ? "Enabled" : "Disabled")) })) };
            });
        }
        return out;
    });
    return checkableDoc(bucketName, at(inline, "role"), converted);
}

/** checkReplicationConfig, minus the findings that rest on unknown values. */
export function checkDoc(c: CheckableDoc, ctx: ConfigCheckContext): ConfigFinding[] {
    if (c.rulesUnknown) return [];
    const findings = checkReplicationConfig(c.doc, { ...ctx, skipSize: ctx.skipSize || c.anyUnknown });
    return findings.filter(f => {
        if (f.ruleIndex === undefined) return true;
        const t = c.tainted.get(f.ruleIndex);
        if (!t) return true;
        return !t.has(ALL_FIELDS) && !(f.field !== undefined && t.has(f.field));
    });
}

/** `[CODE] message`: the form every finding is reported in, so a violation names its code. */
export function formatFinding(f: ConfigFinding): string {
    return `[${f.code}] ${f.message}`;
}
