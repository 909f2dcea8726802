/**
 * Reading a stack's config file (`Pulumi.<stack>.yaml`) the way the Pulumi CLI would hand it to
 * the program, for the offline commands. The default folder is this repository's `stacks/`.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { CONFIG_NAMESPACE, Diagnostic, StackSettings, diag, parseStackSettings } from "../model";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const STACKS_DIR = path.join(REPO_ROOT, "stacks");

export interface StackFile {
    stack: string;
    file: string;
    /** Fully qualified keys (`project:key`, `aws:region`) -> value as Pulumi passes it (JSON text for objects). */
    pulumiConfig: Record<string, string>;
    /** This package's keys without namespace, values as parsed YAML. */
    settings: Record<string, unknown>;
}

export class StackFileError extends Error {}

export function stackFilePath(stack: string, stacksDir = STACKS_DIR): string {
    return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

export function listStacks(stacksDir = STACKS_DIR): string[] {
    return fs
        .readdirSync(stacksDir)
        .map(f => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export function readStackFile(stack: string, stacksDir = STACKS_DIR): StackFile {
    const file = stackFilePath(stack, stacksDir);
    if (!fs.existsSync(file)) {
        const known = fs.existsSync(stacksDir) ? listStacks(stacksDir) : [];
        throw new StackFileError(`no stack config ${path.relative(process.cwd(), file)}; known stacks: ${known.join(", ") || "none"}.`);
    }
    let doc: unknown;
    try {
        doc = parseYaml(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new StackFileError(`${file}: not valid YAML: ${(e as Error).message}`);
    }
    const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
    // Null prototype: a config key named __proto__ is a key like any other (and then unknown).
    const pulumiConfig = Object.create(null) as Record<string, string>;
    const settings = Object.create(null) as Record<string, unknown>;
    for (const [key, value] of Object.entries(config)) {
        const full = key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`;
        const plain =
            value !== null && typeof value === "object" && "value" in (value as object) && Object.keys(value as object).length === 1
                ? (value as { value: unknown }).value
                : value;
        if (plain !== null && typeof plain === "object" && "secure" in (plain as object)) {
            throw new StackFileError(`${file}: ${key} is a secret; the offline commands cannot decrypt secrets.`);
        }
        pulumiConfig[full] = typeof plain === "string" ? plain : JSON.stringify(plain);
        if (full.startsWith(`${CONFIG_NAMESPACE}:`)) settings[full.slice(CONFIG_NAMESPACE.length + 1)] = plain;
    }
    return { stack, file, pulumiConfig, settings };
}

/** A stack as the offline commands and the stacks program see it: its file, settings and manifest. */
export interface StackContext {
    stack: string;
    /** The stack file, when it could be read. */
    file?: StackFile;
    settings?: StackSettings;
    diagnostics: Diagnostic[];
    /**
     * The stack's `manifest`, resolved against the folder of its stack file (as the stacks program
     * resolves it) and shown relative to the working directory, as diagnostics name it.
     */
    manifest?: string;
    /** The same manifest, absolute. */
    manifestPath?: string;
    sheet?: string;
    /** The stack cannot be used: unknown stack, not YAML, a secret, or settings that fail the schema. */
    unusable: boolean;
}

/**
 * Where a stack's `manifest` setting points: relative to the stack file's folder, the folder the
 * stacks program resolves it against (never the working directory, which differs by command).
 */
export function resolveStackManifest(stackFile: string, manifest: string): string {
    return path.resolve(path.dirname(stackFile), manifest);
}

/** A path as diagnostics show it: relative to the working directory. */
export function shownPath(file: string): string {
    return path.relative(process.cwd(), file) || file;
}

/** Read and check a stack's settings: the one loader `validate --stack` and `plan` share. */
export function loadStackContext(stack: string, stacksDir?: string): StackContext {
    let file: StackFile;
    try {
        file = readStackFile(stack, stacksDir);
    } catch (e) {
        if (!(e instanceof StackFileError)) throw e;
        return { stack, diagnostics: [diag("INVALID_CONFIG", `--stack ${stack}: ${e.message}`, { path: "--stack" })], unusable: true };
    }
    const parsed = parseStackSettings(file.settings);
    // Settings that fail their schema cannot drive validation (aliases, defaults, templates).
    const context: StackContext = { stack, file, diagnostics: parsed.diagnostics, unusable: parsed.settings === undefined };
    if (parsed.settings) {
        context.settings = parsed.settings;
        if (parsed.settings.manifest !== undefined) {
            context.manifestPath = resolveStackManifest(file.file, parsed.settings.manifest);
            context.manifest = shownPath(context.manifestPath);
        }
        if (parsed.settings.manifestSheet) context.sheet = parsed.settings.manifestSheet;
    }
    return context;
}

/** INVALID_CONFIG for a stack that deploys nothing: no manifest and no routes in its config. */
export function noRoutesDiagnostic(stack: string): Diagnostic {
    return diag(
        "INVALID_CONFIG",
        `stack ${stack} has no manifest setting and no routes: set ${CONFIG_NAMESPACE}:manifest or ${CONFIG_NAMESPACE}:routes, or name a manifest on the command line.`,
        { path: `${CONFIG_NAMESPACE}:manifest` },
    );
}
