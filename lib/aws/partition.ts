/**
 * AWS partitions: which one a region is in, and the rule the `aws-partition` policy
 * enforces (no ARN of another partition, ECR hosts on the partition's DNS suffix).
 * Programs build ARNs and hosts from `aws.getPartitionOutput()`; this module only checks.
 */

import { DNS_SUFFIX, ECR_HOST_PATTERN } from "./principals";

/** A partition and the DNS suffix of its service endpoints. */
export interface Partition {
    readonly partition: "aws" | "aws-cn" | "aws-us-gov";
    readonly dnsSuffix: string;
}

/** The partition of a region: `cn-*` is aws-cn, `us-gov-*` aws-us-gov, every other aws. */
export function partitionOfRegion(region: string | undefined): Partition {
    if (region?.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: DNS_SUFFIX["aws-cn"] };
    if (region?.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: DNS_SUFFIX["aws-us-gov"] };
    return { partition: "aws", dnsSuffix: DNS_SUFFIX.aws };
}

const ARN = /\barn:(aws[a-z-]*):/g;
const ECR_HOST = new RegExp(ECR_HOST_PATTERN.source, "g");

/**
 * What in one string does not belong to the partition of `region`: ARNs of another
 * partition (when `arns`: in AWS resources' inputs), and ECR hosts whose suffix or region
 * is another partition's (everywhere: Kubernetes objects pull from them too).
 */
export function partitionProblems(value: string, region: string, arns: boolean): string[] {
    const { partition, dnsSuffix } = partitionOfRegion(region);
    const out: string[] = [];
    if (arns) {
        for (const m of value.matchAll(ARN)) {
            if (m[1] !== partition) {
                out.push(
                    `${JSON.stringify(value)} is an ARN of partition ${m[1]}, but this stack is in ${partition} (${region}); build ARNs from aws.getPartitionOutput().partition`,
                );
            }
        }
    }
    for (const m of value.matchAll(ECR_HOST)) {
        if (m[2] !== dnsSuffix || partitionOfRegion(m[1]).partition !== partition) {
            out.push(
                `ECR host ${m[0]} is not in partition ${partition} (hosts there end with .${dnsSuffix} and name a region of ${partition}); build it from aws.getPartitionOutput().dnsSuffix`,
            );
        }
    }
    return out;
}
