/**
 * Construct: a component built for another language's program, from the arguments the schema
 * declares (provider/surface.ts), as the real TypeScript class (components/).
 *
 * The arguments arrive as the provider server deserializes them (@pulumi/pulumi provider/server.js
 * `deserializeInputs`): a value that is secret or depends on other resources is an Output, the rest
 * plain. The components take their plain arguments as plain values (they validate them before
 * registering anything), so those are awaited here; what the schema declares as an input (a
 * BucketReplication's roleArn) stays an Output.
 */
import * as pulumi from "@pulumi/pulumi";
import { AccountProviders, type AccountProvidersArgs } from "../components/account-providers";
import { BucketReplication, type BucketReplicationArgs, type BucketReplicationBaseArgs } from "../components/bucket-replication";
import { HardenedBucket, type HardenedBucketBaseArgs } from "../components/hardened-bucket";
import { type Column, columnForHeader, formatDiagnostic } from "../components/model";
import { ReplicationFleet, type ReplicationFleetArgs } from "../components/replication-fleet";
import { ReplicationRole, type ReplicationRoleGrantArgs } from "../components/replication-role";
import type * as surface from "./surface";

export interface Constructed {
    resource: pulumi.ComponentResource;
    state: pulumi.Inputs;
}

type Build = (name: string, inputs: pulumi.Inputs, opts: pulumi.ComponentResourceOptions) => Promise<Constructed>;

/** What an Output is at run time besides its public API (@pulumi/pulumi output.ts OutputImpl). */
interface OutputInternals {
    isKnown: Promise<boolean>;
    promise(): Promise<unknown>;
}

/** `value` with every Output inside it replaced by its value; an unknown one is refused with its path. */
async function resolve(value: unknown, path: string, type: string): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const output = value as unknown as OutputInternals;
        if (!(await output.isKnown)) {
            throw new pulumi.InputPropertiesError({
                message: `${type}: ${path} is not known yet, and it must be (the component validates it before registering anything)`,
                errors: [
                    {
                        propertyPath: path,
                        reason: "must be known when the component is created; pass a value, not another resource's output that is only known after deployment",
                    },
                ],
            });
        }
        return resolve(await output.promise(), path, type);
    }
    if (Array.isArray(value)) return Promise.all(value.map((v, i) => resolve(v, `${path}[${i}]`, type)));
    if (value !== null && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await resolve(v, path ? `${path}.${k}` : k, type);
        return out;
    }
    return value;
}

/** The inputs with everything but `inputs` (names the schema declares as Inputs) resolved to plain values. */
async function plainArgs<T>(inputs: pulumi.Inputs, type: string, keepInputs: readonly string[] = []): Promise<T> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(inputs)) out[k] = keepInputs.includes(k) ? v : await resolve(v, k, type);
    return out as T;
}

function refuse(type: string, path: string, reason: string): never {
    throw new pulumi.InputPropertiesError({ message: `${type}: ${path} ${reason}`, errors: [{ propertyPath: path, reason }] });
}

/** The fleet's `defaults` keyed by manifest column, as the TypeScript API takes them. */
function columnDefaults(defaults: surface.FleetRouteDefaults, type: string): Partial<Record<Column, unknown>> {
    const out: Partial<Record<Column, unknown>> = {};
    for (const [key, value] of Object.entries(defaults)) {
        const column = columnForHeader(key);
        if (!column) refuse(type, `defaults.${key}`, "is not a manifest column");
        out[column] = value;
    }
    return out;
}

