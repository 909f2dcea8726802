/**
 * End to end through the real @pulumi/policy analyzer server, started the way the nodejs language
 * host starts a policy pack (pulumi-language-nodejs RunPlugin, kind analyzer): `node
 * <@pulumi/pulumi/cmd/run-policy-pack> <engine address> <pack directory>` with the pack directory
 * as cwd. run-policy-pack then registers ts-node with type checking and the pack's tsconfig.json
 * merged over its defaults, and requires the directory (package.json `main`). The same requests go
 * to the pack as this repository runs it and to the pack as `pulumi policy publish` ships it
 * (`npm pack`, unpacked alone, `npm install` as `pulumi policy enable` does).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { packArgs } from "../policy-packs/replication-guard/policies";
import { unknown } from "./support/policy-harness";

const PACK_DIR = path.join(__dirname, "..", "policy-packs", "replication-guard");

type Callback<Res> = (e: grpc.ServiceError | null, res: Res) => void;

function call<Res>(invoke: (cb: Callback<Res>) => unknown): Promise<Res> {
    return new Promise((resolve, reject) => invoke((e, res) => (e ? reject(e) : resolve(res))));
}

function options(): analyzerpb.AnalyzerResourceOptions {
    return new analyzerpb.AnalyzerResourceOptions().setCustomtimeouts(new analyzerpb.AnalyzerResourceOptions.CustomTimeouts());
}

function analyzeRequest(type: string, name: string, props: Record<string, unknown>): analyzerpb.AnalyzeRequest {
    return new analyzerpb.AnalyzeRequest()
        .setType(type)
        .setName(name)
        .setUrn(`urn:pulumi:dev::test::${type}::${name}`)
        .setProperties(Struct.fromJavaScript(props as never))
        .setOptions(options());
}

/** The environment the engine gives a plugin: ours, without what only this test process uses. */
function pluginEnv(): NodeJS.ProcessEnv {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k === "NODE_OPTIONS" || k.startsWith("TS_NODE_")) delete env[k];
    return env;
}

/**
 * Start a pack as the language host does and read the port it prints. `runPolicyPack` is the
 * module the host locates from the pack directory (its own node_modules, or an enclosing one).
 */
async function startPack(packDir: string): Promise<{ child: ChildProcess; port: string }> {
    const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
    const child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:0", packDir], { cwd: packDir, env: pluginEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", d => {
        stderr += String(d);
    });
    let stdout = "";
    const port = await new Promise<string>((resolve, reject) => {
        child.stdout!.on("data", d => {
            stdout += String(d);
            const line = /^(\d+)\s*$/m.exec(stdout);
            if (line) resolve(line[1]);
        });
        child.once("exit", code => reject(new Error(`the pack exited (${code}) before serving:\n${stdout}${stderr}`)));
    });
    return { child, port };
}

/** What `pulumi policy publish` uploads and `pulumi policy enable` installs: the tarball, unpacked alone, `npm install`ed. */
function publishAndInstall(): string {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "replication-guard-"));
    const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const tarball = npm(["pack", "--pack-destination", tmp, "--loglevel=error"], PACK_DIR).trim().split("\n").pop()!;
    // pulumi policy enable: extract, then `npm install --loglevel=error` in the pack (httpstate/policypack.go,
    // sdk/nodejs/npm/npm.go). --offline: the shrinkwrapped tree is a subset of what npm ci cached.
    execFileSync("tar", ["xzf", path.join(tmp, tarball), "-C", tmp]);
    const dir = path.join(tmp, "package");
    publishedFiles = (fs.readdirSync(dir, { recursive: true }) as string[]).filter(f => fs.statSync(path.join(dir, f)).isFile()).sort();
    npm(["install", "--loglevel=error", "--offline", "--no-audit", "--no-fund"], dir);
    return dir;
}

/** The files of the published tarball, once publishAndInstall has unpacked it. */
let publishedFiles: string[] = [];

const HOSTS: Array<{ name: string; dir: () => string }> = [
    { name: "as this repository runs it (TypeScript sources, ts-node with the pack's tsconfig.json)", dir: () => PACK_DIR },
    { name: "as published (npm pack, unpacked alone in an empty folder, npm install)", dir: publishAndInstall },
];

