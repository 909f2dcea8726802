/**
 * The stack config this package reads (`Pulumi.<stack>.yaml`, namespace `pulumi-s3-replication`),
 * validated with zod so a typo in config is one clear diagnostic, not a crash mid-deploy.
 */
import { z } from "zod";
import { Diagnostic, diag, kindOf } from "./diagnostics";
import { COLUMNS, Column } from "./columns";
import { FleetOptions } from "./fleet-spec";
import { FleetPlanOptions } from "./fleet-plan";
import { monitoringSettingsSchema } from "./monitoring";

export const CONFIG_NAMESPACE = "pulumi-s3-replication";

/**
 * A mapping of names to values, like z.record, but into an object without a prototype: z.record
 * drops a key named `__proto__`, and a plain object answers `constructor` or `toString` from
 * Object.prototype. Account aliases, bucket names and tag keys are ordinary names here.
 */
function ownRecord<T extends z.ZodType>(value: T) {
    return z.custom<Record<string, unknown>>(v => v !== null && typeof v === "object" && !Array.isArray(v), { error: issue => `Invalid input: expected a mapping of names to values, received ${kindOf(issue.input)}` })
        .transform((input, ctx) => {
            const out = Object.create(null) as Record<string, z.output<T>>;
            for (const [k, v] of Object.entries(input)) {
                const parsed = value.safeParse(v);
                if (parsed.success) out[k] = parsed.data;
                else for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: [k, ...issue.path] });
            }
            return out;
        });
}

const emptyRecord = <T>() => Object.create(null) as Record<string, T>;

const account = z.object({
    id: z.union([z.string(), z.number()]).transform(v => String(v)),
    roleArn: z.string().optional(),
    profile: z.string().optional(),
    externalId: z.string().optional(),
    region: z.string().optional(),
}).strict();

const bucket = z.object({
    kmsKeyArn: z.string().optional(),
    objectLock: z.boolean().optional(),
    create: z.boolean().optional(),
    replaceExistingReplication: z.boolean().optional(),
}).strict();

const shard = z.object({
    sourceAccounts: z.array(z.union([z.string(), z.number()]).transform(v => String(v))).optional(),
    sourceRegions: z.array(z.string()).optional(),
    index: z.number().int().min(0).optional(),
    count: z.number().int().min(1).optional(),
}).strict().refine(s => (s.index === undefined) === (s.count === undefined), { message: "shard.index and shard.count go together" })
    .refine(s => s.index === undefined || s.count === undefined || s.index < s.count, { message: "shard.index must be below shard.count" });

const iam = z.object({
    granularity: z.enum(["account", "bucket"]).optional(),
    quotas: z.object({
        inlineCharsPerRole: z.number().int().positive().optional(),
        managedPolicyChars: z.number().int().positive().optional(),
        managedPoliciesPerRole: z.number().int().positive().optional(),
        rolesPerAccount: z.number().int().positive().optional(),
    }).strict().optional(),
    /** Opt-in trust policy conditions (see TrustConditions: AWS documents the trust policies without them). */
    trustConditions: z.object({ sourceAccount: z.boolean().optional(), sourceArn: z.boolean().optional() }).strict().optional(),
}).strict();

const backfill = z.object({
    enabled: z.boolean().optional(),
    trigger: z.string().optional(),
    waitFor: z.enum(["none", "created", "ready", "complete"]).optional(),
    waitTimeoutSeconds: z.number().int().positive().optional(),
    confirmationRequired: z.boolean().optional(),
    priority: z.number().int().min(0).max(2147483647).optional(),
    createdBefore: z.string().optional(),
    endpoint: z.string().optional(),
    cancelOnDelete: z.boolean().optional(),
}).strict();

export const stackSettingsSchema = z.object({
    accounts: ownRecord(account).default(emptyRecord),
    manifest: z.string().optional(),
    /** XLSX sheet name (default: the first sheet). */
    manifestSheet: z.string().optional(),
    routes: z.array(ownRecord(z.unknown())).optional(),
    defaults: ownRecord(z.unknown()).default(emptyRecord),
    destinationTemplate: z.string().optional(),
    buckets: ownRecord(bucket).default(emptyRecord),
    iam: iam.default({}),
    shard: shard.optional(),
    strict: z.boolean().default(false),
    rtcUnsupportedRegions: z.array(z.string()).optional(),
    reportBucketTemplate: z.string().optional(),
    defaultTags: ownRecord(z.string()).default(emptyRecord),
    backfill: backfill.default({}),
    /** Replication metrics, alarms, dashboards, alert topics and failure events (see MonitoringSettings). */
    monitoring: monitoringSettingsSchema.default({}),
}).strict();

