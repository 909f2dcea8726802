/**
 * `s3-replication validate <manifest>`: every problem in a manifest, found before deploying.
 * Exit codes: 0 no errors, 1 errors, 2 the manifest cannot be read or the usage is wrong.
 */
import { Diagnostic, diag, formatDiagnostic } from "../components/model";
import { ManifestValidation, loadStackContext, validateManifest } from "../components/manifest";

export interface ValidateCommandOptions {
    stack?: string;
    /** `column=value` pairs (repeatable `--set`). */
    set?: string[];
    json?: boolean;
    strict?: boolean;
    sheet?: string;
}

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
    return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export async function runValidate(file: string | undefined, opts: ValidateCommandOptions, io: CommandIo): Promise<number> {
    let manifest = file;
    let sheet = opts.sheet;
    let result: ManifestValidation;
    if (opts.stack !== undefined) {
        const context = loadStackContext(opts.stack);
        if (context.unusable) return report(usage(manifest ?? "", context.diagnostics), opts, io);
        manifest ??= context.manifest;
        sheet ??= context.sheet;
        if (manifest === undefined) {
            return report(usage("", [diag("INVALID_CONFIG", `no manifest given and stack ${opts.stack} has no manifest setting; run validate <manifest> --stack ${opts.stack}.`, { path: "<manifest>" })]), opts, io);
        }
        result = await validateManifest(manifest, {
            ...(context.settings ? { settings: context.settings } : {}),
            set: opts.set ?? [], strict: opts.strict, ...(sheet !== undefined ? { sheet } : {}),
        });
        // Schema problems in the stack file are reported with the manifest's.
        if (!result.fatal && context.diagnostics.length > 0) result = withExtra(result, context.diagnostics);
    } else {
        if (manifest === undefined) {
            return report(usage("", [diag("INVALID_CONFIG", "missing <manifest>: run validate <manifest> [--stack NAME] [--set column=value ...] [--json] [--strict].", { path: "<manifest>" })]), opts, io);
        }
        result = await validateManifest(manifest, { set: opts.set ?? [], strict: opts.strict, ...(sheet !== undefined ? { sheet } : {}) });
    }
    return report(result, opts, io);
}

function usage(file: string, diagnostics: Diagnostic[]): ManifestValidation {
    return { ok: false, file, format: "unknown", diagnostics, errors: diagnostics, warnings: [], records: 0, fatal: "usage" };
}

function withExtra(result: ManifestValidation, extra: Diagnostic[]): ManifestValidation {
    const errors = [...extra.filter(d => d.severity === "error"), ...result.errors];
    const warnings = [...extra.filter(d => d.severity === "warning"), ...result.warnings];
    return { ...result, diagnostics: [...extra, ...result.diagnostics], errors, warnings, ok: errors.length === 0 };
}

function report(result: ManifestValidation, opts: ValidateCommandOptions, io: CommandIo): number {
    const code = result.fatal ? EXIT_UNUSABLE : result.ok ? EXIT_OK : EXIT_ERRORS;
    if (opts.json) {
        io.out(JSON.stringify({ ok: result.ok, errors: result.errors.map(wire), warnings: result.warnings.map(wire) }, null, 2));
        return code;
    }
    const write = result.fatal ? io.err : io.out;
    for (const d of result.diagnostics) write(formatDiagnostic(d));
    if (result.fatal === "usage") {
        write("validate: nothing was checked; fix the usage above.");
        return code;
    }
    const routes = result.spec ? ` (${plural(result.spec.routes.length, "route")})` : "";
    write(`${plural(result.errors.length, "error")}, ${plural(result.warnings.length, "warning")} in ${result.file}${routes}`);
    return code;
}
