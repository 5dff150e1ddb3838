/**
 * Everything the platform needs before Pulumi sees it, with no Pulumi: the
 * catalog, renders, mirror rewrite, transforms, de-duplication and ordering.
 * The Pulumi components and `kfstack render` both call `preparePlatform`, so
 * `render` writes exactly what `pulumi up` applies.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import { readExample, partitionExample, Example, AppSpec, K8sObject, objectKey, planApps, topoOrder, dedupe, AppFacts } from "./catalog";
import { render } from "./kustomize";
import { rewriteStream, imageList } from "./inventory";
import { applyTransforms } from "./transforms";
import { Settings, ConfigError } from "./settings";
import { InputError, parseStream, streamOf, ParsedStream } from "./yamlstream";
import { mirrorString } from "./mirror";

/** One app, ready to register. */
export interface PreparedApp {
    readonly name: string;
    /** Kustomize directory (undefined for apps kfstack builds itself, such as the config's profiles). */
    readonly path?: string;
    /** Final objects: rendered, mirrored, transformed, de-duplicated. */
    readonly objects: K8sObject[];
    /** Apps this one comes after. */
    readonly dependsOn: string[];
    /** Sorted images the app pulls (under the mirror). */
    readonly images: string[];
    /** Sorted source images the mirror must hold (what the release names). */
    readonly sourceImages: string[];
    /** sha256 of the final manifests (canonical JSON), so a preview shows which app an upstream change touches. */
    readonly digest: string;
    /** Whether the render came from the cache. */
    readonly cached: boolean;
}

export interface PreparedPlatform {
    /** In install order. */
    readonly apps: PreparedApp[];
    readonly warnings: string[];
    /** Per transform, the keys (`apiVersion/Kind/ns/name`) of the objects it changed. */
    readonly transforms: Map<string, string[]>;
}

/** The app that holds user profiles from stack config. */
export const PROFILES_APP = "user-profiles";

/** Where the release's manifests are: a local path, or a git checkout made once into the cache. */
export function manifestsDir(settings: Settings): string {
    if (settings.manifests.path) return settings.manifests.path;
    const { git, ref } = settings.manifests;
    const dir = path.join(process.cwd(), ".kfstack-cache", "manifests", crypto.createHash("sha256").update(`${git}@${ref}`).digest("hex").slice(0, 16));
    if (fs.existsSync(path.join(dir, ".git"))) return dir;
    const r = spawnSync("git", ["clone", "--quiet", "--depth", "1", "--branch", String(ref), String(git), dir], { encoding: "utf8" });
    if (r.status !== 0) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw new InputError(`kfstack:manifests.git: cannot clone ${git} at ${ref}: ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}; without network, set kfstack:manifests.path to a local checkout`);
    }
    return dir;
}

/** The apps the settings select from the catalog (unknown names are reported together). */
export function selectApps(catalog: AppSpec[], settings: Settings): AppSpec[] {
    const known = new Set([...catalog.map((a) => a.name), ...settings.apps.extra.map((e) => e.name)]);
    const problems: string[] = [];
    const check = (names: string[] | undefined, k: string) => (names ?? []).forEach((n, i) => {
        if (!known.has(n)) problems.push(`kfstack:apps.${k}[${i}] is ${JSON.stringify(n)}, not an app of this release; apps: ${[...known].join(", ")}`);
    });
    check(settings.apps.enabled, "enabled");
    check(settings.apps.disabled, "disabled");
    settings.apps.extra.forEach((e, i) => {
        if (catalog.some((a) => a.name === e.name)) problems.push(`kfstack:apps.extra[${i}].name ${JSON.stringify(e.name)} is already an app of this release; pick another name`);
        e.after.forEach((d, j) => { if (!known.has(d)) problems.push(`kfstack:apps.extra[${i}].after[${j}] is ${JSON.stringify(d)}, not an app`); });
    });
    if (problems.length) throw new ConfigError(problems);
    const wanted = (n: string) => (settings.apps.enabled ? settings.apps.enabled.includes(n) : true) && !settings.apps.disabled.includes(n);
    return [
        ...catalog.filter((a) => wanted(a.name)),
        // An extra app's "entry" names its config key, so a bad path is reported by key.
        ...settings.apps.extra.map((e, i) => ({ name: e.name, path: e.path, entry: `kfstack:apps.extra[${i}].path ${e.path}` })).filter((e) => wanted(e.name)),
    ];
}

