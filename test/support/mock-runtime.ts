/** Test access to the mock-runtime recorder and the example stacks. */
import { RunResult, runUnderMocks, RecordedResource, InvokeHandler } from "../../cli/mock-runtime";
import { OFFLINE_INVOKES, planConfig, projectName } from "../../cli/plan-command";
import { AWS_TYPES } from "../../cli/aws-types";

export * from "../../cli/mock-runtime";

/** Run an example stack (stacks/Pulumi.<stack>.yaml) under mocks, exactly as `plan` does. */
export async function runStackUnderMocks(
    stack: string,
    options: { manifest?: string; set?: string[]; invokes?: Record<string, InvokeHandler> } = {},
): Promise<RunResult> {
    const { config, problems } = planConfig(stack, options.manifest, options.set);
    if (problems.length) throw new Error(problems.join("\n"));
    const { runStack } = await import("../../stacks/program");
    return runUnderMocks(runStack, { project: projectName(), stack, config, invokes: { ...OFFLINE_INVOKES, ...options.invokes } });
}

/**
 * Run a program function under mocks; fails the test on a program error unless `allowError`.
 * Invokes are answered as the provider answers them in the offline world (provider-fixtures.ts)
 * unless the test gives its own.
 */
export async function runProgram(
    program: () => unknown,
    options: { invokes?: Record<string, InvokeHandler>; config?: Record<string, string>; allowError?: boolean } = {},
): Promise<RunResult> {
    const result = await runUnderMocks(program, { project: "test", stack: "test", config: options.config ?? {}, invokes: options.invokes ?? OFFLINE_INVOKES });
    if (result.error && !options.allowError) throw result.error;
    return result;
}

export const byType = (resources: RecordedResource[], type: string) => resources.filter(r => r.type === type);

export const T = AWS_TYPES;
