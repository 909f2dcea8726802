#!/usr/bin/env node
// How many bytes the backfill job's dynamic provider adds to the state: Pulumi stores the
// serialized provider (`__provider`) in the inputs AND the outputs of every BatchReplicationJob.
//
//   node -r ts-node/register/transpile-only bench/job-state-size.js        (this checkout's sources)
//   node bench/job-state-size.js pulumi-s3-replication                    (an installed package; run
//                                                                          from the project that has it)
// Prints JSON: { package, bytes, perThousandJobsMB, head }.
"use strict";
const path = require("path");

const target = process.argv[2] ?? path.join(__dirname, "..", "components");
// Resolved as a file in the working directory resolves it: from this repository, a package name
// would resolve to the repository itself (Node's package self-reference through `exports`).
const entry = require("module").createRequire(path.join(process.cwd(), "[resolve]")).resolve(target);
// The package's own @pulumi/pulumi: the mocks must be set on the runtime the package registers with.
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [path.dirname(entry)] }));

let serialized;
pulumi.runtime.setMocks(
    {
        newResource: args => {
            if (typeof args.inputs.__provider === "string") serialized = args.inputs.__provider;
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: () => ({}),
    },
    "bench",
    "bench",
    false,
);

const { BatchReplicationJob } = require(entry);
const job = new BatchReplicationJob("size-probe", {
    accountId: "111122223333",
    region: "us-east-1",
    sourceBucket: "src-bucket",
    roleArn: "arn:aws:iam::111122223333:role/batch",
    reportBucket: "reports-111122223333-us-east-1",
    mode: "eligible",
    routeName: "src-bucket -> dst-bucket [rule-1]",
});
job.urn.apply(() => {
    // Registration is asynchronous; the serialized provider arrives with the inputs.
    setTimeout(() => {
        if (serialized === undefined) {
            console.error("no __provider was registered");
            process.exitCode = 1;
            return;
        }
        const bytes = Buffer.byteLength(serialized);
        console.log(
            JSON.stringify(
                {
                    package: target,
                    bytes,
                    // Inputs and outputs both hold it.
                    perThousandJobsMB: Math.round((bytes * 2 * 1000) / 1e4) / 100,
                    head: serialized.slice(0, 400),
                },
                null,
                2,
            ),
        );
    }, 50);
});
