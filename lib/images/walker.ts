/**
 * Finds every container image a Kubernetes object will pull, without a list of
 * kinds: the object is walked as plain data and each place that holds an image
 * is recognised by its shape. The same walk rewrites: a `Mapper` may return a
 * replacement for each image it is shown, and the walk writes it in place,
 * re-encoding embedded JSON/YAML payloads so that their format is kept.
 *
 * Places (see README "What counts as an image"):
 * - `image` of every entry of `containers` / `initContainers` / `ephemeralContainers`, at any depth;
 * - every key whose name says it holds an image (`image`, `cacheImage`, `FRONTEND_IMAGE`,
 *   `imageGroupOne`, ...), with string, list or `{value, options}` values;
 * - an `image` without a version beside `default*ImageVersion` keys: one image per version (KServe);
 * - `hub` + `tag` scopes (Istio's injector values): short image names below them are `hub/name:tag`;
 * - env entries with an image-named variable, and `--*image[=| ]VALUE` in args/command;
 * - string values holding JSON or YAML (ConfigMap/Secret payloads, base64 in Secret `data`),
 *   parsed and walked; text that does not parse (Go templates) is scanned for `image:` lines;
 * - code that falls back to a default image unless an env var is set
 *   (`os.environ.get("FRONTEND_IMAGE", "gcr.io/...")`): recorded as a code default.
 */
import { ObjectId, objectId, isPlainObject, CONTAINER_LISTS } from "../core/objects";
import { ImageReference, tryParseReference } from "./reference";
import { DYNAMIC_VALUE, NOT_AN_IMAGE, VERSION_KEY, isImageKey, isLooseImageKey } from "./keys";
import { decodeBase64Text, parsePayload, encodePayload } from "./payloads";
import { replaceTokens } from "../core/text";

/** Where a finding came from. */
export type PlaceKind =
    | "container" // containers[].image
    | "field" // an image-named key anywhere
    | "versioned" // image + defaultImageVersion (one finding per version)
    | "hub" // hub/name:tag
    | "env" // env var value
    | "arg" // container args/command
    | "template" // `image:` line in a payload that does not parse
    | "code-default"; // default in code, overridable by an env var

/** One image reference found in an object. */
export interface Finding {
    /** Normalised reference (`docker.io/library/busybox:1.28`), or the raw text when invalid. */
    readonly reference: string;
    /** Parsed reference; absent when invalid. */
    readonly ref?: ImageReference;
    /** Why the text is not a valid reference. */
    readonly error?: string;
    /** The text as written in the object. */
    readonly raw: string;
    readonly kind: PlaceKind;
    readonly object: ObjectId;
    /** Path inside the object: `spec.template.spec.containers[0].image`, `data.config(yaml).x`. */
    readonly path: string;
    /** For code defaults: the env var that overrides the default; for env findings: the variable. */
    readonly envVar?: string;
    /** Position of the object in its stream (or list of objects). */
    readonly documentIndex?: number;
}

/** A value that claims to hold data (JSON, base64) and cannot be read. */
export interface UnreadablePayload {
    readonly object: ObjectId;
    readonly path: string;
    /** What is wrong with it: "is not base64", "looks like JSON but does not parse (...)". */
    readonly reason: string;
    readonly documentIndex?: number;
}

/** What the walk shows a mapper. */
export interface Candidate {
    readonly kind: PlaceKind;
    /** The text that would be replaced: a reference, a repository without version, or a hub. */
    readonly raw: string;
    /** The image references this place stands for (several for versioned images and hubs). */
    readonly refs: ImageReference[];
}

/** Returns the replacement for `candidate.raw`, or undefined to keep it. */
export type Mapper = (candidate: Candidate) => string | undefined;

const SKIPPED_KEYS = new Set(["openAPIV3Schema"]);
const CONTAINER_LIST_KEYS: ReadonlySet<string> = new Set(CONTAINER_LISTS);

function keyPath(base: string, key: string): string {
    const seg = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
    if (base === "") return /^[A-Za-z_$]/.test(seg) ? seg : `[${seg}]`;
    return seg.startsWith('"') ? `${base}[${seg}]` : `${base}.${seg}`;
}

