/** `s3-replication validate`: output, exit codes 0/1/2, --json, --strict, --set, --stack. */
import { expect } from "chai";
import * as path from "path";
import { ValidateCommandOptions, runValidate } from "../cli/validate-command";
import { COLUMNS } from "../components/model";

const FIXTURES = path.relative(process.cwd(), path.join(__dirname, "fixtures", "manifests"));
const STACKS = path.join(FIXTURES, "stacks");
const fixture = (...p: string[]) => path.join(FIXTURES, ...p);

async function run(file: string | undefined, opts: ValidateCommandOptions = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runValidate(file, { stacksDir: STACKS, ...opts }, { out: s => out.push(s), err: s => err.push(s) });
    return { code, out, err };
}

interface WireDiagnostic {
    file?: string;
    row?: number;
    column?: string;
    code: string;
    severity: string;
    message: string;
}
interface WireResult {
    ok: boolean;
    errors: WireDiagnostic[];
    warnings: WireDiagnostic[];
}

function json(lines: string[]): WireResult {
    expect(lines).to.have.length(1);
    return JSON.parse(lines[0]) as WireResult;
}

describe("validate command", () => {
    it("exits 0 for a clean manifest and prints the counts", async () => {
        const r = await run(fixture("clean.csv"), { stack: "fixture" });
        expect(r.code).to.equal(0);
        expect(r.err).to.deep.equal([]);
        expect(r.out).to.deep.equal([`0 errors, 0 warnings in ${fixture("clean.csv")} (5 routes)`]);
    });

    it("exits 1 with one `file:row:col severity CODE message` line per problem, then the counts", async () => {
        const r = await run(fixture("codes", "invalid-region.csv"), { stack: "fixture" });
        expect(r.code).to.equal(1);
        expect(r.out).to.have.length(2);
        expect(r.out[0]).to.match(
            new RegExp(
                `^${fixture("codes", "invalid-region.csv").replace(/[.\\/]/g, "\\$&")}:2:destination_region error INVALID_REGION "us-esat-1" is not an AWS Region`,
            ),
        );
        expect(r.out[1]).to.equal(`1 error, 0 warnings in ${fixture("codes", "invalid-region.csv")} (1 route)`);
    });

    it("exits 2 when the manifest cannot be read, writing to stderr", async () => {
        const r = await run(fixture("does-not-exist.csv"), { stack: "fixture" });
        expect(r.code).to.equal(2);
        expect(r.out).to.deep.equal([]);
        expect(r.err[0]).to.match(/does-not-exist\.csv::? ?error MANIFEST_UNREADABLE cannot read the manifest: no such file/);
        const quote = await run(fixture("codes", "unreadable-quote.csv"), { stack: "fixture" });
        expect(quote.code).to.equal(2);
    });

    it("exits 2 for wrong usage: no manifest, a malformed --set, an unknown or invalid stack", async () => {
        expect((await run(undefined)).code).to.equal(2);
        const set = await run(fixture("clean.csv"), { stack: "fixture", set: ["colour=blue"] });
        expect(set.code).to.equal(2);
        expect(set.err.join("\n")).to.contain("INVALID_CONFIG --set colour=blue");
        const unknown = await run(fixture("clean.csv"), { stack: "nope" });
        expect(unknown.code).to.equal(2);
        expect(unknown.err.join("\n")).to.contain("known stacks: broken, fixture, inline, routes, typo");
        const broken = await run(fixture("clean.csv"), { stack: "broken" });
        expect(broken.code).to.equal(2);
        expect(broken.err.join("\n")).to.contain("pulumi-s3-replication:iam.granularity");
    });

    it("reports stack config mistakes that do not stop validation with the manifest's (exit 1)", async () => {
        const r = await run(fixture("codes", "missing-field.csv"), { stack: "typo", set: ["source_region=us-east-1"] });
        expect(r.code).to.equal(1);
        expect(r.out[0]).to.equal(
            `pulumi-s3-replication:defaults.colour error INVALID_CONFIG stack config pulumi-s3-replication:defaults.colour is not a manifest column; use one of ${COLUMNS.join(", ")}.`,
        );
        expect(r.out[1]).to.match(/^1 error, 0 warnings in .*missing-field\.csv \(2 routes\)$/);
    });

    it("--json prints {ok, errors, warnings} with file, row, column, code, severity and message", async () => {
        const r = await run(fixture("codes", "invalid-storage-class.csv"), { stack: "fixture", json: true });
        expect(r.code).to.equal(1);
        const body = json(r.out);
        expect(Object.keys(body)).to.deep.equal(["ok", "errors", "warnings"]);
        expect(body.ok).to.equal(false);
        expect(body.warnings).to.deep.equal([]);
        expect(body.errors).to.have.length(1);
        expect(Object.keys(body.errors[0])).to.deep.equal(["file", "row", "column", "code", "severity", "message"]);
        expect(body.errors[0]).to.include({
            file: fixture("codes", "invalid-storage-class.csv"),
            row: 2,
            column: "storage_class",
            code: "INVALID_STORAGE_CLASS",
            severity: "error",
        });

        const clean = await run(fixture("clean.csv"), { stack: "fixture", json: true });
        expect(clean.code).to.equal(0);
        expect(json(clean.out)).to.deep.equal({ ok: true, errors: [], warnings: [] });

        const unreadable = await run(fixture("nope.csv"), { json: true });
        expect(unreadable.code).to.equal(2);
        expect(json(unreadable.out).errors.map(d => d.code)).to.deep.equal(["MANIFEST_UNREADABLE"]);
    });

    it("--strict turns warnings into errors (exit 0 -> 1)", async () => {
        const file = fixture("codes", "two-way-not-declared.csv");
        const loose = await run(file, { stack: "fixture", json: true });
        expect(loose.code).to.equal(0);
        expect(json(loose.out).warnings.map(d => `${d.code}@${d.row}:${d.column}`)).to.deep.equal(["TWO_WAY_NOT_DECLARED@3:bidirectional"]);
        const strict = await run(file, { stack: "fixture", json: true, strict: true });
        expect(strict.code).to.equal(1);
        const body = json(strict.out);
        expect(body.errors.map(d => `${d.code} ${d.severity}`)).to.deep.equal(["TWO_WAY_NOT_DECLARED error"]);
        expect(body.warnings).to.deep.equal([]);
        const human = await run(file, { stack: "fixture", strict: true });
        expect(human.out[human.out.length - 1]).to.match(/^1 error, 0 warnings in /);
    });

    it("--set fills a column the file lacks (the AWS blog template)", async () => {
        const blog = path.join("stacks", "manifests", "blog-template.csv");
        const without = await run(blog, { stack: "fixture" });
        expect(without.code).to.equal(1);
        expect(without.out.filter(l => l.includes("MISSING_FIELD"))).to.have.length(2);
        const withSet = await run(blog, { stack: "fixture", set: ["source_account=a", "source_region=us-east-1"] });
        expect(withSet.out).to.deep.equal([`0 errors, 0 warnings in ${blog} (3 routes)`]);
        expect(withSet.code).to.equal(0);
    });

    it("uses the stack's manifest when no file is given", async () => {
        const r = await run(undefined, { stack: "fixture" });
        expect(r.code).to.equal(0);
        expect(r.out[0]).to.match(/^0 errors, 0 warnings in .*clean\.csv \(5 routes\)$/);
        const none = await run(undefined, { stack: "typo" });
        expect(none.code).to.equal(2);
        expect(none.err.join("\n")).to.contain("stack typo has no manifest setting and no routes");
    });

    it("checks the routes listed in the stack's config too, as the program deploys them with the manifest", async () => {
        const both = await run(undefined, { stack: "inline" });
        expect(both.code).to.equal(1);
        expect(both.out).to.deep.equal([
            `pulumi-s3-replication:routes[1].destination_region error INVALID_REGION "mars-north-1" is not an AWS Region (for example us-east-1).`,
            `1 error, 0 warnings in ${fixture("clean.csv")} and pulumi-s3-replication:routes (7 routes)`,
        ]);
        const json = JSON.parse((await run(undefined, { stack: "inline", json: true })).out.join("\n"));
        expect(json.errors).to.deep.equal([
            {
                code: "INVALID_REGION",
                severity: "error",
                message: `"mars-north-1" is not an AWS Region (for example us-east-1).`,
                path: "pulumi-s3-replication:routes[1].destination_region",
            },
        ]);
        const only = await run(undefined, { stack: "routes" });
        expect(only).to.deep.include({ code: 0, out: ["0 errors, 0 warnings in pulumi-s3-replication:routes (1 route)"] });
        // A file named on the command line is checked alone, with the stack's config.
        const file = await run(fixture("clean.csv"), { stack: "inline" });
        expect(file.code).to.equal(0);
    });
});
