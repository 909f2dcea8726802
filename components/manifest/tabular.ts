/**
 * Rows of a table (a CSV/TSV file or a worksheet) to RouteRecords: the first non-blank row is
 * the header, every later non-blank row is a route, and every value keeps the row a spreadsheet
 * shows for it. Shared by the CSV and XLSX loaders so both behave the same.
 */
import { Column, Diagnostic, RouteRecord, SourceLocation, diag, mapHeader } from "../model";

/** A plain cell value, as the format-specific loader normalized it. */
export type PlainCell = string | number | boolean | Date | undefined;

/** One row of a table: its row number as a spreadsheet shows it, and its cells from column A. */
export interface TableRow {
    row: number;
    cells: PlainCell[];
    /** Cells whose value could not be used (an Excel error or a formula with no result), by index. */
    cellErrors?: Map<number, string>;
}

export interface TableRecords {
    records: RouteRecord[];
    /** Columns the header names, in header order. */
    columns: Column[];
    /** Row number of the header. */
    headerRow?: number;
}

export function isBlankCell(v: PlainCell): boolean {
    return v === undefined || (typeof v === "string" && v.trim() === "");
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
export function recordsFromTable(rows: readonly TableRow[], file: string, out: Diagnostic[]): TableRecords {
    const headerIndex = rows.findIndex(r => r.cells.some(c => !isBlankCell(c)));
    if (headerIndex < 0) {
        out.push(diag("MANIFEST_EMPTY", "the manifest is empty: write a header row (source_bucket, source_account, source_region, ...) and one row per route.", { file }));
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
        if (!text) { emptyHeader.add(i); return; }
        const column = mapHeader(text, headerAt, out);
        if (!column) return;
        const first = firstIndexOf.get(column);
        if (first !== undefined) {
            out.push(diag("DUPLICATE_COLUMN", `headers ${JSON.stringify(headerText(header.cells[first]))} (column ${columnLetter(first)}) and ${JSON.stringify(text)} (column ${columnLetter(i)}) both mean ${column}; delete one of them (the first is used).`, { ...headerAt, column }));
            return;
        }
        firstIndexOf.set(column, i);
        columnAt[i] = column;
    });
    const width = header.cells.length;

    const records: RouteRecord[] = [];
    const headerlessReported = new Set<number>();
    for (let k = headerIndex + 1; k < rows.length; k++) {
        const { row, cells, cellErrors } = rows[k];
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
            if (isBlankCell(cell)) continue;
            if (column) {
                values[column] = cell;
                locs[column] = { ...at, column };
            } else if ((i >= width || emptyHeader.has(i)) && !headerlessReported.has(i)) {
                // A value nobody named: a shifted row or a forgotten header. Once per column.
                headerlessReported.add(i);
                out.push(diag("UNKNOWN_COLUMN", `column ${columnLetter(i)} has a value (${JSON.stringify(headerText(cell).slice(0, 40))}) but no header; add a header naming its column, or delete the value.`, { ...at, column: columnLetter(i) }));
            }
        }
        records.push({ at, values, locs });
    }
    if (records.length === 0) {
        out.push(diag("MANIFEST_EMPTY", "the manifest has a header but no routes: add one row per replication route below the header.", headerAt));
    }
    return { records, columns: columnAt.filter((c): c is Column => c !== undefined), headerRow: header.row };
}
