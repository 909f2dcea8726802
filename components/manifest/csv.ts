/**
 * CSV and TSV manifests, parsed by csv-parse. Each CSV record is one spreadsheet row (a quoted
 * cell may span several lines), so a record's row is its index + 1, whatever the line count.
 */
import { parse } from "csv-parse/sync";
import { Diagnostic, diag } from "../model";
import { TableRecords, TableRow, recordsFromTable } from "./tabular";

interface CsvErrorLike { code?: unknown; message?: unknown; records?: unknown; lines?: unknown }

export function loadDelimited(text: string, delimiter: "," | "\t", file: string, out: Diagnostic[]): TableRecords {
    let parsed: string[][];
    try {
        parsed = parse(text, {
            bom: true,
            delimiter,
            relax_column_count: true,
            // A stray quote inside an unquoted cell (He said "hi") is kept as text, as Excel does.
            relax_quotes: true,
            skip_empty_lines: false,
            // Manifests are small; the default (128,000) would reject a legitimately long cell list.
            max_record_size: 4 * 1024 * 1024,
        }) as string[][];
    } catch (e) {
        const err = e as CsvErrorLike;
        // `records` counts complete records before the failure: the bad row is the next one.
        const row = typeof err.records === "number" ? err.records + 1 : undefined;
        const line = typeof err.lines === "number" ? err.lines : undefined;
        const what = typeof err.message === "string" ? err.message.replace(/\s+/g, " ").trim() : String(e);
        out.push(diag("MANIFEST_UNREADABLE", `cannot parse the ${delimiter === "," ? "CSV" : "TSV"}: ${what}${line !== undefined && !what.includes(`line ${line}`) ? ` (line ${line})` : ""}; check the quotes on that row (a quoted cell must end with a closing quote).`, { file, ...(row !== undefined ? { row } : {}) }));
        return { records: [], columns: [] };
    }
    const rows: TableRow[] = parsed.map((cells, i) => ({ row: i + 1, cells }));
    return recordsFromTable(rows, file, out);
}
