/** `s3-replication`: the offline commands (plan, validate). */
import { Command, Option } from "commander";
import { runPlan } from "./plan-command";
import { runValidate } from "./validate-command";

const collect = (value: string, previous: string[]) => [...previous, value];
const io = { out: (s: string) => process.stdout.write(s + "\n"), err: (s: string) => process.stderr.write(s + "\n") };

export async function main(argv: string[]): Promise<number> {
    let code = 0;
    const program = new Command("s3-replication")
        .description("Amazon S3 replication at fleet scale: validate manifests and plan stacks offline.")
        .exitOverride()
        .configureOutput({ writeOut: s => process.stdout.write(s), writeErr: s => process.stderr.write(s) });

    program.command("plan")
        .description("Run the stacks program offline (Pulumi mock runtime, no AWS calls) and print what would be registered.")
        .requiredOption("--stack <name>", "stack whose config (stacks/Pulumi.<name>.yaml) to use")
        .option("--json", "print {resources, summary} as JSON")
        .option("--manifest <file>", "use this manifest instead of the one in stack config")
        .addOption(new Option("--set <column=value>", "default for a manifest column (repeatable)").default([]).argParser(collect))
        .action(async (opts: { stack: string; json?: boolean; manifest?: string; set: string[] }) => {
            code = await runPlan(opts, io);
        });

    program.command("validate")
        .description("Check a manifest (CSV, XLSX, YAML, JSON) against every rule AWS enforces; exit 0 clean, 1 errors, 2 unreadable or bad usage.")
        .argument("[manifest]", "manifest file (default: the one in --stack's config)")
        .option("--stack <name>", "take accounts, defaults and templates from stacks/Pulumi.<name>.yaml")
        .addOption(new Option("--set <column=value>", "default for a manifest column (repeatable)").default([]).argParser(collect))
        .option("--json", "print {ok, errors, warnings} as JSON")
        .option("--strict", "treat warnings as errors")
        .option("--sheet <name>", "XLSX worksheet (default: the first)")
        .action(async (manifest: string | undefined, opts: { stack?: string; set: string[]; json?: boolean; strict?: boolean; sheet?: string }) => {
            code = await runValidate(manifest, opts, io);
        });

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

if (require.main === module) {
    main(process.argv.slice(2)).then(c => { process.exitCode = c; }, e => { process.stderr.write(`${(e as Error).stack ?? e}\n`); process.exitCode = 1; });
}
