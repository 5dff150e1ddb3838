/**
 * The image inventory of a stream of Kubernetes objects: every place, and the sorted
 * list of images a cluster will pull.
 */
import { describeObject, InputError, listedProblems } from "../core";
import { parseStream, SourceDocument } from "../core/yaml";
import { Finding, UnreadablePayload, walkObject } from "./walker";
import { hasNoVersion } from "./reference";

/** Findings of a whole stream. */
export interface Inventory {
    readonly documents: SourceDocument[];
    readonly findings: Finding[];
    /** Values that claim to be data and cannot be read (see `unreadableMessages`). */
    readonly unreadable: UnreadablePayload[];
}

/** `source:line` of the document a finding or payload is in. */
function at(source: string, documents: readonly SourceDocument[], documentIndex: number | undefined): string {
    const line = documentIndex !== undefined ? documents[documentIndex]?.line : undefined;
    return `${source}${line ? ":" + line : ""}`;
}

/** Findings whose text is not a valid reference, as one error naming each place and the fix. */
export function invalidReferenceError(findings: Finding[], source: string, documents: SourceDocument[]): InputError | undefined {
    const bad = findings.filter((f) => f.error !== undefined);
    if (bad.length === 0) return undefined;
    const lines = bad.map(
        (f) => `${at(source, documents, f.documentIndex)}: ${describeObject(f.object)} ${f.path}: invalid image reference ${JSON.stringify(f.raw)}: ${f.error}`,
    );
    if (lines.length === 1) return new InputError(`${lines[0]}; correct it in the input`, source);
    return new InputError(
        `${bad.length} invalid image references in ${source}; correct them in the input:\n${listedProblems(lines)
            .map((l) => "  " + l)
            .join("\n")}`,
        source,
    );
}

/** One line per unreadable payload, naming the object, the key and why; what `images`/`rewrite` warn and `check` fails on. */
export function unreadableMessages(unreadable: readonly UnreadablePayload[], source: string, documents: readonly SourceDocument[]): string[] {
    return unreadable.map(
        (u) =>
            `${at(source, documents, u.documentIndex)}: ${describeObject(u.object)} ${u.path}: the value ${u.reason}, so images in it cannot be found; fix the value`,
    );
}

/** Finds every image in a YAML stream. Throws InputError on bad YAML. */
export function inventoryOf(text: string, source: string): Inventory {
    return inventoryOfDocuments(parseStream(text, source).documents);
}

/** The inventory of objects already parsed (a live cluster's, say): no text to dump and parse again. */
export function inventoryOfObjects(objects: readonly unknown[]): Inventory {
    return inventoryOfDocuments(objects.map((value, index) => ({ index, chunk: index, line: 0, text: "", value })));
}

function inventoryOfDocuments(documents: SourceDocument[]): Inventory {
    const findings: Finding[] = [];
    const unreadable: UnreadablePayload[] = [];
    for (const doc of documents) {
        if (doc.value === null || typeof doc.value !== "object") continue;
        const walked = walkObject(doc.value, undefined, doc.index);
        findings.push(...walked.findings);
        unreadable.push(...walked.unreadable);
    }
    return { documents, findings, unreadable };
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
