/**
 * `s3-replication init [dir]`: a Pulumi project of the user's own that deploys a replication fleet
 * with this package's stack program: Pulumi.yaml (main: index.ts), index.ts, tsconfig.json, a
 * stack file and a manifest in the AWS Storage Blog template's format. `validate`, `plan` and
 * `pulumi preview` then work in that directory.
 *
 * Nothing is overwritten unless `--force`; package.json is written only when the directory has
 * none (otherwise the missing dependencies are listed with the command that adds them).
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { PACKAGE_NAME, packageRoot, packageVersion, peerRanges } from "./package-info";

export interface InitOptions {
    /** Project name (default: the directory's name, made a valid Pulumi project name). */
    name?: string;
    /** The stack whose config file to write (default "dev"). */
    stack?: string;
    /** The 12-digit account of the source buckets (default a placeholder to replace). */
    account?: string;
    /** Overwrite files that exist. */
    force?: boolean;
}

export interface InitIo {
    out: (s: string) => void;
    err: (s: string) => void;
}

/** A Pulumi project name: letters, digits, `-`, `_` and `.`, starting with a letter or digit. */
export function projectNameFor(dir: string): string {
    const base = path
        .basename(path.resolve(dir))
        .replace(/[^A-Za-z0-9_.-]+/g, "-")
        .replace(/^[^A-Za-z0-9]+/, "");
    return base || "s3-replication-fleet";
}

/** The node flags of this package's own Pulumi.yaml: the fleet program needs the same heap anywhere. */
function packageNodeArgs(): string | undefined {
    try {
        const doc = parseYaml(fs.readFileSync(path.join(packageRoot(), "Pulumi.yaml"), "utf8")) as { runtime?: { options?: { nodeargs?: unknown } } };
        const args = doc?.runtime?.options?.nodeargs;
        return typeof args === "string" ? args : undefined;
    } catch {
        return undefined;
    }
}

/** The files `init` writes, by path relative to the project directory. */
export function scaffoldFiles(options: Required<Pick<InitOptions, "name" | "stack">> & { account: string }): Record<string, string> {
    const nodeargs = packageNodeArgs();
    const blogTemplate = fs.readFileSync(path.join(packageRoot(), "stacks", "manifests", "blog-template.csv"), "utf8");
    return {
        "Pulumi.yaml": [
            `name: ${options.name}`,
            `description: Amazon S3 replication for the routes in manifests/, deployed with ${PACKAGE_NAME}.`,
            "runtime:",
            "  name: nodejs",
            "  options:",
            "    typescript: true",
            ...(nodeargs
                ? [
                      "    # The heap the fleet program needs for thousands of routes (as in the package's own Pulumi.yaml).",
                      `    nodeargs: ${JSON.stringify(nodeargs)}`,
                  ]
                : []),
            "# A file, not a directory: the launcher then runs this program, never package.json's `main`.",
            "main: index.ts",
            "",
        ].join("\n"),
        "index.ts": [
            `// The replication fleet of this project: ${PACKAGE_NAME}'s stack program, reading the stack`,
            "// files here (Pulumi.<stack>.yaml) and the manifest they name. Stack outputs: routes,",
            "// replicationRoles, buckets, warnings.",
            `import { runStack, useCheapBookkeepingStackTraces } from "${PACKAGE_NAME}/stack";`,
            "",
            "// The SDK's bookkeeping stack traces would otherwise dominate a large fleet's run.",
            "useCheapBookkeepingStackTraces();",
            "",
            "// The Pulumi CLI runs the program in this directory: the stack files are here.",
            `export = () => runStack({ stackConfigDir: "." });`,
            "",
        ].join("\n"),
        "tsconfig.json":
            JSON.stringify(
                {
                    compilerOptions: {
                        target: "ES2022",
                        module: "commonjs",
                        moduleResolution: "node",
                        lib: ["ES2022"],
                        strict: true,
                        esModuleInterop: true,
                        skipLibCheck: true,
                        sourceMap: true,
                    },
                    files: ["index.ts"],
                },
                null,
                4,
            ) + "\n",
        [`Pulumi.${options.stack}.yaml`]: [
            `# Stack "${options.stack}": which accounts to reach and how, where the routes are, and the values`,
            "# the manifest leaves out. `npx s3-replication validate --stack " + options.stack + "` checks it all offline.",
            "config:",
            "  aws:region: us-east-1",
            "  pulumi-s3-replication:accounts:",
            "    main:",
            `      id: "${options.account}"`,
            "      # How the deployment reaches the account (else the ambient credentials, still pinned to the id):",
            "      # roleArn: arn:aws:iam::" + options.account + ":role/pulumi-deployer",
            "      # profile: main",
            "  # The AWS Storage Blog replication template: one row per source bucket; a blank destination",
            "  # is <source>-target, as in the blog (set pulumi-s3-replication:destinationTemplate to change it).",
            "  pulumi-s3-replication:manifest: manifests/routes.csv",
            "  pulumi-s3-replication:defaults:",
            "    # The template has no source account or Region column.",
            "    source_account: main",
            "    source_region: us-east-1",
            "    # The replicas are new buckets; the sources exist and are adopted, never recreated.",
            "    create_destination: true",
            "",
        ].join("\n"),
        "manifests/routes.csv": blogTemplate,
    };
}

