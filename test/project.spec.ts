/** Pulumi.yaml: what `pulumi up` reads before it runs any of this package's code. */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const ROOT = path.join(__dirname, "..");
const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main: string;
    stackConfigDir: string;
    runtime: { name: string; options: { typescript: boolean; nodeargs: string } };
};

describe("Pulumi.yaml", () => {
    it("points the nodejs runtime at the stacks program and its stack files", () => {
        expect(project.name).to.equal("pulumi-s3-replication");
        expect(project.runtime.name).to.equal("nodejs");
        expect(project.runtime.options.typescript).to.equal(true);
        // A file, not a directory: with `main: stacks/` the launcher runs package.json's `main`
        // (the library, once built) instead of the program (run.js, "no entry point" case).
        expect(project.main).to.equal("stacks/index.ts");
        expect(fs.statSync(path.join(ROOT, project.main)).isFile()).to.equal(true);
        expect(fs.readdirSync(path.join(ROOT, project.stackConfigDir)).filter(f => /^Pulumi\..+\.yaml$/.test(f))).to.include.members([
            "Pulumi.dev.yaml",
            "Pulumi.prod.yaml",
        ]);
    });

    it("gives node flags that this node accepts (a typo would stop every pulumi up)", () => {
        const flags = project.runtime.options.nodeargs.split(/\s+/).filter(Boolean);
        expect(flags).to.include("--max-old-space-size=8192");
        const run = spawnSync(process.execPath, [...flags, "-e", "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"], {
            encoding: "utf8",
        });
        expect(run.status, run.stderr).to.equal(0);
        expect(Number(run.stdout)).to.be.greaterThan(8 * 1024 ** 3);
    });
});

describe("stacks/tsconfig.json", () => {
    // The launcher reads tsconfig.json only from the program directory (stacks/) and fills what it
    // lacks with its own defaults (module/moduleResolution nodenext, target ES2020).
    const strip = (text: string) => JSON.parse(text) as { compilerOptions: Record<string, unknown> };
    const root = strip(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8")).compilerOptions;
    const stacks = strip(fs.readFileSync(path.join(ROOT, "stacks", "tsconfig.json"), "utf8")).compilerOptions;

    it("compiles the program with the root tsconfig's options (apart from test typings, output and the type check)", () => {
        const omit = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
        const local = ["types", "outDir", "declaration", "noCheck"];
        expect(omit(stacks, local)).to.deep.equal(omit(root, local));
        for (const key of ["module", "moduleResolution", "target", "lib"]) expect(stacks[key], key).to.deep.equal(root[key]);
    });

    it("transpiles only under the launcher (noCheck), since npm test type-checks the same sources with the same options", () => {
        expect(stacks.noCheck).to.equal(true);
    });
});
