/**
 * What every policy of the pack shares: resource type groups, reading props that may hold
 * unknown values (a preview), a resource's Region and account, and config helpers.
 */
import * as policySdk from "@pulumi/policy";
import { PolicyProviderResource, ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { UNKNOWN, Unknown, accountOfArn } from "../../../components/model/policy-checks";

export { UNKNOWN };
export type { Unknown };

/**
 * The pulumi-aws (v7) type tokens each policy looks at, as the engine sends them in `args.type`;
 * deprecated V2 aliases are included so older programs are covered too. Tokens, not the
 * @pulumi/aws classes: the published pack then needs neither @pulumi/aws nor its size, and a test
 * holds each token to the class's own `__pulumiType`.
 */
const TYPE_GROUPS = {
    bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
    versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
    encryption: [
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    ],
    publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
    ownership: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"],
    bucketPolicy: ["aws:s3/bucketPolicy:BucketPolicy"],
    acl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
    objectLock: [
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
    ],
    replication: ["aws:s3/bucketReplicationConfig:BucketReplicationConfig"],
    role: ["aws:iam/role:Role"],
    rolePolicy: ["aws:iam/rolePolicy:RolePolicy"],
    iamPolicy: ["aws:iam/policy:Policy"],
    rolePolicyAttachment: ["aws:iam/rolePolicyAttachment:RolePolicyAttachment"],
} satisfies Record<string, string[]>;

export type TypeGroup = keyof typeof TYPE_GROUPS;

export const TYPES: { readonly [K in TypeGroup]: readonly string[] } = TYPE_GROUPS;

/** Whether a type token is one of the given ones. */
export function isAnyOf(type: string, tokens: readonly string[]): boolean {
    return tokens.includes(type);
}

export function isOfGroup(type: string, group: TypeGroup): boolean {
    return isAnyOf(type, TYPES[group]);
}

/** Plain data read from props: JSON values, with UNKNOWN where the engine does not know a value yet. */
export type Plain = Record<string, unknown>;

/** The SDK's UnknownValueError (exported at runtime; its typings are internal). */
const UnknownValueError = (policySdk as unknown as { UnknownValueError: new (...args: unknown[]) => Error & { unknownTypeSentinel?: unknown } })
    .UnknownValueError;

export function isUnknownValueError(e: unknown): e is Error & { unknownTypeSentinel?: unknown } {
    return typeof UnknownValueError === "function" && e instanceof UnknownValueError;
}

function readThrough(obj: Record<string | number, unknown>, key: string | number): unknown {
    try {
        return obj[key];
    } catch (e) {
        if (isUnknownValueError(e)) return UNKNOWN;
        throw e;
    }
}

/**
 * A deep plain copy of props wrapped in the SDK's unknown-checking proxy, with UNKNOWN in place
 * of each value that would throw. Policies reason about unknowns explicitly instead of letting the
 * first one abort the whole policy with "can't run during preview".
 */
export function peel(value: unknown): unknown {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
        const n = value.length;
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) out.push(peel(readThrough(value as unknown as Record<number, unknown>, i)));
        return out;
    }
    const out: Plain = {};
    for (const k of Object.keys(value)) out[k] = peel(readThrough(value as Record<string, unknown>, k));
    return out;
}

export function peelProps(props: unknown): Plain {
    const p = peel(props);
    return p !== null && typeof p === "object" && !Array.isArray(p) ? (p as Plain) : {};
}

/** `obj.a.b.c` on plain data; UNKNOWN as soon as a step is unknown, undefined when absent. */
export function at(obj: unknown, ...path: Array<string | number>): unknown {
    let cur: unknown = obj;
    for (const k of path) {
        if (cur === UNKNOWN) return UNKNOWN;
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string | number, unknown>)[k];
    }
    return cur;
}

export function asList(v: unknown): unknown[] | Unknown {
    if (v === UNKNOWN) return UNKNOWN;
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : [v];
}

/** Provider config values arrive JSON-encoded when they are not strings (`allowedAccountIds`, `assumeRoles`). */
function decodeProviderValue(v: unknown): unknown {
    if (typeof v === "string" && /^[[{]/.test(v.trim())) {
        try {
            return JSON.parse(v);
        } catch {
            return v;
        }
    }
    return v;
}

/** The Region a resource lives in: its own `region` input (v7), else its provider's, else unknown. */
export function regionOf(props: Plain, provider: PolicyProviderResource | undefined): string | undefined {
    if (typeof props.region === "string" && props.region) return props.region;
    if (!provider) return undefined;
    const region = peelProps(provider.props).region;
    return typeof region === "string" && region ? region : undefined;
}

/** The account a provider deploys to, when its config pins one (allowedAccountIds or an assume-role ARN). */
export function providerAccount(provider: PolicyProviderResource | undefined): string | undefined {
    if (!provider) return undefined;
    const p = peelProps(provider.props);
    const allowed = decodeProviderValue(p.allowedAccountIds);
    if (Array.isArray(allowed) && allowed.length === 1 && /^\d{12}$/.test(String(allowed[0]))) return String(allowed[0]);
    const roles = decodeProviderValue(p.assumeRoles);
    const first = Array.isArray(roles) ? roles[0] : roles;
    const fromRole = accountOfArn(at(first, "roleArn"));
    if (fromRole) return fromRole;
    return accountOfArn(at(decodeProviderValue(p.assumeRole), "roleArn"));
}

/**
 * A validation that applies to the given types only (notApplicable otherwise, as
 * validateResourceOfType does) and receives the props as plain data.
 */
export function validateTypes(
    tokens: readonly string[],
    validate: (props: Plain, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
    const fn: ResourceValidation = (args, report) => {
        if (!isAnyOf(args.type, tokens)) {
            args.notApplicable(`Policy only applies to resources of type ${tokens.map(t => `'${t}'`).join(" or ")}`);
        }
        validate(peelProps(args.props), args, report);
    };
    // Like validateResourceOfType: lets the engine skip other types without calling us.
    if (tokens.length === 1) (fn as unknown as { __pulumiType: string }).__pulumiType = tokens[0];
    return fn;
}

/**
 * Run `fn` on props in place for a remediation. An unknown value read by `fn` makes it return
 * undefined (no change) instead of failing: the remediation runs again when values are known.
 */
export function tryRemediate<T>(fn: () => T): T | undefined {
    try {
        return fn();
    } catch (e) {
        if (isUnknownValueError(e)) return undefined;
        throw e;
    }
}

/** Read config with defaults; values of the wrong type fall back to the default. */
export function configOf<T extends Record<string, unknown>>(raw: object, defaults: T): T {
    const out: Record<string, unknown> = { ...defaults };
    for (const [k, def] of Object.entries(defaults)) {
        const v = (raw as Record<string, unknown>)[k];
        if (v === undefined) continue;
        if (Array.isArray(def) ? Array.isArray(v) : typeof v === typeof def) out[k] = v;
    }
    return out as T;
}

/** A resource's display name for messages: `type name`. */
export function describe(type: string, name: string): string {
    return `${type.split(":").pop()} "${name}"`;
}

export function isKnownString(v: unknown): v is string {
    return typeof v === "string";
}