/** The dependencies a project running the fleet program needs. */
function neededDependencies(): Record<string, string> {
    return { [PACKAGE_NAME]: `^${packageVersion()}`, ...peerRanges() };
}

export function runInit(dir: string | undefined, options: InitOptions, io: InitIo): number {
    const root = path.resolve(dir ?? ".");
    const name = options.name ?? projectNameFor(root);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
        io.err(`init: --name ${JSON.stringify(name)} is not a Pulumi project name (letters, digits, "-", "_" and ".").`);
        return 2;
    }
    const stack = options.stack ?? "dev";
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        io.err(`init: --stack ${JSON.stringify(stack)} is not a stack name (letters, digits, "-", "_" and ".").`);
        return 2;
    }
    const account = options.account ?? "111111111111";
    if (!/^\d{12}$/.test(account)) {
        io.err(`init: --account ${JSON.stringify(account)} is not a 12-digit AWS account id.`);
        return 2;
    }
    const files = scaffoldFiles({ name, stack, account });
    const packageJson = path.join(root, "package.json");
    const writePackageJson = !fs.existsSync(packageJson);
    if (writePackageJson) {
        files["package.json"] =
            JSON.stringify(
                {
                    name,
                    version: "0.1.0",
                    private: true,
                    dependencies: neededDependencies(),
                    devDependencies: { typescript: "^5.9.0", "@types/node": "^20.0.0" },
                },
                null,
                4,
            ) + "\n";
    }
    if (!fs.existsSync(path.join(root, ".gitignore"))) files[".gitignore"] = "node_modules/\n";

    const existing = Object.keys(files).filter(f => fs.existsSync(path.join(root, f)));
    if (existing.length > 0 && !options.force) {
        io.err(`init: ${root} already has ${existing.join(", ")}; nothing was written. Use --force to overwrite them, or choose another directory.`);
        return 2;
    }
    for (const [file, text] of Object.entries(files)) {
        const target = path.join(root, file);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
    }
    const shown = path.relative(process.cwd(), root) || ".";
    io.out(`Created a Pulumi project "${name}" in ${shown}: ${Object.keys(files).join(", ")}.`);

    const steps: string[] = [];
    if (shown !== ".") steps.push(`cd ${shown}`);
    if (writePackageJson) {
        steps.push("npm install");
    } else {
        const declared = JSON.parse(fs.readFileSync(packageJson, "utf8")) as {
            dependencies?: Record<string, string>;
            devDependencies?: Record<string, string>;
        };
        const have = { ...declared.dependencies, ...declared.devDependencies };
        const missing = Object.entries(neededDependencies()).filter(([dep]) => !(dep in have));
        if (missing.length > 0) steps.push(`npm install ${missing.map(([dep, range]) => `${dep}@${JSON.stringify(range)}`).join(" ")}`);
    }
    steps.push(
        `# edit Pulumi.${stack}.yaml (account id, roleArn or profile) and manifests/routes.csv`,
        `npx s3-replication validate --stack ${stack}`,
        `npx s3-replication plan --stack ${stack}`,
        `pulumi stack init ${stack} && pulumi preview`,
    );
    io.out(["Next:", ...steps.map(s => `  ${s}`)].join("\n"));
    return 0;
}
