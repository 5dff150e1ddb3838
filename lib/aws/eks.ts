/**
 * EKS for Kubeflow, the parts that need no Pulumi: IAM policy documents (trust and IRSA),
 * managed policy ARNs per partition, role names, the VPC's subnet plan, the kubeconfig.
 * Every ARN is built from the partition the program reads from `aws.getPartitionOutput()`.
 */
import { InputError } from "../core/errors";
import { EKS_SERVICE_PRINCIPAL, IRSA_AUDIENCE, ec2ServicePrincipals } from "./principals";

/** `arn:<partition>:iam::aws:policy/<name>`: an AWS managed policy. */
export function managedPolicyArn(partition: string, name: string): string {
    return `arn:${partition}:iam::aws:policy/${name}`;
}

/**
 * The managed policies of each role. All exist in aws, aws-cn and aws-us-gov (checked against
 * the IAM policy lists of the China regions; the EBS CSI policy is a service-role policy).
 */
export const MANAGED_POLICIES = {
    cluster: ["AmazonEKSClusterPolicy"],
    node: ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"],
    ebsCsi: ["service-role/AmazonEBSCSIDriverPolicy"],
} as const;

/** The trust policy of the cluster role: the EKS service. */
export function clusterTrustPolicy(): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: EKS_SERVICE_PRINCIPAL }, Action: "sts:AssumeRole" }],
    });
}

/** The trust policy of the node role: EC2 (both principals in aws-cn). */
export function nodeTrustPolicy(partition: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: ec2ServicePrincipals(partition) }, Action: "sts:AssumeRole" }],
    });
}

/** `oidc.eks.<region>.<suffix>/id/<ID>`: the issuer URL without its scheme (what IAM conditions name). */
export function issuerHostPath(issuerUrl: string): string {
    return issuerUrl.replace(/^https:\/\//, "");
}

/**
 * The trust policy of an IRSA role: web identities of the cluster's OIDC provider, for exactly
 * one service account (`sub`) and the STS audience (`aud`).
 */
export function irsaTrustPolicy(partition: string, accountId: string, issuerUrl: string, namespace: string, serviceAccount: string): string {
    const issuer = issuerHostPath(issuerUrl);
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: `arn:${partition}:iam::${accountId}:oidc-provider/${issuer}` },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
                        [`${issuer}:aud`]: IRSA_AUDIENCE,
                    },
                },
            },
        ],
    });
}

/** IAM role names are at most 64 characters. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** The Kubeflow IRSA roles of the reference install: `kf-admin-<region>-<cluster>`, `kf-user-<region>-<cluster>`. */
export function kubeflowRoleNames(region: string, cluster: string): { admin: string; user: string } {
    const names = { admin: `kf-admin-${region}-${cluster}`, user: `kf-user-${region}-${cluster}` };
    for (const n of Object.values(names)) {
        if (!ROLE_NAME.test(n))
            throw new InputError(
                `the IAM role name ${n} is invalid (at most 64 of letters, digits and +=,.@_-); shorten kfstack:cluster.name`,
                "kfstack:cluster.name",
            );
    }
    return names;
}

/** Splits a VPC's /16 into one public and one private /20 per availability zone. */
export function subnetPlan(vpcCidr: string, azs: readonly string[]): { az: string; publicCidr: string; privateCidr: string }[] {
    const m = /^(\d+)\.(\d+)\.0\.0\/16$/.exec(vpcCidr);
    if (!m) throw new InputError(`kfstack:cluster.vpcCidr ${vpcCidr}: give a /16 such as 10.0.0.0/16`, "kfstack:cluster.vpcCidr");
    if (azs.length === 0) throw new InputError("no availability zone is left for the cluster; check kfstack:cluster.excludeAzs", "kfstack:cluster.excludeAzs");
    if (azs.length > 8) azs = azs.slice(0, 8);
    const at = (n: number) => `${m[1]}.${m[2]}.${n * 16}.0/20`;
    return azs.map((az, i) => ({ az, publicCidr: at(i), privateCidr: at(i + 8) }));
}

/** The zones EKS can use: those the region lists, minus the excluded (e.g. `cn-north-1d`), sorted. */
export function usableZones(available: readonly string[], excluded: readonly string[]): string[] {
    const unknown = excluded.filter((z) => !available.includes(z));
    if (unknown.length > 0) {
        throw new InputError(
            `kfstack:cluster.excludeAzs names ${unknown.join(", ")}, which the region does not have (it has ${available.join(", ")})`,
            "kfstack:cluster.excludeAzs",
        );
    }
    return available.filter((z) => !excluded.includes(z)).sort();
}

/** A kubeconfig that gets its token from `aws eks get-token` (the aws CLI must be on PATH). */
export function eksKubeconfig(clusterName: string, endpoint: string, certificateAuthority: string, region: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": certificateAuthority } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [
            {
                name: clusterName,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "aws",
                        args: ["eks", "get-token", "--region", region, "--cluster-name", clusterName, "--output", "json"],
                    },
                },
            },
        ],
    });
}

/** True when an IAM policy document allows the action `*` (or `service:*` is not counted). */
export function allowsEveryAction(policy: string): boolean {
    const doc = JSON.parse(policy) as { Statement?: { Effect?: string; Action?: string | string[] }[] | { Effect?: string; Action?: string | string[] } };
    const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
    return statements.some((s) => s.Effect === "Allow" && ([] as string[]).concat(s.Action ?? []).includes("*"));
}
