/**
 * A loopback fake of the four S3 bucket-settings reads (GetBucketEncryption,
 * GetBucketOwnershipControls, GetPublicAccessBlock, GetBucketAcl) and of STS AssumeRole, speaking
 * the real wire formats so the real @aws-sdk/client-s3 and STS clients can be pointed at it
 * (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_STS).
 *
 * The answers come from a world (cli/provider-fixtures.ts `providerWorld`, its S3_SDK_CALL
 * handler), serialized as S3 serializes them (S3 API reference: the REST-XML bodies of the four
 * operations, `<Error><Code>…</Code><Message>…</Message></Error>` with the HTTP status for errors;
 * the ACL's grantee type is the `xsi:type` attribute). So what the offline plan answers and what
 * the SDK parses off the wire are one world. An endpoint given as an IP address makes the SDK
 * address buckets path-style (`/<bucket>?acl`).
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { InvokeHandler } from "../../cli/provider-fixtures";

export interface RecordedS3Request {
    operation: string;
    bucket?: string;
    /** The account the SigV4 access key belongs to: the fake's STS hands out keys that name it. */
    accessKey?: string;
    expectedBucketOwner?: string;
    /** For AssumeRole: the form parameters. */
    params?: Record<string, string>;
}

const SUBRESOURCES: Record<string, string> = {
    encryption: "GetBucketEncryptionCommand",
    ownershipControls: "GetBucketOwnershipControlsCommand",
    publicAccessBlock: "GetPublicAccessBlockCommand",
    acl: "GetBucketAclCommand",
};

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

