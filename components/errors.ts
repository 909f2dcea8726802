import * as pulumi from "@pulumi/pulumi";
import { Diagnostic, formatDiagnostic, sortDiagnostics } from "./model";

/**
 * Stop the program before anything is registered, listing every problem at once. A RunError
 * is printed by the engine without a stack trace.
 */
export function failOnErrors(what: string, diagnostics: readonly Diagnostic[]): void {
    const errors = diagnostics.filter(d => d.severity === "error");
    if (errors.length === 0) return;
    throw new pulumi.RunError(diagnosticsMessage(what, errors));
}

export function diagnosticsMessage(what: string, diagnostics: readonly Diagnostic[]): string {
    const lines = sortDiagnostics(diagnostics).map(d => `  ${formatDiagnostic(d)}`);
    const n = diagnostics.length;
    return `${what}: ${n} problem${n === 1 ? "" : "s"}; nothing was registered. Fix them and run again:\n${lines.join("\n")}`;
}

/** Type token of a component of this package. */
export function typeToken(className: string): string {
    return `pulumi-s3-replication:index:${className}`;
}
