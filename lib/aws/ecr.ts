/** Amazon ECR as the mirror: registry host, repository names, lifecycle policy. Pure. */
import { parseReference } from "../images/reference";
import { ecrRepositoryName, Mirror } from "../rewrite/mirror";

/** `<account>.dkr.ecr.<region>.<dnsSuffix>`: `.amazonaws.com.cn` in China, from the partition. */
export function ecrRegistryHost(accountId: string, region: string, dnsSuffix: string): string {
    return `${accountId}.dkr.ecr.${region}.${dnsSuffix}`;
}

/** Why the configured mirror host is not the ECR registry of this account, region and partition. */
export function ecrHostProblem(configured: string, actual: string): string | undefined {
    if (configured === actual) return undefined;
    return `kfstack:mirror.registry names ${configured}, but this stack's ECR registry is ${actual} (account, region and partition of the AWS provider); set kfstack:mirror.registry to ${actual}[/PREFIX]`;
}

/** One ECR repository per source repository, by the mirror naming rule, sorted, unique. */
export function ecrRepositoriesFor(sourceImages: readonly string[], mirror: Mirror): string[] {
    return [...new Set(sourceImages.map((s) => ecrRepositoryName(parseReference(s), mirror)))].sort();
}

/**
 * The lifecycle policy of a mirror repository: only untagged images expire, after `days`.
 * Every image the platform uses carries a tag in the mirror (a digest-only reference is
 * stored under `sha256-<hex>`), so no rule can expire one of them.
 */
export function ecrLifecyclePolicy(days: number): string {
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `untagged images (left when a tag moved) expire after ${days} days; every image the platform pulls is tagged`,
                selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: days },
                action: { type: "expire" },
            },
        ],
    });
}

/**
 * The tag mutability of the mirror's ECR repositories: MUTABLE, chosen for repair. kfstack's
 * mirror copies by the source's tag and checks the copy by digest (`kfstack mirror verify`, the
 * MirroredImage provider's drift read): when an upstream tag moved, or a copy was deleted or left
 * partial, the next `pulumi up` or `kfstack mirror copy` writes the tag again. IMMUTABLE would turn
 * each of those into a repository that serves the wrong content (or nothing) until someone deletes
 * it by hand — the "why does the mirror still have the old image" of the field notes. What
 * IMMUTABLE protects against, someone re-pushing a mirrored tag with other content, kfstack
 * catches by digest instead: verify reports `differs`, and the mirror-only admission and the
 * pinned-images policy keep refusing images outside the mirror. The `ecr-repository-hygiene`
 * policy checks what this choice leaves: scan on push, no force delete.
 */
export const ECR_TAG_MUTABILITY = "MUTABLE" as const;
