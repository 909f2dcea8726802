/**
 * Loading a manifest (CSV, TSV, XLSX, YAML or JSON) into RouteRecords that remember the file,
 * row and column of every value. Loading never throws for bad content: every problem is a
 * diagnostic (MANIFEST_UNREADABLE, MANIFEST_EMPTY, UNKNOWN_COLUMN, DUPLICATE_COLUMN, ...).
 * Values are not interpreted here; buildFleetSpec does all parsing and validation.
 */
import { constants as fsConstants, promises as fs } from "fs";
import * as path from "path";
import { CONFIG_NAMESPACE, Column, Diagnostic, RouteRecord, diag, recordsFromObjects } from "../model";
import { loadDelimited } from "./csv";
import { ManifestLimits, describeBytes, resolveLimits } from "./limits";
import { loadStructured } from "./structured";
import { TableRecords } from "./tabular";
import { decodeText } from "./text";
import { loadXlsx } from "./xlsx";
import { checkXlsxArchive } from "./zip-guard";

export type ManifestFormat = "csv" | "tsv" | "xlsx" | "yaml" | "json";

export const MANIFEST_FORMATS: readonly ManifestFormat[] = ["csv", "tsv", "xlsx", "yaml", "json"];

export interface LoadManifestOptions {
    /** XLSX: the sheet to read (default: the first visible one). */
    sheet?: string;
    /** Override the format the file extension implies. */
    format?: ManifestFormat;
    /** Size limits (default: the environment's, else DEFAULT_LIMITS). */
    limits?: Partial<ManifestLimits>;
}

export interface LoadedManifest {
    records: RouteRecord[];
    diagnostics: Diagnostic[];
    /** The format read, or "unknown" when it could not be told. */
    format: ManifestFormat | "unknown";
    /** CSV/TSV/XLSX: the columns the header names, in order. */
    columns?: Column[];
    /** CSV/TSV/XLSX: the header's row. */
    headerRow?: number;
    /** XLSX: the worksheet read. */
    sheet?: string;
}

// A Map: an extension like ".constructor" must not find Object.prototype's members.
const EXTENSIONS: ReadonlyMap<string, ManifestFormat> = new Map([
    [".csv", "csv"],
    [".tsv", "tsv"],
    [".tab", "tsv"],
    [".xlsx", "xlsx"],
    [".xlsm", "xlsx"],
    [".yaml", "yaml"],
    [".yml", "yaml"],
    [".json", "json"],
]);

/** The format a file name implies, or undefined. */
export function formatFromPath(file: string): ManifestFormat | undefined {
    return EXTENSIONS.get(path.extname(file).toLowerCase());
}

/**
 * Read and parse a manifest file. An unreadable file (missing, a directory, a FIFO or device, no
 * permission) is a MANIFEST_UNREADABLE diagnostic and a file over the size limit is
 * MANIFEST_TOO_LARGE, never an exception or a hang.
 */
export async function loadManifest(file: string, options: LoadManifestOptions = {}): Promise<LoadedManifest> {
    const format = options.format ?? formatFromPath(file);
    if (!format) {
        const ext = path.extname(file);
        const hint =
            ext.toLowerCase() === ".xls"
                ? "the old .xls format is not supported: save it from Excel as .xlsx"
                : "use .csv, .tsv, .xlsx, .yaml/.yml or .json (or pass the format)";
        return unreadable(
            file,
            `cannot tell the manifest format from ${ext ? `the extension ${JSON.stringify(ext)}` : "a file name without an extension"}; ${hint}.`,
        );
    }
    const { limits, diagnostics: limitProblems } = resolveLimits(options.limits);
    if (limitProblems.length > 0) return { records: [], diagnostics: limitProblems, format };
    const read = await readManifestFile(file, limits.maxFileBytes);
    if ("diagnostic" in read) return { records: [], diagnostics: [read.diagnostic], format };
    return parseManifest(read.content, format, file, { ...options, limits });
}

/**
 * Check that `file` is a regular file a manifest can be read from, without reading it (and
 * without blocking on a FIFO): the diagnostic loadManifest would give, or undefined.
 */
