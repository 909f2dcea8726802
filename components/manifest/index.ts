/** Manifests: loading CSV, TSV, XLSX, YAML and JSON into located records, and validating them. */
export * from "./load";
export * from "./tabular";
export * from "./validate";
export { flattenCellValue } from "./xlsx";
export * from "./stack-file";
export * from "./limits";
