/**
 * Bytes to text for the text formats (CSV, TSV, YAML, JSON): UTF-8 with or without a BOM, and
 * UTF-16 with a BOM (Excel's "Unicode text"). Anything else is refused rather than guessed, so
 * a prefix or tag value is never silently changed by a wrong code page.
 */

export type DecodeResult = { text: string } | { error: string; line?: number };

export function decodeText(content: Buffer | string): DecodeResult {
    if (typeof content === "string") return { text: content.charCodeAt(0) === 0xfeff ? content.slice(1) : content };
    if (content.length >= 2 && content[0] === 0xff && content[1] === 0xfe) {
        return { text: new TextDecoder("utf-16le").decode(content.subarray(2)) };
    }
    if (content.length >= 2 && content[0] === 0xfe && content[1] === 0xff) {
        return { text: new TextDecoder("utf-16be").decode(content.subarray(2)) };
    }
    const body = content.length >= 3 && content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf ? content.subarray(3) : content;
    try {
        return { text: new TextDecoder("utf-8", { fatal: true }).decode(body) };
    } catch {
        // Find the line of the first bad byte so the user knows where to look.
        const text = new TextDecoder("utf-8").decode(body);
        const bad = text.indexOf("\ufffd");
        const line = bad < 0 ? undefined : lineOfOffset(text, bad);
        return {
            error: `is not UTF-8 text${line !== undefined ? ` (first bad byte on line ${line})` : ""}; save it as UTF-8 (Excel: "CSV UTF-8 (Comma delimited)")`,
            ...(line !== undefined ? { line } : {}),
        };
    }
}

/** 1-based line of a character offset. */
export function lineOfOffset(text: string, offset: number): number {
    let line = 1;
    const end = Math.min(offset, text.length);
    for (let i = 0; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c === 10) line++;
        else if (c === 13 && text.charCodeAt(i + 1) !== 10) line++;
    }
    return line;
}
