/** Synthetic fleets for the benchmark and the scale tests: cross-account routes, deterministic. */

export interface SyntheticFleetOptions {
    routes: number;
    /** Source accounts the routes are spread over (round robin). Default 20. */
    sourceAccounts?: number;
    /** Destinations per source bucket (one-to-many). Default 1. */
    destinationsPerSource?: number;
}

export const DR_ACCOUNT = "999999999999";

export function sourceAccountId(i: number): string {
    return String(100000000000 + i);
}

/** Rows keyed by manifest column, as a manifest or `routes` config would give them. */
export function syntheticRoutes(options: SyntheticFleetOptions): Array<Record<string, string>> {
    const accounts = options.sourceAccounts ?? 20;
    const fanOut = options.destinationsPerSource ?? 1;
    const rows: Array<Record<string, string>> = [];
    for (let i = 0; rows.length < options.routes; i++) {
        const account = sourceAccountId(i % accounts);
        const source = `fleet-src-${String(i).padStart(5, "0")}-${account}`;
        for (let d = 0; d < fanOut && rows.length < options.routes; d++) {
            rows.push({
                source_bucket: source,
                source_account: account,
                source_region: i % 2 === 0 ? "us-east-1" : "eu-west-1",
                destination_bucket: `fleet-dst-${String(i).padStart(5, "0")}-${d}`,
                destination_account: DR_ACCOUNT,
                destination_region: i % 2 === 0 ? "us-west-2" : "eu-central-1",
                storage_class: "STANDARD_IA",
                // The sources exist (adopted); the replicas are new.
                create_destination: "true",
            });
        }
    }
    return rows;
}
