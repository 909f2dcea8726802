/** `s3-replication`: the offline commands (plan, validate). */
import { Command, Option } from "commander";
import { runPlan } from "./plan-command";

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
