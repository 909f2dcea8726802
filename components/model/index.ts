/** The pure model: no Pulumi, no AWS SDK. Shared by the components, the CLI and the policy pack. */
export * from "./adopted-settings";
export * from "./aws-facts";
export * from "./batch-job";
export * from "./bucket-policy";
export * from "./columns";
export * from "./diagnostics";
export * from "./fleet-plan";
export * from "./fleet-spec";
export * from "./iam";
export * from "./identity";
export * from "./monitoring";
export * from "./policy-checks";
export * from "./policy-document";
export * from "./replication-config";
export * from "./sharding";
export * from "./records";
export * from "./stack-settings";
