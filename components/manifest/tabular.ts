/**
 * Rows of a table (a CSV/TSV file or a worksheet) to RouteRecords: the first non-blank row is
 * the header, every later non-blank row is a route, and every value keeps the row a spreadsheet
 * shows for it. Shared by the CSV and XLSX loaders so both behave the same.
 */
import { Column, Diagnostic, REFUSED, RouteRecord, SourceLocation, diag, isBlogTemplateHeader, isTextColumn, mapHeader } from "../model";

/** A plain cell value, as the format-specific loader normalized it. */
export type PlainCell = string | number | boolean | Date | undefined;

/** One row of a table: its row number as a spreadsheet shows it, and its cells from column A. */
export interface TableRow {
    row: number;
    cells: PlainCell[];
    /** Cells whose value could not be used (an Excel error or a formula with no result), by index. */
    cellErrors?: Map<number, string>;
    /** XLSX: the number format of numeric cells that have one, by index. */
    numberFormats?: Map<number, string>;
}

export interface TableRecords {
    records: RouteRecord[];
    /** Columns the header names, in header order. */
    columns: Column[];
    /** Row number of the header. */
    headerRow?: number;
    /** Column (0-based index) of each column the header names. */
    columnIndex?: ReadonlyMap<Column, number>;
}

/**
 * Blank: nothing, or only spaces, tabs and line breaks. Other whitespace (a non-breaking space)
 * is a value, kept as written, never silently dropped.
 */
export function isBlankCell(v: PlainCell): boolean {
    return v === undefined || (typeof v === "string" && /^[ \t\r\n]*$/.test(v));
}

/** MANIFEST_TOO_LARGE for a table or list with more routes than the limit. */
export function tooManyRows(file: string, maxRows: number): Diagnostic {
    return diag(
        "MANIFEST_TOO_LARGE",
        `the manifest has more than ${maxRows.toLocaleString("en-US")} routes, the limit; split it into several stacks' manifests, or raise the limit with S3_REPLICATION_MAX_ROWS.`,
        { file },
    );
}

/** Spreadsheet column letter of a 0-based index (0 -> A, 26 -> AA). */
export function columnLetter(index: number): string {
    let n = index + 1;
    let s = "";
    while (n > 0) {
        const m = (n - 1) % 26;
        s = String.fromCharCode(65 + m) + s;
        n = Math.floor((n - 1) / 26);
    }
    return s;
}

function headerText(v: PlainCell): string {
    if (v === undefined) return "";
    if (v instanceof Date) return v.toISOString();
    return String(v).trim();
}

/**
 * Turn table rows into records. Reports MANIFEST_EMPTY (no header, or no data rows),
 * UNKNOWN_COLUMN (with a suggestion; also for values under no header), DUPLICATE_COLUMN, and
 * INVALID_VALUE for cells the loader could not read. Never throws.
 */
