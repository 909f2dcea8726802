/**
 * YAML and JSON manifests: a top-level list of routes, or a mapping with a `routes` list. Parsed
 * with `yaml` (JSON is checked with JSON.parse first, then read with `yaml` for line numbers), so
 * every value's row is the line of its key, where an editor can jump to it.
 *
 * Values are taken from the document's nodes, not from a converted object, so nothing the parser
 * resolved silently reaches a route: a number, boolean or date in a text column (`prefix: 0123`
 * is the number 123) is refused with "quote it"; elsewhere a number is passed on as the text it
 * was written as (`priority: 0x1F` stays "0x1F" and is refused as not decimal). Duplicate keys
 * anywhere and tags other than YAML's core ones (`!Sub`) are errors.
 */
import { Alias, Document, LineCounter, Node, Scalar, YAMLMap, isAlias, isMap, isNode, isPair, isScalar, isSeq, parseDocument, visit } from "yaml";
import { Column, Diagnostic, REFUSED, RouteRecord, SourceLocation, columnForHeader, diag, isTextColumn, recordsFromObjects } from "../model";
import { tooManyRows } from "./tabular";
import { lineOfOffset } from "./text";

type Format = "yaml" | "json";

interface Item {
    value: unknown;
    line?: number;
    keyLines: Map<string, number>;
}

/** Tags of YAML's core schema; any other (`!Sub`, `!!binary`, `!!timestamp`) is refused. */
const CORE_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"].map(t => `tag:yaml.org,2002:${t}`));

