/**
 * `plan --format markdown`: the offline plan as a pull-request comment a reviewer can approve
 * from. Pure: it renders a plan document (`plan --json` output), so a CI job can render a plan it
 * saved, and tests can render small hand-made plans.
 *
 * Every name in it may come from a manifest (user input): text goes through `code` (a code span
 * that survives backticks and table pipes) or `text`, and Mermaid labels through `mermaidLabel`.
 */
import { decoded, type PlannedResource } from "./plan-diff";
import { AWS_TYPES } from "./aws-types";
import type { RouteEnds } from "../components/model";

/** Routes above which the topology shows accounts and route counts instead of every bucket. */
export const TOPOLOGY_MAX_ROUTES = 40;
/** Rows a statement or bucket table shows before it says how many more `plan --json` has. */
export const TABLE_MAX_ROWS = 60;

/** One route as the stacks program exports it (ReplicationFleet's RouteSummary). */
export interface PlannedRoute extends RouteEnds {
    ruleId: string;
    priority: number;
    role: string;
    existingObjects: string;
    bidirectional: boolean;
}

/** A plan document as `plan --json` prints it. */
export interface PlanJson {
    stack?: string;
    resources: PlannedResource[];
    outputs?: { routes?: PlannedRoute[]; warnings?: string[]; adoptedSettingChanges?: string[] };
    summary?: {
        resources: number;
        components: number;
        routes: number;
        byType: Record<string, number>;
        accounts: string[];
        regions: string[];
        warnings: string[];
    };
}

export interface MarkdownOptions {
    /** Routes above which the topology collapses to accounts (default TOPOLOGY_MAX_ROUTES). */
    topologyMaxRoutes?: number;
    /** Rows per table before "N more" (default TABLE_MAX_ROWS). */
    tableMaxRows?: number;
}

// ---- escaping: every value below may be user input ----

/** A code span of any text: fenced with more backticks than it contains, pipes escaped for tables. */
export function code(value: string): string {
    const s = value.replace(/[\r\n\t]+/g, " ");
    if (s === "") return "` `";
    const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map(run => run.length));
    const fence = "`".repeat(longest + 1);
    const pad = s.startsWith("`") || s.endsWith("`") || s.startsWith(" ") ? " " : "";
    return `${fence}${pad}${s.replace(/\|/g, "\\|")}${pad}${fence}`;
}

/**
 * Plain text that Markdown shows as written: HTML and Markdown punctuation escaped, pipes escaped
 * for tables, and `@` and `#` as entities so a name never mentions a user or links an issue.
 */
export function text(value: string): string {
    // One pass: an entity written for one character must not be escaped again for another.
    const entity: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;", "#": "&#35;" };
    return value.replace(/[\r\n\t]+/g, " ").replace(/[&<>@#\\`*_{}[\]~|]/g, c => entity[c] ?? `\\${c}`);
}

/** Text inside a quoted Mermaid label: every character outside a safe set as a Mermaid entity code. */
export function mermaidLabel(value: string): string {
    return [...value].map(c => (/[A-Za-z0-9 .,:/=_-]/.test(c) ? c : `#${c.codePointAt(0)};`)).join("");
}

// ---- reading the plan ----

const T = {
    ...AWS_TYPES,
    jobs: ["pulumi-nodejs:dynamic/s3-replication:BatchReplicationJob", "pulumi-s3-replication:index:BatchReplicationJob"],
} as const;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));

/** One rule of a replication configuration, as the plan registers it. */
export interface PlannedRule {
    id: string;
    storageClass?: string;
    replicaKmsKey?: string;
    rtc: boolean;
    twoWay: boolean;
    prefix: string;
    tags: string[];
    deleteMarkers: boolean;
    status: string;
    /** Replication metrics on the rule. */
    metrics: boolean;
}