/** The hub, tag and variant that short image names below a node are completed with (Istio values). */
export interface HubScope {
    /** The mapping that holds the hub (the rewrite writes the new hub there). */
    readonly holder: Record<string, unknown>;
    readonly hub: string;
    readonly tag?: string;
    /** Istio's `variant` (`distroless`): a suffix of the tag. */
    readonly variant?: string;
    /** Path of the hub, for messages. */
    readonly path: string;
    /** The images completed with this hub: shared by every scope that takes its hub from the same holder. */
    readonly refs: ImageReference[];
}

/**
 * Istio's image variant: any value but "" and "default" is appended to the tag
 * (`1.26.1` + `distroless` → `1.26.1-distroless`, https://github.com/istio/istio/issues/51040),
 * for the whole scope (`global.variant`, which Istio's ambient profile sets) or one image (a
 * `variant` beside its `image`): https://istio.io/latest/docs/ops/configuration/security/harden-docker-images/
 */
function variantOf(v: unknown): string | undefined {
    return typeof v === "string" && v.trim() !== "" && v !== "default" ? v.trim() : undefined;
}

/** A hub or tag that is set: an empty string means "not set here", as in Istio's charts. */
function setValue(v: unknown): string | undefined {
    if (typeof v === "number") return String(v);
    return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

/**
 * The scope of a node: its own `hub`/`tag`/`variant`, else its `global`'s, else its parent's,
 * each of the three resolved on its own. An empty `hub: ""` or `tag: ""` takes the one from
 * further out, as Istio's Helm charts do (`{{ .Values.hub | default .Values.global.hub }}`,
 * https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/templates/deployment.yaml).
 * Returns the parent itself when the node sets nothing.
 */
export function hubScopeOf(node: Record<string, unknown>, parent: HubScope | undefined, path: string): HubScope | undefined {
    // Most nodes set none of the four: answer without allocating.
    if (node.hub === undefined && node.tag === undefined && node.variant === undefined && node.global === undefined) return parent;
    const global = isPlainObject(node.global) ? node.global : undefined;
    const pick = (field: string, read: (v: unknown) => string | undefined): { value?: string; holder?: Record<string, unknown> } => {
        const own = read(node[field]);
        if (own !== undefined) return { value: own, holder: node };
        const fromGlobal = global ? read(global[field]) : undefined;
        return fromGlobal !== undefined ? { value: fromGlobal, holder: global } : {};
    };
    const hub = pick("hub", setValue);
    const tag = pick("tag", setValue);
    const variant = pick("variant", variantOf);
    if (hub.value === undefined && tag.value === undefined && variant.value === undefined) return parent;
    if (hub.value === undefined && parent === undefined) return undefined; // a tag with no hub completes nothing
    const ownHub = hub.value !== undefined && hub.holder !== undefined;
    const holderPath = hub.holder === node ? path : keyPath(path, "global");
    return {
        holder: ownHub ? (hub.holder as Record<string, unknown>) : (parent as HubScope).holder,
        hub: ownHub ? (hub.value as string) : (parent as HubScope).hub,
        tag: tag.value ?? parent?.tag,
        variant: variant.value ?? parent?.variant,
        path: ownHub ? keyPath(holderPath, "hub") : (parent as HubScope).path,
        refs: ownHub ? [] : (parent as HubScope).refs,
    };
}

/** State of one walk over one top-level object. */
class Walk {
    readonly findings: Finding[] = [];
    readonly unreadable: UnreadablePayload[] = [];
    /** raw → replacement, for the token rewrite of the document's text. */
    readonly replacements = new Map<string, string>();
    conflict = false;
    changed = false;

    constructor(
        readonly object: ObjectId,
        readonly mapper: Mapper | undefined,
        readonly documentIndex: number,
    ) {}

    private record(kind: PlaceKind, raw: string, path: string, ref?: ImageReference, error?: string, envVar?: string): void {
        this.findings.push({
            reference: ref ? ref.normalized : raw,
            ref,
            error,
            raw,
            kind,
            object: this.object,
            path,
            envVar,
            documentIndex: this.documentIndex,
        });
    }

    /** Offers a candidate to the mapper and remembers the replacement. */
    private map(candidate: Candidate): string | undefined {
        if (!this.mapper) return undefined;
        const out = this.mapper(candidate);
        if (out === undefined || out === candidate.raw) return undefined;
        this.noteReplacement(candidate.raw, out);
        return out;
    }

    /** Remembers that `from` became `to` (also for replacements made inside a payload). */
    noteReplacement(from: string, to: string): void {
        const previous = this.replacements.get(from);
        if (previous !== undefined && previous !== to) this.conflict = true;
        this.replacements.set(from, to);
        this.changed = true;
    }

    /** A full reference at `path`; returns the replacement text, if any. */
    reference(kind: PlaceKind, raw: string, path: string, strict: boolean, envVar?: string): string | undefined {
        const value = raw.trim();
        if (value === "" || DYNAMIC_VALUE.test(value)) return undefined;
        if (kind !== "container" && NOT_AN_IMAGE.test(value)) return undefined;
        const { ref, error } = tryParseReference(value);
        if (!ref) {
            if (strict) this.record(kind, value, path, undefined, error, envVar);
            return undefined;
        }
        this.record(kind, value, path, ref, undefined, envVar);
        const out = this.map({ kind, raw: value, refs: [ref] });
        return out === undefined ? undefined : raw.replace(value, out);
    }

    /**
     * A container's `image`: the kubelet pulls it, so a missing, empty or non-string value
     * is an invalid reference, never skipped (a template filled in at run time still is).
     */
    containerImage(value: unknown, path: string): string | undefined {
        if (typeof value === "string" && value.trim() !== "") return this.reference("container", value, path, true);
        const shown = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
        const why =
            value === undefined || value === null
                ? "the container has no image"
                : typeof value === "string"
                  ? "it is empty"
                  : `it is a ${Array.isArray(value) ? "list" : typeof value}, not a string`;
        this.record("container", shown, path, undefined, why);
        return undefined;
    }

    /** A repository with one image per sibling version key (KServe runtimes). */
    versioned(raw: string, versions: string[], path: string): string | undefined {
        const refs: ImageReference[] = [];
        for (const version of versions) {
            const text = `${raw}:${version}`;
            const { ref, error } = tryParseReference(text);
            if (ref) refs.push(ref);
            this.record("versioned", text, path, ref, error);
        }
        return refs.length ? this.map({ kind: "versioned", raw, refs }) : undefined;
    }

    /** A short image name below a hub: `hub/name:tag`. */
    hubImage(scope: HubScope, name: string, path: string, variant: string | undefined): void {
        const text = `${scope.hub}/${name}` + (scope.tag !== undefined ? `:${scope.tag}` + (variant !== undefined ? `-${variant}` : "") : "");
        const { ref, error } = tryParseReference(text);
        if (ref) scope.refs.push(ref);
        this.record("hub", text, `${path} (with ${scope.path})`, ref, error);
    }

    finishHub(scope: HubScope): void {
        if (scope.refs.length === 0) return;
        const out = this.map({ kind: "hub", raw: scope.hub, refs: scope.refs });
        if (out !== undefined) scope.holder.hub = out;
    }

    /** A default image in code; the mapper may rewrite the default too (the env var is set on the workload). */
    codeDefault(envVar: string, raw: string, path: string): string | undefined {
        // Code is scanned loosely: a default that is no reference is no image.
        const { ref } = tryParseReference(raw);
        if (!ref) return undefined;
        this.record("code-default", raw, path, ref, undefined, envVar);
        return this.map({ kind: "code-default", raw, refs: [ref] });
    }
}

interface Context {
    readonly walk: Walk;
    readonly path: string;
    readonly hub?: HubScope;
    /** Inside a Secret's `data`: values are base64. */
    readonly base64?: boolean;
    /** The node is an entry of a container list, whose `image` was taken already. */
    readonly container?: boolean;
}

/**
 * Returns the new value for a string leaf that is an image-named key's value, list item or `{value}`.
 * `variant`: the image's own variant, null when it says "none" (`default`), undefined to take the scope's.
 */
function imageValue(ctx: Context, kind: PlaceKind, value: string, path: string, variant?: string | null): string | undefined {
    if (ctx.hub && !value.includes("/") && !value.includes(":") && !value.includes("@") && value.trim() !== "" && !DYNAMIC_VALUE.test(value)) {
        ctx.walk.hubImage(ctx.hub, value, path, variant === undefined ? ctx.hub.variant : (variant ?? undefined));
        return undefined;
    }
    return ctx.walk.reference(kind, value, path, true);
}

/** Walks an object or array in place. */
function walkNode(node: unknown, ctx: Context): void {
    if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) {
            const item = node[i];
            const path = `${ctx.path}[${i}]`;
            if (typeof item === "string") {
                const out = payload(item, { ...ctx, path });
                if (out !== undefined) node[i] = out;
            } else walkNode(item, { walk: ctx.walk, path, hub: ctx.hub });
        }
        return;
    }
    if (!isPlainObject(node)) return;
    const hub = hubScopeOf(node, ctx.hub, ctx.path);
    // This node holds the hub its scope completes images with: rewrite it once its subtree is walked.
    const ownHub = hub !== undefined && hub.refs !== ctx.hub?.refs ? hub : undefined;
    const versions = Object.keys(node)
        .filter((k) => VERSION_KEY.test(k) && typeof node[k] === "string")
        .map((k) => node[k] as string);
    for (const key of Object.keys(node)) {
        if (SKIPPED_KEYS.has(key)) continue;
        const value = node[key];
        const path = keyPath(ctx.path, key);
        const child: Context = { walk: ctx.walk, path, hub };
        if (ctx.base64 && typeof value === "string") {
            const out = payload(value, { ...child, base64: true });
            if (out !== undefined) node[key] = out;
            continue;
        }
        if (ctx.container && key === "image") continue; // taken as the container's image
        if (CONTAINER_LIST_KEYS.has(key) && Array.isArray(value)) {
            value.forEach((container, i) => {
                const cpath = `${path}[${i}]`;
                if (!isPlainObject(container)) return;
                const out = ctx.walk.containerImage(container.image, `${cpath}.image`);
                if (out !== undefined) container.image = out;
                walkNode(container, { ...child, path: cpath, hub: undefined, container: true });
            });
            continue;
        }
        if (isImageKey(key)) {
            if (typeof value === "string") {
                let out: string | undefined;
                const bare = value.trim();
                if (versions.length > 0 && bare !== "" && !DYNAMIC_VALUE.test(bare) && !/[:@]/.test(bare.slice(bare.lastIndexOf("/") + 1))) {
                    out = ctx.walk.versioned(bare, versions, path);
                } else {
                    out = imageValue(child, "field", value, path, typeof node.variant === "string" ? (variantOf(node.variant) ?? null) : undefined);
                }
                if (out !== undefined) node[key] = out;
            } else if (Array.isArray(value)) {
                value.forEach((item, i) => {
                    if (typeof item === "string") {
                        const out = imageValue(child, "field", item, `${path}[${i}]`);
                        if (out !== undefined) value[i] = out;
                    } else walkImageParent(item, { ...child, path: `${path}[${i}]` });
                });
            } else walkImageParent(value, child);
            continue;
        }
        if (typeof value === "string" && /[/:]/.test(value) && isLooseImageKey(key)) {
            const out = ctx.walk.reference("field", value, path, false);
            if (out !== undefined) node[key] = out;
            continue;
        }
        if (key === "env" && Array.isArray(value)) {
            walkEnv(value, child);
            continue;
        }
        if ((key === "args" || key === "command") && Array.isArray(value)) {
            walkArgs(value, child);
            continue;
        }
        if (typeof value === "string") {
            const out = payload(value, child);
            if (out !== undefined) node[key] = out;
        } else {
            walkNode(value, child);
        }
    }
    if (ownHub) ctx.walk.finishHub(ownHub);
}

