/**
 * One fleet written as CSV, XLSX (made by exceljs here), YAML and JSON normalizes to the same
 * model; the AWS blog template loads; the example stacks' manifests are clean.
 */
import { expect } from "chai";
import { filterKey, shortHash } from "../components/model";
import * as ExcelJS from "exceljs";
import * as fs from "fs";
import * as path from "path";
import { ManifestValidation, validateManifest, validateManifestContent } from "../components/manifest";
import { FleetSpec, StackSettings, parseStackSettings } from "../components/model";

const FIXTURES = path.join(__dirname, "fixtures", "manifests");
const MANIFESTS = path.join(__dirname, "..", "stacks", "manifests");

function settings(raw: Record<string, unknown>): StackSettings {
    const parsed = parseStackSettings(raw);
    expect(parsed.diagnostics).to.deep.equal([]);
    return parsed.settings!;
}

const FLEET_SETTINGS = settings({ accounts: { prod: { id: "111111111111" }, dr: { id: "222222222222" } } });

/** The model without where each value came from (rows and lines differ between formats). */
function located(spec: FleetSpec): unknown {
    return {
        accounts: spec.accounts,
        buckets: spec.buckets.map(({ at: _at, ...b }) => b),
        routes: spec.routes.map(({ at: _at, locs: _locs, ...r }) => r),
    };
}

async function fleetXlsx(): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet("README").getCell("A1").value = "Routes are on the Fleet sheet.";
    const ws = wb.addWorksheet("Fleet");
    ws.addRow([
        "Source Bucket",
        "Source Account",
        "Source Region",
        "Destination Bucket",
        "Destination Account",
        "Destination Region",
        "Prefix",
        "Tags",
        "Storage Class",
        "Delete Marker Replication",
        "Replica KMS Key",
        "Source KMS Key",
        "RTC",
        "Existing Objects",
        "Bidirectional",
        "Priority",
    ]);
    const replicaKey = "arn:aws:kms:us-west-2:222222222222:key/7c9d8e1f-2a3b-4c5d-8e9f-0a1b2c3d4e5f";
    const sourceKey = "arn:aws:kms:us-east-1:111111111111:key/0b7e2c1a-5d4f-4c3e-9a8b-1f2e3d4c5b6a";
    // Typed cells as Excel users leave them: booleans, numbers, rich text, formulas, hyperlinks.
    ws.addRow([
        { richText: [{ text: "ord", font: { bold: true } }, { text: "ers" }] },
        "prod",
        "us-east-1",
        "orders-dr",
        "dr",
        "us-west-2",
        null,
        null,
        "STANDARD_IA",
        true,
        null,
        null,
        true,
        "eligible",
        null,
        null,
    ]);
    ws.addRow([]);
    ws.addRow([
        "orders",
        "prod",
        "us-east-1",
        { text: "orders-audit", hyperlink: "https://s3.console.aws.amazon.com/s3/buckets/orders-audit" },
        "prod",
        "us-east-1",
        "audit/",
        "team=finance;class=audit",
        { formula: 'UPPER("glacier_ir")', result: "GLACIER_IR" },
        false,
        null,
        null,
        false,
        "none",
        null,
        { formula: "3+4", result: 7 },
    ]);
    ws.addRow([
        "customer-docs",
        "prod",
        "us-east-1",
        "customer-docs-dr",
        "dr",
        "us-west-2",
        null,
        null,
        null,
        null,
        replicaKey,
        sourceKey,
        null,
        null,
        null,
        null,
    ]);
    ws.addRow(["media-west", 111111111111, "us-west-2", "media-east", 111111111111, "us-east-1", null, null, null, null, null, null, null, null, true, null]);
    return Buffer.from(await wb.xlsx.writeBuffer());
}

