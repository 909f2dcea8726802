/**
 * A fresh project outside this repository that installs the packed tarball, as a user's project
 * would, with the Pulumi SDK, pulumi-aws and TypeScript beside it (what `init` lists).
 *
 * The install is `npm install --offline` from the npm cache that `npm ci` filled. That cache holds
 * tarballs only (npm ci fetches each by the lockfile's URL, never the registry's package documents),
 * so npm cannot resolve version ranges offline: the project gets a package-lock.json derived from
 * this repository's, pinning every dependency to the version this repository locks, and npm
 * installs exactly those from the cache. Nothing is linked to this checkout, so a dependency the
 * package forgot to declare is not found.
 *
 * Unpacking about 270 MB takes about 30 s on 2 cores: the dependencies are unpacked once per
 * lockfile into the temp directory, and each project gets a hard-linked copy; npm then installs the
 * tarball itself into it.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** What a user's project brings besides this package: its peers, and the TypeScript its program is compiled with. */
const PROJECT_DEPENDENCIES = ["@pulumi/pulumi", "@pulumi/aws", "typescript"];

interface LockEntry {
    version?: string;
    resolved?: string;
    integrity?: string;
    link?: boolean;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    [key: string]: unknown;
}

interface PackedPackage {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    bin?: Record<string, string>;
}

function readTarballManifest(tarball: string): PackedPackage {
    return JSON.parse(execFileSync("tar", ["-xOzf", tarball, "package/package.json"], { encoding: "utf8" })) as PackedPackage;
}

/** The lockfile entries of `deps` and everything they need, at the paths node resolves them to in this repository's tree. */
function closure(packages: Record<string, LockEntry>, deps: string[]): Record<string, LockEntry> {
    const out: Record<string, LockEntry> = {};
    const resolve = (from: string, name: string): string | undefined => {
        for (let dir = from; ;) {
            const p = `${dir ? `${dir}/` : ""}node_modules/${name}`;
            if (packages[p] && !packages[p].link) return p;
            if (!dir) return undefined;
            const i = dir.lastIndexOf("/node_modules/");
            dir = i < 0 ? "" : dir.slice(0, i);
        }
    };
    const visit = (p: string) => {
        if (out[p]) return;
        const entry = { ...packages[p] };
        const name = p.slice(p.lastIndexOf("node_modules/") + "node_modules/".length);
        // This repository's lockfile has no `resolved` URLs; npm finds a cached tarball by its registry URL and integrity.
        entry.resolved ??= `https://registry.npmjs.org/${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
        out[p] = entry;
        for (const d of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
            const r = resolve(p, d);
            if (r) visit(r);
        }
    };
    for (const d of deps) {
        const r = resolve("", d);
        if (!r) throw new Error(`${d} is not in this repository's lockfile`);
        visit(r);
    }
    return out;
}

export interface Consumer {
    dir: string;
    /** Run a command in the project (or `cwd`); throws with its output on a non-zero exit. */
    run(command: string, args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): string;
}

/** A new project in a temp directory with `tarball` installed (see the file comment). */
export function installConsumer(repoRoot: string, tarball: string, name = "consumer"): Consumer {
    const pkg = readTarballManifest(tarball);
    const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
    const deps = closure(lock.packages, [...PROJECT_DEPENDENCIES, ...Object.keys(pkg.dependencies ?? {})]);
    const pinned = Object.fromEntries(PROJECT_DEPENDENCIES.map(d => [d, lock.packages[`node_modules/${d}`].version!]));
    const write = (target: string, dependencies: Record<string, string>, packages: Record<string, LockEntry>) => {
        const manifest = { name, version: "1.0.0", private: true, dependencies };
        fs.writeFileSync(path.join(target, "package.json"), JSON.stringify(manifest, null, 2));
        fs.writeFileSync(
            path.join(target, "package-lock.json"),
            JSON.stringify({ name, version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": manifest, ...packages } }, null, 2),
        );
    };
    const npm = (cwd: string) =>
        execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error"], {
            cwd,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });

    // Everything but the package itself, unpacked once per lockfile.
    const key = createHash("sha256")
        .update(JSON.stringify({ deps, node: process.version }))
        .digest("hex")
        .slice(0, 16);
    const cache = path.join(os.tmpdir(), `s3r-consumer-deps-${key}`);
    if (!fs.existsSync(path.join(cache, "node_modules", ".package-lock.json"))) {
        const staging = fs.mkdtempSync(`${cache}-staging-`);
        write(staging, pinned, deps);
        npm(staging);
        fs.rmSync(cache, { recursive: true, force: true });
        fs.renameSync(staging, cache);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `s3r-${name}-`));
    execFileSync("cp", ["-al", path.join(cache, "node_modules"), path.join(dir, "node_modules")]);

    // The project: npm installs the tarball (the rest is in place, exactly as the lockfile says).
    const integrity = `sha512-${createHash("sha512").update(fs.readFileSync(tarball)).digest("base64")}`;
    write(
        dir,
        { ...pinned, [pkg.name]: `file:${tarball}` },
        {
            ...deps,
            [`node_modules/${pkg.name}`]: {
                version: pkg.version,
                resolved: `file:${tarball}`,
                integrity,
                ...(pkg.dependencies ? { dependencies: pkg.dependencies } : {}),
                ...(pkg.peerDependencies ? { peerDependencies: pkg.peerDependencies } : {}),
                ...(pkg.bin ? { bin: pkg.bin } : {}),
            },
        },
    );
    npm(dir);

    return {
        dir,
        run(command, args, options = {}) {
            try {
                return execFileSync(command, args, {
                    cwd: options.cwd ?? dir,
                    encoding: "utf8",
                    env: { ...process.env, ...options.env },
                    stdio: ["ignore", "pipe", "pipe"],
                    maxBuffer: 64 * 1024 * 1024,
                });
            } catch (e) {
                const err = e as { status?: number; stdout?: string; stderr?: string };
                throw new Error(`${command} ${args.join(" ")} exited ${err.status}:\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
            }
        },
    };
}
