/**
 * Running a Pulumi program offline under the SDK's mock runtime, recording every resource it
 * registers (type, name, parent, provider -> account and Region, inputs, dependencies, resource
 * options). Used by `plan` and by the tests. The mock boundary is the one place with `any`.
 */
import * as pulumi from "@pulumi/pulumi";
import { createRequire } from "module";
import { RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb";
import type * as structProto from "google-protobuf/google/protobuf/struct_pb";

/** The SDK's own copy of protobuf's Struct (the one its messages are built with). */
const { Struct } = createRequire(require.resolve("@pulumi/pulumi"))("google-protobuf/google/protobuf/struct_pb") as typeof structProto;

export interface RecordedProvider {
    urn: string;
    type: string;
    inputs: Record<string, unknown>;
}

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    /** Parent URN, absent for top-level resources. */
    parent?: string;
    provider?: RecordedProvider;
    /** From the provider's allowedAccountIds (the account it is pinned to). */
    account?: string;
    region?: string;
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    /** URNs this resource depends on (dependsOn and input dependencies). */
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    retainOnDelete: boolean;
    protect: boolean;
    importId?: string;
}

export interface RecordedInvoke {
    token: string;
    inputs: Record<string, unknown>;
    provider?: string;
}

export type { InvokeHandler } from "./provider-fixtures";
import { S3_SDK_CALL, type InvokeHandler } from "./provider-fixtures";
import { sdkBucketSettingsSource, setBucketSettingsSource } from "../components/bucket-settings";

/** Placeholder for values only AWS assigns (ids of resources that do not exist yet). */
export const PLACEHOLDER_PREFIX = "(known after deploy)";

/** Mocks that record everything; an invoke without a handler throws instead of returning junk. */
export class MockRecorder implements pulumi.runtime.Mocks {
    readonly resources: RecordedResource[] = [];
    readonly invokes: RecordedInvoke[] = [];
    /** Invokes nobody mocked; the SDK loses the error's text on the way back, so keep it here. */
    readonly unmocked: string[] = [];
    private readonly providerInputs = new Map<string, RecordedProvider>();

    constructor(private readonly invokeHandlers: Record<string, InvokeHandler> = {}) {}

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> | Promise<Record<string, unknown>> {
        this.invokes.push({ token: args.token, inputs: args.inputs, ...(args.provider ? { provider: args.provider } : {}) });
        const handler = this.invokeHandlers[args.token];
        if (!handler) {
            const message = `unmocked invoke ${args.token} (${JSON.stringify(args.inputs)}): give the recorder a handler for it`;
            this.unmocked.push(message);
            throw new Error(message);
        }
        return handler(args.inputs);
    }

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        const provider = args.provider ? this.providerFromRef(args.provider) : undefined;
        const account = provider ? accountOf(provider.inputs) : undefined;
        const state: Record<string, unknown> = { ...inputs };
        let id: string | undefined = `${PLACEHOLDER_PREFIX} ${args.name}`;
        switch (args.type) {
            case "aws:s3/bucket:Bucket":
                id = String(inputs.bucket);
                state.arn = `arn:aws:s3:::${inputs.bucket}`;
                state.bucketDomainName = `${inputs.bucket}.s3.amazonaws.com`;
                break;
            case "aws:iam/role:Role":
                id = String(inputs.name);
                state.arn = `arn:aws:iam::${account ?? "000000000000"}:role${inputs.path ?? "/"}${inputs.name}`;
                state.uniqueId = `${PLACEHOLDER_PREFIX} role id`;
                break;
            case "aws:iam/policy:Policy":
                state.arn = `arn:aws:iam::${account ?? "000000000000"}:policy${inputs.path ?? "/"}${inputs.name}`;
                id = String(state.arn);
                break;
            case "aws:kms/grant:Grant":
                state.grantId = `${PLACEHOLDER_PREFIX} grant id`;
                state.grantToken = `${PLACEHOLDER_PREFIX} grant token`;
                break;
            default:
                if (!args.custom) id = undefined;
        }
        return { id, state };
    }

    /** Called by the monitor wrapper with everything the registration request carried. */
    record(r: RecordedResource): void {
        if (r.type.startsWith("pulumi:providers:")) {
            this.providerInputs.set(r.urn, { urn: r.urn, type: r.type, inputs: r.inputs });
        }
        this.resources.push(r);
    }

    providerFromRef(ref: string): RecordedProvider | undefined {
        // A provider reference is "<urn>::<id>".
        const urn = ref.slice(0, ref.lastIndexOf("::"));
        return this.providerInputs.get(urn);
    }
}

function accountOf(inputs: Record<string, unknown>): string | undefined {
    let ids = inputs.allowedAccountIds;
    // Provider inputs travel JSON-encoded when they are not strings.
    if (typeof ids === "string") {
        try {
            ids = JSON.parse(ids);
        } catch {
            ids = [ids];
        }
    }
    return Array.isArray(ids) && ids.length > 0 ? String(ids[0]) : undefined;
}

