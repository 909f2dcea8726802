/**
 * `plan`: run the stacks program offline under the Pulumi mock runtime with a stack's config,
 * and print what would be registered, grouped by account and Region.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { CONFIG_NAMESPACE, Diagnostic, diag, escapeTerminal, formatDiagnostic, parseSetPairs, safeJson } from "../components/model";
import { PLACEHOLDER_PREFIX, RecordedResource, RunResult, runUnderMocks } from "./mock-runtime";
import { REPO_ROOT, loadStackContext, noRoutesDiagnostic } from "../components/manifest/stack-file";
import { checkManifestFile } from "../components/manifest/load";
import { resolveLimits } from "../components/manifest/limits";
import { PlanProgress, ProgressOptions } from "./progress";
import { DEFAULT_MAX_DIAGNOSTICS } from "./validate-command";
import { PlanDocument, decoded, diffPlans, diffText, stateMoves } from "./plan-diff";
import { planMarkdown } from "./plan-markdown";
import { diffMarkdown } from "./diff-markdown";
import { estimateMarkdown, estimatePlan, estimateText, readEstimateFile } from "./estimate-report";
import type { EstimateFile } from "../components/model/cost";

export interface PlanOptions {
    stack: string;
    json?: boolean;
    manifest?: string;
    /** XLSX sheet (default: stack config `manifestSheet`, else the first visible sheet). */
    sheet?: string;
    set?: string[];
    /** Print at most this many problems of a failed run, then how many more (0: all). */
    maxDiagnostics?: number;
    /** Where stack files live (default: the repository's `stacks/`); for tests. */
    stacksDir?: string;
    /** The Pulumi project the stack belongs to (its URNs carry the name); default: this package's Pulumi.yaml. */
    project?: string;
    /** A base plan (`plan --json` output) to diff this plan against. */
    diff?: string;
    /** With `diff`: exit 0 even when the diff deletes or replaces resources. */
    allowDeletes?: boolean;
    /** With `diff`: base plans of the other stacks of a sharded fleet, to find resources that move between stacks. */
    shardBase?: string[];
    // ---- plan review (issue 14) ----
    /** Output format (default text; `json: true` is `format: "json"`). */
    format?: PlanFormat;
    /** A YAML/JSON file of object counts and sizes: adds the cost and capacity estimate. */
    estimate?: string;
}

