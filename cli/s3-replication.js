#!/usr/bin/env node
// Entry point for `npx s3-replication` and `npm run plan|validate`: runs the TypeScript sources
// directly (transpile-only), so nothing needs building after `npm ci`.
//
// `plan` runs the stacks program, which needs the heap Pulumi.yaml gives it under
// runtime.options.nodeargs (a large fleet thrashes at node's default). When this process was not
// started with those flags, it starts node again with them and passes everything through.
"use strict";
const path = require("path");
const { nodeFlagsMissing, programNodeArgs } = require("./node-flags");

const flags = programNodeArgs();
if (nodeFlagsMissing(flags, process.execArgv)) {
    const { spawn } = require("child_process");
    const child = spawn(process.execPath, [...process.execArgv, ...flags, __filename, ...process.argv.slice(2)], { stdio: "inherit" });
    // The child handles Ctrl-C itself (same process group); the parent only waits for it.
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});
    child.on("error", err => { process.stderr.write(`s3-replication: cannot start node: ${err.message}\n`); process.exitCode = 1; });
    child.on("exit", (code, signal) => {
        if (signal) process.kill(process.pid, signal);
        else process.exitCode = code ?? 1;
    });
} else {
    require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
    require("./main.ts").run(process.argv.slice(2));
}