export interface RunOptions {
    project: string;
    stack: string;
    /** Fully qualified config (`project:key` -> value, JSON text for objects). */
    config?: Record<string, string>;
    invokes?: Record<string, InvokeHandler>;
    /**
     * Keep stack traces while the program runs. Off by default: the SDK captures a stack for
     * every promise it makes, which costs more than everything else in a large offline run.
     */
    stackTraces?: boolean;
    /** Run as a preview (unknown values stay unknown). Default false, so every output resolves. */
    preview?: boolean;
}

export interface RunResult {
    resources: RecordedResource[];
    invokes: RecordedInvoke[];
    /** The program's resolved stack outputs. */
    outputs: Record<string, unknown>;
    /** The first error the program (or an async registration) raised, if any. */
    error?: Error;
}

/**
 * Run `program` (a Pulumi program function) under mocks with `preview=false`, so every output
 * resolves, and wait until every registration has finished.
 */
export async function runUnderMocks(program: () => unknown, options: RunOptions): Promise<RunResult> {
    const recorder = new MockRecorder(options.invokes);
    // The S3 reads the program makes with the AWS SDK are answered by the same world, never by AWS.
    const s3 = options.invokes?.[S3_SDK_CALL];
    const previousSource = setBucketSettingsSource(
        sdkBucketSettingsSource(async (command, region, access) => {
            if (!s3) throw new Error(`offline: no answer for S3 ${command.constructor.name} (the world has no ${S3_SDK_CALL} handler)`);
            return s3({ command: command.constructor.name, input: command.input, region, accountId: access.accountId });
        }),
    );
    pulumi.runtime.setAllConfig(options.config ?? {});
    await pulumi.runtime.setMocks(recorder, options.project, options.stack, options.preview ?? false);
    wrapMonitor(recorder);

    const asyncErrors: Error[] = [];
    let errorArrived!: () => void;
    // A failed registration never releases the SDK's keep-alive, so waiting for RPCs would hang;
    // the real engine stops the program at the first such error, and so does this.
    const firstAsyncError = new Promise<void>(resolve => {
        errorArrived = resolve;
    });
    const onRejection = (e: unknown) => {
        asyncErrors.push(e instanceof Error ? e : new Error(String(e)));
        errorArrived();
    };
    process.on("unhandledRejection", onRejection);
    let outputs: Record<string, unknown> = {};
    let error: Error | undefined;
    const stackTraceLimit = Error.stackTraceLimit;
    const prepareStackTrace = Error.prepareStackTrace;
    const restoreDebugAids = options.stackTraces ? () => undefined : withoutDebugAids();
    if (!options.stackTraces) {
        // The SDK reads `new Error().stack` for every resource (source positions) and promise
        // (leak debugging); offline, an empty stack makes both free. Messages are kept.
        Error.stackTraceLimit = 0;
        Error.prepareStackTrace = () => "";
    }
    try {
        const result = await Promise.race([program(), firstAsyncError]);
        outputs = ((await Promise.race([resolveDeep(result), firstAsyncError.then(() => ({}))])) as Record<string, unknown>) ?? {};
    } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
    }
    try {
        await Promise.race([(pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs(), firstAsyncError]);
    } catch (e) {
        error ??= e instanceof Error ? e : new Error(String(e));
    }
    // Let rejections raised on the last tick arrive before the handler goes.
    await new Promise(resolve => setImmediate(resolve));
    Error.stackTraceLimit = stackTraceLimit;
    Error.prepareStackTrace = prepareStackTrace;
    restoreDebugAids();
    process.off("unhandledRejection", onRejection);
    setBucketSettingsSource(previousSource);
    if (recorder.unmocked.length > 0) error = new Error(recorder.unmocked.join("\n"));
    error ??= asyncErrors[0];
    for (const r of recorder.resources) {
        const p = r.provider;
        if (p) {
            // One provider per account: a regional resource names its Region, IAM is global.
            r.account = accountOf(p.inputs);
            r.region =
                typeof r.inputs.region === "string"
                    ? r.inputs.region
                    : r.type.startsWith("aws:iam/")
                      ? "global"
                      : typeof p.inputs.region === "string"
                        ? p.inputs.region
                        : undefined;
        } else if (r.type === "pulumi:providers:aws") {
            r.account = accountOf(r.inputs);
            r.region = typeof r.inputs.region === "string" ? r.inputs.region : undefined;
        } else if (r.type.startsWith("pulumi-nodejs:dynamic/") && typeof r.inputs.accountId === "string" && typeof r.inputs.region === "string") {
            // Dynamic resources carry their own account and Region (they do not use aws.Provider).
            r.account = r.inputs.accountId;
            r.region = r.inputs.region;
        }
    }
    return { resources: recorder.resources, invokes: recorder.invokes, outputs, ...(error ? { error } : {}) };
}

