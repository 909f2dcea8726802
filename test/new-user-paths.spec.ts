/**
 * The paths a new user hits first (issue 14, item 4): the text plan names each account's role,
 * the fleet logs its own warnings exactly once, routes are typed for TypeScript, accounts without
 * credentials are warned about, and the AWS Storage Blog template gets its `-target` buckets.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { settingsOf } from "../cli/plan-command";
import { RecordedResource } from "../cli/mock-runtime";
import { validateManifestContent } from "../components/manifest";
import { Column, parseStackSettings, validateFleet, recordsFromObjects, Diagnostic } from "../components/model";
import { ReplicationFleet, RouteInput, SnakeCaseRouteFields } from "../components/replication-fleet";
import { T, byType, runProgram, runStackUnderMocks } from "./support/mock-runtime";

const PROD = "111111111111";
const DR = "222222222222";

/** Every console.warn line while `run` runs (where the Pulumi SDK logs without an engine). */
async function warnings<R>(run: () => Promise<R>): Promise<{ result: R; lines: string[] }> {
    const lines: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
    };
    try {
        return { result: await run(), lines };
    } finally {
        console.warn = original;
    }
}

describe("text plan: providers", () => {
    it("names the role a provider assumes and the account it is pinned to (provider inputs travel as JSON text)", () => {
        const provider = {
            type: "pulumi:providers:aws",
            inputs: {
                region: "us-east-1",
                allowedAccountIds: `["${PROD}"]`,
                assumeRoles: `[{"roleArn":"arn:aws:iam::${PROD}:role/pulumi-deployer","sessionName":"pulumi-s3-replication"}]`,
            },
        } as unknown as RecordedResource;
        expect(settingsOf(provider)).to.equal(`region=us-east-1 allowedAccountIds=["${PROD}"] assumeRole=arn:aws:iam::${PROD}:role/pulumi-deployer`);
        const profile = {
            type: "pulumi:providers:aws",
            inputs: { region: "us-east-1", allowedAccountIds: `["${PROD}"]`, profile: "dev" },
        } as unknown as RecordedResource;
        expect(settingsOf(profile)).to.equal(`region=us-east-1 allowedAccountIds=["${PROD}"] profile=dev`);
    });
});

describe("ReplicationFleet logs its own warnings", () => {
    it("once, through pulumi.log.warn, when another program builds it", async () => {
        const { lines } = await warnings(() =>
            runProgram(
                () =>
                    new ReplicationFleet("f", {
                        routes: [
                            {
                                sourceBucket: "app-east",
                                sourceAccount: PROD,
                                sourceRegion: "us-east-1",
                                destinationBucket: "app-west",
                                destinationRegion: "us-west-2",
                                createSource: true,
                                createDestination: true,
                            },
                            {
                                sourceBucket: "app-west",
                                sourceAccount: PROD,
                                sourceRegion: "us-west-2",
                                destinationBucket: "app-east",
                                destinationRegion: "us-east-1",
                            },
                        ],
                    }),
            ),
        );
        expect(lines.filter(l => l.includes("TWO_WAY_NOT_DECLARED"))).to.have.length(1);
    });

    it("once, not twice, under the stacks program", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3r-warn-"));
        const manifest = path.join(dir, "m.csv");
        fs.writeFileSync(
            manifest,
            "source_bucket,source_account,source_region,destination_bucket,destination_account,destination_region\nacme-x,prod,us-east-1,acme-x-dr,333333333333,us-west-2\n",
        );
        const { result, lines } = await warnings(() => runStackUnderMocks("prod", { manifest }));
        expect(result.error, result.error?.message).to.equal(undefined);
        expect(lines.filter(l => l.includes("ACCOUNT_WITHOUT_CREDENTIALS"))).to.have.length(1);
        expect((result.outputs.warnings as string[]).filter(w => w.includes("ACCOUNT_WITHOUT_CREDENTIALS"))).to.have.length(1);
    });
});

