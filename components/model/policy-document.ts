/** IAM policy documents as plain data, and their size as IAM counts it. */

export type OneOrMany<T> = T | T[];

export interface PolicyStatement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: "*" | { AWS?: OneOrMany<string>; Service?: OneOrMany<string> };
    Action: OneOrMany<string>;
    Resource?: OneOrMany<string>;
    Condition?: Record<string, Record<string, OneOrMany<string>>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: statements };
}

/** Characters IAM counts for a document: whitespace is not counted, so measure minified JSON. */
export function policyChars(doc: PolicyDocument): number {
    return JSON.stringify(doc).length;
}

/** Bytes S3 counts for a bucket policy. */
export function policyBytes(doc: PolicyDocument): number {
    return Buffer.byteLength(JSON.stringify(doc), "utf8");
}

export function asArray<T>(v: OneOrMany<T> | undefined): T[] {
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
