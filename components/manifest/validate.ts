/**
 * The whole offline check of a manifest, as `s3-replication validate` runs it: load the file,
 * apply stack config and `--set` values, normalize, plan and measure. Pure of Pulumi and AWS.
 */
import { LIMIT_ENV, ManifestLimits } from "./limits";
import { loadStackContext, noRoutesDiagnostic } from "./stack-file";
import {
    Column,
    Diagnostic,
    FleetPlan,
    FleetSpec,
    StackSettings,
    diag,
    escalateWarnings,
    fleetOptionsFrom,
    parseSetPairs,
    parseStackSettings,
    sortDiagnostics,
    validateFleet,
} from "../model";
import { INLINE_ROUTES_PATH, LoadedManifest, ManifestFormat, loadManifest, loadStackRoutes, parseManifest } from "./load";

export interface ValidateManifestOptions {
    /** Stack whose config (`stacks/Pulumi.<stack>.yaml`) supplies accounts, defaults and templates. */
    stack?: string;
    /** Where stack files live (default: the repository's `stacks/`). */
    stacksDir?: string;
    /** Parsed stack settings; used instead of reading `stack`. */
    settings?: StackSettings;
    /** `column=value` pairs: values for columns a row leaves blank or the file lacks. */
    set?: readonly string[];
    /** Warnings count as errors. */
    strict?: boolean;
    /** XLSX sheet (default: stack config `manifestSheet`, else the first visible sheet). */
    sheet?: string;
    format?: ManifestFormat;
    /** Size limits (default: the environment's, else DEFAULT_LIMITS). */
    limits?: Partial<ManifestLimits>;
}

export interface ManifestValidation {
    /** No errors (after `strict` escalation). */
    ok: boolean;
    file: string;
    format: string;
    diagnostics: Diagnostic[];
    errors: Diagnostic[];
    warnings: Diagnostic[];
    /** Routes read from the file (rows/items). */
    records: number;
    spec?: FleetSpec;
    plan?: FleetPlan;
    /**
     * Why validation could not run at all: the manifest is unreadable, or the options are
     * wrong (an unknown stack, a malformed `--set`). The CLI exits 2 for these.
     */
    fatal?: "unreadable" | "usage";
}

