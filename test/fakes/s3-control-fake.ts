/**
 * A loopback fake of the S3 Control job API (CreateJob, DescribeJob, UpdateJobStatus,
 * UpdateJobPriority, ListJobs) and of STS AssumeRole, speaking the real REST-XML / query wire
 * formats so that the real AWS SDK v3 clients can be pointed at it.
 *
 * What it checks, like S3 does: the `x-amz-account-id` header, a SigV4 Authorization header (its
 * credential scope gives the Region: jobs are regional), the shape of the CreateJob document, and
 * ClientRequestToken idempotency (same token + same request -> same JobId; same token + different
 * request -> IdempotencyException).
 *
 * What it does not do: run jobs. A job's status advances one step per DescribeJob (or by hand),
 * which is enough to exercise waiting, progress and failure reporting.
 *
 * Faults (by seeded rate or scripted, per operation): throttling (429 TooManyRequestsException or
 * 503 SlowDown), 500 InternalServiceException, connections dropped before or after the request
 * took effect, slow answers, and BadRequestException.
 */
import * as http from "http";
import type { AddressInfo, Socket } from "net";
import { createHash, randomUUID } from "crypto";
import { XMLParser } from "fast-xml-parser";

export type FakeOperation = "CreateJob" | "DescribeJob" | "UpdateJobStatus" | "UpdateJobPriority" | "ListJobs" | "AssumeRole";

export type FaultKind =
    | "throttle" // 429 TooManyRequestsException, request not processed
    | "slowdown" // 503 SlowDown, request not processed
    | "server-error" // 500 InternalServiceException, request not processed
    | "drop-before" // socket destroyed before the request is processed
    | "drop-after" // request processed (e.g. the job exists), then the socket is destroyed: a lost response
    | "slow" // request processed, answer delayed by `delayMs`
    | "bad-request"; // 400 BadRequestException with `message`

export interface ScriptedFault {
    kind: FaultKind;
    /** Only requests of this operation consume the fault (default: the next request of any operation). */
    operation?: FakeOperation;
    /** For "slow": how long to hold the answer. */
    delayMs?: number;
    /** For "bad-request": what AWS says. */
    message?: string;
}

/** Probabilities (0-1) per request; they are cumulative, so their sum must stay <= 1. */
export interface FaultRates {
    throttle?: number;
    slowdown?: number;
    serverError?: number;
    dropBefore?: number;
    dropAfter?: number;
    slow?: number;
    /** Delay of a "slow" answer (default 1500 ms). */
    slowMs?: number;
    /** Operations the rates apply to (default: all). */
    operations?: readonly FakeOperation[];
}

export interface S3ControlFakeOptions {
    /** Accounts the fake answers for; others get 403 AccessDenied. Default: any 12-digit id. */
    accountIds?: readonly string[];
    /** Latency added before every request is processed. */
    latencyMs?: number;
    /** Random faults. */
    faults?: FaultRates;
    /** PRNG seed for faults (reproducible runs). */
    seed?: number;
    /** "advance-on-describe" (default): each DescribeJob moves a job one step; "manual": only {@link S3ControlFake.setJob}. */
    lifecycle?: "advance-on-describe" | "manual";
    /** Tasks in every job's manifest (default 1000). */
    tasksPerJob?: number;
    /** Of those, how many fail (default 0). */
    failedTasksPerJob?: number;
}

export type FakeJobStatus =
    | "New"
    | "Preparing"
    | "Suspended"
    | "Ready"
    | "Active"
    | "Pausing"
    | "Paused"
    | "Completing"
    | "Complete"
    | "Cancelling"
    | "Cancelled"
    | "Failing"
    | "Failed";

export interface FakeJob {
    jobId: string;
    accountId: string;
    region: string;
    clientRequestToken: string;
    requestHash: string;
    status: FakeJobStatus;
    priority: number;
    confirmationRequired: boolean;
    description?: string;
    roleArn: string;
    tags: { Key: string; Value: string }[];
    /** The CreateJob document as parsed (element names as keys, list items under `member`). */
    request: XmlObject;
    createdAt: Date;
    terminatedAt?: Date;
    totalTasks: number;
    succeededTasks: number;
    failedTasks: number;
    failureReasons: { FailureCode: string; FailureReason: string }[];
    statusUpdateReason?: string;
    suspendedCause?: string;
}

