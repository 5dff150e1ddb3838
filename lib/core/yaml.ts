/**
 * YAML, read one way everywhere (streams, payloads, stack files, kustomizations):
 * - duplicate mapping keys are errors (kustomize and the API server reject them; taking
 *   the last value would leave the first `image:` un-mirrored);
 * - aliases may not expand past a bound (an "alias bomb" of a few hundred bytes would
 *   otherwise expand to millions of nodes when walked);
 * - bytes that are not UTF-8 are errors (never silently replaced by U+FFFD).
 *
 * Multi-document streams are split so that each document's source text is kept: the
 * rewrite edits a document's own text (only the image strings change), so documents
 * nobody touches are written back byte for byte. A document marker (`---` or `...` at
 * column 0) is a marker everywhere in YAML 1.2, even inside quoted or block scalars
 * (YAML 1.2 spec, 9.1.2 "c-forbidden"), so splitting on it is exact.
 */
import * as fs from "fs";
import { isUtf8 } from "buffer";
import * as jsyaml from "js-yaml";
import { InputError } from "./errors";

/** How many nodes aliases may add to a document when expanded, at most. */
export const MAX_ALIAS_EXPANSION = 100_000;

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

/** A split, parsed stream: its documents, and every chunk of its text (blank ones too). */
export interface ParsedStream {
    readonly documents: SourceDocument[];
    readonly chunks: string[];
}

const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/;

interface Chunk {
    text: string;
    line: number;
}

function splitChunks(text: string): Chunk[] {
    const chunks: Chunk[] = [];
    let start = 0;
    let startLine = 1;
    let pos = 0;
    let line = 1;
    while (pos < text.length) {
        const nl = text.indexOf("\n", pos);
        const end = nl < 0 ? text.length : nl + 1;
        const marker = MARKER.exec(text.slice(pos, Math.min(end, pos + 4)))?.[0];
        if (marker === "...") {
            // A document end marker closes the document it ends: it stays with it, and what
            // follows is a new (bare) document.
            chunks.push({ text: text.slice(start, end), line: startLine });
            start = end;
            startLine = line + 1;
        } else if (marker && pos > start) {
            chunks.push({ text: text.slice(start, pos), line: startLine });
            start = pos;
            startLine = line;
        }
        pos = end;
        line++;
    }
    if (start < text.length || chunks.length === 0) chunks.push({ text: text.slice(start), line: startLine });
    return chunks;
}