describe("manifest formats: one fleet, four formats", () => {
    let results: Record<string, ManifestValidation>;

    before(async () => {
        results = {
            csv: await validateManifest(path.join(FIXTURES, "fleet.csv"), { settings: FLEET_SETTINGS }),
            yaml: await validateManifest(path.join(FIXTURES, "fleet.yaml"), { settings: FLEET_SETTINGS }),
            json: await validateManifest(path.join(FIXTURES, "fleet.json"), { settings: FLEET_SETTINGS }),
            xlsx: await validateManifestContent(await fleetXlsx(), "xlsx", "fleet.xlsx", { settings: FLEET_SETTINGS, sheet: "Fleet" }),
        };
    });

    it("each format validates clean", () => {
        for (const [format, r] of Object.entries(results)) {
            expect(r.diagnostics, format).to.deep.equal([]);
            expect(r.format, format).to.equal(format);
            expect(r.records, format).to.equal(4);
        }
    });

    it("CSV, XLSX, YAML and JSON normalize to the same model and the same rendered configurations", () => {
        const reference = located(results.csv.spec!);
        const configs = results.csv.plan!.sources.map(s => s.config);
        for (const format of ["xlsx", "yaml", "json"]) {
            expect(located(results[format].spec!), format).to.deep.equal(reference);
            expect(
                results[format].plan!.sources.map(s => s.config),
                format,
            ).to.deep.equal(configs);
        }
    });

    it("the model is what the fleet says: one-to-many, cross-account, KMS, two-way", () => {
        const routes = results.csv.spec!.routes;
        // The audit route is filtered (a prefix and tags): its key carries its filter's hash.
        expect(routes.map(r => r.key)).to.deep.equal([
            "customer-docs->customer-docs-dr",
            "media-east->media-west",
            "media-west->media-east",
            `orders->orders-audit-${shortHash(filterKey(routes[3].prefix, routes[3].tags))}`,
            "orders->orders-dr",
        ]);
        const dr = routes.find(r => r.key === "orders->orders-dr")!;
        expect(dr).to.include({
            sourceAccount: "111111111111",
            destinationAccount: "222222222222",
            storageClass: "STANDARD_IA",
            deleteMarkerReplication: true,
            rtc: true,
            existingObjects: "eligible",
            replicaOwnership: "destination",
        });
        const audit = routes.find(r => r.destination === "orders-audit")!;
        expect(audit.priority).to.equal(7);
        expect(audit.tags).to.deep.equal({ class: "audit", team: "finance" });
        expect(dr.priority).to.not.equal(7);
        expect(routes.find(r => r.key === "customer-docs->customer-docs-dr")).to.include({
            replicateKms: true,
            replicaKmsKeyId: "arn:aws:kms:us-west-2:222222222222:key/7c9d8e1f-2a3b-4c5d-8e9f-0a1b2c3d4e5f",
        });
        expect(routes.find(r => r.key === "media-east->media-west")).to.include({ implied: true, bidirectional: true });
    });

    it("keeps each format's own locations: spreadsheet rows for CSV/XLSX, key lines for YAML", () => {
        const audit = (r: ManifestValidation) => r.spec!.routes.find(x => x.destination === "orders-audit")!;
        expect(audit(results.csv).locs.prefix!.row).to.equal(3);
        expect(audit(results.xlsx).locs.prefix!.row).to.equal(4); // a blank row 3 in the sheet
        expect(audit(results.yaml).locs.prefix!.row).to.equal(20);
        expect(audit(results.yaml).at.row).to.equal(14);
    });
});

