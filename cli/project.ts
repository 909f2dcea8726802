/**
 * Which Pulumi project `plan` and `validate --stack` read: `--project-dir`, else the nearest
 * Pulumi.yaml from the working directory up (as the Pulumi CLI finds a project), else this
 * package's own example project (its `stacks/`).
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { packageRoot } from "./package-info";

export interface ProjectLocation {
    /** The directory holding Pulumi.yaml. */
    root: string;
    /** Where its stack files (Pulumi.<stack>.yaml) live: Pulumi.yaml's `stackConfigDir`, else the root. */
    stacksDir: string;
    /** The project name in Pulumi.yaml. */
    name: string;
    /** How it was found. */
    source: "option" | "cwd" | "bundled";
}

export class ProjectError extends Error {}

const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.yml"];

function projectFile(dir: string): string | undefined {
    return PROJECT_FILES.map(f => path.join(dir, f)).find(f => fs.existsSync(f));
}

function read(root: string, file: string, source: ProjectLocation["source"]): ProjectLocation {
    let doc: { name?: unknown; stackConfigDir?: unknown } | null;
    try {
        doc = parseYaml(fs.readFileSync(file, "utf8")) as typeof doc;
    } catch (e) {
        throw new ProjectError(`${file}: not valid YAML: ${(e as Error).message}`);
    }
    const name = typeof doc?.name === "string" ? doc.name : path.basename(root);
    const stacksDir = typeof doc?.stackConfigDir === "string" ? path.resolve(root, doc.stackConfigDir) : root;
    return { root, stacksDir, name, source };
}

/** The project to use; throws ProjectError when `--project-dir` names no Pulumi project. */
export function locateProject(projectDir?: string, cwd: string = process.cwd()): ProjectLocation {
    if (projectDir !== undefined) {
        const root = path.resolve(cwd, projectDir);
        const file = projectFile(root);
        if (!file)
            throw new ProjectError(
                `--project-dir ${projectDir}: no Pulumi.yaml in ${root}; run \`s3-replication init ${projectDir}\` to create a project there.`,
            );
        return read(root, file, "option");
    }
    for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
        const file = projectFile(dir);
        if (file) return read(dir, file, "cwd");
        if (path.dirname(dir) === dir) break;
    }
    const root = packageRoot();
    return read(root, projectFile(root) ?? path.join(root, "Pulumi.yaml"), "bundled");
}
