/** pulumi-s3-replication: components for Amazon S3 replication across accounts and Regions. */
export * from "./account-providers";
export * from "./bucket-replication";
export * from "./hardened-bucket";
export * from "./replication-fleet";
export * from "./replication-role";
export * as model from "./model";
