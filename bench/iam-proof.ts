/**
 * The IAM proof's counts, for quoting: `node -r ts-node/register/transpile-only bench/iam-proof.ts`
 * registers the example stacks and the generated fleets under mocks, runs every simulated check
 * (test/support/iam-proof.ts) and prints how many ran per graph and kind, as JSON. Exits 1 when a
 * check disagrees with AWS's rules (the mocha suite asserts the same).
 */
import { CHECK_KINDS, catalogOfWorld, prove } from "../test/support/iam-proof";
import { ProofGraphs, proofGraphs } from "../test/support/iam-fleets";

async function main(): Promise<number> {
    const graphs = await proofGraphs();
    const out: Record<string, unknown> = {};
    let total = 0;
    let failures = 0;
    for (const name of Object.keys(graphs) as Array<keyof ProofGraphs>) {
        const report = await prove(graphs[name], { trustOnly: name === "conditioned" });
        const catalog = await catalogOfWorld(graphs[name]);
        total += report.total;
        failures += report.failures.length + catalog.problems.length;
        out[report.label] = {
            simulatedChecks: report.total,
            negativeControls: report.controls,
            byKind: Object.fromEntries(CHECK_KINDS.filter(k => report.byKind[k] > 0).map(k => [k, report.byKind[k]])),
            catalogueChecks: catalog.checked,
            failures: [...report.failures, ...catalog.problems],
            limitations: report.limitations.length,
        };
    }
    console.log(JSON.stringify({ total, graphs: out }, null, 2));
    return failures === 0 ? 0 : 1;
}

main().then(
    code => process.exit(code),
    (e: unknown) => {
        console.error(e);
        process.exit(2);
    },
);
