import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { failOnErrors, typeToken } from "./errors";
import { AccountInput, Diagnostic, diag, isAccountId, isKnownRegion, partitionHomeRegion, partitionOf } from "./model";

/** Tag on every resource this package manages (through the providers' default tags). */
export const MANAGED_BY_TAG = { "managed-by": "pulumi-s3-replication" };

/** An account that needs a provider, and a Region it deploys to. */
export interface AccountTarget {
    /** The account's 12-digit id. */
    account: string;
    /** A Region the account deploys to, e.g. "us-east-1"; it tells the account's partition (aws, aws-cn, aws-us-gov or aws-eusc). */
    region: string;
}

/** Arguments of {@link AccountProviders}. */
export interface AccountProvidersArgs {
    /**
     * The accounts that need a provider, each with a Region it deploys to (the Regions only tell
     * the account's partition: aws, aws-cn, aws-us-gov or aws-eusc). Duplicates are merged.
     */
    targets: AccountTarget[];
    /**
     * How to reach each account, keyed by alias or id: an assume-role ARN or a named profile,
     * and the provider's home Region. An account with neither role nor profile uses the ambient
     * credentials (still pinned by allowedAccountIds).
     */
    accounts?: Record<string, AccountInput>;
    /** Extra default tags, added to `managed-by: pulumi-s3-replication`. */
    defaultTags?: Record<string, string>;
    /** Session name for assume-role calls. Default: `pulumi-s3-replication`. */
    sessionName?: string;
}

/**
 * Exactly one `aws.Provider` per account, shared by everything in that account: every regional
 * resource names its own `region` (pulumi-aws v7), so a fleet over 20 accounts and 4 Regions runs
 * 20 provider processes, not 80. Each provider is pinned with `allowedAccountIds`, so credentials
 * for the wrong account fail instead of deploying there.
 *
 * The provider's own Region (used for IAM and STS) is the account's `region` in stack config, or
 * the home Region of its partition: a function of the account alone, so no edit elsewhere in the
 * manifest ever changes it.
 */
export class AccountProviders extends pulumi.ComponentResource {
    /** Account id -> provider. */
    readonly providers: Readonly<Record<string, aws.Provider>>;

    constructor(name: string, args: AccountProvidersArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = AccountProviders.check(args);
        failOnErrors(`AccountProviders ${name}`, problems);
        super(typeToken("AccountProviders"), name, {}, opts);
        const providers: Record<string, aws.Provider> = {};
        this.providers = providers;
        if (opts?.urn) return;

        const access = new Map<string, AccountInput>();
        for (const a of Object.values(args.accounts ?? {})) access.set(String(a.id), a);
        const partitions = accountPartitions(args.targets);
        const accounts = [...partitions.keys()].sort();
        for (const account of accounts) {
            const a = access.get(account);
            const region = a?.region ?? partitionHomeRegion([...partitions.get(account)!][0]);
            providers[account] = new aws.Provider(
                `aws-${account}`,
                {
                    region: region as aws.Region,
                    allowedAccountIds: [account],
                    ...(a?.roleArn
                        ? {
                              assumeRoles: [
                                  {
                                      roleArn: a.roleArn,
                                      sessionName: args.sessionName ?? "pulumi-s3-replication",
                                      // A shared secret of the account's trust policy: secret in inputs and state alike.
                                      ...(a.externalId ? { externalId: pulumi.secret(a.externalId) } : {}),
                                  },
                              ],
                          }
                        : {}),
                    ...(a?.profile ? { profile: a.profile } : {}),
                    defaultTags: { tags: { ...MANAGED_BY_TAG, ...args.defaultTags } },
                },
                { parent: this },
            );
        }
        this.registerOutputs({ accounts });
    }

    /** The provider of an account; throws if the account was not among the targets. */
    get(account: string): aws.Provider {
        const p = this.providers[account];
        if (!p) throw new Error(`AccountProviders has no provider for account ${account}; add it to targets.`);
        return p;
    }

    private static check(args: AccountProvidersArgs): Diagnostic[] {
        const out: Diagnostic[] = [];
        args.targets.forEach((t, i) => {
            if (!isAccountId(t.account))
                out.push(
                    diag("INVALID_ACCOUNT", `targets[${i}].account ${JSON.stringify(t.account)} is not a 12-digit account id.`, {
                        path: `targets[${i}].account`,
                    }),
                );
            if (!isKnownRegion(t.region))
                out.push(diag("INVALID_REGION", `targets[${i}].region ${JSON.stringify(t.region)} is not an AWS Region.`, { path: `targets[${i}].region` }));
        });
        for (const [account, partitions] of accountPartitions(args.targets.filter(t => isKnownRegion(t.region)))) {
            if (partitions.size > 1) {
                out.push(
                    diag(
                        "PARTITION_MISMATCH",
                        `account ${account} is targeted in Regions of several partitions (${[...partitions].sort().join(", ")}); an account lives in exactly one partition.`,
                        { path: "targets" },
                    ),
                );
            }
        }
        for (const [alias, a] of Object.entries(args.accounts ?? {})) {
            if (!isAccountId(String(a.id)))
                out.push(
                    diag("INVALID_ACCOUNT", `accounts.${alias}.id ${JSON.stringify(a.id)} is not a 12-digit account id.`, { path: `accounts.${alias}.id` }),
                );
            if (a.region !== undefined && !isKnownRegion(a.region))
                out.push(
                    diag("INVALID_REGION", `accounts.${alias}.region ${JSON.stringify(a.region)} is not an AWS Region.`, { path: `accounts.${alias}.region` }),
                );
            if (a.roleArn && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(a.roleArn)) {
                out.push(
                    diag("INVALID_CONFIG", `accounts.${alias}.roleArn ${JSON.stringify(a.roleArn)} is not an IAM role ARN.`, {
                        path: `accounts.${alias}.roleArn`,
                    }),
                );
            } else if (a.roleArn && a.roleArn.split(":")[4] !== String(a.id)) {
                out.push(
                    diag(
                        "INVALID_CONFIG",
                        `accounts.${alias}.roleArn is in account ${a.roleArn.split(":")[4]}, not ${a.id}: the provider would be refused by allowedAccountIds.`,
                        { path: `accounts.${alias}.roleArn` },
                    ),
                );
            }
        }
        return out;
    }
}

/** Account -> the partitions its targets' Regions belong to. */
function accountPartitions(targets: ReadonlyArray<{ account: string; region: string }>): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const t of targets) {
        const set = out.get(t.account) ?? new Set<string>();
        set.add(partitionOf(t.region));
        out.set(t.account, set);
    }
    return out;
}