/** Below an image-named key: `{value: ref, options: [ref, ...]}` style objects. */
function walkImageParent(node: unknown, ctx: Context): void {
    if (!isPlainObject(node)) {
        walkNode(node, ctx);
        return;
    }
    for (const key of Object.keys(node)) {
        const value = node[key];
        const path = keyPath(ctx.path, key);
        // `reference`: a Kubernetes image volume (`volumes[].image.reference`, KEP-4639), which
        // the kubelet pulls like a container image.
        if (key === "value" || key === "default" || key === "reference" || isImageKey(key)) {
            if (typeof value === "string") {
                const out = imageValue(ctx, "field", value, path);
                if (out !== undefined) node[key] = out;
                continue;
            }
        }
        if ((key === "options" || key === "values" || isImageKey(key)) && Array.isArray(value)) {
            value.forEach((item, i) => {
                if (typeof item === "string") {
                    const out = imageValue(ctx, "field", item, `${path}[${i}]`);
                    if (out !== undefined) value[i] = out;
                } else walkImageParent(item, { ...ctx, path: `${path}[${i}]` });
            });
            continue;
        }
        walkNode(value, { ...ctx, path });
    }
}

function walkEnv(list: unknown[], ctx: Context): void {
    list.forEach((entry, i) => {
        const path = `${ctx.path}[${i}]`;
        if (isPlainObject(entry) && typeof entry.name === "string" && typeof entry.value === "string" && isImageKey(entry.name)) {
            const out = ctx.walk.reference("env", entry.value, `${path}.value`, true, entry.name);
            if (out !== undefined) entry.value = out;
            return;
        }
        if (
            isPlainObject(entry) &&
            typeof entry.name === "string" &&
            typeof entry.value === "string" &&
            /[/:]/.test(entry.value) &&
            isLooseImageKey(entry.name)
        ) {
            const out = ctx.walk.reference("env", entry.value, `${path}.value`, false, entry.name);
            if (out !== undefined) entry.value = out;
            return;
        }
        walkNode(entry, { ...ctx, path });
    });
}

