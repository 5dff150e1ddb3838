/** What to copy where before the platform can be applied. */
import { parseReference } from "../images/reference";
import { Mirror, mirrorReference, ecrRepositoryName } from "../rewrite/mirror";

/**
 * What to copy where: for each source image, its mirror reference and its ECR
 * repository (checked against ECR's naming rules), sorted by source.
 */
export function mirrorPlan(images: string[], mirror: Mirror): [string, string, string][] {
    return [...new Set(images)].sort().map((image) => {
        const ref = parseReference(image);
        return [ref.normalized, mirrorReference(ref, mirror), ecrRepositoryName(ref, mirror)];
    });
}
