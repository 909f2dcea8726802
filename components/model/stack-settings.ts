/**
 * The stack config this package reads (`Pulumi.<stack>.yaml`, namespace `pulumi-s3-replication`),
 * validated with zod so a typo in config is one clear diagnostic, not a crash mid-deploy.
 */
import { z } from "zod";
import { Diagnostic, diag, kindOf } from "./diagnostics";
import { COLUMNS, Column, closestName } from "./columns";
import { FleetOptions } from "./fleet-spec";
import { FleetPlanOptions } from "./fleet-plan";
import { monitoringSettingsSchema } from "./monitoring";

export const CONFIG_NAMESPACE = "pulumi-s3-replication";

/**
 * A mapping of names to values, like z.record, but into an object without a prototype: z.record
 * drops a key named `__proto__`, and a plain object answers `constructor` or `toString` from
 * Object.prototype. Account aliases, bucket names and tag keys are ordinary names here.
 */
/** The value schema of each ownRecord, for naming the keys a misspelled one was meant to be. */
const RECORD_VALUES = new WeakMap<object, z.ZodType>();

function ownRecord<T extends z.ZodType>(value: T) {
    const schema = z
        .custom<Record<string, unknown>>(v => v !== null && typeof v === "object" && !Array.isArray(v), {
            error: issue => `Invalid input: expected a mapping of names to values, received ${kindOf(issue.input)}`,
        })
        .transform((input, ctx) => {
            const out = Object.create(null) as Record<string, z.output<T>>;
            for (const [k, v] of Object.entries(input)) {
                const parsed = value.safeParse(v);
                if (parsed.success) out[k] = parsed.data;
                // Unrecognized keys keep their kind, so they can be named with a suggestion.
                else
                    for (const issue of parsed.error.issues) {
                        if (issue.code === "unrecognized_keys")
                            ctx.addIssue({ code: "unrecognized_keys", keys: issue.keys, message: issue.message, path: [k, ...issue.path], input: issue.input });
                        else ctx.addIssue({ code: "custom", message: issue.message, path: [k, ...issue.path] });
                    }
            }
            return out;
        });
    RECORD_VALUES.set(schema, value);
    return schema;
}

const emptyRecord = <T>() => Object.create(null) as Record<string, T>;

const account = z
    .object({
        id: z.union([z.string(), z.number()]).transform(v => String(v)),
        roleArn: z.string().optional(),
        profile: z.string().optional(),
        externalId: z.string().optional(),
        region: z.string().optional(),
    })
    .strict();

const bucket = z
    .object({
        kmsKeyArn: z.string().optional(),
        objectLock: z.boolean().optional(),
        create: z.boolean().optional(),
        replaceExistingReplication: z.boolean().optional(),
        adoptedSettings: z.enum(["keep", "harden"]).optional(),
    })
    .strict();

const shard = z
    .object({
        sourceAccounts: z.array(z.union([z.string(), z.number()]).transform(v => String(v))).optional(),
        sourceRegions: z.array(z.string()).optional(),
        index: z.number().int().min(0).optional(),
        count: z.number().int().min(1).optional(),
        bucketAccounts: z.array(z.union([z.string(), z.number()]).transform(v => String(v))).optional(),
        bucketRegions: z.array(z.string()).optional(),
    })
    .strict()
    .refine(s => (s.index === undefined) === (s.count === undefined), { message: "shard.index and shard.count go together" })
    .refine(s => s.index === undefined || s.count === undefined || s.index < s.count, { message: "shard.index must be below shard.count" });

const iam = z
    .object({
        granularity: z.enum(["account", "bucket"]).optional(),
        quotas: z
            .object({
                inlineCharsPerRole: z.number().int().positive().optional(),
                managedPolicyChars: z.number().int().positive().optional(),
                managedPoliciesPerRole: z.number().int().positive().optional(),
                rolesPerAccount: z.number().int().positive().optional(),
            })
            .strict()
            .optional(),
        /** Opt-in trust policy conditions (see TrustConditions: AWS documents the trust policies without them). */
        trustConditions: z.object({ sourceAccount: z.boolean().optional(), sourceArn: z.boolean().optional() }).strict().optional(),
        /** Roles per source account, sources spread over them by a hash of their names (default 16). */
        roleSlots: z.number().int().min(1).max(1000).optional(),
    })
    .strict();

const backfill = z
    .object({
        enabled: z.boolean().optional(),
        trigger: z.string().optional(),
        waitFor: z.enum(["none", "created", "ready", "complete"]).optional(),
        waitTimeoutSeconds: z.number().int().positive().optional(),
        confirmationRequired: z.boolean().optional(),
        priority: z.number().int().min(0).max(2147483647).optional(),
        createdBefore: z.string().optional(),
        endpoint: z.string().optional(),
        cancelOnDelete: z.boolean().optional(),
    })
    .strict();