export async function checkManifestFile(file: string, maxFileBytes = resolveLimits().limits.maxFileBytes): Promise<Diagnostic | undefined> {
    const opened = await openRegular(file, maxFileBytes);
    if ("diagnostic" in opened) return opened.diagnostic;
    await opened.handle.close();
    return undefined;
}

async function openRegular(file: string, maxFileBytes: number): Promise<{ handle: fs.FileHandle; size: number } | { diagnostic: Diagnostic }> {
    let handle: fs.FileHandle;
    try {
        // Non-blocking, so that opening a FIFO returns at once instead of waiting for a writer.
        handle = await fs.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why =
            code === "ENOENT"
                ? "no such file"
                : code === "EISDIR"
                  ? "it is a directory"
                  : code === "EACCES" || code === "EPERM"
                    ? "permission denied"
                    : (e as Error).message;
        return { diagnostic: diag("MANIFEST_UNREADABLE", `cannot read the manifest: ${why}; check the path.`, { file }) };
    }
    const stat = await handle.stat();
    if (!stat.isFile()) {
        await handle.close();
        const what = stat.isDirectory()
            ? "it is a directory"
            : stat.isFIFO()
              ? "it is a pipe (FIFO), not a file"
              : stat.isCharacterDevice() || stat.isBlockDevice()
                ? "it is a device, not a file"
                : stat.isSocket()
                  ? "it is a socket, not a file"
                  : "it is not a regular file";
        return { diagnostic: diag("MANIFEST_UNREADABLE", `cannot read the manifest: ${what}; give the path of a manifest file.`, { file }) };
    }
    if (stat.size > maxFileBytes) {
        await handle.close();
        return { diagnostic: tooLarge(file, `the file is ${describeBytes(stat.size)}`, maxFileBytes) };
    }
    return { handle, size: stat.size };
}

async function readManifestFile(file: string, maxFileBytes: number): Promise<{ content: Buffer } | { diagnostic: Diagnostic }> {
    const opened = await openRegular(file, maxFileBytes);
    if ("diagnostic" in opened) return opened;
    const { handle } = opened;
    try {
        // Read at most one byte past the limit: a file that grows while it is read is still capped.
        const chunks: Buffer[] = [];
        let total = 0;
        for (;;) {
            const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, maxFileBytes + 1 - total));
            const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
            if (bytesRead === 0) break;
            chunks.push(chunk.subarray(0, bytesRead));
            total += bytesRead;
            if (total > maxFileBytes) return { diagnostic: tooLarge(file, "the file grew past the limit while it was read", maxFileBytes) };
        }
        return { content: Buffer.concat(chunks, total) };
    } catch (e) {
        return { diagnostic: diag("MANIFEST_UNREADABLE", `cannot read the manifest: ${(e as Error).message}; check the path.`, { file }) };
    } finally {
        await handle.close();
    }
}

function tooLarge(file: string, what: string, limit: number): Diagnostic {
    return diag(
        "MANIFEST_TOO_LARGE",
        `${what}, over the limit of ${describeBytes(limit)}; split the manifest, or raise the limit with S3_REPLICATION_MAX_MANIFEST_BYTES.`,
        { file },
    );
}

/** Where problems in routes listed in stack config are reported (`pulumi-s3-replication:routes[i].column`). */
export const INLINE_ROUTES_PATH = `${CONFIG_NAMESPACE}:routes`;

/**
 * The routes a stack deploys, as the stacks program and `validate --stack` both read them: the
 * rows of its manifest when it names one, then the routes listed in its config.
 */
export async function loadStackRoutes(
    manifest: string | undefined,
    routes: readonly unknown[] | undefined,
    options: LoadManifestOptions = {},
): Promise<LoadedManifest> {
    const loaded: LoadedManifest = manifest !== undefined ? await loadManifest(manifest, options) : { records: [], diagnostics: [], format: "unknown" };
    if (routes !== undefined) loaded.records.push(...recordsFromObjects(routes, { path: INLINE_ROUTES_PATH }, loaded.diagnostics));
    return loaded;
}

