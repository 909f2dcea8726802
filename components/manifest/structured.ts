/**
 * YAML and JSON manifests: a top-level list of routes, or a mapping with a `routes` list. Parsed
 * with `yaml` (JSON is checked with JSON.parse first, then read with `yaml` for line numbers), so
 * every value's row is the line of its key, where an editor can jump to it.
 */
import { Document, LineCounter, Node, isMap, isScalar, isSeq, parseDocument } from "yaml";
import { Diagnostic, RouteRecord, columnForHeader, diag, recordsFromObjects } from "../model";
import { lineOfOffset } from "./text";

type Format = "yaml" | "json";

interface Item {
    value: unknown;
    line?: number;
    keyLines: Map<string, number>;
}

export function loadStructured(text: string, format: Format, file: string, out: Diagnostic[]): RouteRecord[] {
    const label = format === "json" ? "JSON" : "YAML";
    if (text.trim() === "") {
        out.push(diag("MANIFEST_EMPTY", `the manifest is empty: write a ${label} list of routes, one mapping of column: value per route.`, { file }));
        return [];
    }
    let jsonValue: unknown;
    if (format === "json") {
        try {
            jsonValue = JSON.parse(text);
        } catch (e) {
            const message = e instanceof Error ? e.message : String(e);
            const pos = /position (\d+)/.exec(message);
            const line = pos ? lineOfOffset(text, Number(pos[1])) : undefined;
            out.push(diag("MANIFEST_UNREADABLE", `not valid JSON: ${message}; fix the syntax${line !== undefined ? ` on line ${line}` : ""}.`, { file, ...(line !== undefined ? { row: line } : {}) }));
            return [];
        }
    }

    const lc = new LineCounter();
    let doc: Document.Parsed;
    try {
        // Duplicate keys are reported per route below (DUPLICATE_COLUMN), not as a parse failure.
        doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
    } catch (e) {
        out.push(diag("MANIFEST_UNREADABLE", `cannot parse the ${label}: ${e instanceof Error ? e.message : String(e)}.`, { file }));
        return [];
    }
    const lineOf = (node: { range?: [number, number, number] | null } | null | undefined): number | undefined =>
        node?.range ? lc.linePos(node.range[0]).line : undefined;

    if (doc.errors.length > 0) {
        if (format === "json") return fromPlainJson(jsonValue, file, out);
        for (const error of doc.errors.slice(0, 5)) {
            const line = error.linePos?.[0]?.line ?? (Array.isArray(error.pos) ? lc.linePos(error.pos[0]).line : undefined);
            out.push(diag("MANIFEST_UNREADABLE", `not valid YAML: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}; fix the syntax${line !== undefined ? ` on line ${line}` : ""}.`, { file, ...(line !== undefined ? { row: line } : {}) }));
        }
        return [];
    }

    try {
        const toJS = (node: unknown): unknown => (node instanceof Object && "toJS" in node ? (node as Node).toJS(doc) : node ?? null);
        const contents = doc.contents;
        let list: unknown = contents;
        if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === undefined))) {
            out.push(diag("MANIFEST_EMPTY", `the manifest has no routes: write a ${label} list of routes, one mapping of column: value per route.`, { file }));
            return [];
        }
        if (isMap(contents)) {
            list = undefined;
            for (const pair of contents.items) {
                const key = isScalar(pair.key) ? String(pair.key.value) : String(toJS(pair.key));
                if (key === "routes") {
                    list = pair.value;
                    if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) {
                        out.push(diag("MANIFEST_EMPTY", "routes is empty: add one mapping of column: value per route.", { file, ...lineRow(lineOf(pair.key as Node)) }));
                        return [];
                    }
                } else {
                    out.push(diag("INVALID_VALUE", `top-level key ${JSON.stringify(key)} is not part of a manifest; a manifest is a list of routes, or a mapping with the single key routes: move the entries under routes or delete the key.`, { file, ...lineRow(lineOf(pair.key as Node)) }));
                }
            }
            if (list === undefined) {
                out.push(diag("MANIFEST_UNREADABLE", `the ${label} has no routes: write a top-level list of routes, or put them under a routes key.`, { file, ...lineRow(lineOf(contents)) }));
                return [];
            }
        }
        if (!isSeq(list)) {
            out.push(diag("MANIFEST_UNREADABLE", `expected a list of routes, found ${isMap(list) ? "a mapping" : "a single value"}; write one list item (a mapping of column: value) per route.`, { file, ...lineRow(lineOf(list as Node)) }));
            return [];
        }
        if (list.items.length === 0) {
            out.push(diag("MANIFEST_EMPTY", "the list of routes is empty: add one mapping of column: value per route.", { file, ...lineRow(lineOf(list)) }));
            return [];
        }

        const items: Item[] = list.items.map(node => {
            const keyLines = new Map<string, number>();
            if (!isMap(node)) return { value: toJS(node), line: lineOf(node as Node), keyLines };
            const value: Record<string, unknown> = {};
            for (const pair of node.items) {
                const key = isScalar(pair.key) ? String(pair.key.value) : String(toJS(pair.key));
                const line = lineOf(pair.key as Node);
                if (Object.prototype.hasOwnProperty.call(value, key)) {
                    out.push(diag("DUPLICATE_COLUMN", `${JSON.stringify(key)} is given twice in this route; delete one (the first is used).`, { file, ...lineRow(line), column: columnForHeader(key) ?? key }));
                    continue;
                }
                value[key] = toJS(pair.value);
                if (line !== undefined) keyLines.set(key, line);
            }
            const first = node.items.length > 0 ? lineOf(node.items[0].key as Node) : undefined;
            return { value, line: first ?? lineOf(node), keyLines };
        });
        return recordsFromObjects(items.map(i => i.value), {
            file,
            rowOf: (index, key) => (key === undefined ? items[index].line : items[index].keyLines.get(key) ?? items[index].line),
        }, out);
    } catch (e) {
        // Aliases expanding past yaml's limit, and anything else the document model refuses.
        out.push(diag("MANIFEST_UNREADABLE", `cannot read the ${label}: ${e instanceof Error ? e.message : String(e)}.`, { file }));
        return [];
    }
}

function lineRow(line: number | undefined): { row?: number } {
    return line !== undefined ? { row: line } : {};
}

/** Valid JSON that `yaml` cannot position (rare): the values without line numbers. */
function fromPlainJson(value: unknown, file: string, out: Diagnostic[]): RouteRecord[] {
    const list = Array.isArray(value) ? value
        : value !== null && typeof value === "object" && Array.isArray((value as { routes?: unknown }).routes) ? (value as { routes: unknown[] }).routes
        : undefined;
    if (!list) {
        out.push(diag("MANIFEST_UNREADABLE", "expected a JSON list of routes, or an object with a routes list.", { file }));
        return [];
    }
    if (list.length === 0) {
        out.push(diag("MANIFEST_EMPTY", "the list of routes is empty: add one object of column: value per route.", { file }));
        return [];
    }
    return recordsFromObjects(list, { file }, out);
}
