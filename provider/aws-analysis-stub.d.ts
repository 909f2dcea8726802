// Stands in for @pulumi/aws while the component analyzer reads provider/surface.ts: nothing in
// the cross-language surface has an aws type, and pulumi-aws's declarations (tens of megabytes)
// would make every schema generation take seconds more. Only the analyzer's program sees this
// file (provider/tsconfig.json `paths`); the build and the type check use the real package.
declare const aws: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- a stand-in, never type-checked against
export = aws;