/**
 * Turn off, for an offline run, two debugging aids the SDK pays for on every resource and promise,
 * and return what turns them back on. Neither changes what is registered:
 * - `debuggablePromise` (runtime/debuggable.js) tags each RPC promise with an id, a context and a
 *   stack, and tracks it to report promises still pending at exit; here the run waits for every
 *   RPC itself and reports what failed.
 * - `Resource.callsites` (resource.js) captures an unlimited stack per resource for the source
 *   position the engine shows in its reports; a plan shows none.
 * Together they were about a sixth of a 1,000-route plan's time (bench/fleet-bench.ts).
 * The SDK calls both through their module objects, so replacing the properties is enough; when a
 * future SDK changes that, this does nothing.
 */
function withoutDebugAids(): () => void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's internal module, not part of its typed surface
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise?: unknown };
    const resource = pulumi.Resource as unknown as { callsites?: unknown };
    const saved = { promise: debuggable.debuggablePromise, callsites: resource.callsites };
    if (typeof saved.promise === "function") debuggable.debuggablePromise = <T>(p: Promise<T>) => p;
    if (typeof saved.callsites === "function") resource.callsites = () => [];
    return () => {
        debuggable.debuggablePromise = saved.promise;
        resource.callsites = saved.callsites;
    };
}

/** Resolve Outputs and promises anywhere inside a value. */
export async function resolveDeep(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        // Output.promise() is internal but, unlike apply, also rejects when the value failed.
        const inner = await (value as unknown as { promise(): Promise<unknown> }).promise();
        return resolveDeep(inner);
    }
    if (value instanceof Promise) return resolveDeep(await value);
    if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
    if (value !== null && typeof value === "object" && !(value instanceof pulumi.Resource)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await resolveDeep(v);
        return out;
    }
    return value;
}

/** A URN as the engine forms it: stack, project, the parent's qualified type chain (the stack's left out), type, name. */
export function engineUrn(mockUrn: string, parentUrn: string | undefined): string {
    const parts = mockUrn.split("::");
    const type = parts[2].split("$").pop()!;
    const parentType = parentUrn ? parentUrn.split("::")[2] : undefined;
    parts[2] = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return parts.join("::");
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the monitor's request objects are protobuf messages */
/**
 * The mock monitor's registerResource, answered here. It does what the SDK's MockMonitor does
 * (@pulumi/pulumi runtime/mocks.js: deserialize the request's properties, ask the mocks, answer
 * with the state), without the second serialization the SDK's version makes: when the state is the
 * inputs unchanged (every type but the few newResource adds AWS-assigned values to), the answer
 * carries the request's own property struct, which is what serializing those same inputs gives.
 * It also answers with the engine's URN and records everything the request carried.
 */
function wrapMonitor(recorder: MockRecorder): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
        void registerOffline(monitor, recorder, req).then(
            resp => callback(null, resp),
            err => callback(err, undefined),
        );
    };
}

async function registerOffline(monitor: any, recorder: MockRecorder, req: any): Promise<any> {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
        propertyDependencies[key] = deps.getUrnsList();
    });
    // Custom resources name their provider; components carry a map of providers by package.
    const providerRef: string = req.getProvider() || (req.getProvidersMap?.().get("aws") ?? "");
    const type = req.getType() as string;
    const name = req.getName() as string;
    const custom = req.getCustom() as boolean;
    const parent = (req.getParent() as string) || undefined;
    const inputs = pulumi.runtime.deserializeProperties(req.getObject()) as Record<string, unknown>;
    const answer = recorder.newResource({ type, name, inputs, provider: req.getProvider(), custom, id: req.getImportid() });
    // The mock monitor qualifies a type with its parent's type only; the engine with the parent's
    // whole chain (pulumi pkg/resource/deploy/deployment.go generateURN). URNs are what the engine
    // keeps and deletes by, so the program sees and the plan shows the engine's.
    const urn = engineUrn(monitor.newUrn(parent, type, name), parent);
    const changed = Object.keys(answer.state).length !== Object.keys(inputs).length || Object.keys(answer.state).some(k => answer.state[k] !== inputs[k]);
    const object = changed ? Struct.fromJavaScript(await pulumi.runtime.serializeProperties("", answer.state)) : req.getObject();
    // registerResourceOutputs (components) looks its resource up here, by the URN the program holds.
    if (!custom) monitor.resources.set(urn, { urn, id: null, state: object });
    const provider = providerRef ? recorder.providerFromRef(providerRef) : undefined;
    recorder.record({
        urn,
        type,
        name,
        custom,
        ...(parent ? { parent } : {}),
        dependencies: req.getDependenciesList() as string[],
        propertyDependencies,
        retainOnDelete: req.getRetainondelete() === true,
        protect: req.getProtect() === true,
        ...(req.getImportid() ? { importId: req.getImportid() as string } : {}),
        inputs,
        outputs: answer.state,
        ...(provider ? { provider } : {}),
    });
    const resp = new RegisterResourceResponse();
    // The SDK puts the whole response into a debug message it builds on every registration, even
    // when debug logging is off (runtime/resource.js, "RegisterResource RPC finished"); name it instead.
    resp.toString = () => `RegisterResourceResponse(${urn})`;
    resp.setUrn(urn);
    resp.setId(answer.id ?? "");
    resp.setObject(object);
    return resp;
}
