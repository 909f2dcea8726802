/**
 * Identity never moves: an edit to the manifest changes what it touches and nothing else. The
 * engine deletes every URN that disappears from a stack, so a rule renamed by an unrelated edit
 * is a rule deleted and re-created, and a backfill job renamed is a second job started.
 */
import { expect } from "chai";
import fc from "fast-check";
import {
    FleetPlan,
    RouteRecord,
    ShardSelector,
    assignPriorities,
    backfillJobName,
    bucketInShard,
    defaultRuleId,
    filterSpecificity,
    identityPriority,
    recordsFromObjects,
    routeKey,
    routeInShard,
    validateFleet,
} from "../components/model";
import { ownedByShard } from "../components";
import { RecordedResource, runProgram } from "./support/mock-runtime";
import { ReplicationFleet } from "../components";

type Row = Record<string, string>;

const ACCOUNTS = ["111111111111", "222222222222", "333333333333"];

function records(rows: readonly Row[]): RouteRecord[] {
    return recordsFromObjects(rows, { path: "routes" }, []);
}

function plan(rows: readonly Row[], options: Parameters<typeof validateFleet>[1] = {}): FleetPlan {
    const result = validateFleet(records(rows), options);
    expect(result.errors, JSON.stringify(result.errors.slice(0, 3))).to.deep.equal([]);
    return result.plan!;
}

/** Everything a route IS once planned: its rule as rendered, its role, its source's job names. */
function identities(p: FleetPlan): Map<string, string> {
    const out = new Map<string, string>();
    for (const s of p.sources) {
        for (const r of s.routes) {
            const rule = s.config.rules!.find(x => x.id === r.ruleId);
            out.set(
                r.key,
                JSON.stringify({
                    rule,
                    role: s.role.arn,
                    job: r.existingObjects === "none" ? null : backfillJobName(r.source, r.existingObjects, r.prefix, {}),
                }),
            );
        }
    }
    return out;
}

/** Routes of a small fleet: a few sources, destinations, prefixes and accounts, all valid. */
const rowArb = fc
    .record({
        src: fc.integer({ min: 0, max: 5 }),
        dst: fc.integer({ min: 0, max: 5 }),
        prefix: fc.constantFrom("", "logs/", "data/", "data/archive/"),
        account: fc.constantFrom(...ACCOUNTS),
        storage: fc.constantFrom("STANDARD", "STANDARD_IA", "GLACIER_IR"),
        backfill: fc.constantFrom("none", "eligible", "failed"),
    })
    .map(r => ({
        source_bucket: `src-${r.src}-${r.account}`,
        source_account: r.account,
        source_region: "us-east-1",
        destination_bucket: `dst-${r.dst}`,
        destination_account: "999999999999",
        destination_region: "us-west-2",
        prefix: r.prefix,
        storage_class: r.storage,
        existing_objects: r.backfill,
        create_destination: "true",
    }));

/** A manifest without two routes of the same identity (source, destination, filter). */
const manifestArb = fc.uniqueArray(rowArb, { minLength: 2, maxLength: 14, selector: r => `${r.source_bucket}|${r.destination_bucket}|${r.prefix}` });

type Edit = { kind: string; apply: (rows: Row[]) => { rows: Row[]; touched: Set<string> } };

const keyOf = (r: Row) => routeKey(r.source_bucket, r.destination_bucket, r.prefix, {});

