/**
 * The rules behind `kfstack check` and the policy pack: one implementation, two front ends.
 */
import { describeObject } from "../core/objects";
import { Finding, UnsetCodeDefault } from "../images";
import { Mirror, isUnderMirror, mirrorReference } from "../rewrite/mirror";

/** A rule broken at one place. */
export interface Violation {
    readonly finding: Finding;
    /** One line: the object, the path, the reference, and how to fix it. */
    readonly message: string;
    /** Index of the object to fix, when it is not the finding's own (a code default is fixed on its Deployment). */
    readonly fixIn?: number;
}

/**
 * What a value unknown during `pulumi preview` (an Output not yet resolved, such
 * as a new ECR repository's URL) reads as when a policy walks a resource. It is
 * never a valid reference, so an image that is unknown is never let through.
 */
export const UNKNOWN_DURING_PREVIEW = "<unknown during preview>";

function where(f: Finding): string {
    return `${describeObject(f.object)} at ${f.path}`;
}

/**
 * `mirror-only-images`: every image must be under one of the allowed mirrors
 * (prefix matched on a path boundary). An invalid reference is a violation too:
 * nothing can say where it would be pulled from.
 */
export function mirrorOnlyViolations(findings: Finding[], mirrors: Mirror[]): Violation[] {
    const out: Violation[] = [];
    const allowed = mirrors.map((m) => m.location).join(", ");
    for (const f of findings) {
        if (f.kind === "code-default") continue; // judged on the containers that run the code
        if (!f.ref) {
            const message =
                f.raw === UNKNOWN_DURING_PREVIEW
                    ? `${where(f)}: the image is unknown during preview, so it cannot be shown to be under ${allowed}; build image references from the mirror in the stack config (kfstack:mirror.registry), not from a resource's output`
                    : `${where(f)}: ${JSON.stringify(f.raw)} is not a valid image reference (${f.error}); write a full reference under ${allowed}`;
            out.push({ finding: f, message });
            continue;
        }
        const ref = f.ref;
        if (mirrors.some((m) => isUnderMirror(ref, m))) continue;
        const fix = mirrors.length > 0 ? `; use ${mirrorReference(ref, mirrors[0])} (kfstack rewrite --mirror ${mirrors[0].location})` : "";
        out.push({ finding: f, message: `${where(f)}: ${f.reference} is not served from ${allowed || "an allowed mirror"}${fix}` });
    }
    return out;
}

/** Containers running code whose default image is public, because the env var that overrides it is unset. */
export function codeDefaultViolations(unset: UnsetCodeDefault[], mirrors: Mirror[]): Violation[] {
    // A default that is itself under a mirror (kfstack rewrites it too) pulls nothing public.
    const publicDefaults = unset.filter((u) => !(u.codeDefault.ref && mirrors.some((m) => isUnderMirror(u.codeDefault.ref!, m))));
    return publicDefaults.map(({ codeDefault, document, container }) => {
        const ref = codeDefault.ref;
        const target = ref && mirrors.length > 0 ? mirrorReference(ref, mirrors[0]) : "<mirror reference>";
        const owner = describeObject(document.value);
        return {
            finding: codeDefault,
            fixIn: document.index,
            message: `${owner} container ${JSON.stringify(container.name)}: runs code from ${describeObject(codeDefault.object)} (${codeDefault.path}) that pulls ${codeDefault.raw} unless ${codeDefault.envVar} is set; set env ${codeDefault.envVar}=${target}`,
        };
    });
}

/** `pinned-images`: no `:latest` and no reference without tag or digest. */
export function pinnedViolations(findings: Finding[]): Violation[] {
    const out: Violation[] = [];
    for (const f of findings) {
        if (!f.ref || f.kind === "code-default") continue;
        if (f.ref.digest !== undefined) continue;
        if (f.ref.tag === undefined || f.ref.tag === "latest") {
            out.push({
                finding: f,
                message: `${where(f)}: ${f.raw} is not pinned (${f.ref.tag === undefined ? "no tag, so :latest" : ":latest"}); pin a version tag or a @sha256 digest`,
            });
        }
    }
    return out;
}
