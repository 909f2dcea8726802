/**
 * The pack's entry point (package.json `main`), as the analyzer host loads it.
 *
 * In this repository the TypeScript sources are here and run as they are (the host registers
 * ts-node with this folder's tsconfig.json). A published pack holds only the JavaScript that
 * build.js compiled into dist/, and no index.ts: it runs that. Sources win whenever they exist, so
 * a stale dist/ in a checkout can never stand in for the policies being edited.
 */
"use strict";
const fs = require("fs");
const path = require("path");

if (fs.existsSync(path.join(__dirname, "index.ts"))) {
    require("./index.ts");
} else {
    require("./dist/policy-packs/replication-guard/index.js");
}
