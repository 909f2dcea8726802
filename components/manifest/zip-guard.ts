/**
 * A check of an XLSX (a ZIP archive) before exceljs reads it: exceljs inflates every part and
 * builds every row of every sheet in memory, so a 300 KB workbook holding one 300 MB string, or
 * a 5 MB one of a million rows, would run for minutes. Here each part is inflated by Node's zlib
 * with a hard output limit (the sizes a ZIP declares can lie), and the rows of each worksheet
 * are counted, so such a workbook is refused in about the time it takes to decompress.
 *
 * Only what the limits need is read from the archive (the central directory and each part's
 * data); anything malformed is left for exceljs to report as it always has.
 */
import * as zlib from "zlib";

export type ZipCheck = { ok: true } | { ok: false; what: "inflated" | "rows" | "zip64"; detail: string };

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

interface Entry {
    name: string;
    method: number;
    compressedSize: number;
    size: number;
    localOffset: number;
}

function centralDirectory(zip: Buffer): Entry[] | "zip64" | undefined {
    // The end-of-central-directory record is in the last 22 + 65,535 (comment) bytes.
    const floor = Math.max(0, zip.length - 22 - 0xffff);
    let eocd = -1;
    for (let i = zip.length - 22; i >= floor; i--) {
        if (zip.readUInt32LE(i) === EOCD) {
            eocd = i;
            break;
        }
    }
    if (eocd < 0) return undefined;
    const count = zip.readUInt16LE(eocd + 10);
    const offset = zip.readUInt32LE(eocd + 16);
    if (count === 0xffff || offset === 0xffffffff) return "zip64";
    const entries: Entry[] = [];
    let p = offset;
    for (let k = 0; k < count; k++) {
        if (p + 46 > zip.length || zip.readUInt32LE(p) !== CENTRAL) return undefined;
        const nameLength = zip.readUInt16LE(p + 28);
        const entry: Entry = {
            method: zip.readUInt16LE(p + 10),
            compressedSize: zip.readUInt32LE(p + 20),
            size: zip.readUInt32LE(p + 24),
            localOffset: zip.readUInt32LE(p + 42),
            name: zip.toString("utf8", p + 46, p + 46 + nameLength),
        };
        if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.localOffset === 0xffffffff) return "zip64";
        entries.push(entry);
        p += 46 + nameLength + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    }
    return entries;
}

function dataOf(zip: Buffer, e: Entry): Buffer | undefined {
    const p = e.localOffset;
    if (p + 30 > zip.length || zip.readUInt32LE(p) !== LOCAL) return undefined;
    const start = p + 30 + zip.readUInt16LE(p + 26) + zip.readUInt16LE(p + 28);
    if (start + e.compressedSize > zip.length) return undefined;
    return zip.subarray(start, start + e.compressedSize);
}

const ROW_TAG = /<(?:[A-Za-z_][\w.-]*:)?row[\s>/]/g;

function countRows(xml: string): number {
    let n = 0;
    ROW_TAG.lastIndex = 0;
    while (ROW_TAG.exec(xml)) n++;
    return n;
}

/** Sheet names by worksheet part (`xl/worksheets/sheet1.xml` -> `Routes`), best effort. */
function sheetNames(parts: Map<string, string>): Map<string, string> {
    const names = new Map<string, string>();
    const workbook = parts.get("xl/workbook.xml");
    const rels = parts.get("xl/_rels/workbook.xml.rels");
    if (!workbook || !rels) return names;
    const targets = new Map<string, string>();
    for (const m of rels.matchAll(/<Relationship\b[^>]*>/g)) {
        const id = /\bId="([^"]*)"/.exec(m[0])?.[1];
        const target = /\bTarget="([^"]*)"/.exec(m[0])?.[1];
        if (id && target) targets.set(id, target.startsWith("/") ? target.slice(1) : `xl/${target}`);
    }
    for (const m of workbook.matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)) {
        const name = /\bname="([^"]*)"/.exec(m[0])?.[1];
        const id = /\b\w+:id="([^"]*)"/.exec(m[0])?.[1];
        const part = id ? targets.get(id) : undefined;
        if (name !== undefined && part) names.set(part, unescapeXml(name));
    }
    return names;
}

function unescapeXml(s: string): string {
    return s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e as "lt"]);
}

/**
 * Check a workbook against the decompressed-size and row limits. Archives this cannot read
 * pass (exceljs reports them); a ZIP64 archive (over 4 GB inflated) is refused.
 */
export function checkXlsxArchive(zip: Buffer, limits: { maxXlsxBytes: number; maxRows: number }): ZipCheck {
    const entries = centralDirectory(zip);
    if (entries === undefined) return { ok: true };
    if (entries === "zip64") return { ok: false, what: "zip64", detail: "it is a ZIP64 archive (parts of 4 GB or more)" };
    let total = 0;
    const xmlParts = new Map<string, string>();
    const rowCounts = new Map<string, number>();
    for (const e of entries) {
        if (e.name.endsWith("/")) continue;
        const data = dataOf(zip, e);
        if (!data) return { ok: true };
        let inflated: Buffer;
        if (e.method === 0) inflated = data;
        else if (e.method === 8) {
            try {
                inflated = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, limits.maxXlsxBytes - total + 1) });
            } catch (err) {
                if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) {
                    return { ok: false, what: "inflated", detail: `its part ${e.name} alone inflates past the limit` };
                }
                return { ok: true };
            }
        } else return { ok: true };
        total += inflated.length;
        if (total > limits.maxXlsxBytes) return { ok: false, what: "inflated", detail: `its parts inflate to more than the limit (reached in ${e.name})` };
        if (e.name === "xl/workbook.xml" || e.name === "xl/_rels/workbook.xml.rels") xmlParts.set(e.name, inflated.toString("utf8"));
        else if (/^xl\/worksheets\/[^/]+\.xml$/.test(e.name)) rowCounts.set(e.name, countRows(inflated.toString("latin1")));
    }
    const names = sheetNames(xmlParts);
    for (const [part, rows] of rowCounts) {
        // The header is a row too: a sheet may hold maxRows routes plus a header.
        if (rows > limits.maxRows + 1) {
            const name = names.get(part);
            return {
                ok: false,
                what: "rows",
                detail: `${name !== undefined ? `its sheet ${JSON.stringify(name)}` : `its worksheet ${part}`} has ${rows.toLocaleString("en-US")} rows`,
            };
        }
    }
    return { ok: true };
}
