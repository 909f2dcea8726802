#!/usr/bin/env node
// How long `s3-replication --help` and `--version` take, start to exit (median of N runs).
//
//   node bench/cli-startup.js [path/to/s3-replication] [runs]
//
// Default: this checkout's launcher (cli/s3-replication.js), which runs the compiled CLI when the
// last build is newer than the sources. Point it at node_modules/.bin/s3-replication of a project
// that installed the package to time what users run. Prints JSON.
"use strict";
const { spawnSync } = require("child_process");
const path = require("path");

const cli = path.resolve(process.argv[2] ?? path.join(__dirname, "..", "cli", "s3-replication.js"));
const runs = Number(process.argv[3] ?? 7);

function time(args) {
    const samples = [];
    let output = "";
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
        samples.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (r.status !== 0) throw new Error(`${cli} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
        output = r.stdout;
    }
    samples.sort((a, b) => a - b);
    return {
        medianMs: Math.round(samples[Math.floor(samples.length / 2)]),
        minMs: Math.round(samples[0]),
        maxMs: Math.round(samples.at(-1)),
        firstLine: output.split("\n")[0],
    };
}

console.log(JSON.stringify({ cli, runs, node: process.version, help: time(["--help"]), version: time(["--version"]) }, null, 2));
