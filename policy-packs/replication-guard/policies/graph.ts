/**
 * The stack as buckets, their settings, replication routes and roles, for the stack-level
 * policies. Works for any program, during preview too: resources are joined by the bucket
 * name or ARN they carry when it is known, else by property dependencies (`bucket` depends on
 * the aws.s3.Bucket whose output it is), else by a single aws.s3.Bucket sibling under the same
 * component parent. Ids are never used (they are unknown until a resource is created).
 */
import { PolicyResource } from "@pulumi/policy";
import { accountOfArn, bucketNameOfArn, trustsReplicationService } from "../../../components/model/policy-checks";
import { TypeGroup, UNKNOWN, at, isOfGroup, peelProps, providerAccount, regionOf, Plain } from "./common";
import { CheckableDoc, docFromInlineBucket, docFromReplicationConfig } from "./replication-doc";

export type SettingKind = "versioning" | "encryption" | "publicAccessBlock" | "ownership" | "bucketPolicy" | "objectLock" | "acl";

const SETTING_GROUPS: Array<[SettingKind, TypeGroup]> = [
    ["versioning", "versioning"],
    ["encryption", "encryption"],
    ["publicAccessBlock", "publicAccessBlock"],
    ["ownership", "ownership"],
    ["bucketPolicy", "bucketPolicy"],
    ["objectLock", "objectLock"],
    ["acl", "acl"],
];

export interface BucketNode {
    /** The bucket's name, or `urn:<urn>` of its aws.s3.Bucket while the name is unknown. */
    key: string;
    name?: string;
    /** The aws.s3.Bucket the program declares, if it does (absent for adopted or external buckets). */
    resource?: PolicyResource;
    settings: Record<SettingKind, PolicyResource[]>;
}

export interface RouteNode {
    /** Indexes into the configuration's rules. */
    ruleIndexes: number[];
    destinationKey?: string;
}

export interface ReplicationNode {
    resource: PolicyResource;
    /** The deprecated inline configuration of an aws.s3.Bucket. */
    inline: boolean;
    sourceKey?: string;
    doc: CheckableDoc;
    routes: RouteNode[];
}

const STACK_TYPE = "pulumi:pulumi:Stack";

export class StackGraph {
    readonly buckets = new Map<string, BucketNode>();
    readonly replications: ReplicationNode[] = [];
    private readonly plain = new Map<PolicyResource, Plain>();

    constructor(readonly resources: readonly PolicyResource[]) {
        for (const r of resources) if (isOfGroup(r.type, "bucket")) this.node(this.bucketKeyOf(r)).resource = r;
        for (const r of resources) {
            for (const [kind, group] of SETTING_GROUPS) {
                if (!isOfGroup(r.type, group)) continue;
                const key = this.resolveBucketRef(r, "bucket");
                if (key !== undefined) this.node(key).settings[kind].push(r);
            }
        }
        for (const r of resources) {
            if (isOfGroup(r.type, "replication")) {
                this.addReplication(r, false, this.resolveBucketRef(r, "bucket"), docFromReplicationConfig(this.props(r)), "rules");
            } else if (isOfGroup(r.type, "bucket")) {
                const doc = docFromInlineBucket(this.props(r).bucket, this.props(r).replicationConfiguration);
                if (doc) this.addReplication(r, true, this.bucketKeyOf(r), doc, "replicationConfiguration");
            }
        }
    }

    props(r: PolicyResource): Plain {
        let p = this.plain.get(r);
        if (!p) {
            p = peelProps(r.props);
            this.plain.set(r, p);
        }
        return p;
    }

    private node(key: string): BucketNode {
        let n = this.buckets.get(key);
        if (!n) {
            n = {
                key,
                ...(key.startsWith("urn:") ? {} : { name: key }),
                settings: { versioning: [], encryption: [], publicAccessBlock: [], ownership: [], bucketPolicy: [], objectLock: [], acl: [] },
            };
            this.buckets.set(key, n);
        }
        return n;
    }

