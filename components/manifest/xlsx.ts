/**
 * XLSX manifests, read with exceljs: the first worksheet, or one named by `sheet`. Cell values
 * come in many shapes (numbers, booleans, dates, rich text, hyperlinks, formula results); they
 * are flattened to the plain value a user sees in the cell.
 */
import * as ExcelJS from "exceljs";
import { Diagnostic, diag } from "../model";
import { PlainCell, TableRecords, TableRow, recordsFromTable } from "./tabular";

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
            if (v.result === undefined || v.result === null) return { error: "is a formula with no calculated value (the file was saved without calculating it)" };
            return flattenCellValue(v.result);
        }
        if ("hyperlink" in v || "text" in v) return flattenCellValue(v.text);
    }
    return { error: "has a value of an unsupported kind" };
}

export async function loadXlsx(content: Buffer, file: string, sheet: string | undefined, out: Diagnostic[]): Promise<TableRecords & { sheet?: string }> {
    const workbook = new ExcelJS.Workbook();
    try {
        // exceljs declares its own Buffer type; a Node Buffer is what it reads at runtime.
        await workbook.xlsx.load(content as unknown as Parameters<ExcelJS.Xlsx["load"]>[0]);
    } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        out.push(diag("MANIFEST_UNREADABLE", `cannot read the workbook (${why.split("\n")[0].slice(0, 200)}); save it from Excel as an .xlsx workbook (the older .xls format is not supported).`, { file }));
        return { records: [], columns: [] };
    }
    const sheets = workbook.worksheets;
    let worksheet: ExcelJS.Worksheet | undefined;
    if (sheet !== undefined) {
        worksheet = sheets.find(ws => ws.name === sheet) ?? sheets.find(ws => ws.name.trim().toLowerCase() === sheet.trim().toLowerCase());
        if (!worksheet) {
            out.push(diag("MANIFEST_UNREADABLE", `the workbook has no sheet named ${JSON.stringify(sheet)}; its sheets are ${sheets.map(ws => JSON.stringify(ws.name)).join(", ") || "none"}: pass one of them with --sheet.`, { file }));
            return { records: [], columns: [] };
        }
    } else {
        worksheet = sheets[0];
    }
    if (!worksheet) {
        out.push(diag("MANIFEST_EMPTY", "the workbook has no worksheets: add a sheet with a header row and one row per route.", { file }));
        return { records: [], columns: [] };
    }

    const rows: TableRow[] = [];
    worksheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
        const cells: PlainCell[] = [];
        let cellErrors: Map<number, string> | undefined;
        row.eachCell({ includeEmpty: false }, (cell, colNumber) => {
            const flat = flattenCellValue(cell.value);
            if ("error" in flat) (cellErrors ??= new Map()).set(colNumber - 1, flat.error);
            else cells[colNumber - 1] = flat.value;
        });
        // Sparse arrays become dense so every consumer sees `undefined` for an empty cell.
        rows.push({ row: rowNumber, cells: Array.from(cells), ...(cellErrors ? { cellErrors } : {}) });
    });
    return { ...recordsFromTable(rows, file, out), sheet: worksheet.name };
}
