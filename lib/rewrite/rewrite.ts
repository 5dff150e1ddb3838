/**
 * The rewrite of a stream to the mirror. Only the image strings change: untouched
 * documents are copied byte for byte; changed ones are patched token by token and
 * checked to parse to the rewritten object.
 */
import { InputError, patchThenVerify } from "../core";
import { parseStream, ParsedStream, SourceDocument, dumpDocument, loadYaml } from "../core/yaml";
import { Candidate, Finding, UnreadablePayload, walkObject } from "../images/walker";
import { invalidReferenceError, unsetCodeDefaults } from "../images";
import { Mirror, mirrorReference, mirrorName, isUnderMirror } from "./mirror";

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
                    throw new InputError(
                        `hub ${JSON.stringify(c.raw)} cannot be mirrored as one prefix (${[...hubs].join(", ")}); write full image references instead`,
                    );
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
    /** Values that claim to be data and cannot be read: images in them were not rewritten. */
    readonly unreadable: UnreadablePayload[];
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
    const unreadable: UnreadablePayload[] = [];
    const results = new Map<number, { replacements: ReadonlyMap<string, string>; conflict: boolean; structural: boolean }>();
    // Walk originals for the findings and the code defaults, then rewrite copies.
    const trees = documents.map((doc) => {
        if (doc.value === null || typeof doc.value !== "object") return doc.value;
        const copy = structuredClone(doc.value);
        const result = walkObject(copy, mapper, doc.index);
        findings.push(...result.findings);
        unreadable.push(...result.unreadable);
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
        let next = !r.conflict && !r.structural ? patchThenVerify(doc.text, r.replacements, tree, (t) => loadYaml(t, source)) : undefined;
        if (next === undefined) {
            reserialised++;
            const marker = /^---[^\n]*\n/.exec(doc.text)?.[0] ?? "";
            next = marker + dumpDocument(tree);
        }
        out[doc.chunk] = next;
    }
    return { text: out.join(""), values: trees, findings, documents, changed: results.size, reserialised, unreadable };
}
