/**
 * What a program registered, read back as the IAM and KMS facts an evaluator needs: roles with
 * their trust and attached policies, buckets with their policy, default encryption, public access
 * block and Object Lock, replication routes from the BucketReplicationConfig rules, Batch
 * Replication jobs (and the CreateJob request the provider would send) and KMS grants.
 *
 * Everything comes from the RECORDED resource inputs, never from the plan that produced them, so
 * the proof checks what would be deployed.
 */
import type { CreateJobCommandInput } from "@aws-sdk/client-s3-control";
import { partitionOf } from "../../components/model/aws-facts";
import { BatchJobMode, buildCreateJobInput } from "../../components/model/batch-job";
import { PolicyDocument } from "../../components/model/policy-document";
import { RecordedResource, T } from "./mock-runtime";

export const BATCH_JOB_TYPE = "pulumi-nodejs:dynamic/s3-replication:BatchReplicationJob";
const OBJECT_LOCK_TYPE = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration";

export interface RoleFacts {
    arn: string;
    name: string;
    account: string;
    partition: string;
    trust: PolicyDocument;
    /** Inline and attached managed policies, as registered. */
    policies: Array<{ name: string; policy: PolicyDocument }>;
    /** How many of them are customer managed policies attached by RolePolicyAttachment. */
    managedPolicies: number;
}

export interface BucketFacts {
    name: string;
    account: string;
    region: string;
    policy?: PolicyDocument;
    /** Default SSE-KMS key (undefined: SSE-S3). */
    kmsKey?: string;
    bucketKey: boolean;
    /** The public access block's RestrictPublicBuckets (what limits cross-account access to public policies). */
    restrictPublicBuckets: boolean;
    objectLock: boolean;
}

/** One rule of one registered replication configuration. */
export interface RouteFacts {
    source: string;
    destination: string;
    role: string;
    ruleId: string;
    status: string;
    prefix: string;
    /** The rule filters on tags. */
    tags: boolean;
    deleteMarkers: boolean;
    ownerOverride: boolean;
    /** SSE-KMS objects selected (SourceSelectionCriteria.SseKmsEncryptedObjects). */
    kms: boolean;
    replicaKey?: string;
    twoWay: boolean;
}

export interface JobFacts {
    name: string;
    source: string;
    account: string;
    region: string;
    role: string;
    reportBucket: string;
    mode: string;
    /** The CreateJob request the provider builds from the registered inputs. */
    request: CreateJobCommandInput;
}

export interface KmsGrantFacts {
    key: string;
    keyAccount: string;
    grantee: string;
    operations: string[];
}

export interface World {
    label: string;
    roles: Map<string, RoleFacts>;
    buckets: Map<string, BucketFacts>;
    routes: RouteFacts[];
    jobs: JobFacts[];
    grants: KmsGrantFacts[];
}

type Inputs = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const obj = (v: unknown): Inputs => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Inputs) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const docOf = (v: unknown): PolicyDocument => (typeof v === "string" ? JSON.parse(v) : v) as PolicyDocument;
const bucketOfArn = (arn: string): string => arn.replace(/^arn:[a-z-]+:s3:::/, "").split("/")[0];

function need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`registered graph: ${what} is missing`);
    return value;
}