/** Load and validate a manifest file. Never throws for bad content or options. */
export async function validateManifest(file: string, options: ValidateManifestOptions = {}): Promise<ManifestValidation> {
    const prepared = prepare(options);
    if ("fatal" in prepared) return failed(file, "unknown", prepared.diagnostics, "usage");
    const sheet = options.sheet ?? prepared.sheet;
    const loaded = await loadManifest(file, {
        ...(sheet !== undefined ? { sheet } : {}),
        ...(options.format ? { format: options.format } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
    });
    return validateLoaded(loaded, file, prepared, options.strict);
}

/**
 * Validate what a stack deploys: its manifest and the routes listed inline in its config, together,
 * as the stacks program reads them. Never throws for bad content or options.
 */
export async function validateStack(stack: string, options: Omit<ValidateManifestOptions, "stack" | "settings" | "format"> = {}): Promise<ManifestValidation> {
    const context = loadStackContext(stack, options.stacksDir);
    const prepared = prepare({ ...options, ...(context.settings ? { settings: context.settings } : {}) });
    const routes = context.settings?.routes;
    const label = [context.manifest, routes && INLINE_ROUTES_PATH].filter(Boolean).join(" and ") || `stack ${stack}`;
    if (context.unusable || "fatal" in prepared) {
        return failed(label, "unknown", [...context.diagnostics, ...("fatal" in prepared ? prepared.diagnostics : [])], "usage");
    }
    prepared.diagnostics.push(...context.diagnostics);
    if (context.manifest === undefined && routes === undefined) return failed(label, "unknown", [noRoutesDiagnostic(stack)], "usage");
    const sheet = options.sheet ?? context.sheet;
    const loaded = await loadStackRoutes(context.manifest, routes, {
        ...(sheet !== undefined ? { sheet } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
    });
    return validateLoaded(loaded, context.manifest ?? INLINE_ROUTES_PATH, prepared, options.strict, label);
}

/** Validate manifest content already in memory (tests, editors, the stacks program). */
export async function validateManifestContent(
    content: Buffer | string,
    format: ManifestFormat,
    file: string,
    options: Omit<ValidateManifestOptions, "format"> = {},
): Promise<ManifestValidation> {
    const prepared = prepare(options);
    if ("fatal" in prepared) return failed(file, format, prepared.diagnostics, "usage");
    const sheet = options.sheet ?? prepared.sheet;
    const loaded = await parseManifest(content, format, file, {
        ...(sheet !== undefined ? { sheet } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
    });
    return validateLoaded(loaded, file, prepared, options.strict);
}

interface Prepared {
    settings: StackSettings;
    setValues: Partial<Record<Column, string>>;
    diagnostics: Diagnostic[];
    sheet?: string;
}

function prepare(options: ValidateManifestOptions): Prepared | { fatal: true; diagnostics: Diagnostic[] } {
    const set = parseSetPairs(options.set ?? []);
    let settings = options.settings;
    const diagnostics: Diagnostic[] = [];
    let sheet: string | undefined;
    if (!settings && options.stack !== undefined) {
        const context = loadStackContext(options.stack, options.stacksDir);
        if (context.unusable) return { fatal: true, diagnostics: [...set.diagnostics, ...context.diagnostics] };
        diagnostics.push(...context.diagnostics);
        settings = context.settings;
        sheet = context.sheet;
    }
    if (set.diagnostics.length > 0) return { fatal: true, diagnostics: set.diagnostics };
    settings ??= parseStackSettings({}).settings!;
    return { settings, setValues: set.values, diagnostics, ...(sheet ? { sheet } : {}) };
}

function failed(file: string, format: string, diagnostics: Diagnostic[], fatal: "unreadable" | "usage"): ManifestValidation {
    const all = sortDiagnostics(diagnostics);
    return {
        ok: false,
        file,
        format,
        diagnostics: all,
        errors: all.filter(d => d.severity === "error"),
        warnings: all.filter(d => d.severity === "warning"),
        records: 0,
        fatal,
    };
}

/** `file` is the manifest the diagnostics name; `shown` what the summary says was checked. */
function validateLoaded(loaded: LoadedManifest, file: string, prepared: Prepared, strictOption: boolean | undefined, shown = file): ManifestValidation {
    const strict = strictOption ?? prepared.settings.strict;
    const base = [...prepared.diagnostics, ...loaded.diagnostics];
    // A limit set wrongly in the environment is a usage error; a file that cannot be (or must not be) read, unreadable.
    const limitVariables = new Set<string>(Object.values(LIMIT_ENV));
    if (loaded.diagnostics.some(d => d.code === "INVALID_CONFIG" && d.path !== undefined && limitVariables.has(d.path)))
        return failed(shown, loaded.format, base, "usage");
    if (loaded.diagnostics.some(d => d.code === "MANIFEST_UNREADABLE" || d.code === "MANIFEST_TOO_LARGE"))
        return failed(shown, loaded.format, base, "unreadable");

    let diagnostics = base;
    let spec: FleetSpec | undefined;
    let plan: FleetPlan | undefined;
    if (loaded.records.length > 0) {
        const options = fleetOptionsFrom(prepared.settings, prepared.setValues);
        const result = validateFleet(loaded.records, options);
        spec = result.spec;
        plan = result.plan;
        diagnostics = [...base, ...collapseMissingColumns(result.diagnostics, loaded, file)];
    }
    let all = sortDiagnostics(diagnostics);
    if (strict) all = escalateWarnings(all);
    const errors = all.filter(d => d.severity === "error");
    return {
        ok: errors.length === 0,
        file: shown,
        format: loaded.format,
        diagnostics: all,
        errors,
        warnings: all.filter(d => d.severity === "warning"),
        records: loaded.records.length,
        ...(spec ? { spec } : {}),
        ...(plan ? { plan } : {}),
    };
}

/**
 * A column the header lacks makes every row MISSING_FIELD: say it once, at the header, and
 * say how to give the value (a column, `--set`, or stack config).
 */
function collapseMissingColumns(diagnostics: readonly Diagnostic[], loaded: LoadedManifest, file: string): Diagnostic[] {
    if (!loaded.columns || loaded.headerRow === undefined) return [...diagnostics];
    const present = new Set<string>(loaded.columns);
    const collapsed = new Map<string, number>();
    const kept: Diagnostic[] = [];
    for (const d of diagnostics) {
        if (d.code === "MISSING_FIELD" && d.file === file && d.column !== undefined && !present.has(d.column)) {
            collapsed.set(d.column, (collapsed.get(d.column) ?? 0) + 1);
        } else kept.push(d);
    }
    for (const [column, count] of collapsed) {
        const how =
            column === "destination_bucket"
                ? 'add a destination_bucket column, or set destinationTemplate in stack config (e.g. "{source}-replica")'
                : `add a ${column} column, or give one value for every row with --set ${column}=... or stack config defaults.${column}`;
        kept.push(
            diag("MISSING_FIELD", `the manifest has no ${column} column and ${count === 1 ? "its route needs" : `its ${count} routes need`} it; ${how}.`, {
                file,
                row: loaded.headerRow,
                column,
            }),
        );
    }
    return kept;
}