export function recordsFromTable(rows: readonly TableRow[], file: string, out: Diagnostic[], maxRows = Infinity): TableRecords {
    const headerIndex = rows.findIndex(r => r.cells.some(c => !isBlankCell(c)));
    if (headerIndex < 0) {
        out.push(
            diag("MANIFEST_EMPTY", "the manifest is empty: write a header row (source_bucket, source_account, source_region, ...) and one row per route.", {
                file,
            }),
        );
        return { records: [], columns: [] };
    }
    const header = rows[headerIndex];
    const headerAt: SourceLocation = { file, row: header.row };

    // Column of each header cell; undefined for unknown, duplicate or empty headers.
    const columnAt: Array<Column | undefined> = [];
    const firstIndexOf = new Map<Column, number>();
    const emptyHeader = new Set<number>();
    header.cells.forEach((cell, i) => {
        const text = headerText(cell);
        if (!text) {
            emptyHeader.add(i);
            return;
        }
        const column = mapHeader(text, headerAt, out);
        if (!column) return;
        const first = firstIndexOf.get(column);
        if (first !== undefined) {
            out.push(
                diag(
                    "DUPLICATE_COLUMN",
                    `headers ${JSON.stringify(headerText(header.cells[first]))} (column ${columnLetter(first)}) and ${JSON.stringify(text)} (column ${columnLetter(i)}) both mean ${column}; delete one of them (the first is used).`,
                    { ...headerAt, column },
                ),
            );
            return;
        }
        firstIndexOf.set(column, i);
        columnAt[i] = column;
    });
    const width = header.cells.length;
    // The AWS Storage Blog template's rows default their destination to `<source>-target`.
    const blogTemplate = isBlogTemplateHeader(header.cells.map(headerText));

    let filled = 0;
    for (let k = headerIndex + 1; k < rows.length; k++) {
        if (!rows[k].cells.every(isBlankCell) || rows[k].cellErrors?.size) filled++;
    }
    if (filled > maxRows) {
        out.push(tooManyRows(file, maxRows));
        return { records: [], columns: [] };
    }

    const records: RouteRecord[] = [];
    const headerlessReported = new Set<number>();
    for (let k = headerIndex + 1; k < rows.length; k++) {
        const { row, cells, cellErrors, numberFormats } = rows[k];
        if (cells.every(isBlankCell) && !cellErrors?.size) continue;
        const at: SourceLocation = { file, row };
        const values: RouteRecord["values"] = {};
        const locs: RouteRecord["locs"] = {};
        for (let i = 0; i < cells.length; i++) {
            const cell = cells[i];
            const column = columnAt[i];
            const error = cellErrors?.get(i);
            if (error !== undefined && column) {
                out.push(diag("INVALID_VALUE", `cell ${columnLetter(i)}${row} (${column}) ${error}; type the value in the cell.`, { ...at, column }));
                continue;
            }
            if (cell === undefined || isBlankCell(cell)) continue;
            if (column) {
                const value = typedCell(cell, column, `${columnLetter(i)}${row}`, numberFormats?.get(i), { ...at, column }, out);
                // A refused value is marked, so it is not also reported as missing or invalid.
                values[column] = value ?? REFUSED;
                locs[column] = { ...at, column };
            } else if ((i >= width || emptyHeader.has(i)) && !headerlessReported.has(i)) {
                // A value nobody named: a shifted row or a forgotten header. Once per column.
                headerlessReported.add(i);
                out.push(
                    diag(
                        "UNKNOWN_COLUMN",
                        `column ${columnLetter(i)} has a value (${JSON.stringify(headerText(cell).slice(0, 40))}) but no header; add a header naming its column, or delete the value.`,
                        { ...at, column: columnLetter(i) },
                    ),
                );
            }
        }
        records.push({ at, values, locs, ...(blogTemplate ? { template: "aws-storage-blog" as const } : {}) });
    }
    if (records.length === 0) {
        out.push(diag("MANIFEST_EMPTY", "the manifest has a header but no routes: add one row per replication route below the header.", headerAt));
    }
    return { records, columns: columnAt.filter((c): c is Column => c !== undefined), headerRow: header.row, columnIndex: firstIndexOf };
}

/**
 * A spreadsheet cell's value for its column, or undefined (with a diagnostic) when the text the
 * cell shows cannot be known: a date (Excel stores a serial number and a display format), or in
 * a text column a number the cell may show differently (`0.10`, `1.2E+11`) or a boolean.
 */
function typedCell(
    cell: Exclude<PlainCell, undefined>,
    column: Column,
    ref: string,
    numberFormat: string | undefined,
    at: SourceLocation,
    out: Diagnostic[],
): Exclude<PlainCell, undefined> | undefined {
    if (cell instanceof Date) {
        out.push(
            diag(
                "VALUE_NOT_TEXT",
                `cell ${ref} (${column}) holds a date, which Excel stores as a number with a display format, so its text cannot be read back exactly; format the cell as Text and type the value${isTextColumn(column) ? "" : " it should have"}.`,
                at,
            ),
        );
        return undefined;
    }
    if (!isTextColumn(column) || typeof cell === "string") return cell;
    if (
        typeof cell === "number" &&
        Number.isSafeInteger(cell) &&
        Math.abs(cell) < 1e11 &&
        (numberFormat === undefined || numberFormat === "General" || numberFormat === "0" || numberFormat === "@")
    ) {
        // A whole number of up to 11 digits in the General format shows exactly as its digits.
        return String(cell);
    }
    const shown =
        typeof cell === "number"
            ? `the number ${cell}${numberFormat ? ` (format ${JSON.stringify(numberFormat)})` : ""}`
            : `the boolean ${String(cell).toUpperCase()}`;
    out.push(
        diag(
            "VALUE_NOT_TEXT",
            `cell ${ref} (${column}) holds ${shown}, not text, so what it shows may differ from what it stores; format the cell as Text and type the value.`,
            at,
        ),
    );
    return undefined;
}
