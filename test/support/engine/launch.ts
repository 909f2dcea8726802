/**
 * Starting a Pulumi program exactly as the CLI does, against the loopback engine.
 *
 * The CLI (pulumi pkg/engine/project.go `getPwdMain`) turns Pulumi.yaml's `main` into a program
 * directory and an entry point: a directory gives (that directory, "."), a file gives (its
 * directory, its base name). The nodejs language host (sdk/nodejs/cmd/pulumi-language-nodejs
 * main.go: `Run`, `execRuntime`, `constructArguments`, `constructConfig`, `parseOptions`) then runs
 *   node <nodeargs> <require.resolve("@pulumi/pulumi/cmd/run") from the program directory>
 *        --monitor A --engine B --project P --root-directory R --stack S --pwd <program directory>
 *        [--dry-run] --parallel N <entry point>
 * with PULUMI_CONFIG (keys as "<namespace>:config:<name>"), PULUMI_CONFIG_SECRET_KEYS, and
 * PULUMI_NODEJS_TYPESCRIPT=true unless `runtime.options.typescript` is false. Everything after
 * that (tsconfig lookup in the program directory, package.json entry points) is run.js's own doing.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { S3_SDK_CALL, type InvokeHandler } from "../../../cli/provider-fixtures";
import { RecordedS3Request, S3SettingsFake } from "../../fakes/s3-settings-fake";
import { LoopbackEngine } from "./monitor";

export interface ProjectLaunch {
    project: string;
    rootDirectory: string;
    programDirectory: string;
    entryPoint: string;
    nodeArgs: string[];
    typescript: boolean;
    tsconfigPath?: string;
    runPath: string;
}

interface PulumiYaml {
    name: string;
    main?: string;
    runtime?: string | { name: string; options?: { typescript?: boolean; nodeargs?: string; tsconfig?: string } };
}

/** What the CLI and the language host derive from a project's Pulumi.yaml. */
export function projectLaunch(rootDirectory: string): ProjectLaunch {
    const doc = parseYaml(fs.readFileSync(path.join(rootDirectory, "Pulumi.yaml"), "utf8")) as PulumiYaml;
    let programDirectory = rootDirectory;
    let entryPoint = ".";
    if (doc.main) {
        const main = path.resolve(rootDirectory, doc.main);
        if (fs.statSync(main).isDirectory()) programDirectory = main;
        else {
            programDirectory = path.dirname(main);
            entryPoint = path.basename(main);
        }
    }
    const options = typeof doc.runtime === "object" ? (doc.runtime.options ?? {}) : {};
    // locateModule: `node -e "require.resolve('@pulumi/pulumi/cmd/run')"` with the program directory as cwd.
    const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [programDirectory] });
    return {
        project: doc.name,
        rootDirectory,
        programDirectory,
        entryPoint,
        nodeArgs: (options.nodeargs ?? "").split(/\s+/).filter(Boolean),
        typescript: options.typescript !== false,
        ...(options.tsconfig ? { tsconfigPath: options.tsconfig } : {}),
        runPath,
    };
}

export interface EngineRunOptions {
    rootDirectory: string;
    stack: string;
    /** Fully qualified config as the CLI holds it ("<namespace>:<name>" -> string, JSON for objects). */
    config: Record<string, string>;
    secretKeys?: string[];
    preview: boolean;
    invokes: Record<string, InvokeHandler>;
    stepDelayMs?: number;
    providerDelayMs?: number;
    hold?: { match: (type: string, name: string) => boolean; quietMs: number };
    parallel?: number;
    timeoutMs?: number;
}

export interface EngineRun {
    engine: LoopbackEngine;
    launch: ProjectLaunch;
    exitCode: number | null;
    stdout: string;
    stderr: string;
    /** Error messages the program logged through the engine, then anything it printed to stderr. */
    errors: string[];
    wallMs: number;
    /** The AWS SDK calls the program made itself (S3 settings reads of adopted buckets, STS). */
    awsRequests: RecordedS3Request[];
}

