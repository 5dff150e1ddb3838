/**
 * The field kinds the settings schema (schema.ts) is written in. A field carries everything
 * kfstack says about one setting — its kind and range, its default, what it means — so the
 * validator, the known-key list, the reference table and the components' defaults are all read
 * from the one declaration. A field's `read` checks a value that is present and reports a
 * problem naming the key; a missing value takes the default.
 */
import * as path from "path";
import { KfstackError } from "../core/errors";
import { checkOutputPath, OutputKind } from "../core/outputPath";

/** What `read` needs besides the value: where problems go and how paths resolve. */
export interface ReadContext {
    readonly problems: string[];
    /** The stack file's folder: relative paths resolve against it. */
    readonly baseDir: string;
}

/**
 * One setting. `T` is the value a present, valid setting yields; `R` what a parsed section
 * holds (`T` when there is a default, `T | undefined` when there is none).
 */
export interface Field<T, R = T | undefined> {
    /** What the setting means, for the reference (Markdown). */
    readonly doc: string;
    /** The default as the reference shows it. */
    readonly defaultDoc: string;
    /** The value of a missing setting. */
    readonly default: R;
    /** The value of a present setting; undefined after a problem was reported as `where ...`. */
    read(value: unknown, where: string, ctx: ReadContext): T | undefined;
}

/** Any field, whatever its value type. */
export type AnyField = Field<any, any>;

/** The values of a section's fields, defaults applied. */
export type Values<F extends Record<string, AnyField>> = { -readonly [K in keyof F]: F[K] extends Field<unknown, infer R> ? R : never };

interface Common<T> {
    readonly doc: string;
    /** How the default reads in the reference; derived from `default` when left out. */
    readonly defaultDoc?: string;
    readonly default?: T;
}
type WithDefault<T> = Common<T> & { readonly default: T };

const shown = (v: unknown): string => (Array.isArray(v) ? (v.length === 0 ? "`[]`" : v.map((x) => `\`${x}\``).join(", ")) : `\`${String(v)}\``);

function field<T>(o: Common<T>, read: Field<T>["read"]): Field<T> {
    return { doc: o.doc, defaultDoc: o.defaultDoc ?? (o.default === undefined ? "—" : shown(o.default)), default: o.default, read };
}

/** A non-empty string; `pattern`, when given, with `hint` saying what is expected. */
export function text(o: WithDefault<string> & { readonly pattern?: RegExp; readonly hint?: string }): Field<string, string>;
export function text(o: Common<string> & { readonly pattern?: RegExp; readonly hint?: string }): Field<string>;
export function text(o: Common<string> & { readonly pattern?: RegExp; readonly hint?: string }): Field<string> {
    return field(o, (v, where, { problems }) => {
        if (typeof v !== "string" || v.trim() === "") {
            problems.push(`${where} must be a non-empty string, got ${JSON.stringify(v)}`);
            return undefined;
        }
        if (o.pattern && !o.pattern.test(v)) {
            problems.push(`${where} ${JSON.stringify(v)}: ${o.hint ?? `must match ${o.pattern}`}`);
            return undefined;
        }
        return v;
    });
}

/**
 * A file or folder. `resolve`: relative to the stack file's folder (paths on this machine);
 * `absolute`: must be absolute as given (paths on the cluster's nodes).
 */
/** A path; `output`: kfstack writes there, so it is checked like every output path (lib/core/outputPath). */
type PathOptions = { readonly absolute?: boolean; readonly resolve?: boolean; readonly output?: OutputKind };
export function filePath(o: WithDefault<string> & PathOptions): Field<string, string>;
export function filePath(o: Common<string> & PathOptions): Field<string>;
export function filePath(o: Common<string> & PathOptions): Field<string> {
    const asText = text({ doc: o.doc });
    return field(o, (v, where, ctx) => {
        const s = asText.read(v, where, ctx);
        if (s === undefined) return undefined;
        if (o.absolute && !s.startsWith("/")) {
            ctx.problems.push(`${where} ${JSON.stringify(s)} must be an absolute path`);
            return undefined;
        }
        const resolved = o.resolve ? path.resolve(ctx.baseDir, s) : s;
        if (o.output) {
            try {
                checkOutputPath(resolved, o.output, `${where} ${s}`);
            } catch (e) {
                if (!(e instanceof KfstackError)) throw e;
                ctx.problems.push(e.message);
                return undefined;
            }
        }
        return resolved;
    });
}

