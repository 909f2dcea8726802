/**
 * Property values as the provider's gRPC server hands them over for Check, Diff, Create, Read,
 * Update and Delete: `Struct.toJavaScript()` of the engine's request, untouched
 * (@pulumi/pulumi provider/server.js). Since the server's Configure accepts secrets, a secret
 * arrives as `{ [specialSigKey]: specialSecretSig, value }`; an unknown (preview) as the unknown
 * sentinel string, which the job provider's own `isUnknown` recognizes. Values go back the same way.
 */
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

export type WireObject = Record<string, unknown>;

function isSecret(value: unknown): value is { value: unknown } {
    return value !== null && typeof value === "object" && (value as WireObject)[specialSigKey] === specialSecretSig;
}

/** Top-level properties with their secrets unwrapped, and the names of those that were secret (anywhere inside). */
export function unwrapSecrets(props: WireObject | undefined): { value: WireObject; secrets: Set<string> } {
    const secrets = new Set<string>();
    const strip = (v: unknown): { v: unknown; secret: boolean } => {
        if (isSecret(v)) return { v: strip(v.value).v, secret: true };
        if (Array.isArray(v)) {
            const items = v.map(strip);
            return { v: items.map(i => i.v), secret: items.some(i => i.secret) };
        }
        if (v !== null && typeof v === "object") {
            let secret = false;
            const out: WireObject = {};
            for (const [k, x] of Object.entries(v)) {
                const s = strip(x);
                out[k] = s.v;
                secret ||= s.secret;
            }
            return { v: out, secret };
        }
        return { v, secret: false };
    };
    const value: WireObject = {};
    for (const [k, v] of Object.entries(props ?? {})) {
        const s = strip(v);
        value[k] = s.v;
        if (s.secret) secrets.add(k);
    }
    return { value, secrets };
}

/** The properties with each of `secrets` (top-level names) wrapped as a secret. */
export function wrapSecrets(props: WireObject, secrets: ReadonlySet<string>): WireObject {
    const out: WireObject = {};
    for (const [k, v] of Object.entries(props)) {
        out[k] = secrets.has(k) && v !== undefined ? { [specialSigKey]: specialSecretSig, value: v } : v;
    }
    return out;
}