export async function runUnderEngine(options: EngineRunOptions): Promise<EngineRun> {
    const launch = projectLaunch(options.rootDirectory);
    const engine = new LoopbackEngine({
        project: launch.project,
        stack: options.stack,
        preview: options.preview,
        invokes: options.invokes,
        ...(options.stepDelayMs !== undefined ? { stepDelayMs: options.stepDelayMs } : {}),
        ...(options.providerDelayMs !== undefined ? { providerDelayMs: options.providerDelayMs } : {}),
        ...(options.hold ? { hold: options.hold } : {}),
    });
    await engine.start();
    // The program reads adopted buckets' settings with the AWS SDK: point it at a loopback S3/STS
    // that answers from the same world as the engine's invokes, with credentials of its own.
    const aws = new S3SettingsFake(
        options.invokes[S3_SDK_CALL] ??
            (() => {
                throw new Error("this world answers no S3 reads");
            }),
    );
    const awsUrl = await aws.start();
    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.config)) {
        const i = key.indexOf(":");
        config[`${key.slice(0, i)}:config:${key.slice(i + 1)}`] = value;
    }
    const args = [
        ...launch.nodeArgs,
        ...(process.env.S3R_ENGINE_NODE_ARGS ?? "").split(/\s+/).filter(Boolean),
        launch.runPath,
        "--monitor",
        engine.monitorAddress,
        "--engine",
        engine.engineAddress,
        "--project",
        launch.project,
        "--root-directory",
        launch.rootDirectory,
        "--stack",
        options.stack,
        "--pwd",
        launch.programDirectory,
        ...(options.preview ? ["--dry-run"] : []),
        "--parallel",
        String(options.parallel ?? 16),
        launch.entryPoint,
    ];
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(options.secretKeys ?? []),
        ...(launch.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
        ...(launch.tsconfigPath ? { PULUMI_NODEJS_TSCONFIG_PATH: launch.tsconfigPath } : {}),
        AWS_ENDPOINT_URL_S3: awsUrl,
        AWS_ENDPOINT_URL_STS: awsUrl,
        AWS_ACCESS_KEY_ID: "AKIAFAKEDEPLOYER",
        AWS_SECRET_ACCESS_KEY: "fake",
        AWS_REGION: "us-east-1",
    };
    // Nothing of the test process's own loaders or mocha settings may leak into the program, nor
    // any AWS identity of the machine running the tests.
    for (const k of ["NODE_OPTIONS", "TS_NODE_PROJECT", "TS_NODE_TRANSPILE_ONLY", "TS_NODE_FILES", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"])
        delete env[k];
    const start = Date.now();
    const child = spawn(process.execPath, args, { cwd: launch.rootDirectory, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
    });
    const exitCode = await new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`program did not finish in ${options.timeoutMs ?? 120000} ms\n${stderr}`));
        }, options.timeoutMs ?? 120000);
        child.on("exit", code => {
            clearTimeout(timer);
            resolve(code);
        });
        child.on("error", e => {
            clearTimeout(timer);
            reject(e);
        });
    }).catch(async (e: unknown) => {
        await engine.stop();
        await aws.stop();
        throw e;
    });
    const wallMs = Date.now() - start;
    await engine.stop();
    await aws.stop();
    // The AWS SDK announces once per process, through process.emitWarning, that its releases after
    // January 2027 need Node 22 (@aws-sdk/core emitWarningIfUnsupportedVersion): a notice on stderr,
    // not a failure of the program.
    const notice = /^\(node:\d+\) Warning: NodeVersionSupportWarning:[\s\S]*?to show where the warning was created\)\n?/m;
    const printed = stderr.replace(notice, "").trim();
    const errors = [...engine.logs.filter(l => l.severity === "error").map(l => l.message), ...(printed ? [printed] : [])];
    return { engine, launch, exitCode, stdout, stderr, errors, wallMs, awsRequests: aws.requests };
}