export interface RecordedRequest {
    operation: FakeOperation | "Unknown";
    method: string;
    path: string;
    query: Record<string, string[]>;
    accountId?: string;
    /** Region from the SigV4 credential scope. */
    region?: string;
    /** Access key id from the SigV4 credential scope. */
    accessKeyId?: string;
    /** The Host header, to see which endpoint the client resolved. */
    host?: string;
    body: string;
    fault?: FaultKind;
    /** HTTP status sent (undefined when the connection was dropped). */
    status?: number;
    errorCode?: string;
}

export interface FakeStats {
    jobsCreated: number;
    /** CreateJob calls answered with an existing job because the token matched. */
    idempotentReplays: number;
    faults: Record<FaultKind, number>;
}

// Wire-format types: the parsed XML is untyped by nature.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type XmlObject = Record<string, any>;

const NAMESPACE = "http://awss3control.amazonaws.com/doc/2018-08-20/";
const TERMINAL: ReadonlySet<FakeJobStatus> = new Set(["Complete", "Cancelled", "Failed"]);
const REPLICATION_STATUSES = new Set(["NONE", "FAILED", "COMPLETED", "REPLICA"]);
const ACCOUNT = /^\d{12}$/;
const ROLE_ARN = /^arn:[^:]+:iam::\d{12}:role\/.+$/;
const BUCKET_ARN = /^arn:([^:]+):s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;

class HttpError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

/** mulberry32: small, fast, seedable; faults must be reproducible from a seed. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function escapeXml(value: string): string {
    return value.replace(/[<>&"']/g, c => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] as string);
}

type XmlNode = string | number | boolean | Date | undefined | XmlNode[] | { [name: string]: XmlNode };

/** Serializes a node the way restXml expects: objects become elements, arrays become `member` lists. */
function toXml(name: string, node: XmlNode): string {
    if (node === undefined) return "";
    if (Array.isArray(node)) return `<${name}>${node.map(n => toXml("member", n)).join("")}</${name}>`;
    if (node instanceof Date) return `<${name}>${node.toISOString()}</${name}>`;
    if (typeof node === "object") {
        const inner = Object.entries(node)
            .map(([k, v]) => toXml(k, v))
            .join("");
        return inner.length === 0 ? `<${name}/>` : `<${name}>${inner}</${name}>`;
    }
    return `<${name}>${escapeXml(String(node))}</${name}>`;
}

function document(root: string, body: { [name: string]: XmlNode }): string {
    const inner = Object.entries(body)
        .map(([k, v]) => toXml(k, v))
        .join("");
    return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NAMESPACE}">${inner}</${root}>`;
}

/** Canonical JSON (sorted keys) so that the same request always hashes the same. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value !== null && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

function members(node: unknown): XmlObject[] | string[] {
    if (node === undefined || node === "" || node === null) return [];
    const list = (node as XmlObject).member;
    return Array.isArray(list) ? list : [];
}

function partitionOfRegion(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

/** The fake server. Create, `await start()`, point the SDK at {@link endpoint}, `await stop()`. */
export class S3ControlFake {
    readonly requests: RecordedRequest[] = [];
    readonly stats: FakeStats = {
        jobsCreated: 0,
        idempotentReplays: 0,
        faults: { "throttle": 0, "slowdown": 0, "server-error": 0, "drop-before": 0, "drop-after": 0, "slow": 0, "bad-request": 0 },
    };
    /** Roles assumed through the STS endpoint, in order. */
    readonly assumedRoles: { roleArn: string; sessionName: string; externalId?: string; accessKeyId: string }[] = [];

