import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AdoptedBucketError } from "./adoption";
import { failOnErrors, typeToken } from "./errors";
import {
    ADOPTED_SETTINGS_MODES,
    AdoptedSettingsDecision,
    AdoptedSettingsMode,
    Diagnostic,
    ExistingBucketSettings,
    PolicyDocument,
    PolicyStatement,
    bucketArn,
    bucketNameProblems,
    decideAdoptedSettings,
    diag,
    isAccountId,
    isKnownRegion,
    parseKmsKeyArn,
    policyDocument,
    replicationGrantStatements,
    tlsDenyStatement,
    mergeAdoptedPolicy,
} from "./model";

/** A source account whose replication roles may replicate into a HardenedBucket. */
export interface ReplicationSourceGrant {
    /** The source buckets' account (12 digits). Its roles under this package's path (`/s3-replication/`) may replicate. */
    account: string;
    /** The source's roles may also make the destination's owner own the replicas (replica ownership "destination"). Default false. */
    ownerOverride?: boolean;
}

/** HardenedBucket's arguments that every Pulumi language can pass. */
export interface HardenedBucketBaseArgs {
    /** The bucket's name: global across AWS, so it is given, never generated. */
    bucketName: string;
    /** Account that owns the bucket (12 digits); used for checks and outputs. */
    accountId: string;
    /** The bucket's Region. */
    region: string;
    /**
     * Adopt an existing bucket: manage its versioning, public-access block, ownership,
     * encryption and policy without creating or replacing the bucket. Default false.
     */
    adopt?: boolean;
    /**
     * SSE-KMS with this key (ARN) and a bucket key; SSE-S3 when absent. On an adopted bucket read
     * through `existingSettings`, a key given here replaces its default encryption (a named change);
     * without one the bucket keeps what it has.
     */
    kmsKeyArn?: string;
    /**
     * An adopted bucket read through `existingSettings`: "keep" (default) keeps its default
     * encryption, object ownership and public access block; "harden" applies BucketOwnerEnforced,
     * all four public-access-block flags and SSE-S3 (never replacing SSE-KMS), and stops the program
     * where that would cut off access the bucket's ACL grants today.
     */
    adoptedSettings?: string;
    /**
     * Turn Object Lock on (an aws.s3.BucketObjectLockConfiguration, which S3 accepts on an existing
     * versioned bucket, so declaring it later never replaces the bucket). Ignored when adopting:
     * an adopted bucket's Object Lock is managed outside this program.
     */
    objectLock?: boolean;
    /**
     * When creating: a bucket of this name that the account already owns (retained after a
     * `pulumi destroy`, or after its route left the manifest and came back) is imported instead
     * of created again, which S3 would refuse. Default true.
     */
    takeOverExisting?: boolean;
    /** Adopt mode: manage the bucket policy even without `existingPolicy` (replaces it). Default false. */
    managePolicy?: boolean;
    /**
     * Keep the bucket and its settings in AWS when removed from the program. Default true;
     * the bucket is never created with forceDestroy, so nothing ever empties it.
     */
    retainOnDelete?: boolean;
    /** Tags for the bucket (created buckets only). */
    tags?: Record<string, string>;
    /**
     * Other accounts whose replication roles (this package's ReplicationRole, under the path
     * `/s3-replication/`) may replicate into this bucket: the grants ReplicationFleet writes on a
     * cross-account destination, for a destination wired by hand. Sources in the bucket's own
     * account need none (their role's own policy is enough). On an adopted bucket they need the
     * policy managed (`managePolicy`, which replaces its policy, or from TypeScript `existingPolicy`,
     * which keeps its other statements), else they are refused.
     */
    replicationSources?: ReplicationSourceGrant[];
}

/**
 * Arguments of {@link HardenedBucket}: {@link HardenedBucketBaseArgs} and what only a TypeScript
 * program can pass (policy statements as objects, resources to wait for).
 */
export interface HardenedBucketArgs extends HardenedBucketBaseArgs {
    /** Statements added after the TLS deny, e.g. the replication grants of a destination. */
    policyStatements?: pulumi.Input<PolicyStatement[]>;
    /**
     * Adopt mode: the bucket's current policy (JSON), to keep its statements. When adopting
     * and this is not given, the policy is left alone unless `managePolicy` is true.
     */
    existingPolicy?: pulumi.Input<string | undefined>;
    /** Resources the bucket policy must wait for (principals it names must exist first). */
    policyDependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * Adopt mode: the bucket's current encryption, ownership, public access block and ACL (as
     * ReplicationFleet reads them). With them, `adoptedSettings` decides what the bucket keeps and
     * nothing about it is declared before that decision; without them, an adopted bucket gets the
     * hardened settings as for a created one.
     */
    existingSettings?: pulumi.Input<ExistingBucketSettings>;
}

