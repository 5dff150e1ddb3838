/**
 * The mirror naming rule: every image `<host>/<path>[:tag][@digest]` is served
 * from `<mirror>/<host-component>/<path>[:tag][@digest]`.
 *
 * - The source host stays as the first path component, so `gcr.io/a/b` and
 *   `quay.io/a/b` never collide in the mirror.
 * - A host with a port (`localhost:5000`) is not a valid path component; its
 *   ':' becomes '_' (`localhost_5000`). '_' cannot occur in a DNS host name, so
 *   this cannot collide with another host. Hosts are lower-cased (DNS is
 *   case-insensitive).
 * - Tag and digest are kept as written: the mirror is filled by a byte-for-byte
 *   copy of each manifest, so a `@sha256:` digest stays valid.
 * - A reference already under the mirror is left as it is (the rule is idempotent).
 */
import { KfstackError } from "../core/errors";
import { ImageReference, parseReference, registryHostProblem, InvalidReferenceError, PATH_COMPONENT } from "../images/reference";

/** A parsed mirror location: `REGISTRY[/PREFIX]`. */
export interface Mirror {
    /** `registry.example.com:5000` (lower-case). */
    readonly host: string;
    /** Path below the host, no leading or trailing '/': `kubeflow` or `` for none. */
    readonly prefix: string;
    /** `host[/prefix]`: what every mirrored reference starts with. */
    readonly location: string;
}

/** A mirror value that cannot be used, with the reason. */
export class InvalidMirrorError extends KfstackError {
    constructor(
        readonly value: string,
        readonly reason: string,
    ) {
        super(`invalid mirror ${JSON.stringify(value)}: ${reason}; expected REGISTRY[/PREFIX], e.g. registry.example.com:5000/kubeflow`, value);
    }
}

/** Parses `REGISTRY[/PREFIX]`; the registry must be a host (contain '.' or ':' or be `localhost`). */
export function parseMirror(value: string): Mirror {
    const trimmed = value.replace(/\/+$/, "");
    if (trimmed === "") throw new InvalidMirrorError(value, "it is empty");
    if (/\s/.test(trimmed)) throw new InvalidMirrorError(value, "it contains white space");
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) throw new InvalidMirrorError(value, "drop the URL scheme (no https://)");
    if (/[@]/.test(trimmed)) throw new InvalidMirrorError(value, "a mirror has no digest");
    const [host, ...path] = trimmed.split("/");
    const hostProblem = registryHostProblem(host);
    if (hostProblem) throw new InvalidMirrorError(value, hostProblem);
    if (!host.includes(".") && !host.includes(":") && host !== "localhost") {
        throw new InvalidMirrorError(
            value,
            `${JSON.stringify(host)} would be read as a Docker Hub user, not a registry host (a host has a '.', a ':port', or is localhost)`,
        );
    }
    for (const component of path) {
        if (!PATH_COMPONENT.test(component)) {
            throw new InvalidMirrorError(
                value,
                `prefix component ${JSON.stringify(component)} is invalid (lower-case letters and digits, separated by '.', '_', '__' or '-')`,
            );
        }
    }
    const lowerHost = host.toLowerCase();
    const prefix = path.join("/");
    return { host: lowerHost, prefix, location: prefix ? `${lowerHost}/${prefix}` : lowerHost };
}

/** The path component that stands for a source registry host inside the mirror. */
export function hostComponent(registry: string): string {
    if (registry.startsWith("[")) {
        throw new InvalidReferenceError(registry, "images from an IPv6-literal registry cannot be given a mirror path; use a host name");
    }
    return registry.toLowerCase().replace(":", "_");
}

/** True when the reference is served from the mirror: host equal and the prefix matching on a path boundary. */
export function isUnderMirror(ref: ImageReference, mirror: Mirror): boolean {
    return isNameUnder(ref.name, mirror.location);
}

/** `a/b/c` is under `a/b` and `a`, not under `a/b-evil`. Host comparison is case-insensitive. */
export function isNameUnder(name: string, location: string): boolean {
    const lowerName = name.toLowerCase();
    const lowerLocation = location.toLowerCase();
    return lowerName === lowerLocation || lowerName.startsWith(lowerLocation + "/");
}

/** The mirrored repository name (no tag or digest): `<mirror>/<host>/<path>`. */
export function mirrorName(ref: ImageReference, mirror: Mirror): string {
    if (isUnderMirror(ref, mirror)) return ref.name;
    return `${mirror.location}/${hostComponent(ref.registry)}/${ref.repository}`;
}

/** The full mirrored reference, tag and digest kept exactly as written. */
export function mirrorReference(ref: ImageReference, mirror: Mirror): string {
    return mirrorName(ref, mirror) + (ref.tag !== undefined ? `:${ref.tag}` : "") + (ref.digest !== undefined ? `@${ref.digest}` : "");
}

/** Parses and mirrors a reference string in one step. */
export function mirrorString(reference: string, mirror: Mirror): string {
    return mirrorReference(parseReference(reference), mirror);
}

/**
 * The repository-name grammar of Amazon ECR (CreateRepository API:
 * `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*`, 2 to 256 characters).
 */
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** The ECR repository that holds this image in the mirror, validated; throws with the reason. */
export function ecrRepositoryName(ref: ImageReference, mirror: Mirror): string {
    const full = mirrorName(ref, mirror);
    const repo = full.slice(mirror.host.length + 1);
    const problem = ecrRepositoryProblem(repo);
    if (problem) throw new InvalidReferenceError(ref.normalized, `its mirror repository ${JSON.stringify(repo)} ${problem}`);
    return repo;
}

/** Why a name is not a valid ECR repository name, or undefined. */
export function ecrRepositoryProblem(repo: string): string | undefined {
    if (repo.length < 2) return "is shorter than ECR's minimum of 2 characters";
    if (repo.length > 256) return `is ${repo.length} characters long, over ECR's limit of 256`;
    if (!ECR_REPOSITORY.test(repo))
        return "does not match ECR's repository grammar (lower-case letters and digits separated by single '.', '_' or '-', components joined by '/')";
    return undefined;
}
