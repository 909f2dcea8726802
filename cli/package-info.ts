/**
 * Where this package lives and what it is, found from the running file: the same code runs from
 * the TypeScript sources (cli/) and from the compiled tree (bin/cli/), one level deeper.
 */
import * as fs from "fs";
import * as path from "path";

export const PACKAGE_NAME = "pulumi-s3-replication";

interface PackageJson {
    name?: string;
    version?: string;
    peerDependencies?: Record<string, string>;
}

let cached: { root: string; json: PackageJson } | undefined;

function findPackage(): { root: string; json: PackageJson } {
    if (cached) return cached;
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const file = path.join(dir, "package.json");
        if (fs.existsSync(file)) {
            const json = JSON.parse(fs.readFileSync(file, "utf8")) as PackageJson;
            if (json.name === PACKAGE_NAME) return (cached = { root: dir, json });
        }
        if (path.dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: cannot find its own package.json above ${__dirname}`);
    }
}

/** The package's root directory (where package.json, Pulumi.yaml and the example stacks are). */
export function packageRoot(): string {
    return findPackage().root;
}

/** The package's version, as `--version` prints it. */
export function packageVersion(): string {
    return findPackage().json.version ?? "0.0.0";
}

/** The version ranges of the Pulumi packages this one needs beside it (peer dependencies). */
export function peerRanges(): Record<string, string> {
    return { ...findPackage().json.peerDependencies };
}
