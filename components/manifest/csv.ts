/**
 * CSV and TSV manifests, parsed by csv-parse. Each CSV record is one spreadsheet row (a quoted
 * cell may span several lines), so a record's row is its index + 1, whatever the line count.
 */
import { parse } from "csv-parse/sync";
import { Diagnostic, diag } from "../model";
import { TableRecords, TableRow, isBlankCell, recordsFromTable, tooManyRows } from "./tabular";

interface CsvErrorLike {
    code?: unknown;
    message?: unknown;
    records?: unknown;
    lines?: unknown;
}

/** Thrown from csv-parse's record callback to stop reading a file with too many rows. */
class TooManyRows extends Error {}

export function loadDelimited(text: string, delimiter: "," | "\t", file: string, out: Diagnostic[], maxRows = Infinity): TableRecords {
    let parsed: string[][];
    // Non-blank rows seen: the header plus at most maxRows routes.
    let filled = 0;
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
            // Stop as soon as the row limit is passed, before building the rest of the file.
            on_record: (record: string[]) => {
                if (!record.every(isBlankCell) && ++filled > maxRows + 1) throw new TooManyRows();
                return record;
            },
        }) as string[][];
    } catch (e) {
        if (e instanceof TooManyRows) {
            out.push(tooManyRows(file, maxRows));
            return { records: [], columns: [] };
        }
        const err = e as CsvErrorLike;
        // `records` counts complete records before the failure: the bad row is the next one.
        const row = typeof err.records === "number" ? err.records + 1 : undefined;
        const line = typeof err.lines === "number" ? err.lines : undefined;
        const what = typeof err.message === "string" ? err.message.replace(/\s+/g, " ").trim() : String(e);
        out.push(
            diag(
                "MANIFEST_UNREADABLE",
                `cannot parse the ${delimiter === "," ? "CSV" : "TSV"}: ${what}${line !== undefined && !what.includes(`line ${line}`) ? ` (line ${line})` : ""}; check the quotes on that row (a quoted cell must end with a closing quote).`,
                { file, ...(row !== undefined ? { row } : {}) },
            ),
        );
        return { records: [], columns: [] };
    }
    const rows: TableRow[] = parsed.map((cells, i) => ({ row: i + 1, cells }));
    return recordsFromTable(rows, file, out);
}
