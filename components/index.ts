/** pulumi-s3-replication: components for Amazon S3 replication across accounts and Regions. */
export * from "./account-providers";
export * from "./batch-replication-job";
export * from "./bucket-replication";
export * from "./hardened-bucket";
export * from "./replication-fleet";
export * from "./replication-monitoring";
export * from "./replication-role";
/** The pure model: validation, rule rendering, IAM and bucket policy documents, planning. */
export * as model from "./model";
/** Manifest loaders (CSV, TSV, XLSX, YAML, JSON) and `validateManifest`. */
export * as manifest from "./manifest";