const FLAG_EQUALS = /^(--?)([A-Za-z0-9][\w.-]*)=(.*)$/s;
const FLAG_ALONE = /^--?([A-Za-z0-9][\w.-]*)$/;
/** `--some-image=ref` or `--some-image ref` inside a shell command line. */
const FLAG_IN_TEXT = /(^|\s)(--?[A-Za-z0-9][\w.-]*)(=|\s+)([^\s"'`;|&]+)/g;

function walkArgs(list: unknown[], ctx: Context): void {
    for (let i = 0; i < list.length; i++) {
        const item = list[i];
        const path = `${ctx.path}[${i}]`;
        if (typeof item !== "string") {
            walkNode(item, { ...ctx, path });
            continue;
        }
        const eq = FLAG_EQUALS.exec(item);
        if (eq && isImageKey(eq[2])) {
            const out = ctx.walk.reference("arg", eq[3], path, true);
            if (out !== undefined) list[i] = `${eq[1]}${eq[2]}=${out}`;
            continue;
        }
        const alone = FLAG_ALONE.exec(item);
        if (alone && isImageKey(alone[1]) && typeof list[i + 1] === "string") {
            const out = ctx.walk.reference("arg", list[i + 1] as string, `${ctx.path}[${i + 1}]`, true);
            if (out !== undefined) list[i + 1] = out;
            i++;
            continue;
        }
        if (/\s/.test(item)) {
            let changed = false;
            const next = item.replace(FLAG_IN_TEXT, (all, lead: string, flag: string, sep: string, value: string) => {
                if (!isImageKey(flag.replace(/^-+/, ""))) return all;
                const out = ctx.walk.reference("arg", value, path, true);
                if (out === undefined) return all;
                changed = true;
                return `${lead}${flag}${sep}${out}`;
            });
            if (changed) list[i] = next;
            else {
                const out = payload(item, { ...ctx, path });
                if (out !== undefined) list[i] = out;
            }
        }
    }
}

const TEMPLATE_IMAGE_LINE = /^(\s*(?:-\s+)?["']?image["']?\s*:\s*)(["']?)([^\s"'#{},]+)\2\s*,?\s*(?:#.*)?$/gm;
/** `getenv("X_IMAGE", "default")`, `os.environ.get('X_IMAGE', 'default')`, `envOr("X_IMAGE", "default")`... */
const CODE_DEFAULT = /\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*,\s*["']([^"'\s]+)["']\s*\)/g;

/**
 * A string leaf that may hold a payload: JSON or YAML is parsed and walked; text that
 * does not parse is scanned for `image:` lines and code defaults. A value that claims to
 * be data and is not (broken JSON, a Secret value that is not base64) is noted as
 * unreadable. Returns the new text.
 */
function payload(text: string, ctx: Context): string | undefined {
    let body = text;
    if (ctx.base64) {
        const decoded = decodeBase64Text(text);
        if (decoded.problem)
            ctx.walk.unreadable.push({ object: ctx.walk.object, path: ctx.path, reason: decoded.problem, documentIndex: ctx.walk.documentIndex });
        if (decoded.text === undefined) return undefined;
        body = decoded.text;
    }
    const parsed = parsePayload(body);
    if (parsed.problem) ctx.walk.unreadable.push({ object: ctx.walk.object, path: ctx.path, reason: parsed.problem, documentIndex: ctx.walk.documentIndex });
    let out: string | undefined;
    const tree = parsed.tree;
    if (parsed.format !== undefined && (Array.isArray(tree) || isPlainObject(tree))) {
        const inner = new Walk(ctx.walk.object, ctx.walk.mapper, ctx.walk.documentIndex);
        walkNode(tree, { walk: inner, path: `${ctx.path}(${parsed.format})` });
        ctx.walk.findings.push(...inner.findings);
        ctx.walk.unreadable.push(...inner.unreadable);
        if (inner.changed) {
            for (const [from, to] of inner.replacements) ctx.walk.noteReplacement(from, to);
            out = encodePayload(body, tree, parsed.format, inner.replacements, inner.conflict);
        }
    } else if (!parsed.problem && parsed.body !== undefined) {
        out = scanText(body, ctx);
    }
    if (out === undefined) return undefined;
    return ctx.base64 ? Buffer.from(out, "utf8").toString("base64") : out;
}

/**
 * Text that is no JSON or YAML (Go templates of YAML, JSON with comments, code):
 * `image:` lines and code defaults. Their replacements are made token by token.
 */
function scanText(body: string, ctx: Context): string | undefined {
    const lineOf = (offset: number) => body.slice(0, offset).split("\n").length;
    const replacements = new Map<string, string>();
    for (const m of body.matchAll(TEMPLATE_IMAGE_LINE)) {
        const out = ctx.walk.reference("template", m[3], `${ctx.path}(text):line ${lineOf(m.index ?? 0)}`, false);
        if (out !== undefined) replacements.set(m[3], out);
    }
    for (const m of body.matchAll(CODE_DEFAULT)) {
        if (!isImageKey(m[1])) continue;
        const out = ctx.walk.codeDefault(m[1], m[2], `${ctx.path}(code):line ${lineOf(m.index ?? 0)}`);
        if (out !== undefined) replacements.set(m[2], out);
    }
    return replacements.size > 0 ? replaceTokens(body, replacements) : undefined;
}

/** The result of walking one object. */
export interface WalkResult {
    readonly findings: Finding[];
    /** True when the mapper replaced something (the object was changed in place). */
    readonly changed: boolean;
    /** raw → replacement pairs used, for rewriting the object's source text. */
    readonly replacements: ReadonlyMap<string, string>;
    /** True when one raw text was given two replacements (the text cannot be patched token by token). */
    readonly conflict: boolean;
    /** Values that claim to be data and cannot be read: images in them can be neither found nor vouched for. */
    readonly unreadable: UnreadablePayload[];
}

/**
 * Walks one Kubernetes object. Without a mapper it only finds; with one, it
 * rewrites the object in place (so pass a copy if the original is still needed).
 */
export function walkObject(value: unknown, mapper?: Mapper, documentIndex = 0): WalkResult {
    const walk = new Walk(objectId(value), mapper, documentIndex);
    const root = { walk, path: "" } as Context;
    if (isPlainObject(value) && value.kind === "Secret" && isPlainObject(value.data)) {
        // Secret `data` values are base64: decoded, walked as payloads, encoded again.
        const { data, ...rest } = value;
        walkNode(rest, root);
        walkNode(data, { ...root, path: "data", base64: true });
    } else {
        walkNode(value, root);
    }
    return { findings: walk.findings, changed: walk.changed, replacements: walk.replacements, conflict: walk.conflict, unreadable: walk.unreadable };
}

/** Finds the images of one object. */
export function findImages(value: unknown, documentIndex = 0): Finding[] {
    return walkObject(value, undefined, documentIndex).findings;
}
