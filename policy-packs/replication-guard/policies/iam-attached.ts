/**
 * Stack level: the policies attached to a replication role outside the role resource itself
 * (aws.iam.RolePolicy, aws.iam.Policy via aws.iam.RolePolicyAttachment or managedPolicyArns)
 * use no wildcard actions or resources, and no AWS managed policy is attached. Which role a
 * policy belongs to is only known from the stack (by role name, or by dependency in preview).
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { checkLeastPrivilegePolicy } from "../../../components/model/policy-checks";
import { UNKNOWN, asList, isOfGroup } from "./common";
import { StackGraph } from "./graph";

const AWS_MANAGED = /^arn:[a-z-]+:iam::aws:policy\//;

export const replicationRoleAttachedPoliciesPolicy: StackValidationPolicy = {
    name: "iam-replication-role-attached-policies",
    displayName: "Least-privilege policies on replication roles",
    description:
        "Policies attached to a role that S3 replication or Batch Operations can assume (aws.iam.RolePolicy, aws.iam.Policy through aws.iam.RolePolicyAttachment or managedPolicyArns) use no wildcard actions or resources, and no AWS managed policy is attached.",
    severity: "high",
    enforcementLevel: "mandatory",
    tags: ["iam", "replication", "least-privilege"],
    remediationSteps:
        "List the exact replication actions on exact bucket and key ARNs in a customer managed or inline policy; detach AWS managed policies such as AmazonS3FullAccess.",
    validateStack: (args, report) => {
        const graph = new StackGraph(args.resources);
        for (const role of graph.replicationRoles()) {
            const checked = new Set<PolicyResource>();
            const check = (doc: unknown, label: string, urn: string) => {
                const result = checkLeastPrivilegePolicy(doc);
                if (result.verdict === "fail") for (const p of result.problems) report(`${label} of replication role "${role.name}": ${p}`, urn);
            };
            const checkPolicyResource = (policy: PolicyResource, via: string) => {
                if (checked.has(policy)) return;
                checked.add(policy);
                check(graph.props(policy).policy, `aws.iam.Policy "${policy.name}" (attached by ${via})`, policy.urn);
            };
            const managedArn = (arn: unknown, via: string, urn: string) => {
                if (typeof arn === "string" && AWS_MANAGED.test(arn)) {
                    report(
                        `AWS managed policy ${arn} is attached to replication role "${role.name}" by ${via}; AWS managed policies grant far more than replication needs: attach a policy naming exact actions and buckets.`,
                        urn,
                    );
                    return true;
                }
                return false;
            };
            for (const r of graph.resources) {
                if (isOfGroup(r.type, "rolePolicy") && graph.resolveRole(r) === role) {
                    check(graph.props(r).policy, `aws.iam.RolePolicy "${r.name}"`, r.urn);
                } else if (isOfGroup(r.type, "rolePolicyAttachment") && graph.resolveRole(r) === role) {
                    const arn = graph.props(r).policyArn;
                    if (managedArn(arn, `aws.iam.RolePolicyAttachment "${r.name}"`, r.urn)) continue;
                    const policy = graph.resolvePolicyArn(r, "policyArn", arn);
                    if (policy) checkPolicyResource(policy, `aws.iam.RolePolicyAttachment "${r.name}"`);
                }
            }
            const arns = asList(graph.props(role).managedPolicyArns);
            if (arns === UNKNOWN) continue;
            for (const arn of arns) {
                if (managedArn(arn, "managedPolicyArns", role.urn)) continue;
                const policy = graph.resolvePolicyArn(role, "managedPolicyArns", arn);
                if (policy) checkPolicyResource(policy, "managedPolicyArns");
                else if (arn === UNKNOWN) {
                    // Unknown ARNs in preview: every aws.iam.Policy the list depends on is attached.
                    for (const dep of role.propertyDependencies?.managedPolicyArns ?? []) {
                        if (isOfGroup(dep.type, "iamPolicy")) checkPolicyResource(dep, "managedPolicyArns");
                    }
                }
            }
        }
    },
};
