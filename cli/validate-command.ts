/**
 * `s3-replication validate <manifest>`: every problem in a manifest, found before deploying.
 * Exit codes: 0 no errors, 1 errors, 2 the manifest cannot be read or the usage is wrong.
 */
import { Diagnostic, diag, escapeTerminal, formatDiagnostic, safeJson } from "../components/model";
import { ManifestValidation, validateManifest, validateStack } from "../components/manifest";

export interface ValidateCommandOptions {
    stack?: string;
    /** `column=value` pairs (repeatable `--set`). */
    set?: string[];
    json?: boolean;
    strict?: boolean;
    sheet?: string;
    /** Human output: print at most this many problems, then how many more (0: all). JSON has all. */
    maxDiagnostics?: number;
    /** Where stack files live (default: the repository's `stacks/`); for tests. */
    stacksDir?: string;
}

/** Problems printed before "... and N more" (a million-row file must not print a million lines). */
export const DEFAULT_MAX_DIAGNOSTICS = 200;

export interface CommandIo {
    out: (s: string) => void;
    err: (s: string) => void;
}

export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_UNUSABLE = 2;

/** The diagnostic as `--json` prints it: the public fields only, in a fixed order. */
function wire(d: Diagnostic): Record<string, unknown> {
    return {
        ...(d.file !== undefined ? { file: d.file } : {}),
        ...(d.row !== undefined ? { row: d.row } : {}),
        ...(d.column !== undefined ? { column: d.column } : {}),
        code: d.code,
        severity: d.severity,
        message: d.message,
        ...(d.path !== undefined ? { path: d.path } : {}),
    };
}

function plural(n: number, word: string): string {
    return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

export async function runValidate(file: string | undefined, opts: ValidateCommandOptions, io: CommandIo): Promise<number> {
    const common = {
        ...(opts.stacksDir !== undefined ? { stacksDir: opts.stacksDir } : {}),
        ...(opts.sheet !== undefined ? { sheet: opts.sheet } : {}),
        ...(opts.strict ? { strict: true } : {}),
        set: opts.set ?? [],
    };
    const empty = [
        ["<manifest>", file],
        ["--stack", opts.stack],
        ["--sheet", opts.sheet],
    ].filter(([, v]) => v !== undefined && v.trim() === "");
    if (empty.length > 0) {
        return report(
            usage(empty.map(([name]) => diag("INVALID_CONFIG", `${name} is empty; give a value or leave the option out.`, { path: name! }))),
            opts,
            io,
        );
    }
    if (file === undefined && opts.stack !== undefined) {
        // No file given: what the stack deploys, its manifest and any routes listed in its config.
        return report(await validateStack(opts.stack, common), opts, io);
    }
    if (file === undefined) {
        return report(
            usage([
                diag("INVALID_CONFIG", "no manifest given: run validate <manifest> [--stack NAME] [--set column=value ...] [--json] [--strict].", {
                    path: "<manifest>",
                }),
            ]),
            opts,
            io,
        );
    }
    return report(await validateManifest(file, { ...(opts.stack !== undefined ? { stack: opts.stack } : {}), ...common }), opts, io);
}

function usage(diagnostics: Diagnostic[]): ManifestValidation {
    return { ok: false, file: "", format: "unknown", diagnostics, errors: diagnostics, warnings: [], records: 0, fatal: "usage" };
}

function report(result: ManifestValidation, opts: ValidateCommandOptions, io: CommandIo): number {
    const code = result.fatal ? EXIT_UNUSABLE : result.ok ? EXIT_OK : EXIT_ERRORS;
    if (opts.json) {
        // Every problem, escaped where JSON.stringify leaves terminal controls raw; still the same JSON.
        io.out(safeJson({ ok: result.ok, errors: result.errors.map(wire), warnings: result.warnings.map(wire) }, 2));
        return code;
    }
    const write = result.fatal ? io.err : io.out;
    printDiagnostics(result.diagnostics, opts.maxDiagnostics ?? DEFAULT_MAX_DIAGNOSTICS, write);
    if (result.fatal === "usage") {
        write("validate: nothing was checked; fix the usage above.");
        return code;
    }
    // Routes as the file declares them (one per row or item), whether or not they validated.
    const routes = ` (${plural(result.records, "route")})`;
    write(escapeTerminal(`${plural(result.errors.length, "error")}, ${plural(result.warnings.length, "warning")} in ${result.file}${routes}`));
    return code;
}

/** One line per problem, at most `max` of them (0: all), then a count of the rest. */
export function printDiagnostics(diagnostics: readonly Diagnostic[], max: number, write: (line: string) => void): void {
    const shown = max > 0 ? diagnostics.slice(0, max) : diagnostics;
    for (const d of shown) write(formatDiagnostic(d));
    const rest = diagnostics.length - shown.length;
    if (rest > 0) {
        const errors = diagnostics.slice(shown.length).filter(d => d.severity === "error").length;
        write(
            `... and ${rest.toLocaleString("en-US")} more (${plural(errors, "error")}, ${plural(rest - errors, "warning")}) not shown; --max-diagnostics 0 prints them all, --json lists them all.`,
        );
    }
}