/** The ordinary edits of a fleet's week, each naming the routes it touches. */
function editArb(rows: Row[]): fc.Arbitrary<Edit> {
    const index = fc.integer({ min: 0, max: rows.length - 1 });
    return fc.oneof(
        fc.constant<Edit>({ kind: "reorder rows", apply: rs => ({ rows: [...rs].reverse(), touched: new Set() }) }),
        index.map<Edit>(i => ({ kind: "remove a route", apply: rs => ({ rows: rs.filter((_, j) => j !== i), touched: new Set([keyOf(rs[i])]) }) })),
        index.map<Edit>(i => ({
            kind: "change one route's storage class",
            apply: rs => ({
                rows: rs.map((r, j) => (j === i ? { ...r, storage_class: r.storage_class === "GLACIER" ? "STANDARD" : "GLACIER" } : r)),
                touched: new Set([keyOf(rs[i])]),
            }),
        })),
        index.map<Edit>(i => {
            // A second route between the same two buckets, under another prefix.
            const extra = { ...rows[i], prefix: "second-route/" };
            return { kind: "add a second route between the same buckets", apply: rs => ({ rows: [...rs, extra], touched: new Set([keyOf(extra)]) }) };
        }),
        fc.constant<Edit>({
            kind: "add a source that sorts first",
            apply: rs => {
                const extra = { ...rs[0], source_bucket: "aaa-new-source", destination_bucket: "aaa-new-replica", prefix: "" };
                return { rows: [extra, ...rs], touched: new Set([keyOf(extra)]) };
            },
        }),
    );
}

describe("identity: names, rule ids, priorities and jobs are functions of the route itself", () => {
    it("rule ids and keys: unfiltered routes keep the plain name; a filter adds its own hash", () => {
        expect(defaultRuleId("dst", "", {})).to.equal("to-dst");
        expect(routeKey("src", "dst", "", {})).to.equal("src->dst");
        expect(defaultRuleId("dst", "logs/", {})).to.match(/^to-dst-[0-9a-f]{8}$/);
        expect(defaultRuleId("dst", "logs/", {})).to.not.equal(defaultRuleId("dst", "data/", {}));
        // Tags in any order are the same filter.
        expect(defaultRuleId("dst", "", { a: "1", b: "2" })).to.equal(defaultRuleId("dst", "", { b: "2", a: "1" }));
    });

    it("priorities: the more specific filter ranks higher; explicit priorities are kept; the range is S3's", () => {
        expect(identityPriority("s->d-x", "logs/app/", {})).to.be.greaterThan(identityPriority("s->d", "", {}));
        expect(filterSpecificity("", { team: "a" })).to.equal(16);
        fc.assert(
            fc.property(
                fc.string({ maxLength: 2000 }),
                fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string(), { maxKeys: 12 }),
                (prefix, tags) => {
                    const p = identityPriority(`k|${prefix}`, prefix, tags);
                    return Number.isInteger(p) && p >= 0 && p <= 2147483647;
                },
            ),
        );
        const assigned = assignPriorities([
            { key: "a", prefix: "", tags: {}, explicit: 5 },
            { key: "b", prefix: "", tags: {} },
            { key: "c", prefix: "", tags: {} },
        ]);
        expect(assigned.get("a")).to.equal(5);
        expect(new Set(assigned.values()).size).to.equal(3);
    });

    it("a rule's priority does not depend on the other rules (unless two identities collide)", () => {
        const alone = assignPriorities([{ key: "src->dst", prefix: "", tags: {} }]).get("src->dst");
        const withOthers = assignPriorities([
            { key: "src->aaa", prefix: "", tags: {} },
            { key: "src->dst", prefix: "", tags: {} },
            { key: "src->zzz-1", prefix: "x/", tags: {} },
        ]).get("src->dst");
        expect(withOthers).to.equal(alone);
    });

    it("every untouched route keeps its rule (id, priority, document), its role and its backfill job, whatever the edit (property)", () => {
        fc.assert(
            fc.property(
                manifestArb.chain(rows => fc.tuple(fc.constant(rows as Row[]), editArb(rows as Row[]))),
                ([rows, edit]) => {
                    const before = identities(plan(rows));
                    const { rows: after, touched } = edit.apply(rows);
                    const next = identities(plan(after));
                    for (const [key, identity] of before) {
                        if (touched.has(key)) continue;
                        if (next.get(key) !== identity) throw new Error(`${edit.kind}: ${key} changed\nbefore ${identity}\nafter  ${next.get(key)}`);
                    }
                },
            ),
            { numRuns: 150 },
        );
    });

    it("sharded: every resource lands in exactly one stack, and no edit moves an untouched one (property)", () => {
        const count = 3;
        const ownership = (rows: Row[]) => {
            const owner = new Map<string, number>();
            for (let index = 0; index < count; index++) {
                const shard: ShardSelector = { index, count };
                const part = ownedByShard(plan(rows, { shard }), shard);
                const claim = (id: string) => {
                    if (owner.has(id)) throw new Error(`${id} is in shards ${owner.get(id)} and ${index}`);
                    owner.set(id, index);
                };
                for (const s of part.sources) claim(`config:${s.bucket.name}`);
                for (const b of part.buckets) claim(`bucket:${b.bucket.name}`);
                for (const r of part.roles) claim(`role:${r.arn}`);
            }
            return owner;
        };
        fc.assert(
            fc.property(
                manifestArb.chain(rows => fc.tuple(fc.constant(rows as Row[]), editArb(rows as Row[]))),
                ([rows, edit]) => {
                    const before = ownership(rows);
                    const after = ownership(edit.apply(rows).rows);
                    for (const [id, shard] of before)
                        if (after.has(id) && after.get(id) !== shard) throw new Error(`${edit.kind}: ${id} moved from shard ${shard} to ${after.get(id)}`);
                    // Exactly one owner, by each resource's own identity.
                    for (const [id, shard] of after) {
                        if (id.startsWith("bucket:"))
                            expect(bucketInShard({ name: id.slice(7), account: "999999999999", region: "us-west-2" }, { index: shard, count })).to.equal(true);
                    }
                },
            ),
            { numRuns: 60 },
        );
        void routeInShard;
    });
});

