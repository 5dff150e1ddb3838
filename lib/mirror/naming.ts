/**
 * Where each source image goes in the mirror, and under which tag: the pairs every mirror
 * command (copy, verify, export, import, the MirroredImage resource) works on.
 */
import { ImageReference, parseReference } from "../images/reference";
import { Mirror, mirrorName } from "../rewrite/mirror";

/** A source reference and its place in the mirror. */
export interface Pair {
    readonly source: ImageReference;
    /** `<mirror>/<host>/<path>`. */
    readonly targetName: string;
    /** The tag, else the digest: what the mirror is asked for. */
    readonly targetReference: string;
}

/** Source → mirror pairs, by the naming rule; duplicates (same normalised reference) once. */
export function pairsOf(references: readonly string[], mirror: Mirror): Pair[] {
    return uniqueReferences(references).map((source) => ({ source, targetName: mirrorName(source, mirror), targetReference: targetReferenceOf(source) }));
}

/** The references parsed, each normalised reference once, in first-seen order. */
export function uniqueReferences(references: readonly string[]): ImageReference[] {
    const seen = new Map<string, ImageReference>();
    for (const r of references) {
        const ref = parseReference(r);
        if (!seen.has(ref.normalized)) seen.set(ref.normalized, ref);
    }
    return [...seen.values()];
}

/**
 * What the mirror stores an image under: its tag; for a reference by digest alone, the tag
 * `sha256-<hex>`. The manifests still pull by digest, but a tagged manifest survives what
 * removes untagged ones (ECR lifecycle rules for untagged images, `registry garbage-collect
 * --delete-untagged`, Harbor's tag retention).
 */
export function targetReferenceOf(source: ImageReference): string {
    if (source.tag) return source.tag;
    if (source.digest) return source.digest.replace(":", "-");
    return "latest";
}

/** The pair's mirror reference as one string (`name:tag` or `name@digest`). */
export function targetString(p: Pair): string {
    const sep = p.targetReference.includes(":") ? "@" : ":";
    return `${p.targetName}${sep}${p.targetReference}`;
}

/** Splits `host/repo` into the host and the repository path. */
export function splitName(name: string): { host: string; repository: string } {
    const slash = name.indexOf("/");
    return { host: name.slice(0, slash), repository: name.slice(slash + 1) };
}
