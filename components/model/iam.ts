/**
 * The replication role's documents: trust, and permissions scoped to exact bucket ARNs and
 * actions, packed into as few policies and roles as IAM's quotas allow. Sizes are measured on
 * the rendered JSON, never estimated.
 *
 * Where each document's shape comes from (Amazon S3 User Guide):
 * - "Setting up permissions for live replication"
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
 * - "Replicating encrypted objects (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C)", incl. "S3 Bucket Keys and replication"
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
 * - "Configuring an IAM role for S3 Batch Replication"
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-batch-replication-policies.html
 * - "Granting permissions for Batch Operations" (the Batch Operations trust policy)
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html
 */
import { bucketArn, partitionOf, roleArn as makeRoleArn } from "./aws-facts";
import { PolicyDocument, PolicyStatement, policyChars, policyDocument } from "./policy-document";

/** "Setting up permissions for live replication": s3:ListBucket is needed to read delete markers. */
export const SOURCE_BUCKET_ACTIONS = ["s3:GetReplicationConfiguration", "s3:ListBucket"] as const;
export const SOURCE_OBJECT_ACTIONS = ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"] as const;
export const OBJECT_LOCK_ACTIONS = ["s3:GetObjectLegalHold", "s3:GetObjectRetention"] as const;
export const DESTINATION_OBJECT_ACTIONS = ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"] as const;
export const OWNER_OVERRIDE_ACTIONS = ["s3:ObjectOwnerOverrideToBucketOwner"] as const;
/** "Configuring an IAM role for S3 Batch Replication", policy for an S3-generated manifest. */
export const BATCH_SOURCE_OBJECT_ACTIONS = ["s3:InitiateReplication"] as const;
/** With a generated manifest; s3:GetReplicationConfiguration is already granted on every source. */
export const BATCH_SOURCE_BUCKET_ACTIONS = ["s3:PutInventoryConfiguration"] as const;
/** The manifest and the completion report share the report bucket: read the manifest, write both. */
export const BATCH_REPORT_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"] as const;
/** The key that encrypts source objects: decrypt them to replicate. */
export const SOURCE_KEY_ACTIONS = ["kms:Decrypt"] as const;
/**
 * The replica key: kms:Encrypt for SSE-KMS replicas; kms:GenerateDataKey for plaintext objects
 * replicated into an SSE-KMS destination (and for the S3 Bucket Key S3 makes with it); kms:Decrypt
 * because "to use replication with an S3 Bucket Key, the AWS KMS key policy for the KMS key that's
 * used to encrypt the object replica must include the kms:Decrypt permission for the calling
 * principal" (S3 User Guide, "S3 Bucket Keys and replication"). This package always turns Bucket
 * Keys on for SSE-KMS buckets.
 */
export const REPLICA_KEY_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] as const;

export const S3_SERVICE_PRINCIPAL = "s3.amazonaws.com";
export const BATCH_OPERATIONS_SERVICE_PRINCIPAL = "batchoperations.s3.amazonaws.com";

/**
 * Conditions added to the trust policy on request. AWS documents both trust policies WITHOUT
 * conditions, and no AWS page confirms that S3 replication or S3 Batch Operations send
 * aws:SourceAccount / aws:SourceArn when they assume the role: if a service does not, every
 * replication (or backfill) of the role fails with AssumeRoleNotPermitted. Turn these on only
 * after checking them in a test account.
 */
export interface TrustConditions {
    /** `StringEquals aws:SourceAccount` = the role's account, on both statements. */
    sourceAccount?: boolean;
    /**
     * `ArnLike aws:SourceArn`: the role's source buckets (replication) and the account's
     * Batch Operations jobs in the sources' Regions. The trust policy then grows with the role's
     * sources and is packed inside `trustPolicyChars`.
     */
    sourceArn?: boolean;
}

/** What the trust policy of one role must admit. */
export interface TrustOptions {
    /** The role also runs Batch Replication jobs (default true). */
    batchOperations?: boolean;
    conditions?: TrustConditions;
    /** Partition of the role's Region (default "aws"): ARNs in conditions name it. */
    partition?: string;
    /** The role's source buckets (for aws:SourceArn). */
    sourceBuckets?: readonly string[];
    /** Regions of the sources that run Batch Replication jobs (for aws:SourceArn). */
    batchRegions?: readonly string[];
}

