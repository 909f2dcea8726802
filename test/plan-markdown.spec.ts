/**
 * `plan --format markdown` and `plan --diff --format markdown` (issue 14, items 1 and 2): exact
 * lines for a small fleet (a two-way pair, and an adopted SSE-KMS source with RTC whose prefix and
 * rule id are hostile Markdown), the large-fleet topology, and the diff in review form.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runPlan } from "../cli/plan-command";
import { PlanJson, RouteView, code, iamStatements, mermaidLabel, text, topology } from "../cli/plan-markdown";
import { diffMarkdown, statementChanges } from "../cli/diff-markdown";
import { diffPlans } from "../cli/plan-diff";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3r-md-"));
const STACK = `config:
  pulumi-s3-replication:accounts:
    app:
      id: "111111111111"
      roleArn: arn:aws:iam::111111111111:role/deployer
    dr:
      id: "222222222222"
      roleArn: arn:aws:iam::222222222222:role/deployer
  pulumi-s3-replication:manifest: review.csv
`;
const HEADER =
    "source_bucket,source_account,source_region,destination_bucket,destination_account,destination_region,prefix,storage_class,source_kms_key,replica_kms_key,rtc,bidirectional,create_source,create_destination,rule_id";
const ROWS = [
    "app-east,app,us-east-1,app-west,app,us-west-2,,,,,,true,true,true,",
    // A prefix and a rule id that Markdown and Mermaid would otherwise read as markup.
    'app-orders,app,us-east-1,dr-orders,dr,us-west-2,"in""v|<x>@you/",STANDARD_IA,arn:aws:kms:us-east-1:111111111111:key/1111aaaa-1111-4111-8111-111111111111,arn:aws:kms:us-west-2:222222222222:key/2222bbbb-2222-4222-8222-222222222222,true,,false,true,"a|b`<x>@y #1"',
];

function stacks(rows: string[]): string {
    const d = fs.mkdtempSync(path.join(dir, "stack-"));
    fs.writeFileSync(path.join(d, "Pulumi.review.yaml"), STACK);
    fs.writeFileSync(path.join(d, "review.csv"), [HEADER, ...rows].join("\n") + "\n");
    return d;
}

async function plan(options: { stacksDir: string; format?: "text" | "markdown" | "json"; json?: boolean; diff?: string }) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPlan({ stack: "review", ...options }, { out: s => out.push(s), err: s => err.push(s) });
    return { code, out: out.join("\n"), err: err.join("\n") };
}

/** The lines of a fenced block that starts with `open`. */
function block(md: string, open: string): string[] {
    const lines = md.split("\n");
    const start = lines.indexOf(open);
    return lines.slice(start, lines.indexOf("```", start + 1) + 1);
}

describe("Markdown escaping of manifest text", () => {
    it("code spans survive backticks and table pipes", () => {
        expect(code("to-app")).to.equal("`to-app`");
        expect(code("a|b`c")).to.equal("``a\\|b`c``");
        expect(code("`x")).to.equal("`` `x ``");
    });

    it("text shows markup, HTML, mentions and issue links as written", () => {
        expect(text("*bold* <b>@team</b> #1 [x](y) a|b")).to.equal("\\*bold\\* &lt;b&gt;&#64;team&lt;/b&gt; &#35;1 \\[x\\](y) a\\|b");
    });

    it("Mermaid labels carry every character outside a safe set as an entity code", () => {
        expect(mermaidLabel('in"v|<x>@you/ · ok')).to.equal("in#34;v#124;#60;x#62;#64;you/ #183; ok");
    });
});

