/**
 * Payload codecs: string values that hold JSON or YAML (ConfigMap and Secret values,
 * base64 in a Secret's `data`), decoded so that discovery can walk them, and encoded
 * again in their own format after a rewrite.
 */
import { dumpDocument, hasAliases, loadYaml, MAX_NESTING, nestsDeeperThan } from "../core/yaml";
import { patchThenVerify } from "../core/text";

export type PayloadFormat = "json" | "yaml";

/** A decoded payload: its text and tree, or why a value that looks like data cannot be read. */
export interface DecodedPayload {
    /** The text, when the value may hold a payload (JSON-like or several lines); absent for plain values. */
    readonly body?: string;
    readonly format?: PayloadFormat;
    readonly tree?: unknown;
    /** Set when the value claims to be data and is not: the images in it cannot be vouched for. */
    readonly problem?: string;
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/**
 * Base64 text of a Secret's `data`: the text it holds, nothing for binary content
 * (keys, keystores: no images there), or the problem when it is not base64 at all.
 */
export function decodeBase64Text(text: string): { text?: string; problem?: string } {
    const compact = text.replace(/\s+/g, "");
    if (!BASE64.test(text) || compact.length % 4 !== 0) return { problem: "is not base64 (a Secret's data values must be)" };
    const decoded = Buffer.from(compact, "base64").toString("utf8");
    // Control characters (other than tab and line breaks) mean binary content, not text.
    // eslint-disable-next-line no-control-regex
    if (decoded.includes("\uFFFD") || /[\x00-\x08\x0E-\x1F]/.test(decoded)) return {};
    return { text: decoded };
}

/**
 * True when text is shaped like a JSON document: `{...}` or `[...]`, and no template
 * (`{{ }}` of Go templates, as in Knative's request-log template, is filled in at run time).
 */
function looksLikeJson(trimmed: string): boolean {
    const object = trimmed.startsWith("{") && trimmed.endsWith("}");
    const array = trimmed.startsWith("[") && trimmed.endsWith("]");
    return (object || array) && !trimmed.includes("{{") && !trimmed.includes("{%");
}

/**
 * Parses a payload: JSON when it is shaped like JSON, YAML when it spans lines. Text that
 * is neither (a Go template, a script) has no tree and no problem; text shaped like JSON
 * that parses as neither has a problem.
 */
export function parsePayload(body: string): DecodedPayload {
    const trimmed = body.trim();
    const opens = trimmed.startsWith("{") || trimmed.startsWith("[");
    const multiline = body.includes("\n");
    if (!opens && !multiline) return {}; // a plain value, no payload
    let jsonError: string | undefined;
    const tooDeep = { body, problem: `nests deeper than ${MAX_NESTING} levels: no configuration does, and its images cannot be vouched for` };
    if (opens) {
        try {
            const tree: unknown = JSON.parse(body);
            return nestsDeeperThan(tree) ? tooDeep : { body, format: "json", tree };
        } catch (e) {
            jsonError = (e as Error).message;
        }
    }
    try {
        const tree = loadYaml(body);
        return hasAliases(body) && nestsDeeperThan(tree) ? tooDeep : { body, format: "yaml", tree };
    } catch {
        /* not YAML either: text (a template, a script) */
    }
    return looksLikeJson(trimmed) && jsonError !== undefined ? { body, problem: `looks like JSON but does not parse (${jsonError})` } : { body };
}

/**
 * The payload's text after its tree was rewritten: the image tokens replaced in place when
 * that gives exactly the new tree, else the tree serialised again in the same format.
 */
export function encodePayload(body: string, tree: unknown, format: PayloadFormat, replacements: ReadonlyMap<string, string>, conflict: boolean): string {
    if (!conflict) {
        const patched = patchThenVerify(body, replacements, tree, format === "json" ? JSON.parse : (t) => loadYaml(t));
        if (patched !== undefined) return patched;
    }
    if (format === "json") {
        const indent = /^[{[]\s*\n([ \t]+)/.exec(body)?.[1] ?? "";
        return JSON.stringify(tree, null, indent) + (body.endsWith("\n") ? "\n" : "");
    }
    // A YAML payload whose tokens could not be replaced in place is written again by js-yaml.
    return dumpDocument(tree);
}
