/**
 * `plan --diff <base plan JSON>`: what `pulumi up` would do to a stack, from two offline plans,
 * before anyone runs it. Resources are matched by URN (what the engine keeps and deletes by): a URN
 * only in the base is deleted, only in this plan created; with both, the inputs are compared, and a
 * change to a property the provider replaces on (or to the resource's provider) is a replacement.
 *
 * Replace-on properties are the attributes terraform-provider-aws marks ForceNew for each resource
 * this package registers (internal/service/<service>/<resource>.go schemas; e.g. aws_iam_policy's
 * `description`, `name`, `path` — internal/service/iam/policy.go), plus `region`, which in
 * pulumi-aws v7 moves a resource to another Region (a new resource). For this package's own
 * BatchReplicationJob they are the provider's replace keys.
 */
import { BATCH_JOB_REPLACE_KEYS } from "../components/batch-replication-job";

/** One resource of a plan (`plan --json`). */
export interface PlannedResource {
    urn: string;
    type: string;
    name: string;
    account?: string | null;
    region?: string | null;
    inputs: Record<string, unknown>;
    retainOnDelete?: boolean;
    /** URN of the resource's provider, when it has one. */
    provider?: string | null;
    /** False for components: they group resources and have no state of their own in AWS. */
    custom?: boolean;
    /** URN of the resource's parent (the stack's own resources have none). */
    parentUrn?: string | null;
}

export interface PlanDocument {
    stack?: string;
    resources: PlannedResource[];
}

const JOB_TYPES = ["pulumi-nodejs:dynamic/s3-replication:BatchReplicationJob", "pulumi-s3-replication:index:BatchReplicationJob"];

/** Input properties whose change replaces the resource, by type (see the module comment for the sources). */
export const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled", "region"],
    "aws:s3/bucketVersioning:BucketVersioning": ["bucket", "expectedBucketOwner", "region"],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["bucket", "region"],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["bucket", "region"],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ["bucket", "expectedBucketOwner", "region"],
    "aws:s3/bucketPolicy:BucketPolicy": ["bucket", "region"],
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ["bucket", "region"],
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": ["bucket", "expectedBucketOwner", "objectLockEnabled", "region"],
    "aws:s3/bucketNotification:BucketNotification": ["bucket", "region"],
    "aws:iam/role:Role": ["name", "namePrefix", "path"],
    "aws:iam/rolePolicy:RolePolicy": ["role", "name", "namePrefix"],
    "aws:iam/policy:Policy": ["name", "namePrefix", "path", "description"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["role", "policyArn"],
    // A KMS grant cannot be changed, only retired and created again.
    "aws:kms/grant:Grant": ["name", "keyId", "granteePrincipal", "operations", "constraints", "retiringPrincipal", "grantCreationTokens", "region"],
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["name", "region"],
    "aws:cloudwatch/dashboard:Dashboard": ["dashboardName", "region"],
    "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic", "region"],
    "aws:sns/topicPolicy:TopicPolicy": ["arn", "region"],
    ...Object.fromEntries(JOB_TYPES.map(t => [t, BATCH_JOB_REPLACE_KEYS as readonly string[]])),
};

export type ChangeOp = "create" | "update" | "replace" | "delete" | "same";

export interface RuleChanges {
    added: string[];
    removed: string[];
    changed: string[];
}

export interface ResourceChange {
    op: ChangeOp;
    urn: string;
    type: string;
    name: string;
    account?: string | null;
    region?: string | null;
    /** Inputs that differ (update, replace). */
    changed: string[];
    /** The changed inputs that force the replacement (replace), or "provider". */
    replaceOn: string[];
    /** A deleted resource that stays in AWS (retainOnDelete): only the stack forgets it. */
    retained: boolean;
    /** Replication configurations: rules by id. */
    rules?: RuleChanges;
}