describe("plan --format markdown", function () {
    this.timeout(60_000);
    let md: string;

    before(async () => {
        const r = await plan({ stacksDir: stacks(ROWS), format: "markdown" });
        expect(r.code, r.err).to.equal(0);
        md = r.out;
    });

    it("opens with the summary: routes, accounts, Regions, buckets, resources, warnings, changes to adopted buckets", () => {
        expect(md.split("\n").slice(0, 1)).to.deep.equal(["## S3 replication plan for stack `review`"]);
        const summary = md
            .slice(md.indexOf("### Summary"), md.indexOf("<details>"))
            .split("\n")
            .filter(l => l.startsWith("| ") && !l.startsWith("|  |") && !l.startsWith("| ---"));
        expect(summary).to.deep.equal([
            "| Routes | 3 |",
            "| Accounts | `111111111111`, `222222222222` |",
            "| Regions | `us-east-1`, `us-west-2` |",
            "| Buckets | 3 created, 1 adopted |",
            "| Resources | 49 (+13 components) |",
            "| Warnings | 0 |",
            // The adopted SSE-KMS source's default encryption changes (AES256 -> its key): counted up front.
            "| Changes to adopted buckets' settings | **1** (see [Adopted buckets](#adopted-buckets-what-changes-on-them)) |",
        ]);
        expect(md).to.include("| `aws.s3.BucketReplicationConfig` | 3 |");
    });

    it("draws accounts as subgraphs and routes as labelled edges, a two-way pair as one double-headed edge", () => {
        expect(block(md, "```mermaid")).to.deep.equal([
            "```mermaid",
            "flowchart LR",
            '    subgraph acct0["account 111111111111"]',
            '        b0["app-east<br>us-east-1 #183; created"]',
            '        b1["app-orders<br>us-east-1 #183; adopted"]',
            '        b2["app-west<br>us-west-2 #183; created"]',
            "    end",
            '    subgraph acct1["account 222222222222"]',
            '        b3["dr-orders<br>us-west-2 #183; created"]',
            "    end",
            '    b0 <-->|"source class #183; two-way"| b2',
            '    b1 -->|"STANDARD_IA #183; KMS #183; RTC #183; prefix in#34;v#124;#60;x#62;#64;you/"| b3',
            "```",
        ]);
    });

    it("lists each route with its rule, class, filter, key, RTC and backfill, hostile names escaped", () => {
        expect(md).to.include("| `app-orders`<br>`111111111111 · us-east-1` | `dr-orders`<br>`222222222222 · us-west-2` | ``a\\|b`<x>@y #1`` |");
        expect(md).to.include(
            '| `STANDARD_IA` | `prefix in"v\\|<x>@you/` | `arn:aws:kms:us-west-2:222222222222:key/2222bbbb-2222-4222-8222-222222222222` | yes | no | – |',
        );
        // Outside code spans, nothing of the manifest's text reaches the page as markup or a mention.
        const outsideCode = md.replace(/(`+)[\s\S]*?\1/g, "");
        expect(outsideCode).not.to.include("<x>").and.not.to.include("@you").and.not.to.include("@y");
    });

    it("counts what each account and Region gets", () => {
        expect(md).to.include("| `111111111111` | `us-east-1` | 1 | 1 | 2 (2) | 0 | 0 | 0 | 0 | 3 | 2 |");
        expect(md).to.include("| `222222222222` | `us-west-2` | 1 | 0 | 0 (0) | 0 | 0 | 1 | 0 | 0 | 0 |");
    });

    it("marks the adopted bucket with what adoption changes on it", () => {
        expect(md).to.include("| `app-orders` | `111111111111` | `us-east-1` | **adopted** |");
        // Offline, an adopted bucket has what S3 gives a new one: only the source key its route names changes it.
        expect(md).to.include(
            "| `app-orders` | `111111111111 · us-east-1` | kept: BucketOwnerEnforced | **AES256 → aws:kms arn:aws:kms:us-east-1:111111111111:key/1111aaaa-1111-4111-8111-111111111111 (bucket key)** | kept: all four blocks on | → Enabled | existing statements kept; adds `DenyInsecureTransport` | writes 1 rule(s) |",
        );
    });

    it("tables every IAM and KMS statement with principal, actions, resources and conditions", () => {
        expect(md).to.include("<details><summary>KMS grants (1)</summary>");
        const grant = md.split("\n").find(l => l.startsWith("| KMS grant "))!;
        expect(grant).to.match(
            /^\| KMS grant s3-replication-[0-9a-f]{8} \| Allow \| `AWS: arn:aws:iam::111111111111:role\/s3-replication\/s3-replication-111111111111-\d+` \| `kms:Decrypt`<br>`kms:Encrypt`<br>`kms:GenerateDataKey` \| `arn:aws:kms:us-west-2:222222222222:key\/2222bbbb-2222-4222-8222-222222222222` \| – \|$/,
        );
        expect(md).to.include(
            "| bucket dr-orders (ReplicationFromSourceAccounts) | Allow | `AWS: arn:aws:iam::111111111111:root` | `s3:ReplicateDelete`<br>`s3:ReplicateObject`<br>`s3:ReplicateTags` | `arn:aws:s3:::dr-orders/*` | `ArnLike aws:PrincipalArn = arn:aws:iam::111111111111:role/s3-replication/*` |",
        );
        expect(md).to.match(/\| role s3-replication-111111111111-\d+ trust \(S3Replication\) \| Allow \| `Service: s3.amazonaws.com` \| `sts:AssumeRole` \|/);
        expect(md).to.match(
            /`StringEquals kms:ViaService = s3.us-east-1.amazonaws.com`<br>`StringLike kms:EncryptionContext:aws:s3:arn = arn:aws:s3:::app-orders, arn:aws:s3:::app-orders\/\*`/,
        );
    });

    it("--json stays the JSON plan, and contradicts --format text", async () => {
        const d = stacks(ROWS);
        const json = await plan({ stacksDir: d, json: true });
        expect(JSON.parse(json.out).summary.routes).to.equal(3);
        const both = await plan({ stacksDir: d, json: true, format: "text" });
        expect(both.code).to.equal(2);
        expect(both.err).to.equal("--json and --format text contradict each other; give one.");
    });
});

describe("topology of a large fleet", () => {
    const route = (i: number, to: string, extra: Partial<RouteView> = {}): RouteView => ({
        source: `src-${i}`,
        destination: `dst-${i}`,
        sourceAccount: "111111111111",
        sourceRegion: "us-east-1",
        destinationAccount: to,
        destinationRegion: "us-west-2",
        ruleId: `to-dst-${i}`,
        priority: i,
        role: "r",
        existingObjects: "none",
        bidirectional: false,
        ...extra,
    });

    it("collapses to accounts with route counts over the limit", () => {
        const routes = [
            route(1, "222222222222"),
            route(2, "222222222222", {
                rule: {
                    id: "to-dst-2",
                    replicaKmsKey: "k",
                    rtc: true,
                    twoWay: false,
                    prefix: "",
                    tags: [],
                    deleteMarkers: false,
                    status: "Enabled",
                    metrics: true,
                },
            }),
            route(3, "111111111111"),
        ];
        const buckets = routes.flatMap(r => [
            { name: r.source, account: r.sourceAccount, region: r.sourceRegion, created: true, settings: new Map() },
            { name: r.destination, account: r.destinationAccount, region: r.destinationRegion, created: true, settings: new Map() },
        ]);
        expect(topology({ resources: [] } as PlanJson, routes, buckets, 2)).to.deep.equal([
            "```mermaid",
            "flowchart LR",
            '    acct0["account 111111111111<br>4 buckets #183; us-east-1, us-west-2"]',
            '    acct1["account 222222222222<br>2 buckets #183; us-west-2"]',
            '    acct0 -->|"1 route"| acct0',
            '    acct0 -->|"2 routes #183; 1 KMS #183; 1 RTC"| acct1',
            "```",
        ]);
    });
});

describe("plan --diff --format markdown", function () {
    this.timeout(60_000);

    it("puts the safety summary first, marks each change, and lists the IAM statements that appear", async () => {
        const base = path.join(dir, "base.json");
        const b = await plan({ stacksDir: stacks(ROWS), json: true });
        fs.writeFileSync(base, b.out);
        // A new destination for app-orders: a rule, a bucket, and the role's grants on it.
        const edited = [...ROWS, "app-orders,app,us-east-1,app-archive,app,eu-west-1,,GLACIER_IR,,,,,,true,"];
        const r = await plan({ stacksDir: stacks(edited), format: "markdown", diff: base });
        expect(r.code, r.err).to.equal(0);
        const lines = r.out.split("\n");
        expect(lines.slice(0, 9)).to.deep.equal([
            "## S3 replication plan diff for stack `review`",
            "",
            "Against `base.json`, by URN (what `pulumi up` keeps, updates, replaces and deletes).",
            "",
            "**Safe to apply:** nothing that holds data or grants access is deleted or replaced.",
            "",
            "**Safety:** 0 buckets deleted, 0 buckets replaced, 0 bucket settings deleted or replaced, 0 roles deleted or replaced, 0 policies or grants deleted or replaced, 0 replication configurations deleted or replaced, 1 rule added, 0 rules changed, 0 rules removed, 0 backfill jobs started.",
            "",
            "**Changes:** 7 to create, 3 to update, 0 to replace, 0 to delete, 46 unchanged.",
        ]);
        expect(r.out).to.include("| `+` | `aws.s3.Bucket` | `app-archive` | `111111111111 · eu-west-1` | – |");
        expect(r.out).to.include(
            "| `~` | `aws.s3.BucketReplicationConfig` | `app-orders-replication` | `111111111111 · us-east-1` | changed: `rules`<br>rules: `+ to-app-archive` |",
        );
        const statements = lines.filter(l => /^\| `[+-]` \| role /.test(l));
        expect(statements.some(l => l.startsWith("| `+` |") && l.includes("`arn:aws:s3:::app-archive/*`"))).to.equal(true);
        expect(statements.some(l => l.startsWith("| `-` |"))).to.equal(true);
    });

    it("lists state moves, with their commands, before the resources", () => {
        const doc = { stack: "s2", resources: [] };
        const md = diffMarkdown({
            stack: "s2",
            baseName: "s2.json",
            diff: diffPlans(doc, doc),
            base: doc,
            next: doc,
            moves: [{ from: "s0", to: "s2", urns: ["urn:pulumi:s0::p::t::a"], command: "pulumi state move --source s0 --dest s2 'urn:pulumi:s0::p::t::a'" }],
        });
        expect(md.split("\n").slice(4, 5)).to.deep.equal([
            "**⚠️ Review before merging:** this change deletes or replaces buckets, bucket settings, roles, policies or replication configurations, or moves resources between stacks (`plan --diff` exits 3).",
        ]);
        expect(block(md, "```sh")).to.deep.equal(["```sh", "pulumi state move --source s0 --dest s2 'urn:pulumi:s0::p::t::a'", "```"]);
    });

    it("diffs statements whole, as cdk diff does: a grown statement is one removed and one added", () => {
        const policy = (resources: string[]) =>
            JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:ReplicateObject"], Resource: resources }] });
        const doc = (resources: string[]): PlanJson => ({
            resources: [
                { urn: "u", type: "aws:iam/rolePolicy:RolePolicy", name: "p", inputs: { name: "s3-replication", role: "r", policy: policy(resources) } },
            ],
        });
        const changes = statementChanges(doc(["arn:aws:s3:::a/*"]), doc(["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]));
        expect(changes.map(c => `${c.marker} ${c.row.resources.join(",")}`)).to.deep.equal(["- arn:aws:s3:::a/*", "+ arn:aws:s3:::a/*,arn:aws:s3:::b/*"]);
        expect(iamStatements(doc(["x"])).permissions[0].document).to.equal("role r inline policy s3-replication");
    });
});
