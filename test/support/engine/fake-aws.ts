/**
 * What the engine answers for a custom resource's registration, as pulumi-aws would shape it:
 * - Check: a missing required input fails the step. Required inputs are read from the provider's
 *   own SDK (the non-optional properties of `<Resource>Args` in @pulumi/aws's .d.ts, generated from
 *   its schema), never from a list written here.
 * - Preview: the outputs are the inputs plus every computed output unknown; the id is unknown.
 * - Update: computed outputs are filled the way AWS forms them (ARNs from names and accounts).
 * The Region of a regional resource is its `region` input or its provider's.
 */
import * as fs from "fs";
import * as path from "path";
import { UNKNOWN } from "./wire";

const AWS_SDK_ROOT = path.dirname(require.resolve("@pulumi/aws/package.json"));
const requiredCache = new Map<string, string[] | undefined>();

/** Required inputs of an aws resource type, from @pulumi/aws's typings; undefined when the type is not found. */
export function requiredInputs(type: string): string[] | undefined {
    if (requiredCache.has(type)) return requiredCache.get(type);
    const m = /^aws:([a-z0-9]+)\/([A-Za-z0-9]+):([A-Za-z0-9]+)$/.exec(type);
    let out: string[] | undefined;
    if (m) {
        const file = path.join(AWS_SDK_ROOT, m[1], `${m[2]}.d.ts`);
        if (fs.existsSync(file)) {
            const text = fs.readFileSync(file, "utf8");
            const start = text.indexOf(`export interface ${m[3]}Args {`);
            if (start >= 0) {
                const body = text.slice(start, text.indexOf("\n}", start));
                out = [...body.matchAll(/^ {4}(?:readonly )?([A-Za-z0-9_]+): /gm)].map(x => x[1]);
            }
        }
    }
    requiredCache.set(type, out);
    return out;
}

export interface StepAnswer {
    id: string;
    outputs: Record<string, unknown>;
}

export interface StepContext {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    preview: boolean;
    /** The account the resource's provider is pinned to, when known. */
    account?: string;
    providerRegion?: string;
    /** A stable counter for ids the engine invents. */
    serial: number;
}

export class CheckFailure extends Error {}

/** The registration's answer, or a CheckFailure as the provider's Check would report it. */
export function answerStep(ctx: StepContext): StepAnswer {
    const { type, inputs, preview } = ctx;
    const required = requiredInputs(type) ?? [];
    const missing = required.filter(k => inputs[k] === undefined || inputs[k] === null);
    if (missing.length > 0) {
        // The bridge's Check failure for a missing required argument (pulumi-terraform-bridge
        // pkg/tfbridge/provider_test.go shows the reason text), as the engine prints a Check
        // failure ("<type> resource '<name>' has a problem: ...", pkg/resource/deploy tests).
        const snake = (k: string) => k.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);
        throw new CheckFailure(
            missing
                .map(
                    k =>
                        `${type} resource '${ctx.name}' has a problem: Missing required argument. The argument "${snake(k)}" is required, but no definition was found.. Examine values at '${ctx.name}.${k}'.`,
                )
                .join("\n"),
        );
    }
    const computed = (value: string) => (preview ? UNKNOWN : value);
    const account = ctx.account ?? "000000000000";
    const region = typeof inputs.region === "string" ? inputs.region : ctx.providerRegion;
    const partition = region?.startsWith("cn-") ? "aws-cn" : region?.startsWith("us-gov-") ? "aws-us-gov" : "aws";
    const outputs: Record<string, unknown> = { ...inputs };
    if (type.startsWith("aws:") && !type.startsWith("aws:iam/") && region && outputs.region === undefined) outputs.region = region;
    let id = computed(`${ctx.name}-${ctx.serial}`);
    switch (type) {
        case "aws:s3/bucket:Bucket": {
            const bucket = String(inputs.bucket);
            id = computed(bucket);
            outputs.arn = computed(`arn:${partition}:s3:::${bucket}`);
            outputs.bucketDomainName = computed(`${bucket}.s3.amazonaws.com`);
            outputs.bucketRegionalDomainName = computed(`${bucket}.s3.${region}.amazonaws.com`);
            outputs.forceDestroy = inputs.forceDestroy ?? false;
            break;
        }
        case "aws:iam/role:Role":
            id = computed(String(inputs.name));
            outputs.arn = computed(`arn:${partition}:iam::${account}:role${inputs.path ?? "/"}${inputs.name}`);
            outputs.uniqueId = computed(`AROA${String(ctx.serial).padStart(17, "0")}`);
            break;
        case "aws:iam/policy:Policy": {
            const arn = `arn:${partition}:iam::${account}:policy${inputs.path ?? "/"}${inputs.name}`;
            id = computed(arn);
            outputs.arn = computed(arn);
            outputs.policyId = computed(`ANPA${String(ctx.serial).padStart(17, "0")}`);
            break;
        }
        case "aws:kms/grant:Grant":
            outputs.grantId = computed(`grant-${ctx.serial}`);
            outputs.grantToken = computed(`token-${ctx.serial}`);
            break;
        default:
            if (type.startsWith("pulumi:providers:")) {
                // The engine gives providers a UUID-like id; in a preview it is the unknown id.
                id = preview ? UNKNOWN : `00000000-0000-4000-8000-${String(ctx.serial).padStart(12, "0")}`;
            }
    }
    return { id, outputs };
}
