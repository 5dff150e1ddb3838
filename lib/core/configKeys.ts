/** Names of stack config keys, built one way so that every message names a key as users type it. */

/** The Pulumi config namespace of kfstack's settings. */
export const NAMESPACE = "kfstack";

/** `configKey("mirror", "registry")` → `kfstack:mirror.registry`; numbers index lists: `kfstack:users[0].password`. */
export function configKey(...parts: (string | number)[]): string {
    return `${NAMESPACE}:${parts.map((p, i) => (typeof p === "number" ? `[${p}]` : (i > 0 ? "." : "") + p)).join("")}`;
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
    }
    return d[a.length][b.length];
}

/** The option closest to a misspelled word, if one is close enough to be what was meant. */
export function closest(word: string, options: readonly string[]): string | undefined {
    const best = options.map((o) => [o, distance(word.toLowerCase(), o.toLowerCase())] as const).sort((x, y) => x[1] - y[1])[0];
    return best && best[1] <= Math.max(2, Math.floor(word.length / 3)) ? best[0] : undefined;
}
