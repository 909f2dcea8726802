/**
 * What an adopted bucket's settings become: its current default encryption, object ownership and
 * public access block are kept unless stack config asks for a change, every change of an existing
 * setting is named, and a change that would cut off access someone has today is refused.
 *
 * AWS facts this relies on (S3 User Guide):
 * - "Controlling ownership of objects and disabling ACLs": with BucketOwnerEnforced, ACLs no longer
 *   affect permissions, and S3 refuses the setting while the bucket ACL grants access outside the
 *   account (error code InvalidBucketAclWithObjectOwnership); such grants have to move into the
 *   bucket policy first. A bucket without ownership controls behaves as ObjectWriter.
 * - "Blocking public access": IgnorePublicAcls makes S3 ignore ACL grants to the AllUsers and
 *   AuthenticatedUsers groups; a bucket without a public access block has all four flags off.
 * - "Setting default server-side encryption": every bucket has default encryption (SSE-S3 since
 *   January 2023); changing it applies to new objects only.
 */

/** Grantee URIs of the two public ACL groups (S3 API reference, Grantee). */
export const PUBLIC_ACL_GROUPS = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"] as const;

export interface ExistingEncryption {
    /** `AES256`, `aws:kms` or `aws:kms:dsse`. */
    sseAlgorithm: string;
    kmsMasterKeyId?: string;
    bucketKeyEnabled?: boolean;
}

export interface PublicAccessBlockFlags {
    blockPublicAcls: boolean;
    ignorePublicAcls: boolean;
    blockPublicPolicy: boolean;
    restrictPublicBuckets: boolean;
}

export interface AclGrant {
    /** Canonical user id, group URI or e-mail address, as the ACL names the grantee. */
    grantee: string;
    granteeType: string;
    permission: string;
}

/** An adopted bucket's settings as S3 reports them (GetBucketEncryption, -OwnershipControls, GetPublicAccessBlock, GetBucketAcl). */
export interface ExistingBucketSettings {
    /** Undefined: S3 reported no default encryption configuration. */
    encryption?: ExistingEncryption;
    /** Undefined: no ownership controls (S3 then behaves as ObjectWriter). */
    objectOwnership?: string;
    /** Undefined: no public access block on the bucket (all four flags off). */
    publicAccessBlock?: PublicAccessBlockFlags;
    /** The bucket owner's canonical id and the ACL's grants. */
    acl: { ownerId: string; grants: AclGrant[] };
}

/**
 * `keep` (the default): the adopted bucket keeps its encryption, ownership and public access block;
 * `harden`: it gets this package's settings (BucketOwnerEnforced, all four public-access-block
 * flags, SSE-S3 unless it already uses KMS), refused where that would break existing access.
 */
export type AdoptedSettingsMode = "keep" | "harden";

export const ADOPTED_SETTINGS_MODES: readonly AdoptedSettingsMode[] = ["keep", "harden"];

/** What the bucket's settings resources declare, and how that differs from what the bucket has. */
export interface AdoptedSettingsDecision {
    encryption: ExistingEncryption;
    objectOwnership: string;
    publicAccessBlock: PublicAccessBlockFlags;
    /** Each setting that changes, as `setting: before -> after`. */
    changes: string[];
    /** Why the requested settings cannot be applied without breaking access; empty when they can. */
    refusals: string[];
}

const ALL_BLOCKED: PublicAccessBlockFlags = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };
const NONE_BLOCKED: PublicAccessBlockFlags = { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false };

function describeEncryption(e: ExistingEncryption | undefined): string {
    if (!e) return "none";
    const key = e.kmsMasterKeyId ? ` ${e.kmsMasterKeyId}` : "";
    return `${e.sseAlgorithm}${key}${e.bucketKeyEnabled ? " (bucket key)" : ""}`;
}

function describeBlock(b: PublicAccessBlockFlags | undefined): string {
    if (!b) return "none";
    const on = (Object.keys(ALL_BLOCKED) as Array<keyof PublicAccessBlockFlags>).filter(k => b[k]);
    return on.length === 4 ? "all four flags" : on.length === 0 ? "no flags" : on.join(", ");
}

function sameEncryption(a: ExistingEncryption | undefined, b: ExistingEncryption): boolean {
    return !!a && a.sseAlgorithm === b.sseAlgorithm && (a.kmsMasterKeyId ?? "") === (b.kmsMasterKeyId ?? "") && !!a.bucketKeyEnabled === !!b.bucketKeyEnabled;
}