for (const host of HOSTS)
    describe(`policy pack through the real analyzer server (gRPC), ${host.name}`, function () {
        this.timeout(30000);
        let child: ChildProcess;
        let client: analyzerrpc.AnalyzerClient;
        let packDir: string;

        before(async function () {
            this.timeout(180000);
            packDir = host.dir();
            const started = await startPack(packDir);
            child = started.child;
            expect(started.port).to.match(/^\d+$/);
            client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure());
        });

        after(() => {
            client?.close();
            if (child && child.exitCode === null) child.kill();
            if (packDir && packDir !== PACK_DIR) fs.rmSync(path.dirname(packDir), { recursive: true, force: true });
        });

        if (host.dir === publishAndInstall)
            it("ships JavaScript only: the compiled pack and model, no TypeScript, no tsconfig.json, a shrinkwrap", () => {
                expect(publishedFiles).to.include.members([
                    "PulumiPolicy.yaml",
                    "index.js",
                    "npm-shrinkwrap.json",
                    "package.json",
                    path.join("dist", "policy-packs", "replication-guard", "index.js"),
                    path.join("dist", "components", "model", "replication-config.js"),
                ]);
                expect(publishedFiles.filter(f => /\.ts$|tsconfig|build\.js$/.test(f))).to.deep.equal([]);
                expect(publishedFiles.filter(f => f.startsWith("dist") && !f.endsWith(".js"))).to.deep.equal([]);
                // The checkout is left as it was: postpack removed what prepack built.
                expect(fs.existsSync(path.join(PACK_DIR, "dist"))).to.equal(false);
                expect(fs.existsSync(path.join(PACK_DIR, "npm-shrinkwrap.json"))).to.equal(false);
            });

        const configure = (config: Record<string, { level: analyzerpb.EnforcementLevel; props?: Record<string, unknown> }>) => {
            const req = new analyzerpb.ConfigureAnalyzerRequest();
            for (const [name, c] of Object.entries(config)) {
                req.getPolicyconfigMap().set(
                    name,
                    new analyzerpb.PolicyConfig().setEnforcementlevel(c.level).setProperties(Struct.fromJavaScript((c.props ?? {}) as never)),
                );
            }
            return call<Empty>(cb => client.configure(req, cb));
        };

        it("describes the pack: name, version, every policy with its level, severity and config schema", async () => {
            const info = await call<analyzerpb.AnalyzerInfo>(cb => client.getAnalyzerInfo(new Empty(), cb));
            expect(info.getName()).to.equal("replication-guard");
            expect(info.getVersion()).to.equal("0.1.0");
            expect(info.getSupportsconfig()).to.equal(true);
            const policies = info.getPoliciesList();
            expect(policies.map(p => p.getName())).to.deep.equal(packArgs.policies.map(p => p.name));
            const enc = policies.find(p => p.getName() === "s3-bucket-encryption")!;
            expect(enc.getEnforcementlevel()).to.equal(analyzerpb.EnforcementLevel.MANDATORY);
            expect(enc.getSeverity()).to.equal(analyzerpb.PolicySeverity.POLICY_SEVERITY_HIGH);
            expect(Object.keys(enc.getConfigschema()!.getProperties()!.toJavaScript()).sort()).to.deep.equal([
                "allowedKmsKeyArns",
                "requireBucketKey",
                "requireKms",
            ]);
            const stack = policies.find(p => p.getName() === "s3-replicated-buckets-hardened")!;
            expect(stack.getPolicyType()).to.equal(analyzerpb.PolicyType.POLICY_TYPE_STACK);
        });

        it("analyzes a resource: Suspended versioning is a mandatory violation, with the bucket unknown as in preview", async () => {
            await configure({});
            const res = await call<analyzerpb.AnalyzeResponse>(cb =>
                client.analyze(
                    analyzeRequest("aws:s3/bucketVersioning:BucketVersioning", "v", {
                        bucket: unknown.string,
                        versioningConfiguration: { status: "Suspended" },
                    }),
                    cb,
                ),
            );
            const ds = res.getDiagnosticsList();
            expect(ds.map(d => [d.getPolicyname(), d.getEnforcementlevel()])).to.deep.equal([["s3-versioning-enabled", analyzerpb.EnforcementLevel.MANDATORY]]);
            expect(ds[0].getMessage()).to.contain('"Suspended"');
        });

        it("passes a compliant resource: Enabled versioning and a well-formed replication configuration draw no diagnostics", async () => {
            await configure({});
            const v = await call<analyzerpb.AnalyzeResponse>(cb =>
                client.analyze(
                    analyzeRequest("aws:s3/bucketVersioning:BucketVersioning", "v", { bucket: "b", versioningConfiguration: { status: "Enabled" } }),
                    cb,
                ),
            );
            expect(v.getDiagnosticsList().map(d => d.getPolicyname())).to.deep.equal([]);
            const rule = (id: string) => ({
                id,
                priority: 1,
                status: "Enabled",
                filter: { prefix: id },
                deleteMarkerReplication: { status: "Disabled" },
                destination: { bucket: "arn:aws:s3:::dst", metrics: { status: "Enabled" } },
            });
            const ok = await call<analyzerpb.AnalyzeResponse>(cb =>
                client.analyze(
                    analyzeRequest("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "r", {
                        bucket: "src",
                        role: "arn:aws:iam::111111111111:role/r",
                        rules: [rule("a")],
                    }),
                    cb,
                ),
            );
            expect(ok.getDiagnosticsList().map(d => `${d.getPolicyname()}: ${d.getMessage()}`)).to.deep.equal([]);
        });

        it("checks a replication configuration with the shared model: two rules with one priority are refused", async () => {
            await configure({});
            const rule = (id: string) => ({
                id,
                priority: 1,
                status: "Enabled",
                filter: { prefix: id },
                deleteMarkerReplication: { status: "Disabled" },
                destination: { bucket: "arn:aws:s3:::dst", metrics: { status: "Enabled" } },
            });
            const res = await call<analyzerpb.AnalyzeResponse>(cb =>
                client.analyze(
                    analyzeRequest("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "r", {
                        bucket: "src",
                        role: "arn:aws:iam::111111111111:role/r",
                        rules: [rule("a"), rule("b")],
                    }),
                    cb,
                ),
            );
            const ds = res.getDiagnosticsList().filter(d => d.getPolicyname() === "s3-replication-config-well-formed");
            expect(ds.map(d => d.getEnforcementlevel())).to.deep.equal([analyzerpb.EnforcementLevel.MANDATORY]);
            expect(ds[0].getMessage()).to.match(/priorit/i);
        });

        it("applies --policy-pack-config: a level and a policy option", async () => {
            await configure({
                "s3-versioning-enabled": { level: analyzerpb.EnforcementLevel.ADVISORY },
                "s3-bucket-encryption": { level: analyzerpb.EnforcementLevel.MANDATORY, props: { requireKms: true } },
            });
            const v = await call<analyzerpb.AnalyzeResponse>(cb =>
                client.analyze(
                    analyzeRequest("aws:s3/bucketVersioning:BucketVersioning", "v", { bucket: "b", versioningConfiguration: { status: "Suspended" } }),
                    cb,
                ),
            );
            expect(v.getDiagnosticsList().map(d => d.getEnforcementlevel())).to.deep.equal([analyzerpb.EnforcementLevel.ADVISORY]);
            const e = await call<analyzerpb.AnalyzeResponse>(cb =>
                client.analyze(
                    analyzeRequest("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "e", {
                        bucket: "b",
                        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
                    }),
                    cb,
                ),
            );
            expect(e.getDiagnosticsList().map(d => d.getPolicyname())).to.deep.equal(["s3-bucket-encryption"]);
            await configure({});
        });

        it("remediates at level remediate: the public access block comes back with all four flags", async () => {
            await configure({ "s3-public-access-block": { level: analyzerpb.EnforcementLevel.REMEDIATE } });
            const res = await call<analyzerpb.RemediateResponse>(cb =>
                client.remediate(
                    analyzeRequest("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "p", {
                        bucket: unknown.string,
                        blockPublicAcls: true,
                        blockPublicPolicy: false,
                    }),
                    cb,
                ),
            );
            const rs = res.getRemediationsList();
            expect(rs.map(r => r.getPolicyname())).to.deep.equal(["s3-public-access-block"]);
            expect(rs[0].getProperties()!.toJavaScript()).to.deep.equal({
                bucket: unknown.string,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            await configure({});
        });

        it("analyzes the stack: a replicated bucket without settings, joined through property dependencies", async () => {
            await configure({});
            const bucketUrn = "urn:pulumi:dev::test::aws:s3/bucket:Bucket::src";
            const bucket = new analyzerpb.AnalyzerResource()
                .setType("aws:s3/bucket:Bucket")
                .setName("src")
                .setUrn(bucketUrn)
                .setProperties(Struct.fromJavaScript({ bucket: unknown.string } as never))
                .setOptions(options());
            const replication = new analyzerpb.AnalyzerResource()
                .setType("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
                .setName("rep")
                .setUrn("urn:pulumi:dev::test::aws:s3/bucketReplicationConfig:BucketReplicationConfig::rep")
                .setProperties(
                    Struct.fromJavaScript({
                        bucket: unknown.string,
                        role: unknown.string,
                        rules: [
                            {
                                id: "r",
                                priority: 1,
                                status: "Enabled",
                                filter: {},
                                deleteMarkerReplication: { status: "Disabled" },
                                destination: { bucket: "arn:aws:s3:::elsewhere" },
                            },
                        ],
                    } as never),
                )
                .setOptions(options())
                .setDependenciesList([bucketUrn]);
            replication.getPropertydependenciesMap().set("bucket", new analyzerpb.AnalyzerPropertyDependencies().setUrnsList([bucketUrn]));
            const res = await call<analyzerpb.AnalyzeResponse>(cb =>
                client.analyzeStack(new analyzerpb.AnalyzeStackRequest().setResourcesList([bucket, replication]), cb),
            );
            const hardened = res.getDiagnosticsList().filter(d => d.getPolicyname() === "s3-replicated-buckets-hardened");
            expect(hardened.map(d => d.getUrn())).to.deep.equal([bucketUrn, bucketUrn, bucketUrn, bucketUrn]);
            expect(res.getDiagnosticsList().filter(d => /can't run/.test(d.getMessage()))).to.deep.equal([]);
        });
    });
