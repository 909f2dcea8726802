/**
 * This package as the Pulumi CLI runs it as a plugin, and a client that talks to it as the engine does.
 *
 * The nodejs language host's RunPlugin (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go)
 * resolves `@pulumi/pulumi/cmd/run-plugin` from the plugin directory (`locateModule`) and runs
 *   node <run-plugin> <program directory> <args...>
 * in the request's working directory, `args` being the engine's address for a resource plugin
 * (PULUMI_NODEJS_TYPESCRIPT=true only when PulumiPlugin.yaml's runtime.options.typescript is). The
 * plugin prints its port on stdout. The client is built from the SDK's generated stubs.
 */
import * as grpc from "@grpc/grpc-js";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { parse as parseYaml } from "yaml";
import { OFFLINE_INVOKES, S3_SDK_CALL } from "../../cli/provider-fixtures";
import { S3SettingsFake } from "../fakes/s3-settings-fake";

export interface PluginProcess {
    child: ChildProcess;
    port: number;
    client: provrpc.ResourceProviderClient;
    stderr: () => string;
    /** Milliseconds from spawn to the port on stdout. */
    startMs: number;
    stop(): Promise<void>;
}

/** Start the plugin in `pluginDir` (a directory with PulumiPlugin.yaml) as the language host would. */
export async function startPlugin(pluginDir: string, engineAddress: string, env: NodeJS.ProcessEnv = {}): Promise<PluginProcess> {
    const manifest = parseYaml(fs.readFileSync(path.join(pluginDir, "PulumiPlugin.yaml"), "utf8")) as {
        runtime: { name: string; options?: { typescript?: boolean } };
    };
    if (manifest.runtime.name !== "nodejs") throw new Error(`${pluginDir}: runtime ${manifest.runtime.name}, not nodejs`);
    const runPath = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [pluginDir] });
    // A fleet constructed in the plugin reads adopted buckets' settings with the AWS SDK: a loopback
    // S3/STS answering from the offline world, unless the test points the plugin elsewhere.
    const aws = new S3SettingsFake(OFFLINE_INVOKES[S3_SDK_CALL]);
    const awsUrl = await aws.start();
    const childEnv: NodeJS.ProcessEnv = {
        ...process.env,
        AWS_ENDPOINT_URL_S3: awsUrl,
        AWS_ENDPOINT_URL_STS: awsUrl,
        AWS_ACCESS_KEY_ID: "AKIAFAKEDEPLOYER",
        AWS_SECRET_ACCESS_KEY: "fake",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        ...env,
    };
    // Nothing of the test process's own loaders may leak into the plugin.
    for (const k of ["NODE_OPTIONS", "TS_NODE_PROJECT", "TS_NODE_TRANSPILE_ONLY", "TS_NODE_FILES"]) delete childEnv[k];
    if (manifest.runtime.options?.typescript !== false) childEnv.PULUMI_NODEJS_TYPESCRIPT = "true";
    const started = Date.now();
    const child = spawn(process.execPath, [runPath, pluginDir, engineAddress], { cwd: pluginDir, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
    });
    const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`the plugin printed no port in 30 s\n${stderr}`)), 30_000);
        child.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            const line = out.split("\n")[0];
            if (out.includes("\n") && /^\d+$/.test(line.trim())) {
                clearTimeout(timer);
                resolve(Number(line.trim()));
            }
        });
        child.on("exit", code => {
            clearTimeout(timer);
            reject(new Error(`the plugin exited with ${code} before printing its port\n${stderr}`));
        });
    }).catch(async (e: unknown) => {
        await aws.stop();
        throw e;
    });
    const startMs = Date.now() - started;
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
    return {
        child,
        port,
        client,
        startMs,
        stderr: () => stderr,
        async stop() {
            client.close();
            await aws.stop();
            if (child.exitCode === null) {
                const exited = new Promise(resolve => child.once("exit", resolve));
                child.kill("SIGTERM");
                await exited;
            }
        },
    };
}