describe("typed routes for TypeScript", () => {
    it("every manifest column has a snake_case field, and no field names something else", () => {
        // Compile-time: the two sets are equal (npm test type-checks this file before running it).
        type Missing = Exclude<Column, keyof SnakeCaseRouteFields>;
        type Extra = Exclude<keyof SnakeCaseRouteFields, Column>;
        const none: [Missing, Extra] extends [never, never] ? true : false = true;
        expect(none).to.equal(true);
    });

    it("a misspelled column does not compile; rows read from a file (Record<string, unknown>) still do, and deploy", async () => {
        // @ts-expect-error -- `sourceBuckt` is not a column: the typo is a compile error.
        const typo: RouteInput[] = [{ sourceBuckt: "app-a" }];
        expect(typo).to.have.length(1);
        const parsed: Array<Record<string, unknown>> = JSON.parse(
            `[{"source_bucket":"app-a","source_account":"${PROD}","source_region":"us-east-1","destination_bucket":"app-a-dr","create_source":"yes","create_destination":true}]`,
        );
        const mixed: RouteInput[] = [
            ...parsed,
            {
                sourceBucket: "app-b",
                sourceAccount: PROD,
                sourceRegion: "us-east-1",
                destinationBucket: "app-b-dr",
                destination_region: "us-west-2",
                rtc: true,
                createSource: true,
                createDestination: true,
            },
        ];
        const { resources } = await runProgram(() => new ReplicationFleet("typed", { routes: mixed }));
        expect(
            byType(resources, T.replication)
                .map(r => r.inputs.bucket)
                .sort(),
        ).to.deep.equal(["app-a", "app-b"]);
    });
});

describe("ACCOUNT_WITHOUT_CREDENTIALS", () => {
    const route = (source: string, sourceAccount: string, destinationAccount: string) => ({
        source_bucket: source,
        source_account: sourceAccount,
        source_region: "us-east-1",
        destination_bucket: `${source}-dr`,
        destination_account: destinationAccount,
        destination_region: "us-west-2",
    });
    const check = (accounts: Record<string, { id: string; roleArn?: string; profile?: string }>, rows: Array<Record<string, string>>): string[] => {
        const out: Diagnostic[] = [];
        const records = recordsFromObjects(rows, { path: "routes" }, out);
        return validateFleet(records, { accounts }).diagnostics.map(d => `${d.severity} ${d.code} ${d.path}`);
    };

    it("warns, once per account at the first route naming it, when other accounts have a role or profile", () => {
        const accounts = { prod: { id: PROD, roleArn: `arn:aws:iam::${PROD}:role/deployer` }, dr: { id: DR } };
        expect(check(accounts, [route("app-a", "prod", "dr"), route("app-b", "prod", "333333333333"), route("app-c", "prod", "dr")])).to.deep.equal([
            "warning ACCOUNT_WITHOUT_CREDENTIALS routes[0].destination_account",
            "warning ACCOUNT_WITHOUT_CREDENTIALS routes[1].destination_account",
        ]);
    });

    it("is quiet when every account has one, and when none has (the ambient credentials are then meant)", () => {
        expect(
            check({ prod: { id: PROD, profile: "prod" }, dr: { id: DR, roleArn: `arn:aws:iam::${DR}:role/deployer` } }, [route("app-a", "prod", "dr")]),
        ).to.deep.equal([]);
        expect(check({ prod: { id: PROD }, dr: { id: DR } }, [route("app-a", "prod", "dr")])).to.deep.equal([]);
    });
});

describe("the AWS Storage Blog template", () => {
    const BLOG =
        "Source Bucket Name,Region,Target Storage Class,Prefix Filter,DeleteMarkerReplication,Existing Object Replication\nmedia-assets,us-west-2,STANDARD_IA,,Enabled,Disabled\nmedia-thumbs,us-west-2,GLACIER_IR,thumbs/,Disabled,Enabled\n";
    const settings = (extra: Record<string, unknown> = {}) => parseStackSettings({ accounts: { media: { id: PROD } }, ...extra }).settings!;
    const destinations = async (csv: string, extra: Record<string, unknown> = {}, set: string[] = []) => {
        const r = await validateManifestContent(csv, "csv", "blog.csv", {
            settings: settings(extra),
            set: ["source_account=media", "source_region=us-east-1", ...set],
        });
        return { codes: r.diagnostics.map(d => `${d.code}:${d.column}`), destinations: (r.spec?.routes ?? []).map(x => x.destination) };
    };

    it("defaults each destination to exactly `<source>-target`", async () => {
        expect(await destinations(BLOG)).to.deep.equal({ codes: [], destinations: ["media-assets-target", "media-thumbs-target"] });
    });

    it("yields to whatever else names the destination: a template in stack config, or --set", async () => {
        expect((await destinations(BLOG, { destinationTemplate: "{source}-dr" })).destinations).to.deep.equal(["media-assets-dr", "media-thumbs-dr"]);
        expect((await destinations(BLOG, {}, ["destination_bucket={source}-copy"])).destinations).to.deep.equal(["media-assets-copy", "media-thumbs-copy"]);
    });

    it("applies only to the blog's headers: a manifest with the package's own columns still needs a destination", async () => {
        const own = BLOG.replace("Source Bucket Name", "source_bucket");
        expect((await destinations(own)).codes).to.deep.equal(["MISSING_FIELD:destination_bucket"]);
    });
});
