/**
 * The offline commands on hostile or careless input (issue 15): human output escapes terminal
 * controls while JSON stays JSON; empty option values are usage errors; `plan` and `validate`
 * read a stack through one loader (same path resolution, same messages), and `plan --sheet`;
 * progress only on a terminal; a closed stdout ends quietly; the CLI gets the program's heap.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as ExcelJS from "exceljs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { main } from "../cli/main";
import { runPlan } from "../cli/plan-command";
import { runValidate } from "../cli/validate-command";

const ROOT = path.join(__dirname, "..");

function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } };
}

describe("input: terminal injection", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "input-cli-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("escapes C0, C1 and bidirectional characters in every human line; --json stays JSON with the raw value", async () => {
        const header = "\u001b[2J\u001b[H0 errors, 0 warnings: ALL CHECKS PASSED\r\n\u009b2J\u202eevil";
        const file = path.join(dir, "hostile\u001b[31m.csv");
        fs.writeFileSync(file, `source_bucket,source_account,source_region,destination_bucket,"${header}"\napp-a,111111111111,us-east-1,app-a-copy,x\n`);
        const human = capture();
        expect(await runValidate(file, {}, human.io)).to.equal(1);
        const text = human.out.join("\n");
        expect(text).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        expect(human.out).to.have.length(2);
        expect(human.out[0]).to.contain("\\x1b[2J\\x1b[H0 errors").and.contain("\\x0d\\x0a\\x9b2J\\u202eevil");
        expect(human.out[0]).to.match(/ error UNKNOWN_COLUMN /);
        expect(human.out[1]).to.match(/^1 error, 0 warnings in .*hostile\\x1b\[31m\.csv/);

        const json = capture();
        await runValidate(file, { json: true }, json.io);
        expect(json.out.join("\n")).to.not.match(/[\u0080-\u009f\u202a-\u202e]/);
        const body = JSON.parse(json.out.join("\n")) as { errors: Array<{ column: string; code: string }> };
        expect(body.errors.map(e => [e.code, e.column])).to.deep.equal([["UNKNOWN_COLUMN", header]]);
    });
});

describe("input: options and the shared stack loader", () => {
    let dir: string;
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "input-stacks-"));
        const stack = (manifest: string) =>
            [
                "config:",
                "  pulumi-s3-replication:accounts:",
                "    a:",
                '      id: "111111111111"',
                `  pulumi-s3-replication:manifest: ${manifest}`,
                '  pulumi-s3-replication:destinationTemplate: "{source}-replica"',
            ].join("\n") + "\n";
        fs.writeFileSync(path.join(dir, "Pulumi.missing.yaml"), stack("manifests/missing.csv"));
        fs.writeFileSync(path.join(dir, "Pulumi.book.yaml"), stack("routes.xlsx"));
        const wb = new ExcelJS.Workbook();
        wb.addWorksheet("Notes").addRow(["These routes are reviewed weekly."]);
        const ws = wb.addWorksheet("Routes");
        ws.addRow(["source_bucket", "source_account", "source_region", "destination_region"]);
        ws.addRow(["app-logs", "a", "us-east-1", "us-west-2"]);
        fs.writeFileSync(path.join(dir, "routes.xlsx"), Buffer.from(await wb.xlsx.writeBuffer()));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("an empty option value is a usage error (exit 2), never the default", async () => {
        for (const argv of [
            ["validate", ""],
            ["validate", "x.csv", "--stack", ""],
            ["validate", "x.csv", "--sheet", ""],
            ["plan", "--stack", "dev", "--manifest", ""],
            ["plan", "--stack", ""],
            ["plan", "--stack", "dev", "--sheet", " "],
        ]) {
            const c = capture();
            expect(await main(argv, c.io), argv.join(" ")).to.equal(2);
            expect(c.err.join("\n"), argv.join(" ")).to.contain("must not be empty");
        }
        const c = capture();
        expect(await runPlan({ stack: "dev", manifest: "" }, c.io)).to.equal(2);
        expect(c.err[0]).to.equal("--manifest error INVALID_CONFIG --manifest is empty; give a manifest file or leave the option out.");
    });

    it("plan and validate resolve a stack's manifest against its stack file's folder and say the same when it is missing", async () => {
        const v = capture();
        expect(await runValidate(undefined, { stack: "missing", stacksDir: dir }, v.io)).to.equal(2);
        const p = capture();
        expect(await runPlan({ stack: "missing", stacksDir: dir }, p.io)).to.equal(2);
        const expected = `${path.relative(process.cwd(), path.join(dir, "manifests", "missing.csv"))}:: error MANIFEST_UNREADABLE cannot read the manifest: no such file; check the path.`;
        expect(v.err[0]).to.equal(expected);
        expect(p.err).to.deep.equal([expected]);
        const unknownV = capture();
        const unknownP = capture();
        expect(await runValidate(undefined, { stack: "nope", stacksDir: dir }, unknownV.io)).to.equal(2);
        expect(await runPlan({ stack: "nope", stacksDir: dir }, unknownP.io)).to.equal(2);
        expect(unknownP.err[0]).to.equal(unknownV.err[0]).and.contain("known stacks: book, missing");
    });

    it("plan --sheet reads the named sheet of the stack's workbook, as validate --sheet does", async () => {
        const p = capture();
        expect(await runPlan({ stack: "book", stacksDir: dir, sheet: "Routes", json: true }, p.io), p.err.join("\n")).to.equal(0);
        const plan = JSON.parse(p.out.join("\n")) as { outputs: { routes: Array<{ source: string; destination: string }> } };
        expect(plan.outputs.routes.map(r => `${r.source}->${r.destination}`)).to.deep.equal(["app-logs->app-logs-replica"]);
        const v = capture();
        expect(await runValidate(undefined, { stack: "book", stacksDir: dir, sheet: "Routes" }, v.io)).to.equal(0);
        // Without --sheet both read the first visible sheet, which holds no routes.
        const first = capture();
        expect(await runPlan({ stack: "book", stacksDir: dir }, first.io)).to.equal(1);
        expect(first.err.join("\n")).to.contain("UNKNOWN_COLUMN");
    });

    it("plan shows progress on a terminal only", async () => {
        const drawn = (isTTY: boolean) => {
            const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 });
            let text = "";
            stream.on("data", (d: Buffer) => {
                text += d.toString();
            });
            return { stream, text: () => text };
        };
        const tty = drawn(true);
        const c = capture();
        expect(await runPlan({ stack: "book", stacksDir: dir, sheet: "Routes" }, { ...c.io, progress: { stream: tty.stream, delayMs: 0 } })).to.equal(0);
        expect(tty.text()).to.match(/plan: registering resources: [1-9]\d* resources registered/);
        const pipe = drawn(false);
        expect(await runPlan({ stack: "book", stacksDir: dir, sheet: "Routes" }, { ...c.io, progress: { stream: pipe.stream, delayMs: 0 } })).to.equal(0);
        expect(pipe.text()).to.equal("");
    });
});

describe("input: the CLI process", function () {
    this.timeout(60000);

    it("runs with Pulumi.yaml's node flags, and ends quietly with its own exit code when stdout closes", async () => {
        // Plain JavaScript (the launcher loads it before TypeScript support), so required, not imported.
        const { programNodeArgs, nodeFlagsMissing } = require("../cli/node-flags") as {
            programNodeArgs(): string[];
            nodeFlagsMissing(flags: string[], execArgv: string[]): boolean;
        };
        const flags = programNodeArgs();
        expect(flags).to.include("--max-old-space-size=8192");
        expect(nodeFlagsMissing(flags, [])).to.equal(true);
        expect(nodeFlagsMissing(flags, [...flags, "--inspect"])).to.equal(false);

        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "input-cli-"));
        try {
            const manifest = path.join(dir, "many.csv");
            fs.writeFileSync(
                manifest,
                "source_bucket,source_account,source_region\n" + Array.from({ length: 3000 }, (_, i) => `Bad_${i},1,us-east-1\n`).join(""),
            );
            // Every node process of the CLI records its heap limit and arguments.
            const probe = path.join(dir, "probe.js");
            const log = path.join(dir, "heap.log");
            fs.writeFileSync(
                probe,
                `require("fs").appendFileSync(${JSON.stringify(log)}, JSON.stringify({ heap: require("v8").getHeapStatistics().heap_size_limit, argv: process.argv.slice(2) }) + "\\n");\n`,
            );
            const child = spawn(process.execPath, [path.join(ROOT, "cli", "s3-replication.js"), "validate", manifest, "--max-diagnostics", "0"], {
                cwd: ROOT,
                env: { ...process.env, NODE_OPTIONS: `--require ${probe}` },
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stderr = "";
            child.stderr.on("data", (d: Buffer) => {
                stderr += d.toString();
            });
            // Read one chunk, then close the pipe, as `| head -1` does.
            child.stdout.once("data", () => child.stdout.destroy());
            const code = await new Promise<number | null>(resolve => child.on("close", c => resolve(c)));
            expect(stderr, "no stack trace").to.equal("");
            expect(code, "the command's own exit code (1: errors found)").to.equal(1);
            const runs = fs
                .readFileSync(log, "utf8")
                .trim()
                .split("\n")
                .map(l => JSON.parse(l) as { heap: number; argv: string[] });
            const cli = runs.find(r => r.argv.includes("validate") && r.heap > 8 * 1024 ** 3);
            expect(cli, JSON.stringify(runs)).to.not.equal(undefined);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("in a checkout, runs the compiled CLI unless a source is newer than the last build's stamp (bin/.built), touched or not", () => {
        // A checkout's layout with stand-ins: the launcher and its helper as shipped, a compiled CLI and
        // a source CLI that say which ran, and a ts-node that loads .ts as JavaScript.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "launcher-"));
        try {
            const write = (rel: string, text: string) => {
                fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
                fs.writeFileSync(path.join(dir, rel), text);
            };
            for (const f of ["s3-replication.js", "node-flags.js"]) write(`cli/${f}`, fs.readFileSync(path.join(ROOT, "cli", f), "utf8"));
            write("cli/main.ts", `exports.run = () => console.log("sources");\n`);
            write("bin/cli/main.js", `exports.run = () => console.log("compiled");\n`);
            write("node_modules/ts-node/index.js", `exports.register = () => { require.extensions[".ts"] = require.extensions[".js"]; };\n`);
            write("components/model/a.ts", "export {};\n");
            write("stacks/index.ts", "export {};\n");
            // tsc's incremental build info, which a build that emits nothing leaves as it was.
            write("bin/.tsbuildinfo", "{}");
            const at = (rel: string, seconds: number) => fs.utimesSync(path.join(dir, rel), seconds, seconds);
            const now = Math.floor(Date.now() / 1000);
            for (const rel of ["cli/main.ts", "components/model/a.ts", "stacks/index.ts", "bin/.tsbuildinfo"]) at(rel, now - 100);
            const which = () => {
                const r = spawnSync(process.execPath, [path.join(dir, "cli", "s3-replication.js"), "plan"], { encoding: "utf8" });
                expect(r.stderr).to.equal("");
                return r.stdout.trim();
            };

            expect(which(), "never built").to.equal("sources");
            write("bin/.built", "built\n");
            at("bin/.built", now - 50);
            expect(which(), "built after every source").to.equal("compiled");
            // A checkout or a stash touches a source without changing it: newer than the build.
            at("components/model/a.ts", now - 10);
            expect(which(), "a source newer than the build").to.equal("sources");
            // The next build stamps bin/.built even when tsc has nothing to emit (its build info stays old).
            at("bin/.built", now);
            expect(which(), "rebuilt").to.equal("compiled");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
