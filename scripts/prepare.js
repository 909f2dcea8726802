#!/usr/bin/env node
// npm's `prepare`: runs on `npm ci`/`npm install` in a checkout, on `npm pack`/`npm publish`, and when
// npm installs this package from git (in a clone with the dev dependencies). A clean build there, so
// no file of an older build is packed. An installed package has no sources to build (npm install run
// inside it, as `pulumi package add <its directory>` does): it keeps the bin/ it was published with.
//
// A build that fails stops `npm pack`, `npm publish` and a git install. In a checkout's own
// `npm ci`/`npm install` it is reported and the install still finishes, so that the failure can be
// worked on (`npm run build` and the tests report it again).
"use strict";
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.join(__dirname, "..");
if (!fs.existsSync(path.join(root, "tsconfig.build.json"))) {
    process.exit(0);
}
fs.rmSync(path.join(root, "bin"), { recursive: true, force: true });
const build = spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) {
    // npm tells its lifecycle scripts which command runs them.
    const installing = ["ci", "install"].includes(process.env.npm_command ?? "") && fs.existsSync(path.join(root, ".git"));
    if (!installing) process.exit(build.status ?? 1);
    console.error("prepare: the build failed (see above); the install goes on without bin/. Fix it and run `npm run build`.");
}