/**
 * A bucket (created or adopted) with versioning Enabled, all four public-access-block flags,
 * ownership BucketOwnerEnforced, default encryption, and ONE policy: a TLS-only deny plus the
 * grants replication needs.
 */
export class HardenedBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    /** The created (or taken over) bucket, once it is known whether it exists; undefined when adopted. */
    readonly bucket?: Promise<aws.s3.Bucket>;
    /** Object Lock, when asked for on a created bucket. */
    readonly objectLockConfiguration?: aws.s3.BucketObjectLockConfiguration;
    readonly versioning!: aws.s3.BucketVersioning;
    readonly publicAccessBlock!: aws.s3.BucketPublicAccessBlock;
    readonly ownershipControls!: aws.s3.BucketOwnershipControls;
    readonly encryption!: aws.s3.BucketServerSideEncryptionConfiguration;
    /** Undefined only when adopting without existingPolicy and managePolicy. */
    readonly policy?: aws.s3.BucketPolicy;
    /** Adopted with `existingSettings`: each of its settings that this program changes (`setting: before -> after`). */
    readonly settingChanges: pulumi.Output<string[]> = pulumi.output([]);

    constructor(name: string, args: HardenedBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        failOnErrors(`HardenedBucket ${name}`, HardenedBucket.check(args));
        super(typeToken("HardenedBucket"), name, {}, opts);
        this.bucketName = pulumi.output(args.bucketName);
        this.bucketArn = pulumi.output(bucketArn(args.bucketName, args.region));
        if (opts?.urn) return;

        const retain = args.retainOnDelete ?? true;
        // Every child names its Region: one provider per account serves all of its Regions.
        const region = args.region;
        // An adopted bucket read first: what it keeps and what changes is decided before anything
        // about it is declared, and a change that would break access stops the program there.
        const verdict: pulumi.Output<AdoptedSettingsDecision> | undefined =
            args.adopt && args.existingSettings !== undefined
                ? pulumi.output(args.existingSettings).apply(existing => {
                      const d = decideAdoptedSettings(args.bucketName, existing as ExistingBucketSettings, {
                          mode: (args.adoptedSettings ?? "keep") as AdoptedSettingsMode,
                          ...(args.kmsKeyArn ? { kmsKeyArn: args.kmsKeyArn } : {}),
                      });
                      if (d.refusals.length) throw new AdoptedBucketError(d.refusals.join("\n"));
                      for (const c of d.changes) pulumi.log.warn(`adopted bucket ${args.bucketName}: changes its ${c}`, this);
                      return d;
                  })
                : undefined;
        this.settingChanges = verdict ? verdict.apply(d => d.changes) : pulumi.output([]);
        const bucketRef: pulumi.Input<string> = verdict ? verdict.apply(() => args.bucketName) : args.bucketName;
        if (!args.adopt) {
            const exists = args.takeOverExisting === false ? Promise.resolve(false) : ownedBucketExists(args.bucketName, region, this);
            this.bucket = exists.then(
                found =>
                    new aws.s3.Bucket(
                        name,
                        {
                            bucket: args.bucketName,
                            region,
                            forceDestroy: false,
                            ...(args.tags ? { tags: args.tags } : {}),
                        },
                        { parent: this, retainOnDelete: retain, ...(found ? { import: args.bucketName } : {}) },
                    ),
            );
        }
        // The settings wait for the bucket they configure (the name alone carries no dependency).
        const child: pulumi.CustomResourceOptions = { parent: this, retainOnDelete: retain, ...(this.bucket ? { dependsOn: [this.bucket] } : {}) };

        this.versioning = new aws.s3.BucketVersioning(
            `${name}-versioning`,
            {
                bucket: bucketRef,
                region,
                versioningConfiguration: { status: "Enabled" },
            },
            child,
        );
        if (!args.adopt && args.objectLock) {
            // S3 turns Object Lock on for an existing bucket once versioning is Enabled.
            this.objectLockConfiguration = new aws.s3.BucketObjectLockConfiguration(
                `${name}-object-lock`,
                {
                    bucket: bucketRef,
                    region,
                    objectLockEnabled: "Enabled",
                },
                { ...child, dependsOn: [...(this.bucket ? [this.bucket] : []), this.versioning] },
            );
        }
        // The policy to write, worked out first: for an adopted bucket it merges the bucket's current
        // policy, and a merge that cannot be done (unreadable, or a public grant the block would cut
        // off) must stop the program before anything about the bucket changes.
        const managesPolicy = !args.adopt || args.existingPolicy !== undefined || args.managePolicy;
        const grants = replicationGrantStatements(
            args.bucketName,
            args.region,
            (args.replicationSources ?? []).map(g => ({ sourceAccount: g.account, ownerOverride: g.ownerOverride === true })),
        );
        const build = (extra: PolicyStatement[]) => policyDocument([tlsDenyStatement(args.bucketName, args.region), ...grants, ...extra]);
        // Plain statements (what the fleet passes) make a plain document: no Output per bucket.
        const statements = args.policyStatements ?? [];
        const ours: pulumi.Input<PolicyDocument> = Array.isArray(statements)
            ? build(statements)
            : pulumi.output(statements).apply(x => build(x as PolicyStatement[]));
        // A created bucket's settings are plain values; an adopted one's come from its verdict (and
        // the policy merge), so they are only known once those are.
        type Flags = { blockPublicAcls: boolean; ignorePublicAcls: boolean; blockPublicPolicy: boolean; restrictPublicBuckets: boolean };
        const block: pulumi.Output<Flags> | undefined = verdict?.apply(d => d.publicAccessBlock);
        const blockOrHardened: pulumi.Output<Flags | true> = block ?? pulumi.output<Flags | true>(true);
        const document: pulumi.Input<PolicyDocument> | undefined = !managesPolicy
            ? undefined
            : args.adopt && args.existingPolicy !== undefined
              ? pulumi.all([ours, pulumi.output(args.existingPolicy), blockOrHardened]).apply(([doc, existing, flags]) =>
                    mergeAdoptedPolicy(existing, doc, args.bucketName, {
                        blocksPublicPolicy: flags === true || flags.blockPublicPolicy || flags.restrictPublicBuckets,
                    }),
                )
              : ours;
        // The public access block waits for that verdict on an adopted bucket.
        const flags: pulumi.Output<Flags | true> | undefined = args.adopt && document ? pulumi.all([blockOrHardened, document]).apply(([b]) => b) : block;
        const flag = (k: keyof Flags): pulumi.Input<boolean> => (flags ? flags.apply(f => f === true || f[k]) : true);
        this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
            `${name}-public-access-block`,
            {
                bucket: bucketRef,
                region,
                blockPublicAcls: flag("blockPublicAcls"),
                blockPublicPolicy: flag("blockPublicPolicy"),
                ignorePublicAcls: flag("ignorePublicAcls"),
                restrictPublicBuckets: flag("restrictPublicBuckets"),
            },
            child,
        );
        this.ownershipControls = new aws.s3.BucketOwnershipControls(
            `${name}-ownership`,
            {
                bucket: bucketRef,
                region,
                rule: { objectOwnership: verdict ? verdict.apply(d => d.objectOwnership) : "BucketOwnerEnforced" },
            },
            child,
        );
        type Encryption = { sseAlgorithm: string; kmsMasterKeyId?: string; bucketKeyEnabled?: boolean };
        const rule = (e: Encryption) => ({
            applyServerSideEncryptionByDefault: { sseAlgorithm: e.sseAlgorithm, ...(e.kmsMasterKeyId ? { kmsMasterKeyId: e.kmsMasterKeyId } : {}) },
            ...(e.bucketKeyEnabled ? { bucketKeyEnabled: true } : {}),
        });
        const configured: Encryption = args.kmsKeyArn
            ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn, bucketKeyEnabled: true }
            : { sseAlgorithm: "AES256" };
        this.encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
            `${name}-encryption`,
            {
                bucket: bucketRef,
                region,
                rules: [verdict ? verdict.apply(d => rule(d.encryption)) : rule(configured)],
            },
            child,
        );

        if (document) {
            this.policy = new aws.s3.BucketPolicy(
                `${name}-policy`,
                {
                    bucket: bucketRef,
                    region,
                    policy:
                        pulumi.Output.isInstance(document) || document instanceof Promise
                            ? pulumi.output(document).apply(d => JSON.stringify(d))
                            : JSON.stringify(document),
                },
                {
                    ...child,
                    // S3 refuses a policy naming a principal that does not exist yet, and
                    // BlockPublicPolicy must be in place before any policy is written.
                    dependsOn: [...(this.bucket ? [this.bucket] : []), this.publicAccessBlock, this.ownershipControls, ...(args.policyDependsOn ?? [])],
                },
            );
        }

        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, adopted: !!args.adopt, settingChanges: this.settingChanges });
    }

    private static check(args: HardenedBucketArgs): Diagnostic[] {
        const out: Diagnostic[] = [];
        const problems = bucketNameProblems(String(args.bucketName ?? ""));
        if (problems.length)
            out.push(diag("INVALID_BUCKET_NAME", `bucketName ${JSON.stringify(args.bucketName)} ${problems.join("; ")}.`, { path: "bucketName" }));
        if (!isAccountId(String(args.accountId ?? "")))
            out.push(diag("INVALID_ACCOUNT", `accountId ${JSON.stringify(args.accountId)} is not a 12-digit account id.`, { path: "accountId" }));
        if (!isKnownRegion(String(args.region ?? "")))
            out.push(diag("INVALID_REGION", `region ${JSON.stringify(args.region)} is not an AWS Region.`, { path: "region" }));
        if (args.adoptedSettings !== undefined && !(ADOPTED_SETTINGS_MODES as readonly string[]).includes(args.adoptedSettings)) {
            out.push(
                diag("INVALID_CONFIG", `adoptedSettings ${JSON.stringify(args.adoptedSettings)} is not one of ${ADOPTED_SETTINGS_MODES.join(", ")}.`, {
                    path: "adoptedSettings",
                }),
            );
        }
        if ((args.replicationSources ?? []).length > 0 && args.adopt && !args.managePolicy && args.existingPolicy === undefined) {
            out.push(
                diag(
                    "INVALID_CONFIG",
                    "replicationSources are grants in the bucket policy, which an adopted bucket leaves alone unless managePolicy is true (or, from TypeScript, existingPolicy is given): set one, or grant in the policy you manage.",
                    { path: "replicationSources" },
                ),
            );
        }
        (args.replicationSources ?? []).forEach((g, i) => {
            const at = { path: `replicationSources[${i}].account` };
            if (!isAccountId(String(g?.account ?? ""))) out.push(diag("INVALID_ACCOUNT", `${JSON.stringify(g?.account)} is not a 12-digit account id.`, at));
            else if (g.account === args.accountId)
                out.push(diag("INVALID_CONFIG", `account ${g.account} owns the bucket: sources in the bucket's own account need no grant; leave it out.`, at));
        });
        if (args.kmsKeyArn !== undefined) {
            const key = parseKmsKeyArn(args.kmsKeyArn);
            if (!key)
                out.push(diag("KMS_KEY_INVALID", `kmsKeyArn ${JSON.stringify(args.kmsKeyArn)} is not a KMS key ARN or alias ARN.`, { path: "kmsKeyArn" }));
            else if (key.region !== args.region)
                out.push(
                    diag("KMS_KEY_REGION_MISMATCH", `kmsKeyArn is in ${key.region}, the bucket in ${args.region}; S3 needs a key in the bucket's Region.`, {
                        path: "kmsKeyArn",
                    }),
                );
        }
        return out;
    }
}

/**
 * Whether the deploying account already owns a bucket of this name in this Region. ListBuckets
 * (`aws.s3.getBuckets`, prefix-filtered) lists only the caller's own buckets, so a name held by
 * another account reads as "not ours" and CreateBucket reports it. A bucket of ours in another
 * Region stops the program: it cannot be taken over where the manifest puts it.
 */
async function ownedBucketExists(bucket: string, region: string, parent: pulumi.Resource): Promise<boolean> {
    const found = await aws.s3.getBuckets({ prefix: bucket, region }, { parent });
    const mine = (found.buckets ?? []).find(b => b.name === bucket);
    if (!mine) return false;
    if (mine.bucketRegion && mine.bucketRegion !== region) {
        throw new Error(
            `bucket ${bucket} already exists in this account in ${mine.bucketRegion}, not ${region}: fix its Region in the manifest, or choose another name.`,
        );
    }
    return true;
}