/** One of a closed set of words. */
export function choice<const C extends string>(values: readonly C[], o: WithDefault<C>): Field<C, C>;
export function choice<const C extends string>(values: readonly C[], o: Common<C>): Field<C>;
export function choice<const C extends string>(values: readonly C[], o: Common<C>): Field<C> {
    const asText = text({ doc: o.doc });
    return field(o, (v, where, ctx) => {
        const s = asText.read(v, where, ctx);
        if (s === undefined) return undefined;
        if (!values.includes(s as C)) {
            ctx.problems.push(`${where} is ${JSON.stringify(s)}; use one of ${values.join(", ")}`);
            return undefined;
        }
        return s as C;
    });
}

/** `true` or `false`. */
export function flag(o: WithDefault<boolean>): Field<boolean, boolean>;
export function flag(o: Common<boolean>): Field<boolean>;
export function flag(o: Common<boolean>): Field<boolean> {
    return field(o, (v, where, { problems }) => {
        if (typeof v !== "boolean") {
            problems.push(`${where} must be true or false, got ${JSON.stringify(v)}`);
            return undefined;
        }
        return v;
    });
}

/** A whole number in `[min, max]`. */
export function whole(o: WithDefault<number> & { readonly min: number; readonly max: number }): Field<number, number> {
    return field(o, (v, where, { problems }) => {
        if (typeof v !== "number" || !Number.isInteger(v) || v < o.min || v > o.max) {
            problems.push(`${where} must be a whole number from ${o.min} to ${o.max}, got ${JSON.stringify(v)}`);
            return undefined;
        }
        return v;
    }) as Field<number, number>;
}

/** A list of strings; with `allowed`, each one of those. */
/**
 * How a list's items are checked: `allowed`, a closed set; `item`, a pattern each must match
 * (with what it is, for the error); `nonEmpty`, an empty list means nothing and is refused.
 */
type ListOptions<C extends string> = {
    readonly allowed?: readonly C[];
    readonly item?: { readonly re: RegExp; readonly what: string };
    readonly nonEmpty?: string;
};
export function textList<const C extends string = string>(o: WithDefault<C[]> & ListOptions<C>): Field<C[], C[]>;
export function textList<const C extends string = string>(o: Common<C[]> & ListOptions<C>): Field<C[]>;
export function textList<const C extends string = string>(o: Common<C[]> & ListOptions<C>): Field<C[]> {
    return field(o, (v, where, { problems }) => {
        if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
            problems.push(`${where} must be a list of strings, got ${JSON.stringify(v)}`);
            return undefined;
        }
        if (o.nonEmpty && v.length === 0) {
            problems.push(`${where} is empty: ${o.nonEmpty}`);
            return undefined;
        }
        const bad = o.allowed ? v.filter((x) => !o.allowed!.includes(x as C)) : [];
        if (bad.length > 0) {
            problems.push(`${where} has ${bad.join(", ")}; use ${o.allowed!.join(", ")}`);
            return undefined;
        }
        const malformed = o.item ? v.filter((x) => !o.item!.re.test(x)) : [];
        if (malformed.length > 0) {
            problems.push(`${where} has ${malformed.map((x) => JSON.stringify(x)).join(", ")}: not ${o.item!.what}`);
            return undefined;
        }
        return v as C[];
    });
}

/** A secret (a string the engine decrypts, or `{secure: ...}` in a stack file): only its presence is kept. */
export function secret(o: { readonly doc: string; readonly hint: (where: string) => string }): Field<boolean, boolean> {
    return {
        doc: o.doc,
        defaultDoc: "—",
        default: false,
        read: (v, where, { problems }) => {
            if (typeof v === "string") return v !== "";
            if (v && typeof v === "object" && "secure" in v) return true;
            problems.push(`${where} must be a string secret (${o.hint(where)})`);
            return undefined;
        },
    };
}

/** A setting of its own shape, read by `read`. */
export function shaped<T>(o: WithDefault<T> & { readonly read: Field<T>["read"] }): Field<T, T>;
export function shaped<T>(o: Common<T> & { readonly read: Field<T>["read"] }): Field<T>;
export function shaped<T>(o: Common<T> & { readonly read: Field<T>["read"] }): Field<T> {
    return field(o, o.read);
}
