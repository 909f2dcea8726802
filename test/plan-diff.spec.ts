/**
 * `plan --diff`: known edits of the prod example give exactly the expected lines and exit codes.
 * The base is main's plan (`plan --json`); the edit is planned and compared by URN.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runPlan } from "../cli/plan-command";
import { diffPlans, PlanDocument } from "../cli/plan-diff";

const STACKS = path.join(__dirname, "..", "stacks");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3r-diff-"));
const manifest = fs
    .readFileSync(path.join(STACKS, "manifests", "prod.csv"), "utf8")
    .trimEnd()
    .split("\n");

async function plan(args: {
    manifest?: string;
    stacksDir?: string;
    diff?: string;
    allowDeletes?: boolean;
    json?: boolean;
    shardBase?: string[];
    estimate?: string;
}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPlan({ stack: "prod", ...args }, { out: s => out.push(s), err: s => err.push(s) });
    return { code, out: out.join("\n"), err: err.join("\n") };
}

function file(name: string, lines: string[]): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, lines.join("\n") + "\n");
    return p;
}

describe("plan --diff on known edits of the prod example", function () {
    this.timeout(60_000);
    const base = path.join(dir, "base.json");

    before(async () => {
        const r = await plan({ json: true });
        expect(r.code, r.err).to.equal(0);
        fs.writeFileSync(base, r.out);
    });

    it("a base that is not a plan, or --shard-base without --diff, is a usage error before anything is planned (exit 2)", async () => {
        const notPlan = file("not-a-plan.json", ['{"hello": "world"}']);
        const missing = path.join(dir, "missing.json");
        const bad = await plan({ diff: notPlan, shardBase: [missing] });
        expect(bad.code).to.equal(2);
        expect(bad.out).to.equal("");
        expect(bad.err.split("\n")).to.deep.equal([
            `--diff ${notPlan}: not a plan from \`plan --json\` (it has no resources list).`,
            `--shard-base ${missing}: not a plan from \`plan --json\` (ENOENT: no such file or directory, open '${missing}').`,
            "plan: nothing was planned; fix the base plan above.",
        ]);
        const alone = await plan({ shardBase: [base] });
        expect(alone.code).to.equal(2);
        expect(alone.err.split("\n")[0]).to.equal("--shard-base compares against other stacks' plans only with --diff <this stack's base plan>.");
        // Options that would otherwise do nothing are refused too, rather than silently ignored.
        const priced = await plan({ diff: base, estimate: path.join(STACKS, "estimates", "prod.yaml") });
        expect([priced.code, priced.err.split("\n")[0]]).to.deep.equal([2, "--estimate prices a plan, not a diff: run `plan --estimate` without --diff."]);
        const allowed = await plan({ allowDeletes: true });
        expect(allowed.code).to.equal(2);
        expect(allowed.err).to.include("--allow-deletes");
    });

    it("the same manifest: nothing changes, exit 0", async () => {
        const r = await plan({ diff: base });
        expect(r.code).to.equal(0);
        expect(r.out.split("\n").slice(1, 3)).to.deep.equal([
            "Safety: 0 buckets deleted, 0 buckets replaced, 0 bucket settings deleted or replaced, 0 roles deleted or replaced, 0 policies or grants deleted or replaced, 0 replication configurations deleted or replaced, 0 rules added, 0 rules changed, 0 rules removed, 0 backfill jobs started.",
            "Changes: 0 to create, 0 to update, 0 to replace, 0 to delete, 68 unchanged.",
        ]);
    });

    it("a second route between the same buckets (another prefix): one rule and its alarms added, nothing renamed, exit 0", async () => {
        const added = manifest[1].replace(/^(acme-prod-orders,prod,us-east-1,acme-dr-orders,dr,us-west-2),,/, "$1,exports/,");
        const r = await plan({ manifest: file("second-route.csv", [...manifest, added]), diff: base });
        expect(r.code, r.out).to.equal(0);
        const lines = r.out.split("\n");
        expect(lines[1]).to.equal(
            "Safety: 0 buckets deleted, 0 buckets replaced, 0 bucket settings deleted or replaced, 0 roles deleted or replaced, 0 policies or grants deleted or replaced, 0 replication configurations deleted or replaced, 1 rule added, 0 rules changed, 0 rules removed, 0 backfill jobs started.",
        );
        expect(lines.filter(l => /^ {0,2}[+~-]/.test(l)).map(l => l.trim().replace(/\s+/g, " "))).to.deep.equal([
            "~ aws.s3.BucketReplicationConfig acme-prod-orders-replication (111111111111 · us-east-1)",
            "~ aws.cloudwatch.Dashboard dashboard-111111111111-us-east-1 (111111111111 · us-east-1)",
            "+ aws.cloudwatch.MetricAlarm alarm-failed-acme-prod-orders-to-acme-dr-orders-94e104bd (111111111111 · us-east-1)",
            // The copied row has RTC on: its latency alarm comes too.
            "+ aws.cloudwatch.MetricAlarm alarm-latency-acme-prod-orders-to-acme-dr-orders-94e104bd (111111111111 · us-west-2)",
        ]);
        expect(r.out).to.match(/rules: \+ to-acme-dr-orders-94e104bd$/m);
    });

    it("one route's storage class: its rule changes in place, exit 0", async () => {
        const edited = manifest.map(l => (l.startsWith("acme-prod-analytics,") ? l.replace("INTELLIGENT_TIERING", "GLACIER_IR") : l));
        const r = await plan({ manifest: file("storage.csv", edited), diff: base });
        expect(r.code).to.equal(0);
        expect(r.out.split("\n").slice(1, 3)).to.deep.equal([
            "Safety: 0 buckets deleted, 0 buckets replaced, 0 bucket settings deleted or replaced, 0 roles deleted or replaced, 0 policies or grants deleted or replaced, 0 replication configurations deleted or replaced, 0 rules added, 1 rule changed, 0 rules removed, 0 backfill jobs started.",
            "Changes: 0 to create, 1 to update, 0 to replace, 0 to delete, 67 unchanged.",
        ]);
        expect(r.out).to.include("rules: ~ to-acme-dr-analytics");
    });

    it("a route removed: its configuration, replica bucket and settings go (retained in AWS), exit 3 unless --allow-deletes", async () => {
        const edited = manifest.filter(l => !l.startsWith("acme-prod-analytics,"));
        const r = await plan({ manifest: file("removed.csv", edited), diff: base });
        expect(r.code).to.equal(3);
        expect(r.out.split("\n")[1]).to.equal(
            "Safety: 1 bucket deleted, 0 buckets replaced, 10 bucket settings deleted or replaced, 0 roles deleted or replaced, 0 policies or grants deleted or replaced, 1 replication configuration deleted or replaced, 0 rules added, 0 rules changed, 1 rule removed, 0 backfill jobs started.",
        );
        expect(r.out).to.include("removed from the stack; kept in AWS (retainOnDelete)");
        expect(r.out).to.match(/^ {2}- aws\.s3\.BucketReplicationConfig +acme-prod-analytics-replication/m);
        const allowed = await plan({ manifest: file("removed.csv", edited), diff: base, allowDeletes: true });
        expect(allowed.code).to.equal(0);
    });

    it("more role slots: every source's role may move, so roles and their policies are replaced, exit 3; --json for machines", async () => {
        const stacksDir = fs.mkdtempSync(path.join(dir, "stacks-"));
        const stackFile = fs
            .readFileSync(path.join(STACKS, "Pulumi.prod.yaml"), "utf8")
            .replace(
                "pulumi-s3-replication:manifest: manifests/prod.csv",
                `pulumi-s3-replication:manifest: ${path.join(STACKS, "manifests", "prod.csv")}\n  pulumi-s3-replication:iam:\n    roleSlots: 4`,
            );
        fs.writeFileSync(path.join(stacksDir, "Pulumi.prod.yaml"), stackFile);
        const r = await plan({ stacksDir, diff: base, json: true });
        expect(r.code).to.equal(3);
        const json = JSON.parse(r.out) as { summary: Record<string, number>; destructive: boolean; changes: Array<{ op: string; type: string }> };
        expect(json.destructive).to.equal(true);
        expect(json.summary.rolesDeletedOrReplaced).to.be.greaterThan(0);
        expect(json.changes.filter(c => c.type === "aws:iam/role:Role").map(c => c.op)).to.include.members(["create", "delete"]);
    });

    it("a new shard count: what moves to a stack is listed with the `pulumi state move` commands that carry it, exit 3", async () => {
        const rows = [
            "source_bucket,source_account,source_region,destination_bucket,destination_account,destination_region,create_destination",
            ...Array.from(
                { length: 12 },
                (_, i) => `sh-src-${String(i).padStart(2, "0")},111111111111,us-east-1,sh-dst-${String(i).padStart(2, "0")},222222222222,us-west-2,true`,
            ),
        ];
        const csv = file("sharded.csv", rows);
        const stacksDir = (count: number) => {
            const d = fs.mkdtempSync(path.join(dir, `shards-${count}-`));
            for (let index = 0; index < count; index++) {
                fs.writeFileSync(
                    path.join(d, `Pulumi.s${index}.yaml`),
                    `config:\n  pulumi-s3-replication:manifest: ${csv}\n  pulumi-s3-replication:shard:\n    index: ${index}\n    count: ${count}\n`,
                );
            }
            return d;
        };
        const two = stacksDir(2);
        const bases: string[] = [];
        for (const stack of ["s0", "s1"]) {
            const out: string[] = [];
            expect(await runPlan({ stack, stacksDir: two, json: true }, { out: x => out.push(x), err: () => undefined })).to.equal(0);
            bases.push(path.join(dir, `${stack}.json`));
            fs.writeFileSync(bases[bases.length - 1], out.join("\n"));
        }
        const empty = path.join(dir, "s2-empty.json");
        fs.writeFileSync(empty, JSON.stringify({ stack: "s2", resources: [] }));
        const out: string[] = [];
        const code = await runPlan(
            { stack: "s2", stacksDir: stacksDir(3), diff: empty, shardBase: bases, json: true },
            { out: x => out.push(x), err: () => undefined },
        );
        expect(code).to.equal(3);
        const moves = (JSON.parse(out.join("\n")) as { moves: Array<{ from: string; to: string; urns: string[]; command: string }> }).moves;
        expect(moves.map(m => `${m.from}->${m.to}`)).to.deep.equal(["s0->s2", "s1->s2"]);
        const moved = moves.flatMap(m => m.urns.map(u => u.split("::").slice(2).join("::")));
        // Per-source and per-bucket resources move; each stack's own fleet, providers, topic and dashboard do not.
        expect(moved.some(u => u.endsWith("BucketReplication::sh-src-00") || /BucketReplication::sh-src-\d\d$/.test(u))).to.equal(true);
        expect(moved.filter(u => /ReplicationFleet::fleet$|providers:|Dashboard|Topic/.test(u))).to.deep.equal([]);
        expect(moves[0].command).to.match(/^pulumi state move --source s0 --dest s2 'urn:pulumi:s0::pulumi-s3-replication::/);
    });

    it("classifies by the provider's replace-on properties: a policy description is a replacement, a policy document an update", () => {
        const res = (inputs: Record<string, unknown>) => ({
            urn: "urn:pulumi:s::p::aws:iam/policy:Policy::x",
            type: "aws:iam/policy:Policy",
            name: "x",
            inputs,
        });
        const doc = (r: ReturnType<typeof res>): PlanDocument => ({ resources: [r] });
        expect(diffPlans(doc(res({ description: "a", policy: "{}" })), doc(res({ description: "b", policy: "{}" }))).changes[0]).to.include({ op: "replace" });
        expect(diffPlans(doc(res({ description: "a", policy: "{}" })), doc(res({ description: "a", policy: '{"x":1}' }))).changes[0]).to.include({
            op: "update",
        });
    });
});
