#!/usr/bin/env node
/**
 * Makes the pack publishable on its own (npm `prepack`, so `pulumi policy publish` runs it too).
 *
 * `pulumi policy publish` ships this folder as `npm pack` makes it, and `pulumi policy enable`
 * unpacks that tarball elsewhere and runs `npm install` in it. The policies import the shared model
 * from ../../components/model, which is not in this folder, so this script:
 *
 * 1. compiles index.ts and everything it imports (the model included) to JavaScript under dist/,
 *    keeping the repository's layout, so the relative imports still resolve inside the tarball;
 * 2. refuses to finish if the compiled code requires anything that is neither in dist/, a Node
 *    built-in, nor a dependency declared in package.json;
 * 3. writes npm-shrinkwrap.json from the repository's package-lock.json, so the installed pack runs
 *    on exactly the versions this repository tests, and installs without resolving anything.
 *
 * The tarball holds no TypeScript and no tsconfig.json: the analyzer host then loads plain
 * JavaScript, whatever TypeScript (or Pulumi's vendored 3.8) it would have picked.
 */
"use strict";
const fs = require("fs");
const path = require("path");
const { builtinModules } = require("module");
const ts = require("typescript");

const PACK = __dirname;
const ROOT = path.resolve(PACK, "..", "..");
const DIST = path.join(PACK, "dist");

function fail(message) {
    console.error(`replication-guard build: ${message}`);
    process.exit(1);
}

function compile() {
    fs.rmSync(DIST, { recursive: true, force: true });
    const parsed = ts.getParsedCommandLineOfConfigFile(
        path.join(PACK, "tsconfig.json"),
        {},
        {
            ...ts.sys,
            onUnRecoverableConfigFileDiagnostic: d => fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
        },
    );
    if (parsed.errors.length) fail(parsed.errors.map(d => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"));
    // Types are checked by the repository's `npm test`; here only emit.
    const options = { ...parsed.options, rootDir: ROOT, outDir: DIST, noCheck: true, sourceMap: false, declaration: false, noEmit: false };
    const program = ts.createProgram(parsed.fileNames, options);
    const emitted = [];
    const result = program.emit(undefined, (file, text) => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        emitted.push(file);
    });
    const errors = [...program.getSyntacticDiagnostics(), ...program.getOptionsDiagnostics(), ...result.diagnostics];
    if (errors.length) fail(ts.formatDiagnostics(errors, { getCanonicalFileName: f => f, getCurrentDirectory: () => PACK, getNewLine: () => "\n" }));
    return emitted;
}

/** Every `require("…")` the compiled code makes must resolve inside the tarball. */
function checkRequires(files, declared) {
    const builtins = new Set(builtinModules.flatMap(m => [m, `node:${m}`]));
    const problems = [];
    for (const file of files) {
        const text = fs.readFileSync(file, "utf8");
        for (const m of text.matchAll(/\brequire\("([^"]+)"\)/g)) {
            const spec = m[1];
            if (spec.startsWith(".")) {
                const target = path.resolve(path.dirname(file), spec);
                const inside = target.startsWith(DIST + path.sep);
                const exists = [target, `${target}.js`, path.join(target, "index.js")].some(f => fs.existsSync(f) && fs.statSync(f).isFile());
                if (!inside || !exists) problems.push(`${path.relative(PACK, file)} requires ${spec}, which is not in dist/`);
            } else if (!builtins.has(spec)) {
                const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
                if (!declared.has(name)) problems.push(`${path.relative(PACK, file)} requires ${name}, which package.json does not declare`);
            }
        }
    }
    if (problems.length) fail(problems.join("\n"));
}

/**
 * The pack's dependency tree as the repository's lockfile resolved it. The pack is a workspace, so
 * its dependencies sit in the root node_modules unless npm had to nest one under the pack; Node
 * finds a package from `at` in at/node_modules, then in each enclosing node_modules.
 */
function shrinkwrap(pkg) {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
    const self = path.relative(ROOT, PACK).split(path.sep).join("/");
    const packages = lock.packages;
    const lookup = (name, at) => {
        for (let dir = at; ;) {
            const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
            if (packages[candidate]) return candidate;
            if (!dir) return undefined;
            const cut = dir.lastIndexOf("/node_modules/");
            dir = cut >= 0 ? dir.slice(0, cut) : "";
        }
    };
    const reached = new Set();
    const visit = (deps, at) => {
        for (const name of Object.keys(deps ?? {})) {
            const found = lookup(name, at);
            if (!found) {
                if (at === self) fail(`package-lock.json has no ${name} for the pack: run npm install at the repository root`);
                continue; // an optional or peer dependency npm did not install
            }
            if (reached.has(found)) continue;
            reached.add(found);
            const entry = packages[found];
            // npm installs peers too, except those marked optional (@pulumi/pulumi's typescript and ts-node).
            const peers = Object.keys(entry.peerDependencies ?? {}).filter(p => !entry.peerDependenciesMeta?.[p]?.optional);
            visit({ ...entry.dependencies, ...entry.optionalDependencies, ...Object.fromEntries(peers.map(p => [p, "*"])) }, found);
        }
    };
    visit(pkg.dependencies, self);
    const out = {};
    for (const key of [...reached].sort()) {
        const local = key.startsWith(`${self}/`) ? key.slice(self.length + 1) : key;
        if (out[local]) fail(`${local} is both nested under the pack and hoisted in package-lock.json; cannot flatten`);
        // Whether the repository needed a package for development says nothing about the pack.
        const entry = { ...packages[key] };
        for (const flag of ["dev", "devOptional", "peer"]) delete entry[flag];
        out[local] = entry;
    }
    const wrap = {
        name: pkg.name,
        version: pkg.version,
        lockfileVersion: 3,
        requires: true,
        packages: { "": { name: pkg.name, version: pkg.version, license: pkg.license, dependencies: pkg.dependencies }, ...out },
    };
    fs.writeFileSync(path.join(PACK, "npm-shrinkwrap.json"), `${JSON.stringify(wrap, null, 2)}\n`);
    return Object.keys(out).length;
}

if (process.argv.includes("--clean")) {
    // postpack: the tarball has what it needs; leave the checkout as it was.
    fs.rmSync(DIST, { recursive: true, force: true });
    fs.rmSync(path.join(PACK, "npm-shrinkwrap.json"), { force: true });
    process.exit(0);
}

const pkg = JSON.parse(fs.readFileSync(path.join(PACK, "package.json"), "utf8"));
const files = compile();
checkRequires(files, new Set(Object.keys(pkg.dependencies ?? {})));
const locked = shrinkwrap(pkg);
console.error(`replication-guard build: ${files.length} files in dist/, ${locked} locked packages`);
