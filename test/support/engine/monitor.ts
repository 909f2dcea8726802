/**
 * A loopback Pulumi engine for one program run: the ResourceMonitor and Engine gRPC services the
 * language runtime connects to, built from the SDK's own generated stubs (@pulumi/pulumi/proto).
 *
 * It behaves as the real engine does where this package depends on it:
 * - RegisterResource of a custom resource returns only after its step ran (a configurable delay,
 *   per resource type class), so a program that waits for registrations before registering more
 *   shows up as serialized time; components answer at once.
 * - URNs are formed as the engine forms them (stack, project, parent type chain, type, name) and a
 *   duplicate URN fails the registration.
 * - Invokes are answered by provider fixtures; a fixture's error becomes a gRPC UNKNOWN status whose
 *   details the SDK rethrows, as the engine's Invoke error does.
 * - Every explicit provider resource is counted: under the real CLI each is its own plugin process.
 * Everything the program sends is recorded for the tests.
 */
import * as grpc from "@grpc/grpc-js";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import * as resrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import type { InvokeHandler } from "../../../cli/provider-fixtures";
import { CheckFailure, answerStep } from "./fake-aws";
import { UNKNOWN, decodeProperties, encodeProperties } from "./wire";

export interface EngineResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    /** Provider reference as sent ("<urn>::<id>"). */
    providerRef?: string;
    providerUrn?: string;
    inputs: Record<string, unknown>;
    /** Dotted input paths that arrived as secrets. */
    secretInputs: string[];
    outputs: Record<string, unknown>;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    retainOnDelete: boolean;
    protect: boolean;
    deleteBeforeReplace: boolean;
    importId?: string;
    aliases: string[];
    /** The account (allowedAccountIds) and Region of the resource, as its provider and inputs give them. */
    account?: string;
    region?: string;
    /** Milliseconds since the run started: request arrived, answer sent. */
    arrivedMs: number;
    answeredMs: number;
}

export interface EngineInvoke {
    token: string;
    args: Record<string, unknown>;
    providerRef?: string;
    error?: string;
    arrivedMs: number;
}

export interface EngineLog {
    severity: "debug" | "info" | "warning" | "error";
    message: string;
    urn?: string;
}

export interface EngineOptions {
    project: string;
    stack: string;
    preview: boolean;
    invokes: Record<string, InvokeHandler>;
    /** How long a custom resource's step takes before RegisterResource returns (ms). Default 0. */
    stepDelayMs?: number;
    /** How long a provider's step (plugin start, configure) takes (ms). Default: stepDelayMs. */
    providerDelayMs?: number;
    /**
     * Hold back the answer to the first custom resource this matches until the program has gone
     * quiet (no registration for `quietMs`): everything that does not depend on it must have been
     * sent by then, or the program waits on something it does not depend on.
     */
    hold?: { match: (type: string, name: string) => boolean; quietMs: number };
}

