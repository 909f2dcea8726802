/**
 * The stacks program: stack config (and the manifest it names) in, a ReplicationFleet out.
 * Every problem in config or manifest stops the program before anything is registered.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ReplicationFleet } from "../components/replication-fleet";
import { diagnosticsMessage } from "../components/errors";
import { INLINE_ROUTES_PATH, loadStackRoutes } from "../components/manifest/load";
import {
    CONFIG_NAMESPACE, Column, Diagnostic, RouteRecord, STACK_SETTING_KEYS, formatDiagnostic, parseStackSettings,
} from "../components/model";

/** Directory manifest paths in stack config are relative to (where the Pulumi.<stack>.yaml files are). */
export const STACK_CONFIG_DIR = __dirname;

function readConfig(): Record<string, unknown> {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const raw: Record<string, unknown> = {};
    for (const key of STACK_SETTING_KEYS) {
        const value = config.get(key);
        if (value !== undefined) raw[key] = value;
    }
    return raw;
}

export async function runStack(): Promise<Record<string, unknown>> {
    const { settings, diagnostics: configProblems } = parseStackSettings(readConfig());
    if (!settings) throw new pulumi.RunError(diagnosticsMessage(`stack ${pulumi.getStack()} config`, configProblems));

    const file = settings.manifest ? path.resolve(STACK_CONFIG_DIR, settings.manifest) : undefined;
    const loaded = await loadStackRoutes(file, settings.routes, settings.manifestSheet ? { sheet: settings.manifestSheet } : {});
    if (file) {
        // Report the manifest's path as the user would type it from where they run pulumi.
        const shown = path.relative(process.cwd(), file) || file;
        for (const r of loaded.records) relabel(r, file, shown);
        loaded.diagnostics = loaded.diagnostics.map(d => (d.file === file ? { ...d, file: shown } : d));
    }
    const loadProblems: Diagnostic[] = [...configProblems, ...loaded.diagnostics];
    if (!settings.manifest && !settings.routes) {
        loadProblems.push({ code: "INVALID_CONFIG", severity: "error", message: `stack config needs ${CONFIG_NAMESPACE}:manifest (a manifest file) or ${INLINE_ROUTES_PATH}.`, path: `${CONFIG_NAMESPACE}:manifest` });
    }

    const fleet = new ReplicationFleet("fleet", {
        records: loaded.records,
        loadDiagnostics: loadProblems,
        accounts: settings.accounts,
        defaults: settings.defaults as Partial<Record<Column, unknown>>,
        ...(settings.destinationTemplate ? { destinationTemplate: settings.destinationTemplate } : {}),
        buckets: settings.buckets,
        iam: settings.iam,
        ...(settings.rtcUnsupportedRegions ? { rtcUnsupportedRegions: settings.rtcUnsupportedRegions } : {}),
        ...(settings.reportBucketTemplate ? { reportBucketTemplate: settings.reportBucketTemplate } : {}),
        defaultTags: settings.defaultTags,
        strict: settings.strict,
        ...(settings.shard ? { shard: settings.shard } : {}),
        backfill: settings.backfill,
        monitoring: settings.monitoring,
    });
    for (const w of fleet.warnings) pulumi.log.warn(formatDiagnostic(w));

    return {
        routes: fleet.routes,
        replicationRoles: fleet.roleArns,
        buckets: fleet.bucketNames,
        warnings: fleet.warnings.map(formatDiagnostic),
    };
}

function relabel(record: RouteRecord, from: string, to: string): void {
    if (record.at.file === from) record.at = { ...record.at, file: to };
    for (const loc of Object.values(record.locs ?? {})) if (loc && loc.file === from) loc.file = to;
}