/** Runs async jobs, at most `limit` at a time, results in input order. */
async function pool<T, R>(items: T[], limit: number, job: (t: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await job(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return out;
}

/**
 * Renders each selected app with real kustomize, in parallel. When the example applies fields
 * to all its apps (components, patches, labels), the example itself is rendered too and each
 * app takes its objects from that render (partitionExample); the apps left out are then
 * rendered as well, so that every object of the whole render has its app.
 */
async function renderApps(specs: AppSpec[], example: Example, settings: Settings): Promise<{ input: string | ParsedStream; cached: boolean }[]> {
    const limit = Math.max(2, os.cpus().length);
    const whole: AppSpec = { name: "example", path: example.dir, entry: example.file };
    const label = (s: AppSpec) => s === whole ? `${example.file} (rendered whole for its ${example.wideFields.join(", ")})` : `app ${s.name} (${s.entry})`;
    const run = (s: AppSpec) => render(s.path, label(s), settings.kustomize);
    if (example.wideFields.length === 0) return (await pool(specs, limit, run)).map((r) => ({ input: r.text, cached: r.cached }));
    const inExample = new Set(example.apps.map((a) => a.path));
    const all = [...specs, ...example.apps.filter((a) => !specs.includes(a))];
    const rendered = await pool([whole, ...all], limit, run);
    const parse = (text: string, label: string) => parseStream(text, label).documents.filter((d) => d.value !== null);
    const members = all.filter((a) => inExample.has(a.path));
    const parts = partitionExample(members.map((a) => ({ name: a.name, documents: parse(rendered[1 + all.indexOf(a)].text, `app ${a.name}`) })), parse(rendered[0].text, "example"), example.file);
    return specs.map((s, i) => {
        const member = members.indexOf(s);
        // An extra app is not in the example: nothing example-wide applies to it.
        if (member < 0) return { input: rendered[1 + i].text, cached: rendered[1 + i].cached };
        return { input: streamOf(parts[member]), cached: rendered[0].cached && rendered[1 + i].cached };
    });
}

/** Profile CRs for the stack config's user profiles. */
export function profileObjects(settings: Settings): K8sObject[] {
    return settings.profiles.map((p) => ({
        apiVersion: "kubeflow.org/v1",
        kind: "Profile",
        metadata: { name: p.name },
        spec: { owner: { kind: "User", name: p.owner } },
    }));
}

function isObject(v: unknown): v is K8sObject {
    const o = v as K8sObject;
    return !!o && typeof o === "object" && typeof o.apiVersion === "string" && typeof o.kind === "string" && !!o.metadata && typeof o.metadata.name === "string";
}

/** sha256 of canonical JSON (keys sorted), so equal manifests give equal digests. */
export function manifestDigest(objects: unknown[]): string {
    const canon = (v: unknown): unknown => Array.isArray(v) ? v.map(canon) : v && typeof v === "object"
        ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
    return crypto.createHash("sha256").update(JSON.stringify(objects.map(canon))).digest("hex");
}

/**
 * Renders, rewrites and orders every enabled app. Throws ConfigError / InputError
 * naming the key or input on bad settings, a missing path, a failed render.
 */
export async function preparePlatform(settings: Settings): Promise<PreparedPlatform> {
    const root = manifestsDir(settings);
    const example = readExample(root, settings.manifests.example);
    const specs = selectApps(example.apps, settings);
    const texts = await renderApps(specs, example, settings);
    type Fact = AppFacts & { cached: boolean; path?: string; sourceImages: string[] };
    const facts: Fact[] = specs.map((s, i) => {
        const rewritten = rewriteStream(texts[i].input, `app ${s.name}`, settings.mirror);
        const objects = rewritten.values.filter(isObject);
        return { name: s.name, objects, cached: texts[i].cached, path: s.path, sourceImages: imageList(rewritten.findings) };
    });
    if (settings.profiles.length > 0) facts.push({ name: PROFILES_APP, objects: profileObjects(settings), cached: true, sourceImages: [] });
    const transforms = applyTransforms(facts.flatMap((f) => f.objects), settings.transforms, objectKey);
    const deduped = dedupe(facts);
    const deps = planApps(deduped.apps);
    for (const e of settings.apps.extra) {
        if (deps.has(e.name)) deps.set(e.name, [...new Set([...(deps.get(e.name) ?? []), ...e.after.filter((a) => deps.has(a))])].sort());
    }
    const order = topoOrder(deduped.apps.map((a) => a.name), deps);
    const byName = new Map(deduped.apps.map((a, i) => [a.name, { ...facts[i], objects: a.objects }]));
    const apps = order.map((name) => {
        const a = byName.get(name) as Fact;
        return {
            name,
            path: a.path,
            objects: a.objects,
            dependsOn: deps.get(name) ?? [],
            // Transforms never touch images: the app pulls its source images, mirrored.
            images: a.sourceImages.map((i) => mirrorString(i, settings.mirror)).sort(),
            sourceImages: a.sourceImages,
            digest: manifestDigest(a.objects),
            cached: a.cached,
        };
    });
    return { apps, warnings: deduped.warnings, transforms };
}
