/**
 * XLSX manifests, read with exceljs: the first visible worksheet, or one named by `sheet`. Cell values
 * come in many shapes (numbers, booleans, dates, rich text, hyperlinks, formula results); they
 * are flattened to the plain value a user sees in the cell.
 */
import type * as ExcelJS from "exceljs";
import { Diagnostic, diag } from "../model";
import { PlainCell, TableRecords, TableRow, columnLetter, recordsFromTable, tooManyRows } from "./tabular";

type Flattened = { value: PlainCell } | { error: string };

/** The value a cell shows, or why it has none that can be used. */
export function flattenCellValue(value: unknown): Flattened {
    if (value === null || value === undefined) return { value: undefined };
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return { value };
    if (value instanceof Date) return { value };
    if (typeof value === "object") {
        const v = value as Record<string, unknown>;
        if (Array.isArray(v.richText)) {
            return { value: (v.richText as Array<{ text?: unknown }>).map(part => (typeof part?.text === "string" ? part.text : "")).join("") };
        }
        if ("error" in v) return { error: `holds the error ${String(v.error)}` };
        if ("formula" in v || "sharedFormula" in v) {
            if (v.result === undefined || v.result === null)
                return { error: "is a formula with no calculated value (the file was saved without calculating it)" };
            return flattenCellValue(v.result);
        }
        if ("hyperlink" in v || "text" in v) return flattenCellValue(v.text);
    }
    return { error: "has a value of an unsupported kind" };
}

