/**
 * A loopback fake of the two CloudWatch operations `s3-replication status` calls, GetMetricData
 * and DescribeAlarms, speaking the wire protocol the pinned @aws-sdk/client-cloudwatch (3.1164.0)
 * uses, so that the real client can be pointed at it.
 *
 * Where its behaviour comes from:
 * - The protocol is AWS JSON 1.0 with `awsQueryCompatible` (client-cloudwatch dist-cjs:
 *   `protocol: AwsJson1_0Protocol`, `serviceTarget: "GraniteServiceVersion20100801"`,
 *   `awsQueryCompatible: true`). @aws-sdk/core's AwsJsonRpcProtocol.serializeRequest sends
 *   `POST /`, `content-type: application/x-amz-json-1.0`, `x-amz-target:
 *   GraniteServiceVersion20100801.<Operation>` and `x-amzn-query-mode: true`; member names are the
 *   shape's names (JsonCodec `jsonName: false`) and timestamps are epoch seconds (format 7).
 * - Errors: AwsJsonRpcProtocol.handleError reads the code from the `x-amzn-query-error` header
 *   (`Code;Fault`, set by ProtocolLib.setQueryCompatError, the awsQueryCompatible trait's wire
 *   form) before `__type`, and finds the modeled error whose awsQueryError code matches
 *   (InvalidParameterValue -> InvalidParameterValueException, InternalServiceError ->
 *   InternalServiceFault). The query codes and statuses are the ones the client's error schemas
 *   carry; `Throttling` (400, Sender) is CloudWatch's documented throttling code (API Reference,
 *   "Common Errors"), which @smithy/core's retry strategy treats as throttling.
 * - Operation semantics follow the CloudWatch API Reference for GetMetricData (at most 500
 *   queries, unique ids starting with a lowercase letter, StartTime before EndTime, datapoints
 *   aggregated per Period with the query's Stat, TimestampDescending by default) and
 *   DescribeAlarms (AlarmNames at most 100 and not with AlarmNamePrefix, StateValue filter,
 *   MaxRecords 1-100 with NextToken).
 *
 * CloudWatch calls carry no account id: the account is the one the SigV4 access key belongs to
 * (`accountForKey`), the Region the credential scope names.
 */
import * as http from "http";
import type { AddressInfo, Socket } from "net";
import { randomUUID } from "crypto";

export type CloudWatchOperation = "GetMetricData" | "DescribeAlarms";

export type CloudWatchFaultKind =
    | "throttle" // 400 Throttling (retried by the SDK)
    | "server-error" // 500 InternalServiceError (retried by the SDK)
    | "access-denied" // 400 AccessDenied (not retried)
    | "drop-before"; // connection destroyed before an answer (retried by the SDK)

export interface CloudWatchFault {
    kind: CloudWatchFaultKind;
    /** Only requests of this operation consume it (default: the next request of any operation). */
    operation?: CloudWatchOperation;
    /** Only requests from this account (by access key) consume it. */
    account?: string;
}

export interface CloudWatchFakeOptions {
    /** The account an access key id belongs to; default: every key is `defaultAccount`. */
    accountForKey?: (accessKeyId: string) => string | undefined;
    defaultAccount?: string;
}

export interface RecordedCloudWatchRequest {
    operation: CloudWatchOperation | "Unknown";
    account?: string;
    region?: string;
    accessKeyId?: string;
    target?: string;
    contentType?: string;
    queryMode?: string;
    body: Record<string, unknown>;
    status?: number;
    errorCode?: string;
    fault?: CloudWatchFaultKind;
}

export interface FakeDatapoint {
    timestamp: Date;
    value: number;
}

export interface FakeAlarm {
    AlarmName: string;
    StateValue: "OK" | "ALARM" | "INSUFFICIENT_DATA";
    StateReason?: string;
    StateUpdatedTimestamp?: Date;
    MetricName?: string;
    Namespace?: string;
}

// The request documents are JSON by nature: checked field by field below.
type Json = Record<string, unknown>;

const TARGET_PREFIX = "GraniteServiceVersion20100801.";
const ID = /^[a-z][a-zA-Z0-9_]*$/;

