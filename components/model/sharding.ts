/**
 * Sharded stacks: which part of a fleet one stack deploys. Every resource lands in exactly one
 * shard, chosen by a function of the resource's own identity: a source's configuration (and its
 * role) by the source, a bucket's settings and policy by the bucket itself. Adding or removing a
 * route never moves a resource between stacks; changing the shard settings does, and
 * `plan --diff` shows it.
 */
import { shortHash } from "./iam";

/** Which part of the manifest this stack deploys. */
export interface ShardSelector {
    /** Only routes whose source is in one of these accounts (ids). */
    sourceAccounts?: string[];
    /** Only routes whose source is in one of these Regions. */
    sourceRegions?: string[];
    /** With `count`: only sources whose name hashes to this index (0-based). */
    index?: number;
    count?: number;
    /**
     * Buckets (their settings and policy) this shard manages, by the bucket's own account.
     * Default: `sourceAccounts`. List destination-only accounts (e.g. a DR account) in exactly
     * one shard.
     */
    bucketAccounts?: string[];
    /** Buckets this shard manages, by the bucket's own Region. Default: `sourceRegions`. */
    bucketRegions?: string[];
}

/** Which of `count` shards a bucket name belongs to (stable FNV hash of the name). */
export function shardOf(name: string, count: number): number {
    return parseInt(shortHash(name), 16) % count;
}

export function routeInShard(route: { source: string; sourceAccount: string; sourceRegion: string }, shard: ShardSelector | undefined): boolean {
    if (!shard) return true;
    if (shard.sourceAccounts && !shard.sourceAccounts.includes(route.sourceAccount)) return false;
    if (shard.sourceRegions && !shard.sourceRegions.includes(route.sourceRegion)) return false;
    if (shard.count !== undefined && shard.index !== undefined && shardOf(route.source, shard.count) !== shard.index) return false;
    return true;
}

/**
 * Whether a bucket's settings and policy belong to this shard: a function of the bucket alone
 * (its name, account and Region). With `count` sharding every bucket has exactly one owner; with
 * account or Region selectors, the selectors of all shards must cover every bucket once.
 */
export function bucketInShard(bucket: { name: string; account: string; region: string }, shard: ShardSelector | undefined): boolean {
    if (!shard) return true;
    const accounts = shard.bucketAccounts ?? shard.sourceAccounts;
    const regions = shard.bucketRegions ?? shard.sourceRegions;
    if (accounts && !accounts.includes(bucket.account)) return false;
    if (regions && !regions.includes(bucket.region)) return false;
    if (shard.count !== undefined && shard.index !== undefined && shardOf(bucket.name, shard.count) !== shard.index) return false;
    return true;
}

/**
 * The shard's part of its roles' names, so that two shards never declare the same role: `s<index>`
 * for count sharding (without the count: when the count changes, a source that moves to another
 * shard moves to that shard's roles, and the roles that stay keep their names), else a hash of
 * the source selectors. Undefined without sharding (role names stay as they are).
 */
export function shardTag(shard: ShardSelector | undefined): string | undefined {
    if (!shard) return undefined;
    if (shard.index !== undefined && !shard.sourceAccounts && !shard.sourceRegions) return `s${shard.index}`;
    const selector = JSON.stringify([shard.sourceAccounts ?? [], shard.sourceRegions ?? [], shard.index ?? null]);
    return `s${shortHash(selector)}`;
}
