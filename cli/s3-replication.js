#!/usr/bin/env node
// Entry point of `s3-replication` (npx s3-replication, npm run plan|validate, the installed bin).
//
// Runs the compiled CLI (bin/cli/main.js): all an installed package has, and what a checkout has
// after `npm ci` or `npm run build`. In a checkout whose TypeScript sources are newer than the last
// build, it runs the sources instead (ts-node, transpile-only), so the CLI never runs stale code.
//
// Commands that run the stacks program need the heap Pulumi.yaml gives it under
// runtime.options.nodeargs (a large fleet thrashes at node's default). When this process was not
// started with those flags, it starts node again with them and passes everything through. Asking
// for help or the version, or `init`, starts no second process.
"use strict";
const fs = require("fs");
const path = require("path");
const { nodeFlagsMissing, programNodeArgs } = require("./node-flags");

const ROOT = path.join(__dirname, "..");
const COMPILED = path.join(ROOT, "bin", "cli", "main.js");
/**
 * Written at the end of every `npm run build` (scripts/postbuild.js): the time of the last build.
 * Not tsc's bin/.tsbuildinfo: an incremental build that finds nothing to emit leaves that file
 * alone, so a source touched without a change (a checkout, a stash) would look newer forever.
 */
const BUILD_STAMP = path.join(ROOT, "bin", ".built");
const SOURCE_DIRS = ["cli", "components", "stacks"];

const argv = process.argv.slice(2);

/** Whether this invocation only prints or writes a few files (no program, no large manifest). */
function isLight(args) {
    if (args.length === 0 || args[0] === "help" || args[0] === "init") return true;
    return args.some(a => a === "-h" || a === "--help" || a === "-V" || a === "--version");
}

/** The newest modification time of a .ts file under `dir` (0 when there is none). */
function newestSource(dir) {
    let newest = 0;
    let entries;
    try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
        return 0;
    }
    for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) newest = Math.max(newest, newestSource(full));
        else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
    return newest;
}

/** The compiled CLI, unless this is a checkout whose sources changed after the last build. */
function useCompiled() {
    if (!fs.existsSync(path.join(__dirname, "main.ts"))) return true;
    if (!fs.existsSync(COMPILED) || !fs.existsSync(BUILD_STAMP)) return false;
    const built = fs.statSync(BUILD_STAMP).mtimeMs;
    return SOURCE_DIRS.every(d => newestSource(path.join(ROOT, d)) <= built);
}

const flags = isLight(argv) ? [] : programNodeArgs();
if (nodeFlagsMissing(flags, process.execArgv)) {
    const { spawn } = require("child_process");
    const child = spawn(process.execPath, [...process.execArgv, ...flags, __filename, ...argv], { stdio: "inherit" });
    // The child handles Ctrl-C itself (same process group); the parent only waits for it.
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});
    child.on("error", err => {
        process.stderr.write(`s3-replication: cannot start node: ${err.message}\n`);
        process.exitCode = 1;
    });
    child.on("exit", (code, signal) => {
        if (signal) process.kill(process.pid, signal);
        else process.exitCode = code ?? 1;
    });
} else if (useCompiled()) {
    require(COMPILED).run(argv);
} else {
    require("ts-node").register({ transpileOnly: true, project: path.join(ROOT, "tsconfig.json") });
    require("./main.ts").run(argv);
}