export async function loadXlsx(
    content: Buffer,
    file: string,
    sheet: string | undefined,
    out: Diagnostic[],
    maxRows = Infinity,
): Promise<TableRecords & { sheet?: string }> {
    // Loaded on first use: exceljs is large, and most manifests are not workbooks.
    const { Workbook } = await import("exceljs");
    const workbook = new Workbook();
    try {
        // exceljs declares its own Buffer type; a Node Buffer is what it reads at runtime.
        await workbook.xlsx.load(content as unknown as Parameters<ExcelJS.Xlsx["load"]>[0]);
    } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        out.push(
            diag(
                "MANIFEST_UNREADABLE",
                `cannot read the workbook (${why.split("\n")[0].slice(0, 200)}); save it from Excel as an .xlsx workbook (the older .xls format is not supported).`,
                { file },
            ),
        );
        return { records: [], columns: [] };
    }
    // Tab order, as Excel shows the sheets (exceljs lists them by internal id).
    const sheets = [...workbook.worksheets].sort((a, b) => orderOf(a) - orderOf(b));
    const hidden = (ws: ExcelJS.Worksheet) => ws.state === "hidden" || ws.state === "veryHidden";
    let worksheet: ExcelJS.Worksheet | undefined;
    if (sheet !== undefined) {
        worksheet = sheets.find(ws => ws.name === sheet) ?? sheets.find(ws => ws.name.trim().toLowerCase() === sheet.trim().toLowerCase());
        if (!worksheet) {
            out.push(
                diag(
                    "MANIFEST_UNREADABLE",
                    `the workbook has no sheet named ${JSON.stringify(sheet)}; its sheets are ${sheets.map(ws => JSON.stringify(ws.name) + (hidden(ws) ? " (hidden)" : "")).join(", ") || "none"}: pass one of them with --sheet.`,
                    { file },
                ),
            );
            return { records: [], columns: [] };
        }
        if (hidden(worksheet)) {
            out.push(
                diag(
                    "HIDDEN_SHEET",
                    `the sheet ${JSON.stringify(worksheet.name)} is hidden in Excel, so reviewers of the workbook do not see these routes; unhide it (right-click a sheet tab, Unhide), or name a visible sheet.`,
                    { file },
                    "warning",
                ),
            );
        }
    } else {
        if (sheets.length > 0 && sheets.every(hidden)) {
            out.push(
                diag(
                    "MANIFEST_UNREADABLE",
                    `every sheet of the workbook is hidden (${sheets.map(ws => JSON.stringify(ws.name)).join(", ")}); unhide the routes sheet, or name it with --sheet.`,
                    { file },
                ),
            );
            return { records: [], columns: [] };
        }
        // The first sheet a person opening the workbook sees, never a hidden one before it.
        worksheet = sheets.find(ws => !hidden(ws));
        const skipped = worksheet ? sheets.slice(0, sheets.indexOf(worksheet)) : [];
        if (worksheet && skipped.length > 0) {
            out.push(
                diag(
                    "HIDDEN_SHEET",
                    `read the first visible sheet, ${JSON.stringify(worksheet.name)}; the hidden sheet${skipped.length === 1 ? "" : "s"} before it (${skipped.map(ws => JSON.stringify(ws.name)).join(", ")}) ${skipped.length === 1 ? "was" : "were"} not read; if the routes are there, unhide it or name it with --sheet.`,
                    { file },
                    "warning",
                ),
            );
        }
    }
    if (!worksheet) {
        out.push(diag("MANIFEST_EMPTY", "the workbook has no worksheets: add a sheet with a header row and one row per route.", { file }));
        return { records: [], columns: [] };
    }
    if (worksheet.actualRowCount > maxRows + 1) {
        out.push(tooManyRows(file, maxRows));
        return { records: [], columns: [] };
    }

    // Merged ranges that span columns: exceljs gives every cell of a range the first cell's value,
    // which would copy (say) a rule id into the prefix next to it. Only the first column keeps it.
    const merges = mergedRanges(worksheet);
    const acrossColumns = merges.filter(m => m.right > m.left);
    const inMergeAcross = (row: number, col: number) => acrossColumns.some(m => row >= m.top && row <= m.bottom && col > m.left && col <= m.right);

    const rows: TableRow[] = [];
    const hiddenRows: number[] = [];
    worksheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
        const cells: PlainCell[] = [];
        let cellErrors: Map<number, string> | undefined;
        let numberFormats: Map<number, string> | undefined;
        row.eachCell({ includeEmpty: false }, (cell, colNumber) => {
            if (inMergeAcross(rowNumber, colNumber)) return;
            const flat = flattenCellValue(cell.value);
            if ("error" in flat) (cellErrors ??= new Map()).set(colNumber - 1, flat.error);
            else {
                cells[colNumber - 1] = flat.value;
                if (typeof flat.value === "number" && cell.numFmt) (numberFormats ??= new Map()).set(colNumber - 1, cell.numFmt);
            }
        });
        if (row.hidden) hiddenRows.push(rowNumber);
        // Sparse arrays become dense so every consumer sees `undefined` for an empty cell.
        rows.push({ row: rowNumber, cells: Array.from(cells), ...(cellErrors ? { cellErrors } : {}), ...(numberFormats ? { numberFormats } : {}) });
    });
    const table = recordsFromTable(rows, file, out, maxRows);

    const warn = (code: "HIDDEN_ROWS" | "MERGED_CELLS", message: string, row?: number, column?: string) =>
        out.push(diag(code, message, { file, ...(row !== undefined ? { row } : {}), ...(column !== undefined ? { column } : {}) }, "warning"));
    for (const m of acrossColumns) {
        if (table.headerRow !== undefined && m.bottom < table.headerRow) continue;
        warn(
            "MERGED_CELLS",
            `cells ${m.ref} are merged across columns; the value belongs to ${columnLetter(m.left - 1)}${m.top} only, and the other columns of the range are read as empty: unmerge the cells and fill each one.`,
            m.top,
        );
    }
    // Hidden rows and columns that hold routes: deployed, but invisible to whoever reviews the sheet.
    const routeRows = new Set(table.records.map(r => r.at.row));
    if (table.headerRow !== undefined) routeRows.add(table.headerRow);
    for (const [first, last] of ranges(hiddenRows.filter(r => routeRows.has(r)))) {
        warn(
            "HIDDEN_ROWS",
            `${first === last ? `row ${first} is` : `rows ${first}-${last} are`} hidden in Excel but ${first === last ? "is" : "are"} read (${first === table.headerRow ? "the header" : "routes"}); unhide ${first === last ? "it" : "them"} so reviewers see what is deployed, or delete ${first === last ? "it" : "them"}.`,
            first,
        );
    }
    for (const [column, index] of table.columnIndex ?? []) {
        if (worksheet.getColumn(index + 1).hidden) {
            warn(
                "HIDDEN_ROWS",
                `column ${columnLetter(index)} (${column}) is hidden in Excel but is read; unhide it so reviewers see what is deployed, or delete it.`,
                table.headerRow,
                column,
            );
        }
    }
    return { ...table, sheet: worksheet.name };
}

function orderOf(ws: ExcelJS.Worksheet): number {
    const order = (ws as unknown as { orderNo?: unknown }).orderNo;
    return typeof order === "number" ? order : ws.id;
}

interface Merge {
    ref: string;
    top: number;
    left: number;
    bottom: number;
    right: number;
}

/** The sheet's merged ranges (`B2:C2`), 1-based. */
function mergedRanges(ws: ExcelJS.Worksheet): Merge[] {
    const refs = (ws.model as unknown as { merges?: unknown }).merges;
    if (!Array.isArray(refs)) return [];
    const out: Merge[] = [];
    for (const ref of refs) {
        const m = typeof ref === "string" ? /^\$?([A-Z]+)\$?(\d+):\$?([A-Z]+)\$?(\d+)$/.exec(ref) : null;
        if (!m) continue;
        out.push({ ref, left: columnNumber(m[1]), top: Number(m[2]), right: columnNumber(m[3]), bottom: Number(m[4]) });
    }
    return out;
}

function columnNumber(letters: string): number {
    let n = 0;
    for (const c of letters) n = n * 26 + (c.charCodeAt(0) - 64);
    return n;
}

/** Sorted numbers to [first, last] runs. */
function ranges(numbers: readonly number[]): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const n of [...numbers].sort((a, b) => a - b)) {
        const last = out[out.length - 1];
        if (last && n === last[1] + 1) last[1] = n;
        else out.push([n, n]);
    }
    return out;
}
