/**
 * Turning rows of any origin (a parsed file, stack config, component arguments) into
 * RouteRecords: keys matched to columns the way headers are, unknown keys reported.
 */
import { Column, columnForHeader, suggestColumn } from "./columns";
import { Diagnostic, SourceLocation, diag, kindOf } from "./diagnostics";
import { RouteRecord } from "./fleet-spec";

/**
 * The value of a cell a loader refused (with a diagnostic): a date in a text column, an
 * unquoted YAML number in a prefix. Validation treats the column as given but unusable, so it
 * is reported once, not again as missing or invalid.
 */
export const REFUSED: unique symbol = Symbol("refused");

export interface ObjectRowsOrigin {
    /** File the objects came from (YAML/JSON manifests). */
    file?: string;
    /** Argument path of the array (`routes`), used when there is no file. */
    path?: string;
    /** Row (line) of item i, and of key k in it, when the parser knows. */
    rowOf?: (index: number, key?: string) => number | undefined;
}

/** Map one header/key to its column, reporting an unknown one with a suggestion. */
export function mapHeader(header: string, at: SourceLocation, out: Diagnostic[]): Column | undefined {
    const column = columnForHeader(header);
    if (column) return column;
    const hint = suggestColumn(header);
    out.push(
        diag("UNKNOWN_COLUMN", `unknown column ${JSON.stringify(header)}${hint ? `; did you mean ${hint}?` : "; see the README for the manifest columns."}`, {
            ...at,
            column: header,
        }),
    );
    return undefined;
}

/**
 * Objects (YAML/JSON manifests, `routes` in stack config, component args) to records. Each
 * unknown key is reported once per distinct key, at its first occurrence.
 */
export function recordsFromObjects(rows: readonly unknown[], origin: ObjectRowsOrigin, out: Diagnostic[]): RouteRecord[] {
    const records: RouteRecord[] = [];
    const unknownSeen = new Set<string>();
    rows.forEach((row, i) => {
        const rowNo = origin.rowOf?.(i);
        const at: SourceLocation =
            origin.file !== undefined ? { file: origin.file, ...(rowNo !== undefined ? { row: rowNo } : {}) } : { path: `${origin.path ?? "routes"}[${i}]` };
        if (row === null || typeof row !== "object" || Array.isArray(row)) {
            out.push(diag("INVALID_VALUE", `entry ${i + 1} must be a mapping of column: value, not ${kindOf(row)}.`, at));
            return;
        }
        const values: RouteRecord["values"] = {};
        const locs: RouteRecord["locs"] = {};
        const keyOf: Partial<Record<Column, string>> = {};
        for (const [key, value] of Object.entries(row as Record<string, unknown>)) {
            const keyRow = origin.rowOf?.(i, key);
            const keyAt: SourceLocation =
                origin.file !== undefined
                    ? { file: origin.file, ...((keyRow ?? rowNo) !== undefined ? { row: keyRow ?? rowNo } : {}) }
                    : { path: `${at.path}.${key}` };
            if (unknownSeen.has(key)) continue;
            const column = columnForHeader(key);
            if (!column) {
                unknownSeen.add(key);
                mapHeader(key, keyAt, out);
                continue;
            }
            const earlier = keyOf[column];
            if (earlier !== undefined) {
                // Two spellings of one column (`source_bucket` and `Source Bucket Name`): keep the first.
                out.push(
                    diag(
                        "DUPLICATE_COLUMN",
                        `${JSON.stringify(earlier)} and ${JSON.stringify(key)} both mean ${column}; delete one of them (the first is used).`,
                        origin.file !== undefined ? { ...keyAt, column } : keyAt,
                    ),
                );
                continue;
            }
            keyOf[column] = key;
            values[column] = value;
            locs[column] = origin.file !== undefined ? { ...keyAt, column } : keyAt;
        }
        records.push({ at, values, locs });
    });
    return records;
}
