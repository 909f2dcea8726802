#!/usr/bin/env node
// The second half of `npm run build`, after tsc has compiled into bin/: what the compiled tree needs
// besides JavaScript.
// - bin/provider/schema.json, the plugin's package schema: Pulumi's component analyzer reads the
//   cross-language surface (provider/schema.ts says how). Only a source checkout can do this.
// - bin/Pulumi.yaml: compiled code finds the package's project file two directories above itself
//   (components/manifest/stack-file.ts REPO_ROOT), which in bin/ is bin/.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const bin = path.join(root, "bin");
fs.copyFileSync(path.join(root, "Pulumi.yaml"), path.join(bin, "Pulumi.yaml"));
// - bin/.built: when this build finished. The CLI launcher (cli/s3-replication.js) runs the compiled
//   CLI only when no source under cli/, components/ or stacks/ is newer.
fs.writeFileSync(path.join(bin, ".built"), `${new Date().toISOString()}\n`);
const started = Date.now();
const schema = require(path.join(bin, "provider", "schema.js")).writeSchema(path.join(bin, "provider", "schema.json"), root);
console.log(
    `bin/provider/schema.json: ${Object.keys(schema.resources).length} resources, ${Object.keys(schema.types).length} types (${Date.now() - started} ms)`,
);