function sameBlock(a: PublicAccessBlockFlags | undefined, b: PublicAccessBlockFlags): boolean {
    const x = a ?? NONE_BLOCKED;
    return (Object.keys(ALL_BLOCKED) as Array<keyof PublicAccessBlockFlags>).every(k => x[k] === b[k]);
}

export interface AdoptedSettingsRequest {
    /** How the bucket's settings are treated; stack config `adoptedSettings` / `buckets.<name>.adoptedSettings`. */
    mode: AdoptedSettingsMode;
    /** A default-encryption key named in stack config (`buckets.<name>.kmsKeyArn`): always applied. */
    kmsKeyArn?: string;
}

/** The settings an adopted bucket gets, given what it has and what stack config asks for. */
export function decideAdoptedSettings(bucket: string, existing: ExistingBucketSettings, request: AdoptedSettingsRequest): AdoptedSettingsDecision {
    const harden = request.mode === "harden";
    const changes: string[] = [];
    const refusals: string[] = [];
    const configHint = `buckets.${bucket}.adoptedSettings`;

    // Encryption: a key named in config wins; otherwise keep, and harden never weakens KMS to SSE-S3.
    const usesKms = !!existing.encryption && existing.encryption.sseAlgorithm !== "AES256";
    const encryption: ExistingEncryption = request.kmsKeyArn
        ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: request.kmsKeyArn, bucketKeyEnabled: true }
        : existing.encryption && (!harden || usesKms)
          ? { ...existing.encryption }
          : { sseAlgorithm: "AES256" };
    if (!sameEncryption(existing.encryption, encryption)) {
        changes.push(`default encryption: ${describeEncryption(existing.encryption)} -> ${describeEncryption(encryption)}`);
    }

    const grantsOutside = existing.acl.grants.filter(g => g.grantee !== existing.acl.ownerId);
    const describeGrants = (gs: AclGrant[]) => gs.map(g => `${g.permission} to ${g.grantee}`).join(", ");

    // Ownership: keep what is there (no controls behave as ObjectWriter); harden to BucketOwnerEnforced.
    const before = existing.objectOwnership ?? "ObjectWriter";
    const objectOwnership = harden ? "BucketOwnerEnforced" : before;
    if (objectOwnership !== before) {
        changes.push(`object ownership: ${before} -> ${objectOwnership}`);
        if (objectOwnership === "BucketOwnerEnforced" && grantsOutside.length > 0) {
            refusals.push(
                `adopted bucket ${bucket}: BucketOwnerEnforced would turn off its ACL, which grants ${describeGrants(grantsOutside)}; ` +
                    `S3 refuses that setting while the ACL grants access (InvalidBucketAclWithObjectOwnership). Move those grants into the bucket policy first, or keep the bucket's settings (${configHint}: keep).`,
            );
        }
    }

    // Public access block: keep what is there; harden turns on all four flags.
    const publicAccessBlock = harden ? { ...ALL_BLOCKED } : { ...(existing.publicAccessBlock ?? NONE_BLOCKED) };
    if (!sameBlock(existing.publicAccessBlock, publicAccessBlock)) {
        changes.push(`public access block: ${describeBlock(existing.publicAccessBlock)} -> ${describeBlock(publicAccessBlock)}`);
        const publicGrants = existing.acl.grants.filter(g => (PUBLIC_ACL_GROUPS as readonly string[]).includes(g.grantee));
        const ignoredBefore = existing.publicAccessBlock?.ignorePublicAcls ?? false;
        if (publicAccessBlock.ignorePublicAcls && !ignoredBefore && publicGrants.length > 0) {
            refusals.push(
                `adopted bucket ${bucket}: IgnorePublicAcls would cut off the public access its ACL grants (${describeGrants(publicGrants)}). ` +
                    `Remove those grants (or serve the objects another way) first, or keep the bucket's settings (${configHint}: keep).`,
            );
        }
    }

    return { encryption, objectOwnership, publicAccessBlock, changes, refusals };
}

/**
 * The settings of a bucket S3 created today with no options: SSE-S3, BucketOwnerEnforced, all four
 * public-access-block flags, an ACL granting only the owner (S3 defaults since April 2023).
 */
export function newBucketDefaults(ownerId = "owner"): ExistingBucketSettings {
    return {
        encryption: { sseAlgorithm: "AES256", bucketKeyEnabled: false },
        objectOwnership: "BucketOwnerEnforced",
        publicAccessBlock: { ...ALL_BLOCKED },
        acl: { ownerId, grants: [{ grantee: ownerId, granteeType: "CanonicalUser", permission: "FULL_CONTROL" }] },
    };
}
