/**
 * The plugin's entry point: package.json `main`, which `@pulumi/pulumi/cmd/run-plugin` requires
 * when the nodejs language host runs this package as a plugin (PulumiPlugin.yaml). It exports one
 * function and no component class: run-plugin calls an exported function, whereas exported
 * ComponentResource classes would make it start its own component host, which cannot serve the
 * backfill job (a custom resource).
 */
import * as fs from "fs";
import * as path from "path";
import { main } from "@pulumi/pulumi/provider";
import { useProviderHostedBatchJobs } from "../components/batch-replication-job";
import { S3ReplicationProvider } from "./provider";

/** Serve the provider over gRPC; the engine's address is the first argument, the port goes to stdout. */
function servePlugin(): Promise<void> {
    // A fleet constructed here is for another language: its jobs are this provider's resources.
    useProviderHostedBatchJobs();
    // Written by the build from the cross-language surface (provider/schema.ts).
    const schema = fs.readFileSync(path.join(__dirname, "schema.json"), "utf8");
    return main(new S3ReplicationProvider(schema), process.argv.slice(2));
}

export = servePlugin;
