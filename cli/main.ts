/** `s3-replication`: the offline commands (plan, validate). */
import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { packageVersion } from "./package-info";
import { ProjectError, ProjectLocation, locateProject } from "./project";

/**
 * validate-command's DEFAULT_MAX_DIAGNOSTICS (test/package-install.spec.ts checks they agree): that
 * module loads the whole model, about 180 ms that `--help` and `--version` must not spend, so it is
 * imported only by the commands that run it.
 */
export const DEFAULT_MAX_DIAGNOSTICS = 200;

/** An option value that must say something: `--manifest ""` is a mistake, not "no manifest". */
function nonEmpty(value: string): string {
    if (value.trim() === "") throw new InvalidArgumentError("it must not be empty.");
    return value;
}

const collect = (value: string, previous: string[]) => [...previous, nonEmpty(value)];

function count(value: string): number {
    if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError("it must be a whole number (0 prints every problem).");
    return Number(value);
}

/** The project whose stack files `--stack` names (see locateProject); undefined after printing why not. */
function projectOf(projectDir: string | undefined, io: { err: (s: string) => void }): ProjectLocation | undefined {
    try {
        return locateProject(projectDir);
    } catch (e) {
        if (!(e instanceof ProjectError)) throw e;
        io.err(e.message);
        return undefined;
    }
}

const PROJECT_DIR_HELP =
    "the Pulumi project whose stack files --stack names (default: the nearest Pulumi.yaml from here up, else this package's example stacks)";

/**
 * Output that survives its reader going away: once stdout is closed (`validate ... | head`),
 * further lines are dropped, and the command still finishes and exits with its own code.
 */
export function pipeSafeIo(stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr) {
    let outClosed = false;
    let errClosed = false;
    const closed = (e: NodeJS.ErrnoException) => e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED";
    stdout.on("error", (e: NodeJS.ErrnoException) => {
        if (closed(e)) outClosed = true;
        else throw e;
    });
    stderr.on("error", (e: NodeJS.ErrnoException) => {
        if (closed(e)) errClosed = true;
        else throw e;
    });
    return {
        out: (s: string) => {
            if (!outClosed) stdout.write(s + "\n");
        },
        err: (s: string) => {
            if (!errClosed) stderr.write(s + "\n");
        },
    };
}

