/**
 * A Pulumi YAML program (examples/yaml/Pulumi.yaml, written as a `pulumi package add` user writes
 * it) previewed through this package's plugin: the plugin runs as the nodejs language host runs it
 * (@pulumi/pulumi/cmd/run-plugin), and this test plays Pulumi YAML's part: it evaluates the
 * program's config and `${...}` references, and turns each resource into what the engine sends
 * the plugin in a preview: Construct for a component (its children go to a loopback resource
 * monitor), Check for the provider's own resource.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { specialResourceSig, specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { OFFLINE_INVOKES } from "../cli/provider-fixtures";
import { ROOT, ensureBuilt } from "./support/build";
import { LoopbackEngine } from "./support/engine/monitor";
import { PluginProcess, call, configure, construct, plain, provproto, startPlugin, struct } from "./support/plugin";

const PROGRAM = path.join(ROOT, "examples", "yaml", "Pulumi.yaml");
const STACK = "dev";
const SECRET = "ext-id-s3cr3t";

interface YamlProgram {
    name: string;
    runtime: string;
    packages: Record<string, string>;
    config: Record<string, { type: string; default?: unknown; secret?: boolean }>;
    resources: Record<string, { type: string; properties: Record<string, unknown> }>;
    outputs: Record<string, string>;
}

/** What a resource of the program produced: its URN and outputs. */
interface Done {
    urn: string;
    outputs: Record<string, unknown>;
}