type Unary<Req, Resp> = (req: Req, callback: (err: grpc.ServiceError | null, resp?: Resp) => void) => unknown;

/** A unary call of the client, as a promise. */
export function call<Req, Resp>(client: provrpc.ResourceProviderClient, method: Unary<Req, Resp>, req: Req): Promise<Resp> {
    return new Promise((resolve, reject) => {
        method.call(client, req, (err, resp) => (err ? reject(err) : resolve(resp as Resp)));
    });
}

export function struct(value: Record<string, unknown>): structproto.Struct {
    return structproto.Struct.fromJavaScript(value as Record<string, structproto.JavaScriptValue>);
}

export function plain(s: structproto.Struct | undefined): Record<string, unknown> {
    return (s?.toJavaScript() ?? {}) as Record<string, unknown>;
}

/** The schema the plugin serves. */
export async function getSchema(plugin: PluginProcess): Promise<{
    name: string;
    version: string;
    resources: Record<string, SchemaResource>;
    types: Record<string, unknown>;
    dependencies?: Array<{ name: string; version: string }>;
}> {
    const resp = await call<provproto.GetSchemaRequest, provproto.GetSchemaResponse>(plugin.client, plugin.client.getSchema, new provproto.GetSchemaRequest());
    return JSON.parse(resp.getSchema()) as Awaited<ReturnType<typeof getSchema>>;
}

export interface SchemaProperty {
    type?: string;
    $ref?: string;
    description?: string;
    secret?: boolean;
    items?: SchemaProperty;
    additionalProperties?: SchemaProperty;
}

export interface SchemaResource {
    isComponent?: boolean;
    description?: string;
    inputProperties?: Record<string, SchemaProperty>;
    requiredInputs?: string[];
    properties?: Record<string, SchemaProperty>;
    required?: string[];
}

/** Configure, as the engine does before it asks a provider for anything else. */
export async function configure(plugin: PluginProcess): Promise<provproto.ConfigureResponse> {
    const req = new provproto.ConfigureRequest();
    req.setArgs(struct({}));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    return call<provproto.ConfigureRequest, provproto.ConfigureResponse>(plugin.client, plugin.client.configure, req);
}

export interface ConstructCall {
    project: string;
    stack: string;
    monitorAddress: string;
    type: string;
    name: string;
    parent?: string;
    inputs: Record<string, unknown>;
    /** Input name -> URNs it depends on. */
    inputDependencies?: Record<string, string[]>;
    config?: Record<string, string>;
    dryRun: boolean;
}

/** Construct a component through the plugin; its children go to the monitor at `monitorAddress`. */
export async function construct(plugin: PluginProcess, c: ConstructCall): Promise<{ urn: string; state: Record<string, unknown> }> {
    const req = new provproto.ConstructRequest();
    req.setProject(c.project);
    req.setStack(c.stack);
    req.setDryrun(c.dryRun);
    req.setParallel(16);
    req.setMonitorendpoint(c.monitorAddress);
    req.setType(c.type);
    req.setName(c.name);
    if (c.parent) req.setParent(c.parent);
    req.setInputs(struct(c.inputs));
    req.setAcceptsOutputValues(true);
    const deps = req.getInputdependenciesMap();
    for (const [key, urns] of Object.entries(c.inputDependencies ?? {})) {
        const d = new provproto.ConstructRequest.PropertyDependencies();
        d.setUrnsList(urns);
        deps.set(key, d);
    }
    const config = req.getConfigMap();
    for (const [k, v] of Object.entries(c.config ?? {})) config.set(k, v);
    const resp = await call<provproto.ConstructRequest, provproto.ConstructResponse>(plugin.client, plugin.client.construct, req);
    return { urn: resp.getUrn(), state: plain(resp.getState()) };
}

export { emptyproto, provproto };