describe("manifest formats: the AWS Storage Blog template", () => {
    const file = path.join(MANIFESTS, "blog-template.csv");

    it("loads with the source account and Region from --set and a destination template", async () => {
        const result = await validateManifest(file, {
            settings: settings({ destinationTemplate: "{source}-replica" }),
            set: ["source_account=333333333333", "source_region=us-east-1"],
        });
        expect(result.diagnostics).to.deep.equal([]);
        const routes = result.spec!.routes;
        expect(
            routes.map(r => [r.source, r.destination, r.destinationRegion, r.storageClass, r.prefix, r.deleteMarkerReplication, r.existingObjects]),
        ).to.deep.equal([
            ["acme-media-assets", "acme-media-assets-replica", "us-west-2", "STANDARD_IA", "", true, "none"],
            ["acme-media-exports", "acme-media-exports-replica", "eu-west-1", "STANDARD", "exports/2024/", true, "none"],
            ["acme-media-thumbnails", "acme-media-thumbnails-replica", "us-west-2", "GLACIER_IR", "thumbs/", false, "eligible"],
        ]);
        expect(routes.every(r => r.sourceAccount === "333333333333" && r.sourceRegion === "us-east-1")).to.equal(true);
    });

    it("without them, says once per missing column how to give it", async () => {
        const result = await validateManifest(file, { settings: settings({ destinationTemplate: "{source}-replica" }) });
        expect(result.diagnostics.map(d => `${d.code}@${d.row}:${d.column}`)).to.deep.equal([
            "MISSING_FIELD@1:source_account",
            "MISSING_FIELD@1:source_region",
        ]);
    });
});

describe("manifest formats: the example stacks' manifests", () => {
    it("dev.csv is clean: one account, us-east-1 -> us-west-2, one route with a prefix", async () => {
        const result = await validateManifest(path.join(MANIFESTS, "dev.csv"), { settings: settings({ accounts: { dev: { id: "111111111111" } } }) });
        expect(result.diagnostics).to.deep.equal([]);
        const routes = result.spec!.routes;
        expect(routes.length).to.be.within(2, 3);
        expect(
            routes.every(
                r =>
                    r.sourceAccount === "111111111111" &&
                    r.destinationAccount === "111111111111" &&
                    r.sourceRegion === "us-east-1" &&
                    r.destinationRegion === "us-west-2",
            ),
        ).to.equal(true);
        expect(routes.filter(r => r.prefix !== "")).to.have.length(1);
    });

    it("prod.csv is clean, strict included: cross-account via aliases, SSE-KMS, RTC, a backfill, one-to-many", async () => {
        const result = await validateManifest(path.join(MANIFESTS, "prod.csv"), {
            settings: settings({ accounts: { prod: { id: "111111111111" }, dr: { id: "222222222222" } } }),
            strict: true,
        });
        expect(result.diagnostics).to.deep.equal([]);
        const routes = result.spec!.routes;
        expect(routes.every(r => r.sourceAccount === "111111111111" && r.destinationAccount === "222222222222")).to.equal(true);
        expect(routes.every(r => r.sourceRegion === "us-east-1" && r.destinationRegion === "us-west-2")).to.equal(true);
        const kms = routes.filter(r => r.replicateKms);
        expect(kms.length).to.be.greaterThan(0);
        expect(
            kms.every(
                r =>
                    r.replicaKmsKeyId!.startsWith("arn:aws:kms:us-west-2:222222222222:key/") &&
                    r.sourceKmsKeyArn!.startsWith("arn:aws:kms:us-east-1:111111111111:key/"),
            ),
        ).to.equal(true);
        expect(routes.filter(r => r.rtc)).to.have.length(1);
        expect(routes.filter(r => r.existingObjects === "eligible")).to.have.length(1);
        const perSource = new Map<string, number>();
        for (const r of routes) perSource.set(r.source, (perSource.get(r.source) ?? 0) + 1);
        expect(
            [...perSource.values()].some(n => n > 1),
            "a one-to-many source",
        ).to.equal(true);
    });

    it("every manifest in stacks/manifests loads without a loader diagnostic", async () => {
        const files = fs.readdirSync(MANIFESTS);
        expect(files).to.include.members(["dev.csv", "prod.csv", "blog-template.csv"]);
        for (const f of files) {
            const r = await validateManifest(path.join(MANIFESTS, f), { settings: settings({}) });
            expect(
                r.diagnostics.filter(d => ["MANIFEST_UNREADABLE", "MANIFEST_EMPTY", "UNKNOWN_COLUMN", "DUPLICATE_COLUMN"].includes(d.code)),
                f,
            ).to.deep.equal([]);
        }
    });
});
