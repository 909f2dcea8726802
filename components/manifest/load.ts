/**
 * Loading a manifest (CSV, TSV, XLSX, YAML or JSON) into RouteRecords that remember the file,
 * row and column of every value. Loading never throws for bad content: every problem is a
 * diagnostic (MANIFEST_UNREADABLE, MANIFEST_EMPTY, UNKNOWN_COLUMN, DUPLICATE_COLUMN, ...).
 * Values are not interpreted here; buildFleetSpec does all parsing and validation.
 */
import { promises as fs } from "fs";
import * as path from "path";
import { CONFIG_NAMESPACE, Column, Diagnostic, RouteRecord, diag, recordsFromObjects } from "../model";
import { loadDelimited } from "./csv";
import { loadStructured } from "./structured";
import { TableRecords } from "./tabular";
import { decodeText } from "./text";
import { loadXlsx } from "./xlsx";

export type ManifestFormat = "csv" | "tsv" | "xlsx" | "yaml" | "json";

export const MANIFEST_FORMATS: readonly ManifestFormat[] = ["csv", "tsv", "xlsx", "yaml", "json"];

export interface LoadManifestOptions {
    /** XLSX: the sheet to read (default: the first). */
    sheet?: string;
    /** Override the format the file extension implies. */
    format?: ManifestFormat;
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

const EXTENSIONS: Record<string, ManifestFormat> = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".yaml": "yaml", ".yml": "yaml", ".json": "json",
};

/** The format a file name implies, or undefined. */
export function formatFromPath(file: string): ManifestFormat | undefined {
    return EXTENSIONS[path.extname(file).toLowerCase()];
}

/**
 * Read and parse a manifest file. An unreadable file (missing, a directory, no permission) is a
 * MANIFEST_UNREADABLE diagnostic, never an exception.
 */
export async function loadManifest(file: string, options: LoadManifestOptions = {}): Promise<LoadedManifest> {
    const format = options.format ?? formatFromPath(file);
    if (!format) {
        const ext = path.extname(file);
        const hint = ext.toLowerCase() === ".xls" ? "the old .xls format is not supported: save it from Excel as .xlsx" : "use .csv, .tsv, .xlsx, .yaml/.yml or .json (or pass the format)";
        return unreadable(file, `cannot tell the manifest format from ${ext ? `the extension ${JSON.stringify(ext)}` : "a file name without an extension"}; ${hint}.`);
    }
    let content: Buffer;
    try {
        content = await fs.readFile(file);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" || code === "EPERM" ? "permission denied" : (e as Error).message;
        return unreadable(file, `cannot read the manifest: ${why}; check the path.`, format);
    }
    return parseManifest(content, format, file, options);
}

/** Where problems in routes listed in stack config are reported (`pulumi-s3-replication:routes[i].column`). */
export const INLINE_ROUTES_PATH = `${CONFIG_NAMESPACE}:routes`;

/**
 * The routes a stack deploys, as the stacks program and `validate --stack` both read them: the
 * rows of its manifest when it names one, then the routes listed in its config.
 */
export async function loadStackRoutes(manifest: string | undefined, routes: readonly unknown[] | undefined, options: LoadManifestOptions = {}): Promise<LoadedManifest> {
    const loaded: LoadedManifest = manifest !== undefined ? await loadManifest(manifest, options) : { records: [], diagnostics: [], format: "unknown" };
    if (routes !== undefined) loaded.records.push(...recordsFromObjects(routes, { path: INLINE_ROUTES_PATH }, loaded.diagnostics));
    return loaded;
}

/** Parse manifest content already in memory; `file` labels the diagnostics. */
export async function parseManifest(content: Buffer | string, format: ManifestFormat, file: string, options: { sheet?: string } = {}): Promise<LoadedManifest> {
    if (format !== "xlsx") return parseManifestText(content, format, file);
    const diagnostics: Diagnostic[] = [];
    try {
        const buffer = typeof content === "string" ? Buffer.from(content, "binary") : content;
        const table = await loadXlsx(buffer, file, options.sheet, diagnostics);
        return fromTable(table, diagnostics, "xlsx", table.sheet);
    } catch (e) {
        return unreadable(file, `cannot read the workbook: ${e instanceof Error ? e.message : String(e)}.`, format);
    }
}

/** Synchronous parse of the text formats (CSV, TSV, YAML, JSON). */
export function parseManifestText(content: Buffer | string, format: Exclude<ManifestFormat, "xlsx">, file: string): LoadedManifest {
    const decoded = decodeText(content);
    if ("error" in decoded) {
        return { records: [], format, diagnostics: [diag("MANIFEST_UNREADABLE", `the manifest ${decoded.error}.`, { file, ...(decoded.line !== undefined && format !== "csv" && format !== "tsv" ? { row: decoded.line } : {}) })] };
    }
    const diagnostics: Diagnostic[] = [];
    try {
        if (format === "csv" || format === "tsv") {
            return fromTable(loadDelimited(decoded.text, format === "csv" ? "," : "\t", file, diagnostics), diagnostics, format);
        }
        return { records: loadStructured(decoded.text, format, file, diagnostics), diagnostics, format };
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
