import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { failOnErrors, typeToken } from "./errors";
import { AccountInput, Diagnostic, diag, isAccountId, isKnownRegion } from "./model";

/** Tag on every resource this package manages (through the providers' default tags). */
export const MANAGED_BY_TAG = { "managed-by": "pulumi-s3-replication" };

export interface AccountProvidersArgs {
    /** The (account, Region) pairs that need a provider. Duplicates are merged. */
    targets: Array<{ account: string; region: string }>;
    /**
     * How to reach each account, keyed by alias or id: an assume-role ARN or a named profile.
     * An account with neither uses the ambient credentials (still pinned by allowedAccountIds).
     */
    accounts?: Record<string, AccountInput>;
    /** Extra default tags, added to `managed-by: pulumi-s3-replication`. */
    defaultTags?: Record<string, string>;
    /** Session name for assume-role calls. Default: `pulumi-s3-replication`. */
    sessionName?: string;
}

/**
 * Exactly one `aws.Provider` per (account, Region), shared by everything on that account and
 * Region. Each is pinned with `allowedAccountIds`, so credentials for the wrong account fail
 * instead of deploying there.
 */
export class AccountProviders extends pulumi.ComponentResource {
    /** `account/region` -> provider. */
    readonly providers: Readonly<Record<string, aws.Provider>>;

    constructor(name: string, args: AccountProvidersArgs, opts?: pulumi.ComponentResourceOptions) {
        const problems = AccountProviders.check(args);
        failOnErrors(`AccountProviders ${name}`, problems);
        super(typeToken("AccountProviders"), name, {}, opts);
        const providers: Record<string, aws.Provider> = {};
        this.providers = providers;
        if (opts?.urn) return;

        const byId = new Map<string, AccountInput>();
        for (const a of Object.values(args.accounts ?? {})) byId.set(String(a.id), a);
        const pairs = [...new Set(args.targets.map(t => `${t.account}/${t.region}`))].sort();
        for (const key of pairs) {
            const [account, region] = key.split("/");
            const access = byId.get(account);
            providers[key] = new aws.Provider(`aws-${account}-${region}`, {
                region: region as aws.Region,
                allowedAccountIds: [account],
                ...(access?.roleArn ? {
                    assumeRoles: [{
                        roleArn: access.roleArn,
                        sessionName: args.sessionName ?? "pulumi-s3-replication",
                        ...(access.externalId ? { externalId: access.externalId } : {}),
                    }],
                } : {}),
                ...(access?.profile ? { profile: access.profile } : {}),
                defaultTags: { tags: { ...MANAGED_BY_TAG, ...args.defaultTags } },
            }, { parent: this });
        }
        this.registerOutputs({ providerKeys: pairs });
    }

    /** The provider for an account and Region; throws if it was not among the targets. */
    get(account: string, region: string): aws.Provider {
        const p = this.providers[`${account}/${region}`];
        if (!p) throw new Error(`AccountProviders has no provider for account ${account} in ${region}; add it to targets.`);
        return p;
    }

    private static check(args: AccountProvidersArgs): Diagnostic[] {
        const out: Diagnostic[] = [];
        args.targets.forEach((t, i) => {
            if (!isAccountId(t.account)) out.push(diag("INVALID_ACCOUNT", `targets[${i}].account ${JSON.stringify(t.account)} is not a 12-digit account id.`, { path: `targets[${i}].account` }));
            if (!isKnownRegion(t.region)) out.push(diag("INVALID_REGION", `targets[${i}].region ${JSON.stringify(t.region)} is not an AWS Region.`, { path: `targets[${i}].region` }));
        });
        for (const [alias, a] of Object.entries(args.accounts ?? {})) {
            if (!isAccountId(String(a.id))) out.push(diag("INVALID_ACCOUNT", `accounts.${alias}.id ${JSON.stringify(a.id)} is not a 12-digit account id.`, { path: `accounts.${alias}.id` }));
            if (a.roleArn && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(a.roleArn)) {
                out.push(diag("INVALID_CONFIG", `accounts.${alias}.roleArn ${JSON.stringify(a.roleArn)} is not an IAM role ARN.`, { path: `accounts.${alias}.roleArn` }));
            } else if (a.roleArn && a.roleArn.split(":")[4] !== String(a.id)) {
                out.push(diag("INVALID_CONFIG", `accounts.${alias}.roleArn is in account ${a.roleArn.split(":")[4]}, not ${a.id}: the provider would be refused by allowedAccountIds.`, { path: `accounts.${alias}.roleArn` }));
            }
        }
        return out;
    }
}
