/**
 * The plugin's provider: GetSchema, Construct for the five components, and Check, Diff, Create,
 * Read, Update and Delete of `pulumi-s3-replication:index:BatchReplicationJob` with the same
 * implementation as the dynamic resource (components/batch-job-provider.ts). Served over gRPC by
 * `@pulumi/pulumi/provider`'s `main` (provider/index.ts).
 *
 * The job's credentials come from its inputs, as with the dynamic resource. Every property that
 * arrived secret goes back secret, and the external id always does (it is a shared secret of the
 * account's trust policy).
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import * as jobProvider from "../components/batch-job-provider";
import type { BatchReplicationJobInputs, BatchReplicationJobOutputs } from "../components/batch-job-provider";
import { BATCH_JOB_TYPE } from "../components/batch-replication-job";
import { builderOf } from "./construct";
import { type WireObject, unwrapSecrets, wrapSecrets } from "./wire";

const ALWAYS_SECRET = ["assumeRoleExternalId"];

/** The resource type a URN names (its last `$`-separated part). */
export function typeOfUrn(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.split("$").pop() ?? "";
}

function jobOnly(urn: string): void {
    const type = typeOfUrn(urn);
    if (type !== BATCH_JOB_TYPE)
        throw new Error(`pulumi-s3-replication has no resource type ${JSON.stringify(type)}; its only resource is ${BATCH_JOB_TYPE} (the rest are components)`);
}

/** Secret names for what goes back: the ones that came in, and the external id. */
function secretsOf(...sets: ReadonlySet<string>[]): Set<string> {
    return new Set([...ALWAYS_SECRET, ...sets.flatMap(s => [...s])]);
}

export class S3ReplicationProvider implements provider.Provider {
    readonly version: string;

    constructor(private readonly schemaText: string) {
        this.version = (JSON.parse(schemaText) as { version: string }).version;
    }

    async getSchema(): Promise<string> {
        return this.schemaText;
    }

    async construct(name: string, type: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions): Promise<provider.ConstructResult> {
        const build = builderOf(type);
        if (!build) throw new Error(`pulumi-s3-replication has no component ${JSON.stringify(type)}`);
        const { resource, state } = await build(name, inputs, options);
        return { urn: resource.urn, state };
    }

    async check(urn: string, olds: WireObject, news: WireObject): Promise<provider.CheckResult> {
        jobOnly(urn);
        const o = unwrapSecrets(olds);
        const n = unwrapSecrets(news);
        const result = await jobProvider.checkJob(o.value as unknown as BatchReplicationJobInputs, n.value as unknown as BatchReplicationJobInputs);
        return {
            inputs: wrapSecrets((result.inputs ?? {}) as unknown as WireObject, secretsOf(n.secrets)),
            failures: result.failures ?? [],
        };
    }

    async diff(id: string, urn: string, olds: WireObject, news: WireObject): Promise<provider.DiffResult> {
        jobOnly(urn);
        return jobProvider.diffJob(
            id,
            unwrapSecrets(olds).value as unknown as BatchReplicationJobOutputs,
            unwrapSecrets(news).value as unknown as BatchReplicationJobInputs,
        );
    }

    async create(urn: string, inputs: WireObject): Promise<provider.CreateResult> {
        jobOnly(urn);
        const ins = unwrapSecrets(inputs);
        const secrets = secretsOf(ins.secrets);
        try {
            const result = await jobProvider.createJob(ins.value as unknown as BatchReplicationJobInputs);
            return { id: result.id, outs: wrapSecrets((result.outs ?? {}) as unknown as WireObject, secrets) };
        } catch (err) {
            // The job exists but did not reach the awaited state: its outputs go into the state
            // (ErrorResourceInitFailed), secrets as secrets.
            const e = err as { properties?: WireObject };
            if (e.properties) e.properties = wrapSecrets(e.properties, secrets);
            throw err;
        }
    }

    async read(id: string, urn: string, props?: WireObject): Promise<provider.ReadResult> {
        jobOnly(urn);
        const state = unwrapSecrets(props);
        const result = await jobProvider.readJob(id, state.value as unknown as BatchReplicationJobOutputs);
        return { id: result.id ?? id, props: wrapSecrets((result.props ?? {}) as unknown as WireObject, secretsOf(state.secrets)) };
    }

    async update(id: string, urn: string, olds: WireObject, news: WireObject): Promise<provider.UpdateResult> {
        jobOnly(urn);
        const n = unwrapSecrets(news);
        const result = await jobProvider.updateJob(
            id,
            unwrapSecrets(olds).value as unknown as BatchReplicationJobOutputs,
            n.value as unknown as BatchReplicationJobInputs,
        );
        // What is secret now is what the new inputs say (and the external id), as the state holds exactly them.
        return { outs: wrapSecrets((result.outs ?? {}) as unknown as WireObject, secretsOf(n.secrets)) };
    }

    async delete(id: string, urn: string, props: WireObject): Promise<void> {
        jobOnly(urn);
        await jobProvider.deleteJob(id, unwrapSecrets(props).value as unknown as BatchReplicationJobOutputs);
    }
}
