/**
 * The package as users get it: `npm pack` (what `npm publish` uploads, and what npm builds from a
 * git install), installed alone into a fresh project outside this repository
 * (test/support/consumer.ts). From there: the library and its types, the compiled CLI, `init`,
 * `validate` and `plan` against the user's own project, the scaffolded program launched as the
 * Pulumi CLI launches it (test/support/engine), and the backfill job's serialized provider.
 */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as cliMain from "../cli/main";
import { OFFLINE_INVOKES } from "../cli/provider-fixtures";
import * as validateCommand from "../cli/validate-command";
import { readStackFile } from "../components/manifest/stack-file";
import { ROOT, ensureBuilt } from "./support/build";
import { Consumer, installConsumer } from "./support/consumer";
import { EngineRun, runUnderEngine } from "./support/engine/launch";

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string; main: string };

describe("the packed package, installed alone in a fresh project", function () {
    this.timeout(180_000);
    let packDir: string;
    let tarball: string;
    let files: string[];
    let consumer: Consumer;

    before(async () => {
        await ensureBuilt();
        packDir = fs.mkdtempSync(path.join(os.tmpdir(), "s3r-pack-"));
        // The build above is the one `prepare` would run; packing without scripts does not build twice.
        const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packDir], { cwd: ROOT, encoding: "utf8" });
        const [packed] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
        tarball = path.join(packDir, packed.filename);
        files = packed.files.map(f => f.path);
        consumer = installConsumer(ROOT, tarball);
    });

    after(() => {
        for (const dir of [packDir, consumer?.dir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const node = (script: string, cwd = consumer.dir) => consumer.run(process.execPath, ["-e", script], { cwd });
    const cli = (args: string[]) => consumer.run("npx", ["--no-install", "s3-replication", ...args]);
    /** The installed command run from elsewhere (npx would look for it where it runs). */
    const cliFrom = (cwd: string, args: string[]) =>
        consumer.run(process.execPath, [path.join(consumer.dir, "node_modules", ".bin", "s3-replication"), ...args], { cwd });

    it("packs the compiled library, CLI, stacks program and plugin with its schema, and no tests or TypeScript-only CLI sources", () => {
        for (const f of [
            pkg.main,
            "bin/components/index.js",
            "bin/components/index.d.ts",
            "bin/cli/main.js",
            "bin/stacks/stack.js",
            "bin/provider/schema.json",
            "bin/components/batch-job-provider.js",
            "cli/s3-replication.js",
            "cli/node-flags.js",
            "PulumiPlugin.yaml",
            "Pulumi.yaml",
            "stacks/manifests/blog-template.csv",
            "LICENSE",
        ]) {
            expect(files, f).to.include(f);
        }
        expect(files.filter(f => f.startsWith("test/") || f.startsWith("bench/") || f === "cli/main.ts" || f === ".npmrc")).to.deep.equal([]);
    });

    it("resolves main, types and every export; the library loads without ts-node, which the project does not have", () => {
        expect(fs.existsSync(path.join(consumer.dir, "node_modules", "ts-node"))).to.equal(false);
        const report = JSON.parse(
            node(`
            const lib = require("${pkg.name}");
            const stack = require("${pkg.name}/stack");
            const job = require("${pkg.name}/batch-job-provider");
            const plugin = require(require("path").dirname(require.resolve("${pkg.name}/package.json")));
            console.log(JSON.stringify({
                classes: ["ReplicationFleet", "HardenedBucket", "ReplicationRole", "BucketReplication", "AccountProviders", "BatchReplicationJob", "BatchReplicationJobResource"].filter(k => typeof lib[k] === "function"),
                model: typeof lib.model.validateFleet, manifest: typeof lib.manifest.validateManifest,
                runStack: typeof stack.runStack, createJob: typeof job.createJob, plugin: typeof plugin,
            }));`),
        ) as Record<string, unknown>;
        expect(report).to.deep.equal({
            classes: [
                "ReplicationFleet",
                "HardenedBucket",
                "ReplicationRole",
                "BucketReplication",
                "AccountProviders",
                "BatchReplicationJob",
                "BatchReplicationJobResource",
            ],
            model: "function",
            manifest: "function",
            runStack: "function",
            createJob: "function",
            plugin: "function",
        });
    });

    it("keeps the bin/ it was published with when npm runs `prepare` inside it (as `pulumi package add <its directory>` installs it)", () => {
        const before = fs.statSync(path.join(consumer.dir, "node_modules", pkg.name, "bin", "provider", "schema.json")).mtimeMs;
        consumer.run("npm", ["run", "prepare"], { cwd: path.join(consumer.dir, "node_modules", pkg.name) });
        expect(fs.statSync(path.join(consumer.dir, "node_modules", pkg.name, "bin", "provider", "schema.json")).mtimeMs).to.equal(before);
        expect(fs.existsSync(path.join(consumer.dir, "node_modules", pkg.name, pkg.main))).to.equal(true);
    });

    it("answers --version and --help from the compiled CLI, quickly", () => {
        const timed = (args: string[]) => {
            const start = Date.now();
            const out = consumer.run(process.execPath, [path.join(consumer.dir, "node_modules", ".bin", "s3-replication"), ...args]);
            return { out, ms: Date.now() - start };
        };
        const version = timed(["--version"]);
        const help = timed(["--help"]);
        expect(version.out.trim()).to.equal(pkg.version);
        expect(help.out)
            .to.match(/\binit\b/)
            .and.match(/\bplan\b/)
            .and.match(/\bvalidate\b/);
        // `npm run bench:cli` measures precisely; here only a bound a loaded CI machine keeps.
        expect(version.ms, `--version took ${version.ms} ms`).to.be.below(1500);
        expect(help.ms, `--help took ${help.ms} ms`).to.be.below(1500);
        // main.ts keeps its own copy of the default so that help loads no model; they must agree.
        expect(cliMain.DEFAULT_MAX_DIAGNOSTICS).to.equal(validateCommand.DEFAULT_MAX_DIAGNOSTICS);
    });

    describe("init, validate and plan in the user's own project", () => {
        let plan: { resources: Array<{ type: string; name: string; urn: string; inputs: Record<string, unknown> }> };

        before(() => {
            const out = cli(["init", "--account", "111111111111"]);
            expect(out).to.contain("Created a Pulumi project");
            plan = JSON.parse(cli(["plan", "--stack", "dev", "--json"])) as typeof plan;
        });

        it("init writes Pulumi.yaml (main: a file), the program, its tsconfig, a stack file and a blog-template manifest, and keeps package.json", () => {
            for (const f of ["Pulumi.yaml", "index.ts", "tsconfig.json", "Pulumi.dev.yaml", "manifests/routes.csv"])
                expect(fs.existsSync(path.join(consumer.dir, f)), f).to.equal(true);
            expect(fs.readFileSync(path.join(consumer.dir, "Pulumi.yaml"), "utf8"))
                .to.match(/^main: index\.ts$/m)
                .and.match(/name: nodejs/);
            expect(fs.readFileSync(path.join(consumer.dir, "index.ts"), "utf8")).to.contain(`from "${pkg.name}/stack"`);
            expect(fs.readFileSync(path.join(consumer.dir, "manifests", "routes.csv"), "utf8")).to.match(/^Source Bucket Name,Region,Target Storage Class/);
            expect(JSON.parse(fs.readFileSync(path.join(consumer.dir, "package.json"), "utf8")).name).to.equal("consumer");
            // Never over what exists.
            expect(() => cli(["init"])).to.throw(/already has .*Pulumi\.yaml.*nothing was written/s);
        });

        it("validate --stack reads the project found from the working directory, or --project-dir", () => {
            expect(JSON.parse(cli(["validate", "--stack", "dev", "--json"]))).to.deep.include({ ok: true, errors: [] });
            const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "s3r-elsewhere-"));
            try {
                expect(JSON.parse(cliFrom(elsewhere, ["validate", "--stack", "dev", "--json", "--project-dir", consumer.dir]))).to.deep.include({
                    ok: true,
                    errors: [],
                });
                expect(() => cliFrom(elsewhere, ["validate", "--stack", "dev", "--project-dir", elsewhere])).to.throw(/no Pulumi\.yaml in/);
                // Outside any project: the package's own example stacks (prod has routes of its own).
                expect(JSON.parse(cliFrom(elsewhere, ["validate", "--stack", "prod", "--json"]))).to.deep.include({ ok: true, errors: [] });
            } finally {
                fs.rmSync(elsewhere, { recursive: true, force: true });
            }
        });

        it("plan runs the package's stack program on the project's stack file and manifest", () => {
            const configs = plan.resources
                .filter(r => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
                .map(r => r.inputs.bucket)
                .sort();
            expect(configs).to.deep.equal(["acme-media-assets", "acme-media-exports", "acme-media-thumbnails"]);
            const replicas = plan.resources.filter(r => r.type === "aws:s3/bucket:Bucket").map(r => r.inputs.bucket);
            // The blog template's own default: <source>-target.
            expect(replicas).to.include.members(["acme-media-assets-target", "acme-media-thumbnails-target", "acme-media-exports-target"]);
            // URNs carry the user's project, not this package's.
            const projectOfConsumer = /^name: (.+)$/m.exec(fs.readFileSync(path.join(consumer.dir, "Pulumi.yaml"), "utf8"))![1].trim();
            expect(projectOfConsumer).to.not.equal(pkg.name);
            for (const r of plan.resources) expect(r.urn, r.urn).to.satisfy((u: string) => u.startsWith(`urn:pulumi:dev::${projectOfConsumer}::`));
            expect(plan.resources.filter(r => r.type.endsWith("BatchReplicationJob")).map(r => r.inputs.sourceBucket)).to.deep.equal(["acme-media-thumbnails"]);
        });

        it("type-checks the scaffold and a library user against the installed declarations (the scaffold's tsconfig: moduleResolution node)", () => {
            fs.writeFileSync(
                path.join(consumer.dir, "library-user.ts"),
                [
                    `import { BatchReplicationJob, BatchReplicationJobResource, ReplicationFleet, type HardenedBucketBaseArgs, model } from "${pkg.name}";`,
                    'const args: HardenedBucketBaseArgs = { bucketName: "b", accountId: "111111111111", region: "us-east-1" };',
                    "export const used = [BatchReplicationJob, BatchReplicationJobResource, ReplicationFleet, args, model.validateFleet];",
                    // Were the declarations not found (everything `any`), this expected error would be missing: TS2578.
                    "// @ts-expect-error a component is not a number",
                    "export const wrong: number = ReplicationFleet;",
                ].join("\n"),
            );
            // One program: the scaffold's options and its index.ts, plus the library user.
            fs.writeFileSync(
                path.join(consumer.dir, "tsconfig.check.json"),
                JSON.stringify({ extends: "./tsconfig.json", files: ["index.ts", "library-user.ts"] }),
            );
            try {
                consumer.run(process.execPath, [path.join(consumer.dir, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", "tsconfig.check.json"]);
            } finally {
                fs.rmSync(path.join(consumer.dir, "library-user.ts"));
                fs.rmSync(path.join(consumer.dir, "tsconfig.check.json"));
            }
        });

        describe("the scaffolded program under the Pulumi CLI's launcher (pulumi preview)", () => {
            let run: EngineRun;
            before(async () => {
                run = await runUnderEngine({
                    rootDirectory: consumer.dir,
                    stack: "dev",
                    config: readStackFile("dev", consumer.dir).pulumiConfig,
                    preview: true,
                    invokes: OFFLINE_INVOKES,
                });
            });

            it("previews without an error, registering the fleet from the installed package", () => {
                expect(run.errors, run.errors.join("\n")).to.deep.equal([]);
                expect(run.exitCode).to.equal(0);
                expect(run.launch.programDirectory).to.equal(consumer.dir);
                expect(run.launch.entryPoint).to.equal("index.ts");
                expect(run.engine.resources.filter(r => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig")).to.have.length(3);
                expect(Object.keys(run.engine.stackOutputs).sort()).to.deep.equal([
                    "adoptedSettingChanges",
                    "buckets",
                    "replicationRoles",
                    "routes",
                    "warnings",
                ]);
            });

            it("stores a bare require of the installed job provider in the job's state, not its code", () => {
                const job = run.engine.resources.find(r => r.type.startsWith("pulumi-nodejs:dynamic"))!;
                expect(job.type).to.equal("pulumi-nodejs:dynamic/s3-replication:BatchReplicationJob");
                const serialized = String(job.inputs.__provider);
                expect(serialized).to.contain(`require("${pkg.name}/batch-job-provider")`);
                expect(Buffer.byteLength(serialized), serialized).to.be.below(2000);
            });
        });
    });

    it("the dynamic provider's state loads the way the dynamic-provider host loads it, and works", () => {
        const measured = JSON.parse(consumer.run(process.execPath, [path.join(ROOT, "bench", "job-state-size.js"), pkg.name])) as {
            bytes: number;
            head: string;
        };
        expect(measured.bytes).to.be.below(2000);
        expect(measured.head).to.contain(`require("${pkg.name}/batch-job-provider")`);
        // @pulumi/pulumi cmd/dynamic-provider: `requireFromString(providerString).handler()`, from the program's directory.
        const failures = node(`
            const requireFromString = require(require.resolve("require-from-string", { paths: [require("path").dirname(require.resolve("@pulumi/pulumi/package.json"))] }));
            const { setMocks } = require("@pulumi/pulumi").runtime;
            let text;
            setMocks({ newResource: a => { text = a.inputs.__provider; return { id: "x", state: a.inputs }; }, call: () => ({}) }, "p", "s", false);
            const { BatchReplicationJob } = require("${pkg.name}");
            new BatchReplicationJob("j", { accountId: "111122223333", region: "us-east-1", sourceBucket: "src", roleArn: "arn:aws:iam::111122223333:role/r", reportBucket: "reports", mode: "eligible", routeName: "src -> dst [r]" });
            setTimeout(async () => {
                const provider = requireFromString(text).handler();
                const checked = await provider.check({}, { accountId: "111122223333", region: "us-east-1", sourceBucket: "src", roleArn: "arn:aws:iam::111122223333:role/r", reportBucket: "reports", mode: "sideways", routeName: "r" });
                console.log(JSON.stringify(checked.failures.map(f => f.property)));
            }, 100);`);
        expect(JSON.parse(failures)).to.deep.equal(["mode"]);
    });
});
