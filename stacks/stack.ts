/**
 * The fleet program for a Pulumi project of your own (`pulumi-s3-replication/stack`): the same
 * program as this repository's stacks, reading your stack files and the manifest they name.
 *
 * ```ts
 * // index.ts of a project made by `npx s3-replication init`
 * import { runStack, useCheapBookkeepingStackTraces } from "pulumi-s3-replication/stack";
 * useCheapBookkeepingStackTraces();
 * export = () => runStack({ stackConfigDir: "." });
 * ```
 */
export * from "./program";
export { useCheapBookkeepingStackTraces } from "../components/stack-traces";
