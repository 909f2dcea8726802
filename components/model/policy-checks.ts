/**
 * Pure checks on IAM and S3 bucket policy documents: the TLS-only deny, public principals, the
 * replication role's trust and the absence of wildcards in its permissions. The policy pack runs
 * them on whatever any program registers; tests of the components can run them on the documents
 * the components render.
 *
 * During a Pulumi preview parts of a document may not be known yet. Such values are represented
 * by `UNKNOWN`, and every check is three-valued: it passes, fails, or cannot tell yet. "Cannot
 * tell" is never reported as a failure: the same check runs again with known values on `up`.
 */
import { asArray } from "./policy-document";

/** A value that is not known yet (a Pulumi preview before its dependencies exist). */
export const UNKNOWN: unique symbol = Symbol.for("pulumi-s3-replication.unknown");
export type Unknown = typeof UNKNOWN;

export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

/** True when `value` is or contains an unknown value anywhere. */
export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
    return false;
}

export type Verdict = "pass" | "fail" | "unknown";

/** A statement as found in a document: any field may be unknown, or the whole statement. */
export type RawStatement = Record<string, unknown> | Unknown;

export type ParsedPolicy = { kind: "unknown" } | { kind: "invalid"; reason: string } | { kind: "ok"; statements: RawStatement[] };

/**
 * Read a policy document given as a JSON string or as an object (Pulumi accepts both).
 * An unknown document, or an unknown `Statement` list, is "unknown", not a failure.
 */
export function parsePolicy(value: unknown): ParsedPolicy {
    if (value === UNKNOWN) return { kind: "unknown" };
    let doc: unknown = value;
    if (typeof value === "string") {
        try {
            doc = JSON.parse(value);
        } catch (e) {
            return { kind: "invalid", reason: `the policy is not valid JSON (${(e as Error).message})` };
        }
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        return { kind: "invalid", reason: "the policy is not a JSON object" };
    }
    const statement = (doc as Record<string, unknown>).Statement;
    if (statement === UNKNOWN) return { kind: "unknown" };
    if (statement === undefined) return { kind: "ok", statements: [] };
    const list = Array.isArray(statement) ? statement : [statement];
    const statements: RawStatement[] = [];
    for (const s of list) {
        if (s === UNKNOWN) statements.push(UNKNOWN);
        else if (s !== null && typeof s === "object" && !Array.isArray(s)) statements.push(s as Record<string, unknown>);
        else return { kind: "invalid", reason: "a statement is not a JSON object" };
    }
    return { kind: "ok", statements };
}

type Tri = boolean | Unknown;

/** All of: false if any is false, else unknown if any is unknown, else true. */
function allOf(values: Tri[]): Tri {
    if (values.includes(false)) return false;
    return values.includes(UNKNOWN) ? UNKNOWN : true;
}

/** A OneOrMany field as a list; unknown when the field itself is unknown. */
function list(value: unknown): unknown[] | Unknown {
    if (value === UNKNOWN) return UNKNOWN;
    return asArray(value as unknown);
}

/** Case-insensitive lookup of an object key (IAM condition operators and keys are case-insensitive). */
function getCI(obj: unknown, key: string): unknown {
    if (obj === null || typeof obj !== "object") return undefined;
    const k = Object.keys(obj).find(x => x.toLowerCase() === key.toLowerCase());
    return k === undefined ? undefined : (obj as Record<string, unknown>)[k];
}

/** IAM's `*` and `?` wildcards, matched against a concrete string. */
export function wildcardMatches(pattern: string, value: string): boolean {
    const re =
        "^" +
        pattern
            .split("")
            .map(c => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/]/g, "\\$&")))
            .join("") +
        "$";
    return new RegExp(re, "s").test(value);
}

const PARTITIONS = ["aws", "aws-cn", "aws-us-gov", "aws-eusc"] as const;

