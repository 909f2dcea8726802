/**
 * What every policy of the pack shares: resource type groups, reading props that may hold
 * unknown values (a preview), a resource's Region and account, and config helpers.
 */
import * as aws from "@pulumi/aws";
import * as policySdk from "@pulumi/policy";
import {
    PolicyProviderResource, ReportViolation, ResourceValidation, ResourceValidationArgs,
} from "@pulumi/policy";
import { UNKNOWN, Unknown, accountOfArn } from "../../../components/model/policy-checks";

export { UNKNOWN };
export type { Unknown };

/** A Pulumi resource class, as `isType` takes it. */
export type ResourceClass = Parameters<ResourceValidationArgs["isType"]>[0];

/** The @pulumi/aws (v7) classes each policy looks at; deprecated V2 aliases are included so older programs are covered too. */
const TYPE_GROUPS = {
    bucket: [aws.s3.Bucket, aws.s3.BucketV2],
    versioning: [aws.s3.BucketVersioning, aws.s3.BucketVersioningV2],
    encryption: [aws.s3.BucketServerSideEncryptionConfiguration, aws.s3.BucketServerSideEncryptionConfigurationV2],
    publicAccessBlock: [aws.s3.BucketPublicAccessBlock],
    ownership: [aws.s3.BucketOwnershipControls],
    bucketPolicy: [aws.s3.BucketPolicy],
    acl: [aws.s3.BucketAcl, aws.s3.BucketAclV2],
    objectLock: [aws.s3.BucketObjectLockConfiguration, aws.s3.BucketObjectLockConfigurationV2],
    replication: [aws.s3.BucketReplicationConfig],
    role: [aws.iam.Role],
    rolePolicy: [aws.iam.RolePolicy],
    iamPolicy: [aws.iam.Policy],
    rolePolicyAttachment: [aws.iam.RolePolicyAttachment],
} satisfies Record<string, ResourceClass[]>;

export type TypeGroup = keyof typeof TYPE_GROUPS;

export const TYPES: { readonly [K in TypeGroup]: readonly ResourceClass[] } = TYPE_GROUPS;

/** The type token of a resource class (`aws:s3/bucket:Bucket`). */
export function typeToken(cls: ResourceClass): string {
    return (cls as unknown as { __pulumiType: string }).__pulumiType;
}

export function isOfGroup(type: string, group: TypeGroup): boolean {
    return TYPES[group].some(c => typeToken(c) === type);
}

/** Plain data read from props: JSON values, with UNKNOWN where the engine does not know a value yet. */
export type Plain = Record<string, unknown>;

/** The SDK's UnknownValueError (exported at runtime; its typings are internal). */
const UnknownValueError = (policySdk as unknown as { UnknownValueError: new (...args: unknown[]) => Error & { unknownTypeSentinel?: unknown } }).UnknownValueError;

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
        try { return JSON.parse(v); } catch { return v; }
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
 * A validation that applies to the given classes only (notApplicable otherwise, as
 * validateResourceOfType does) and receives the props as plain data.
 */
export function validateTypes(
    classes: readonly ResourceClass[],
    validate: (props: Plain, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
    const fn: ResourceValidation = (args, report) => {
        if (!classes.some(c => args.isType(c))) {
            args.notApplicable(`Policy only applies to resources of type ${classes.map(typeToken).map(t => `'${t}'`).join(" or ")}`);
        }
        validate(peelProps(args.props), args, report);
    };
    // Like validateResourceOfType: lets the engine skip other types without calling us.
    if (classes.length === 1) (fn as unknown as { __pulumiType: string }).__pulumiType = typeToken(classes[0]);
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