function rulesOf(config: PlannedResource): PlannedRule[] {
    return list(config.inputs.rules).map(r => {
        const rule = obj(r);
        const destination = obj(rule.destination);
        const filter = obj(rule.filter);
        const and = obj(filter.and);
        const tags = { ...obj(and.tags), ...(filter.tag ? { [str(obj(filter.tag).key)]: str(obj(filter.tag).value) } : {}) };
        return {
            id: str(rule.id),
            ...(destination.storageClass ? { storageClass: str(destination.storageClass) } : {}),
            ...(obj(destination.encryptionConfiguration).replicaKmsKeyId
                ? { replicaKmsKey: str(obj(destination.encryptionConfiguration).replicaKmsKeyId) }
                : {}),
            rtc: obj(destination.replicationTime).status === "Enabled",
            twoWay: obj(obj(rule.sourceSelectionCriteria).replicaModifications).status === "Enabled",
            prefix: str(filter.prefix ?? and.prefix ?? ""),
            tags: Object.entries(tags)
                .map(([k, v]) => `${k}=${str(v)}`)
                .sort(),
            deleteMarkers: obj(rule.deleteMarkerReplication).status === "Enabled",
            status: str(rule.status),
            metrics: obj(destination.metrics).status === "Enabled",
        };
    });
}

/** A route with the settings its rule carries. */
export interface RouteView extends PlannedRoute {
    rule?: PlannedRule;
}

export function routesOf(plan: PlanJson): RouteView[] {
    const configs = new Map(plan.resources.filter(r => r.type === T.replication).map(r => [str(r.inputs.bucket), rulesOf(r)]));
    return (plan.outputs?.routes ?? []).map(r => {
        const rule = configs.get(r.source)?.find(x => x.id === r.ruleId);
        return { ...r, ...(rule ? { rule } : {}) };
    });
}

export interface BucketView {
    name: string;
    account: string;
    region: string;
    created: boolean;
    settings: Map<string, PlannedResource>;
}