/** True when a chunk holds nothing but markers, comments and blank lines (line by line: most chunks answer on their second line). */
function isBlank(chunk: string): boolean {
    let start = 0;
    while (start < chunk.length) {
        const nl = chunk.indexOf("\n", start);
        const line = chunk.slice(start, nl < 0 ? chunk.length : nl);
        if (!/^\s*(#.*)?$/.test(line) && !/^(?:---|\.\.\.)\s*(#.*)?$/.test(line.trimEnd())) return false;
        if (nl < 0) break;
        start = nl + 1;
    }
    return true;
}

/**
 * How many nodes a parsed value has when every alias is expanded, beyond its distinct
 * nodes; stops counting past the bound. js-yaml shares one object for an anchor and its
 * aliases, so the value is a graph; each shared node is counted once per reference.
 */
function aliasExpansion(value: unknown): number {
    const expanded = new Map<object, number>();
    let extra = 0;
    const size = (v: unknown): number => {
        if (v === null || typeof v !== "object") return 1;
        const known = expanded.get(v);
        if (known !== undefined) {
            extra += known;
            if (extra > MAX_ALIAS_EXPANSION) throw new RangeError("alias expansion");
            return known;
        }
        expanded.set(v, 1); // a cycle (an alias inside its own anchor) counts once
        let n = 1;
        for (const x of Array.isArray(v) ? v : Object.values(v)) n += size(x);
        expanded.set(v, n);
        return n;
    };
    size(value);
    return extra;
}

/** Why a parse failed: where and what, with the fix. */
function parseProblem(e: unknown, source: string, firstLine: number): string {
    if (e instanceof RangeError && e.message === "alias expansion") {
        return `${source}:${firstLine}: YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} nodes (an alias bomb?); write the values out instead of aliasing them`;
    }
    const err = e as jsyaml.YAMLException;
    const mark = err.mark;
    const where = mark ? `${source}:${firstLine + mark.line}:${mark.column + 1}` : `${source}:${firstLine}`;
    const reason = err.reason ?? err.message;
    const fix = /duplicated mapping key/.test(reason) ? "keep one of the two keys" : "fix the YAML";
    return `${where}: invalid YAML: ${reason}; ${fix}`;
}

/** An anchor (`&name`) and an alias (`*name`) token: only a document with both can share nodes. */
const ANCHOR_TOKEN = /(?:^|[\s[{,:])&[^\s,[\]{}]/m;
const ALIAS_TOKEN = /(?:^|[\s[{,:])\*[^\s,[\]{}]/m;

/**
 * The deepest nesting kfstack walks. Real manifests and configurations stay under 30 levels;
 * a value nested thousands deep (a hostile or broken payload) would overflow the stack of
 * every recursive walk, so it is refused where it is parsed, with its place named. js-yaml
 * refuses text nested deeper than 100 itself; aliases can nest deeper than the text (an alias
 * to a deep node inside another), and JSON.parse has no bound at all.
 */
export const MAX_NESTING = 200;

/** True when the YAML text has anchors and aliases: only then can its tree nest deeper than js-yaml allows the text to. */
export function hasAliases(text: string): boolean {
    return text.includes("&") && ANCHOR_TOKEN.test(text) && ALIAS_TOKEN.test(text);
}

/** True when `value` nests objects or arrays deeper than `limit` (counted without recursion). */
export function nestsDeeperThan(value: unknown, limit = MAX_NESTING): boolean {
    const stack: [unknown, number][] = [[value, 0]];
    while (stack.length > 0) {
        const [v, depth] = stack.pop()!;
        if (typeof v !== "object" || v === null) continue;
        if (depth >= limit) return true;
        for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
    return false;
}

function load(text: string, source: string): unknown {
    const value = jsyaml.load(text, { filename: source, schema: jsyaml.DEFAULT_SCHEMA });
    // The tokens may also stand in strings (a template, a URL): then the count simply finds no sharing.
    if (hasAliases(text)) aliasExpansion(value);
    return value;
}

/**
 * Splits and parses a stream. `source` names the input in errors (a file name or `<stdin>`).
 * Blank documents are kept as text (so a rewrite writes them back) but given `value: null`.
 */
export function parseStream(text: string, source: string): ParsedStream {
    const chunks = splitChunks(text);
    const documents: SourceDocument[] = [];
    chunks.forEach((chunk, i) => {
        if (isBlank(chunk.text)) return;
        let value: unknown;
        try {
            value = load(chunk.text, source);
        } catch (e) {
            throw new InputError(`${parseProblem(e, source, chunk.line)} (in the document starting at line ${chunk.line})`, source);
        }
        if (hasAliases(chunk.text) && nestsDeeperThan(value))
            throw new InputError(
                `${source}: the document starting at line ${chunk.line} nests deeper than ${MAX_NESTING} levels; no Kubernetes object does: check how it was generated`,
                source,
            );
        documents.push({ index: documents.length, line: chunk.line, text: chunk.text, value: value ?? null, chunk: i });
    });
    return { documents, chunks: chunks.map((c) => c.text) };
}

/** Parses one YAML payload (a ConfigMap value, say) with the same rules; throws InputError naming `source`. */
export function loadYaml(text: string, source = "YAML payload"): unknown {
    try {
        return load(text, source);
    } catch (e) {
        throw new InputError(parseProblem(e, source, 1), source);
    }
}

/** Serialises a value as one YAML document in the style kubectl prints. */
export function dumpDocument(value: unknown): string {
    return jsyaml.dump(value, { lineWidth: -1, noRefs: true, quotingType: '"' });
}

/**
 * A stream of documents taken from another one (an app's share of a whole render), indexed
 * anew, each starting with a marker: no need to join their text and parse it again.
 */
export function streamOf(documents: readonly SourceDocument[]): ParsedStream {
    const picked = documents.map((d, i) => ({ ...d, index: i, chunk: i, text: /^---/.test(d.text) ? d.text : "---\n" + d.text }));
    return { documents: picked, chunks: picked.map((d) => d.text) };
}

/** Text from bytes that must be UTF-8; names the input and the line of the first bad byte. */
export function decodeUtf8(bytes: Buffer, source: string): string {
    if (isUtf8(bytes)) return bytes.toString("utf8");
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).toString("latin1").split("\n").length;
    throw new InputError(
        `${source}:${line}: byte 0x${bytes[at].toString(16).padStart(2, "0")} at offset ${at} is not UTF-8; convert the file to UTF-8 (iconv -t UTF-8)`,
        source,
    );
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Buffer): number {
    let i = 0;
    while (i < b.length) {
        const c = b[i];
        const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
        if (n < 0) return i;
        for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
        // Overlong forms and surrogates (isUtf8 rejects them too).
        if ((c === 0xe0 && b[i + 1] < 0xa0) || (c === 0xed && b[i + 1] > 0x9f) || (c === 0xf0 && b[i + 1] < 0x90) || (c === 0xf4 && b[i + 1] > 0x8f)) return i;
        i += n + 1;
    }
    return b.length - 1;
}

/** Reads a text file that must exist and be UTF-8; `what` says what it is for the message. */
export function readTextFile(file: string, what = "file"): string {
    let bytes: Buffer;
    try {
        bytes = fs.readFileSync(file);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message;
        throw new InputError(`${file}: cannot read the ${what}: ${why}`, file);
    }
    return decodeUtf8(bytes, file);
}

/** Reads and parses a one-document YAML file (a stack file, a kustomization). */
export function readYamlFile(file: string, what = "file"): unknown {
    return loadYaml(readTextFile(file, what), file);
}
