/**
 * Container image references, parsed and normalised per the grammar of the
 * OCI distribution project (github.com/distribution/reference, reference.go)
 * and Docker's normalisation rules (normalize.go: `docker.io` and `library/`).
 *
 * Pure: no Pulumi, no I/O. Shared by discovery, rewrite, the policy pack and the CLI.
 */
import { KfstackError } from "../core/errors";

/** A parsed, normalised image reference. */
export interface ImageReference {
    /** Registry host, with port when given, lower-cased: `docker.io`, `localhost:5000`. */
    readonly registry: string;
    /** Repository path below the registry: `library/busybox`, `kubeflow/notebook-controller`. */
    readonly repository: string;
    /** The tag when one was written (never defaulted here). */
    readonly tag?: string;
    /** The digest when one was written: `sha256:<64 hex>`. */
    readonly digest?: string;
    /** `registry/repository[:tag][@digest]`, with `:latest` when neither tag nor digest was given. */
    readonly normalized: string;
    /** `registry/repository`. */
    readonly name: string;
}

/** Why a string is not a valid image reference. */
export class InvalidReferenceError extends KfstackError {
    constructor(
        readonly reference: string,
        readonly reason: string,
    ) {
        super(`invalid image reference ${JSON.stringify(reference)}: ${reason}; write it as [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]`, reference);
    }
}

export const DOCKER_HUB = "docker.io";
const LEGACY_DOCKER_HOSTS = new Set(["index.docker.io", "registry-1.docker.io"]);
const NAME_TOTAL_LENGTH_MAX = 255;

// reference.go: domain-component, path-component, tag and digest.
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
/** One component of a repository path (reference.go `path-component`); mirror prefixes follow it too. */
export const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Validates `host[:port]` as the reference grammar's domain; returns the reason when invalid. */
export function registryHostProblem(host: string): string | undefined {
    let hostPart = host;
    let port: string | undefined;
    if (host.startsWith("[")) {
        const end = host.indexOf("]");
        if (end < 0) return `registry host ${JSON.stringify(host)} has an unclosed IPv6 bracket`;
        hostPart = host.slice(0, end + 1);
        const rest = host.slice(end + 1);
        if (rest !== "") {
            if (!rest.startsWith(":")) return `registry host ${JSON.stringify(host)} has text after the IPv6 address`;
            port = rest.slice(1);
        }
        if (!IPV6_HOST.test(hostPart)) return `registry host ${JSON.stringify(host)} is not a valid IPv6 address`;
    } else {
        const colon = host.indexOf(":");
        if (colon >= 0) {
            hostPart = host.slice(0, colon);
            port = host.slice(colon + 1);
        }
        if (hostPart === "") return `registry host is empty in ${JSON.stringify(host)}`;
        for (const component of hostPart.split(".")) {
            if (!DOMAIN_COMPONENT.test(component)) {
                return `registry host ${JSON.stringify(host)} has an invalid component ${JSON.stringify(component)} (letters, digits and inner '-' only)`;
            }
        }
    }
    if (port !== undefined && !PORT.test(port)) return `registry port ${JSON.stringify(port)} is not a number`;
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `registry port ${port} is outside 1-65535`;
    return undefined;
}

/**
 * Docker's rule for telling a registry host from the first path component:
 * it is a host when it contains '.' or ':', is `localhost`, or has upper case.
 */
function looksLikeHost(component: string): boolean {
    return component.includes(".") || component.includes(":") || component === "localhost" || component !== component.toLowerCase();
}

/** Parses and normalises an image reference; throws InvalidReferenceError with the reason. */
export function parseReference(input: string): ImageReference {
    const reference = input;
    if (reference === "") throw new InvalidReferenceError(input, "it is empty");
    if (/\s/.test(reference)) throw new InvalidReferenceError(input, "it contains white space");
    let rest = reference;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest)) {
            throw new InvalidReferenceError(input, `digest ${JSON.stringify(digest)} is not algorithm:hex (at least 32 hex digits)`);
        }
        const [algorithm, hex] = digest.split(":");
        const wanted = DIGEST_HEX_LENGTH[algorithm.toLowerCase()];
        if (wanted !== undefined && hex.length !== wanted) {
            throw new InvalidReferenceError(input, `a ${algorithm} digest has ${wanted} hex digits, this one has ${hex.length}`);
        }
        if (wanted !== undefined && /[A-F]/.test(hex)) {
            throw new InvalidReferenceError(input, `${algorithm} digest hex must be lower case`);
        }
    }
    let tag: string | undefined;
    const lastSlash = rest.lastIndexOf("/");
    const tagColon = rest.indexOf(":", lastSlash + 1);
    if (tagColon >= 0) {
        tag = rest.slice(tagColon + 1);
        rest = rest.slice(0, tagColon);
        if (!TAG.test(tag)) {
            throw new InvalidReferenceError(
                input,
                `tag ${JSON.stringify(tag)} is invalid (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')`,
            );
        }
    }
    if (rest === "") throw new InvalidReferenceError(input, "the repository name is empty");
    const components = rest.split("/");
    let registry = DOCKER_HUB;
    if (components.length > 1 && looksLikeHost(components[0])) {
        const host = components.shift() as string;
        const problem = registryHostProblem(host);
        if (problem) throw new InvalidReferenceError(input, problem);
        registry = host.toLowerCase();
        if (LEGACY_DOCKER_HOSTS.has(registry)) registry = DOCKER_HUB;
    }
    for (const component of components) {
        if (!PATH_COMPONENT.test(component)) {
            const why =
                component === ""
                    ? "it has an empty path component (a doubled or trailing '/')"
                    : component !== component.toLowerCase()
                      ? `repository component ${JSON.stringify(component)} has upper case letters (repository names must be lower case)`
                      : `repository component ${JSON.stringify(component)} is invalid (lower-case letters and digits, separated by '.', '_', '__' or '-')`;
            throw new InvalidReferenceError(input, why);
        }
    }
    if (registry === DOCKER_HUB && components.length === 1) components.unshift("library");
    const repository = components.join("/");
    const name = `${registry}/${repository}`;
    if (name.length > NAME_TOTAL_LENGTH_MAX) {
        throw new InvalidReferenceError(input, `the repository name is ${name.length} characters long, the limit is ${NAME_TOTAL_LENGTH_MAX}`);
    }
    return {
        registry,
        repository,
        tag,
        digest,
        name,
        normalized: formatReference(name, tag, digest),
    };
}

/** `name[:tag][@digest]`, defaulting to `:latest` when there is neither. */
export function formatReference(name: string, tag: string | undefined, digest: string | undefined): string {
    if (tag === undefined && digest === undefined) return `${name}:latest`;
    return name + (tag !== undefined ? `:${tag}` : "") + (digest !== undefined ? `@${digest}` : "");
}

/** Like parseReference, but returns the reason instead of throwing. */
export function tryParseReference(input: string): { ref?: ImageReference; error?: string } {
    try {
        return { ref: parseReference(input) };
    } catch (e) {
        if (e instanceof InvalidReferenceError) return { error: e.reason };
        throw e;
    }
}

/** True when the text has neither tag nor digest (so `:latest` is implied). */
export function hasNoVersion(ref: ImageReference): boolean {
    return ref.tag === undefined && ref.digest === undefined;
}