export function loadStructured(text: string, format: Format, file: string, out: Diagnostic[], maxRows = Infinity): RouteRecord[] {
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
            out.push(
                diag("MANIFEST_UNREADABLE", `not valid JSON: ${message}; fix the syntax${line !== undefined ? ` on line ${line}` : ""}.`, {
                    file,
                    ...(line !== undefined ? { row: line } : {}),
                }),
            );
            return [];
        }
        // Count the routes before building the (much larger) document model.
        const list = Array.isArray(jsonValue) ? jsonValue : (jsonValue as { routes?: unknown } | null)?.routes;
        if (Array.isArray(list) && list.length > maxRows) {
            out.push(tooManyRows(file, maxRows));
            return [];
        }
    }

    const lc = new LineCounter();
    let doc: Document.Parsed;
    try {
        // Duplicate keys are found below, where the route they are in is known.
        doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
    } catch (e) {
        out.push(diag("MANIFEST_UNREADABLE", `cannot parse the ${label}: ${e instanceof Error ? e.message : String(e)}.`, { file }));
        return [];
    }
    const lineOf = (node: unknown): number | undefined => {
        const range = isNode(node) || isPair(node) ? (isPair(node) ? (node.key as Node | null)?.range : node.range) : undefined;
        return range ? lc.linePos(range[0]).line : undefined;
    };

    if (doc.errors.length > 0) {
        if (format === "json") return fromPlainJson(jsonValue, file, out);
        for (const error of doc.errors.slice(0, 5)) {
            const line = error.linePos?.[0]?.line ?? (Array.isArray(error.pos) ? lc.linePos(error.pos[0]).line : undefined);
            out.push(
                diag(
                    "MANIFEST_UNREADABLE",
                    `not valid YAML: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}; fix the syntax${line !== undefined ? ` on line ${line}` : ""}.`,
                    { file, ...(line !== undefined ? { row: line } : {}) },
                ),
            );
        }
        return [];
    }

    try {
        const toJS = (node: unknown): unknown => (isNode(node) ? node.toJS(doc) : (node ?? null));
        const contents = doc.contents;
        let list: unknown = contents;
        if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === undefined))) {
            out.push(diag("MANIFEST_EMPTY", `the manifest has no routes: write a ${label} list of routes, one mapping of column: value per route.`, { file }));
            return [];
        }
        if (isMap(contents)) {
            list = undefined;
            let found = false;
            for (const pair of contents.items) {
                const key = keyText(pair.key, toJS);
                if (key === "routes") {
                    // A second `routes:` is DUPLICATE_KEY (below); the first list is the one read.
                    if (found) continue;
                    found = true;
                    list = pair.value;
                    if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) {
                        out.push(
                            diag("MANIFEST_EMPTY", "routes is empty: add one mapping of column: value per route.", { file, ...lineRow(lineOf(pair.key)) }),
                        );
                        return [];
                    }
                } else {
                    out.push(
                        diag(
                            "INVALID_VALUE",
                            `top-level key ${JSON.stringify(key)} is not part of a manifest; a manifest is a list of routes, or a mapping with the single key routes: move the entries under routes or delete the key.`,
                            { file, ...lineRow(lineOf(pair.key)) },
                        ),
                    );
                }
            }
            if (list === undefined) {
                out.push(
                    diag("MANIFEST_UNREADABLE", `the ${label} has no routes: write a top-level list of routes, or put them under a routes key.`, {
                        file,
                        ...lineRow(lineOf(contents)),
                    }),
                );
                return [];
            }
        }
        if (isAlias(list)) list = list.resolve(doc);
        if (!isSeq(list)) {
            out.push(
                diag(
                    "MANIFEST_UNREADABLE",
                    `expected a list of routes, found ${isMap(list) ? "a mapping" : "a single value"}; write one list item (a mapping of column: value) per route.`,
                    { file, ...lineRow(lineOf(list)) },
                ),
            );
            return [];
        }
        if (list.items.length === 0) {
            out.push(diag("MANIFEST_EMPTY", "the list of routes is empty: add one mapping of column: value per route.", { file, ...lineRow(lineOf(list)) }));
            return [];
        }
        if (list.items.length > maxRows) {
            out.push(tooManyRows(file, maxRows));
            return [];
        }

        const routeMaps = new Set<unknown>(list.items.map(n => (isAlias(n) ? n.resolve(doc) : n)).filter(isMap));
        const refusedNodes = checkDocument(doc, routeMaps, file, lineOf, toJS, out);

        const items: Item[] = list.items.map(itemNode => {
            const keyLines = new Map<string, number>();
            const node = isAlias(itemNode) ? itemNode.resolve(doc) : itemNode;
            if (!isMap(node)) return { value: toJS(node), line: lineOf(itemNode), keyLines };
            // Null prototype: a key named __proto__ or constructor is an ordinary (unknown) column.
            const value = Object.create(null) as Record<string, unknown>;
            for (const pair of node.items) {
                const key = keyText(pair.key, toJS);
                const line = lineOf(pair.key);
                if (Object.prototype.hasOwnProperty.call(value, key)) {
                    out.push(
                        diag("DUPLICATE_COLUMN", `${JSON.stringify(key)} is given twice in this route; delete one (the first is used).`, {
                            file,
                            ...lineRow(line),
                            column: columnForHeader(key) ?? key,
                        }),
                    );
                    continue;
                }
                const column = columnForHeader(key);
                const at: SourceLocation = { file, ...lineRow(line), column: column ?? key };
                const converted = column ? valueFor(pair.value, column, key, at, doc, refusedNodes, toJS, out) : { value: toJS(pair.value) };
                if (line !== undefined) keyLines.set(key, line);
                // A refused value is marked, so it is not also reported as missing or invalid.
                value[key] = "refused" in converted ? REFUSED : converted.value;
            }
            const first = node.items.length > 0 ? lineOf(node.items[0].key) : undefined;
            return { value, line: first ?? lineOf(node), keyLines };
        });
        return recordsFromObjects(
            items.map(i => i.value),
            {
                file,
                rowOf: (index, key) => (key === undefined ? items[index].line : (items[index].keyLines.get(key) ?? items[index].line)),
            },
            out,
        );
    } catch (e) {
        // Aliases expanding past yaml's limit, and anything else the document model refuses.
        out.push(diag("MANIFEST_UNREADABLE", `cannot read the ${label}: ${e instanceof Error ? e.message : String(e)}.`, { file }));
        return [];
    }
}

function keyText(key: unknown, toJS: (node: unknown) => unknown): string {
    return isScalar(key) ? String(key.value) : String(toJS(key));
}

function lineRow(line: number | undefined): { row?: number } {
    return line !== undefined ? { row: line } : {};
}

/**
 * Duplicate keys in every mapping but the routes themselves (those are DUPLICATE_COLUMN, per
 * route), and tags outside YAML's core schema. Returns the nodes refused for their tag.
 */
function checkDocument(
    doc: Document.Parsed,
    routeMaps: ReadonlySet<unknown>,
    file: string,
    lineOf: (node: unknown) => number | undefined,
    toJS: (node: unknown) => unknown,
    out: Diagnostic[],
): Set<unknown> {
    const refused = new Set<unknown>();
    visit(doc, (_key, node) => {
        if (isNode(node) && node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
            refused.add(node);
            out.push(
                diag(
                    "UNSUPPORTED_YAML_TAG",
                    `the tag ${node.tag} is not supported in a manifest (it is read as plain text, not evaluated as CloudFormation or a program would); write the value itself${isScalar(node) ? `, e.g. ${JSON.stringify(String(node.source ?? node.value))}` : ""}.`,
                    { file, ...lineRow(lineOf(node)) },
                ),
            );
        }
        if (isMap(node) && !routeMaps.has(node)) {
            const seen = new Map<string, number | undefined>();
            for (const pair of (node as YAMLMap).items) {
                const key = keyText(pair.key, toJS);
                const line = lineOf(pair.key);
                if (seen.has(key)) {
                    const first = seen.get(key);
                    out.push(
                        diag(
                            "DUPLICATE_KEY",
                            `${JSON.stringify(key)} is given twice in one mapping${first !== undefined ? ` (first on line ${first})` : ""}, and a parser would silently keep only one of them; merge the two into one entry.`,
                            { file, ...lineRow(line) },
                        ),
                    );
                } else seen.set(key, line);
            }
        }
    });
    return refused;
}

