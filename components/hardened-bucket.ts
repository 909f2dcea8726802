import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { failOnErrors, typeToken } from "./errors";
import {
    Diagnostic, PolicyDocument, PolicyStatement, bucketArn, bucketNameProblems, diag, isAccountId,
    isKnownRegion, parseKmsKeyArn, policyDocument, tlsDenyStatement, mergeAdoptedPolicy,
} from "./model";

export interface HardenedBucketArgs {
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
    /** SSE-KMS with this key (ARN) and a bucket key; SSE-S3 when absent. */
    kmsKeyArn?: string;
    /** Create the bucket with Object Lock enabled. Ignored when adopting: Object Lock is switched on outside this program. */
    objectLock?: boolean;
    /** Statements added after the TLS deny, e.g. the replication grants of a destination. */
    policyStatements?: pulumi.Input<PolicyStatement[]>;
    /**
     * Adopt mode: the bucket's current policy (JSON), to keep its statements. When adopting
     * and this is not given, the policy is left alone unless `managePolicy` is true.
     */
    existingPolicy?: pulumi.Input<string | undefined>;
    /** Adopt mode: manage the bucket policy even without `existingPolicy` (replaces it). Default false. */
    managePolicy?: boolean;
    /**
     * Keep the bucket and its settings in AWS when removed from the program. Default true;
     * the bucket is never created with forceDestroy, so nothing ever empties it.
     */
    retainOnDelete?: boolean;
    /** Tags for the bucket (created buckets only). */
    tags?: Record<string, string>;
    /** Resources the bucket policy must wait for (principals it names must exist first). */
    policyDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * A bucket (created or adopted) with versioning Enabled, all four public-access-block flags,
 * ownership BucketOwnerEnforced, default encryption, and ONE policy: a TLS-only deny plus the
 * grants replication needs.
 */
export class HardenedBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    /** The created bucket; undefined when adopted. */
    readonly bucket?: aws.s3.Bucket;
    readonly versioning!: aws.s3.BucketVersioning;
    readonly publicAccessBlock!: aws.s3.BucketPublicAccessBlock;
    readonly ownershipControls!: aws.s3.BucketOwnershipControls;
    readonly encryption!: aws.s3.BucketServerSideEncryptionConfiguration;
    /** Undefined only when adopting without existingPolicy and managePolicy. */
    readonly policy?: aws.s3.BucketPolicy;

    constructor(name: string, args: HardenedBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        failOnErrors(`HardenedBucket ${name}`, HardenedBucket.check(args));
        super(typeToken("HardenedBucket"), name, {}, opts);
        this.bucketName = pulumi.output(args.bucketName);
        this.bucketArn = pulumi.output(bucketArn(args.bucketName, args.region));
        if (opts?.urn) return;

        const retain = args.retainOnDelete ?? true;
        const child: pulumi.CustomResourceOptions = { parent: this, retainOnDelete: retain };
        let bucketRef: pulumi.Input<string> = args.bucketName;
        // Every child names its Region: one provider per account serves all of its Regions.
        const region = args.region;
        if (!args.adopt) {
            this.bucket = new aws.s3.Bucket(name, {
                bucket: args.bucketName,
                region,
                forceDestroy: false,
                ...(args.objectLock ? { objectLockEnabled: true } : {}),
                ...(args.tags ? { tags: args.tags } : {}),
            }, child);
            bucketRef = this.bucket.bucket;
        }

        this.versioning = new aws.s3.BucketVersioning(`${name}-versioning`, {
            bucket: bucketRef,
            region,
            versioningConfiguration: { status: "Enabled" },
        }, child);
        this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-public-access-block`, {
            bucket: bucketRef,
            region,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, child);
        this.ownershipControls = new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
            bucket: bucketRef,
            region,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, child);
        this.encryption = new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucketRef,
            region,
            rules: [args.kmsKeyArn
                ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
                : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        }, child);

        if (!args.adopt || args.existingPolicy !== undefined || args.managePolicy) {
            const ours = pulumi.output(args.policyStatements ?? []).apply(extra =>
                policyDocument([tlsDenyStatement(args.bucketName, args.region), ...(extra as PolicyStatement[])]));
            const document: pulumi.Output<PolicyDocument> = args.adopt && args.existingPolicy !== undefined
                ? pulumi.all([ours, pulumi.output(args.existingPolicy)]).apply(([doc, existing]) => mergeAdoptedPolicy(existing, doc, args.bucketName))
                : ours;
            this.policy = new aws.s3.BucketPolicy(`${name}-policy`, {
                bucket: bucketRef,
                region,
                policy: document.apply(d => JSON.stringify(d)),
            }, {
                ...child,
                // S3 refuses a policy naming a principal that does not exist yet, and
                // BlockPublicPolicy must be in place before any policy is written.
                dependsOn: [this.publicAccessBlock, this.ownershipControls, ...(args.policyDependsOn ?? [])],
            });
        }

        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, adopted: !!args.adopt });
    }

    private static check(args: HardenedBucketArgs): Diagnostic[] {
        const out: Diagnostic[] = [];
        const problems = bucketNameProblems(String(args.bucketName ?? ""));
        if (problems.length) out.push(diag("INVALID_BUCKET_NAME", `bucketName ${JSON.stringify(args.bucketName)} ${problems.join("; ")}.`, { path: "bucketName" }));
        if (!isAccountId(String(args.accountId ?? ""))) out.push(diag("INVALID_ACCOUNT", `accountId ${JSON.stringify(args.accountId)} is not a 12-digit account id.`, { path: "accountId" }));
        if (!isKnownRegion(String(args.region ?? ""))) out.push(diag("INVALID_REGION", `region ${JSON.stringify(args.region)} is not an AWS Region.`, { path: "region" }));
        if (args.kmsKeyArn !== undefined) {
            const key = parseKmsKeyArn(args.kmsKeyArn);
            if (!key) out.push(diag("KMS_KEY_INVALID", `kmsKeyArn ${JSON.stringify(args.kmsKeyArn)} is not a KMS key ARN or alias ARN.`, { path: "kmsKeyArn" }));
            else if (key.region !== args.region) out.push(diag("KMS_KEY_REGION_MISMATCH", `kmsKeyArn is in ${key.region}, the bucket in ${args.region}; S3 needs a key in the bucket's Region.`, { path: "kmsKeyArn" }));
        }
        return out;
    }
}