export const stackSettingsSchema = z
    .object({
        accounts: ownRecord(account).default(emptyRecord),
        manifest: z.string().optional(),
        /** XLSX sheet name (default: the first sheet). */
        manifestSheet: z.string().optional(),
        routes: z.array(ownRecord(z.unknown())).optional(),
        defaults: ownRecord(z.unknown()).default(emptyRecord),
        destinationTemplate: z.string().optional(),
        buckets: ownRecord(bucket).default(emptyRecord),
        /** Adopted buckets keep their encryption, ownership and public access block (`keep`, default) or get this package's (`harden`). */
        adoptedSettings: z.enum(["keep", "harden"]).optional(),
        iam: iam.default({}),
        shard: shard.optional(),
        strict: z.boolean().default(false),
        rtcUnsupportedRegions: z.array(z.string()).optional(),
        reportBucketTemplate: z.string().optional(),
        defaultTags: ownRecord(z.string()).default(emptyRecord),
        backfill: backfill.default({}),
        /** Replication metrics, alarms, dashboards, alert topics and failure events (see MonitoringSettings). */
        monitoring: monitoringSettingsSchema.default({}),
    })
    .strict();

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
            try {
                decoded[k] = JSON.parse(v);
            } catch {
                decoded[k] = v;
            }
        } else decoded[k] = v;
    }
    const parsed = stackSettingsSchema.safeParse(decoded);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            if (issue.code === "unrecognized_keys") {
                // A misspelled key is named with the key it was probably meant to be.
                const known = objectKeysAt(stackSettingsSchema, issue.path) ?? [];
                for (const key of issue.keys) {
                    const path = configPath([...issue.path, key]);
                    const near = closestName(key, known);
                    diagnostics.push(
                        diag(
                            "INVALID_CONFIG",
                            `stack config ${path} is not a setting of this package${near ? `; did you mean ${configPath([...issue.path, near])}?` : known.length ? `; the settings here are ${known.join(", ")}.` : "."}`,
                            { path },
                        ),
                    );
                }
                continue;
            }
            const path = configPath(issue.path);
            diagnostics.push(diag("INVALID_CONFIG", `stack config ${path}: ${issue.message}.`, { path }));
        }
        return { diagnostics };
    }
    const settings = parsed.data;
    for (const key of Object.keys(settings.defaults)) {
        if (!(COLUMNS as readonly string[]).includes(key)) {
            diagnostics.push(
                diag("INVALID_CONFIG", `stack config ${CONFIG_NAMESPACE}:defaults.${key} is not a manifest column; use one of ${COLUMNS.join(", ")}.`, {
                    path: `${CONFIG_NAMESPACE}:defaults.${key}`,
                }),
            );
        }
    }
    return { settings, diagnostics };
}

/** `pulumi-s3-replication:key.sub.path` for a path into the settings. */
function configPath(path: readonly PropertyKey[]): string {
    return [`${CONFIG_NAMESPACE}:${String(path[0] ?? "")}`, ...path.slice(1).map(String)].join(".");
}

/** The zod schema internals walked to find which keys an object accepts (zod 4 `def`). */
interface SchemaNode {
    def: { type: string; innerType?: SchemaNode; in?: SchemaNode; valueType?: SchemaNode };
    shape?: Record<string, SchemaNode>;
}

/** The keys the object schema at `path` accepts, or undefined when there is no object there. */
function objectKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] | undefined {
    const unwrap = (n: SchemaNode | undefined): SchemaNode | undefined => {
        let cur = n;
        while (
            cur &&
            !RECORD_VALUES.has(cur) &&
            (cur.def.type === "optional" || cur.def.type === "default" || cur.def.type === "nullable" || cur.def.type === "pipe")
        ) {
            cur = cur.def.innerType ?? cur.def.in;
        }
        return cur;
    };
    let node = unwrap(schema as SchemaNode);
    for (const segment of path) {
        const recordValue = node ? RECORD_VALUES.get(node) : undefined;
        if (recordValue) node = unwrap(recordValue as unknown as SchemaNode);
        else if (node?.def.type === "object" && node.shape) node = unwrap(node.shape[String(segment)]);
        else if (node?.def.type === "record") node = unwrap(node.def.valueType);
        else return undefined;
    }
    return node?.def.type === "object" && node.shape ? Object.keys(node.shape) : undefined;
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
        ...(settings.iam.roleSlots !== undefined ? { roleSlots: settings.iam.roleSlots } : {}),
        // Rendered as the stack renders them: metrics off when the stack turns them off.
        ...(settings.monitoring?.metrics === false ? { replicationMetrics: false } : {}),
        ...(template ? { reportBucketName: (account: string, region: string) => template.replace("{account}", account).replace("{region}", region) } : {}),
    };
}
