/** The replication-guard policy pack: `pulumi preview --policy-pack policy-packs/replication-guard`. */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, packArgs } from "./policies";

new PolicyPack(PACK_NAME, packArgs);