    /** The key of an aws.s3.Bucket: its name when known, else its URN. */
    bucketKeyOf(bucket: PolicyResource): string {
        const name = this.props(bucket).bucket;
        return typeof name === "string" && name ? name : `urn:${bucket.urn}`;
    }

    /** The key of the bucket a resource property refers to (a name or an ARN), or undefined if it cannot be told. */
    resolveBucketRef(r: PolicyResource, property: string): string | undefined {
        const value = this.props(r)[property];
        if (typeof value === "string" && value) return bucketNameOfArn(value) ?? value;
        const keys = new Set<string>();
        for (const dep of r.propertyDependencies?.[property] ?? []) {
            if (isOfGroup(dep.type, "bucket")) keys.add(this.bucketKeyOf(dep));
        }
        if (keys.size === 1) return [...keys][0];
        const parent = r.parent;
        if (keys.size === 0 && parent && parent.type !== STACK_TYPE) {
            const siblings = this.resources.filter(b => isOfGroup(b.type, "bucket") && b.parent?.urn === parent.urn);
            if (siblings.length === 1) return this.bucketKeyOf(siblings[0]);
        }
        return undefined;
    }

    /** Bucket keys the dependencies of a property lead to (buckets directly, or through their settings resources). */
    private bucketKeysInDependencies(r: PolicyResource, property: string): string[] {
        const keys = new Set<string>();
        for (const dep of r.propertyDependencies?.[property] ?? []) {
            if (isOfGroup(dep.type, "bucket")) keys.add(this.bucketKeyOf(dep));
            else if (SETTING_GROUPS.some(([, g]) => isOfGroup(dep.type, g))) {
                const k = this.resolveBucketRef(dep, "bucket");
                if (k !== undefined) keys.add(k);
            }
        }
        return [...keys];
    }

    private addReplication(r: PolicyResource, inline: boolean, sourceKey: string | undefined, doc: CheckableDoc, rulesProperty: string): void {
        const routes: RouteNode[] = [];
        const known = new Map<string, number[]>();
        const unresolved: number[] = [];
        doc.raw.rules.forEach((rule, i) => {
            const arn = at(rule, "destination", "bucket");
            const name = bucketNameOfArn(arn);
            if (name) known.set(name, [...(known.get(name) ?? []), i]);
            else if (arn === UNKNOWN || rule === UNKNOWN || at(rule, "destination") === UNKNOWN) unresolved.push(i);
        });
        for (const [key, ruleIndexes] of known) routes.push({ destinationKey: key, ruleIndexes });
        if (unresolved.length > 0) {
            // Destination ARNs unknown in preview: the buckets the rules depend on are the destinations.
            const candidates = this.bucketKeysInDependencies(r, rulesProperty).filter(k => k !== sourceKey && !known.has(k));
            // With several of each, which rule goes where cannot be told; every pairing is a route,
            // which is exact for the checks made per route (each destination must comply).
            if (candidates.length === 0) routes.push({ ruleIndexes: unresolved });
            for (const k of candidates) routes.push({ destinationKey: k, ruleIndexes: unresolved });
        }
        this.replications.push({ resource: r, inline, ...(sourceKey !== undefined ? { sourceKey } : {}), doc, routes });
    }

    /** Every resource of a bucket node: the bucket, then its settings. */
    private resourcesOf(key: string): PolicyResource[] {
        const n = this.buckets.get(key);
        if (!n) return [];
        return [...(n.resource ? [n.resource] : []), ...Object.values(n.settings).flat()];
    }

    /** Does the program declare this bucket (an aws.s3.Bucket, or settings resources for an adopted one)? */
    isDeclared(key: string): boolean {
        return this.resourcesOf(key).length > 0;
    }

    /** The bucket's Region: from its own resource, else its settings, else a replication configuration of it as a source. */
    regionOfBucket(key: string): string | undefined {
        for (const r of this.resourcesOf(key)) {
            const region = regionOf(this.props(r), r.provider);
            if (region) return region;
        }
        for (const rep of this.replications) {
            if (rep.sourceKey === key) {
                const region = regionOf(this.props(rep.resource), rep.resource.provider);
                if (region) return region;
            }
        }
        return undefined;
    }