class CloudWatchError extends Error {
    constructor(
        readonly status: number,
        readonly queryCode: string,
        readonly fault: "Sender" | "Receiver",
        readonly type: string,
        message: string,
        readonly messageKey: "message" | "Message" = "message",
    ) {
        super(message);
    }
}

const invalidParameter = (message: string) =>
    new CloudWatchError(400, "InvalidParameterValue", "Sender", "com.amazonaws.cloudwatch#InvalidParameterValueException", message);
const combination = (message: string) =>
    new CloudWatchError(400, "InvalidParameterCombination", "Sender", "com.amazonaws.cloudwatch#InvalidParameterCombinationException", message);

function dimensionKey(dimensions: Record<string, string>): string {
    return Object.keys(dimensions)
        .sort()
        .map(k => `${k}=${dimensions[k]}`)
        .join("|");
}

function aggregate(stat: string, values: number[]): number {
    switch (stat) {
        case "Sum":
            return values.reduce((a, b) => a + b, 0);
        case "Maximum":
            return Math.max(...values);
        case "Minimum":
            return Math.min(...values);
        case "Average":
            return values.reduce((a, b) => a + b, 0) / values.length;
        case "SampleCount":
            return values.length;
        default:
            throw invalidParameter(`The value ${stat} for parameter MetricDataQueries.member.MetricStat.Stat is not supported by this fake.`);
    }
}

/** The fake server. Create, `await start()`, point the client at {@link endpoint}, `await stop()`. */
export class CloudWatchFake {
    readonly requests: RecordedCloudWatchRequest[] = [];
    private readonly metrics = new Map<string, FakeDatapoint[]>();
    private readonly alarms = new Map<string, Map<string, FakeAlarm>>();
    private readonly script: CloudWatchFault[] = [];
    private readonly sockets = new Set<Socket>();
    private server?: http.Server;

    constructor(private readonly options: CloudWatchFakeOptions = {}) {}