function esc(v: unknown): string {
    return String(v).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function el(name: string, body: string, attrs = ""): string {
    return `<${name}${attrs}>${body}</${name}>`;
}

type Out = Record<string, unknown>;

/** The XML body S3 sends for each operation's output (as the SDK shapes it: Rules/Grants are flattened lists). */
function toXml(command: string, out: Out): string {
    const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
    const ns = ` xmlns="${XMLNS}"`;
    switch (command) {
        case "GetBucketEncryptionCommand": {
            const rules = ((out.ServerSideEncryptionConfiguration as Out).Rules as Out[]).map(r => {
                const d = r.ApplyServerSideEncryptionByDefault as Out;
                return el(
                    "Rule",
                    el(
                        "ApplyServerSideEncryptionByDefault",
                        el("SSEAlgorithm", esc(d.SSEAlgorithm)) + (d.KMSMasterKeyID ? el("KMSMasterKeyID", esc(d.KMSMasterKeyID)) : ""),
                    ) + el("BucketKeyEnabled", String(!!r.BucketKeyEnabled)),
                );
            });
            return head + el("ServerSideEncryptionConfiguration", rules.join(""), ns);
        }
        case "GetBucketOwnershipControlsCommand": {
            const rules = ((out.OwnershipControls as Out).Rules as Out[]).map(r => el("Rule", el("ObjectOwnership", esc(r.ObjectOwnership))));
            return head + el("OwnershipControls", rules.join(""), ns);
        }
        case "GetPublicAccessBlockCommand": {
            const c = out.PublicAccessBlockConfiguration as Out;
            const flags = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"].map(k => el(k, String(!!c[k])));
            return head + el("PublicAccessBlockConfiguration", flags.join(""), ns);
        }
        case "GetBucketAclCommand": {
            const owner = out.Owner as Out;
            const grants = (out.Grants as Out[]).map(g => {
                const grantee = g.Grantee as Out;
                const who = grantee.ID ? el("ID", esc(grantee.ID)) : grantee.URI ? el("URI", esc(grantee.URI)) : el("EmailAddress", esc(grantee.EmailAddress));
                return el(
                    "Grant",
                    el("Grantee", who, ` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="${esc(grantee.Type)}"`) +
                        el("Permission", esc(g.Permission)),
                );
            });
            return head + el("AccessControlPolicy", el("Owner", el("ID", esc(owner.ID))) + el("AccessControlList", grants.join("")), ns);
        }
        default:
            throw new Error(`no serializer for ${command}`);
    }
}

/** STS hands out access keys that carry the account they were issued for, so S3 requests can be attributed. */
function keyFor(account: string): string {
    return `ASIAFAKE${account}`;
}

export class S3SettingsFake {
    readonly requests: RecordedS3Request[] = [];
    private server?: http.Server;

    /** `world` answers S3_SDK_CALL as the offline plan does; `callerAccount` is whose credentials arrive without AssumeRole. */
    constructor(
        private readonly world: InvokeHandler,
        private readonly callerAccount = "000000000000",
    ) {}

    async start(): Promise<string> {
        this.server = http.createServer((req, res) => {
            let body = "";
            req.on("data", d => {
                body += String(d);
            });
            req.on("end", () => {
                this.handle(req, body).then(
                    ({ status, xml }) => {
                        res.writeHead(status, { "content-type": "application/xml", "x-amz-request-id": "FAKE" });
                        res.end(xml);
                    },
                    (e: unknown) => {
                        res.writeHead(500, { "content-type": "application/xml" });
                        res.end(`<Error><Code>InternalError</Code><Message>${esc((e as Error).message)}</Message></Error>`);
                    },
                );
            });
        });
        await new Promise<void>(resolve => this.server!.listen(0, "127.0.0.1", resolve));
        return this.url;
    }

    get url(): string {
        return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    }

    async stop(): Promise<void> {
        const s = this.server;
        this.server = undefined;
        if (s) await new Promise<void>(resolve => s.close(() => resolve()));
    }

    private async handle(req: http.IncomingMessage, body: string): Promise<{ status: number; xml: string }> {
        const url = new URL(req.url ?? "/", "http://fake");
        const auth = String(req.headers.authorization ?? "");
        const accessKey = /Credential=([^/]+)\//.exec(auth)?.[1];
        if (req.method === "POST" && url.pathname === "/" && body.includes("Action=AssumeRole")) {
            // STS query protocol (AssumeRole): the response's Credentials, in the AssumeRoleResult.
            const params = Object.fromEntries(new URLSearchParams(body));
            this.requests.push({ operation: "AssumeRole", ...(accessKey ? { accessKey } : {}), params });
            const account = /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(params.RoleArn ?? "")?.[1] ?? this.callerAccount;
            const expires = new Date(Date.now() + 3600_000).toISOString();
            const xml =
                `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
                `<AccessKeyId>${keyFor(account)}</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>${expires}</Expiration>` +
                `</Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:${esc(params.RoleSessionName)}</AssumedRoleId><Arn>${esc(params.RoleArn)}</Arn></AssumedRoleUser></AssumeRoleResult>` +
                `<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></AssumeRoleResponse>`;
            return { status: 200, xml };
        }
        const bucket = decodeURIComponent(url.pathname.split("/")[1] ?? "");
        const sub = [...url.searchParams.keys()].find(k => k in SUBRESOURCES);
        const expectedBucketOwner = req.headers["x-amz-expected-bucket-owner"] as string | undefined;
        const operation = sub ? SUBRESOURCES[sub] : `${req.method} ${url.pathname}${url.search}`;
        this.requests.push({ operation, bucket, ...(accessKey ? { accessKey } : {}), ...(expectedBucketOwner ? { expectedBucketOwner } : {}) });
        if (req.method !== "GET" || !sub || !bucket) {
            return {
                status: 405,
                xml: `<Error><Code>MethodNotAllowed</Code><Message>The specified method is not allowed against this resource.</Message></Error>`,
            };
        }
        const caller = accessKey?.startsWith("ASIAFAKE") ? accessKey.slice("ASIAFAKE".length) : this.callerAccount;
        try {
            const out = await this.world({
                command: SUBRESOURCES[sub],
                input: { Bucket: bucket, ...(expectedBucketOwner ? { ExpectedBucketOwner: expectedBucketOwner } : {}) },
                region: "",
                accountId: caller,
            });
            return { status: 200, xml: toXml(SUBRESOURCES[sub], out) };
        } catch (e) {
            const err = e as Error & { $metadata?: { httpStatusCode?: number } };
            const status = err.$metadata?.httpStatusCode;
            if (!status) throw e;
            return {
                status,
                xml: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(err.name)}</Code><Message>${esc(err.message)}</Message><BucketName>${esc(bucket)}</BucketName><RequestId>FAKE</RequestId><HostId>fake</HostId></Error>`,
            };
        }
    }
}