/** Parse manifest content already in memory; `file` labels the diagnostics. */
export async function parseManifest(
    content: Buffer | string,
    format: ManifestFormat,
    file: string,
    options: { sheet?: string; limits?: Partial<ManifestLimits> } = {},
): Promise<LoadedManifest> {
    const { limits, diagnostics: limitProblems } = resolveLimits(options.limits);
    if (limitProblems.length > 0) return { records: [], diagnostics: limitProblems, format };
    if (format !== "xlsx") return parseManifestText(content, format, file, limits);
    const diagnostics: Diagnostic[] = [];
    try {
        const buffer = typeof content === "string" ? Buffer.from(content, "binary") : content;
        if (buffer.length > limits.maxFileBytes)
            return { records: [], diagnostics: [tooLarge(file, `the workbook is ${describeBytes(buffer.length)}`, limits.maxFileBytes)], format };
        const check = checkXlsxArchive(buffer, limits);
        if (!check.ok) {
            const message =
                check.what === "rows"
                    ? `the workbook is too large: ${check.detail}, over the limit of ${limits.maxRows.toLocaleString("en-US")} routes (empty rows with formatting count too); delete unused rows or split the manifest, or raise the limit with S3_REPLICATION_MAX_ROWS.`
                    : `the workbook is too large: ${check.detail} of ${describeBytes(limits.maxXlsxBytes)} once decompressed; remove what the routes do not need (other sheets, images, very long cells), or raise the limit with S3_REPLICATION_MAX_XLSX_BYTES.`;
            return { records: [], diagnostics: [diag("MANIFEST_TOO_LARGE", message, { file })], format };
        }
        const table = await loadXlsx(buffer, file, options.sheet, diagnostics, limits.maxRows);
        return fromTable(table, diagnostics, "xlsx", table.sheet);
    } catch (e) {
        return unreadable(file, `cannot read the workbook: ${e instanceof Error ? e.message : String(e)}.`, format);
    }
}

/** Synchronous parse of the text formats (CSV, TSV, YAML, JSON). */
export function parseManifestText(
    content: Buffer | string,
    format: Exclude<ManifestFormat, "xlsx">,
    file: string,
    limits: Partial<ManifestLimits> = {},
): LoadedManifest {
    const { limits: resolved, diagnostics: limitProblems } = resolveLimits(limits);
    if (limitProblems.length > 0) return { records: [], diagnostics: limitProblems, format };
    const size = typeof content === "string" ? content.length : content.length;
    if (size > resolved.maxFileBytes)
        return { records: [], diagnostics: [tooLarge(file, `the manifest is ${describeBytes(size)}`, resolved.maxFileBytes)], format };
    const decoded = decodeText(content);
    if ("error" in decoded) {
        return {
            records: [],
            format,
            diagnostics: [
                diag("MANIFEST_UNREADABLE", `the manifest ${decoded.error}.`, {
                    file,
                    ...(decoded.line !== undefined && format !== "csv" && format !== "tsv" ? { row: decoded.line } : {}),
                }),
            ],
        };
    }
    const diagnostics: Diagnostic[] = [];
    try {
        if (format === "csv" || format === "tsv") {
            return fromTable(loadDelimited(decoded.text, format === "csv" ? "," : "\t", file, diagnostics, resolved.maxRows), diagnostics, format);
        }
        return { records: loadStructured(decoded.text, format, file, diagnostics, resolved.maxRows), diagnostics, format };
    } catch (e) {
        // The parsers report bad content as diagnostics; this is the last line of defence.
        return unreadable(file, `cannot parse the manifest: ${e instanceof Error ? e.message : String(e)}.`, format);
    }
}

function fromTable(table: TableRecords, diagnostics: Diagnostic[], format: ManifestFormat, sheet?: string): LoadedManifest {
    return {
        records: table.records,
        diagnostics,
        format,
        columns: table.columns,
        ...(table.headerRow !== undefined ? { headerRow: table.headerRow } : {}),
        ...(sheet !== undefined ? { sheet } : {}),
    };
}

function unreadable(file: string, message: string, format?: ManifestFormat): LoadedManifest {
    return { records: [], diagnostics: [diag("MANIFEST_UNREADABLE", message, { file })], format: format ?? "unknown" };
}
