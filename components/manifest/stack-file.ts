/**
 * Reading a stack's config file (`Pulumi.<stack>.yaml`) the way the Pulumi CLI would hand it to
 * the program, for the offline commands. The default folder is this repository's `stacks/`.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { CONFIG_NAMESPACE } from "../model";

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
    return fs.readdirSync(stacksDir)
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
    const pulumiConfig: Record<string, string> = {};
    const settings: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
        const full = key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`;
        const plain = value !== null && typeof value === "object" && "value" in (value as object) && Object.keys(value as object).length === 1
            ? (value as { value: unknown }).value : value;
        if (plain !== null && typeof plain === "object" && "secure" in (plain as object)) {
            throw new StackFileError(`${file}: ${key} is a secret; the offline commands cannot decrypt secrets.`);
        }
        pulumiConfig[full] = typeof plain === "string" ? plain : JSON.stringify(plain);
        if (full.startsWith(`${CONFIG_NAMESPACE}:`)) settings[full.slice(CONFIG_NAMESPACE.length + 1)] = plain;
    }
    return { stack, file, pulumiConfig, settings };
}
