/**
 * Everything the platform needs before Pulumi sees it, with no Pulumi: the
 * catalog, renders, mirror rewrite, transforms, de-duplication and ordering.
 * The Pulumi components and `kfstack render` both call `preparePlatform`, so
 * `render` writes exactly what `pulumi up` applies.
 */
import * as crypto from "crypto";
import { K8sObject, objectKey, isK8sObject, withServerScope } from "../core/objects";
import { ConfigError } from "../core/errors";
import { configKey } from "../core/configKeys";
import { readExample, AppSpec, manifestsDir, ManifestsSource } from "../source";
import { renderApps, RendererOptions } from "../render";
import { imageList } from "../images";
import { rewriteStream, mirrorString, Mirror } from "../rewrite";
import { applyTransforms, TransformSettings } from "./transforms";
import { planApps, topoOrder, dedupe, AppFacts } from "./order";

/** One of your own kustomize folders, registered as an app (`kfstack:apps.extra`). */
export interface ExtraApp {
    readonly name: string;
    readonly path: string;
    /** Apps it comes after. */
    readonly after: string[];
}

/** Which apps the platform holds (`kfstack:apps`). */
export interface AppSelection {
    /** Keep only these. @default every app of the release */
    readonly enabled?: string[];
    /** Drop these. @default [] */
    readonly disabled: string[];
    /** Add these. @default [] */
    readonly extra: ExtraApp[];
}

/** A Kubeflow Profile created last (`kfstack:profiles`). */
export interface ProfileSetting {
    readonly name: string;
    readonly owner: string;
}

/** What preparing the platform reads: the stack settings (lib/config `Settings`) are one. */
export interface PlatformInput {
    readonly manifests: ManifestsSource;
    readonly mirror: Mirror;
    readonly kustomize: RendererOptions;
    readonly transforms: TransformSettings;
    readonly apps: AppSelection;
    readonly profiles: ProfileSetting[];
}

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

/** The apps the settings select from the catalog (unknown names are reported together). */
export function selectApps(catalog: AppSpec[], settings: Pick<PlatformInput, "apps">): AppSpec[] {
    const known = new Set([...catalog.map((a) => a.name), ...settings.apps.extra.map((e) => e.name)]);
    const problems: string[] = [];
    const check = (names: string[] | undefined, k: string) =>
        (names ?? []).forEach((n, i) => {
            if (!known.has(n)) problems.push(`${configKey("apps", k, i)} is ${JSON.stringify(n)}, not an app of this release; apps: ${[...known].join(", ")}`);
        });
    check(settings.apps.enabled, "enabled");
    check(settings.apps.disabled, "disabled");
    settings.apps.extra.forEach((e, i) => {
        if (catalog.some((a) => a.name === e.name))
            problems.push(`${configKey("apps", "extra", i, "name")} ${JSON.stringify(e.name)} is already an app of this release; pick another name`);
        e.after.forEach((d, j) => {
            if (!known.has(d)) problems.push(`${configKey("apps", "extra", i, "after", j)} is ${JSON.stringify(d)}, not an app`);
        });
    });
    if (problems.length) throw new ConfigError(problems);
    const wanted = (n: string) => (settings.apps.enabled ? settings.apps.enabled.includes(n) : true) && !settings.apps.disabled.includes(n);
    return [
        ...catalog.filter((a) => wanted(a.name)),
        // An extra app's "entry" names its config key, so a bad path is reported by key.
        ...settings.apps.extra
            .map((e, i) => ({ name: e.name, path: e.path, entry: `${configKey("apps", "extra", i, "path")} ${e.path}` }))
            .filter((e) => wanted(e.name)),
    ];
}

/** Profile CRs for the stack config's user profiles. */
export function profileObjects(settings: Pick<PlatformInput, "profiles">): K8sObject[] {
    return settings.profiles.map((p) => ({
        apiVersion: "kubeflow.org/v1",
        kind: "Profile",
        metadata: { name: p.name },
        spec: { owner: { kind: "User", name: p.owner } },
    }));
}

/** sha256 of canonical JSON (keys sorted), so equal manifests give equal digests. */
export function manifestDigest(objects: unknown[]): string {
    const canon = (v: unknown): unknown =>
        Array.isArray(v)
            ? v.map(canon)
            : v && typeof v === "object"
              ? Object.fromEntries(
                    Object.keys(v as object)
                        .sort()
                        .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
                )
              : v;
    return crypto
        .createHash("sha256")
        .update(JSON.stringify(objects.map(canon)))
        .digest("hex");
}

/**
 * Renders, rewrites and orders every enabled app. Throws ConfigError / InputError
 * naming the key or input on bad settings, a missing path, a failed render.
 */
export async function preparePlatform(settings: PlatformInput): Promise<PreparedPlatform> {
    const root = manifestsDir(settings);
    const example = readExample(root, settings.manifests.example);
    const specs = selectApps(example.apps, settings);
    const texts = await renderApps(specs, example, settings.kustomize);
    type Fact = AppFacts & { cached: boolean; path?: string; sourceImages: string[] };
    const facts: Fact[] = specs.map((s, i) => {
        const rewritten = rewriteStream(texts[i].input, `app ${s.name}`, settings.mirror);
        const objects = rewritten.values.filter(isK8sObject);
        return { name: s.name, objects, cached: texts[i].cached, path: s.path, sourceImages: imageList(rewritten.findings) };
    });
    if (settings.profiles.length > 0) facts.push({ name: PROFILES_APP, objects: profileObjects(settings), cached: true, sourceImages: [] });
    withServerScope(facts.flatMap((f) => f.objects));
    const transforms = applyTransforms(
        facts.flatMap((f) => f.objects),
        settings.transforms,
        objectKey,
    );
    const deduped = dedupe(facts);
    const deps = planApps(deduped.apps);
    for (const e of settings.apps.extra) {
        if (deps.has(e.name)) deps.set(e.name, [...new Set([...(deps.get(e.name) ?? []), ...e.after.filter((a) => deps.has(a))])].sort());
    }
    const order = topoOrder(
        deduped.apps.map((a) => a.name),
        deps,
    );
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
