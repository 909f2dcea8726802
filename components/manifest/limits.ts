/**
 * Input limits: a manifest is read whole into memory and every row becomes a route, so a file
 * that is too big (or a FIFO, or /dev/zero, or a small workbook that inflates to gigabytes) is
 * refused up front with MANIFEST_TOO_LARGE / MANIFEST_UNREADABLE instead of hanging or
 * exhausting memory. Each limit can be raised with an environment variable, which the CLI,
 * `pulumi preview/up` and the components all read.
 */
import { Diagnostic, diag } from "../model";

export interface ManifestLimits {
    /** Largest manifest file, in bytes. */
    maxFileBytes: number;
    /** Largest total size of an XLSX workbook's parts once decompressed, in bytes. */
    maxXlsxBytes: number;
    /** Most data rows (routes) in one manifest (and rows in any worksheet of a workbook). */
    maxRows: number;
}

export const DEFAULT_LIMITS: Readonly<ManifestLimits> = {
    maxFileBytes: 50 * 1024 * 1024,
    maxXlsxBytes: 100 * 1024 * 1024,
    maxRows: 50_000,
};

/** The environment variable that overrides each limit. */
export const LIMIT_ENV: Readonly<Record<keyof ManifestLimits, string>> = {
    maxFileBytes: "S3_REPLICATION_MAX_MANIFEST_BYTES",
    maxXlsxBytes: "S3_REPLICATION_MAX_XLSX_BYTES",
    maxRows: "S3_REPLICATION_MAX_ROWS",
};

/**
 * The limits in force: explicit options, else the environment, else the defaults. A malformed
 * environment value is an INVALID_CONFIG diagnostic (and the default is used), never ignored.
 */
export function resolveLimits(
    explicit: Partial<ManifestLimits> = {},
    env: NodeJS.ProcessEnv = process.env,
): { limits: ManifestLimits; diagnostics: Diagnostic[] } {
    const limits: ManifestLimits = { ...DEFAULT_LIMITS };
    const diagnostics: Diagnostic[] = [];
    for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof ManifestLimits>) {
        const given = explicit[key];
        if (given !== undefined) {
            limits[key] = given;
            continue;
        }
        const name = LIMIT_ENV[key];
        const text = env[name];
        if (text === undefined || text === "") continue;
        if (!/^[1-9][0-9]*$/.test(text) || !Number.isSafeInteger(Number(text))) {
            diagnostics.push(
                diag(
                    "INVALID_CONFIG",
                    `${name}=${JSON.stringify(text)} is not a whole number above 0; set it to a number of ${key === "maxRows" ? "rows" : "bytes"} (default ${DEFAULT_LIMITS[key]}) or unset it.`,
                    { path: name },
                ),
            );
            continue;
        }
        limits[key] = Number(text);
    }
    return { limits, diagnostics };
}

/** `52,428,800 bytes (50 MiB)` */
export function describeBytes(n: number): string {
    const mib = n / (1024 * 1024);
    return `${n.toLocaleString("en-US")} bytes${mib >= 1 ? ` (${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB)` : ""}`;
}