/** The cross-language fleet arguments as ReplicationFleet takes them. */
export function fleetArgs(args: surface.ReplicationFleetArgs, type = "ReplicationFleet"): ReplicationFleetArgs {
    const { routes, defaults, iam, backfill, ...rest } = args;
    // The strings the TypeScript API types as literals: refused here with their path, since
    // nothing downstream would (an unknown granularity would quietly mean "account").
    const { granularity, ...iamRest } = iam ?? {};
    const { waitFor, ...backfillRest } = backfill ?? {};
    if (waitFor !== undefined && waitFor !== "none" && waitFor !== "created" && waitFor !== "ready" && waitFor !== "complete") {
        refuse(type, "backfill.waitFor", `must be "none", "created", "ready" or "complete" (got ${JSON.stringify(waitFor)})`);
    }
    if (granularity !== undefined && granularity !== "account" && granularity !== "bucket") {
        refuse(type, "iam.granularity", `must be "account" or "bucket" (got ${JSON.stringify(granularity)})`);
    }
    return {
        ...rest,
        // camelCase keys name the same columns (the model maps headers case- and underscore-blind).
        routes: (routes ?? []).map(r => ({ ...r })),
        ...(defaults ? { defaults: columnDefaults(defaults, type) } : {}),
        ...(iam ? { iam: { ...iamRest, ...(granularity !== undefined ? { granularity: granularity as "account" | "bucket" } : {}) } } : {}),
        ...(backfill
            ? { backfill: { ...backfillRest, ...(waitFor !== undefined ? { waitFor: waitFor as "none" | "created" | "ready" | "complete" } : {}) } }
            : {}),
    };
}

/** Outputs typed against the surface, so a class and its declaration cannot drift apart. */
type StateOf<T> = surface.SurfaceOutputs<T>;

const BUILDERS: Record<(typeof import("./surface").COMPONENT_NAMES)[number], Build> = {
    async ReplicationFleet(name, inputs, opts) {
        const fleet = new ReplicationFleet(name, fleetArgs(await plainArgs<surface.ReplicationFleetArgs>(inputs, "ReplicationFleet")), opts);
        const state: StateOf<surface.ReplicationFleet> = {
            routes: fleet.routes,
            roleArns: fleet.roleArns,
            bucketNames: fleet.bucketNames,
            warnings: fleet.warnings.map(formatDiagnostic),
        };
        return { resource: fleet, state };
    },
    async HardenedBucket(name, inputs, opts) {
        const bucket = new HardenedBucket(name, await plainArgs<HardenedBucketBaseArgs>(inputs, "HardenedBucket"), opts);
        const state: StateOf<surface.HardenedBucket> = { bucketName: bucket.bucketName, bucketArn: bucket.bucketArn };
        return { resource: bucket, state };
    },
    async ReplicationRole(name, inputs, opts) {
        const role = new ReplicationRole(name, await plainArgs<ReplicationRoleGrantArgs>(inputs, "ReplicationRole"), opts);
        const state: StateOf<surface.ReplicationRole> = { roleArn: role.roleArn, roleName: role.roleName };
        return { resource: role, state };
    },
    async BucketReplication(name, inputs, opts) {
        const args = await plainArgs<BucketReplicationBaseArgs>(inputs, "BucketReplication", ["roleArn"]);
        // replicaOwnership and status are manifest choice columns: the model refuses any other value
        // at destinations[i].<field>, as it does for TypeScript callers.
        const replication = new BucketReplication(name, args as BucketReplicationArgs, opts);
        const state: StateOf<surface.BucketReplication> = { sourceBucket: replication.sourceBucket, ruleIds: replication.ruleIds };
        return { resource: replication, state };
    },
    async AccountProviders(name, inputs, opts) {
        const providers = new AccountProviders(name, await plainArgs<AccountProvidersArgs>(inputs, "AccountProviders"), opts);
        // Provider resources, sent as resource references (the schema types them as pulumi-aws
        // providers; the surface says string only because the analyzer cannot name a provider).
        return { resource: providers, state: { providers: providers.providers } };
    },
};

/** The builder of a component type token, or undefined when the token is not one of this package's components. */
export function builderOf(type: string): Build | undefined {
    const m = /^pulumi-s3-replication:index:(\w+)$/.exec(type);
    return m && Object.prototype.hasOwnProperty.call(BUILDERS, m[1]) ? BUILDERS[m[1] as keyof typeof BUILDERS] : undefined;
}