/** Does the principal mean "everyone"? (`"*"`, `{AWS: "*"}` or `{AWS: [..., "*"]}`.) */
export function principalIsEveryone(principal: unknown): Tri {
    if (principal === UNKNOWN) return UNKNOWN;
    if (principal === "*") return true;
    if (principal === null || typeof principal !== "object") return false;
    const aws = list((principal as Record<string, unknown>).AWS);
    if (aws === UNKNOWN) return UNKNOWN;
    if (aws.includes("*")) return true;
    return aws.includes(UNKNOWN) ? UNKNOWN : false;
}

function actionsCoverAllS3(action: unknown): Tri {
    const actions = list(action);
    if (actions === UNKNOWN) return UNKNOWN;
    if (actions.some(a => typeof a === "string" && (a === "*" || a.toLowerCase() === "s3:*"))) return true;
    return actions.includes(UNKNOWN) ? UNKNOWN : false;
}

function isFalse(v: unknown): Tri {
    if (v === UNKNOWN) return UNKNOWN;
    const vs = asArray(v as unknown);
    if (vs.some(x => x === false || (typeof x === "string" && x.toLowerCase() === "false"))) return true;
    return vs.includes(UNKNOWN) ? UNKNOWN : false;
}

/** `Bool {aws:SecureTransport: false}` or `NumericLessThan {s3:TlsVersion: ...}`. */
function conditionDeniesInsecureTransport(condition: unknown): Tri {
    if (condition === UNKNOWN) return UNKNOWN;
    if (condition === null || typeof condition !== "object") return false;
    let sawUnknown = false;
    for (const op of ["Bool", "BoolIfExists"]) {
        const block = getCI(condition, op);
        if (block === UNKNOWN) {
            sawUnknown = true;
            continue;
        }
        const v = getCI(block, "aws:SecureTransport");
        if (v === undefined) continue;
        const r = isFalse(v);
        if (r === true) return true;
        if (r === UNKNOWN) sawUnknown = true;
    }
    const numeric = getCI(condition, "NumericLessThan");
    if (numeric === UNKNOWN) sawUnknown = true;
    else if (getCI(numeric, "s3:TlsVersion") !== undefined) return true;
    return sawUnknown ? UNKNOWN : false;
}

/** Object keys used to test that a resource pattern covers every object of a bucket. */
const ANY_KEYS = ["\u0000", "\u0000/\u0001\u0002\u0003"];

function resourcesCoverBucket(resource: unknown, bucket: string | Unknown | undefined): Tri {
    const resources = list(resource);
    if (resources === UNKNOWN) return UNKNOWN;
    const strings = resources.filter((r): r is string => typeof r === "string");
    const someUnknown = resources.includes(UNKNOWN);
    let bucketCovered: boolean;
    let objectsCovered: boolean;
    if (typeof bucket === "string") {
        bucketCovered = strings.some(r => PARTITIONS.some(p => wildcardMatches(r, `arn:${p}:s3:::${bucket}`)));
        objectsCovered = strings.some(r => PARTITIONS.some(p => ANY_KEYS.every(k => wildcardMatches(r, `arn:${p}:s3:::${bucket}/${k}`))));
    } else {
        // The bucket's name is not known yet: accept "<bucket ARN>" together with "<bucket ARN>/*".
        const everything = strings.includes("*");
        const bucketArns = strings.filter(r => /^arn:[a-z-]+:s3:::[^/]+$/.test(r));
        bucketCovered = everything || bucketArns.length > 0;
        objectsCovered = everything || bucketArns.some(b => strings.includes(`${b}/*`));
    }
    if (bucketCovered && objectsCovered) return true;
    return someUnknown ? UNKNOWN : false;
}

export interface DocumentCheck {
    verdict: Verdict;
    /** What is wrong, one line each (empty unless the verdict is "fail"). */
    problems: string[];
}

/**
 * Does the bucket policy deny every request that does not use TLS, on the bucket and on all of
 * its objects? (A Deny for Principal "*" on `s3:*` (or `*`) with `Bool aws:SecureTransport =
 * false`, or `NumericLessThan s3:TlsVersion`.) `bucket` is the bucket's name when known.
 */