/**
 * The value of one route key, read from its node: what a loaded RouteRecord holds, or refused
 * (with a diagnostic) when reading it would change it.
 */
function valueFor(
    node: unknown,
    column: Column,
    key: string,
    at: SourceLocation,
    doc: Document.Parsed,
    refusedNodes: ReadonlySet<unknown>,
    toJS: (node: unknown) => unknown,
    out: Diagnostic[],
): { value: unknown } | { refused: true } {
    const target = isAlias(node) ? (node as Alias).resolve(doc) : node;
    if (refusedNodes.has(target) || refusedNodes.has(node)) return { refused: true };
    if (isScalar(target)) return scalarFor(target, column, key, at, out);
    if (isMap(target) && column === "tags") {
        // Tags as a mapping: every key and value must be text as written, like a `tags` cell.
        const tags = Object.create(null) as Record<string, string>;
        let refused = false;
        for (const pair of target.items) {
            const k = isAlias(pair.key) ? (pair.key as Alias).resolve(doc) : pair.key;
            const v = isAlias(pair.value) ? (pair.value as Alias).resolve(doc) : pair.value;
            if (!isScalar(k) || typeof k.value !== "string") {
                refused = notText(`tag key ${String(isScalar(k) ? (k.source ?? k.value) : toJS(k))}`, isScalar(k) ? k : undefined, at, out) || refused;
                continue;
            }
            if (refusedNodes.has(v)) {
                refused = true;
                continue;
            }
            if (v === null || v === undefined || (isScalar(v) && v.value === null)) {
                tags[k.value] = "";
                continue;
            }
            if (!isScalar(v) || typeof v.value !== "string") {
                if (!isScalar(v)) return { value: toJS(target) };
                refused = notText(`the value of tag ${JSON.stringify(k.value)}`, v, at, out) || refused;
                continue;
            }
            if (!Object.prototype.hasOwnProperty.call(tags, k.value)) tags[k.value] = v.value;
        }
        return refused ? { refused: true } : { value: tags };
    }
    return { value: toJS(target) };
}

function scalarFor(node: Scalar, column: Column, key: string, at: SourceLocation, out: Diagnostic[]): { value: unknown } | { refused: true } {
    const v = node.value;
    if (v === null || v === undefined) return { value: undefined };
    if (typeof v === "string") return { value: v };
    if (isTextColumn(column)) {
        notText(key, node, at, out);
        return { refused: true };
    }
    if (typeof v === "boolean") return { value: v };
    // Elsewhere the text as written: `0x1F`, `1e3`, `.inf` or `1.0` is then refused for what it is.
    return { value: node.source ?? String(v) };
}

/** VALUE_NOT_TEXT for a YAML/JSON scalar that was resolved to something other than text. */
function notText(what: string, node: Scalar | undefined, at: SourceLocation, out: Diagnostic[]): true {
    const written = node ? String(node.source ?? node.value) : "";
    const kind =
        node === undefined
            ? "not text"
            : typeof node.value === "number"
              ? `the number ${formatNumber(node.value as number)}`
              : typeof node.value === "boolean"
                ? `the boolean ${String(node.value)}`
                : "not text";
    out.push(
        diag(
            "VALUE_NOT_TEXT",
            `${what} is written ${written}, which YAML and JSON read as ${kind}, not as text, so the value would change; quote it: ${JSON.stringify(written)}.`,
            at,
        ),
    );
    return true;
}

function formatNumber(n: number): string {
    return Number.isFinite(n) ? String(n) : n > 0 ? "infinity" : n < 0 ? "-infinity" : "NaN";
}

/** Valid JSON that `yaml` cannot position (rare): the values without line numbers. */
function fromPlainJson(value: unknown, file: string, out: Diagnostic[]): RouteRecord[] {
    const list = Array.isArray(value)
        ? value
        : value !== null && typeof value === "object" && Array.isArray((value as { routes?: unknown }).routes)
          ? (value as { routes: unknown[] }).routes
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
