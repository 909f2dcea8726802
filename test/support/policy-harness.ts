/**
 * A small stand-in for the Pulumi engine's side of CrossGuard, mirroring @pulumi/policy 1.21's
 * analyzer server (server.js: analyze, analyzeStack, remediate) without gRPC:
 *  - enforcement level = config[policy].enforcementLevel ?? config.all ?? policy level ?? pack level;
 *    "disabled" skips the policy, "remediate" reports as "mandatory";
 *  - props are a JSON copy wrapped in @pulumi/policy's exported `unknownCheckingProxy`, so a
 *    value that is unknown in preview (the engine's sentinels, see `unknown`) throws on access;
 *    an UnknownValueError that escapes a policy becomes the engine's advisory "can't run";
 *  - args carry isType/asType (by the class's `__pulumiType`), getConfig (the policy's config
 *    without enforcementLevel, `{}` when none), notApplicable (throws), stackTags, provider;
 *  - stack resources get parent, dependencies and propertyDependencies linked to each other;
 *  - violation messages are `description + "\n" + message`, as the SDK builds them.
 */
import {
    EnforcementLevel,
    PolicyPackArgs,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";
import * as policySdk from "@pulumi/policy";

/** The engine's unknown sentinels, as @pulumi/policy's proxy recognizes them. */
const proxyModule = require("@pulumi/policy/proxy") as Record<string, string>;
export const unknown = {
    string: proxyModule.unknownStringValue,
    number: proxyModule.unknownNumberValue,
    boolean: proxyModule.unknownBooleanValue,
    array: proxyModule.unknownArrayValue,
    object: proxyModule.unknownObjectValue,
} as const;

// Remediation mirrors the SDK exactly: secrets-preserving proxy in, serializeProperties out.
const { secretsPreservingProxy } = require("@pulumi/policy/secret") as { secretsPreservingProxy: (x: object) => object };
const { serializeProperties } = require("@pulumi/policy/deserialize") as { serializeProperties: (x: unknown) => Promise<Record<string, unknown>> };

const UnknownValueError = (policySdk as unknown as { UnknownValueError: new (...a: unknown[]) => Error }).UnknownValueError;

type Policy = ResourceValidationPolicy | StackValidationPolicy;
type ResourceClass = Parameters<ResourceValidationArgs["isType"]>[0];

export type PolicyConfigValue = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);
/** A `--policy-pack-config` file's content. */
export type PackConfig = Record<string, PolicyConfigValue>;

export interface HarnessProvider {
    urn?: string;
    type?: string;
    name?: string;
    props: Record<string, unknown>;
}

/** A resource as the engine describes it: inputs for resource policies, outputs for stack policies. */
export interface HarnessResource {
    type: string;
    name: string;
    urn?: string;
    props: Record<string, unknown>;
    provider?: HarnessProvider;
    /** Parent URN. */
    parent?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    protect?: boolean;
}

export interface Diagnostic {
    policyName: string;
    message: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    severity?: Severity;
    urn?: string;
}

export interface AnalyzeResult {
    diagnostics: Diagnostic[];
    /** Policy name -> reason, for policies that called notApplicable. */
    notApplicable: Map<string, string | undefined>;
}

export interface RunOptions {
    config?: PackConfig;
    stackTags?: Record<string, string>;
    /** The pack's own default level (PolicyPackArgs.enforcementLevel); "advisory" as in the SDK. */
    packEnforcementLevel?: EnforcementLevel;
}

