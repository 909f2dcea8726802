import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runStackUnderMocks, T, byType } from "./support/mock-runtime";
import { OFFLINE_INVOKES, runPlan } from "../cli/plan-command";
import { roleNameForSource } from "../components/model";

function tempManifest(name: string, text: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3r-"));
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}

describe("stacks program", () => {
    it("an invalid manifest stops the program with every diagnostic in one error, and registers nothing", async () => {
        const file = tempManifest(
            "bad.csv",
            [
                "source_bucket,source_account,source_region,destination_bucket,destination_region,storage_class,colour",
                "Bad_Name,prod,us-east-1,good-destination,us-west-2,FROZEN,red",
                "acme-prod-orders,nobody,us-east-1,acme-prod-orders,us-east-1,,",
            ].join("\n"),
        );
        const result = await runStackUnderMocks("prod", { manifest: file });
        expect(result.error).to.be.instanceOf(pulumi.RunError);
        const message = result.error!.message;
        for (const expected of [
            ":1:colour error UNKNOWN_COLUMN",
            ":2:source_bucket error INVALID_BUCKET_NAME",
            ":2:storage_class error INVALID_STORAGE_CLASS",
            ":3:source_account error UNKNOWN_ACCOUNT_ALIAS",
        ]) {
            expect(message).to.include(expected);
        }
        expect(result.resources).to.deep.equal([]);
    });

    it("--set fills columns a manifest lacks (the AWS blog template) and exports a per-route summary", async () => {
        const result = await runStackUnderMocks("prod", {
            manifest: path.join(__dirname, "..", "stacks", "manifests", "blog-template.csv"),
            set: ["source_account=prod", "source_region=us-east-1", "destination_account=dr", "destination_bucket={source}-dr"],
        });
        expect(result.error, result.error?.message).to.equal(undefined);
        const routes = result.outputs.routes as Array<Record<string, unknown>>;
        expect(routes.length).to.be.greaterThan(0);
        for (const r of routes) {
            expect(r).to.include({
                sourceAccount: "111111111111",
                destinationAccount: "222222222222",
                role: `arn:aws:iam::111111111111:role/s3-replication/${roleNameForSource("111111111111", String(r.source))}`,
            });
            expect(r.ruleId).to.be.a("string");
            expect(r.destination).to.equal(`${r.source}-dr`);
        }
        expect(byType(result.resources, T.replication).length).to.be.greaterThan(0);
    });

    it("plan prints an offline plan grouped by account and Region, or JSON, and exits 1 listing all errors", async () => {
        const out: string[] = [];
        const err: string[] = [];
        const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
        expect(await runPlan({ stack: "prod" }, io)).to.equal(0);
        const text = out.join("\n");
        expect(text).to.match(/no AWS calls/);
        expect(text).to.include("account 111111111111 · us-east-1").and.include("account 222222222222 · us-west-2");
        expect(text).to.match(/Summary: \d+ resources/);

        out.length = 0;
        expect(await runPlan({ stack: "prod", json: true }, io)).to.equal(0);
        const json = JSON.parse(out.join("\n"));
        expect(Object.keys(json.resources[0])).to.include.members(["type", "name", "parent", "account", "region", "inputs"]);
        const config = json.resources.find((r: { type: string }) => r.type === T.replication);
        expect(config.parent).to.be.a("string");
        expect(config.account).to.equal("111111111111");
        expect(json.summary.accounts).to.deep.equal(["111111111111", "222222222222"]);
        expect(json.summary.byType[T.replication]).to.equal(3);
        expect(JSON.stringify(json)).not.to.include("__provider");

        const bad = tempManifest("bad.csv", "source_bucket,source_account,source_region\nx,1,us-east-1\n");
        expect(await runPlan({ stack: "prod", manifest: bad }, io)).to.equal(1);
        expect(err.join("\n")).to.include("INVALID_BUCKET_NAME").and.include("INVALID_ACCOUNT");
        expect(await runPlan({ stack: "nope" }, io)).to.equal(2);
    });
});

describe("stacks program: routes listed in stack config", () => {
    it("reads routes from config (with defaults and a destination template) as it reads a manifest", async () => {
        const { runUnderMocks } = await import("../cli/mock-runtime");
        const { runStack } = await import("../stacks/program");
        const ns = "pulumi-s3-replication";
        const result = await runUnderMocks(runStack, {
            project: ns,
            stack: "inline",
            config: {
                [`${ns}:accounts`]: JSON.stringify({ dev: { id: "111111111111" } }),
                [`${ns}:destinationTemplate`]: "{source}-{destination_region}",
                [`${ns}:defaults`]: JSON.stringify({
                    source_account: "dev",
                    source_region: "us-east-1",
                    destination_region: "us-west-2",
                    create_source: true,
                    create_destination: true,
                }),
                [`${ns}:routes`]: JSON.stringify([{ source_bucket: "inline-a" }, { sourceBucket: "inline-b", prefix: "logs/" }]),
            },
            invokes: OFFLINE_INVOKES,
        });
        expect(result.error, result.error?.message).to.equal(undefined);
        const routes = result.outputs.routes as Array<{ source: string; destination: string }>;
        expect(routes.map(r => `${r.source}->${r.destination}`).sort()).to.deep.equal(["inline-a->inline-a-us-west-2", "inline-b->inline-b-us-west-2"]);
        expect(byType(result.resources, T.bucket)).to.have.length(4);
    });

    it("reports a config typo as INVALID_CONFIG with the key, before registering anything", async () => {
        const { runUnderMocks } = await import("../cli/mock-runtime");
        const { runStack } = await import("../stacks/program");
        const ns = "pulumi-s3-replication";
        const result = await runUnderMocks(runStack, {
            project: ns,
            stack: "typo",
            config: {
                [`${ns}:routes`]: JSON.stringify([{ source_bucket: "x-bucket", source_account: "111111111111", source_region: "us-east-1" }]),
                [`${ns}:shard`]: JSON.stringify({ index: 1 }),
            },
        });
        expect(result.error?.message).to.include("INVALID_CONFIG").and.include(`${ns}:shard`);
        expect(result.resources).to.deep.equal([]);
    });
});

describe("stacks program as a preview", () => {
    it("registers the same resources when run as a preview, where values AWS assigns are unknown", async () => {
        const { runUnderMocks } = await import("../cli/mock-runtime");
        const { OFFLINE_INVOKES, planConfig, projectName } = await import("../cli/plan-command");
        const { runStack } = await import("../stacks/program");
        const options = { project: projectName(), stack: "prod", config: planConfig("prod").config, invokes: OFFLINE_INVOKES };
        const preview = await runUnderMocks(runStack, { ...options, preview: true });
        const update = await runUnderMocks(runStack, options);
        expect(preview.error, preview.error?.message).to.equal(undefined);
        expect(preview.resources.map(r => r.urn).sort()).to.deep.equal(update.resources.map(r => r.urn).sort());
    });
});