export function worldFromResources(label: string, resources: readonly RecordedResource[]): World {
    const custom = resources.filter(r => r.custom);
    const of = (type: string) => custom.filter(r => r.type === type);

    // Buckets: every bucket that has a settings resource (created or adopted).
    const buckets = new Map<string, BucketFacts>();
    const bucket = (r: RecordedResource): BucketFacts => {
        const name = need(str(r.inputs.bucket), `${r.type} ${r.name} bucket`);
        let b = buckets.get(name);
        if (!b) {
            b = {
                name,
                account: need(r.account, `${r.name} account`),
                region: need(str(r.inputs.region) ?? r.region, `${r.name} region`),
                bucketKey: false,
                restrictPublicBuckets: false,
                objectLock: false,
            };
            buckets.set(name, b);
        }
        return b;
    };
    for (const r of of(T.versioning)) bucket(r);
    // Object Lock: on the bucket at creation, or an aws.s3.BucketObjectLockConfiguration (which S3 accepts on an existing bucket).
    for (const r of of(T.bucket)) if (r.inputs.objectLockEnabled === true) bucket(r).objectLock = true;
    for (const r of of(OBJECT_LOCK_TYPE)) if (r.inputs.objectLockEnabled === "Enabled") bucket(r).objectLock = true;
    for (const r of of(T.pab)) bucket(r).restrictPublicBuckets = r.inputs.restrictPublicBuckets === true;
    for (const r of of(T.policy)) bucket(r).policy = docOf(r.inputs.policy);
    for (const r of of(T.encryption)) {
        const rule = obj(arr(r.inputs.rules)[0]);
        const sse = obj(rule.applyServerSideEncryptionByDefault);
        const b = bucket(r);
        if (sse.sseAlgorithm === "aws:kms") b.kmsKey = str(sse.kmsMasterKeyId);
        b.bucketKey = rule.bucketKeyEnabled === true;
    }

    // Roles, with inline policies and managed policies attached by RolePolicyAttachment.
    const roles = new Map<string, RoleFacts>();
    const roleByName = new Map<string, RoleFacts>();
    for (const r of of(T.role)) {
        const account = need(r.account, `role ${r.name} account`);
        const partition = partitionOf(r.region ?? "us-east-1");
        const name = need(str(r.inputs.name), `role ${r.name} name`);
        const role: RoleFacts = {
            arn: `arn:${partition}:iam::${account}:role${str(r.inputs.path) ?? "/"}${name}`,
            name,
            account,
            partition,
            trust: docOf(r.inputs.assumeRolePolicy),
            policies: [],
            managedPolicies: 0,
        };
        roles.set(role.arn, role);
        roleByName.set(`${account}/${name}`, role);
    }
    for (const r of of(T.rolePolicy)) {
        const role = need(roleByName.get(`${r.account}/${str(r.inputs.role)}`), `role of RolePolicy ${r.name}`);
        role.policies.push({ name: r.name, policy: docOf(r.inputs.policy) });
    }
    const managed = new Map(of(T.managedPolicy).map(p => [str(p.outputs.arn) ?? "", p]));
    for (const r of of(T.attachment)) {
        const role = need(roleByName.get(`${r.account}/${str(r.inputs.role)}`), `role of RolePolicyAttachment ${r.name}`);
        const policy = need(managed.get(str(r.inputs.policyArn) ?? ""), `policy of RolePolicyAttachment ${r.name}`);
        role.policies.push({ name: policy.name, policy: docOf(policy.inputs.policy) });
        role.managedPolicies++;
    }

    // Routes: one per rule of each registered replication configuration.
    const routes: RouteFacts[] = [];
    for (const r of of(T.replication)) {
        const source = need(str(r.inputs.bucket), `replication ${r.name} bucket`);
        const role = need(str(r.inputs.role), `replication ${r.name} role`);
        for (const raw of arr(r.inputs.rules)) {
            const rule = obj(raw);
            const destination = obj(rule.destination);
            const filter = obj(rule.filter);
            const criteria = obj(rule.sourceSelectionCriteria);
            routes.push({
                source,
                role,
                destination: bucketOfArn(need(str(destination.bucket), `rule ${String(rule.id)} destination`)),
                ruleId: str(rule.id) ?? "",
                status: str(rule.status) ?? "",
                prefix: str(filter.prefix) ?? str(obj(filter.and).prefix) ?? "",
                tags: filter.tag !== undefined || obj(filter.and).tags !== undefined,
                deleteMarkers: obj(rule.deleteMarkerReplication).status === "Enabled",
                ownerOverride: obj(destination.accessControlTranslation).owner === "Destination",
                kms: obj(criteria.sseKmsEncryptedObjects).status === "Enabled",
                replicaKey: str(obj(destination.encryptionConfiguration).replicaKmsKeyId),
                twoWay: obj(criteria.replicaModifications).status === "Enabled",
            });
        }
    }

    // Batch Replication jobs, with the request the provider sends for them.
    const jobs: JobFacts[] = of(BATCH_JOB_TYPE).map(r => {
        const i = r.inputs;
        const request = buildCreateJobInput({
            accountId: need(str(i.accountId), "job accountId"),
            region: need(str(i.region), "job region"),
            sourceBucket: need(str(i.sourceBucket), "job sourceBucket"),
            roleArn: need(str(i.roleArn), "job roleArn"),
            reportBucket: need(str(i.reportBucket), "job reportBucket"),
            ...(str(i.reportPrefix) ? { reportPrefix: str(i.reportPrefix) } : {}),
            mode: need(str(i.mode), "job mode") as BatchJobMode,
            priority: typeof i.priority === "number" ? i.priority : 10,
            confirmationRequired: i.confirmationRequired === true,
            routeName: need(str(i.routeName), "job routeName"),
            ...(str(i.keyPrefix) !== undefined ? { keyPrefix: str(i.keyPrefix) } : {}),
            ...(str(i.createdBefore) ? { createdBefore: str(i.createdBefore) } : {}),
            ...(str(i.trigger) ? { trigger: str(i.trigger) } : {}),
        });
        return {
            name: r.name,
            source: String(i.sourceBucket),
            account: String(i.accountId),
            region: String(i.region),
            role: String(i.roleArn),
            reportBucket: String(i.reportBucket),
            mode: String(i.mode),
            request,
        };
    });

    const grants: KmsGrantFacts[] = of(T.kmsGrant).map(r => ({
        key: need(str(r.inputs.keyId), `grant ${r.name} keyId`),
        keyAccount: need(r.account, `grant ${r.name} account`),
        grantee: need(str(r.inputs.granteePrincipal), `grant ${r.name} grantee`),
        operations: arr(r.inputs.operations).map(String),
    }));

    return { label, roles, buckets, routes, jobs, grants };
}
