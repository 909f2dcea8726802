/**
 * The replication doctor (docs/replication-doctor.md): every failure reason AWS lists is mapped to
 * what prevents it, checks it at deploy, or why it cannot be checked offline; everything the
 * mapping names exists; and the page shows exactly the data.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { DIAGNOSTIC_CODES } from "../components/model/diagnostics";
import { AWS_LISTED_FAILURE_REASONS, FAILURE_REASONS, FailureCoverage } from "../components/model/failure-reasons";
import { packArgs } from "../policy-packs/replication-guard/policies";
import { CHECK_KINDS } from "./support/iam-proof";

const ROOT = path.join(__dirname, "..");
const doc = fs.readFileSync(path.join(ROOT, "docs", "replication-doctor.md"), "utf8");
const LABEL: Record<FailureCoverage, string> = {
    "prevented": "prevented",
    "checked-at-deploy": "checked at deploy",
    "not-checkable-offline": "cannot be checked offline",
};

describe("replication doctor", () => {
    it("maps every reason AWS lists, once, and nothing else", () => {
        const mapped = FAILURE_REASONS.map(r => r.reason);
        expect(new Set(mapped).size).to.equal(mapped.length);
        expect([...mapped].sort()).to.deep.equal([...AWS_LISTED_FAILURE_REASONS].sort());
        expect(AWS_LISTED_FAILURE_REASONS).to.have.length(34);
    });

    it("names only validator codes, evaluator checks, pack policies and tests that exist", () => {
        const policies = new Set(packArgs.policies.map(p => p.name));
        for (const r of FAILURE_REASONS) {
            for (const g of r.guards) {
                if ("diagnostic" in g) expect(Object.keys(DIAGNOSTIC_CODES), `${r.reason}: ${g.diagnostic}`).to.include(g.diagnostic);
                else if ("evaluator" in g) expect(CHECK_KINDS as readonly string[], `${r.reason}: ${g.evaluator}`).to.include(g.evaluator);
                else if ("policy" in g) expect(policies.has(g.policy), `${r.reason}: ${g.policy}`).to.equal(true);
                else {
                    const file = path.join(ROOT, g.test.file);
                    expect(fs.existsSync(file), `${r.reason}: ${g.test.file}`).to.equal(true);
                    expect(fs.readFileSync(file, "utf8"), `${r.reason}: ${g.test.title}`).to.contain(g.test.title);
                }
            }
            // Prevented or checked means something guards it; every entry says why.
            if (r.coverage !== "not-checkable-offline") expect(r.guards.length, r.reason).to.be.greaterThan(0);
            expect(r.note.length, r.reason).to.be.greaterThan(20);
        }
    });

    it("shows every reason in the table with its coverage, and the counts of the data", () => {
        const rows = doc.split("\n").filter(l => l.startsWith("| `"));
        for (const r of FAILURE_REASONS) {
            const row = rows.find(l => l.startsWith(`| \`${r.reason}\` |`));
            expect(row, r.reason).to.be.a("string");
            expect(row!.split("|")[2].trim(), r.reason).to.equal(LABEL[r.coverage]);
        }
        expect(rows).to.have.length(FAILURE_REASONS.length);
        const count = (c: FailureCoverage) => FAILURE_REASONS.filter(r => r.coverage === c).length;
        for (const c of Object.keys(LABEL) as FailureCoverage[]) {
            const line = doc.split("\n").find(l => l.startsWith(`| ${LABEL[c]} (`));
            expect(line, c).to.be.a("string");
            expect(line!.split("|")[2].trim(), c).to.equal(String(count(c)));
        }
        expect(doc).to.contain("https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html#replication-failure-codes");
    });
});
