/**
 * Every AWS service name kfstack writes, in one place: service principals, the IRSA audience,
 * the service-account annotation, the partitions' DNS suffixes, the ECR host pattern. These
 * are the only `amazonaws.com` literals in kfstack's source (a repository test checks it);
 * ARNs and hosts are built from the partition (`aws.getPartitionOutput()`), never written.
 *
 * China's traps, each a bug in a public tool: the EKS service principal is `eks.amazonaws.com`
 * in aws-cn too (`eks.amazonaws.com.cn` is rejected by IAM); the IRSA audience is
 * `sts.amazonaws.com` everywhere; managed node groups in aws-cn have needed the node role to
 * trust `ec2.amazonaws.com.cn` beside `ec2.amazonaws.com`
 * (https://github.com/aws/containers-roadmap/issues/1155, eksctl#4390).
 */

/** The DNS suffix of the partitions' service endpoints. */
export const DNS_SUFFIX = { aws: "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com" } as const;

/** The EKS service principal (the same in every partition). */
export const EKS_SERVICE_PRINCIPAL = "eks.amazonaws.com";

/** The EC2 service principals a node role trusts in a partition. */
export function ec2ServicePrincipals(partition: string): string[] {
    return partition === "aws-cn" ? ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] : ["ec2.amazonaws.com"];
}

/** The audience of IRSA web identity tokens (the same in every partition). */
export const IRSA_AUDIENCE = "sts.amazonaws.com";

/** The annotation that binds a Kubernetes service account to an IAM role (IRSA). */
export const IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn";

/** An ECR registry host: `<12 digits>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`; groups: region, suffix. */
export const ECR_HOST_PATTERN = /\b\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?)\b/;

/** True when the host is an ECR registry host. */
export function isEcrHost(host: string): boolean {
    return new RegExp(`^${ECR_HOST_PATTERN.source.replace(/\\b/g, "")}$`).test(host);
}
