#!/usr/bin/env node
// npm's `prepare`: runs on `npm ci`/`npm install` in a checkout, on `npm pack`/`npm publish`, and when
// npm installs this package from git (in a clone with the dev dependencies). A clean build there, so
// no file of an older build is packed. An installed package has no sources to build (npm install run
// inside it, as `pulumi package add <its directory>` does): it keeps the bin/ it was published with.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const root = path.join(__dirname, "..");
if (!fs.existsSync(path.join(root, "tsconfig.build.json"))) {
    process.exit(0);
}
fs.rmSync(path.join(root, "bin"), { recursive: true, force: true });
execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build"], { cwd: root, stdio: "inherit" });
