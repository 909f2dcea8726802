/** Default encryption: SSE-S3 or SSE-KMS (a customer managed key where configured), with the bucket key on. */
import { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, isAnyOf, UNKNOWN, at, asList, configOf, tryRemediate, validateTypes, Plain } from "./common";

export interface EncryptionConfig extends Record<string, unknown> {
    /** Require SSE-KMS (or DSSE-KMS) with a customer managed key instead of SSE-S3. */
    requireKms: boolean;
    /** When not empty, the only KMS keys default encryption may use (key or alias ARNs). */
    allowedKmsKeyArns: string[];
    /** Require the S3 Bucket Key with SSE-KMS (it cuts KMS requests, and their cost, by up to 99%). */
    requireBucketKey: boolean;
}

export const ENCRYPTION_DEFAULTS: EncryptionConfig = { requireKms: false, allowedKmsKeyArns: [], requireBucketKey: true };

const ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

/** Problems of one server-side encryption rule (in the BucketServerSideEncryptionConfiguration shape). */
export function encryptionRuleProblems(rule: unknown, where: string, cfg: EncryptionConfig): string[] {
    if (rule === UNKNOWN) return [];
    const byDefault = at(rule, "applyServerSideEncryptionByDefault");
    if (byDefault === UNKNOWN) return [];
    if (byDefault === undefined || byDefault === null) {
        return [`${where} sets no default encryption; set applyServerSideEncryptionByDefault.sseAlgorithm to "aws:kms" (with a key) or "AES256".`];
    }
    const algorithm = at(byDefault, "sseAlgorithm");
    if (algorithm === UNKNOWN) return [];
    if (typeof algorithm !== "string" || !ALGORITHMS.includes(algorithm)) {
        return [`${where} uses sseAlgorithm ${JSON.stringify(algorithm)}; use one of ${ALGORITHMS.join(", ")}.`];
    }
    const problems: string[] = [];
    const kmsRequired = cfg.requireKms || cfg.allowedKmsKeyArns.length > 0;
    const isKms = algorithm !== "AES256";
    if (kmsRequired && !isKms) {
        problems.push(
            `${where} uses SSE-S3 (AES256); this organisation requires SSE-KMS with a customer managed key: set sseAlgorithm "aws:kms" and kmsMasterKeyId.`,
        );
    }
    if (isKms) {
        const key = at(byDefault, "kmsMasterKeyId");
        if (key !== UNKNOWN) {
            const awsManaged = key === undefined || key === "" || (typeof key === "string" && /(^|:)alias\/aws\//.test(key));
            if (kmsRequired && awsManaged) {
                problems.push(
                    `${where} uses the AWS managed key aws/s3; set kmsMasterKeyId to a customer managed key ARN (replicas in other accounts cannot be decrypted with aws/s3, and its policy cannot be changed).`,
                );
            } else if (cfg.allowedKmsKeyArns.length > 0 && typeof key === "string" && !cfg.allowedKmsKeyArns.includes(key)) {
                problems.push(`${where} uses KMS key ${key}, which is not in allowedKmsKeyArns (${cfg.allowedKmsKeyArns.join(", ")}).`);
            }
        }
        const bucketKey = at(rule, "bucketKeyEnabled");
        if (cfg.requireBucketKey && algorithm === "aws:kms" && bucketKey !== UNKNOWN && bucketKey !== true) {
            problems.push(
                `${where} uses SSE-KMS without the S3 Bucket Key; set bucketKeyEnabled: true (every object otherwise costs a KMS request, and replication doubles them).`,
            );
        }
    }
    return problems;
}

function validate(props: Plain, args: ResourceValidationArgs, report: (m: string) => void): void {
    const cfg = configOf(args.getConfig<Partial<EncryptionConfig>>(), ENCRYPTION_DEFAULTS);
    if (isAnyOf(args.type, TYPES.bucket)) {
        // Deprecated inline form on aws.s3.Bucket; a separate configuration resource is checked on its own.
        const inline = props.serverSideEncryptionConfiguration;
        if (inline === undefined || inline === null || inline === UNKNOWN) return;
        for (const p of encryptionRuleProblems(at(inline, "rule"), "the inline serverSideEncryptionConfiguration", cfg)) report(p);
        return;
    }
    const rules = asList(props.rules);
    if (rules === UNKNOWN) return;
    if (rules.length === 0) {
        report("the configuration has no rules; add one with applyServerSideEncryptionByDefault.");
        return;
    }
    rules.forEach((rule, i) => {
        for (const p of encryptionRuleProblems(rule, rules.length === 1 ? "the rule" : `rule #${i + 1}`, cfg)) report(p);
    });
}

interface EncryptionRuleProps {
    applyServerSideEncryptionByDefault?: { sseAlgorithm?: string };
    bucketKeyEnabled?: boolean;
}

/** Turn the bucket key on for SSE-KMS rules: safe (no data is rewritten) and only ever cheaper. */
function remediate(args: ResourceValidationArgs): Record<string, unknown> | undefined {
    const isBucket = isAnyOf(args.type, TYPES.bucket);
    if (!isBucket && !isAnyOf(args.type, TYPES.encryption)) {
        args.notApplicable("Policy only applies to S3 buckets and their server-side encryption configurations");
    }
    const cfg = configOf(args.getConfig<Partial<EncryptionConfig>>(), ENCRYPTION_DEFAULTS);
    if (!cfg.requireBucketKey) return undefined;
    const props = args.props as { rules?: EncryptionRuleProps[]; serverSideEncryptionConfiguration?: { rule?: EncryptionRuleProps } };
    const rules =
        tryRemediate(() => {
            if (isBucket) {
                const rule = props.serverSideEncryptionConfiguration?.rule;
                return rule ? [rule] : [];
            }
            const list = props.rules ?? [];
            const out: EncryptionRuleProps[] = [];
            for (let i = 0; i < list.length; i++) out.push(list[i]);
            return out;
        }) ?? [];
    // Decide with reads first (an unknown rule is left alone), then write.
    const toFix = rules.filter(
        r => tryRemediate(() => r.applyServerSideEncryptionByDefault?.sseAlgorithm === "aws:kms" && r.bucketKeyEnabled !== true) === true,
    );
    if (toFix.length === 0) return undefined;
    for (const r of toFix) r.bucketKeyEnabled = true;
    return args.props;
}

export const encryptionPolicy: ResourceValidationPolicy = {
    name: "s3-bucket-encryption",
    displayName: "S3 default encryption",
    description: "S3 buckets are encrypted by default: SSE-S3, or SSE-KMS with a customer managed key where configured, with the S3 Bucket Key enabled.",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["s3", "encryption"],
    remediationSteps:
        'Give each bucket an aws.s3.BucketServerSideEncryptionConfiguration whose rule sets applyServerSideEncryptionByDefault ({ sseAlgorithm: "aws:kms", kmsMasterKeyId: <customer managed key ARN> } or "AES256") and bucketKeyEnabled: true. Run with enforcement level "remediate" to enable the bucket key automatically.',
    configSchema: {
        properties: {
            requireKms: {
                type: "boolean",
                default: ENCRYPTION_DEFAULTS.requireKms,
                description: "Require SSE-KMS with a customer managed key (SSE-S3 and the aws/s3 key are refused).",
            },
            allowedKmsKeyArns: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "When not empty, the only KMS key ARNs default encryption may use (implies requireKms).",
            },
            requireBucketKey: { type: "boolean", default: ENCRYPTION_DEFAULTS.requireBucketKey, description: "Require bucketKeyEnabled with SSE-KMS." },
        },
    },
    validateResource: validateTypes([...TYPES.encryption, ...TYPES.bucket], validate),
    remediateResource: remediate,
};
