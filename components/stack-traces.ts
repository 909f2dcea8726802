/**
 * Stack traces that cost nothing when nobody reads them.
 *
 * The Pulumi SDK takes a stack trace for every promise it tracks (runtime/debuggable.ts
 * `debuggablePromise`: `new Error().stack`) and a full one for every resource
 * (resource.ts `Resource.callsites`). Under the CLI's launcher each frame of each trace is mapped
 * through source maps (source-map-support, registered by @pulumi/pulumi/cmd/run and by ts-node),
 * which dominates a large fleet's run time: about 20 ms per resource, minutes for thousands of
 * routes. Those traces are bare `new Error()`s, never shown to anyone; errors with a message are
 * still formatted by the previous formatter, source maps and all.
 */
type Formatter = NonNullable<typeof Error.prepareStackTrace>;

const INSTALLED = Symbol.for("pulumi-s3-replication/plain-stack-traces");

/** Format the SDK's bookkeeping traces without source-map lookups, for the rest of the process. */
export function useCheapBookkeepingStackTraces(): void {
    const holder = Error as unknown as Record<symbol, boolean>;
    if (holder[INSTALLED]) return;
    holder[INSTALLED] = true;
    const mapped: Formatter | undefined = Error.prepareStackTrace;
    const plain: Formatter = (error, frames) => `${String(error)}${frames.map(f => `\n    at ${String(f)}`).join("")}`;
    Error.prepareStackTrace = (error, frames) => {
        const bookkeeping = error instanceof Error && error.message === "" && error.constructor === Error;
        return (bookkeeping || !mapped ? plain : mapped)(error, frames);
    };
}