export const PLAN_FORMATS = ["text", "markdown", "json"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

/** `--format`, with `--json` as its alias; a contradiction is a usage error. */
function formatOf(options: PlanOptions): PlanFormat | string {
    if (options.json && options.format !== undefined && options.format !== "json")
        return `--json and --format ${options.format} contradict each other; give one.`;
    return options.format ?? (options.json ? "json" : "text");
}
// ---- end plan review ----

export interface Io {
    out: (s: string) => void;
    err: (s: string) => void;
    /** Where to draw progress for long runs (only drawn on a terminal). */
    progress?: ProgressOptions;
}

/** Invokes the program may make, answered offline as the provider would (see provider-fixtures.ts). */
export { OFFLINE_INVOKES } from "./provider-fixtures";
import { OFFLINE_INVOKES } from "./provider-fixtures";

export function projectName(): string {
    const doc = parseYaml(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as { name: string };
    return doc.name;
}

export interface PlannedConfig {
    /** Fully qualified config for the program. */
    config: Record<string, string>;
    /** Why the plan cannot run (usage): formatted `path error CODE message` lines. */
    problems: string[];
    diagnostics: Diagnostic[];
    /** The manifest the program will read, as diagnostics name it. */
    manifest?: string;
}

/**
 * Config for the mock run: the stack file's, read by the loader `validate --stack` uses, with
 * the manifest resolved the same way (the stack's against its stack file's folder, `--manifest`
 * against the working directory) and `--sheet` and `--set` applied.
 */
export function planConfig(stack: string, manifest?: string, set: string[] = [], options: { sheet?: string; stacksDir?: string } = {}): PlannedConfig {
    const context = loadStackContext(stack, options.stacksDir);
    const fail = (diagnostics: Diagnostic[]): PlannedConfig => ({ config: {}, problems: diagnostics.map(formatDiagnostic), diagnostics });
    if (context.unusable || !context.file) return fail(context.diagnostics);
    const config: Record<string, string> = { ...context.file.pulumiConfig };
    const usage: Diagnostic[] = [];
    if (manifest !== undefined && manifest.trim() === "")
        usage.push(diag("INVALID_CONFIG", "--manifest is empty; give a manifest file or leave the option out.", { path: "--manifest" }));
    if (options.sheet !== undefined && options.sheet.trim() === "")
        usage.push(diag("INVALID_CONFIG", "--sheet is empty; give a sheet name or leave the option out.", { path: "--sheet" }));
    // The program resolves a relative manifest against its own folder: hand it an absolute path.
    const manifestPath = manifest !== undefined ? path.resolve(manifest) : context.manifestPath;
    if (manifestPath !== undefined) config[`${CONFIG_NAMESPACE}:manifest`] = manifestPath;
    else if (context.settings?.routes === undefined) usage.push(noRoutesDiagnostic(stack));
    if (options.sheet !== undefined) config[`${CONFIG_NAMESPACE}:manifestSheet`] = options.sheet;
    if (set.length > 0) {
        const { values, diagnostics } = parseSetPairs(set);
        usage.push(...diagnostics);
        const defaults = typeof context.file.settings.defaults === "object" && context.file.settings.defaults !== null ? context.file.settings.defaults : {};
        config[`${CONFIG_NAMESPACE}:defaults`] = JSON.stringify({ ...defaults, ...values });
    }
    usage.push(...resolveLimits().diagnostics);
    if (usage.length > 0) return fail(usage);
    const shown = manifest !== undefined ? manifest : context.manifest;
    return { config, problems: [], diagnostics: context.diagnostics, ...(shown !== undefined ? { manifest: shown } : {}) };
}

export async function runPlan(options: PlanOptions, io: Io): Promise<number> {
    // ---- plan review (issue 14): format and estimate file, checked before the run ----
    const format = formatOf(options);
    if (!(PLAN_FORMATS as readonly string[]).includes(format)) {
        io.err(format.includes(" ") ? format : `--format must be one of ${PLAN_FORMATS.join(", ")}, not ${JSON.stringify(format)}.`);
        return 2;
    }
    let estimate: EstimateFile | undefined;
    if (options.estimate !== undefined) {
        const read = readEstimateFile(options.estimate);
        if (!read.estimate) {
            for (const d of read.diagnostics) io.err(formatDiagnostic(d));
            io.err("plan: nothing was planned; fix the estimate file above.");
            return 2;
        }
        estimate = read.estimate;
    }
    // ---- end plan review ----
    // Base plans for --diff, read before the run: a missing or malformed one costs no planning.
    let bases: { base: PlanDocument; others: PlanDocument[] } | undefined;
    if (options.allowDeletes && options.diff === undefined) {
        io.err("--allow-deletes accepts what a --diff would refuse; without --diff it does nothing. Give --diff <base plan> or leave it out.");
        return 2;
    }
    if (options.diff !== undefined || (options.shardBase ?? []).length > 0) {
        const problems: string[] = [];
        if (options.diff === undefined) problems.push("--shard-base compares against other stacks' plans only with --diff <this stack's base plan>.");
        if (options.estimate !== undefined) problems.push("--estimate prices a plan, not a diff: run `plan --estimate` without --diff.");
        const base = options.diff !== undefined ? readBasePlan(options.diff, "--diff", problems) : undefined;
        const others = (options.shardBase ?? []).map(f => readBasePlan(f, "--shard-base", problems));
        if (problems.length > 0 || !base) {
            for (const p of problems) io.err(escapeTerminal(p));
            io.err("plan: nothing was planned; fix the base plan above.");
            return 2;
        }
        bases = { base, others: others as PlanDocument[] };
    }
    const planned = planConfig(options.stack, options.manifest, options.set, {
        ...(options.sheet !== undefined ? { sheet: options.sheet } : {}),
        ...(options.stacksDir !== undefined ? { stacksDir: options.stacksDir } : {}),
    });
    if (planned.problems.length) {
        for (const p of planned.problems) io.err(p);
        io.err("plan: nothing was planned; fix the usage above.");
        return 2;
    }
    // A manifest that is missing, a FIFO or a device is refused as validate refuses it (exit 2), before the run.
    if (planned.manifest !== undefined) {
        const problem = await checkManifestFile(planned.manifest);
        if (problem) {
            io.err(formatDiagnostic(problem));
            return 2;
        }
    }
    const progress = new PlanProgress(io.progress);
    // Loaded here, not at the top: the program module must see the mock runtime.
    const { runStack } = await import("../stacks/program");
    const program = () => {
        countRegistrations(() => progress.registered());
        return runStack();
    };
    progress.start();
    let result: RunResult;
    try {
        result = await runUnderMocks(program, {
            project: options.project ?? projectName(),
            stack: options.stack,
            config: planned.config,
            invokes: OFFLINE_INVOKES,
        });
    } finally {
        progress.stop();
    }
    if (result.error) {
        printCapped(result.error.message, options.maxDiagnostics ?? DEFAULT_MAX_DIAGNOSTICS, io.err);
        return 1;
    }
    if (bases) return printDiff(options, bases, planJson(result, options.stack), io, format as PlanFormat);
    // ---- plan review (issue 14) ----
    const doc = planJson(result, options.stack);
    const cost = estimate ? estimatePlan(doc, estimate) : undefined;
    if (format === "json") io.out(safeJson(cost ? { ...doc, estimate: cost } : doc, 2));
    else if (format === "markdown") io.out([planMarkdown(doc), ...(cost ? ["", estimateMarkdown(cost)] : [])].join("\n"));
    else io.out([planText(options.stack, result), ...(cost ? ["", estimateText(cost)] : [])].join("\n").split("\n").map(escapeTerminal).join("\n"));
    // ---- end plan review ----
    return 0;
}

/** A base plan (`plan --json` output) given to `flag`, or undefined with why in `problems`. */
function readBasePlan(file: string, flag: string, problems: string[]): PlanDocument | undefined {
    try {
        const doc = JSON.parse(fs.readFileSync(file, "utf8")) as PlanDocument;
        if (!Array.isArray(doc?.resources)) throw new Error("it has no resources list");
        return doc;
    } catch (e) {
        problems.push(`${flag} ${file}: not a plan from \`plan --json\` (${(e as Error).message}).`);
        return undefined;
    }
}

/** `--diff`: exit 3 when the change deletes or replaces what must not go unnoticed, unless allowed. */
function printDiff(options: PlanOptions, bases: { base: PlanDocument; others: PlanDocument[] }, next: PlanDocument, io: Io, format: PlanFormat): number {
    const { base, others } = bases;
    const diff = diffPlans(base, next);
    const moves = stateMoves(base, next, others);
    if (format === "json") io.out(safeJson({ stack: options.stack, base: options.diff, ...diff, moves }, 2));
    else if (format === "markdown")
        io.out(diffMarkdown({ stack: options.stack, baseName: path.basename(options.diff!), diff, base, next, moves })); // plan review (issue 14)
    else {
        const lines = [diffText(diff, `for stack "${options.stack}" against ${options.diff}`)];
        if (moves.length > 0) {
            lines.push(
                "",
                `${moves.reduce((n, m) => n + m.urns.length, 0)} resource(s) move to this stack from another; move their state BEFORE \`pulumi up\` on either stack, or the other stack deletes them:`,
            );
            for (const m of moves) lines.push(`  ${m.command}`);
        }
        io.out(lines.join("\n").split("\n").map(escapeTerminal).join("\n"));
    }
    return (diff.destructive || moves.length > 0) && !options.allowDeletes ? 3 : 0;
}

/** The program's error: its first line, then at most `max` problem lines (0: all), escaped. */
function printCapped(message: string, max: number, write: (line: string) => void): void {
    const [first, ...rest] = message.split("\n");
    write(escapeTerminal(first));
    const shown = max > 0 ? rest.slice(0, max) : rest;
    for (const line of shown) write(escapeTerminal(line));
    if (rest.length > shown.length) {
        write(
            `  ... and ${(rest.length - shown.length).toLocaleString("en-US")} more not shown; --max-diagnostics 0 prints them all, and validate --json lists them.`,
        );
    }
}

/**
 * Count registrations for the progress line by wrapping the runtime's resource monitor; a
 * runtime without one (another harness) only loses the count.
 */
function countRegistrations(onRegister: () => void): void {
    const monitor = pulumi.runtime.getMonitor() as { registerResource?: (...args: unknown[]) => unknown } | undefined;
    const original = monitor?.registerResource;
    if (!monitor || typeof original !== "function") return;
    monitor.registerResource = (...args: unknown[]) => {
        onRegister();
        return original.apply(monitor, args);
    };
}

export interface PlanSummary {
    resources: number;
    components: number;
    routes: number;
    resourcesPerRoute: number;
    byType: Record<string, number>;
    accounts: string[];
    regions: string[];
    warnings: string[];
    /** Adopted settings (issue 10.7): each change of an adopted bucket's existing setting, `bucket: setting: before -> after`. */
    adoptedSettingChanges: string[];
}

export function summarize(result: RunResult): PlanSummary {
    const custom = result.resources.filter(r => r.custom);
    const byType: Record<string, number> = {};
    for (const r of result.resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
    const routes = Array.isArray(result.outputs.routes) ? result.outputs.routes.length : 0;
    return {
        resources: custom.length,
        components: result.resources.length - custom.length,
        routes,
        resourcesPerRoute: routes ? Math.round((custom.length / routes) * 100) / 100 : 0,
        byType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))),
        accounts: [...new Set(custom.map(r => r.account).filter((a): a is string => !!a))].sort(),
        regions: [...new Set(custom.map(r => r.region).filter((a): a is string => !!a))].sort(),
        warnings: Array.isArray(result.outputs.warnings) ? result.outputs.warnings.map(String) : [],
        adoptedSettingChanges: Array.isArray(result.outputs.adoptedSettingChanges) ? result.outputs.adoptedSettingChanges.map(String) : [], // adopted settings (issue 10.7)
    };
}