describe("identity at the engine's boundary: URNs and inputs of untouched routes survive an edit", () => {
    const rows: Row[] = [
        {
            source_bucket: "orders",
            source_account: "111111111111",
            source_region: "us-east-1",
            destination_bucket: "orders-dr",
            destination_account: "222222222222",
            destination_region: "us-west-2",
            create_destination: "true",
            existing_objects: "eligible",
        },
        {
            source_bucket: "orders",
            source_account: "111111111111",
            source_region: "us-east-1",
            destination_bucket: "orders-audit",
            destination_account: "222222222222",
            destination_region: "us-west-2",
            prefix: "invoices/",
            create_destination: "true",
        },
        {
            source_bucket: "logs",
            source_account: "111111111111",
            source_region: "us-east-1",
            destination_bucket: "logs-archive",
            destination_account: "222222222222",
            destination_region: "us-west-2",
            create_destination: "true",
        },
    ];
    const graph = async (rs: Row[]) => (await runProgram(() => new ReplicationFleet("fleet", { routes: rs }))).resources;
    const byUrn = (rs: RecordedResource[]) => new Map(rs.map(r => [r.urn, JSON.stringify(r.inputs)]));

    it("adding a second route between orders and orders-dr (another prefix) renames nothing and starts no second job", async () => {
        const before = byUrn(await graph(rows));
        const after = byUrn(await graph([...rows, { ...rows[0], prefix: "exports/", existing_objects: "none" }]));
        const changed = [...before].filter(([urn, inputs]) => after.get(urn) !== inputs).map(([urn]) => urn.split("::").pop());
        // Only the source's configuration (a rule added), the dashboard (a route added) and the
        // role's policy (the same permissions, merged) may change; nothing disappears.
        expect([...before.keys()].filter(u => !after.has(u))).to.deep.equal([]);
        expect(changed.filter(n => !/^orders-replication$|^dashboard-|-policy(-\d+)?$/.test(String(n)))).to.deep.equal([]);
        const jobs = (m: Map<string, string>) => [...m.keys()].filter(u => u.includes("BatchReplicationJob"));
        expect(jobs(after)).to.deep.equal(jobs(before));
    });
});