export async function main(argv: string[], io = pipeSafeIo()): Promise<number> {
    let code = 0;
    const program = new Command("s3-replication")
        .description("Amazon S3 replication at fleet scale: validate manifests and plan stacks offline.")
        .exitOverride()
        .configureOutput({ writeOut: s => io.out(s.replace(/\n$/, "")), writeErr: s => io.err(s.replace(/\n$/, "")) })
        .version(packageVersion(), "-V, --version", "print the package version");

    program
        .command("init")
        .description(
            "Create a Pulumi project that deploys a fleet from a manifest with this package's stack program: Pulumi.yaml, index.ts, tsconfig.json, a stack file and a manifest in the AWS Storage Blog template's format.",
        )
        .addArgument(new Argument("[dir]", "where to create it (default: the current directory)").argParser(nonEmpty))
        .addOption(new Option("--name <project>", "project name (default: the directory's name)").argParser(nonEmpty))
        .addOption(new Option("--stack <name>", "the stack file to write").default("dev").argParser(nonEmpty))
        .addOption(new Option("--account <id>", "the 12-digit account of the source buckets (default: a placeholder to replace)").argParser(nonEmpty))
        .option("--force", "overwrite files that exist")
        .action(async (dir: string | undefined, opts: { name?: string; stack: string; account?: string; force?: boolean }) => {
            const { runInit } = await import("./init-command");
            code = runInit(dir, opts, io);
        });

    program
        .command("plan")
        .description("Run the stacks program offline (Pulumi mock runtime, no AWS calls) and print what would be registered.")
        .addOption(new Option("--stack <name>", "stack whose config (stacks/Pulumi.<name>.yaml) to use").makeOptionMandatory().argParser(nonEmpty))
        // plan review (issue 14): passed to runPlan with the other options, which checks them.
        .addOption(
            new Option(
                "--format <format>",
                "text (default), markdown (a pull-request comment, Mermaid topology included) or json; with --diff, the diff in that form",
            ).choices(["text", "markdown", "json"]),
        )
        .addOption(
            new Option(
                "--estimate <file>",
                "YAML/JSON object counts and sizes per route key or source bucket: add a cost and capacity estimate (see docs/plan-review.md)",
            ).argParser(nonEmpty),
        )
        .option("--json", "print {resources, summary} as JSON")
        .addOption(new Option("--manifest <file>", "use this manifest instead of the one in stack config").argParser(nonEmpty))
        .addOption(new Option("--sheet <name>", "XLSX worksheet (default: stack config manifestSheet, else the first visible sheet)").argParser(nonEmpty))
        .addOption(new Option("--set <column=value>", "default for a manifest column (repeatable)").default([]).argParser(collect))
        .addOption(
            new Option("--max-diagnostics <n>", "print at most n problems, then how many more (0: all)").default(DEFAULT_MAX_DIAGNOSTICS).argParser(count),
        )
        .addOption(
            new Option(
                "--diff <base.json>",
                "compare with a base plan (plan --json output): creates, updates, replaces and deletes under a safety summary; exit 3 if it deletes or replaces buckets, bucket settings, roles, policies or replication configurations",
            ).argParser(nonEmpty),
        )
        .option("--allow-deletes", "with --diff: exit 0 even when the plan deletes or replaces resources")
        .addOption(
            new Option(
                "--shard-base <plan.json>",
                "with --diff: the base plan of another stack of a sharded fleet (repeatable); resources that move here are listed with the `pulumi state move` commands that carry them",
            )
                .default([])
                .argParser(collect),
        )
        .addOption(new Option("--project-dir <dir>", PROJECT_DIR_HELP).argParser(nonEmpty))
        .action(
            async (opts: {
                stack: string;
                json?: boolean;
                manifest?: string;
                sheet?: string;
                set: string[];
                maxDiagnostics: number;
                diff?: string;
                allowDeletes?: boolean;
                shardBase: string[];
                projectDir?: string;
            }) => {
                const project = projectOf(opts.projectDir, io);
                if (!project) {
                    code = 2;
                    return;
                }
                // Loaded only for plan: it brings the Pulumi SDK, which validate does not need.
                const { runPlan } = await import("./plan-command");
                code = await runPlan({ ...opts, stacksDir: project.stacksDir, project: project.name }, { ...io, progress: { stream: process.stderr } });
            },
        );

    program
        .command("validate")
        .description("Check a manifest (CSV, XLSX, YAML, JSON) against every rule AWS enforces; exit 0 clean, 1 errors, 2 unreadable or bad usage.")
        .addArgument(new Argument("[manifest]", "manifest file (default: the one in --stack's config)").argParser(nonEmpty))
        .addOption(new Option("--stack <name>", "take accounts, defaults and templates from stacks/Pulumi.<name>.yaml").argParser(nonEmpty))
        .addOption(new Option("--set <column=value>", "default for a manifest column (repeatable)").default([]).argParser(collect))
        .option("--json", "print {ok, errors, warnings} as JSON (always every problem)")
        .option("--strict", "treat warnings as errors")
        .addOption(new Option("--sheet <name>", "XLSX worksheet (default: the first visible one)").argParser(nonEmpty))
        .addOption(
            new Option("--max-diagnostics <n>", "print at most n problems, then how many more (0: all)").default(DEFAULT_MAX_DIAGNOSTICS).argParser(count),
        )
        .addOption(new Option("--project-dir <dir>", PROJECT_DIR_HELP).argParser(nonEmpty))
        .action(
            async (
                manifest: string | undefined,
                opts: { stack?: string; set: string[]; json?: boolean; strict?: boolean; sheet?: string; maxDiagnostics: number; projectDir?: string },
            ) => {
                const project = opts.stack !== undefined ? projectOf(opts.projectDir, io) : undefined;
                if (opts.stack !== undefined && !project) {
                    code = 2;
                    return;
                }
                const { runValidate } = await import("./validate-command");
                code = await runValidate(manifest, { ...opts, ...(project ? { stacksDir: project.stacksDir } : {}) }, io);
            },
        );

    // status (issue 12): asks AWS, unlike the offline commands; loaded only when used.
    program
        .command("status")
        .description(
            "How what a stack deploys is doing in AWS: backfill jobs and their progress, the last hour of replication metrics per route, alarms in ALARM; exit 0 healthy, 1 something failed, 2 the stack cannot be read.",
        )
        .addOption(
            new Option("--stack <name>", "stack whose config (stacks/Pulumi.<name>.yaml) says what is deployed and how to reach each account")
                .makeOptionMandatory()
                .argParser(nonEmpty),
        )
        .option("--json", "print the report as JSON")
        .option("--watch", "poll until no backfill job is running (a progress bar per job on a terminal)")
        .addOption(
            new Option("--interval <seconds>", "seconds between polls with --watch").default(30).argParser(v => {
                if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || Number(v) <= 0) throw new InvalidArgumentError("it must be a number of seconds greater than 0.");
                return Number(v);
            }),
        )
        .addOption(
            new Option("--s3control-endpoint <url>", "S3 Control endpoint (default: stack config backfill.endpoint, else the Region's)").argParser(nonEmpty),
        )
        .addOption(new Option("--cloudwatch-endpoint <url>", "CloudWatch endpoint (default: the Region's)").argParser(nonEmpty))
        .addOption(new Option("--sts-endpoint <url>", "STS endpoint for the accounts' roles (default: the Region's)").argParser(nonEmpty))
        .addOption(new Option("--project-dir <dir>", PROJECT_DIR_HELP).argParser(nonEmpty))
        .action(
            async (opts: {
                stack: string;
                json?: boolean;
                watch?: boolean;
                interval: number;
                s3controlEndpoint?: string;
                cloudwatchEndpoint?: string;
                stsEndpoint?: string;
                projectDir?: string;
            }) => {
                const project = projectOf(opts.projectDir, io);
                if (!project) {
                    code = 2;
                    return;
                }
                const { runStatus } = await import("./status-command");
                code = await runStatus(
                    {
                        stack: opts.stack,
                        json: opts.json === true,
                        watch: opts.watch === true,
                        intervalSeconds: opts.interval,
                        stacksDir: project.stacksDir,
                        endpoints: {
                            ...(opts.s3controlEndpoint ? { s3control: opts.s3controlEndpoint } : {}),
                            ...(opts.cloudwatchEndpoint ? { cloudwatch: opts.cloudwatchEndpoint } : {}),
                            ...(opts.stsEndpoint ? { sts: opts.stsEndpoint } : {}),
                        },
                    },
                    io,
                );
            },
        );

    try {
        await program.parseAsync(argv, { from: "user" });
    } catch (e) {
        const err = e as { code?: string; exitCode?: number };
        if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
        if (err.code?.startsWith("commander.")) return 2;
        throw e;
    }
    return code;
}

/** The CLI entry point: exit code set, never a stack trace for a closed pipe. */
export function run(argv: string[]): void {
    main(argv).then(
        c => {
            process.exitCode = c;
        },
        e => {
            process.stderr.write(`${(e as Error).stack ?? e}\n`);
            process.exitCode = 1;
        },
    );
}

if (require.main === module) run(process.argv.slice(2));
