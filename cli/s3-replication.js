#!/usr/bin/env node
// Entry point for `npx s3-replication` and `npm run plan|validate`: runs the TypeScript sources
// directly (transpile-only), so nothing needs building after `npm ci`.
"use strict";
const path = require("path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
require("./main.ts").main(process.argv.slice(2)).then(
    code => { process.exitCode = code; },
    err => { process.stderr.write(`${(err && err.stack) || err}\n`); process.exitCode = 1; },
);
