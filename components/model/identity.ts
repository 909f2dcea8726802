/**
 * Identity: what a route, a rule, a priority and a backfill job ARE, as functions of the thing
 * itself (bucket names and the route's filter), never of a row number, a sort position or the
 * other routes. The engine deletes every URN that disappears from a stack and S3 keys metrics on
 * rule ids, so an edit to one route must leave every other route's names exactly as they were.
 */
import { shortHash } from "./iam";

/** Canonical, order-independent text of a filter: the prefix, then the tags sorted by key. */
export function filterKey(prefix: string, tags: Readonly<Record<string, string>>): string {
    const t = Object.keys(tags)
        .sort()
        .map(k => `${k}=${tags[k]}`)
        .join(";");
    return t ? `${prefix}|${t}` : prefix;
}

export function hasFilter(prefix: string, tags: Readonly<Record<string, string>>): boolean {
    return prefix !== "" || Object.keys(tags).length > 0;
}

/** `-<hash of the filter>` for a filtered route, nothing for an unfiltered one. */
function filterSuffix(prefix: string, tags: Readonly<Record<string, string>>): string {
    return hasFilter(prefix, tags) ? `-${shortHash(filterKey(prefix, tags))}` : "";
}

/**
 * A route's key: source and destination, plus its filter's hash when it has a filter. A second
 * route between the same buckets (another prefix) gets its own key and leaves the first alone.
 */
export function routeKey(source: string, destination: string, prefix: string, tags: Readonly<Record<string, string>>): string {
    return `${source}->${destination}${filterSuffix(prefix, tags)}`;
}

/** The rule id of a route whose manifest gives none: `to-<destination>[-<filter hash>]` (at most 75 characters). */
export function defaultRuleId(destination: string, prefix: string, tags: Readonly<Record<string, string>>): string {
    return `to-${destination}${filterSuffix(prefix, tags)}`;
}

/** Bits of a priority given to the rule's own hash; the bits above rank how specific its filter is. */
const HASH_BITS = 24;
const HASH_SPACE = 2 ** HASH_BITS;
const MAX_SPECIFICITY = 127;

/**
 * How specific a filter is: the prefix's length plus 16 per tag, at most 127. When several rules of
 * one source match an object and replicate to the same destination, S3 applies the one with the
 * highest priority, so the more specific rule (an exception like `logs/` inside everything) wins.
 */
export function filterSpecificity(prefix: string, tags: Readonly<Record<string, string>>): number {
    return Math.min(MAX_SPECIFICITY, prefix.length + 16 * Object.keys(tags).length);
}

/** The priority a rule gets from its identity alone: specificity × 2^24 + 24 bits of its key's hash (at most 2^31 − 1). */
export function identityPriority(key: string, prefix: string, tags: Readonly<Record<string, string>>): number {
    return filterSpecificity(prefix, tags) * HASH_SPACE + (parseInt(shortHash(key), 16) % HASH_SPACE);
}

export interface PriorityRequest {
    key: string;
    prefix: string;
    tags: Readonly<Record<string, string>>;
    /** A priority the manifest gives; kept as is. */
    explicit?: number;
}

/**
 * Priorities for the rules of one source: the explicit ones as given, the others from their own
 * identity. Only when two rules' identities land on the same number does one depend on the other:
 * the rule with the greater key takes the next free number in its specificity band. With 24 bits of
 * hash that takes about 100 rules on one source to reach a 1-in-3,000 chance.
 */
export function assignPriorities(requests: readonly PriorityRequest[]): Map<string, number> {
    const out = new Map<string, number>();
    const used = new Set<number>();
    for (const r of requests)
        if (r.explicit !== undefined) {
            out.set(r.key, r.explicit);
            used.add(r.explicit);
        }
    const open = requests.filter(r => r.explicit === undefined).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const r of open) {
        const base = identityPriority(r.key, r.prefix, r.tags);
        const band = base - (base % HASH_SPACE);
        let p = base;
        for (let i = 1; used.has(p) && i < HASH_SPACE; i++) p = band + ((base + i) % HASH_SPACE);
        used.add(p);
        out.set(r.key, p);
    }
    return out;
}

/**
 * A backfill job: one per source, filter and mode. A Batch Replication job replicates through
 * every enabled rule of its source, so routes of one source that share a filter and a mode need
 * one job, not one each.
 */
export function backfillJobName(source: string, mode: string, prefix: string, tags: Readonly<Record<string, string>>): string {
    return `backfill-${source}-${mode}${filterSuffix(prefix, tags)}`;
}
