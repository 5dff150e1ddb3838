import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { IrsaPolicy } from "../../lib/config";
import { irsaTrustPolicy, IRSA_ROLE_ANNOTATION, kubeflowRoleNames } from "../../lib/aws";

export interface KubeflowIrsaArgs {
    /** The EKS cluster's name (in the role names). */
    readonly clusterName: pulumi.Input<string>;
    /** The cluster's OIDC issuer URL (`EksCluster.oidcIssuer`). */
    readonly oidcIssuer: pulumi.Input<string>;
    /** Policies of `kf-admin`: managed policy ARNs or inline documents. @default [] */
    readonly adminPolicies?: readonly IrsaPolicy[];
    /** Policies of `kf-user`. @default [] (no permissions; never `*`) */
    readonly userPolicies?: readonly IrsaPolicy[];
    /** @default "kubeflow" */
    readonly namespace?: string;
    /**
     * What the service accounts wait for: the platform that creates their namespace, as
     * `KubeflowPlatform.done` (a component's `dependsOn` does not reach its children). @default none
     */
    readonly serviceAccountsAfter?: pulumi.Resource[];
}

/**
 * IRSA for Kubeflow as the reference install sets it up: roles `kf-admin-<region>-<cluster>`
 * and `kf-user-<region>-<cluster>`, each trusting exactly its service account
 * (`system:serviceaccount:kubeflow:kf-admin` / `kf-user`) and the STS audience, with the
 * policies given, and the two service accounts annotated with their role's ARN. The
 * Kubernetes provider comes through the options (`providers`), like the platform's.
 */
export class KubeflowIrsa extends pulumi.ComponentResource {
    public readonly adminRoleArn: pulumi.Output<string>;
    public readonly userRoleArn: pulumi.Output<string>;

    constructor(name: string, args: KubeflowIrsaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kfstack:aws:KubeflowIrsa", name, {}, opts);
        const parent = { parent: this };
        const namespace = args.namespace ?? "kubeflow";
        const partition = aws.getPartitionOutput({}, parent).partition;
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const names = pulumi.all([region, args.clusterName]).apply(([r, c]) => kubeflowRoleNames(r, c));
        const arns: Record<string, pulumi.Output<string>> = {};
        for (const [who, policies] of [
            ["admin", args.adminPolicies ?? []],
            ["user", args.userPolicies ?? []],
        ] as const) {
            const serviceAccount = `kf-${who}`;
            const role = new aws.iam.Role(
                `${name}-kf-${who}`,
                {
                    name: names.apply((n) => n[who]),
                    assumeRolePolicy: pulumi
                        .all([partition, account, args.oidcIssuer])
                        .apply(([p, a, iss]) => irsaTrustPolicy(p, a, iss, namespace, serviceAccount)),
                },
                parent,
            );
            policies.forEach((policy, i) => {
                if (typeof policy === "string") new aws.iam.RolePolicyAttachment(`${name}-kf-${who}-${i}`, { role: role.name, policyArn: policy }, parent);
                else new aws.iam.RolePolicy(`${name}-kf-${who}-${i}`, { role: role.id, policy: JSON.stringify(policy) }, parent);
            });
            new k8s.core.v1.ServiceAccount(
                `${name}-kf-${who}`,
                { metadata: { name: serviceAccount, namespace, annotations: { [IRSA_ROLE_ANNOTATION]: role.arn } } },
                { parent: this, dependsOn: args.serviceAccountsAfter ?? [] },
            );
            arns[who] = role.arn;
        }
        this.adminRoleArn = arns.admin;
        this.userRoleArn = arns.user;
        this.registerOutputs({ adminRoleArn: this.adminRoleArn, userRoleArn: this.userRoleArn });
    }
}
