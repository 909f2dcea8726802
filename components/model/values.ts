/**
 * The rules that keep a manifest's values exactly as written: what counts as blank, which
 * characters are refused, how tags, accounts and priorities are read. Every value either arrives
 * as the cell or scalar shows it, or is refused with a diagnostic; nothing is quietly rewritten.
 */
import { Column, isTextColumn } from "./columns";
import { DiagnosticCode, UNSAFE_TEXT, escapedChar, kindOf } from "./diagnostics";

/** A problem with one value: the code and message to report. */
export interface ValueProblem {
    code: DiagnosticCode;
    message: string;
}

/** Spaces and tabs around an identifier (a bucket, Region, account, key ARN, choice) are ignored. */
export function trimSpaces(text: string): string {
    return text.replace(/^[ \t]+|[ \t]+$/g, "");
}

/** Any whitespace at either end, the non-breaking space included. */
export function hasSurroundingWhitespace(text: string): boolean {
    return /^\s|\s$/u.test(text);
}

/** The first control or bidirectional formatting character, and where it is. */
export function unsafeCharacter(text: string): { char: string; index: number } | undefined {
    const m = UNSAFE_TEXT.exec(text);
    return m ? { char: m[0], index: m.index } : undefined;
}

const CHARACTER_NAMES: ReadonlyMap<number, string> = new Map([
    [0x09, "a tab"],
    [0x0a, "a line break"],
    [0x0d, "a carriage return"],
    [0x1b, "an escape (ESC)"],
    [0x00, "a NUL"],
    [0x7f, "a delete (DEL)"],
    [0x202e, "a right-to-left override"],
    [0x202d, "a left-to-right override"],
    [0x200e, "a left-to-right mark"],
    [0x200f, "a right-to-left mark"],
    [0x2028, "a line separator"],
    [0x2029, "a paragraph separator"],
]);

function describeCharacter(c: string): string {
    const code = c.charCodeAt(0);
    const name =
        CHARACTER_NAMES.get(code) ??
        (code >= 0x2066 || (code >= 0x202a && code <= 0x202e) || code === 0x061c ? "a bidirectional formatting character" : "a control character");
    return `${name} (${escapedChar(c)}, U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
}

/** CONTROL_CHARACTER for `text` in `what`, if it has one. */
export function controlProblem(what: string, text: string): ValueProblem | undefined {
    const found = unsafeCharacter(text);
    if (!found) return undefined;
    return {
        code: "CONTROL_CHARACTER",
        message: `${what} contains ${describeCharacter(found.char)} at character ${found.index + 1}, which a terminal, console or spreadsheet does not show as itself; delete it (tags go on one line, separated by semicolons).`,
    };
}

/**
 * A value's first problem before it is read at all: a date anywhere; a number or boolean in a
 * text column (YAML `0123`, an Excel number in a prefix); a control character.
 */
export function screenValue(column: Column, value: unknown): ValueProblem | undefined {
    if (value instanceof Date) {
        return {
            code: "VALUE_NOT_TEXT",
            message: `${column} holds a date, whose text cannot be read back exactly; write the value as text (quoted in YAML/JSON, a Text cell in Excel).`,
        };
    }
    if (typeof value === "string") return controlProblem(column, value);
    if (isTextColumn(column) && (typeof value === "number" || typeof value === "boolean")) {
        return {
            code: "VALUE_NOT_TEXT",
            message: `${column} must be text, but it is the ${typeof value} ${String(value)}, which may not be what was written (0123 is read as 123, 1.10 as 1.1); quote it: "${String(value)}" if that is the value.`,
        };
    }
    if (column === "tags" && value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
            const keyProblem = controlProblem(`tag key ${JSON.stringify(k)}`, k);
            if (keyProblem) return keyProblem;
            if (v === null || v === undefined) continue;
            if (typeof v !== "string") {
                return {
                    code: "VALUE_NOT_TEXT",
                    message: `the value of tag ${JSON.stringify(k)} must be text, not ${kindOf(v) === "number" || kindOf(v) === "boolean" ? `the ${kindOf(v)} ${String(v)}` : kindOf(v)}; quote it.`,
                };
            }
            const valueProblem = controlProblem(`the value of tag ${JSON.stringify(k)}`, v);
            if (valueProblem) return valueProblem;
        }
    }
    return undefined;
}

/**
 * Tags written as text: `key=value;key2=value2`, and nothing else. Keys and values are kept
 * exactly (spaces included). A value holding `=` or a `,` anywhere is refused: `team=data,class=logs`
 * would otherwise be one tag whose value is `data,class=logs`.
 */
export function parseTagText(text: string): { pairs: Array<[string, string]> } | { error: string } {
    const pairs: Array<[string, string]> = [];
    for (const part of text.split(";")) {
        if (part === "") continue;
        const eq = part.indexOf("=");
        if (eq < 0) return { error: `entry ${JSON.stringify(part)} has no "="` };
        const key = part.slice(0, eq);
        const value = part.slice(eq + 1);
        if (part.includes(",")) return { error: `entry ${JSON.stringify(part)} has a comma, which is not a tag separator; separate tags with ";" only` };
        if (value.includes("="))
            return {
                error: `entry ${JSON.stringify(part)} has a second "=", which reads as one tag ${JSON.stringify(key)} with the value ${JSON.stringify(value)}; separate tags with ";" (or, for a value that really holds "=", use a YAML/JSON mapping)`,
            };
        pairs.push([key, value]);
    }
    return { pairs };
}

/**
 * An account read from a cell: a 12-digit id as text, or a number from a numeric cell. A
 * spreadsheet drops the leading zero of 012345678901, leaving 11 digits: only then is a zero put
 * back. Any other number (42, 12345) is not an account id.
 */
export function accountFromNumber(value: number): string | undefined {
    if (!Number.isSafeInteger(value) || value < 0) return undefined;
    if (value >= 1e10 && value < 1e11) return String(value).padStart(12, "0");
    if (value >= 1e11 && value < 1e12) return String(value);
    return undefined;
}

/** A priority: a decimal whole number from 0 to 2147483647 (no sign, hex, exponent or fraction). */
export function parsePriority(value: unknown): number | undefined {
    if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 && value <= 2147483647 ? value : undefined;
    if (typeof value !== "string") return undefined;
    const text = trimSpaces(value);
    if (!/^[0-9]{1,10}$/.test(text)) return undefined;
    const n = Number(text);
    return n <= 2147483647 ? n : undefined;
}