export function checkTlsOnlyPolicy(policy: unknown, bucket?: string | Unknown): DocumentCheck {
    const parsed = parsePolicy(policy);
    if (parsed.kind === "unknown") return { verdict: "unknown", problems: [] };
    if (parsed.kind === "invalid") return { verdict: "fail", problems: [parsed.reason] };
    let unknown = false;
    for (const s of parsed.statements) {
        if (s === UNKNOWN) {
            unknown = true;
            continue;
        }
        if ("NotPrincipal" in s || "NotAction" in s || "NotResource" in s) continue;
        const r = allOf([
            s.Effect === UNKNOWN ? UNKNOWN : s.Effect === "Deny",
            principalIsEveryone(s.Principal),
            actionsCoverAllS3(s.Action),
            conditionDeniesInsecureTransport(s.Condition),
            resourcesCoverBucket(s.Resource, bucket),
        ]);
        if (r === true) return { verdict: "pass", problems: [] };
        if (r === UNKNOWN) unknown = true;
    }
    if (unknown) return { verdict: "unknown", problems: [] };
    const target = typeof bucket === "string" ? `arn:aws:s3:::${bucket} and arn:aws:s3:::${bucket}/*` : "the bucket ARN and <bucket ARN>/*";
    return {
        verdict: "fail",
        problems: [
            `no statement denies insecure transport: add {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":[${target}],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
        ],
    };
}

function hasCondition(condition: unknown): Tri {
    if (condition === UNKNOWN) return UNKNOWN;
    return condition !== null && typeof condition === "object" && Object.keys(condition).length > 0;
}

/** Allow statements that grant everyone access without any condition (or via NotPrincipal). */
export function checkNoPublicAllow(policy: unknown): DocumentCheck {
    return checkAllowStatements(policy, "statement", (s, name, problems, markUnknown) => {
        if ("NotPrincipal" in s) {
            problems.push(`${name} allows with NotPrincipal, which grants everyone not listed; name the principals in Principal instead.`);
            return;
        }
        const everyone = principalIsEveryone(s.Principal);
        const conditioned = hasCondition(s.Condition);
        if (everyone === true && conditioned === false) {
            problems.push(
                `${name} allows Principal "*" without a condition; name the principals, or restrict it with a condition such as aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID.`,
            );
        } else if (everyone === UNKNOWN || (everyone === true && conditioned === UNKNOWN)) {
            markUnknown();
        }
    });
}

/** The services S3 replication and S3 Batch Operations assume a role as. */
export const REPLICATION_SERVICE_PRINCIPALS = ["s3.amazonaws.com", "batchoperations.s3.amazonaws.com"] as const;

function services(principal: unknown): unknown[] {
    if (principal === null || typeof principal !== "object") return [];
    return asArray((principal as Record<string, unknown>).Service as unknown);
}

/**
 * Does this trust policy let S3 (replication) or S3 Batch Operations assume the role? Roles that
 * it does are the ones the least-privilege checks apply to.
 */
export function trustsReplicationService(policy: unknown): Tri {
    const parsed = parsePolicy(policy);
    if (parsed.kind === "unknown") return UNKNOWN;
    if (parsed.kind === "invalid") return false;
    let unknown = false;
    for (const s of parsed.statements) {
        if (s === UNKNOWN || s.Effect === UNKNOWN || s.Principal === UNKNOWN) {
            unknown = true;
            continue;
        }
        if (s.Effect !== "Allow") continue;
        const svc = services(s.Principal);
        if (svc.some(x => typeof x === "string" && (REPLICATION_SERVICE_PRINCIPALS as readonly string[]).includes(x))) return true;
        if (svc.includes(UNKNOWN) || getCI(s.Principal, "Service") === UNKNOWN) unknown = true;
    }
    return unknown ? UNKNOWN : false;
}

function wildcard(s: string): boolean {
    return s.includes("*") || s.includes("?");
}

/**
 * The trust policy of a replication role: only the S3 and S3 Batch Operations services may
 * assume it, and only with `sts:AssumeRole`. No condition is required: the S3 User Guide
 * documents both trust policies without one ("Setting up permissions for live replication",
 * "Granting permissions for Batch Operations"), and no AWS page confirms that these services send
 * aws:SourceAccount. A condition that IS given must be well formed (12-digit account ids).
 */
export function checkReplicationTrustPolicy(policy: unknown): DocumentCheck {
    return checkAllowStatements(policy, "trust statement", (s, name, problems, markUnknown) => {
        if ("NotPrincipal" in s) problems.push(`${name} uses NotPrincipal; trust only ${REPLICATION_SERVICE_PRINCIPALS.join(" and ")} in Principal.Service.`);
        const p = s.Principal;
        if (p === UNKNOWN) markUnknown();
        else if (p === "*" || p === null || typeof p !== "object") {
            if (!("NotPrincipal" in s))
                problems.push(`${name} trusts ${JSON.stringify(p)}; trust only the Service principals ${REPLICATION_SERVICE_PRINCIPALS.join(" and ")}.`);
        } else {
            for (const [kind, v] of Object.entries(p)) {
                if (kind !== "Service") {
                    problems.push(
                        `${name} trusts ${kind} principal(s) ${JSON.stringify(v === UNKNOWN ? "(unknown)" : v)}; a replication role is assumed only by ${REPLICATION_SERVICE_PRINCIPALS.join(" and ")}.`,
                    );
                    continue;
                }
                if (v === UNKNOWN) {
                    markUnknown();
                    continue;
                }
                for (const svc of asArray(v as unknown)) {
                    if (svc === UNKNOWN) markUnknown();
                    else if (!(REPLICATION_SERVICE_PRINCIPALS as readonly unknown[]).includes(svc)) {
                        problems.push(
                            `${name} trusts service ${JSON.stringify(svc)}; a replication role is assumed only by ${REPLICATION_SERVICE_PRINCIPALS.join(" and ")}.`,
                        );
                    }
                }
            }
        }
        const actions = list(s.Action);
        if (actions === UNKNOWN) markUnknown();
        else {
            for (const a of actions) {
                if (typeof a === "string" && wildcard(a)) problems.push(`${name} allows ${JSON.stringify(a)}; allow only "sts:AssumeRole".`);
            }
        }
        if ("NotAction" in s) problems.push(`${name} uses NotAction; allow only "sts:AssumeRole".`);
        const c = s.Condition;
        if (c === UNKNOWN) {
            markUnknown();
            return;
        }
        const eq = [getCI(c, "StringEquals"), getCI(c, "StringLike")];
        if (eq.includes(UNKNOWN)) {
            markUnknown();
            return;
        }
        for (const v of eq.map(block => getCI(block, "aws:SourceAccount")).filter(x => x !== undefined)) {
            if (v === UNKNOWN) {
                markUnknown();
                continue;
            }
            for (const acct of asArray(v as unknown)) {
                if (acct === UNKNOWN) markUnknown();
                else if (typeof acct !== "string" || !/^\d{12}$/.test(acct)) {
                    problems.push(`${name}: aws:SourceAccount must name 12-digit account ids (is ${JSON.stringify(acct)}).`);
                }
            }
        }
    });
}

/**
 * A replication role's permissions: no wildcard actions, no `*` resources, no wildcard in a
 * bucket name or in a non-S3 ARN (an object-key wildcard such as `arn:aws:s3:::bucket/*` is
 * fine: replication works on every object of the bucket), no NotAction / NotResource allows.
 */
export function checkLeastPrivilegePolicy(policy: unknown): DocumentCheck {
    return checkAllowStatements(policy, "statement", (s, name, problems, markUnknown) => {
        if ("NotAction" in s) problems.push(`${name} allows NotAction, which grants every other action; list the actions instead.`);
        if ("NotResource" in s) problems.push(`${name} allows NotResource, which grants every other resource; list the resources instead.`);
        const actions = list(s.Action);
        if (actions === UNKNOWN) markUnknown();
        else {
            for (const a of actions) {
                if (a === UNKNOWN) markUnknown();
                else if (typeof a === "string" && wildcard(a))
                    problems.push(`${name} allows the wildcard action ${JSON.stringify(a)}; list the exact actions replication needs.`);
            }
        }
        if (!("Resource" in s) && !("NotResource" in s)) {
            problems.push(`${name} names no Resource; scope it to exact bucket and key ARNs.`);
            return;
        }
        const resources = list(s.Resource);
        if (resources === UNKNOWN) {
            markUnknown();
            return;
        }
        for (const r of resources) {
            if (r === UNKNOWN) {
                markUnknown();
                continue;
            }
            if (typeof r !== "string") continue;
            const why = resourceWildcardProblem(r);
            if (why) problems.push(`${name}: ${why}`);
        }
    });
}

/**
 * The scaffolding both document checks share: parse, skip what is not an Allow, name each
 * statement, and turn problems and unknowns into a verdict.
 */
function checkAllowStatements(
    policy: unknown,
    label: string,
    visit: (s: Record<string, unknown>, name: string, problems: string[], markUnknown: () => void) => void,
): DocumentCheck {
    const parsed = parsePolicy(policy);
    if (parsed.kind === "unknown") return { verdict: "unknown", problems: [] };
    if (parsed.kind === "invalid") return { verdict: "fail", problems: [parsed.reason] };
    const problems: string[] = [];
    let unknown = false;
    parsed.statements.forEach((s, i) => {
        if (s === UNKNOWN || s.Effect === UNKNOWN) {
            unknown = true;
            return;
        }
        if (s.Effect !== "Allow") return;
        const name = typeof s.Sid === "string" ? `${label} "${s.Sid}"` : `${label} #${i + 1}`;
        visit(s, name, problems, () => {
            unknown = true;
        });
    });
    if (problems.length > 0) return { verdict: "fail", problems };
    return { verdict: unknown ? "unknown" : "pass", problems: [] };
}

function resourceWildcardProblem(r: string): string | undefined {
    if (r === "*") return `the resource "*" grants every resource; name the exact bucket and key ARNs.`;
    const s3 = /^arn:[a-z-]+:s3:::(.*)$/.exec(r);
    if (s3) {
        const bucketPart = s3[1].split("/")[0];
        if (wildcard(bucketPart)) return `the resource ${JSON.stringify(r)} has a wildcard in the bucket name; name each bucket.`;
        return undefined;
    }
    if (wildcard(r)) return `the resource ${JSON.stringify(r)} contains a wildcard; name the exact ARN.`;
    return undefined;
}

/** The 12-digit account of an ARN (`arn:aws:iam::123456789012:role/x`), if it has one. */
export function accountOfArn(arn: unknown): string | undefined {
    if (typeof arn !== "string") return undefined;
    const m = /^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/.exec(arn);
    return m ? m[1] : undefined;
}

/** The bucket name of an S3 bucket ARN (`arn:aws:s3:::name`), if it is one. */
export function bucketNameOfArn(arn: unknown): string | undefined {
    if (typeof arn !== "string") return undefined;
    const m = /^arn:[a-z-]+:s3:::([^/]+)$/.exec(arn);
    return m ? m[1] : undefined;
}

/** A request as a bucket policy sees it, for {@link bucketPolicyAllows}. */
export interface BucketPolicyRequest {
    /** The caller's aws:PrincipalArn: for a role session, the role's ARN (with its path). */
    principalArn: string;
    action: string;
    /** A bucket or object ARN. */
    resource: string;
}

function principalMatches(s: Record<string, unknown>, principalArn: string): Tri {
    if ("NotPrincipal" in s) return UNKNOWN;
    const p = s.Principal;
    if (p === UNKNOWN) return UNKNOWN;
    if (p === "*") return true;
    if (p === null || typeof p !== "object") return false;
    const entries = list((p as Record<string, unknown>).AWS);
    if (entries === UNKNOWN) return UNKNOWN;
    const account = accountOfArn(principalArn);
    let unknown = false;
    for (const e of entries) {
        if (e === UNKNOWN) {
            unknown = true;
            continue;
        }
        if (typeof e !== "string") continue;
        if (e === "*" || e === principalArn || (account !== undefined && (e === account || e === `arn:${principalArn.split(":")[1]}:iam::${account}:root`)))
            return true;
    }
    return unknown ? UNKNOWN : false;
}

function patternsMatch(value: unknown, target: string, caseInsensitive: boolean): Tri {
    const items = list(value);
    if (items === UNKNOWN) return UNKNOWN;
    const t = caseInsensitive ? target.toLowerCase() : target;
    if (items.some(i => typeof i === "string" && wildcardMatches(caseInsensitive ? i.toLowerCase() : i, t))) return true;
    return items.includes(UNKNOWN) ? UNKNOWN : false;
}

/**
 * Conditions a document alone can evaluate for a replication role's request: aws:PrincipalArn,
 * aws:PrincipalAccount and aws:SecureTransport (S3 replicates over TLS). Any other key: unknown.
 */
function conditionHolds(condition: unknown, req: BucketPolicyRequest): Tri {
    if (condition === undefined) return true;
    if (condition === UNKNOWN) return UNKNOWN;
    if (condition === null || typeof condition !== "object") return false;
    const facts: Record<string, string> = {
        "aws:principalarn": req.principalArn,
        "aws:principalaccount": accountOfArn(req.principalArn) ?? "",
        "aws:securetransport": "true",
    };
    const results: Tri[] = [];
    for (const [rawOp, block] of Object.entries(condition)) {
        if (block === UNKNOWN) {
            results.push(UNKNOWN);
            continue;
        }
        if (block === null || typeof block !== "object") return false;
        const op = rawOp.toLowerCase().replace(/ifexists$/, "");
        for (const [rawKey, values] of Object.entries(block)) {
            const fact = facts[rawKey.toLowerCase()];
            if (fact === undefined || values === UNKNOWN) {
                results.push(UNKNOWN);
                continue;
            }
            const vs = asArray(values as unknown);
            if (vs.includes(UNKNOWN)) {
                results.push(UNKNOWN);
                continue;
            }
            const strings = vs.map(v => String(v));
            switch (op) {
                case "stringequals":
                case "arnequals":
                    results.push(strings.includes(fact));
                    break;
                case "stringnotequals":
                case "arnnotequals":
                    results.push(!strings.includes(fact));
                    break;
                case "stringlike":
                case "arnlike":
                    results.push(strings.some(v => wildcardMatches(v, fact)));
                    break;
                case "stringnotlike":
                case "arnnotlike":
                    results.push(!strings.some(v => wildcardMatches(v, fact)));
                    break;
                case "bool":
                    results.push(strings.some(v => v.toLowerCase() === fact));
                    break;
                default:
                    results.push(UNKNOWN);
            }
        }
    }
    return allOf(results);
}

/**
 * Does this bucket policy allow the request, as far as the document alone can tell? Principal
 * (account id, account root, role ARN, "*"), Action and Resource wildcards, and conditions on the
 * keys {@link conditionHolds} knows. "fail" means no Allow applies or a Deny does; a statement
 * with NotPrincipal, NotAction, NotResource, another condition key or an unknown value makes the
 * answer "unknown" (a preview, or a policy only AWS can evaluate), never "fail".
 */
export function bucketPolicyAllows(policy: unknown, req: BucketPolicyRequest): Verdict {
    const parsed = parsePolicy(policy);
    if (parsed.kind === "unknown") return "unknown";
    if (parsed.kind === "invalid") return "fail";
    let allowed = false;
    let maybeAllowed = false;
    let maybeDenied = false;
    for (const s of parsed.statements) {
        // A statement not known yet may be either.
        if (s === UNKNOWN || s.Effect === UNKNOWN) {
            maybeAllowed = true;
            maybeDenied = true;
            continue;
        }
        const action: Tri = "NotAction" in s ? UNKNOWN : patternsMatch(s.Action, req.action, true);
        const resource: Tri = "NotResource" in s ? UNKNOWN : patternsMatch(s.Resource, req.resource, false);
        const applies = allOf([principalMatches(s, req.principalArn), action, resource, conditionHolds(s.Condition, req)]);
        if (applies === false) continue;
        if (s.Effect === "Deny") {
            if (applies === true) return "fail";
            maybeDenied = true;
        } else if (s.Effect === "Allow") {
            if (applies === true) allowed = true;
            else maybeAllowed = true;
        }
    }
    if (allowed) return maybeDenied ? "unknown" : "pass";
    return maybeAllowed ? "unknown" : "fail";
}
