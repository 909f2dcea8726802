/**
 * The plugin's package schema, written by the build (scripts/postbuild.js) into
 * bin/provider/schema.json: Pulumi's own component analyzer reads provider/surface.ts, so the
 * schema says exactly what `pulumi package add` would find, with the TSDoc of every argument as its
 * description. Then three things the analyzer has no notion of:
 * - BatchReplicationJob becomes a resource of the provider (CRUD), not a component, with its inputs
 *   also in its state and the external id secret;
 * - AccountProviders' `providers` are references to pulumi-aws providers;
 * - pulumi-aws is a dependency of the package, at the version installed beside it.
 *
 * Build-time only: it needs the TypeScript sources and the `typescript` package, which an installed
 * package does not have; the plugin serves the file.
 */
import * as fs from "fs";
import * as path from "path";
import { Analyzer } from "@pulumi/pulumi/provider/experimental/analyzer";
import { generateSchema } from "@pulumi/pulumi/provider/experimental/schema";
import { COMPONENT_NAMES, RESOURCE_NAMES } from "./surface";

export const PACKAGE_NAME = "pulumi-s3-replication";

/** The parts of a Pulumi package schema this file reads and writes. */
export interface PropertySpec {
    type?: string;
    $ref?: string;
    items?: PropertySpec;
    additionalProperties?: PropertySpec;
    description?: string;
    secret?: boolean;
    plain?: boolean;
    optional?: boolean;
}

export interface ResourceSpec {
    description?: string;
    isComponent?: boolean;
    inputProperties?: Record<string, PropertySpec>;
    requiredInputs?: string[];
    properties?: Record<string, PropertySpec>;
    required?: string[];
}

export interface PackageSchema {
    name: string;
    version: string;
    description?: string;
    resources: Record<string, ResourceSpec>;
    types: Record<string, unknown>;
    dependencies?: Array<{ name: string; version: string }>;
    [key: string]: unknown;
}

/** The token of one of this package's resources. */
export function token(name: string): string {
    return `${PACKAGE_NAME}:index:${name}`;
}

function packageJson(file: string): { version: string; description?: string } {
    return JSON.parse(fs.readFileSync(file, "utf8")) as { version: string; description?: string };
}

/** Analyze the surface and return the schema (about 5 s: the analyzer type-checks the sources). */
export function buildSchema(root: string = path.join(__dirname, "..")): PackageSchema {
    const pkg = packageJson(path.join(root, "package.json"));
    const dir = path.join(root, "provider");
    // The analyzer looks for its entry point through package.json's main: here, the surface itself.
    const analyzer = new Analyzer(dir, PACKAGE_NAME, { name: PACKAGE_NAME, main: "surface.js" }, new Set<string>([...COMPONENT_NAMES, ...RESOURCE_NAMES]));
    let analyzed: ReturnType<Analyzer["analyze"]>;
    try {
        analyzed = analyzer.analyze();
    } catch (e) {
        throw new Error(
            `Pulumi's component analyzer cannot read the cross-language surface (provider/surface.ts and the argument types it reaches): ${(e as Error).message}. ` +
                "Every language gets these arguments: make the type a plain interface with documented string values (keep a literal union in the TypeScript Args " +
                "that extends the *BaseArgs, as BucketReplicationArgs does), or use the `as const` object pattern for an enum; see CONTRIBUTING.md.",
            { cause: e },
        );
    }
    const { components, typeDefinitions, dependencies } = analyzed;
    const schema = generateSchema(PACKAGE_NAME, pkg.version, pkg.description ?? "", components, typeDefinitions, dependencies) as unknown as PackageSchema;

    for (const name of RESOURCE_NAMES) {
        const resource = schema.resources[token(name)];
        resource.isComponent = false;
        // A provider resource's state holds its inputs too (the provider returns them with its outputs).
        const inputs = resource.inputProperties ?? {};
        resource.properties = { ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, stripInputFlags(v)])), ...resource.properties };
        resource.required = [...new Set([...(resource.required ?? []), ...(resource.requiredInputs ?? [])])].sort();
    }
    const job = schema.resources[token("BatchReplicationJob")];
    for (const props of [job.inputProperties, job.properties]) {
        if (props?.assumeRoleExternalId) props.assumeRoleExternalId.secret = true;
    }

    const awsVersion = packageJson(require.resolve("@pulumi/aws/package.json", { paths: [root] })).version;
    const providers = schema.resources[token("AccountProviders")].properties?.providers;
    if (providers) providers.additionalProperties = { $ref: `/aws/v${awsVersion}/schema.json#/provider` };
    schema.dependencies = [...(schema.dependencies ?? []).filter(d => d.name !== "aws"), { name: "aws", version: awsVersion }];
    return schema;
}

function stripInputFlags(spec: PropertySpec): PropertySpec {
    const { plain: _plain, optional: _optional, ...rest } = spec;
    return rest;
}

/** Write the schema where the compiled plugin reads it. */
export function writeSchema(file: string, root?: string): PackageSchema {
    const schema = buildSchema(root);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(schema, null, 2) + "\n");
    return schema;
}