    private readonly jobsById = new Map<string, FakeJob>();
    private readonly jobsByToken = new Map<string, FakeJob>();
    private readonly script: ScriptedFault[] = [];
    private readonly sockets = new Set<Socket>();
    private readonly timers = new Set<NodeJS.Timeout>();
    private readonly parser = new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: "@_",
        parseTagValue: false,
        isArray: name => name === "member",
    });
    private server?: http.Server;
    private random: () => number;
    private options: S3ControlFakeOptions;

    constructor(options: S3ControlFakeOptions = {}) {
        this.options = { ...options };
        this.random = prng(options.seed ?? 1);
    }

    /** Base URL (http://127.0.0.1:<port>) once started. */
    get endpoint(): string {
        if (!this.server) throw new Error("S3ControlFake is not started");
        const address = this.server.address() as AddressInfo;
        return `http://127.0.0.1:${address.port}`;
    }

    async start(): Promise<string> {
        const server = http.createServer((req, res) => this.handle(req, res));
        server.keepAliveTimeout = 5000;
        server.on("connection", socket => {
            this.sockets.add(socket);
            socket.on("close", () => this.sockets.delete(socket));
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        this.server = server;
        return this.endpoint;
    }

    async stop(): Promise<void> {
        for (const t of this.timers) clearTimeout(t);
        this.timers.clear();
        for (const s of this.sockets) s.destroy();
        const server = this.server;
        this.server = undefined;
        if (server) await new Promise<void>(resolve => server.close(() => resolve()));
    }

    /** Replace the random fault rates (and optionally reseed). */
    setFaults(faults: FaultRates | undefined, seed?: number): void {
        this.options = { ...this.options, faults };
        if (seed !== undefined) this.random = prng(seed);
    }

    setLatency(latencyMs: number): void {
        this.options = { ...this.options, latencyMs };
    }

    /** Queue faults; each is consumed by the next request of its operation. */
    inject(...faults: ScriptedFault[]): void {
        this.script.push(...faults);
    }

    jobs(): FakeJob[] {
        return [...this.jobsById.values()];
    }

    job(jobId: string): FakeJob | undefined {
        return this.jobsById.get(jobId);
    }

    /** Change a job by hand (status, progress, failure reasons...). */
    setJob(jobId: string, patch: Partial<Omit<FakeJob, "jobId">>): void {
        const job = this.jobsById.get(jobId);
        if (!job) throw new Error(`no job ${jobId}`);
        Object.assign(job, patch);
        if (patch.status && TERMINAL.has(patch.status) && !job.terminatedAt) job.terminatedAt = new Date();
    }

    /** Forget a job, as S3 does 90 days after it ended. */
    expireJob(jobId: string): void {
        const job = this.jobsById.get(jobId);
        if (!job) return;
        this.jobsById.delete(jobId);
        this.jobsByToken.delete(`${job.accountId}/${job.region}/${job.clientRequestToken}`);
    }

    requestsOf(operation: FakeOperation): RecordedRequest[] {
        return this.requests.filter(r => r.operation === operation);
    }

    clearRequests(): void {
        this.requests.length = 0;
    }

    // ---- HTTP plumbing -------------------------------------------------------------------------

    private later(ms: number): Promise<void> {
        return new Promise(resolve => {
            const t = setTimeout(() => {
                this.timers.delete(t);
                resolve();
            }, ms);
            this.timers.add(t);
        });
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            void this.process(req, res, Buffer.concat(chunks).toString("utf8")).catch((err: unknown) => {
                if (!res.headersSent && !res.destroyed) {
                    res.statusCode = 500;
                    res.end(String(err));
                }
            });
        });
    }

    private classify(method: string, path: string, body: string): { operation: FakeOperation | "Unknown"; jobId?: string } {
        if (method === "POST" && path === "/" && body.includes("Action=AssumeRole")) return { operation: "AssumeRole" };
        if (path === "/v20180820/jobs") return { operation: method === "POST" ? "CreateJob" : method === "GET" ? "ListJobs" : "Unknown" };
        const m = /^\/v20180820\/jobs\/([^/]+)(\/status|\/priority)?$/.exec(path);
        if (!m) return { operation: "Unknown" };
        const jobId = decodeURIComponent(m[1]);
        if (method === "GET" && !m[2]) return { operation: "DescribeJob", jobId };
        if (method === "POST" && m[2] === "/status") return { operation: "UpdateJobStatus", jobId };
        if (method === "POST" && m[2] === "/priority") return { operation: "UpdateJobPriority", jobId };
        return { operation: "Unknown" };
    }

    private nextFault(operation: FakeOperation | "Unknown"): ScriptedFault | undefined {
        if (operation === "Unknown") return undefined;
        const i = this.script.findIndex(f => f.operation === undefined || f.operation === operation);
        if (i >= 0) return this.script.splice(i, 1)[0];
        const rates = this.options.faults;
        if (!rates || (rates.operations && !rates.operations.includes(operation))) return undefined;
        const r = this.random();
        let edge = 0;
        const table: [FaultKind, number | undefined][] = [
            ["throttle", rates.throttle],
            ["slowdown", rates.slowdown],
            ["server-error", rates.serverError],
            ["drop-before", rates.dropBefore],
            ["drop-after", rates.dropAfter],
            ["slow", rates.slow],
        ];
        for (const [kind, rate] of table) {
            edge += rate ?? 0;
            if (r < edge) return { kind, delayMs: rates.slowMs ?? 1500 };
        }
        return undefined;
    }

    private async process(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
        const url = new URL(req.url ?? "/", "http://fake");
        const query: Record<string, string[]> = {};
        for (const [k, v] of url.searchParams) (query[k] ??= []).push(v);
        const { operation, jobId } = this.classify(req.method ?? "GET", url.pathname, body);
        const header = req.headers["x-amz-account-id"];
        const auth = typeof req.headers.authorization === "string" ? req.headers.authorization : "";
        const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
        const record: RecordedRequest = {
            operation,
            method: req.method ?? "GET",
            path: url.pathname,
            query,
            accountId: typeof header === "string" ? header : undefined,
            region: scope?.[2],
            accessKeyId: scope?.[1],
            host: req.headers.host,
            body,
        };
        this.requests.push(record);

        const latency = this.options.latencyMs ?? 0;
        if (latency > 0) await this.later(latency);

        const fault = this.nextFault(operation);
        if (fault) {
            record.fault = fault.kind;
            this.stats.faults[fault.kind]++;
        }
        switch (fault?.kind) {
            case "drop-before":
                req.socket.destroy();
                return;
            case "throttle":
                return this.sendError(res, record, new HttpError(429, "TooManyRequestsException", "Please reduce your request rate."));
            case "slowdown":
                return this.sendError(res, record, new HttpError(503, "SlowDown", "Please reduce your request rate."));
            case "server-error":
                return this.sendError(res, record, new HttpError(500, "InternalServiceException", "We encountered an internal error. Please try again."));
            case "bad-request":
                return this.sendError(res, record, new HttpError(400, "BadRequestException", fault.message ?? "Request invalid"));
            default:
                break;
        }

        let payload: string;
        try {
            payload = operation === "AssumeRole" ? this.assumeRole(body, record) : this.dispatch(operation, jobId, record, body);
        } catch (err) {
            if (!(err instanceof HttpError)) throw err;
            // The operation failed: faults that only mimic a lost or late answer do not apply.
            return this.sendError(res, record, err);
        }
        if (fault?.kind === "drop-after") {
            req.socket.destroy();
            return;
        }
        if (fault?.kind === "slow") {
            await this.later(fault.delayMs ?? 1500);
            if (res.destroyed || req.socket.destroyed) return;
        }
        record.status = 200;
        res.statusCode = 200;
        res.setHeader("Content-Type", "application/xml");
        res.setHeader("x-amz-request-id", randomUUID());
        res.end(payload);
    }

    private sendError(res: http.ServerResponse, record: RecordedRequest, err: HttpError): void {
        record.status = err.status;
        record.errorCode = err.code;
        res.statusCode = err.status;
        res.setHeader("Content-Type", "application/xml");
        const requestId = randomUUID();
        res.setHeader("x-amz-request-id", requestId);
        res.end(
            `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Code>${escapeXml(err.code)}</Code>` +
                `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId><HostId>fake</HostId></ErrorResponse>`,
        );
    }

    private dispatch(operation: FakeOperation | "Unknown", jobId: string | undefined, record: RecordedRequest, body: string): string {
        if (operation === "Unknown") throw new HttpError(404, "NotImplemented", `the fake does not implement ${record.method} ${record.path}`);
        if (!record.region) throw new HttpError(403, "MissingAuthenticationToken", "Request is missing a SigV4 Authorization header");
        const account = record.accountId;
        if (account === undefined) throw new HttpError(400, "InvalidRequest", "Missing required header for this request: x-amz-account-id");
        if (!ACCOUNT.test(account)) throw new HttpError(400, "InvalidRequest", `Invalid account id: ${account}`);
        if (this.options.accountIds && !this.options.accountIds.includes(account)) {
            throw new HttpError(403, "AccessDenied", `Access Denied for account ${account}`);
        }
        switch (operation) {
            case "CreateJob":
                return this.createJob(account, record.region, body);
            case "DescribeJob":
                return this.describeJob(this.findJob(account, record.region, jobId));
            case "UpdateJobStatus":
                return this.updateJobStatus(this.findJob(account, record.region, jobId), record.query);
            case "UpdateJobPriority":
                return this.updateJobPriority(this.findJob(account, record.region, jobId), record.query);
            case "ListJobs":
                return this.listJobs(account, record.region, record.query);
            default:
                throw new HttpError(404, "NotImplemented", operation);
        }
    }

    private findJob(account: string, region: string, jobId: string | undefined): FakeJob {
        const job = jobId ? this.jobsById.get(jobId) : undefined;
        // Jobs are per account and Region: another Region does not see them.
        if (!job || job.accountId !== account || job.region !== region) {
            throw new HttpError(404, "NotFoundException", `The specified job does not exist: ${jobId ?? ""}`);
        }
        return job;
    }

    // ---- Operations ----------------------------------------------------------------------------

    /** Everything wrong with a CreateJob document, as S3 would refuse it. */
    private createJobProblems(doc: XmlObject | undefined, region: string): string[] {
        if (!doc) return ["the body must be a CreateJobRequest document"];
        const problems: string[] = [];
        if (doc["@_xmlns"] !== NAMESPACE) problems.push(`CreateJobRequest must be in namespace ${NAMESPACE}`);
        const token = doc.ClientRequestToken;
        if (typeof token !== "string" || token.length < 1 || token.length > 64) problems.push("ClientRequestToken must be 1-64 characters");
        const priority = Number(doc.Priority);
        if (typeof doc.Priority !== "string" || !/^\d+$/.test(doc.Priority) || priority > 2147483647)
            problems.push("Priority must be an integer between 0 and 2147483647");
        if (typeof doc.RoleArn !== "string" || !ROLE_ARN.test(doc.RoleArn)) problems.push("RoleArn must be an IAM role ARN");
        const op = doc.Operation as XmlObject | undefined;
        if (!op || Object.keys(op).length !== 1 || op.S3ReplicateObject !== "")
            problems.push("Operation must be exactly S3ReplicateObject (the only operation this fake runs)");
        if (doc.ConfirmationRequired !== undefined && doc.ConfirmationRequired !== "true" && doc.ConfirmationRequired !== "false")
            problems.push("ConfirmationRequired must be a boolean");
        if (typeof doc.Description === "string" && doc.Description.length > 256) problems.push("Description must be at most 256 characters");
        const partition = partitionOfRegion(region);
        const checkBucketArn = (value: unknown, what: string): void => {
            const m = typeof value === "string" ? BUCKET_ARN.exec(value) : null;
            if (!m) problems.push(`${what} must be a bucket ARN`);
            else if (m[1] !== partition) problems.push(`${what} is in partition ${m[1]}, but the job is created in ${region} (${partition})`);
        };
        const report = doc.Report as XmlObject | undefined;
        if (!report) problems.push("Report is required");
        else if (report.Enabled === "true") {
            checkBucketArn(report.Bucket, "Report.Bucket");
            if (report.Format !== "Report_CSV_20180820") problems.push("Report.Format must be Report_CSV_20180820");
            if (report.ReportScope !== undefined && report.ReportScope !== "AllTasks" && report.ReportScope !== "FailedTasksOnly")
                problems.push("Report.ReportScope must be AllTasks or FailedTasksOnly");
        } else if (report.Enabled !== "false") problems.push("Report.Enabled must be a boolean");
        const generator = (doc.ManifestGenerator as XmlObject | undefined)?.S3JobManifestGenerator as XmlObject | undefined;
        if ((doc.Manifest === undefined) === (doc.ManifestGenerator === undefined)) problems.push("Specify exactly one of Manifest and ManifestGenerator");
        if (doc.ManifestGenerator !== undefined) {
            if (!generator) problems.push("ManifestGenerator must contain S3JobManifestGenerator");
            else {
                checkBucketArn(generator.SourceBucket, "S3JobManifestGenerator.SourceBucket");
                if (generator.EnableManifestOutput !== "true" && generator.EnableManifestOutput !== "false")
                    problems.push("S3JobManifestGenerator.EnableManifestOutput is required");
                if (generator.EnableManifestOutput === "true") {
                    const out = generator.ManifestOutputLocation as XmlObject | undefined;
                    if (!out) problems.push("ManifestOutputLocation is required when EnableManifestOutput is true");
                    else {
                        checkBucketArn(out.Bucket, "ManifestOutputLocation.Bucket");
                        if (out.ManifestFormat !== "S3InventoryReport_CSV_20211130")
                            problems.push("ManifestOutputLocation.ManifestFormat must be S3InventoryReport_CSV_20211130");
                    }
                }
                const filter = generator.Filter as XmlObject | undefined;
                if (filter) {
                    for (const s of members(filter.ObjectReplicationStatuses) as string[]) {
                        if (!REPLICATION_STATUSES.has(s)) problems.push(`ObjectReplicationStatuses: unknown status ${s}`);
                    }
                    for (const key of ["CreatedBefore", "CreatedAfter"]) {
                        if (filter[key] !== undefined && Number.isNaN(Date.parse(String(filter[key])))) problems.push(`Filter.${key} must be a timestamp`);
                    }
                }
            }
        }
        const tags = members(doc.Tags) as XmlObject[];
        if (tags.length > 50) problems.push("At most 50 tags per job");
        for (const t of tags) {
            if (typeof t.Key !== "string" || t.Key.length < 1 || t.Key.length > 128) problems.push("Tag keys must be 1-128 characters");
            if (t.Value !== undefined && String(t.Value).length > 256) problems.push("Tag values must be at most 256 characters");
        }
        return problems;
    }

    private createJob(account: string, region: string, body: string): string {
        let parsed: XmlObject;
        try {
            parsed = this.parser.parse(body) as XmlObject;
        } catch {
            throw new HttpError(400, "MalformedXML", "The XML you provided was not well-formed");
        }
        const doc = parsed.CreateJobRequest as XmlObject | undefined;
        const problems = this.createJobProblems(doc, region);
        if (problems.length > 0 || !doc) throw new HttpError(400, "BadRequestException", problems.join("; "));

        const requestHash = createHash("sha256").update(canonical(doc)).digest("hex");
        const key = `${account}/${region}/${doc.ClientRequestToken as string}`;
        const existing = this.jobsByToken.get(key);
        if (existing) {
            if (existing.requestHash !== requestHash) {
                throw new HttpError(400, "IdempotencyException", "A job with this ClientRequestToken already exists with different parameters");
            }
            this.stats.idempotentReplays++;
            return document("CreateJobResult", { JobId: existing.jobId });
        }
        const job: FakeJob = {
            jobId: randomUUID(),
            accountId: account,
            region,
            clientRequestToken: doc.ClientRequestToken as string,
            requestHash,
            status: "New",
            priority: Number(doc.Priority),
            confirmationRequired: doc.ConfirmationRequired === "true",
            description: typeof doc.Description === "string" ? doc.Description : undefined,
            roleArn: doc.RoleArn as string,
            tags: (members(doc.Tags) as XmlObject[]).map(t => ({ Key: String(t.Key), Value: String(t.Value ?? "") })),
            request: doc,
            createdAt: new Date(),
            totalTasks: 0,
            succeededTasks: 0,
            failedTasks: 0,
            failureReasons: [],
        };
        this.jobsById.set(job.jobId, job);
        this.jobsByToken.set(key, job);
        this.stats.jobsCreated++;
        return document("CreateJobResult", { JobId: job.jobId });
    }

    /** One lifecycle step, as S3 would go: New, Preparing, (Suspended), Ready, Active, Complete. */
    private advance(job: FakeJob): void {
        const total = this.options.tasksPerJob ?? 1000;
        const failed = Math.min(total, this.options.failedTasksPerJob ?? 0);
        switch (job.status) {
            case "New":
                job.status = "Preparing";
                break;
            case "Preparing":
                job.totalTasks = total;
                if (job.confirmationRequired) {
                    job.status = "Suspended";
                    job.suspendedCause = "AwaitingConfirmation";
                } else job.status = "Ready";
                break;
            case "Ready":
                job.status = "Active";
                job.succeededTasks = Math.floor((total - failed) / 2);
                job.failedTasks = Math.floor(failed / 2);
                break;
            case "Active":
                job.succeededTasks = total - failed;
                job.failedTasks = failed;
                job.status = "Complete";
                job.terminatedAt = new Date();
                break;
            default:
                break; // Suspended waits for UpdateJobStatus; terminal states stay.
        }
    }

    private jobNode(job: FakeJob): { [name: string]: XmlNode } {
        const partition = partitionOfRegion(job.region);
        const request = job.request;
        return {
            JobId: job.jobId,
            ConfirmationRequired: job.confirmationRequired,
            Description: job.description,
            JobArn: `arn:${partition}:s3:${job.region}:${job.accountId}:job/${job.jobId}`,
            Status: job.status,
            Operation: { S3ReplicateObject: {} },
            Priority: job.priority,
            ProgressSummary: {
                TotalNumberOfTasks: job.totalTasks,
                NumberOfTasksSucceeded: job.succeededTasks,
                NumberOfTasksFailed: job.failedTasks,
                Timers: { ElapsedTimeInActiveSeconds: 0 },
            },
            StatusUpdateReason: job.statusUpdateReason,
            FailureReasons: job.failureReasons.length > 0 ? job.failureReasons.map(f => ({ ...f })) : undefined,
            Report: request.Report
                ? {
                      Bucket: request.Report.Bucket,
                      Format: request.Report.Format,
                      Enabled: request.Report.Enabled === "true",
                      Prefix: request.Report.Prefix,
                      ReportScope: request.Report.ReportScope,
                  }
                : undefined,
            CreationTime: job.createdAt,
            TerminationDate: job.terminatedAt,
            RoleArn: job.roleArn,
            SuspendedDate: job.status === "Suspended" ? job.createdAt : undefined,
            SuspendedCause: job.status === "Suspended" ? job.suspendedCause : undefined,
        };
    }

    private describeJob(job: FakeJob): string {
        const answer = document("DescribeJobResult", { Job: this.jobNode(job) });
        if ((this.options.lifecycle ?? "advance-on-describe") === "advance-on-describe") this.advance(job);
        return answer;
    }

    private updateJobStatus(job: FakeJob, query: Record<string, string[]>): string {
        const requested = query.requestedJobStatus?.[0];
        if (requested !== "Ready" && requested !== "Cancelled") {
            throw new HttpError(400, "BadRequestException", "requestedJobStatus must be Ready or Cancelled");
        }
        if (requested === "Ready" && job.status !== "Suspended") {
            throw new HttpError(400, "JobStatusException", `Job ${job.jobId} is ${job.status}, not awaiting confirmation`);
        }
        if (requested === "Cancelled" && TERMINAL.has(job.status)) {
            throw new HttpError(400, "JobStatusException", `Job ${job.jobId} is already ${job.status}`);
        }
        job.status = requested;
        job.suspendedCause = undefined;
        job.statusUpdateReason = query.statusUpdateReason?.[0];
        if (requested === "Cancelled") job.terminatedAt = new Date();
        return document("UpdateJobStatusResult", { JobId: job.jobId, Status: job.status, StatusUpdateReason: job.statusUpdateReason });
    }

    private updateJobPriority(job: FakeJob, query: Record<string, string[]>): string {
        const raw = query.priority?.[0] ?? "";
        if (!/^\d+$/.test(raw) || Number(raw) > 2147483647)
            throw new HttpError(400, "BadRequestException", "priority must be an integer between 0 and 2147483647");
        if (TERMINAL.has(job.status)) throw new HttpError(400, "JobStatusException", `Job ${job.jobId} is already ${job.status}`);
        job.priority = Number(raw);
        return document("UpdateJobPriorityResult", { JobId: job.jobId, Priority: job.priority });
    }

    private listJobs(account: string, region: string, query: Record<string, string[]>): string {
        const statuses = new Set(query.jobStatuses ?? []);
        const max = Math.min(1000, Number(query.maxResults?.[0] ?? 1000));
        const start = query.nextToken ? Number(Buffer.from(query.nextToken[0], "base64").toString("utf8")) : 0;
        if (!Number.isInteger(start) || start < 0) throw new HttpError(400, "InvalidNextTokenException", "Invalid nextToken");
        const all = this.jobs()
            .filter(j => j.accountId === account && j.region === region && (statuses.size === 0 || statuses.has(j.status)))
            .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.jobId < b.jobId ? -1 : 1));
        const page = all.slice(start, start + max);
        const next = start + max < all.length ? Buffer.from(String(start + max)).toString("base64") : undefined;
        return document("ListJobsResult", {
            NextToken: next,
            Jobs: page.map(j => ({
                JobId: j.jobId,
                Description: j.description,
                Operation: "S3ReplicateObject",
                Priority: j.priority,
                Status: j.status,
                CreationTime: j.createdAt,
                TerminationDate: j.terminatedAt,
                ProgressSummary: { TotalNumberOfTasks: j.totalTasks, NumberOfTasksSucceeded: j.succeededTasks, NumberOfTasksFailed: j.failedTasks },
            })),
        });
    }

    /** STS AssumeRole (query protocol): hands out fresh fake credentials and remembers who asked. */
    private assumeRole(body: string, record: RecordedRequest): string {
        if (!record.region) throw new HttpError(403, "MissingAuthenticationToken", "Request is missing a SigV4 Authorization header");
        const form = new URLSearchParams(body);
        const roleArn = form.get("RoleArn") ?? "";
        const sessionName = form.get("RoleSessionName") ?? "";
        if (!ROLE_ARN.test(roleArn) || sessionName.length < 2) throw new HttpError(400, "ValidationError", "RoleArn and RoleSessionName are required");
        const accessKeyId = `ASIAFAKE${String(this.assumedRoles.length + 1).padStart(8, "0")}`;
        this.assumedRoles.push({ roleArn, sessionName, externalId: form.get("ExternalId") ?? undefined, accessKeyId });
        const expiration = new Date(Date.now() + 3600_000).toISOString();
        return (
            `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
            `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>fake-secret</SecretAccessKey>` +
            `<SessionToken>fake-session-token</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
            `<AssumedRoleUser><Arn>${escapeXml(roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/"))}/${escapeXml(sessionName)}</Arn>` +
            `<AssumedRoleId>AROAFAKE:${escapeXml(sessionName)}</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>` +
            `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`
        );
    }
}
