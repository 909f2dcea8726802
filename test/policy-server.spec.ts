/**
 * End to end through the real @pulumi/policy analyzer server: the pack's index.ts is started as
 * the Pulumi CLI starts it (cwd = the pack, it prints its gRPC port) and spoken to over gRPC
 * with the engine's own messages. This checks what the in-process harness only mirrors.
 */
import { ChildProcess, spawn } from "child_process";
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
        .setType(type).setName(name).setUrn(`urn:pulumi:dev::test::${type}::${name}`)
        .setProperties(Struct.fromJavaScript(props as never)).setOptions(options());
}

describe("policy pack through the real analyzer server (gRPC)", function () {
    this.timeout(30000);
    let child: ChildProcess;
    let client: analyzerrpc.AnalyzerClient;

    before(async () => {
        child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", d => { stderr += String(d); });
        const port = await new Promise<string>((resolve, reject) => {
            child.stdout!.once("data", d => resolve(String(d).trim()));
            child.once("exit", code => reject(new Error(`the pack exited (${code}) before serving: ${stderr}`)));
        });
        expect(port).to.match(/^\d+$/);
        client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        if (child && child.exitCode === null) child.kill();
    });

    const configure = (config: Record<string, { level: analyzerpb.EnforcementLevel; props?: Record<string, unknown> }>) => {
        const req = new analyzerpb.ConfigureAnalyzerRequest();
        for (const [name, c] of Object.entries(config)) {
            req.getPolicyconfigMap().set(name, new analyzerpb.PolicyConfig().setEnforcementlevel(c.level).setProperties(Struct.fromJavaScript((c.props ?? {}) as never)));
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
        expect(Object.keys(enc.getConfigschema()!.getProperties()!.toJavaScript()).sort()).to.deep.equal(["allowedKmsKeyArns", "requireBucketKey", "requireKms"]);
        const stack = policies.find(p => p.getName() === "s3-replicated-buckets-hardened")!;
        expect(stack.getPolicyType()).to.equal(analyzerpb.PolicyType.POLICY_TYPE_STACK);
    });

    it("analyzes a resource: Suspended versioning is a mandatory violation, with the bucket unknown as in preview", async () => {
        await configure({});
        const res = await call<analyzerpb.AnalyzeResponse>(cb => client.analyze(analyzeRequest("aws:s3/bucketVersioning:BucketVersioning", "v", { bucket: unknown.string, versioningConfiguration: { status: "Suspended" } }), cb));
        const ds = res.getDiagnosticsList();
        expect(ds.map(d => [d.getPolicyname(), d.getEnforcementlevel()])).to.deep.equal([["s3-versioning-enabled", analyzerpb.EnforcementLevel.MANDATORY]]);
        expect(ds[0].getMessage()).to.contain("\"Suspended\"");
    });

    it("applies --policy-pack-config: a level and a policy option", async () => {
        await configure({
            "s3-versioning-enabled": { level: analyzerpb.EnforcementLevel.ADVISORY },
            "s3-bucket-encryption": { level: analyzerpb.EnforcementLevel.MANDATORY, props: { requireKms: true } },
        });
        const v = await call<analyzerpb.AnalyzeResponse>(cb => client.analyze(analyzeRequest("aws:s3/bucketVersioning:BucketVersioning", "v", { bucket: "b", versioningConfiguration: { status: "Suspended" } }), cb));
        expect(v.getDiagnosticsList().map(d => d.getEnforcementlevel())).to.deep.equal([analyzerpb.EnforcementLevel.ADVISORY]);
        const e = await call<analyzerpb.AnalyzeResponse>(cb => client.analyze(analyzeRequest("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "e", { bucket: "b", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }), cb));
        expect(e.getDiagnosticsList().map(d => d.getPolicyname())).to.deep.equal(["s3-bucket-encryption"]);
        await configure({});
    });

    it("remediates at level remediate: the public access block comes back with all four flags", async () => {
        await configure({ "s3-public-access-block": { level: analyzerpb.EnforcementLevel.REMEDIATE } });
        const res = await call<analyzerpb.RemediateResponse>(cb => client.remediate(analyzeRequest("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "p", { bucket: unknown.string, blockPublicAcls: true, blockPublicPolicy: false }), cb));
        const rs = res.getRemediationsList();
        expect(rs.map(r => r.getPolicyname())).to.deep.equal(["s3-public-access-block"]);
        expect(rs[0].getProperties()!.toJavaScript()).to.deep.equal({
            bucket: unknown.string, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
        });
        await configure({});
    });

    it("analyzes the stack: a replicated bucket without settings, joined through property dependencies", async () => {
        await configure({});
        const bucketUrn = "urn:pulumi:dev::test::aws:s3/bucket:Bucket::src";
        const bucket = new analyzerpb.AnalyzerResource().setType("aws:s3/bucket:Bucket").setName("src").setUrn(bucketUrn)
            .setProperties(Struct.fromJavaScript({ bucket: unknown.string } as never)).setOptions(options());
        const replication = new analyzerpb.AnalyzerResource().setType("aws:s3/bucketReplicationConfig:BucketReplicationConfig").setName("rep")
            .setUrn("urn:pulumi:dev::test::aws:s3/bucketReplicationConfig:BucketReplicationConfig::rep")
            .setProperties(Struct.fromJavaScript({ bucket: unknown.string, role: unknown.string, rules: [{ id: "r", priority: 1, status: "Enabled", filter: {}, deleteMarkerReplication: { status: "Disabled" }, destination: { bucket: "arn:aws:s3:::elsewhere" } }] } as never))
            .setOptions(options()).setDependenciesList([bucketUrn]);
        replication.getPropertydependenciesMap().set("bucket", new analyzerpb.AnalyzerPropertyDependencies().setUrnsList([bucketUrn]));
        const res = await call<analyzerpb.AnalyzeResponse>(cb => client.analyzeStack(new analyzerpb.AnalyzeStackRequest().setResourcesList([bucket, replication]), cb));
        const hardened = res.getDiagnosticsList().filter(d => d.getPolicyname() === "s3-replicated-buckets-hardened");
        expect(hardened.map(d => d.getUrn())).to.deep.equal([bucketUrn, bucketUrn, bucketUrn, bucketUrn]);
        expect(res.getDiagnosticsList().filter(d => /can't run/.test(d.getMessage()))).to.deep.equal([]);
    });
});