/** Every bucket the plan configures: created (it has a Bucket resource) or adopted (settings only). */
export function bucketsOf(plan: PlanJson): BucketView[] {
    const byName = new Map<string, BucketView>();
    const settingTypes: string[] = [T.bucket, T.versioning, T.pab, T.ownership, T.encryption, T.policy, T.replication, T.objectLock, T.notification];
    for (const r of plan.resources) {
        if (!settingTypes.includes(r.type)) continue;
        const name = str(r.inputs.bucket);
        if (!name) continue;
        const b = byName.get(name) ?? {
            name,
            account: r.account ?? "",
            region: r.region ?? str(r.inputs.region),
            created: false,
            settings: new Map<string, PlannedResource>(),
        };
        if (r.type === T.bucket) b.created = true;
        b.settings.set(r.type, r);
        byName.set(name, b);
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

// ---- IAM statements ----

export interface StatementRow {
    /** Where the statement lives: a role's trust or policy, a bucket policy, a KMS grant. */
    document: string;
    effect: string;
    principal: string[];
    actions: string[];
    resources: string[];
    conditions: string[];
}

function principals(p: unknown): string[] {
    if (p === "*") return ["*"];
    const out: string[] = [];
    for (const [kind, v] of Object.entries(obj(p))) for (const x of list(v)) out.push(`${kind}: ${str(x)}`);
    return out;
}

function conditions(c: unknown): string[] {
    const out: string[] = [];
    for (const [op, body] of Object.entries(obj(c))) {
        for (const [key, v] of Object.entries(obj(body))) out.push(`${op} ${key} = ${list(v).map(str).join(", ")}`);
    }
    return out;
}

export function statementRows(document: string, policy: unknown, defaults: { principal?: string[]; resources?: string[] } = {}): StatementRow[] {
    return list(obj(decoded(policy)).Statement).map(s => {
        const st = obj(s);
        const principal = st.Principal !== undefined ? principals(st.Principal) : (defaults.principal ?? []);
        return {
            document: st.Sid ? `${document} (${str(st.Sid)})` : document,
            effect: str(st.Effect),
            principal,
            actions: list(st.Action).map(str),
            resources: st.Resource !== undefined ? list(st.Resource).map(str) : (defaults.resources ?? []),
            conditions: conditions(st.Condition),
        };
    });
}

/** The IAM and KMS statements a plan declares, by kind, each row a statement. */
export function iamStatements(plan: PlanJson): { trust: StatementRow[]; permissions: StatementRow[]; bucketPolicies: StatementRow[]; grants: StatementRow[] } {
    const roleArnOf = new Map<string, string>();
    const trust: StatementRow[] = [];
    const permissions: StatementRow[] = [];
    const bucketPolicies: StatementRow[] = [];
    const grants: StatementRow[] = [];
    for (const r of plan.resources.filter(x => x.type === T.role)) {
        const name = str(r.inputs.name);
        const suffix = `:role${str(r.inputs.path) || "/"}${name}`;
        // The ARN as configurations and grants name it (its partition), else the aws partition's.
        const arn =
            (plan.outputs?.routes ?? []).map(x => x.role).find(a => a.endsWith(suffix) && a.includes(`::${r.account ?? ""}:`)) ??
            `arn:aws:iam::${r.account ?? "?"}${suffix}`;
        roleArnOf.set(name, arn);
        trust.push(...statementRows(`role ${name} trust`, r.inputs.assumeRolePolicy, { resources: [arn] }).map(s => ({ ...s, resources: [arn] })));
    }
    const parentRole = new Map(plan.resources.filter(x => x.type === "pulumi-s3-replication:index:ReplicationRole").map(x => [x.urn, x.name]));
    for (const r of plan.resources.filter(x => x.type === T.rolePolicy || x.type === T.managedPolicy)) {
        const role = str(r.inputs.role) || (r.parentUrn ? (parentRole.get(r.parentUrn) ?? "") : "");
        const roleName = [...roleArnOf.keys()].find(n => role === n || role.endsWith(`-${n}`) || role.endsWith(n)) ?? role;
        const what = r.type === T.rolePolicy ? `role ${roleName} inline policy ${str(r.inputs.name)}` : `managed policy ${str(r.inputs.name)}`;
        permissions.push(...statementRows(what, r.inputs.policy, { principal: roleArnOf.has(roleName) ? [`AWS: ${roleArnOf.get(roleName)}`] : [] }));
    }
    for (const r of plan.resources.filter(x => x.type === T.policy)) {
        // The TLS deny every bucket carries is said once, under the table, not once per bucket.
        const rows = statementRows(`bucket ${str(r.inputs.bucket)}`, r.inputs.policy).filter(s => !s.document.endsWith("(DenyInsecureTransport)"));
        bucketPolicies.push(...rows);
    }
    for (const r of plan.resources.filter(x => x.type === T.kmsGrant)) {
        const constraints = obj(list(r.inputs.constraints)[0]);
        grants.push({
            document: `KMS grant ${str(r.inputs.name)}`,
            effect: "Allow",
            principal: [`AWS: ${str(r.inputs.granteePrincipal)}`],
            actions: list(r.inputs.operations).map(o => `kms:${str(o)}`),
            resources: [str(r.inputs.keyId)],
            conditions: Object.entries(constraints).flatMap(([k, v]) => Object.entries(obj(v)).map(([ck, cv]) => `${k} ${ck} = ${str(cv)}`)),
        });
    }
    return { trust, permissions, bucketPolicies, grants };
}

// ---- rendering ----

const cellList = (values: readonly string[], fmt: (s: string) => string = code) => (values.length === 0 ? "–" : values.map(fmt).join("<br>"));

function table(header: string[], rows: string[][], max: number, what: string): string[] {
    const out = [`| ${header.join(" | ")} |`, `|${header.map(() => " --- ").join("|")}|`];
    for (const row of rows.slice(0, max)) out.push(`| ${row.join(" | ")} |`);
    if (rows.length > max) out.push("", `… and ${rows.length - max} more ${what}: \`plan --json\` lists them all.`);
    return out;
}

function statementTable(rows: StatementRow[], max: number): string[] {
    return table(
        ["Document", "Effect", "Principal", "Actions", "Resources", "Conditions"],
        rows.map(s => [text(s.document), s.effect, cellList(s.principal), cellList(s.actions), cellList(s.resources), cellList(s.conditions)]),
        max,
        "statements",
    );
}

function routeLabel(r: RouteView): string[] {
    const rule = r.rule;
    const filter = rule ? [rule.prefix ? `prefix ${rule.prefix}` : "", ...rule.tags.map(t => `tag ${t}`)].filter(Boolean) : [];
    return [
        rule?.storageClass ?? "source class",
        ...(rule?.replicaKmsKey ? ["KMS"] : []),
        ...(rule?.rtc ? ["RTC"] : []),
        ...(r.bidirectional ? ["two-way"] : []),
        ...(rule && rule.status !== "Enabled" ? [rule.status] : []),
        ...filter,
    ];
}

/** The Mermaid topology: buckets in account subgraphs, or accounts and route counts past the limit. */
export function topology(plan: PlanJson, routes: RouteView[], buckets: BucketView[], maxRoutes = TOPOLOGY_MAX_ROUTES): string[] {
    const out = ["```mermaid", "flowchart LR"];
    const accounts = [...new Set([...buckets.map(b => b.account), ...routes.flatMap(r => [r.sourceAccount, r.destinationAccount])].filter(Boolean))].sort();
    const accountId = (a: string) => `acct${accounts.indexOf(a)}`;
    if (routes.length > maxRoutes) {
        for (const a of accounts) {
            const mine = buckets.filter(b => b.account === a);
            const regions = [...new Set(mine.map(b => b.region))].sort();
            out.push(`    ${accountId(a)}["${mermaidLabel(`account ${a}`)}<br>${mermaidLabel(`${mine.length} buckets · ${regions.join(", ")}`)}"]`);
        }
        const pairs = new Map<string, RouteView[]>();
        for (const r of routes) {
            const k = `${r.sourceAccount}>${r.destinationAccount}`;
            pairs.set(k, [...(pairs.get(k) ?? []), r]);
        }
        for (const [k, rs] of [...pairs].sort(([a], [b]) => a.localeCompare(b))) {
            const [from, to] = k.split(">");
            const count = (p: (r: RouteView) => boolean, what: string) => {
                const n = rs.filter(p).length;
                return n > 0 ? [`${n} ${what}`] : [];
            };
            const label = [
                `${rs.length} route${rs.length === 1 ? "" : "s"}`,
                ...count(r => !!r.rule?.replicaKmsKey, "KMS"),
                ...count(r => !!r.rule?.rtc, "RTC"),
                ...count(r => r.bidirectional, "two-way"),
            ];
            out.push(`    ${accountId(from)} -->|"${mermaidLabel(label.join(" · "))}"| ${accountId(to)}`);
        }
        out.push("```");
        return out;
    }
    const shown = [...new Set(routes.flatMap(r => [r.source, r.destination]))].sort();
    const byName = new Map(buckets.map(b => [b.name, b]));
    const nodeId = (name: string) => `b${shown.indexOf(name)}`;
    for (const a of accounts) {
        const mine = shown.filter(
            n => (byName.get(n)?.account ?? routes.find(r => r.source === n)?.sourceAccount ?? routes.find(r => r.destination === n)?.destinationAccount) === a,
        );
        if (mine.length === 0) continue;
        out.push(`    subgraph ${accountId(a)}["${mermaidLabel(`account ${a}`)}"]`);
        for (const n of mine) {
            const b = byName.get(n);
            const region = b?.region ?? routes.find(r => r.source === n)?.sourceRegion ?? routes.find(r => r.destination === n)?.destinationRegion ?? "";
            const how = b ? (b.created ? "created" : "adopted") : "in another stack";
            out.push(`        ${nodeId(n)}["${mermaidLabel(n)}<br>${mermaidLabel(`${region} · ${how}`)}"]`);
        }
        out.push("    end");
    }
    const drawn = new Set<string>();
    for (const r of [...routes].sort(
        (a, b) => a.source.localeCompare(b.source) || a.destination.localeCompare(b.destination) || a.ruleId.localeCompare(b.ruleId),
    )) {
        // A two-way pair is one double-headed edge.
        const reverse = r.bidirectional && routes.some(x => x.source === r.destination && x.destination === r.source && x.bidirectional);
        const key = reverse ? [r.source, r.destination].sort().join("<>") + (r.rule?.prefix ?? "") : `${r.source}>${r.destination}>${r.ruleId}`;
        if (drawn.has(key)) continue;
        drawn.add(key);
        out.push(`    ${nodeId(r.source)} ${reverse ? "<-->" : "-->"}|"${mermaidLabel(routeLabel(r).join(" · "))}"| ${nodeId(r.destination)}`);
    }
    out.push("```");
    return out;
}

function shortType(type: string): string {
    const m = /^aws:([a-z0-9]+)\/[A-Za-z0-9]+:([A-Za-z0-9]+)$/.exec(type);
    return m ? `aws.${m[1]}.${m[2]}` : type;
}

/**
 * What adoption does to an existing bucket, one cell per setting: kept as it is, or (from the
 * program's `adoptedSettingChanges`, `bucket: setting: before -> after`) changed.
 */
function adoptionChanges(
    b: BucketView,
    changes: readonly string[],
): { ownership: string; encryption: string; publicAccess: string; versioning: string; policy: string; replication: string } {
    const s = (t: string) => b.settings.get(t)?.inputs ?? {};
    const ownership = str(obj(s(T.ownership).rule).objectOwnership);
    const rule = obj(list(s(T.encryption).rules)[0]);
    const d = obj(rule.applyServerSideEncryptionByDefault);
    const pab = s(T.pab);
    const policy = b.settings.get(T.policy);
    const sids = policy
        ? list(obj(decoded(policy.inputs.policy)).Statement)
              .map(x => str(obj(x).Sid))
              .filter(Boolean)
        : [];
    const config = b.settings.get(T.replication);
    const changed = (setting: string) => {
        const prefix = `${b.name}: ${setting}: `;
        const c = changes.find(x => x.startsWith(prefix));
        if (!c) return undefined;
        const [before, after] = c.slice(prefix.length).split(" -> ");
        return `**${text(before)} → ${text(after ?? "")}**`;
    };
    const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter(k => pab[k] === true || pab[k] === "true");
    return {
        ownership: changed("object ownership") ?? (ownership ? `kept: ${text(ownership)}` : "unchanged"),
        encryption:
            changed("default encryption") ??
            (d.sseAlgorithm === "aws:kms"
                ? `kept: SSE-KMS ${code(str(d.kmsMasterKeyId))}${rule.bucketKeyEnabled ? " + Bucket Key" : ""}`
                : d.sseAlgorithm
                  ? `kept: SSE-S3 (${text(str(d.sseAlgorithm))})`
                  : "unchanged"),
        publicAccess:
            changed("public access block") ??
            (b.settings.has(T.pab) ? `kept: ${flags.length === 4 ? "all four blocks on" : flags.length === 0 ? "no blocks" : flags.join(", ")}` : "unchanged"),
        versioning: b.settings.has(T.versioning) ? `→ ${text(str(obj(s(T.versioning).versioningConfiguration).status))}` : "unchanged",
        policy: policy ? `existing statements kept; adds ${sids.map(code).join(", ")}` : "unchanged",
        replication: config ? `writes ${list(config.inputs.rules).length} rule(s)` : "–",
    };
}

/** The whole plan as Markdown for a pull request. */
export function planMarkdown(plan: PlanJson, options: MarkdownOptions = {}): string {
    const max = options.tableMaxRows ?? TABLE_MAX_ROWS;
    const routes = routesOf(plan);
    const buckets = bucketsOf(plan);
    const custom = plan.resources.filter(r => r.custom !== false);
    const warnings = plan.outputs?.warnings ?? plan.summary?.warnings ?? [];
    const accounts = [...new Set(custom.map(r => r.account).filter((a): a is string => !!a))].sort();
    const regions = [...new Set(custom.map(r => r.region).filter((a): a is string => !!a && a !== "global"))].sort();
    const byType = new Map<string, number>();
    for (const r of custom) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    const adopted = buckets.filter(b => !b.created && b.settings.size > 0);
    const changedSettings = plan.outputs?.adoptedSettingChanges ?? [];
    const out: string[] = [];

    out.push(`## S3 replication plan${plan.stack ? ` for stack ${code(plan.stack)}` : ""}`, "");
    out.push(
        "Offline plan: the stacks program ran under the Pulumi mock runtime, no AWS call was made. Values only AWS assigns show as “(known after deploy)”; an adopted bucket's current policy is read and merged at deploy time.",
        "",
    );
    out.push("### Summary", "");
    out.push(
        ...table(
            ["", ""],
            [
                ["Routes", String(routes.length)],
                ["Accounts", accounts.map(code).join(", ") || "–"],
                ["Regions", regions.map(code).join(", ") || "–"],
                ["Buckets", `${buckets.filter(b => b.created).length} created, ${adopted.length} adopted`],
                ["Resources", `${custom.length} (+${plan.resources.length - custom.length} components)`],
                ["Warnings", String(warnings.length)],
                [
                    "Changes to adopted buckets' settings",
                    changedSettings.length === 0 ? "0" : `**${changedSettings.length}** (see [Adopted buckets](#adopted-buckets-what-changes-on-them))`,
                ],
            ],
            Infinity,
            "",
        ),
        "",
    );
    out.push("<details><summary>Resources by type</summary>", "");
    out.push(
        ...table(
            ["Type", "Count"],
            [...byType].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => [code(shortType(t)), String(n)]),
            Infinity,
            "",
        ),
        "",
        "</details>",
        "",
    );
    if (warnings.length > 0) {
        out.push("### Warnings", "");
        for (const w of warnings.slice(0, max)) out.push(`- ${text(w)}`);
        if (warnings.length > max) out.push(`- … and ${warnings.length - max} more: \`validate --json\` lists them all.`);
        out.push("");
    }

    out.push("### Topology", "");
    if (routes.length > (options.topologyMaxRoutes ?? TOPOLOGY_MAX_ROUTES)) {
        out.push(
            `${routes.length} routes: more than ${options.topologyMaxRoutes ?? TOPOLOGY_MAX_ROUTES}, so accounts are drawn with the routes between them counted.`,
            "",
        );
    }
    out.push(...topology(plan, routes, buckets, options.topologyMaxRoutes), "");

    out.push("### Routes", "");
    out.push(
        ...table(
            ["Source", "Destination", "Rule", "Priority", "Storage class", "Filter", "Replica KMS key", "RTC", "Two-way", "Backfill"],
            routes.map(r => [
                `${code(r.source)}<br>${code(`${r.sourceAccount} · ${r.sourceRegion}`)}`,
                `${code(r.destination)}<br>${code(`${r.destinationAccount} · ${r.destinationRegion}`)}`,
                code(r.ruleId) + (r.rule && r.rule.status !== "Enabled" ? ` (${text(r.rule.status)})` : ""),
                String(r.priority),
                r.rule?.storageClass ? code(r.rule.storageClass) : "source class",
                r.rule ? cellList([...(r.rule.prefix ? [`prefix ${r.rule.prefix}`] : []), ...r.rule.tags.map(t => `tag ${t}`)]) : "–",
                r.rule?.replicaKmsKey ? code(r.rule.replicaKmsKey) : "–",
                r.rule?.rtc ? "yes" : "no",
                r.bidirectional ? "yes" : "no",
                r.existingObjects === "none" ? "–" : code(r.existingObjects),
            ]),
            max,
            "routes",
        ),
        "",
    );

    out.push("### By account and Region", "");
    const groups = new Map<string, PlannedResource[]>();
    for (const r of custom.filter(x => !x.type.startsWith("pulumi:providers:"))) {
        const key = `${r.account ?? "?"}\u0000${r.region ?? "?"}`;
        groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const count = (rs: PlannedResource[], ...types: readonly string[]) => rs.filter(r => types.includes(r.type)).length;
    out.push(
        ...table(
            [
                "Account",
                "Region",
                "Buckets created",
                "Buckets adopted",
                "Replication configs (rules)",
                "Roles",
                "Policies",
                "KMS grants",
                "Backfill jobs",
                "Alarms",
                "Dashboards, topics",
            ],
            [...groups]
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([key, rs]) => {
                    const [account, region] = key.split("\u0000");
                    const here = buckets.filter(b => b.account === account && b.region === region);
                    const configs = rs.filter(r => r.type === T.replication);
                    return [
                        code(account),
                        code(region),
                        String(here.filter(b => b.created).length),
                        String(here.filter(b => !b.created).length),
                        `${configs.length} (${configs.reduce((n, c) => n + list(c.inputs.rules).length, 0)})`,
                        String(count(rs, T.role)),
                        String(count(rs, T.rolePolicy, T.managedPolicy)),
                        String(count(rs, T.kmsGrant)),
                        String(count(rs, ...T.jobs)),
                        String(count(rs, T.alarm)),
                        String(count(rs, T.dashboard, T.topic)),
                    ];
                }),
            Infinity,
            "",
        ),
        "",
    );

    out.push("### Buckets", "");
    out.push(
        ...table(
            ["Bucket", "Account", "Region", "How", "Default encryption", "Policy statements"],
            buckets.map(b => {
                const enc = obj(obj(list(b.settings.get(T.encryption)?.inputs.rules)[0]).applyServerSideEncryptionByDefault);
                const policy = b.settings.get(T.policy);
                const sids = policy
                    ? list(obj(decoded(policy.inputs.policy)).Statement)
                          .map(x => str(obj(x).Sid))
                          .filter(Boolean)
                    : [];
                return [
                    code(b.name),
                    code(b.account),
                    code(b.region),
                    b.created ? "created" : "**adopted**",
                    enc.sseAlgorithm === "aws:kms" ? `SSE-KMS ${code(str(enc.kmsMasterKeyId))}` : enc.sseAlgorithm ? "SSE-S3" : "–",
                    cellList(sids),
                ];
            }),
            max,
            "buckets",
        ),
        "",
    );

    if (adopted.length > 0) {
        out.push("### Adopted buckets: what changes on them", "");
        out.push(
            "These buckets exist already. Their default encryption, object ownership and public access block are read at deploy time and kept, unless stack config (`adoptedSettings: harden`, or a key named for the bucket) changes them; a change that would cut off access the bucket grants stops the deploy. Offline, each is taken to have what S3 gives a new bucket (SSE-S3, BucketOwnerEnforced, all four blocks on): `pulumi preview` reports the real changes. Changes are in **bold**; a changed default encryption applies to new objects. Versioning is always Enabled (replication needs it); the bucket policy keeps its other statements and gains this package's.",
            "",
        );
        out.push(
            ...table(
                ["Bucket", "Account · Region", "Object ownership", "Default encryption", "Block Public Access", "Versioning", "Bucket policy", "Replication"],
                adopted.map(b => {
                    const c = adoptionChanges(b, plan.outputs?.adoptedSettingChanges ?? []);
                    return [code(b.name), code(`${b.account} · ${b.region}`), c.ownership, c.encryption, c.publicAccess, c.versioning, c.policy, c.replication];
                }),
                max,
                "adopted buckets",
            ),
            "",
        );
    }

    const iam = iamStatements(plan);
    out.push("### IAM and KMS statements", "");
    out.push(
        "Every statement the plan writes, as `cdk diff` lists them: role trust, role permissions, the destination bucket policies' grants and the KMS grants.",
        "",
    );
    for (const [title, rows] of [
        ["Role trust policies", iam.trust],
        ["Role permissions", iam.permissions],
        ["Bucket policy grants", iam.bucketPolicies],
        ["KMS grants", iam.grants],
    ] as const) {
        out.push(`<details><summary>${title} (${rows.length})</summary>`, "");
        out.push(...(rows.length > 0 ? statementTable([...rows], max) : ["None."]), "", "</details>", "");
    }
    out.push("Every bucket policy also denies requests without TLS (`DenyInsecureTransport`: Deny `*` `s3:*` when `aws:SecureTransport` is false).");
    return out.join("\n");
}