const SEVERITY: Record<number, EngineLog["severity"]> = {
    [engproto.LogSeverity.DEBUG]: "debug",
    [engproto.LogSeverity.INFO]: "info",
    [engproto.LogSeverity.WARNING]: "warning",
    [engproto.LogSeverity.ERROR]: "error",
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The features the engine of the pinned SDK's era reports (sdk/nodejs runtime/settings awaitFeatureSupport). */
const SUPPORTED_FEATURES = new Set([
    "secrets",
    "resourceReferences",
    "outputValues",
    "deletedWith",
    "aliasSpecs",
    "transforms",
    "invokeTransforms",
    "parameterization",
    "resourceHooks",
    "errorHooks",
]);

function grpcError(message: string, code = grpc.status.UNKNOWN): grpc.ServiceError {
    return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

function accountOfProvider(inputs: Record<string, unknown>): string | undefined {
    let ids = inputs.allowedAccountIds;
    // The SDK sends provider inputs that are not strings as JSON text.
    if (typeof ids === "string") {
        try {
            ids = JSON.parse(ids);
        } catch {
            ids = [ids];
        }
    }
    return Array.isArray(ids) && ids.length > 0 ? String(ids[0]) : undefined;
}

export class LoopbackEngine {
    readonly resources: EngineResource[] = [];
    readonly invokes: EngineInvoke[] = [];
    readonly logs: EngineLog[] = [];
    /** Outputs registered per URN (the stack's are the program's outputs). */
    readonly registeredOutputs = new Map<string, Record<string, unknown>>();
    /** Errors the engine answered RegisterResource with (a failed step). */
    readonly failedSteps: string[] = [];
    rootUrn?: string;
    /** The held resource and when its answer was released (ms since start). */
    held?: { urn: string; releasedMs: number };
    monitorAddress = "";
    private lastArrivalMs = 0;
    engineAddress = "";
    private readonly byUrn = new Map<string, EngineResource>();
    private readonly started = Date.now();
    private serial = 0;
    private readonly servers: grpc.Server[] = [];

    constructor(private readonly options: EngineOptions) {}

    private now(): number {
        return Date.now() - this.started;
    }

    async start(): Promise<void> {
        const monitor = new grpc.Server({ "grpc.max_receive_message_length": 512 * 1024 * 1024 });
        monitor.addService(resrpc.ResourceMonitorService, this.monitorImpl() as unknown as grpc.UntypedServiceImplementation);
        const engine = new grpc.Server();
        engine.addService(engrpc.EngineService, this.engineImpl() as unknown as grpc.UntypedServiceImplementation);
        this.monitorAddress = `127.0.0.1:${await bind(monitor)}`;
        this.engineAddress = `127.0.0.1:${await bind(engine)}`;
        this.servers.push(monitor, engine);
    }

    async stop(): Promise<void> {
        await Promise.all(this.servers.map(s => new Promise<void>(resolve => s.tryShutdown(() => resolve()))));
        for (const s of this.servers) s.forceShutdown();
    }

    resource(urn: string): EngineResource | undefined {
        return this.byUrn.get(urn);
    }

    /** Whether `urn` depends on `on`, through its parent, provider, dependencies or property dependencies. */
    dependsOn(urn: string, on: string): boolean {
        const seen = new Set<string>();
        const visit = (u: string): boolean => {
            if (u === on) return true;
            if (seen.has(u)) return false;
            seen.add(u);
            const r = this.byUrn.get(u);
            if (!r) return false;
            const next = [r.parent, r.providerUrn, ...r.dependencies, ...Object.values(r.propertyDependencies).flat()];
            return next.some(n => n !== undefined && visit(n));
        };
        return visit(urn);
    }

    /** The stack's outputs, as the program registered them. */
    get stackOutputs(): Record<string, unknown> {
        const stack = this.resources.find(r => r.type === "pulumi:pulumi:Stack");
        return (stack && this.registeredOutputs.get(stack.urn)) ?? {};
    }

    private urnOf(type: string, name: string, parent: string): string {
        const parentRes = parent ? this.byUrn.get(parent) : undefined;
        // The engine qualifies a type with its parent's chain, leaving out the stack itself.
        let qualified = type;
        if (parentRes && parentRes.type !== "pulumi:pulumi:Stack") {
            const parentQualified = parent.split("::")[2];
            qualified = `${parentQualified}$${type}`;
        }
        return `urn:pulumi:${this.options.stack}::${this.options.project}::${qualified}::${name}`;
    }

    private monitorImpl() {
        type Call<T> = { request: T };
        type Done<T> = (err: grpc.ServiceError | null, resp?: T) => void;
        return {
            supportsFeature: (call: Call<resproto.SupportsFeatureRequest>, cb: Done<resproto.SupportsFeatureResponse>) => {
                const resp = new resproto.SupportsFeatureResponse();
                resp.setHassupport(SUPPORTED_FEATURES.has(call.request.getId()));
                cb(null, resp);
            },
            registerResource: (call: Call<resproto.RegisterResourceRequest>, cb: Done<resproto.RegisterResourceResponse>) => {
                this.registerResource(call.request).then(
                    resp => cb(null, resp),
                    (e: Error) => cb(grpcError(e.message)),
                );
            },
            registerResourceOutputs: (call: Call<resproto.RegisterResourceOutputsRequest>, cb: Done<emptyproto.Empty>) => {
                const outs = decodeProperties(call.request.getOutputs()?.toJavaScript() as Record<string, unknown>);
                this.registeredOutputs.set(call.request.getUrn(), outs.value as Record<string, unknown>);
                cb(null, new emptyproto.Empty());
            },
            invoke: (call: Call<resproto.ResourceInvokeRequest>, cb: Done<provproto.InvokeResponse>) => {
                this.invoke(call.request).then(
                    resp => cb(null, resp),
                    (e: Error & { details?: string }) => cb(grpcError(e.details ?? e.message)),
                );
            },
            readResource: (_call: unknown, cb: Done<never>) =>
                cb(grpcError("ReadResource is not used by this package; the loopback engine does not answer it", grpc.status.UNIMPLEMENTED)),
            call: (_call: unknown, cb: Done<never>) => cb(grpcError("Call is not used by this package", grpc.status.UNIMPLEMENTED)),
            registerStackTransform: (_call: unknown, cb: Done<emptyproto.Empty>) => cb(null, new emptyproto.Empty()),
            registerStackInvokeTransform: (_call: unknown, cb: Done<emptyproto.Empty>) => cb(null, new emptyproto.Empty()),
            registerResourceHook: (_call: unknown, cb: Done<emptyproto.Empty>) => cb(null, new emptyproto.Empty()),
            registerErrorHook: (_call: unknown, cb: Done<emptyproto.Empty>) => cb(null, new emptyproto.Empty()),
            registerPackage: (_call: unknown, cb: Done<never>) => cb(grpcError("RegisterPackage is not used by this package", grpc.status.UNIMPLEMENTED)),
            signalAndWaitForShutdown: (_call: unknown, cb: Done<emptyproto.Empty>) => cb(null, new emptyproto.Empty()),
            getDeploymentInfo: (_call: unknown, cb: Done<never>) =>
                cb(grpcError("GetDeploymentInfo is not answered by the loopback engine", grpc.status.UNIMPLEMENTED)),
        };
    }

    private engineImpl() {
        type Call<T> = { request: T };
        type Done<T> = (err: grpc.ServiceError | null, resp?: T) => void;
        return {
            log: (call: Call<engproto.LogRequest>, cb: Done<emptyproto.Empty>) => {
                const r = call.request;
                this.logs.push({ severity: SEVERITY[r.getSeverity()] ?? "info", message: r.getMessage(), ...(r.getUrn() ? { urn: r.getUrn() } : {}) });
                cb(null, new emptyproto.Empty());
            },
            getRootResource: (_call: unknown, cb: Done<engproto.GetRootResourceResponse>) => {
                const resp = new engproto.GetRootResourceResponse();
                resp.setUrn(this.rootUrn ?? "");
                cb(null, resp);
            },
            setRootResource: (call: Call<engproto.SetRootResourceRequest>, cb: Done<engproto.SetRootResourceResponse>) => {
                this.rootUrn = call.request.getUrn();
                cb(null, new engproto.SetRootResourceResponse());
            },
            startDebugging: (_call: unknown, cb: Done<emptyproto.Empty>) => cb(null, new emptyproto.Empty()),
            requirePulumiVersion: (_call: unknown, cb: Done<emptyproto.Empty>) => cb(null, new emptyproto.Empty()),
        };
    }

    private async registerResource(req: resproto.RegisterResourceRequest): Promise<resproto.RegisterResourceResponse> {
        const arrivedMs = this.now();
        this.lastArrivalMs = arrivedMs;
        const type = req.getType();
        const name = req.getName();
        const parent = req.getParent();
        const custom = req.getCustom();
        const urn = this.urnOf(type, name, parent);
        if (this.byUrn.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
        const decoded = decodeProperties(req.getObject()?.toJavaScript() as Record<string, unknown>);
        const inputs = decoded.value as Record<string, unknown>;
        const providerRef = req.getProvider() || undefined;
        const providerUrn = providerRef ? providerRef.slice(0, providerRef.lastIndexOf("::")) : undefined;
        const provider = providerUrn ? this.byUrn.get(providerUrn) : undefined;
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
        const isProvider = type.startsWith("pulumi:providers:");
        const account = isProvider ? accountOfProvider(inputs) : provider?.account;
        const providerRegion = isProvider ? (typeof inputs.region === "string" ? inputs.region : undefined) : provider?.region;
        const region = typeof inputs.region === "string" ? inputs.region : type.startsWith("aws:iam/") ? "global" : providerRegion;
        const record: EngineResource = {
            urn,
            type,
            name,
            custom,
            ...(parent ? { parent } : {}),
            ...(providerRef ? { providerRef, providerUrn } : {}),
            inputs,
            secretInputs: decoded.secrets,
            outputs: {},
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            retainOnDelete: req.getRetainondelete() === true,
            protect: req.getProtect() === true,
            deleteBeforeReplace: req.getDeletebeforereplace(),
            ...(req.getImportid() ? { importId: req.getImportid() } : {}),
            aliases: req.getAliasesList().map(a => a.getUrn() || a.getSpec()?.getName() || ""),
            ...(account ? { account } : {}),
            ...(region ? { region } : {}),
            arrivedMs,
            answeredMs: arrivedMs,
        };
        this.byUrn.set(urn, record);
        this.resources.push(record);

        const resp = new resproto.RegisterResourceResponse();
        resp.setUrn(urn);
        if (custom) {
            const delay = isProvider ? (this.options.providerDelayMs ?? this.options.stepDelayMs ?? 0) : (this.options.stepDelayMs ?? 0);
            if (delay > 0) await sleep(delay);
            const hold = this.options.hold;
            if (hold && !this.held && !isProvider && hold.match(type, name)) {
                this.held = { urn, releasedMs: -1 };
                while (this.now() - this.lastArrivalMs < hold.quietMs) await sleep(100);
                this.held.releasedMs = this.now();
            }
            let answer;
            try {
                answer = answerStep({
                    type,
                    name,
                    inputs,
                    preview: this.options.preview,
                    ...(account ? { account } : {}),
                    ...(providerRegion ? { providerRegion } : {}),
                    serial: ++this.serial,
                });
            } catch (e) {
                if (e instanceof CheckFailure) this.failedSteps.push(e.message);
                throw e;
            }
            record.outputs = answer.outputs;
            resp.setId(answer.id === UNKNOWN ? "" : answer.id);
            // Secret inputs stay secret in the outputs, as the engine keeps them.
            resp.setObject(
                structproto.Struct.fromJavaScript(encodeProperties(answer.outputs, new Set(decoded.secrets)) as Record<string, structproto.JavaScriptValue>),
            );
        } else {
            resp.setObject(structproto.Struct.fromJavaScript({}));
        }
        record.answeredMs = this.now();
        return resp;
    }

    private async invoke(req: resproto.ResourceInvokeRequest): Promise<provproto.InvokeResponse> {
        const token = req.getTok();
        const args = decodeProperties(req.getArgs()?.toJavaScript() as Record<string, unknown>).value as Record<string, unknown>;
        const entry: EngineInvoke = { token, args, ...(req.getProvider() ? { providerRef: req.getProvider() } : {}), arrivedMs: this.now() };
        this.invokes.push(entry);
        const handler = this.options.invokes[token];
        if (!handler) {
            entry.error = `no fixture answers ${token}`;
            throw Object.assign(new Error(entry.error), { details: `invocation of ${token} returned an error: the loopback engine has no fixture for it` });
        }
        try {
            const result = await handler(args);
            const resp = new provproto.InvokeResponse();
            resp.setReturn(structproto.Struct.fromJavaScript(encodeProperties(result) as Record<string, structproto.JavaScriptValue>));
            return resp;
        } catch (e) {
            entry.error = (e as Error).message;
            throw e;
        }
    }
}

function bind(server: grpc.Server): Promise<number> {
    return new Promise((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
}
