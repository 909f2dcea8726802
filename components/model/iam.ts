/**
 * The replication role's documents: trust, and permissions scoped to exact bucket ARNs and
 * actions, packed into as few policies and roles as IAM's quotas allow. Sizes are measured on
 * the rendered JSON, never estimated.
 */
import { bucketArn, roleArn as makeRoleArn } from "./aws-facts";
import { PolicyDocument, PolicyStatement, policyChars, policyDocument } from "./policy-document";

export const SOURCE_BUCKET_ACTIONS = ["s3:GetReplicationConfiguration", "s3:ListBucket"] as const;
export const SOURCE_OBJECT_ACTIONS = ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"] as const;
export const OBJECT_LOCK_ACTIONS = ["s3:GetObjectLegalHold", "s3:GetObjectRetention"] as const;
export const DESTINATION_OBJECT_ACTIONS = ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"] as const;
export const OWNER_OVERRIDE_ACTIONS = ["s3:ObjectOwnerOverrideToBucketOwner"] as const;
export const BATCH_SOURCE_OBJECT_ACTIONS = ["s3:InitiateReplication"] as const;
/** With a generated manifest; s3:GetReplicationConfiguration is already granted on every source. */
export const BATCH_SOURCE_BUCKET_ACTIONS = ["s3:PutInventoryConfiguration"] as const;
export const BATCH_REPORT_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"] as const;

/** The trust policy: S3 and S3 Batch Operations, only on behalf of the source account. */
export function replicationTrustPolicy(account: string): PolicyDocument {
    return policyDocument([{
        Sid: "S3ReplicationAndBatchOperations",
        Effect: "Allow",
        Principal: { Service: ["batchoperations.s3.amazonaws.com", "s3.amazonaws.com"] },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": account } },
    }]);
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
        /** Replica key (kms:Encrypt via S3 in the destination Region). */
        replicaKmsKey?: string;
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
}

export const DEFAULT_IAM_QUOTAS: IamQuotas = {
    inlineCharsPerRole: 10240,
    managedPolicyChars: 6144,
    managedPoliciesPerRole: 10,
    rolesPerAccount: 1000,
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
        unit(["kms:Decrypt"], key, kmsCondition(g.region, [src, `${src}/*`]));
    }
    const dests = [...g.destinations].sort((a, b) => a.bucket.localeCompare(b.bucket));
    for (const d of dests) {
        const dst = bucketArn(d.bucket, d.region);
        unit(DESTINATION_OBJECT_ACTIONS, `${dst}/*`);
        if (d.ownerOverride) unit(OWNER_OVERRIDE_ACTIONS, `${dst}/*`);
        if (d.replicaKmsKey) unit(["kms:Encrypt"], d.replicaKmsKey, kmsCondition(d.region, [dst, `${dst}/*`]));
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
    /** Role name for an account's n-th shard (n from 0). */
    roleName?: (account: string, shard: number, key: string) => string;
    /** How roles are keyed: one set per source account (default), per source bucket, or per route. */
    granularity?: "account" | "bucket";
}

export const ROLE_PATH = "/s3-replication/";

export function defaultRoleName(account: string, shard: number, key: string): string {
    const base = key === account ? `s3-replication-${account}` : `s3-replication-${key}`;
    const name = shard === 0 ? base : `${base}-${shard + 1}`;
    return name.length <= 64 ? name : `${name.slice(0, 55)}-${shortHash(name)}`;
}

export function shortHash(s: string): string {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
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
    const nameOf = options.roleName ?? defaultRoleName;
    const sorted = [...grants].sort((a, b) => a.bucket.localeCompare(b.bucket));
    const groups: Array<{ key: string; grants: SourceGrant[] }> = options.granularity === "bucket"
        ? sorted.map(g => ({ key: g.bucket, grants: [g] }))
        : [{ key: account, grants: sorted }];

    const roles: RolePlan[] = [];
    for (const group of groups) {
        let shard = 0;
        let current: { sources: string[]; units: GrantUnit[] } = { sources: [], units: [] };
        const flush = () => {
            if (current.sources.length === 0) return;
            const name = nameOf(account, shard, group.key);
            roles.push(renderRole(account, region, name, current.sources, current.units, q));
            shard++;
            current = { sources: [], units: [] };
        };
        let fit = RoleFit.start(q);
        for (const g of group.grants) {
            const units = unitsFor(g);
            let next = fit.with(units);
            if (!next) {
                flush();
                fit = RoleFit.start(q);
                next = fit.with(units);
                if (!next) {
                    throw new IamQuotaError(`the permissions of source bucket ${g.bucket} alone (${g.destinations.length} destinations) do not fit in one role under the IAM quotas (${q.managedPoliciesPerRole} managed policies of ${q.managedPolicyChars} characters); raise the quotas in stack config or split its routes.`, g.bucket);
                }
            }
            fit = next;
            current.sources.push(g.bucket);
            current.units.push(...units);
        }
        flush();
    }
    const perAccount = roles.length;
    if (perAccount > q.rolesPerAccount) {
        throw new IamQuotaError(`account ${account} would need ${perAccount} replication roles, over the quota of ${q.rolesPerAccount}.`, account);
    }
    return roles;
}

export class IamQuotaError extends Error {
    constructor(message: string, readonly subject: string) { super(message); }
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

    get empty(): boolean { return this.resources.size === 0; }

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
                    if (chunk.chars + chunk.growth(u) > this.q.managedPolicyChars) { chunk = undefined; break; }
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
        const growth = resources?.has(u.resource) ? 0
            : resources ? JSON.stringify(u.resource).length + 1
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

function renderRole(account: string, region: string, name: string, sources: string[], units: GrantUnit[], q: IamQuotas): RolePlan {
    const whole = policyDocument(statementsFromUnits(units));
    const base = {
        account, name, arn: makeRoleArn(account, name, region, ROLE_PATH), sources: [...sources],
        trustPolicy: replicationTrustPolicy(account),
    };
    if (policyChars(whole) <= q.inlineCharsPerRole) return { ...base, inlinePolicy: whole, managedPolicies: [] };
    const managed = packManaged(units, q);
    // RoleFit and packManaged agree by construction; never hand back a role without permissions.
    if (!managed) throw new IamQuotaError(`the permissions of role ${name} do not fit the IAM quotas once rendered; raise the quotas in stack config.`, sources[0] ?? account);
    return { ...base, managedPolicies: managed };
}