export function urnOf(type: string, name: string, project = "test", stack = "dev"): string {
    return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

function pulumiTypeOf(x: unknown): string | undefined {
    const t = (x as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof t === "string" && t.length > 0 ? t : undefined;
}

function isTypeOf(type: string, resourceClass: ResourceClass): boolean {
    const t = pulumiTypeOf(resourceClass);
    if (t) return type === t;
    const isInstance = (resourceClass as unknown as { isInstance?: (o: unknown) => boolean }).isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

function configEntry(config: PackConfig | undefined, policy: string): ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>) | undefined {
    const v = config?.[policy];
    if (v === undefined) return undefined;
    return typeof v === "string" ? { enforcementLevel: v } : v;
}

export function levelOf(p: Policy, options: RunOptions): EnforcementLevel {
    const all = configEntry(options.config, "all")?.enforcementLevel;
    return configEntry(options.config, p.name)?.enforcementLevel ?? all ?? p.enforcementLevel ?? options.packEnforcementLevel ?? "advisory";
}

function getConfigFor(options: RunOptions, policy: string): <T extends object>() => T {
    return <T extends object>() => {
        const c = configEntry(options.config, policy);
        if (!c) return {} as T;
        const { enforcementLevel: _ignored, ...rest } = c;
        return rest as T;
    };
}

function tagsOf(options: RunOptions): ReadonlyMap<string, string> {
    return new Map(Object.entries(options.stackTags ?? {}));
}

/** The engine hands policies JSON: a deep copy without undefined values. */
function wire(props: Record<string, unknown>): Record<string, unknown> {
    return JSON.parse(JSON.stringify(props)) as Record<string, unknown>;
}

function providerOf(p: HarnessProvider | undefined): PolicyProviderResource | undefined {
    if (!p) return undefined;
    const type = p.type ?? "pulumi:providers:aws";
    const name = p.name ?? "default";
    return { type, name, urn: p.urn ?? urnOf(type, name), props: unknownCheckingProxy(wire(p.props)) };
}

function optsOf(r: HarnessResource): PolicyResourceOptions {
    return {
        protect: r.protect ?? false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

function reporter(p: Policy, level: EnforcementLevel, out: Diagnostic[], defaultUrn?: string) {
    return (message: string, urn?: string) => {
        const d: Diagnostic = {
            policyName: p.name,
            description: p.description,
            message: message ? `${p.description}\n${message}` : p.description,
            enforcementLevel: level,
            ...(p.severity ? { severity: p.severity } : {}),
        };
        const u = urn ?? defaultUrn;
        if (u) d.urn = u;
        out.push(d);
    };
}

function cantRun(p: Policy, e: Error, out: Diagnostic[]): void {
    out.push({
        policyName: p.name,
        description: p.description,
        enforcementLevel: "advisory",
        message: `can't run policy '${p.name}' during preview: ${e.message}`,
        ...(p.severity ? { severity: p.severity } : {}),
    });
}

function isResourcePolicy(p: Policy): p is ResourceValidationPolicy {
    return "validateResource" in p || "remediateResource" in p;
}

function isStackPolicy(p: Policy): p is StackValidationPolicy {
    return typeof (p as StackValidationPolicy).validateStack === "function";
}

/** The arguments the engine gives a resource policy's validation or remediation of `r`. */
function resourceArgs(r: HarnessResource, props: Record<string, unknown>, urn: string, p: Policy, options: RunOptions): ResourceValidationArgs {
    const args: ResourceValidationArgs = {
        type: r.type,
        props,
        urn,
        name: r.name,
        opts: optsOf(r),
        stackTags: tagsOf(options),
        isType: (c: ResourceClass) => isTypeOf(r.type, c),
        asType: ((c: ResourceClass) => (isTypeOf(r.type, c) ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: getConfigFor(options, p.name),
        notApplicable: throwNotApplicable,
    };
    const provider = providerOf(r.provider);
    if (provider) args.provider = provider;
    return args;
}

/** `analyze`: every resource policy on one resource's inputs. */
export async function analyzeResource(policies: readonly Policy[], r: HarnessResource, options: RunOptions = {}): Promise<AnalyzeResult> {
    const diagnostics: Diagnostic[] = [];
    const notApplicable = new Map<string, string | undefined>();
    const urn = r.urn ?? urnOf(r.type, r.name);
    for (const p of policies) {
        let level = levelOf(p, options);
        if (level === "disabled" || !isResourcePolicy(p)) continue;
        if (!p.validateResource) {
            notApplicable.set(p.name, "Policy does not implement validateResource");
            continue;
        }
        if (level === "remediate") level = "mandatory";
        if (!Array.isArray(p.validateResource)) {
            const t = pulumiTypeOf(p.validateResource);
            if (t && t !== r.type) {
                notApplicable.set(p.name, `Policy only applies to resources of type '${t}'`);
                continue;
            }
        }
        const report = reporter(p, level, diagnostics, urn);
        const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
        for (const validation of validations) {
            try {
                const args = resourceArgs(r, unknownCheckingProxy(wire(r.props)) as Record<string, unknown>, urn, p, options);
                await Promise.resolve(validation(args, report));
            } catch (e) {
                if (e instanceof UnknownValueError) cantRun(p, e, diagnostics);
                else if (e instanceof NotApplicable) notApplicable.set(p.name, e.reason);
                else throw e;
            }
        }
    }
    return { diagnostics, notApplicable };
}

/** `analyzeStack`: every stack policy on all resources (their outputs), linked to each other. */
export async function analyzeStack(policies: readonly Policy[], resources: readonly HarnessResource[], options: RunOptions = {}): Promise<AnalyzeResult> {
    const diagnostics: Diagnostic[] = [];
    const notApplicable = new Map<string, string | undefined>();
    for (const p of policies) {
        let level = levelOf(p, options);
        if (level === "disabled" || !isStackPolicy(p)) continue;
        if (level === "remediate") level = "mandatory";
        const t = pulumiTypeOf(p.validateStack);
        if (t && !resources.some(r => r.type === t)) {
            notApplicable.set(p.name, `Policy only applies to resources of type '${t}'`);
            continue;
        }
        const report = reporter(p, level, diagnostics);
        try {
            const built = resources.map(r => {
                const props = unknownCheckingProxy(wire(r.props)) as Record<string, unknown>;
                const resource: PolicyResource = {
                    type: r.type,
                    props,
                    urn: r.urn ?? urnOf(r.type, r.name),
                    name: r.name,
                    opts: optsOf(r),
                    dependencies: [],
                    propertyDependencies: {},
                    isType: (c: ResourceClass) => isTypeOf(r.type, c),
                    asType: ((c: ResourceClass) => (isTypeOf(r.type, c) ? props : undefined)) as PolicyResource["asType"],
                };
                const provider = providerOf(r.provider);
                if (provider) resource.provider = provider;
                return { resource, r };
            });
            const byUrn = new Map(built.map(b => [b.resource.urn, b.resource]));
            const link = (urns: readonly string[] | undefined) => (urns ?? []).map(u => byUrn.get(u)).filter((x): x is PolicyResource => x !== undefined);
            for (const { resource, r } of built) {
                const parent = r.parent ? byUrn.get(r.parent) : undefined;
                if (parent) resource.parent = parent;
                resource.dependencies = link(r.dependencies);
                for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) resource.propertyDependencies[k] = link(urns);
            }
            const args: StackValidationArgs = {
                resources: built.map(b => b.resource),
                getConfig: getConfigFor(options, p.name),
                stackTags: tagsOf(options),
                notApplicable: throwNotApplicable,
            };
            await Promise.resolve(p.validateStack(args, report));
        } catch (e) {
            if (e instanceof UnknownValueError) cantRun(p, e, diagnostics);
            else if (e instanceof NotApplicable) notApplicable.set(p.name, e.reason);
            else throw e;
        }
    }
    return { diagnostics, notApplicable };
}

export interface RemediateResult {
    /** The props after every remediation, as the engine receives them (unknown sentinels kept). */
    props: Record<string, unknown>;
    /** Names of the policies whose remediation changed something. */
    remediatedBy: string[];
    diagnostics: string[];
}

/** `remediate`: every remediation whose policy is at level "remediate", in order, each seeing the last one's result. */
export async function remediateResource(policies: readonly Policy[], r: HarnessResource, options: RunOptions = {}): Promise<RemediateResult> {
    const urn = r.urn ?? urnOf(r.type, r.name);
    let props = unknownCheckingProxy(secretsPreservingProxy(wire(r.props))) as Record<string, unknown>;
    const remediatedBy: string[] = [];
    const diagnostics: string[] = [];
    for (const p of policies) {
        if (levelOf(p, options) !== "remediate" || !isResourcePolicy(p) || !p.remediateResource) continue;
        const t = pulumiTypeOf(p.remediateResource);
        if (t && t !== r.type) continue;
        const args = resourceArgs(r, props, urn, p, options);
        try {
            const result = await Promise.resolve(p.remediateResource(args));
            if (result) {
                props = result as Record<string, unknown>;
                remediatedBy.push(p.name);
            }
        } catch (e) {
            if (e instanceof UnknownValueError) diagnostics.push(`can't run remediation '${p.name}' during preview: ${e.message}`);
            else if (!(e instanceof NotApplicable)) throw e;
        }
    }
    return { props: await serializeProperties(props), remediatedBy, diagnostics };
}

/** A preview as the engine runs it: every resource's inputs through the resource policies, then the stack through the stack policies. */
export async function runPack(
    pack: Pick<PolicyPackArgs, "policies" | "enforcementLevel">,
    resources: readonly HarnessResource[],
    stackResources: readonly HarnessResource[] = resources,
    options: RunOptions = {},
): Promise<Diagnostic[]> {
    const opts: RunOptions = { ...options, ...(pack.enforcementLevel ? { packEnforcementLevel: pack.enforcementLevel } : {}) };
    const out: Diagnostic[] = [];
    for (const r of resources) out.push(...(await analyzeResource(pack.policies, r, opts)).diagnostics);
    out.push(...(await analyzeStack(pack.policies, stackResources, opts)).diagnostics);
    return out;
}

/** The message a policy passed to reportViolation (the SDK prefixes the description). */
export function messageOf(d: Diagnostic): string {
    return d.message.startsWith(d.description + "\n") ? d.message.slice(d.description.length + 1) : d.message;
}

/** A provider as the engine shows it: non-string config JSON-encoded, as @pulumi/aws's Provider sends it. */
export function awsProvider(name: string, region: string, account?: string): HarnessProvider {
    return {
        type: "pulumi:providers:aws",
        name,
        urn: urnOf("pulumi:providers:aws", name),
        props: { region, ...(account ? { allowedAccountIds: JSON.stringify([account]) } : {}) },
    };
}

export interface AddOptions {
    provider?: HarnessProvider;
    parent?: HarnessResource | string;
    /** Property -> the resources its value came from (propertyDependencies). */
    deps?: Record<string, HarnessResource[]>;
}

/** Builds a stack's resources by hand, in the engine's shape (for programs that are not ours). */
export class StackBuilder {
    readonly resources: HarnessResource[] = [];

    add(type: string | ResourceClass, name: string, props: Record<string, unknown>, opts: AddOptions = {}): HarnessResource {
        const t = typeof type === "string" ? type : pulumiTypeOf(type);
        if (!t) throw new Error(`no type token for ${String(type)}`);
        const propertyDependencies: Record<string, string[]> = {};
        for (const [k, rs] of Object.entries(opts.deps ?? {})) propertyDependencies[k] = rs.map(r => r.urn!);
        const r: HarnessResource = {
            type: t,
            name,
            urn: urnOf(t, name),
            props,
            dependencies: [...new Set(Object.values(propertyDependencies).flat())],
            propertyDependencies,
            ...(opts.provider ? { provider: opts.provider } : {}),
            ...(opts.parent ? { parent: typeof opts.parent === "string" ? opts.parent : opts.parent.urn! } : {}),
        };
        this.resources.push(r);
        return r;
    }

    /** A copy with one resource's props changed (the others are shared, untouched). */
    with(name: string, change: (props: Record<string, unknown>) => Record<string, unknown>): HarnessResource[] {
        let found = false;
        const out = this.resources.map(r => {
            if (r.name !== name) return r;
            found = true;
            return { ...r, props: change(JSON.parse(JSON.stringify(r.props)) as Record<string, unknown>) };
        });
        if (!found) throw new Error(`no resource named ${name}`);
        return out;
    }

    without(name: string): HarnessResource[] {
        if (!this.resources.some(r => r.name === name)) throw new Error(`no resource named ${name}`);
        return this.resources.filter(r => r.name !== name);
    }
}

/** The shape the mock-runtime recorder captures (test/support/mock-runtime.ts), structurally. */
export interface RecordedLike {
    urn: string;
    type: string;
    name: string;
    parent?: string;
    provider?: { urn: string; type: string; inputs: Record<string, unknown> };
    inputs: Record<string, unknown>;
    outputs: Record<string, unknown>;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    protect?: boolean;
}

/**
 * A recorded program as the engine shows it to policies: inputs for `analyze`, outputs (over
 * the inputs, as bridged providers return them) for `analyzeStack`.
 */
export function fromRecorded(recorded: readonly RecordedLike[]): { inputs: HarnessResource[]; outputs: HarnessResource[] } {
    const base = (r: RecordedLike, props: Record<string, unknown>): HarnessResource => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
        ...(r.parent ? { parent: r.parent } : {}),
        ...(r.protect ? { protect: r.protect } : {}),
        ...(r.provider
            ? { provider: { urn: r.provider.urn, type: r.provider.type, name: r.provider.urn.split("::").pop() ?? "", props: r.provider.inputs } }
            : {}),
    });
    return {
        inputs: recorded.map(r => base(r, r.inputs)),
        outputs: recorded.map(r => base(r, { ...r.inputs, ...r.outputs })),
    };
}
