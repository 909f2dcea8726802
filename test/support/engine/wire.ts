/**
 * The property encoding the Pulumi engine and SDKs exchange over gRPC (google.protobuf.Struct with
 * "special signature" objects), decoded for recording and encoded for answers. The signatures are
 * the SDK's own constants (@pulumi/pulumi runtime/rpc: unknownValue, specialSigKey, specialSecretSig,
 * specialResourceSig, specialOutputValueSig), so nothing here is guessed.
 */
import { specialOutputValueSig, specialResourceSig, specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

/** What a recorded value holds where the engine saw an unknown (a preview's "known after deploy"). */
export const UNKNOWN = unknownValue;

export interface Decoded {
    value: unknown;
    /** Dotted paths of the values that arrived as secrets. */
    secrets: string[];
    /** Dotted paths of the values that arrived unknown. */
    unknowns: string[];
}

/** Decode a Struct's JavaScript form: secrets unwrapped (their paths kept), resource refs to URNs. */
export function decodeProperties(raw: Record<string, unknown> | undefined): Decoded {
    const secrets: string[] = [];
    const unknowns: string[] = [];
    const walk = (v: unknown, path: string): unknown => {
        if (v === unknownValue) {
            unknowns.push(path);
            return UNKNOWN;
        }
        if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
        if (v !== null && typeof v === "object") {
            const o = v as Record<string, unknown>;
            const sig = o[specialSigKey];
            if (sig === specialSecretSig) {
                secrets.push(path);
                return walk(o.value, path);
            }
            if (sig === specialResourceSig) return o.urn;
            if (sig === specialOutputValueSig) {
                if (o.secret) secrets.push(path);
                if (!("value" in o)) {
                    unknowns.push(path);
                    return UNKNOWN;
                }
                return walk(o.value, path);
            }
            const out: Record<string, unknown> = {};
            for (const [k, x] of Object.entries(o)) out[k] = walk(x, path ? `${path}.${k}` : k);
            return out;
        }
        return v;
    };
    return { value: walk(raw ?? {}, ""), secrets, unknowns };
}

/** Encode answer properties: `UNKNOWN` stays the unknown sentinel, paths listed in `secret` are wrapped. */
export function encodeProperties(value: Record<string, unknown>, secret: ReadonlySet<string> = new Set()): Record<string, unknown> {
    const walk = (v: unknown, path: string): unknown => {
        let out: unknown = v;
        if (Array.isArray(v)) out = v.map((x, i) => walk(x, `${path}[${i}]`));
        else if (v !== null && typeof v === "object") {
            const o: Record<string, unknown> = {};
            for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) o[k] = walk(x, path ? `${path}.${k}` : k);
            out = o;
        }
        return secret.has(path) ? { [specialSigKey]: specialSecretSig, value: out } : out;
    };
    return walk(value, "") as Record<string, unknown>;
}