    /** The bucket's account, from the providers of its resources when they pin one. */
    accountOfBucket(key: string): string | undefined {
        for (const r of this.resourcesOf(key)) {
            const account = providerAccount(r.provider);
            if (account) return account;
        }
        return undefined;
    }

    /** The account replication runs as: the role's account, else the configuration's provider, else the source bucket's. */
    sourceAccountOf(rep: ReplicationNode): string | undefined {
        return (
            accountOfArn(rep.doc.raw.role) ??
            providerAccount(rep.resource.provider) ??
            (rep.sourceKey !== undefined ? this.accountOfBucket(rep.sourceKey) : undefined)
        );
    }

    sourceRegionOf(rep: ReplicationNode): string | undefined {
        return regionOf(this.props(rep.resource), rep.resource.provider) ?? (rep.sourceKey !== undefined ? this.regionOfBucket(rep.sourceKey) : undefined);
    }

    /** Object Lock on the bucket: true, false, or undefined when it cannot be told (e.g. an adopted bucket). */
    objectLockOf(key: string): boolean | undefined {
        const n = this.buckets.get(key);
        if (!n) return undefined;
        if (n.settings.objectLock.length > 0) return true;
        if (!n.resource) return undefined;
        const p = this.props(n.resource);
        if (p.objectLockEnabled === true || at(p, "objectLockConfiguration", "objectLockEnabled") === "Enabled") return true;
        if (p.objectLockEnabled === UNKNOWN || at(p, "objectLockConfiguration") === UNKNOWN) return undefined;
        return false;
    }

    /** A URN to attach a finding about a bucket to: its aws.s3.Bucket, else one of its settings. */
    urnOfBucket(key: string): string | undefined {
        return this.resourcesOf(key)[0]?.urn;
    }

    /** Human name of a bucket key. */
    label(key: string): string {
        const n = this.buckets.get(key);
        if (n?.name) return `"${n.name}"`;
        if (n?.resource) return `(the aws.s3.Bucket "${n.resource.name}", name not known yet)`;
        return key.startsWith("urn:") ? key.slice(4) : `"${key}"`;
    }

    // ---- IAM ----

    /** Roles S3 replication or Batch Operations can assume. */
    replicationRoles(): PolicyResource[] {
        return this.resources.filter(r => isOfGroup(r.type, "role") && trustsReplicationService(this.props(r).assumeRolePolicy) === true);
    }

    /** The role a RolePolicy / RolePolicyAttachment's `role` refers to (a name or ARN, or a dependency). */
    resolveRole(r: PolicyResource): PolicyResource | undefined {
        const roles = this.resources.filter(x => isOfGroup(x.type, "role"));
        const value = this.props(r).role;
        if (typeof value === "string" && value) {
            const name = value.startsWith("arn:") ? value.split("/").pop() : value;
            const byName = roles.find(x => this.props(x).name === name || this.props(x).arn === value);
            if (byName) return byName;
        }
        const deps = (r.propertyDependencies?.role ?? []).filter(d => isOfGroup(d.type, "role"));
        const unique = [...new Set(deps)];
        return unique.length === 1 ? unique[0] : undefined;
    }

    /** The aws.iam.Policy an ARN property refers to (by its known ARN, else by dependency). */
    resolvePolicyArn(r: PolicyResource, property: string, value: unknown): PolicyResource | undefined {
        const policies = this.resources.filter(x => isOfGroup(x.type, "iamPolicy"));
        if (typeof value === "string") {
            const byArn = policies.find(p => this.props(p).arn === value);
            if (byArn) return byArn;
        }
        const deps = [...new Set((r.propertyDependencies?.[property] ?? []).filter(d => isOfGroup(d.type, "iamPolicy")))];
        return deps.length === 1 ? deps[0] : undefined;
    }
}
