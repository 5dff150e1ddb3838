/**
 * The stack config reference: one row per setting of the schema (schema.ts), its meaning and
 * default as declared there. The docs' table is generated from it (`npm run docs:config`) and a
 * test fails when the two diverge.
 */
import { SCHEMA, isSection } from "./schema";

export interface SettingDoc {
    /** `mirror.registry`, or `users` for a setting without fields. */
    readonly key: string;
    readonly meaning: string;
    readonly default: string;
}

/** Every setting, in the schema's order. */
export const SETTINGS: readonly SettingDoc[] = Object.entries(SCHEMA).flatMap(([k, entry]) =>
    isSection(entry)
        ? Object.entries(entry.fields).map(([f, d]) => ({ key: `${k}.${f}`, meaning: d.doc, default: d.defaultDoc }))
        : [{ key: k, meaning: entry.doc, default: entry.defaultDoc }],
);

export const REFERENCE_START = "<!-- config-reference:start -->";
export const REFERENCE_END = "<!-- config-reference:end -->";

/** The docs' table of every setting (docs/config.md). */
export function referenceTable(): string {
    const esc = (s: string) => s.replace(/\|/g, "\\|");
    return [
        REFERENCE_START,
        "| key | meaning | default |",
        "| --- | --- | --- |",
        ...SETTINGS.map((s) => `| \`kfstack:${s.key}\` | ${esc(s.meaning)} | ${esc(s.default)} |`),
        REFERENCE_END,
    ].join("\n");
}

/** A document with its reference block replaced by the generated one. */
export function withReference(doc: string, file = "docs/config.md"): string {
    const start = doc.indexOf(REFERENCE_START);
    const end = doc.indexOf(REFERENCE_END);
    if (start < 0 || end < 0) throw new Error(`${file} has no ${REFERENCE_START} ... ${REFERENCE_END} block`);
    return doc.slice(0, start) + referenceTable() + doc.slice(end + REFERENCE_END.length);
}