    get endpoint(): string {
        if (!this.server) throw new Error("CloudWatchFake is not started");
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    async start(): Promise<string> {
        const server = http.createServer((req, res) => this.handle(req, res));
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
        for (const s of this.sockets) s.destroy();
        const server = this.server;
        this.server = undefined;
        if (server) await new Promise<void>(resolve => server.close(() => resolve()));
    }

    /** Datapoints of one metric (namespace AWS/S3 unless given) in an account and Region. */
    putMetric(account: string, region: string, metricName: string, dimensions: Record<string, string>, points: FakeDatapoint[], namespace = "AWS/S3"): void {
        const key = `${account}/${region}/${namespace}/${metricName}/${dimensionKey(dimensions)}`;
        this.metrics.set(key, [...(this.metrics.get(key) ?? []), ...points]);
    }

    putAlarm(account: string, region: string, alarm: FakeAlarm): void {
        const place = `${account}/${region}`;
        const map = this.alarms.get(place) ?? new Map<string, FakeAlarm>();
        map.set(alarm.AlarmName, alarm);
        this.alarms.set(place, map);
    }

    /** Queue faults; each is consumed by the next matching request. */
    inject(...faults: CloudWatchFault[]): void {
        this.script.push(...faults);
    }

    requestsOf(operation: CloudWatchOperation): RecordedCloudWatchRequest[] {
        return this.requests.filter(r => r.operation === operation);
    }

    // ---- plumbing ----

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => this.process(req, res, Buffer.concat(chunks).toString("utf8")));
    }

    private process(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
        const header = (name: string) => (typeof req.headers[name] === "string" ? (req.headers[name] as string) : undefined);
        const target = header("x-amz-target");
        const operation =
            target === `${TARGET_PREFIX}GetMetricData` ? "GetMetricData" : target === `${TARGET_PREFIX}DescribeAlarms` ? "DescribeAlarms" : "Unknown";
        const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(header("authorization") ?? "");
        const accessKeyId = scope?.[1];
        const account = accessKeyId ? (this.options.accountForKey?.(accessKeyId) ?? this.options.defaultAccount) : undefined;
        let body: Json = {};
        const record: RecordedCloudWatchRequest = {
            operation,
            account,
            region: scope?.[2],
            accessKeyId,
            target,
            contentType: header("content-type"),
            queryMode: header("x-amzn-query-mode"),
            body,
        };
        this.requests.push(record);
        try {
            if (req.method !== "POST" || req.url !== "/")
                throw new CloudWatchError(
                    404,
                    "UnknownOperationException",
                    "Sender",
                    "com.amazon.coral.service#UnknownOperationException",
                    `${req.method} ${req.url} is not an operation`,
                );
            if (!scope || scope[3] !== "monitoring")
                throw new CloudWatchError(
                    403,
                    "MissingAuthenticationToken",
                    "Sender",
                    "com.amazon.coral.service#MissingAuthenticationTokenException",
                    "Request is missing a SigV4 Authorization header for service monitoring",
                );
            if (record.contentType !== "application/x-amz-json-1.0")
                throw new CloudWatchError(
                    400,
                    "InvalidParameterValue",
                    "Sender",
                    "com.amazon.coral.service#SerializationException",
                    `unexpected content-type ${record.contentType}`,
                );
            try {
                body = JSON.parse(text || "{}") as Json;
                record.body = body;
            } catch {
                throw new CloudWatchError(400, "SerializationException", "Sender", "com.amazon.coral.service#SerializationException", "body is not JSON");
            }
            if (!account)
                throw new CloudWatchError(
                    403,
                    "InvalidClientTokenId",
                    "Sender",
                    "com.amazon.coral.service#UnrecognizedClientException",
                    `The security token included in the request is invalid (key ${accessKeyId})`,
                );
            const i = this.script.findIndex(
                f => (f.operation === undefined || f.operation === operation) && (f.account === undefined || f.account === account),
            );
            const fault = i >= 0 ? this.script.splice(i, 1)[0] : undefined;
            if (fault) {
                record.fault = fault.kind;
                switch (fault.kind) {
                    case "drop-before":
                        req.socket.destroy();
                        return;
                    case "throttle":
                        throw new CloudWatchError(400, "Throttling", "Sender", "com.amazon.coral.availability#ThrottlingException", "Rate exceeded");
                    case "server-error":
                        throw new CloudWatchError(
                            500,
                            "InternalServiceError",
                            "Receiver",
                            "com.amazonaws.cloudwatch#InternalServiceFault",
                            "Internal service error",
                            "Message",
                        );
                    case "access-denied":
                        throw new CloudWatchError(
                            400,
                            "AccessDenied",
                            "Sender",
                            "com.amazon.coral.service#AccessDeniedException",
                            `User is not authorized to perform: cloudwatch:${operation}`,
                            "Message",
                        );
                }
            }
            const key = `${account}/${record.region}`;
            const answer =
                operation === "GetMetricData"
                    ? this.getMetricData(key, body)
                    : operation === "DescribeAlarms"
                      ? this.describeAlarms(key, body)
                      : (() => {
                            throw new CloudWatchError(
                                400,
                                "UnknownOperationException",
                                "Sender",
                                "com.amazon.coral.service#UnknownOperationException",
                                `unknown target ${target}`,
                            );
                        })();
            record.status = 200;
            res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": randomUUID() });
            res.end(JSON.stringify(answer));
        } catch (err) {
            if (!(err instanceof CloudWatchError)) throw err;
            record.status = err.status;
            record.errorCode = err.queryCode;
            res.writeHead(err.status, {
                "content-type": "application/x-amz-json-1.0",
                "x-amzn-requestid": randomUUID(),
                "x-amzn-query-error": `${err.queryCode};${err.fault}`,
            });
            res.end(JSON.stringify({ __type: err.type, [err.messageKey]: err.message }));
        }
    }

    private getMetricData(place: string, body: Json): Json {
        const queries = body.MetricDataQueries;
        if (!Array.isArray(queries) || queries.length === 0) throw invalidParameter("MetricDataQueries must contain at least one query.");
        if (queries.length > 500) throw invalidParameter(`MetricDataQueries has ${queries.length} members; the maximum is 500.`);
        const start = body.StartTime;
        const end = body.EndTime;
        if (typeof start !== "number" || typeof end !== "number") throw invalidParameter("StartTime and EndTime must be timestamps (epoch seconds).");
        if (start >= end) throw invalidParameter("The parameter StartTime must be less than the parameter EndTime.");
        const ascending = body.ScanBy === "TimestampAscending";
        const ids = new Set<string>();
        const results = queries.map((q: Json) => {
            const id = String(q.Id ?? "");
            if (!ID.test(id))
                throw invalidParameter(
                    `The value ${id} for parameter MetricDataQueries.member.Id must start with a lowercase letter and contain only letters, numbers and underscores.`,
                );
            if (ids.has(id)) throw invalidParameter(`The value ${id} for parameter MetricDataQueries.member.Id is used more than once.`);
            ids.add(id);
            const stat = q.MetricStat as Json | undefined;
            if (!stat) throw invalidParameter(`Query ${id}: this fake answers MetricStat queries only.`);
            const metric = stat.Metric as Json;
            const period = Number(stat.Period);
            if (!Number.isInteger(period) || period < 60 || period % 60 !== 0) throw invalidParameter(`Query ${id}: Period must be a multiple of 60.`);
            const dims = Object.fromEntries(((metric.Dimensions ?? []) as Json[]).map(d => [String(d.Name), String(d.Value)]));
            const key = `${place}/${String(metric.Namespace)}/${String(metric.MetricName)}/${dimensionKey(dims)}`;
            const buckets = new Map<number, number[]>();
            for (const p of this.metrics.get(key) ?? []) {
                const t = p.timestamp.getTime() / 1000;
                if (t < start || t >= end) continue;
                const bucket = start + Math.floor((t - start) / period) * period;
                buckets.set(bucket, [...(buckets.get(bucket) ?? []), p.value]);
            }
            const times = [...buckets.keys()].sort((a, b) => (ascending ? a - b : b - a));
            return {
                Id: id,
                Label: String(metric.MetricName),
                StatusCode: "Complete",
                Timestamps: times,
                Values: times.map(t => aggregate(String(stat.Stat), buckets.get(t)!)),
            };
        });
        return { MetricDataResults: results, Messages: [] };
    }

    private describeAlarms(place: string, body: Json): Json {
        const names = body.AlarmNames as string[] | undefined;
        if (names !== undefined && body.AlarmNamePrefix !== undefined) throw combination("AlarmNames and AlarmNamePrefix cannot be used together.");
        if (names !== undefined && names.length > 100) throw invalidParameter(`AlarmNames has ${names.length} members; the maximum is 100.`);
        const max = body.MaxRecords === undefined ? 50 : Number(body.MaxRecords);
        if (!Number.isInteger(max) || max < 1 || max > 100) throw invalidParameter("MaxRecords must be between 1 and 100.");
        const all = [...(this.alarms.get(place)?.values() ?? [])]
            .filter(a => names === undefined || names.includes(a.AlarmName))
            .filter(a => typeof body.AlarmNamePrefix !== "string" || a.AlarmName.startsWith(body.AlarmNamePrefix))
            .filter(a => body.StateValue === undefined || a.StateValue === body.StateValue)
            .sort((a, b) => a.AlarmName.localeCompare(b.AlarmName));
        const start = typeof body.NextToken === "string" ? Number(Buffer.from(body.NextToken, "base64").toString("utf8")) : 0;
        if (!Number.isInteger(start) || start < 0)
            throw new CloudWatchError(
                400,
                "InvalidNextToken",
                "Sender",
                "com.amazonaws.cloudwatch#InvalidNextToken",
                "The service couldn't process the NextToken.",
            );
        const page = all.slice(start, start + max);
        const [account, region] = place.split("/");
        return {
            MetricAlarms: page.map(a => ({
                AlarmName: a.AlarmName,
                AlarmArn: `arn:aws:cloudwatch:${region}:${account}:alarm:${a.AlarmName}`,
                StateValue: a.StateValue,
                StateReason: a.StateReason ?? "",
                ActionsEnabled: true,
                StateUpdatedTimestamp: (a.StateUpdatedTimestamp ?? new Date()).getTime() / 1000,
                ...(a.MetricName ? { MetricName: a.MetricName } : {}),
                ...(a.Namespace ? { Namespace: a.Namespace } : {}),
            })),
            CompositeAlarms: [],
            ...(start + max < all.length ? { NextToken: Buffer.from(String(start + max)).toString("base64") } : {}),
        };
    }
}
