/**
 * The stacks program: stack config (and the manifest it names) in, a ReplicationFleet out.
 * Every problem in config or manifest stops the program before anything is registered.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ReplicationFleet } from "../components/replication-fleet";
import { diagnosticsMessage } from "../components/errors";
import { INLINE_ROUTES_PATH, loadStackRoutes } from "../components/manifest/load";
import { resolveStackManifest, shownPath } from "../components/manifest/stack-file";
import { CONFIG_NAMESPACE, Column, Diagnostic, RouteRecord, formatDiagnostic, parseStackSettings } from "../components/model";

/** Directory manifest paths in stack config are relative to (where the Pulumi.<stack>.yaml files are). */
export const STACK_CONFIG_DIR = __dirname;

export interface RunStackOptions {
    /** Where the Pulumi.<stack>.yaml files are: a relative `manifest` is resolved against it. Default: this folder. */
    stackConfigDir?: string;
}

/**
 * Every key of this package's namespace, known or not: a misspelled key (`acounts`) must stop
 * `pulumi preview` with "did you mean", as `validate --stack` does, not be silently ignored.
 */
function readConfig(): Record<string, unknown> {
    const prefix = `${CONFIG_NAMESPACE}:`;
    const raw: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
    }
    return raw;
}

export async function runStack(options: RunStackOptions = {}): Promise<Record<string, unknown>> {
    const { settings, diagnostics: configProblems } = parseStackSettings(readConfig());
    if (!settings) throw new pulumi.RunError(diagnosticsMessage(`stack ${pulumi.getStack()} config`, configProblems));

    // Resolved as `validate --stack` and `plan` resolve it: against the stack file's folder.
    const stackFile = path.join(options.stackConfigDir ?? STACK_CONFIG_DIR, `Pulumi.${pulumi.getStack()}.yaml`);
    const file = settings.manifest ? resolveStackManifest(stackFile, settings.manifest) : undefined;
    const loaded = await loadStackRoutes(file, settings.routes, settings.manifestSheet ? { sheet: settings.manifestSheet } : {});
    if (file) {
        // Report the manifest's path as the user would type it from where they run pulumi.
        const shown = shownPath(file);
        for (const r of loaded.records) relabel(r, file, shown);
        loaded.diagnostics = loaded.diagnostics.map(d => (d.file === file ? { ...d, file: shown } : d));
    }
    const loadProblems: Diagnostic[] = [...configProblems, ...loaded.diagnostics];
    if (!settings.manifest && !settings.routes) {
        loadProblems.push({
            code: "INVALID_CONFIG",
            severity: "error",
            message: `stack config needs ${CONFIG_NAMESPACE}:manifest (a manifest file) or ${INLINE_ROUTES_PATH}.`,
            path: `${CONFIG_NAMESPACE}:manifest`,
        });
    }

    const fleet = new ReplicationFleet("fleet", {
        records: loaded.records,
        loadDiagnostics: loadProblems,
        accounts: settings.accounts,
        defaults: settings.defaults as Partial<Record<Column, unknown>>,
        ...(settings.destinationTemplate ? { destinationTemplate: settings.destinationTemplate } : {}),
        buckets: settings.buckets,
        ...(settings.adoptedSettings ? { adoptedSettings: settings.adoptedSettings } : {}),
        iam: settings.iam,
        ...(settings.rtcUnsupportedRegions ? { rtcUnsupportedRegions: settings.rtcUnsupportedRegions } : {}),
        ...(settings.reportBucketTemplate ? { reportBucketTemplate: settings.reportBucketTemplate } : {}),
        defaultTags: settings.defaultTags,
        strict: settings.strict,
        ...(settings.shard ? { shard: settings.shard } : {}),
        backfill: settings.backfill,
        monitoring: settings.monitoring,
    });

    return {
        routes: fleet.routes,
        replicationRoles: fleet.roleArns,
        buckets: fleet.bucketNames,
        warnings: fleet.warnings.map(formatDiagnostic),
        adoptedSettingChanges: fleet.adoptedSettingChanges,
    };
}

function relabel(record: RouteRecord, from: string, to: string): void {
    if (record.at.file === from) record.at = { ...record.at, file: to };
    for (const loc of Object.values(record.locs ?? {})) if (loc && loc.file === from) loc.file = to;
}