export function planJson(result: RunResult, stack?: string) {
    const nameOf = new Map(result.resources.map(r => [r.urn, r.name]));
    return {
        offline: true,
        ...(stack !== undefined ? { stack } : {}),
        resources: result.resources.map(r => ({
            type: r.type,
            name: r.name,
            parent: r.parent ? (nameOf.get(r.parent) ?? null) : null,
            account: r.account ?? null,
            region: r.region ?? null,
            inputs: displayInputs(r),
            urn: r.urn,
            retainOnDelete: r.retainOnDelete,
            custom: r.custom,
            parentUrn: r.parent ?? null,
            provider: r.provider?.urn ?? null,
            dependsOn: r.dependencies.map(u => nameOf.get(u) ?? u),
        })),
        outputs: result.outputs,
        summary: summarize(result),
    };
}

/** Inputs as a reader wants them: without the serialized code of dynamic providers. */
function displayInputs(r: RecordedResource): Record<string, unknown> {
    if (!("__provider" in r.inputs)) return r.inputs;
    const { __provider: _code, ...rest } = r.inputs;
    return rest;
}

export function planText(stack: string, result: RunResult): string {
    const lines: string[] = [];
    lines.push(`Offline plan for stack "${stack}": run under the Pulumi mock runtime, no AWS calls made.`);
    lines.push(
        `Values only AWS assigns (ids, generated tokens) show as "${PLACEHOLDER_PREFIX}"; an adopted bucket's existing policy is read and merged at deploy time.`,
    );
    const groups = new Map<string, RecordedResource[]>();
    for (const r of result.resources.filter(x => x.custom)) {
        const key = r.type.startsWith("pulumi:providers:") ? "providers" : `account ${r.account ?? "?"} · ${r.region ?? "?"}`;
        groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [group, rs] of [...groups].sort(([a], [b]) => (a === "providers" ? -1 : b === "providers" ? 1 : a.localeCompare(b)))) {
        lines.push("", `${group} (${rs.length})`);
        for (const r of rs) {
            const retain = r.retainOnDelete ? " [retained on delete]" : "";
            lines.push(`  + ${shortType(r.type).padEnd(42)} ${r.name}${retain}`);
            const detail = settingsOf(r);
            if (detail) lines.push(`      ${detail}`);
        }
    }
    const s = summarize(result);
    lines.push("", `Summary: ${s.resources} resources (+${s.components} components) for ${s.routes} routes, ${s.resourcesPerRoute} per route`);
    for (const [type, n] of Object.entries(s.byType)) lines.push(`  ${String(n).padStart(5)}  ${type}`);
    lines.push(`  accounts: ${s.accounts.join(", ")}`);
    lines.push(`  regions:  ${s.regions.join(", ")}`);
    if (s.warnings.length) {
        lines.push("", `Warnings (${s.warnings.length}):`, ...s.warnings.map(w => `  ${w}`));
    }
    // adopted settings (issue 10.7): what this deploy changes on buckets it did not create.
    if (s.adoptedSettingChanges.length) {
        lines.push(
            "",
            `Changes to adopted buckets' existing settings (${s.adoptedSettingChanges.length}):`,
            "  (offline, each adopted bucket is taken to have what S3 gives a new bucket: SSE-S3, BucketOwnerEnforced, all four",
            "  public-access-block flags; pulumi preview reads the real settings and reports the real changes)",
            ...s.adoptedSettingChanges.map(c => `  ~ ${c}`),
        );
    }
    return lines.join("\n");
}

