// The node flags Pulumi.yaml gives the stacks program (runtime.options.nodeargs), so that the CLI,
// which runs the same program offline, gets the same heap. Plain JavaScript: the launcher needs it
// before TypeScript support is loaded.
"use strict";
const fs = require("fs");
const path = require("path");

const PROJECT_FILE = path.join(__dirname, "..", "Pulumi.yaml");

/** The `nodeargs` of Pulumi.yaml, split into flags; none when the file or the key is missing. */
function programNodeArgs(projectFile = PROJECT_FILE) {
    let doc;
    try {
        doc = require("yaml").parse(fs.readFileSync(projectFile, "utf8"));
    } catch {
        return [];
    }
    const args = doc && doc.runtime && doc.runtime.options && doc.runtime.options.nodeargs;
    return typeof args === "string" ? args.split(/\s+/).filter(Boolean) : [];
}

/** Whether `execArgv` lacks any of `flags` (so node must be started again with them). */
function nodeFlagsMissing(flags, execArgv) {
    return flags.some(flag => !execArgv.includes(flag));
}

module.exports = { programNodeArgs, nodeFlagsMissing };