/** What the safety summary counts, in the order it prints them. */
export interface SafetySummary {
    bucketsDeleted: number;
    bucketsReplaced: number;
    bucketSettingsDeletedOrReplaced: number;
    rolesDeletedOrReplaced: number;
    policiesDeletedOrReplaced: number;
    replicationConfigurationsDeletedOrReplaced: number;
    rulesAdded: number;
    rulesRemoved: number;
    rulesChanged: number;
    backfillJobsStarted: number;
    create: number;
    update: number;
    replace: number;
    delete: number;
    same: number;
}

export interface PlanDiff {
    summary: SafetySummary;
    /** Changes other than "same", in URN order. */
    changes: ResourceChange[];
    /** True when the diff deletes or replaces a bucket, bucket setting, role, policy or replication configuration. */
    destructive: boolean;
}

const BUCKET = "aws:s3/bucket:Bucket";
const REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig";
const BUCKET_SETTINGS = new Set([
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketNotification:BucketNotification",
]);
const ROLE = "aws:iam/role:Role";
const POLICIES = new Set([
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/grant:Grant",
]);

/** Structural equality of JSON values (key order ignored). */
function same(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => same(x, (b as unknown[])[i]));
    const ka = Object.keys(a as object).filter(k => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b as object).filter(k => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every(k => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Provider inputs that are objects, and policy documents, travel as JSON text: the value they hold (other values as they are). */
export function decoded(v: unknown): unknown {
    if (typeof v !== "string" || !/^[[{]/.test(v)) return v;
    try {
        return JSON.parse(v) as unknown;
    } catch {
        return v;
    }
}

function rulesOf(inputs: Record<string, unknown>): Map<string, unknown> {
    const rules = Array.isArray(inputs.rules) ? (inputs.rules as Array<Record<string, unknown>>) : [];
    return new Map(rules.map((r, i) => [typeof r.id === "string" ? r.id : `#${i + 1}`, r]));
}

function ruleChanges(before: Record<string, unknown>, after: Record<string, unknown>): RuleChanges {
    const a = rulesOf(before);
    const b = rulesOf(after);
    return {
        added: [...b.keys()].filter(k => !a.has(k)).sort(),
        removed: [...a.keys()].filter(k => !b.has(k)).sort(),
        changed: [...b.keys()].filter(k => a.has(k) && !same(a.get(k), b.get(k))).sort(),
    };
}

export function diffPlans(base: PlanDocument, next: PlanDocument): PlanDiff {
    const real = (rs: readonly PlannedResource[]) => rs.filter(r => r.custom !== false);
    const before = new Map(real(base.resources).map(r => [r.urn, r]));
    const after = new Map(real(next.resources).map(r => [r.urn, r]));
    const urns = [...new Set([...before.keys(), ...after.keys()])].sort();
    const changes: ResourceChange[] = [];
    const summary: SafetySummary = {
        bucketsDeleted: 0,
        bucketsReplaced: 0,
        bucketSettingsDeletedOrReplaced: 0,
        rolesDeletedOrReplaced: 0,
        policiesDeletedOrReplaced: 0,
        replicationConfigurationsDeletedOrReplaced: 0,
        rulesAdded: 0,
        rulesRemoved: 0,
        rulesChanged: 0,
        backfillJobsStarted: 0,
        create: 0,
        update: 0,
        replace: 0,
        delete: 0,
        same: 0,
    };
    for (const urn of urns) {
        const b = before.get(urn);
        const a = after.get(urn);
        const r = (a ?? b)!;
        const change: ResourceChange = {
            op: "same",
            urn,
            type: r.type,
            name: r.name,
            account: r.account ?? null,
            region: r.region ?? null,
            changed: [],
            replaceOn: [],
            retained: false,
        };
        if (!b) change.op = "create";
        else if (!a) {
            change.op = "delete";
            change.retained = b.retainOnDelete === true;
        } else {
            const keys = [...new Set([...Object.keys(b.inputs), ...Object.keys(a.inputs)])].sort();
            change.changed = keys.filter(k => !same(decoded(b.inputs[k]), decoded(a.inputs[k])));
            const replaceKeys = REPLACE_ON[r.type] ?? [];
            change.replaceOn = change.changed.filter(k => replaceKeys.includes(k));
            if ((b.provider ?? null) !== (a.provider ?? null)) change.replaceOn.push("provider");
            change.op = change.replaceOn.length > 0 ? "replace" : change.changed.length > 0 ? "update" : "same";
        }
        if (r.type === REPLICATION && change.op !== "same") {
            change.rules = ruleChanges(b?.inputs ?? {}, a?.inputs ?? {});
            summary.rulesAdded += change.rules.added.length;
            summary.rulesRemoved += change.rules.removed.length;
            summary.rulesChanged += change.rules.changed.length;
        }
        summary[change.op]++;
        const destructive = change.op === "delete" || change.op === "replace";
        if (destructive) {
            if (r.type === BUCKET) {
                if (change.op === "delete") summary.bucketsDeleted++;
                else summary.bucketsReplaced++;
            } else if (BUCKET_SETTINGS.has(r.type)) summary.bucketSettingsDeletedOrReplaced++;
            else if (r.type === ROLE) summary.rolesDeletedOrReplaced++;
            else if (POLICIES.has(r.type)) summary.policiesDeletedOrReplaced++;
            else if (r.type === REPLICATION) summary.replicationConfigurationsDeletedOrReplaced++;
        }
        if (JOB_TYPES.includes(r.type) && (change.op === "create" || change.op === "replace")) summary.backfillJobsStarted++;
        if (change.op !== "same") changes.push(change);
    }
    const destructive =
        summary.bucketsDeleted +
            summary.bucketsReplaced +
            summary.bucketSettingsDeletedOrReplaced +
            summary.rolesDeletedOrReplaced +
            summary.policiesDeletedOrReplaced +
            summary.replicationConfigurationsDeletedOrReplaced >
        0;
    return { summary, changes, destructive };
}

const SYMBOL: Record<ChangeOp, string> = { create: "+", update: "~", replace: "-/+", delete: "-", same: " " };

/** The one-line safety summary a reviewer reads first. */
export function safetyLine(s: SafetySummary): string {
    const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
    return [
        `${n(s.bucketsDeleted, "bucket")} deleted`,
        `${n(s.bucketsReplaced, "bucket")} replaced`,
        `${n(s.bucketSettingsDeletedOrReplaced, "bucket setting")} deleted or replaced`,
        `${n(s.rolesDeletedOrReplaced, "role")} deleted or replaced`,
        `${n(s.policiesDeletedOrReplaced, "policy", "policies")} or grants deleted or replaced`,
        `${n(s.replicationConfigurationsDeletedOrReplaced, "replication configuration")} deleted or replaced`,
        `${n(s.rulesAdded, "rule")} added`,
        `${n(s.rulesChanged, "rule")} changed`,
        `${n(s.rulesRemoved, "rule")} removed`,
        `${n(s.backfillJobsStarted, "backfill job")} started`,
    ].join(", ");
}

function shortType(type: string): string {
    const m = /^aws:([a-z0-9]+)\/[A-Za-z0-9]+:([A-Za-z0-9]+)$/.exec(type);
    return m ? `aws.${m[1]}.${m[2]}` : type;
}

/** The diff as text: the safety summary, the counts, then one line per change. */
export function diffText(diff: PlanDiff, what: string): string {
    const s = diff.summary;
    const lines = [
        `Plan diff ${what}`,
        `Safety: ${safetyLine(s)}.`,
        `Changes: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ${s.same} unchanged.`,
    ];
    if (diff.changes.length > 0) lines.push("");
    for (const c of diff.changes) {
        const where = c.account ? `  (${c.account}${c.region ? ` · ${c.region}` : ""})` : "";
        lines.push(`${SYMBOL[c.op].padStart(3)} ${shortType(c.type).padEnd(40)} ${c.name}${where}`);
        if (c.op === "replace") lines.push(`        replaced because ${c.replaceOn.join(", ")} changed`);
        else if (c.op === "update") lines.push(`        changed: ${c.changed.join(", ")}`);
        else if (c.op === "delete" && c.retained) lines.push("        removed from the stack; kept in AWS (retainOnDelete)");
        if (c.rules && (c.rules.added.length || c.rules.removed.length || c.rules.changed.length)) {
            const parts = [...c.rules.added.map(id => `+ ${id}`), ...c.rules.changed.map(id => `~ ${id}`), ...c.rules.removed.map(id => `- ${id}`)];
            lines.push(`        rules: ${parts.join("; ")}`);
        }
    }
    if (diff.destructive)
        lines.push(
            "",
            "This change deletes or replaces buckets, bucket settings, roles, policies or replication configurations (exit 3). Review it; pass --allow-deletes to accept.",
        );
    return lines.join("\n");
}

/** A resource's URN without its stack: the same resource in two stacks of one project. */
function stackless(urn: string): string {
    return urn.replace(/^urn:pulumi:[^:]*::/, "");
}

/** Resources that move into this stack from another, and the command that moves their state. */
export interface StateMove {
    from: string;
    to: string;
    /** Top-level URNs in the source stack (`pulumi state move` carries their children along). */
    urns: string[];
    command: string;
}

/**
 * Resources this plan declares that another stack's base plan holds (a changed shard setting
 * moves ownership): without `pulumi state move` first, the other stack deletes them and this
 * one creates them again. Components count too, so that moving a component carries its children.
 */
/** Every stack has its own: never moved (a new stack creates them, an old one keeps them). */
const PER_STACK =
    /^(pulumi:providers:|pulumi:pulumi:Stack$|pulumi-s3-replication:index:(ReplicationFleet|AccountProviders|ReplicationMonitoring)$|aws:sns\/topicPolicy:TopicPolicy$)/;

/** The name the resource has in AWS, where its inputs give one. */
function awsName(r: PlannedResource): unknown {
    return r.inputs.name ?? r.inputs.dashboardName ?? r.inputs.bucket ?? null;
}

export function stateMoves(base: PlanDocument, next: PlanDocument, others: readonly PlanDocument[]): StateMove[] {
    const here = new Set(base.resources.map(r => stackless(r.urn)));
    const to = next.stack ?? "(this stack)";
    const byStack = new Map<string, string[]>();
    const moved = new Set<string>();
    for (const other of others) {
        const there = new Map(other.resources.map(r => [stackless(r.urn), r]));
        for (const r of next.resources) {
            const key = stackless(r.urn);
            const source = there.get(key);
            if (here.has(key) || !source || other.stack === next.stack || PER_STACK.test(r.type)) continue;
            // The same logical name for another AWS object (a shard's own topic, dashboard or fleet alarm).
            if (awsName(source) !== awsName(r)) continue;
            moved.add(key);
            const list = byStack.get(other.stack ?? "(another stack)") ?? [];
            list.push(source.urn);
            byStack.set(other.stack ?? "(another stack)", list);
        }
    }
    const moves: StateMove[] = [];
    for (const [from, urns] of [...byStack].sort(([a], [b]) => a.localeCompare(b))) {
        const all = new Map(urns.map(u => [stackless(u), u]));
        const parentOf = new Map(next.resources.map(r => [stackless(r.urn), r.parentUrn ? stackless(r.parentUrn) : undefined]));
        // Only the topmost: a resource whose parent moves too goes along with it. A topmost one is
        // re-parented to the stack's root by the move, which the fleet's children answer to (alias).
        const top = [...all.entries()]
            .filter(([k]) => {
                const p = parentOf.get(k);
                return !p || !all.has(p);
            })
            .map(([, u]) => u)
            .sort();
        moves.push({ from, to, urns: top, command: `pulumi state move --source ${from} --dest ${to} ${top.map(u => `'${u}'`).join(" ")}` });
    }
    return moves;
}