/**
 * The trust policy, as the S3 User Guide documents it: "Setting up permissions for live
 * replication", step 2 (s3.amazonaws.com; with Batch Replication, s3.amazonaws.com and
 * batchoperations.s3.amazonaws.com), and "Granting permissions for Batch Operations"
 * (batchoperations.s3.amazonaws.com): Allow, the service principal, sts:AssumeRole, no condition.
 * One statement per service (the same grant as AWS's two-service statement), so each can carry its
 * own aws:SourceArn when `options.conditions` asks for conditions; Batch Operations only for a role
 * that runs backfill jobs.
 */
export function replicationTrustPolicy(account: string, options: TrustOptions = {}): PolicyDocument {
    const partition = options.partition ?? "aws";
    const c = options.conditions ?? {};
    const condition = (arns: string[]): PolicyStatement["Condition"] | undefined => {
        const out: NonNullable<PolicyStatement["Condition"]> = {};
        if (c.sourceAccount) out.StringEquals = { "aws:SourceAccount": account };
        if (c.sourceArn && arns.length > 0) out.ArnLike = { "aws:SourceArn": arns };
        return Object.keys(out).length > 0 ? out : undefined;
    };
    const statement = (sid: string, service: string, arns: string[]): PolicyStatement => {
        const s: PolicyStatement = { Sid: sid, Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" };
        const cond = condition(arns);
        if (cond) s.Condition = cond;
        return s;
    };
    const buckets = [...new Set(options.sourceBuckets ?? [])].sort().map(b => `arn:${partition}:s3:::${b}`);
    const jobs = [...new Set(options.batchRegions ?? [])].sort().map(r => `arn:${partition}:s3:${r}:${account}:job/*`);
    const statements = [statement("S3Replication", S3_SERVICE_PRINCIPAL, buckets)];
    if (options.batchOperations ?? true) statements.push(statement("S3BatchOperations", BATCH_OPERATIONS_SERVICE_PRINCIPAL, jobs));
    return policyDocument(statements);
}

/** What one role must be able to do for one source bucket. */
export interface SourceGrant {
    bucket: string;
    region: string;
    objectLock: boolean;
    /** Keys that encrypt source objects (kms:Decrypt via S3 in the source Region). */
    sourceKmsKeys: string[];
    destinations: Array<{
        bucket: string;
        region: string;
        ownerOverride: boolean;
        /** Replica key (kms:Decrypt, kms:Encrypt, kms:GenerateDataKey via S3 in the destination Region). */
        replicaKmsKey?: string;
        /**
         * The destination's default-encryption key when it is another key than the replica key:
         * objects that replicate unencrypted (SSE-S3, and what backfill jobs copy) are encrypted
         * with it on the role's behalf, so the role needs the replica-key actions on it too.
         */
        defaultKmsKey?: string;
    }>;
    /** Batch Replication: the report/manifest bucket, when a backfill job uses this role. */
    batchReportBucket?: { bucket: string; region: string };
}

/** IAM's quotas; every number can be raised by AWS on request, so all are configurable. */
export interface IamQuotas {
    /** All inline policies of one role together (characters, whitespace not counted). */
    inlineCharsPerRole: number;
    /** One customer managed policy document. */
    managedPolicyChars: number;
    /** Managed policies attached to one role. */
    managedPoliciesPerRole: number;
    /** Roles per account. */
    rolesPerAccount: number;
    /** The role trust policy (2,048 by default, 4,096 at most); it grows only with `trustConditions.sourceArn`. */
    trustPolicyChars: number;
}

export const DEFAULT_IAM_QUOTAS: IamQuotas = {
    inlineCharsPerRole: 10240,
    managedPolicyChars: 6144,
    managedPoliciesPerRole: 10,
    rolesPerAccount: 1000,
    trustPolicyChars: 2048,
};

/** A permission at its smallest: actions (+ condition) on one resource. */
interface GrantUnit {
    /** Statement key: actions + condition, so units sharing it merge into one statement. */
    key: string;
    actions: readonly string[];
    condition?: PolicyStatement["Condition"];
    resource: string;
}

function kmsCondition(region: string, arns: string[]): PolicyStatement["Condition"] {
    return {
        StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": arns },
    };
}

/** The grant units one source bucket needs, in a stable order. */
function unitsFor(g: SourceGrant): GrantUnit[] {
    const units: GrantUnit[] = [];
    const unit = (actions: readonly string[], resource: string, condition?: PolicyStatement["Condition"]) =>
        units.push({ key: actions.join(",") + (condition ? JSON.stringify(condition) : ""), actions, resource, condition });
    const src = bucketArn(g.bucket, g.region);
    unit(SOURCE_BUCKET_ACTIONS, src);
    unit(SOURCE_OBJECT_ACTIONS, `${src}/*`);
    if (g.objectLock) unit(OBJECT_LOCK_ACTIONS, `${src}/*`);
    for (const key of [...new Set(g.sourceKmsKeys)].sort()) {
        // With a bucket key the encryption context is the bucket ARN, without it the object ARN.
        unit(SOURCE_KEY_ACTIONS, key, kmsCondition(g.region, [src, `${src}/*`]));
    }
    const dests = [...g.destinations].sort((a, b) => a.bucket.localeCompare(b.bucket));
    for (const d of dests) {
        const dst = bucketArn(d.bucket, d.region);
        unit(DESTINATION_OBJECT_ACTIONS, `${dst}/*`);
        if (d.ownerOverride) unit(OWNER_OVERRIDE_ACTIONS, `${dst}/*`);
        if (d.replicaKmsKey) unit(REPLICA_KEY_ACTIONS, d.replicaKmsKey, kmsCondition(d.region, [dst, `${dst}/*`]));
        if (d.defaultKmsKey && d.defaultKmsKey !== d.replicaKmsKey) unit(REPLICA_KEY_ACTIONS, d.defaultKmsKey, kmsCondition(d.region, [dst, `${dst}/*`]));
    }
    if (g.batchReportBucket) {
        unit(BATCH_SOURCE_OBJECT_ACTIONS, `${src}/*`);
        unit(BATCH_SOURCE_BUCKET_ACTIONS, src);
        const report = bucketArn(g.batchReportBucket.bucket, g.batchReportBucket.region);
        unit(BATCH_REPORT_OBJECT_ACTIONS, `${report}/*`);
    }
    return units;
}

/** Merge units into statements: one per (actions, condition), resources sorted and unique. */
export function statementsFromUnits(units: readonly GrantUnit[]): PolicyStatement[] {
    const byKey = new Map<string, { u: GrantUnit; resources: Set<string> }>();
    for (const u of units) {
        const entry = byKey.get(u.key) ?? { u, resources: new Set<string>() };
        entry.resources.add(u.resource);
        byKey.set(u.key, entry);
    }
    return [...byKey.values()].map(({ u, resources }) => {
        const s: PolicyStatement = { Effect: "Allow", Action: [...u.actions], Resource: [...resources].sort() };
        if (u.condition) s.Condition = u.condition;
        return s;
    });
}

/** One role of the plan, with the documents it carries. */
export interface RolePlan {
    account: string;
    /** Role name (unique per account). */
    name: string;
    arn: string;
    /** Source buckets whose replication configurations name this role. */
    sources: string[];
    trustPolicy: PolicyDocument;
    /** One inline policy when everything fits; otherwise empty and `managedPolicies` is used. */
    inlinePolicy?: PolicyDocument;
    managedPolicies: PolicyDocument[];
}

export interface RolePlanOptions {
    quotas?: Partial<IamQuotas>;
    /** Role name for an account's role slot `slot` (from 0) of `slots`, and the group's key. */
    roleName?: (account: string, slot: number, key: string, slots: number) => string;
    /**
     * How many roles an account's sources are spread over (default 16): a source's role is the
     * slot its bucket name hashes to, so adding or removing a source never moves another one.
     */
    slots?: number;
    /** Part of every role name (the shard's tag), so that two stacks never declare one role. */
    group?: string;
    /** How roles are keyed: one set per source account (default), per source bucket, or per route. */
    granularity?: "account" | "bucket";
    /** Opt-in trust policy conditions (default none, as AWS documents the trust policies). */
    trustConditions?: TrustConditions;
}

export const ROLE_PATH = "/s3-replication/";

/** Role slots per account unless stack config says otherwise (`iam.roleSlots`). */
export const DEFAULT_ROLE_SLOTS = 16;

/**
 * `s3-replication-<account>[-<group>]-<slot>`, or `s3-replication-<account>[-<group>]` with one
 * slot; `s3-replication-<bucket>` per source bucket. At most 64 characters.
 */
export function defaultRoleName(account: string, slot: number, key: string, slots = 1, group?: string): string {
    const base = key === account ? `s3-replication-${account}` : `s3-replication-${key}`;
    const name = [base, ...(group ? [group] : []), ...(slots > 1 ? [String(slot).padStart(String(slots - 1).length, "0")] : [])].join("-");
    return name.length <= 64 ? name : `${name.slice(0, 55)}-${shortHash(name)}`;
}

/** The role slot of a source bucket: a hash of its name, never its position among the others. */
export function roleSlotOf(bucket: string, slots: number): number {
    return parseInt(shortHash(bucket), 16) % slots;
}

/** The name of the role a fleet gives a source bucket (account granularity). */
export function roleNameForSource(account: string, bucket: string, options: { slots?: number; group?: string } = {}): string {
    const slots = options.slots ?? DEFAULT_ROLE_SLOTS;
    return defaultRoleName(account, roleSlotOf(bucket, slots), account, slots, options.group);
}

export function shortHash(s: string): string {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) {
        h ^= s.charCodeAt(i);
        h = Math.imul(h, 16777619);
    }
    return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * Pack the grants of one account's sources into roles and policies inside the quotas.
 * Sources are taken in name order so that a reordered manifest packs identically; a source's
 * grants never straddle two roles (its replication configuration names exactly one role).
 * Throws when one source alone cannot fit in an empty role.
 */
export function planRoles(account: string, region: string, grants: readonly SourceGrant[], options: RolePlanOptions = {}): RolePlan[] {
    const q: IamQuotas = { ...DEFAULT_IAM_QUOTAS, ...options.quotas };
    const slots = Math.max(1, Math.floor(options.slots ?? DEFAULT_ROLE_SLOTS));
    const nameOf = options.roleName ?? ((a: string, slot: number, key: string, n: number) => defaultRoleName(a, slot, key, n, options.group));
    const sorted = [...grants].sort((a, b) => a.bucket.localeCompare(b.bucket));
    // A source's role is a function of the source alone: its own role, or the slot its name
    // hashes to. Nothing spills from a full role into the next, so nothing ever moves.
    const groups: Array<{ key: string; slot: number; slots: number; grants: SourceGrant[] }> = [];
    if (options.granularity === "bucket") {
        for (const g of sorted) groups.push({ key: g.bucket, slot: 0, slots: 1, grants: [g] });
    } else {
        const bySlot = new Map<number, SourceGrant[]>();
        for (const g of sorted) {
            const slot = roleSlotOf(g.bucket, slots);
            bySlot.set(slot, [...(bySlot.get(slot) ?? []), g]);
        }
        for (const [slot, gs] of [...bySlot].sort(([a], [b]) => a - b)) groups.push({ key: account, slot, slots, grants: gs });
    }

    const roles: RolePlan[] = [];
    const trustOf = (gs: readonly SourceGrant[]) => trustFor(account, region, gs, options.trustConditions);
    // Without aws:SourceArn the trust policy has a fixed size; with it, it grows with each source.
    const trustGrows = options.trustConditions?.sourceArn === true;
    for (const group of groups) {
        const name = nameOf(account, group.slot, group.key, group.slots);
        const units: GrantUnit[] = [];
        let fit: RoleFit | undefined = RoleFit.start(q);
        for (const g of group.grants) {
            const mine = unitsFor(g);
            fit = fit.with(mine);
            if (!fit) {
                const alone = RoleFit.start(q).with(mine) !== undefined;
                throw new IamQuotaError(
                    alone
                        ? `role ${name} would hold the permissions of ${group.grants.length} source buckets, more than one role fits under the IAM quotas (${q.managedPoliciesPerRole} managed policies of ${q.managedPolicyChars} characters); raise iam.roleSlots (now ${slots}) in stack config to spread them over more roles (plan --diff shows which sources move), or raise the quotas.`
                        : `the permissions of source bucket ${g.bucket} alone (${g.destinations.length} destinations) do not fit in one role under the IAM quotas (${q.managedPoliciesPerRole} managed policies of ${q.managedPolicyChars} characters); raise the quotas in stack config or split its routes.`,
                    g.bucket,
                );
            }
            units.push(...mine);
        }
        if (trustGrows && policyChars(trustOf(group.grants)) > q.trustPolicyChars) {
            throw new IamQuotaError(
                `the trust policy of role ${name} (aws:SourceArn for ${group.grants.length} sources) is over the ${q.trustPolicyChars}-character quota; raise iam.roleSlots or drop the sourceArn trust condition.`,
                group.grants[0].bucket,
            );
        }
        roles.push(renderRole(account, region, name, group.grants, units, q, trustOf(group.grants)));
    }
    if (roles.length > q.rolesPerAccount) {
        throw new IamQuotaError(`account ${account} would need ${roles.length} replication roles, over the quota of ${q.rolesPerAccount}.`, account);
    }
    return roles;
}

export class IamQuotaError extends Error {
    constructor(
        message: string,
        readonly subject: string,
    ) {
        super(message);
    }
}

/**
 * The exact character count of `policyDocument(statementsFromUnits(units))`, kept as units are
 * added, without rendering: a statement is its JSON with an empty Resource list plus each
 * resource's JSON and a comma between resources; the document adds commas between statements.
 * Used to decide where roles and managed policies split; the chosen documents are rendered and
 * measured again on their JSON before they are returned.
 */
class PolicySize {
    private static readonly EMPTY = policyChars(policyDocument([]));
    private static readonly baseOfKey = new Map<string, number>();
    private readonly resources = new Map<string, Set<string>>();
    chars = PolicySize.EMPTY;

    get empty(): boolean {
        return this.resources.size === 0;
    }

    /** Characters the document grows by when `u` is added. */
    growth(u: GrantUnit): number {
        const seen = this.resources.get(u.key);
        if (seen) return seen.has(u.resource) ? 0 : JSON.stringify(u.resource).length + 1;
        let base = PolicySize.baseOfKey.get(u.key);
        if (base === undefined) {
            const statement: PolicyStatement = { Effect: "Allow", Action: [...u.actions], Resource: [] };
            if (u.condition) statement.Condition = u.condition;
            base = JSON.stringify(statement).length;
            PolicySize.baseOfKey.set(u.key, base);
        }
        return base + JSON.stringify(u.resource).length + (this.resources.size > 0 ? 1 : 0);
    }

    add(u: GrantUnit): void {
        this.chars += this.growth(u);
        const seen = this.resources.get(u.key);
        if (seen) seen.add(u.resource);
        else this.resources.set(u.key, new Set([u.resource]));
    }

    clone(): PolicySize {
        const c = new PolicySize();
        c.chars = this.chars;
        for (const [k, v] of this.resources) c.resources.set(k, new Set(v));
        return c;
    }
}

/**
 * Whether a role's units still fit: inline (one document within `inlineCharsPerRole`), or packed
 * greedily, in order, into managed policies exactly as `packManaged` packs them. Both states stay
 * small (an inline document is dropped once over its limit; a managed chunk is at most one
 * policy), so trying a source costs its own units, not the whole role's.
 */
class RoleFit {
    private constructor(
        private readonly q: IamQuotas,
        private readonly inline: PolicySize | undefined,
        private readonly closedPolicies: number,
        private readonly chunk: PolicySize | undefined,
    ) {}

    static start(q: IamQuotas): RoleFit {
        return new RoleFit(q, new PolicySize(), 0, new PolicySize());
    }

    /** The state after adding `units`, or undefined when they do not fit. */
    with(units: readonly GrantUnit[]): RoleFit | undefined {
        let inline = this.inline?.clone();
        if (inline) {
            for (const u of units) inline.add(u);
            if (inline.chars > this.q.inlineCharsPerRole) inline = undefined;
        }
        let closed = this.closedPolicies;
        let chunk = this.chunk?.clone();
        if (chunk) {
            for (const u of units) {
                if (chunk.chars + chunk.growth(u) > this.q.managedPolicyChars) {
                    if (!chunk.empty) {
                        closed++;
                        chunk = closed >= this.q.managedPoliciesPerRole ? undefined : new PolicySize();
                        if (!chunk) break;
                    }
                    // One unit larger than a whole policy never fits.
                    if (chunk.chars + chunk.growth(u) > this.q.managedPolicyChars) {
                        chunk = undefined;
                        break;
                    }
                }
                chunk.add(u);
            }
        }
        if (!inline && !chunk) return undefined;
        return new RoleFit(this.q, inline, closed, chunk);
    }
}

/** Split units into managed policy documents of at most `managedPolicyChars`; undefined if more than allowed. */
function packManaged(units: readonly GrantUnit[], q: IamQuotas): PolicyDocument[] | undefined {
    const docs: PolicyDocument[] = [];
    let chunk: GrantUnit[] = [];
    // Add units one by one; measure the rendered document each time a unit would grow it.
    // Sizes grow monotonically, so a running size with a final re-measure is exact.
    let size = policyChars(policyDocument([]));
    const seen = new Map<string, Set<string>>();
    for (const u of units) {
        const resources = seen.get(u.key);
        const growth = resources?.has(u.resource)
            ? 0
            : resources
              ? JSON.stringify(u.resource).length + 1
              : policyChars(policyDocument(statementsFromUnits([u]))) - policyChars(policyDocument([])) + (chunk.length ? 1 : 0);
        if (size + growth > q.managedPolicyChars && chunk.length > 0) {
            docs.push(policyDocument(statementsFromUnits(chunk)));
            if (docs.length >= q.managedPoliciesPerRole) return undefined;
            chunk = [];
            seen.clear();
            size = policyChars(policyDocument([]));
            const fresh = policyChars(policyDocument(statementsFromUnits([u]))) - size;
            if (size + fresh > q.managedPolicyChars) return undefined;
            size += fresh;
        } else {
            size += growth;
        }
        chunk.push(u);
        if (!seen.has(u.key)) seen.set(u.key, new Set());
        seen.get(u.key)!.add(u.resource);
    }
    if (chunk.length > 0) docs.push(policyDocument(statementsFromUnits(chunk)));
    if (docs.length > q.managedPoliciesPerRole) return undefined;
    // The running size is exact by construction, but verify on the rendered JSON.
    if (docs.some(d => policyChars(d) > q.managedPolicyChars)) return undefined;
    return docs;
}

/** The trust policy of a role serving these sources: Batch Operations only when one of them runs backfill jobs. */
function trustFor(account: string, region: string, grants: readonly SourceGrant[], conditions: TrustConditions | undefined): PolicyDocument {
    const batchRegions = grants.filter(g => g.batchReportBucket).map(g => g.region);
    return replicationTrustPolicy(account, {
        partition: partitionOf(region),
        batchOperations: batchRegions.length > 0,
        sourceBuckets: grants.map(g => g.bucket),
        batchRegions,
        ...(conditions ? { conditions } : {}),
    });
}

function renderRole(
    account: string,
    region: string,
    name: string,
    grants: readonly SourceGrant[],
    units: GrantUnit[],
    q: IamQuotas,
    trustPolicy: PolicyDocument,
): RolePlan {
    const sources = grants.map(g => g.bucket);
    const whole = policyDocument(statementsFromUnits(units));
    const base = {
        account,
        name,
        arn: makeRoleArn(account, name, region, ROLE_PATH),
        sources,
        trustPolicy,
    };
    if (policyChars(whole) <= q.inlineCharsPerRole) return { ...base, inlinePolicy: whole, managedPolicies: [] };
    const managed = packManaged(units, q);
    // RoleFit and packManaged agree by construction; never hand back a role without permissions.
    if (!managed)
        throw new IamQuotaError(
            `the permissions of role ${name} do not fit the IAM quotas once rendered; raise the quotas in stack config.`,
            sources[0] ?? account,
        );
    return { ...base, managedPolicies: managed };
}
