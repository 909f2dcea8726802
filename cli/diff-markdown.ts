/**
 * `plan --diff <base> --format markdown`: the diff in review form for a pull request. The safety
 * summary comes first, then every change with the marker `pulumi preview` uses (+ create, ~ update,
 * -/+ replace, - delete), the IAM and KMS statements that appear or disappear (as `cdk diff` shows
 * them), and the `pulumi state move` commands a sharded fleet needs before `pulumi up`.
 */
import { PlanDiff, PlanDocument, ResourceChange, StateMove, safetyLine } from "./plan-diff";
import { PlanJson, StatementRow, code, iamStatements, text } from "./plan-markdown";

const MARKER: Record<ResourceChange["op"], string> = { create: "+", update: "~", replace: "-/+", delete: "-", same: " " };

function shortType(type: string): string {
    const m = /^aws:([a-z0-9]+)\/[A-Za-z0-9]+:([A-Za-z0-9]+)$/.exec(type);
    return m ? `aws.${m[1]}.${m[2]}` : type;
}

/** A fenced block for any text: a fence longer than any backtick run inside it. */
function fenced(lang: string, lines: string[]): string[] {
    const longest = Math.max(2, ...lines.flatMap(l => (l.match(/`+/g) ?? []).map(r => r.length)));
    const fence = "`".repeat(longest + 1);
    return [`${fence}${lang}`, ...lines.map(l => l.replace(/[\r\n]+/g, " ")), fence];
}

function details(c: ResourceChange): string {
    const parts: string[] = [];
    if (c.op === "replace") parts.push(`replaced because ${c.replaceOn.map(code).join(", ")} changed`);
    else if (c.op === "update") parts.push(`changed: ${c.changed.map(code).join(", ")}`);
    else if (c.op === "delete" && c.retained) parts.push("removed from the stack; kept in AWS (retainOnDelete)");
    if (c.rules) {
        const rules = [...c.rules.added.map(id => `+ ${id}`), ...c.rules.changed.map(id => `~ ${id}`), ...c.rules.removed.map(id => `- ${id}`)];
        if (rules.length > 0) parts.push(`rules: ${rules.map(code).join(" ")}`);
    }
    return parts.join("<br>") || "–";
}

const statementKey = (s: StatementRow) => JSON.stringify([s.document, s.effect, s.principal, s.actions, s.resources, s.conditions]);

/** Statements only in `next` (+) and only in `base` (-), whole statements as `cdk diff` lists them. */
export function statementChanges(base: PlanDocument, next: PlanDocument): Array<{ marker: "+" | "-"; row: StatementRow }> {
    const flat = (p: PlanDocument) => {
        const s = iamStatements(p as PlanJson);
        return [...s.trust, ...s.permissions, ...s.bucketPolicies, ...s.grants];
    };
    const before = flat(base);
    const after = flat(next);
    const had = new Set(before.map(statementKey));
    const has = new Set(after.map(statementKey));
    return [
        ...before.filter(s => !has.has(statementKey(s))).map(row => ({ marker: "-" as const, row })),
        ...after.filter(s => !had.has(statementKey(s))).map(row => ({ marker: "+" as const, row })),
    ].sort((a, b) => a.row.document.localeCompare(b.row.document) || (a.marker === b.marker ? 0 : a.marker === "-" ? -1 : 1));
}

export interface DiffMarkdownInput {
    stack: string;
    /** What the base is (a file name). */
    baseName: string;
    diff: PlanDiff;
    base: PlanDocument;
    next: PlanDocument;
    moves: StateMove[];
    /** Rows per table before "N more" (default 60). */
    tableMaxRows?: number;
}

export function diffMarkdown(input: DiffMarkdownInput): string {
    const { diff, moves } = input;
    const max = input.tableMaxRows ?? 60;
    const s = diff.summary;
    const out: string[] = [
        `## S3 replication plan diff for stack ${code(input.stack)}`,
        "",
        `Against ${code(input.baseName)}, by URN (what \`pulumi up\` keeps, updates, replaces and deletes).`,
        "",
    ];
    const destructive = diff.destructive || moves.length > 0;
    out.push(
        destructive
            ? "**⚠️ Review before merging:** this change deletes or replaces buckets, bucket settings, roles, policies or replication configurations, or moves resources between stacks (`plan --diff` exits 3)."
            : "**Safe to apply:** nothing that holds data or grants access is deleted or replaced.",
        "",
    );
    out.push(`**Safety:** ${safetyLine(s)}.`, "");
    out.push(`**Changes:** ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ${s.same} unchanged.`, "");

    if (moves.length > 0) {
        out.push("### State moves (run these first)", "");
        out.push(
            `${moves.reduce((n, m) => n + m.urns.length, 0)} resource(s) move to this stack from another. Move their state BEFORE \`pulumi up\` on either stack, or the other stack deletes them:`,
            "",
        );
        out.push(
            ...fenced(
                "sh",
                moves.map(m => m.command),
            ),
            "",
        );
    }

    if (diff.changes.length > 0) {
        out.push("### Resources", "");
        out.push("| | Type | Name | Account · Region | What changes |", "| --- | --- | --- | --- | --- |");
        for (const c of diff.changes.slice(0, max)) {
            const where = c.account ? code(`${c.account}${c.region ? ` · ${c.region}` : ""}`) : "–";
            out.push(`| ${code(MARKER[c.op])} | ${code(shortType(c.type))} | ${code(c.name)} | ${where} | ${details(c)} |`);
        }
        if (diff.changes.length > max) out.push("", `… and ${diff.changes.length - max} more changes: \`plan --diff --json\` lists them all.`);
        out.push("");
    }

    const statements = statementChanges(input.base, input.next);
    if (statements.length > 0) {
        out.push("### IAM and KMS statement changes", "");
        out.push("| | Document | Effect | Principal | Actions | Resources | Conditions |", "| --- | --- | --- | --- | --- | --- | --- |");
        const cell = (v: string[]) => (v.length ? v.map(code).join("<br>") : "–");
        for (const { marker, row } of statements.slice(0, max)) {
            out.push(
                `| ${code(marker)} | ${text(row.document)} | ${row.effect} | ${cell(row.principal)} | ${cell(row.actions)} | ${cell(row.resources)} | ${cell(row.conditions)} |`,
            );
        }
        if (statements.length > max) out.push("", `… and ${statements.length - max} more statements.`);
        out.push("");
    }
    if (diff.changes.length === 0 && moves.length === 0) out.push("No changes.");
    return out.join("\n").trimEnd();
}
