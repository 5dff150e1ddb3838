/**
 * Text helpers for rewriting documents in place: only the image strings change,
 * every other byte of the input is kept.
 */

/** Characters that can be part of an image reference (or a hub); a token ends at any other. */
const REFERENCE_CHAR = /[A-Za-z0-9._\-/:@+]/;

function escapeRegExp(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Replaces each whole-token occurrence of a key of `replacements` by its value.
 * A token is bounded by characters that cannot be part of a reference, so
 * `docker.io/istio` is not replaced inside `docker.io/istio/proxyv2:1.22.1`.
 */
export function replaceTokens(text: string, replacements: ReadonlyMap<string, string>): string {
    if (replacements.size === 0) return text;
    // Longest first, so that a reference is never cut by a shorter one it starts with.
    const keys = [...replacements.keys()].sort((a, b) => b.length - a.length);
    const pattern = new RegExp(keys.map(escapeRegExp).join("|"), "g");
    return text.replace(pattern, (match: string, offset: number) => {
        const before = offset > 0 ? text[offset - 1] : "";
        const after = text[offset + match.length] ?? "";
        if ((before && REFERENCE_CHAR.test(before)) || (after && REFERENCE_CHAR.test(after))) return match;
        return replacements.get(match) as string;
    });
}

/** Structural equality of parsed JSON/YAML values. */
export function deepEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
        return typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b);
    }
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a)) {
        const bb = b as unknown[];
        return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
    }
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const ak = Object.keys(ao);
    if (ak.length !== Object.keys(bo).length) return false;
    return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k], bo[k]));
}

/**
 * The format-keeping edit of a document or payload: replaces the tokens in the text and
 * keeps the result only when it parses to exactly the tree that was rewritten. Returns
 * undefined when it does not (the caller serialises the tree instead).
 */
export function patchThenVerify(text: string, replacements: ReadonlyMap<string, string>, tree: unknown, parse: (text: string) => unknown): string | undefined {
    const patched = replaceTokens(text, replacements);
    try {
        return deepEqual(parse(patched), tree) ? patched : undefined;
    } catch {
        return undefined;
    }
}

/** A message on one line: a tool's multi-line error in a one-line-per-item report (`a; b; c`). */
export function oneLine(text: string): string {
    return text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean)
        .join("; ");
}

/** `1 image`, `2 images`: a count with its noun. */
export function countOf(n: number, noun: string, plural = `${noun}s`): string {
    return `${n} ${n === 1 ? noun : plural}`;
}
