// Preloaded (NODE_OPTIONS=--require) into every node process of a benchmarked CLI run: at exit,
// appends this process's peak RSS in MB to the file named by S3R_BENCH_RSS_FILE. The CLI's launcher
// starts node a second time with the program's flags, so a run's peak is the largest line.
"use strict";
const fs = require("fs");

const file = process.env.S3R_BENCH_RSS_FILE;
if (file) {
    process.on("exit", () => {
        fs.appendFileSync(file, `${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
    });
}
