/**
 * Multi-document YAML streams, split so that each document's source text is kept.
 *
 * The rewrite edits a document's own text (only the image strings change), so
 * documents nobody touches are written back byte for byte. A document marker
 * (`---` or `...` at column 0) is a marker everywhere in YAML 1.2, even inside
 * quoted or block scalars (YAML 1.2 spec, 9.1.2 "c-forbidden"), so splitting on
 * it is exact.
 */
import * as jsyaml from "js-yaml";

/** One document of a stream. */
export interface SourceDocument {
    /** Position in the stream, counting only documents with content. */
    readonly index: number;
    /** 1-based line of the document's first line in the input. */
    readonly line: number;
    /** The document's exact source text, marker line included. */
    readonly text: string;
    /** The parsed value (null for an empty document). */
    readonly value: unknown;
    /** Position among all chunks of the stream, blank ones included. */
    readonly chunk: number;
}

/** Input that cannot be read as YAML; names the input and the line. */
export class InputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InputError";
    }
}

const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/;

interface Chunk { text: string; line: number }

function splitChunks(text: string): Chunk[] {
    const chunks: Chunk[] = [];
    let start = 0;
    let startLine = 1;
    let pos = 0;
    let line = 1;
    while (pos < text.length) {
        const nl = text.indexOf("\n", pos);
        const end = nl < 0 ? text.length : nl + 1;
        if (pos > start && MARKER.test(text.slice(pos, Math.min(end, pos + 4)))) {
            chunks.push({ text: text.slice(start, pos), line: startLine });
            start = pos;
            startLine = line;
        }
        pos = end;
        line++;
    }
    chunks.push({ text: text.slice(start), line: startLine });
    return chunks;
}

/** True when a chunk holds nothing but markers, comments and blank lines. */
function isBlank(chunk: string): boolean {
    return chunk.split("\n").every((l) => /^\s*(#.*)?$/.test(l) || MARKER.test(l) && /^(?:---|\.\.\.)\s*(#.*)?$/.test(l.trimEnd()));
}

/**
 * Splits and parses a stream. `source` names the input in errors (a file name or `<stdin>`).
 * Blank documents are kept as text (so a rewrite writes them back) but given `value: null`.
 */
/** A split, parsed stream: its documents, and every chunk of its text (blank ones too). */
export interface ParsedStream {
    readonly documents: SourceDocument[];
    readonly chunks: string[];
}

export function parseStream(text: string, source: string): ParsedStream {
    const chunks = splitChunks(text);
    const documents: SourceDocument[] = [];
    chunks.forEach((chunk, i) => {
        if (isBlank(chunk.text)) return;
        let value: unknown;
        try {
            value = jsyaml.load(chunk.text, { filename: source, schema: jsyaml.DEFAULT_SCHEMA, json: true });
        } catch (e) {
            const err = e as jsyaml.YAMLException;
            const mark = err.mark;
            const where = mark ? `${source}:${chunk.line + mark.line}:${mark.column + 1}` : `${source}:${chunk.line}`;
            throw new InputError(`${where}: invalid YAML: ${err.reason ?? err.message}; fix the document starting at line ${chunk.line}`);
        }
        documents.push({ index: documents.length, line: chunk.line, text: chunk.text, value: value ?? null, chunk: i });
    });
    return { documents, chunks: chunks.map((c) => c.text) };
}

/** Serialises a value as one YAML document in the style kubectl prints. */
export function dumpDocument(value: unknown): string {
    return jsyaml.dump(value, { lineWidth: -1, noRefs: true, quotingType: "\"" });
}

/** Parses one YAML payload (a ConfigMap value, say); throws js-yaml's error. */
export function loadYaml(text: string): unknown {
    return jsyaml.load(text, { json: true });
}

/**
 * A stream of documents taken from another one (an app's share of a whole render), indexed
 * anew, each starting with a marker: no need to join their text and parse it again.
 */
export function streamOf(documents: readonly SourceDocument[]): ParsedStream {
    const picked = documents.map((d, i) => ({ ...d, index: i, chunk: i, text: /^---/.test(d.text) ? d.text : "---\n" + d.text }));
    return { documents: picked, chunks: picked.map((d) => d.text) };
}