const REF = /\$\{([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?\}/g;

describe("a Pulumi YAML program through the plugin (preview)", function () {
    this.timeout(120_000);
    const program = parseYaml(fs.readFileSync(PROGRAM, "utf8")) as YamlProgram;
    let engine: LoopbackEngine;
    let plugin: PluginProcess;
    const done = new Map<string, Done>();
    const dependsOn = new Map<string, Set<string>>();
    let jobCheck: provproto.CheckResponse;

    const config: Record<string, { value: unknown; secret: boolean }> = {};
    for (const [key, spec] of Object.entries(program.config)) config[key] = { value: spec.default, secret: spec.secret === true };
    config.externalId.value = SECRET;

    /** Evaluate `${config}` and `${resource.output}`: a whole-string reference keeps its value (and secretness). */
    function evaluate(value: unknown, refs: Set<string>): unknown {
        if (typeof value === "string") {
            const whole = /^\$\{([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?\}$/.exec(value);
            if (whole) return lookup(whole[1], whole[2], refs);
            return value.replace(REF, (_m, name: string, prop?: string) => String(unwrap(lookup(name, prop, refs))));
        }
        if (Array.isArray(value)) return value.map(v => evaluate(v, refs));
        if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, refs)]));
        return value;
    }
    function lookup(name: string, prop: string | undefined, refs: Set<string>): unknown {
        if (prop === undefined) {
            const c = config[name];
            if (!c) throw new Error(`\${${name}}: no such config`);
            return c.secret ? { [specialSigKey]: specialSecretSig, value: c.value } : c.value;
        }
        const r = done.get(name);
        if (!r) throw new Error(`\${${name}.${prop}} used before ${name} exists`);
        refs.add(r.urn);
        return r.outputs[prop];
    }
    const unwrap = (v: unknown): unknown =>
        v !== null && typeof v === "object" && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig ? (v as { value: unknown }).value : v;

    /** Resources in an order where every `${resource.output}` comes after its resource (as Pulumi YAML sorts them). */
    function order(): string[] {
        const names = Object.keys(program.resources);
        const uses = (name: string) => [...JSON.stringify(program.resources[name].properties).matchAll(REF)].map(m => m[1]).filter(n => n in program.resources);
        const out: string[] = [];
        const visit = (n: string) => {
            if (out.includes(n)) return;
            uses(n).forEach(visit);
            out.push(n);
        };
        names.forEach(visit);
        return out;
    }

    before(async () => {
        await ensureBuilt();
        engine = new LoopbackEngine({ project: program.name, stack: STACK, preview: true, invokes: OFFLINE_INVOKES });
        await engine.start();
        plugin = await startPlugin(ROOT, engine.engineAddress);
        await configure(plugin);
        const stackUrn = `urn:pulumi:${STACK}::${program.name}::pulumi:pulumi:Stack::${program.name}-${STACK}`;
        for (const name of order()) {
            const { type, properties } = program.resources[name];
            const refs = new Set<string>();
            const inputs = evaluate(properties, refs) as Record<string, unknown>;
            dependsOn.set(name, refs);
            const schemaType = type.split(":").length === 2 ? type.replace(":", ":index:") : type;
            if (schemaType === "pulumi-s3-replication:index:BatchReplicationJob") {
                const req = new provproto.CheckRequest();
                req.setUrn(`urn:pulumi:${STACK}::${program.name}::${schemaType}::${name}`);
                req.setOlds(struct({}));
                req.setNews(struct(inputs));
                jobCheck = await call(plugin.client, plugin.client.check, req);
                done.set(name, { urn: req.getUrn(), outputs: plain(jobCheck.getInputs()) });
                continue;
            }
            const inputDependencies = Object.fromEntries(
                Object.keys(inputs)
                    .filter(() => refs.size > 0)
                    .map(k => [k, [...refs]]),
            );
            const result = await construct(plugin, {
                project: program.name,
                stack: STACK,
                monitorAddress: engine.monitorAddress,
                type: schemaType,
                name,
                parent: stackUrn,
                inputs,
                inputDependencies,
                dryRun: true,
                config: { "aws:region": "us-east-1" },
            });
            done.set(name, { urn: result.urn, outputs: result.state });
        }
    });

    after(async () => {
        await plugin?.stop();
        await engine?.stop();
    });

    const children = (name: string) =>
        engine.resources.filter(r => engine.dependsOn(r.urn, done.get(name)!.urn) && r.urn !== done.get(name)!.urn && r.parent !== undefined);

    it("is written for the package as `pulumi package add` records it", () => {
        expect(program.runtime).to.equal("yaml");
        expect(Object.keys(program.packages)).to.deep.equal(["pulumi-s3-replication"]);
        expect(new Set(Object.values(program.resources).map(r => r.type))).to.deep.equal(
            new Set([
                "pulumi-s3-replication:index:AccountProviders",
                "pulumi-s3-replication:index:HardenedBucket",
                "pulumi-s3-replication:index:ReplicationRole",
                "pulumi-s3-replication:index:BucketReplication",
                "pulumi-s3-replication:index:ReplicationFleet",
                "pulumi-s3-replication:index:BatchReplicationJob",
            ]),
        );
    });

    it("constructs every component, each registered under its own type token with its children", () => {
        for (const [name, { type }] of Object.entries(program.resources)) {
            if (type.endsWith(":BatchReplicationJob")) continue;
            expect(done.get(name)!.urn, name).to.equal(`urn:pulumi:${STACK}::${program.name}::${type}::${name}`);
            const component = engine.resource(done.get(name)!.urn);
            expect(component?.custom, name).to.equal(false);
            expect(children(name).length, `${name} registers children`).to.be.greaterThan(0);
        }
        expect(plugin.stderr()).to.not.match(/error/i);
    });

    it("AccountProviders: one aws provider per account, pinned to it, returned as provider references", () => {
        const providers = children("accounts").filter(r => r.type === "pulumi:providers:aws");
        expect(providers.map(p => p.account).sort()).to.deep.equal(["111111111111", "222222222222"]);
        // The external id came in as a secret config value and is a secret input of the provider.
        const dr = providers.find(p => p.account === "222222222222")!;
        expect(dr.secretInputs).to.include("assumeRoles");
        const refs = done.get("accounts")!.outputs.providers as Record<string, Record<string, unknown>>;
        expect(Object.keys(refs).sort()).to.deep.equal(["111111111111", "222222222222"]);
        for (const [account, ref] of Object.entries(refs)) {
            expect(ref[specialSigKey]).to.equal(specialResourceSig);
            expect(ref.urn).to.equal(providers.find(p => p.account === account)!.urn);
        }
    });

    it("HardenedBucket: versioning, the public access block, ownership, encryption and a TLS-only policy, in its Region", () => {
        const types = children("auditLogs")
            .map(r => r.type)
            .sort();
        expect(types).to.include.members([
            "aws:s3/bucket:Bucket",
            "aws:s3/bucketVersioning:BucketVersioning",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketPolicy:BucketPolicy",
        ]);
        for (const r of children("auditLogs")) expect(r.inputs.region, r.urn).to.equal("us-east-1");
        expect(done.get("auditLogs")!.outputs).to.deep.include({
            bucketName: "acme-audit-logs-111111111111",
            bucketArn: "arn:aws:s3:::acme-audit-logs-111111111111",
        });
    });

    it("HardenedBucket with replicationSources: the other account's replication roles may replicate into it, and hand over ownership", () => {
        const policy = children("sharedLogs").find(r => r.type === "aws:s3/bucketPolicy:BucketPolicy")!;
        const raw = policy.inputs.policy;
        const doc = (typeof raw === "string" ? JSON.parse(raw) : raw) as { Statement: Array<Record<string, unknown>> };
        const objects = "arn:aws:s3:::acme-shared-logs-111111111111/*";
        const grant = (actions: string[]) => ({
            Effect: "Allow",
            Principal: { AWS: ["arn:aws:iam::222222222222:root"] },
            Action: actions,
            Resource: objects,
            Condition: { ArnLike: { "aws:PrincipalArn": ["arn:aws:iam::222222222222:role/s3-replication/*"] } },
        });
        expect(doc.Statement.map(s => s.Sid)).to.deep.equal([
            "DenyInsecureTransport",
            "ReplicationFromSourceAccounts",
            "ReplicaOwnerOverrideFromSourceAccounts",
        ]);
        expect(doc.Statement[1]).to.deep.include(grant(["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"]));
        expect(doc.Statement[2]).to.deep.include(grant(["s3:ObjectOwnerOverrideToBucketOwner"]));
    });

    it("ReplicationRole and BucketReplication: the configuration names the role's ARN and waits for the role", () => {
        const roleArn = done.get("auditReplicationRole")!.outputs.roleArn;
        expect(roleArn).to.equal("arn:aws:iam::111111111111:role/s3-replication/audit-logs-replication");
        const config = children("auditReplication").find(r => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig")!;
        expect(config.inputs).to.deep.include({ bucket: "acme-audit-logs-111111111111", region: "us-east-1", role: roleArn });
        expect(engine.dependsOn(config.urn, done.get("auditReplicationRole")!.urn)).to.equal(true);
        const rules = config.inputs.rules as Array<{ destination: { bucket: string; storageClass: string } }>;
        expect(rules).to.have.length(1);
        expect(rules[0].destination).to.deep.include({ bucket: "arn:aws:s3:::acme-audit-logs-111111111111-copy", storageClass: "STANDARD_IA" });
        expect(done.get("auditReplication")!.outputs.ruleIds).to.have.length(1);
    });

    it("ReplicationFleet: routes from typed camelCase rows and defaults, and backfill jobs of the package's provider (no dynamic resource)", () => {
        const routes = done.get("fleet")!.outputs.routes as Array<Record<string, unknown>>;
        expect(routes.map(r => [r.source, r.destination, r.destinationAccount, r.destinationRegion, r.existingObjects])).to.deep.equal([
            ["acme-media-assets", "acme-media-assets-dr", "222222222222", "us-west-2", "none"],
            ["acme-media-thumbnails", "acme-media-thumbnails-dr", "222222222222", "us-west-2", "eligible"],
        ]);
        const fleetChildren = children("fleet");
        expect(fleetChildren.some(r => r.type.startsWith("pulumi-nodejs:dynamic"))).to.equal(false);
        const jobs = fleetChildren.filter(r => r.type === "pulumi-s3-replication:index:BatchReplicationJob");
        expect(jobs.map(j => [j.inputs.sourceBucket, j.inputs.mode, j.inputs.keyPrefix, j.inputs.waitFor])).to.deep.equal([
            ["acme-media-thumbnails", "eligible", "thumbs/", "created"],
        ]);
        expect(jobs[0].inputs).to.not.have.property("__provider");
        // Created: the replicas (create_destination) and the jobs' report bucket; the sources are adopted.
        const created = fleetChildren
            .filter(r => r.type === "aws:s3/bucket:Bucket")
            .map(r => r.inputs.bucket)
            .sort();
        expect(created).to.deep.equal(["acme-media-assets-dr", "acme-media-thumbnails-dr", "s3-replication-reports-111111111111-us-east-1"]);
    });

    it("BatchReplicationJob: Check fills the documented defaults and keeps the external id secret", () => {
        expect(jobCheck.getFailuresList().map(f => `${f.getProperty()}: ${f.getReason()}`)).to.deep.equal([]);
        const inputs = plain(jobCheck.getInputs());
        expect(inputs).to.deep.include({ mode: "unreplicated", priority: 10, waitFor: "none", reportPrefix: "batch-replication", trigger: "2026-12" });
        expect(inputs.assumeRoleExternalId).to.deep.equal({ [specialSigKey]: specialSecretSig, value: SECRET });
        expect(JSON.stringify({ ...inputs, assumeRoleExternalId: null })).to.not.contain(SECRET);
    });

    it("the program's outputs resolve from what the plugin returned", () => {
        const outputs = Object.fromEntries(Object.entries(program.outputs).map(([k, v]) => [k, evaluate(v, new Set())]));
        expect(outputs.replicationRoles).to.be.an("array").with.length.greaterThan(0);
        expect(outputs.auditLogsArn).to.equal("arn:aws:s3:::acme-audit-logs-111111111111");
        expect(outputs.routes).to.have.length(2);
    });
});
