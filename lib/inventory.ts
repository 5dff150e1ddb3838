/**
 * Streams of Kubernetes objects: the image inventory, the rewrite to a mirror,
 * and the images that only a controller's code knows.
 */
import { Finding, walkObject, describeObject, Candidate } from "./discovery";
import { Mirror, mirrorReference, mirrorName, isUnderMirror, ecrRepositoryName } from "./mirror";
import { parseStream, ParsedStream, SourceDocument, InputError, dumpDocument, loadYaml } from "./yamlstream";
import { replaceTokens, deepEqual } from "./text";
import { hasNoVersion, parseReference } from "./reference";

/** Findings of a whole stream. */
export interface Inventory {
    readonly documents: SourceDocument[];
    readonly findings: Finding[];
}

/** Findings whose text is not a valid reference, as one error naming each place and the fix. */
export function invalidReferenceError(findings: Finding[], source: string, documents: SourceDocument[]): InputError | undefined {
    const bad = findings.filter((f) => f.error !== undefined);
    if (bad.length === 0) return undefined;
    const lines = bad.map((f) => {
        const line = f.documentIndex !== undefined ? documents[f.documentIndex]?.line : undefined;
        return `  ${source}${line ? ":" + line : ""}: ${describeObject(f.object)} ${f.path}: ${JSON.stringify(f.raw)}: ${f.error}`;
    });
    return new InputError(`${bad.length} invalid image reference${bad.length > 1 ? "s" : ""} in ${source}; correct ${bad.length > 1 ? "them" : "it"} in the input:\n${lines.join("\n")}`);
}

/** Finds every image in a YAML stream. Throws InputError on bad YAML. */
export function inventoryOf(text: string, source: string): Inventory {
    const { documents } = parseStream(text, source);
    const findings: Finding[] = [];
    for (const doc of documents) {
        if (doc.value === null || typeof doc.value !== "object") continue;
        findings.push(...walkObject(doc.value, undefined, doc.index).findings);
    }
    return { documents, findings };
}

/**
 * Sorted, unique normalised references of the images pulled. Code defaults are
 * not pulled by name (the code appends a tag), and neither is an untagged env
 * value that overrides one (`FRONTEND_IMAGE=<mirror>/gcr.io/ml-pipeline/frontend`).
 */
export function imageList(findings: Finding[]): string[] {
    const codeVars = new Set(findings.filter((f) => f.kind === "code-default").map((f) => f.envVar));
    const set = new Set<string>();
    for (const f of findings) {
        if (!f.ref || f.kind === "code-default") continue;
        if (f.kind === "env" && codeVars.has(f.envVar) && hasNoVersion(f.ref)) continue;
        set.add(f.ref.normalized);
    }
    return [...set].sort();
}

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

/** The mapper of the rewrite: every reference to its place in the mirror. */
export function mirrorMapper(mirror: Mirror): (c: Candidate) => string | undefined {
    return (c) => {
        if (c.refs.every((r) => isUnderMirror(r, mirror))) return undefined;
        switch (c.kind) {
            case "hub": {
                // hub/name:tag must become mirror/host/path/name:tag for each name: the new hub is
                // what stands before the last '/' of each mirrored name; all must agree.
                const hubs = new Set(c.refs.map((r) => mirrorName(r, mirror).replace(/\/[^/]+$/, "")));
                if (hubs.size !== 1) {
                    throw new InputError(`hub ${JSON.stringify(c.raw)} cannot be mirrored as one prefix (${[...hubs].join(", ")}); write full image references instead`);
                }
                return [...hubs][0];
            }
            case "versioned":
                return mirrorName(c.refs[0], mirror);
            default:
                return mirrorReference(c.refs[0], mirror);
        }
    };
}

/** A ConfigMap whose code falls back to a default image unless an env var is set. */
interface CodeDefault {
    readonly finding: Finding;
    readonly namespace?: string;
    readonly configMap: string;
}

function isObject(v: unknown): v is Record<string, any> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every pod spec in an object (any object holding a `containers` list), with its containers. */
export function podSpecs(node: unknown, out: Record<string, any>[] = []): Record<string, any>[] {
    if (Array.isArray(node)) node.forEach((n) => podSpecs(n, out));
    else if (isObject(node)) {
        if (Array.isArray(node.containers)) out.push(node);
        for (const k of Object.keys(node)) if (k !== "containers" && k !== "openAPIV3Schema") podSpecs(node[k], out);
    }
    return out;
}

/** Containers of a pod spec that read a ConfigMap: through a mounted volume or envFrom. */
function consumingContainers(spec: Record<string, any>, configMap: string): Record<string, any>[] {
    const volumes = new Set<string>();
    for (const v of (spec.volumes ?? []) as any[]) {
        if (v?.configMap?.name === configMap) volumes.add(v.name);
        for (const s of (v?.projected?.sources ?? []) as any[]) if (s?.configMap?.name === configMap) volumes.add(v.name);
    }
    const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as any[];
    return all.filter((c) => isObject(c) && (
        ((c.volumeMounts ?? []) as any[]).some((m) => volumes.has(m?.name)) ||
        ((c.envFrom ?? []) as any[]).some((e) => e?.configMapRef?.name === configMap)
    ));
}

