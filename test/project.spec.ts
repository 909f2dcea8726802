/** Pulumi.yaml: what `pulumi up` reads before it runs any of this package's code. */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const ROOT = path.join(__dirname, "..");
const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    name: string; main: string; stackConfigDir: string;
    runtime: { name: string; options: { typescript: boolean; nodeargs: string } };
};

describe("Pulumi.yaml", () => {
    it("points the nodejs runtime at the stacks program and its stack files", () => {
        expect(project.name).to.equal("pulumi-s3-replication");
        expect(project.runtime.name).to.equal("nodejs");
        expect(project.runtime.options.typescript).to.equal(true);
        expect(fs.existsSync(path.join(ROOT, project.main, "index.ts"))).to.equal(true);
        expect(fs.readdirSync(path.join(ROOT, project.stackConfigDir)).filter(f => /^Pulumi\..+\.yaml$/.test(f))).to.include.members(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
    });

    it("gives node flags that this node accepts (a typo would stop every pulumi up)", () => {
        const flags = project.runtime.options.nodeargs.split(/\s+/).filter(Boolean);
        expect(flags).to.include("--max-old-space-size=8192");
        const run = spawnSync(process.execPath, [...flags, "-e", "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"], { encoding: "utf8" });
        expect(run.status, run.stderr).to.equal(0);
        expect(Number(run.stdout)).to.be.greaterThan(8 * 1024 ** 3);
    });
});