export type StackSettings = z.infer<typeof stackSettingsSchema>;

export const STACK_SETTING_KEYS = Object.keys(stackSettingsSchema.shape) as Array<keyof StackSettings>;

/**
 * Parse the config map (keys without namespace). Values may be JSON strings, as Pulumi hands
 * structured config to programs.
 */
export function parseStackSettings(raw: Record<string, unknown>): { settings?: StackSettings; diagnostics: Diagnostic[] } {
    const diagnostics: Diagnostic[] = [];
    const decoded = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(raw)) {
        if (typeof v === "string" && k !== "manifest" && k !== "manifestSheet" && k !== "destinationTemplate" && k !== "reportBucketTemplate") {
            try { decoded[k] = JSON.parse(v); } catch { decoded[k] = v; }
        } else decoded[k] = v;
    }
    const parsed = stackSettingsSchema.safeParse(decoded);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            const path = [CONFIG_NAMESPACE + ":" + String(issue.path[0] ?? ""), ...issue.path.slice(1).map(String)].join(".");
            diagnostics.push(diag("INVALID_CONFIG", `stack config ${path}: ${issue.message}.`, { path }));
        }
        return { diagnostics };
    }
    const settings = parsed.data;
    for (const key of Object.keys(settings.defaults)) {
        if (!(COLUMNS as readonly string[]).includes(key)) {
            diagnostics.push(diag("INVALID_CONFIG", `stack config ${CONFIG_NAMESPACE}:defaults.${key} is not a manifest column; use one of ${COLUMNS.join(", ")}.`, { path: `${CONFIG_NAMESPACE}:defaults.${key}` }));
        }
    }
    return { settings, diagnostics };
}

/** `column=value` pairs from `--set`, checked against the columns. */
export function parseSetPairs(pairs: readonly string[]): { values: Partial<Record<Column, string>>; diagnostics: Diagnostic[] } {
    const values: Partial<Record<Column, string>> = {};
    const diagnostics: Diagnostic[] = [];
    for (const pair of pairs) {
        const eq = pair.indexOf("=");
        const key = eq < 0 ? pair : pair.slice(0, eq);
        const column = (COLUMNS as readonly string[]).find(c => c.replace(/_/g, "") === key.toLowerCase().replace(/[\s_-]/g, "")) as Column | undefined;
        if (eq < 0 || !column) {
            diagnostics.push(diag("INVALID_CONFIG", `--set ${pair}: expected column=value with a manifest column (${COLUMNS.join(", ")}).`, { path: "--set" }));
            continue;
        }
        values[column] = pair.slice(eq + 1);
    }
    return { values, diagnostics };
}

/** Options for validation and planning from settings plus `--set` values (which win). */
export function fleetOptionsFrom(settings: StackSettings, set: Partial<Record<Column, string>> = {}): FleetOptions & FleetPlanOptions {
    const template = settings.reportBucketTemplate;
    return {
        accounts: settings.accounts,
        defaults: { ...(settings.defaults as Partial<Record<Column, unknown>>), ...set },
        ...(settings.destinationTemplate ? { destinationTemplate: settings.destinationTemplate } : {}),
        buckets: settings.buckets,
        ...(settings.rtcUnsupportedRegions ? { rtcUnsupportedRegions: settings.rtcUnsupportedRegions } : {}),
        ...(settings.iam.quotas ? { quotas: settings.iam.quotas } : {}),
        ...(settings.iam.granularity ? { roleGranularity: settings.iam.granularity } : {}),
        ...(settings.iam.trustConditions ? { trustConditions: settings.iam.trustConditions } : {}),
        ...(template ? { reportBucketName: (account: string, region: string) => template.replace("{account}", account).replace("{region}", region) } : {}),
    };
}