/** Data keys of the ConfigMaps a container takes its environment from. */
function envFromKeys(container: Record<string, any>, configMaps: Map<string, Record<string, unknown>>, namespace: string | undefined): Set<string> {
    const keys = new Set<string>();
    for (const e of (container.envFrom ?? []) as any[]) {
        const name = e?.configMapRef?.name;
        const data = name ? configMaps.get(`${namespace ?? ""}/${name}`) : undefined;
        if (data) for (const k of Object.keys(data)) keys.add(`${e.prefix ?? ""}${k}`);
    }
    return keys;
}

/** A container that runs code with a default image and does not set the env var that overrides it. */
export interface UnsetCodeDefault {
    readonly codeDefault: Finding;
    readonly document: SourceDocument;
    readonly container: Record<string, any>;
}

/**
 * For each code default, the containers (in this stream) that run the code
 * without setting the env var: those would pull the public default.
 */
export function unsetCodeDefaults(documents: SourceDocument[], findings: Finding[]): UnsetCodeDefault[] {
    const defaults: CodeDefault[] = [];
    for (const f of findings) {
        if (f.kind !== "code-default" || f.object.kind !== "ConfigMap") continue;
        defaults.push({ finding: f, namespace: f.object.namespace, configMap: f.object.name });
    }
    if (defaults.length === 0) return [];
    const configMaps = new Map<string, Record<string, unknown>>();
    for (const d of documents) {
        const v = d.value as any;
        if (isObject(v) && v.kind === "ConfigMap" && isObject(v.data)) configMaps.set(`${v.metadata?.namespace ?? ""}/${v.metadata?.name}`, v.data);
    }
    const out: UnsetCodeDefault[] = [];
    for (const document of documents) {
        const value = document.value as any;
        if (!isObject(value)) continue;
        const namespace = value.metadata?.namespace;
        for (const spec of podSpecs(value)) {
            for (const cd of defaults) {
                if ((cd.namespace ?? "") !== (namespace ?? "")) continue;
                for (const container of consumingContainers(spec, cd.configMap)) {
                    const envVar = cd.finding.envVar as string;
                    const set = ((container.env ?? []) as any[]).some((e) => e?.name === envVar) || envFromKeys(container, configMaps, namespace).has(envVar);
                    if (!set) out.push({ codeDefault: cd.finding, document, container });
                }
            }
        }
    }
    return out;
}

/** The result of a rewrite. */
export interface Rewrite {
    readonly text: string;
    /** The rewritten documents' values, in stream order (what `text` parses to). */
    readonly values: unknown[];
    /** Findings of the input, before the rewrite. */
    readonly findings: Finding[];
    readonly documents: SourceDocument[];
    /** Documents changed, and of those, how many had to be serialised again instead of patched. */
    readonly changed: number;
    readonly reserialised: number;
}

/**
 * Rewrites every image of a YAML stream to the mirror. Only the image strings
 * change: untouched documents are copied byte for byte, changed ones are
 * patched token by token and checked to parse to the rewritten object; a
 * document that cannot be patched so is serialised again. Containers that run
 * code with a default image get the overriding env var set to the mirror.
 * Throws InputError (and writes nothing) on bad YAML or an invalid reference.
 * `input`: the stream's text, or the stream already parsed.
 */
export function rewriteStream(input: string | ParsedStream, source: string, mirror: Mirror): Rewrite {
    const { documents, chunks } = typeof input === "string" ? parseStream(input, source) : input;
    const mapper = mirrorMapper(mirror);
    const findings: Finding[] = [];
    const results = new Map<number, { replacements: ReadonlyMap<string, string>; conflict: boolean; structural: boolean }>();
    // Walk originals for the findings and the code defaults, then rewrite copies.
    const trees = documents.map((doc) => {
        if (doc.value === null || typeof doc.value !== "object") return doc.value;
        const copy = structuredClone(doc.value);
        const result = walkObject(copy, mapper, doc.index);
        findings.push(...result.findings);
        if (result.changed) results.set(doc.index, { replacements: result.replacements, conflict: result.conflict, structural: false });
        return copy;
    });
    const invalid = invalidReferenceError(findings, source, documents);
    if (invalid) throw invalid;
    // Code defaults: set the env var on each container that runs the code.
    const rewrittenDocs = documents.map((d, i) => ({ ...d, value: trees[i] }));
    for (const unset of unsetCodeDefaults(rewrittenDocs, findings)) {
        const ref = unset.codeDefault.ref;
        if (!ref) continue;
        const value = mirrorReference(ref, mirror);
        unset.container.env = [...(unset.container.env ?? []), { name: unset.codeDefault.envVar, value }];
        const prior = results.get(unset.document.index);
        results.set(unset.document.index, { replacements: prior?.replacements ?? new Map(), conflict: prior?.conflict ?? false, structural: true });
    }
    let reserialised = 0;
    const out = [...chunks];
    for (const [index, r] of results) {
        const doc = documents[index];
        const tree = trees[index];
        let next: string | undefined;
        if (!r.conflict && !r.structural) {
            const patched = replaceTokens(doc.text, r.replacements);
            try {
                if (deepEqual(loadYaml(patched), tree)) next = patched;
            } catch {
                /* serialise below */
            }
        }
        if (next === undefined) {
            reserialised++;
            const marker = /^---[^\n]*\n/.exec(doc.text)?.[0] ?? "";
            next = marker + dumpDocument(tree);
        }
        out[doc.chunk] = next;
    }
    return { text: out.join(""), values: trees, findings, documents, changed: results.size, reserialised };
}