function shortType(type: string): string {
    const m = /^aws:([a-z0-9]+)\/[A-Za-z0-9]+:([A-Za-z0-9]+)$/.exec(type);
    return m ? `aws.${m[1]}.${m[2]}` : type;
}

/** A replication rule as the program registers it: the parts a plan line shows. */
interface RecordedRule {
    id?: string;
    priority?: number;
    status?: string;
    filter?: { prefix?: string; tag?: unknown; and?: { tags?: unknown } };
    destination?: {
        bucket?: string;
        storageClass?: string;
        accessControlTranslation?: unknown;
        encryptionConfiguration?: unknown;
        replicationTime?: unknown;
        metrics?: { status?: string };
    };
    sourceSelectionCriteria?: { replicaModifications?: unknown };
    deleteMarkerReplication?: { status?: string };
}

/** The settings that matter, one line per resource. */
export function settingsOf(r: RecordedResource): string {
    const i = r.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded wire values
    switch (r.type) {
        case "pulumi:providers:aws": {
            // Provider inputs that are objects or lists arrive as JSON text (see plan-diff.ts `decoded`).
            const assumeRoles = decoded(i.assumeRoles) as Array<{ roleArn?: string }> | undefined;
            const role = Array.isArray(assumeRoles) ? assumeRoles[0]?.roleArn : undefined;
            return `region=${i.region} allowedAccountIds=${JSON.stringify(decoded(i.allowedAccountIds))}${role ? ` assumeRole=${role}` : ""}${i.profile ? ` profile=${i.profile}` : ""}`;
        }
        case "aws:s3/bucket:Bucket":
            return `bucket=${i.bucket} forceDestroy=${i.forceDestroy ?? false}${i.objectLockEnabled ? " objectLock" : ""}`;
        case "aws:s3/bucketVersioning:BucketVersioning":
            return `bucket=${i.bucket} status=${i.versioningConfiguration?.status}`;
        case "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
            return `bucket=${i.bucket} ${["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].map(k => `${k}=${i[k]}`).join(" ")}`;
        case "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
            return `bucket=${i.bucket} objectOwnership=${i.rule?.objectOwnership}`;
        case "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
            const rule = i.rules?.[0];
            const d = rule?.applyServerSideEncryptionByDefault;
            return `bucket=${i.bucket} sse=${d?.sseAlgorithm}${d?.kmsMasterKeyId ? ` key=${d.kmsMasterKeyId}` : ""}${rule?.bucketKeyEnabled ? " bucketKey" : ""}`;
        }
        case "aws:s3/bucketPolicy:BucketPolicy": {
            const doc = typeof i.policy === "string" ? JSON.parse(i.policy) : i.policy;
            return `bucket=${i.bucket} statements=${(doc?.Statement ?? []).map((s: { Sid?: string }) => s.Sid ?? "?").join(",")}`;
        }
        case "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
            return (
                `bucket=${i.bucket} role=${i.role}\n` +
                ((i.rules ?? []) as RecordedRule[])
                    .map(
                        rule =>
                            `      rule ${rule.id} p${rule.priority} ${rule.status} -> ${rule.destination?.bucket}` +
                            `${rule.destination?.storageClass ? ` ${rule.destination.storageClass}` : ""}` +
                            `${rule.filter?.prefix ? ` prefix=${rule.filter.prefix}` : ""}${rule.filter?.tag || rule.filter?.and?.tags ? " tags" : ""}` +
                            `${rule.destination?.accessControlTranslation ? " owner=Destination" : ""}` +
                            `${rule.destination?.encryptionConfiguration ? " kms" : ""}${rule.destination?.replicationTime ? " rtc" : ""}` +
                            `${rule.destination?.metrics?.status === "Enabled" ? " metrics" : ""}` +
                            `${rule.sourceSelectionCriteria?.replicaModifications ? " two-way" : ""} deleteMarkers=${rule.deleteMarkerReplication?.status}`,
                    )
                    .join("\n")
            );
        case "aws:iam/role:Role":
            return `name=${i.path ?? ""}${i.name}`;
        case "aws:iam/rolePolicy:RolePolicy":
        case "aws:iam/policy:Policy":
            return `${typeof i.policy === "string" ? i.policy.length : "?"} characters`;
        case "pulumi-nodejs:dynamic/s3-replication:BatchReplicationJob":
            return `source=${i.sourceBucket} mode=${i.mode} report=${i.reportBucket}${i.keyPrefix ? ` prefix=${i.keyPrefix}` : ""} waitFor=${i.waitFor ?? "none"}`;
        case "aws:kms/grant:Grant":
            return `key=${i.keyId} grantee=${i.granteePrincipal} operations=${(i.operations ?? []).join(",")}`;
        case "aws:sns/topic:Topic":
            return `name=${i.name}`;
        case "aws:sns/topicPolicy:TopicPolicy": {
            const doc = typeof i.policy === "string" ? JSON.parse(i.policy) : i.policy;
            return `topic=${i.arn} statements=${(doc?.Statement ?? []).map((s: { Sid?: string }) => s.Sid ?? "?").join(",")}`;
        }
        case "aws:cloudwatch/metricAlarm:MetricAlarm": {
            const what = i.metricName
                ? `${i.metricName} ${i.statistic}/${i.period}s`
                : (i.metricQueries ?? [])
                      .filter((q: { returnData?: boolean }) => q.returnData)
                      .map((q: { expression?: string }) => q.expression)
                      .join(" ");
            return `${i.name}: ${what} ${i.comparisonOperator === "GreaterThanThreshold" ? ">" : i.comparisonOperator} ${i.threshold} for ${i.evaluationPeriods} period(s) -> ${(i.alarmActions ?? []).join(",")}`;
        }
        case "aws:cloudwatch/dashboard:Dashboard":
            return `name=${i.dashboardName} widgets=${typeof i.dashboardBody === "string" ? (JSON.parse(i.dashboardBody).widgets ?? []).length : "?"}`;
        case "aws:s3/bucketNotification:BucketNotification":
            return (
                `bucket=${i.bucket} ` +
                (i.topics ?? []).map((t: { topicArn?: string; events?: string[] }) => `${(t.events ?? []).join(",")} -> ${t.topicArn}`).join("; ")
            );
        default:
            return "";
    }
}
