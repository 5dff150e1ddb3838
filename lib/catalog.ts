/**
 * The app catalog of a Kubeflow release, read from the release itself: the
 * `resources` of its `example/kustomization.yaml`, each path a named app.
 *
 * Nothing here knows a release. App names come from the path's shape (apps/,
 * applications/, common/, contrib/ all work); ordering comes from the data
 * (which app defines the CRDs and namespaces another uses) plus the install
 * phases (cert-manager → istio → auth → knative → kubeflow apps → user
 * namespaces), which are declared by app name.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError, loadYaml } from "./yamlstream";
import { kustomizationFile, isRemote } from "./kustomize";

/** One app of a release. */
export interface AppSpec {
    /** `cert-manager`, `istio-install`, `pipeline`, `jupyter-web-app`, ... */
    readonly name: string;
    /** Absolute path of the kustomization. */
    readonly path: string;
    /** The path as the release's example wrote it. */
    readonly entry: string;
}

/**
 * Path segments that say "variant of this app", not "which app" (`pss`: the Pod Security
 * Standards variant, as in `applications/profiles/pss` of releases after 1.10).
 */
const VARIANT_SEGMENTS = new Set(["base", "overlays", "upstream", "env", "installs", "options", "default", "components", "pss"]);
/** Top folders of kubeflow/manifests layouts over the years. */
const TOP_FOLDERS = new Set(["apps", "applications", "common", "contrib", "experimental"]);

/**
 * The app name of a path: its last segment before the variant segments, with
 * version suffixes dropped (`istio-1-22/istio-crds/base` → `istio-crds`,
 * `apps/pipeline/upstream/env/...` → `pipeline`, `contrib/kserve/kserve` → `kserve`).
 */
export function appNameOf(entry: string): string {
    const segments = entry.split("/").filter((s) => s !== "" && s !== "." && s !== "..");
    while (segments.length > 1 && TOP_FOLDERS.has(segments[0])) segments.shift();
    const cut = segments.findIndex((s, i) => i > 0 && VARIANT_SEGMENTS.has(s));
    const named = cut > 0 ? segments.slice(0, cut) : segments;
    const strip = (s: string) => s.replace(/-\d+(-\d+)*$/, "").replace(/-v\d+(\.\d+)*$/, "");
    return strip(named[named.length - 1]);
}

/** Reads the app catalog from a release's example kustomization. */
export function readCatalog(manifestsDir: string, exampleDir = "example"): AppSpec[] {
    return readExample(manifestsDir, exampleDir).apps;
}

/** Fields of a kustomization that only say what it includes and in which order. */
const LISTING_FIELDS = new Set(["apiVersion", "kind", "metadata", "resources", "bases", "sortOptions"]);

/** The release's example: its apps, and the fields it applies to all of them. */
export interface Example {
    readonly apps: AppSpec[];
    /** The example folder. */
    readonly dir: string;
    /** The kustomization file. */
    readonly file: string;
    /**
     * Fields that change the apps' objects (`components`, `patches`, `labels`, generators, ...):
     * the example's own offer of Pod Security Standards is a `components` entry to uncomment.
     */
    readonly wideFields: string[];
}

export function readExample(manifestsDir: string, exampleDir = "example"): Example {
    const root = path.resolve(manifestsDir);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
        throw new InputError(`manifests directory ${manifestsDir} does not exist; set kfstack:manifests.path to a checkout of kubeflow/manifests`);
    }
    const example = path.join(root, exampleDir);
    const file = kustomizationFile(example);
    if (!file) {
        throw new InputError(`${example} has no kustomization.yaml; kfstack:manifests.path must be the root of a kubeflow/manifests checkout (with example/)`);
    }
    let parsed: any;
    try {
        parsed = loadYaml(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new InputError(`${file}: invalid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    const resources: unknown[] = [...(parsed?.resources ?? []), ...(parsed?.bases ?? [])];
    const apps: AppSpec[] = [];
    const names = new Map<string, string>();
    for (const r of resources) {
        if (typeof r !== "string") continue;
        if (isRemote(r)) throw new InputError(`${file}: remote resource ${r} is not an app path; check it out locally and list its path`);
        let name = appNameOf(r);
        if (names.has(name)) {
            // Two paths, one name: qualify both with their parent folder.
            name = r.split("/").filter((s) => s && s !== "..").slice(-2).join("-");
        }
        names.set(name, r);
        apps.push({ name, path: path.resolve(example, r), entry: r });
    }
    if (apps.length === 0) throw new InputError(`${file} lists no resources; is this a kubeflow/manifests example?`);
    const wideFields = Object.keys(parsed).filter((k) => !LISTING_FIELDS.has(k) && !isEmpty(parsed[k])).sort();
    return { apps, dir: example, file, wideFields };
}

function isEmpty(v: unknown): boolean {
    return v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && Object.keys(v as object).length === 0);
}

/**
 * kustomize's name suffix on generated ConfigMaps and Secrets: a dash and 10 characters of a
 * hex hash with 0, 1, 3, a, e replaced by g, h, k, m, t (kustomize api/hasher `encode`), so that
 * `centraldashboard-parameters` or `config-deployment` are not taken for generated names.
 */
const GENERATED_SUFFIX = /-[24-9bcdfghkmt]{10}$/;

/**
 * Gives each app the objects of the whole example's render that it rendered itself, so that
 * example-wide fields (components, patches, labels) reach every app exactly as
 * `kustomize build example` applies them. Matching is by identity; a generated ConfigMap or
 * Secret whose content the example changes gets a new hash suffix, and is matched without it.
 * An object the example removes leaves its app; an object only the example adds is an error
 * (no app would install it). `documents`: each app's rendered documents; returns each app's
 * documents from the whole render, in the app's order.
 */
export function partitionExample<T extends { value: unknown }>(apps: { name: string; documents: T[] }[], whole: T[], example: string): T[][] {
    const key = (d: T) => objectKey(d.value as K8sObject);
    const stem = (d: T) => {
        const o = d.value as K8sObject;
        return (o.kind === "ConfigMap" || o.kind === "Secret") && o.apiVersion === "v1" ? key(d).replace(GENERATED_SUFFIX, "") : undefined;
    };
    const byKey = new Map(whole.map((d) => [key(d), d]));
    const byStem = new Map<string, T[]>();
    for (const d of whole) {
        const k = stem(d);
        if (k !== undefined) byStem.set(k, [...(byStem.get(k) ?? []), d]);
    }
    const taken = new Set<T>();
    const missing: string[] = [];
    const out = apps.map((app) => app.documents.flatMap((d) => {
        let hit = byKey.get(key(d));
        if (!hit) {
            const k = stem(d);
            const candidates = k === undefined ? [] : (byStem.get(k) ?? []).filter((c) => !taken.has(c));
            if (candidates.length === 1) hit = candidates[0];
        }
        if (!hit) {
            missing.push(`${key(d)} (app ${app.name})`);
            return [];
        }
        // Rendered by two apps: both keep it, and dedupe() registers it once with its warning.
        taken.add(hit);
        return [hit];
    }));
    const extra = whole.filter((d) => !taken.has(d)).map(key);
    if (extra.length > 0 && missing.length > 0) {
        throw new InputError(`${example} renames or moves objects the apps render (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""} not found in its render, which has ${extra.slice(0, 3).join(", ")}${extra.length > 3 ? ", ..." : ""} instead); `
            + "kfstack takes each app's objects from the example's render by identity: set namePrefix, nameSuffix or namespace in each app's overlay instead of the example");
    }
    if (extra.length > 0) {
        throw new InputError(`${example} adds ${extra.length} object(s) that no app renders (${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", ..." : ""}); `
            + "kfstack installs the example app by app: move them into an app's kustomization, or add their folder as kfstack:apps.extra");
    }
    return out;
}

/** Install phases, by app name. Unknown names are Kubeflow apps. */
export const PHASES: { readonly name: string; readonly match: RegExp }[] = [
    { name: "cert-manager", match: /^cert-manager$/ },
    { name: "istio", match: /^(istio|cluster-local-gateway)/ },
    { name: "auth", match: /^(dex|oauth2-proxy|kubeflow-issuer)$/ },
    { name: "knative", match: /^knative/ },
    { name: "kubeflow", match: /.*/ },
];
/** Apps that set up user namespaces come last. */
export const USER_NAMESPACE_APPS = /^user-(namespace|profiles)$/;

export function phaseOf(app: string): number {
    if (USER_NAMESPACE_APPS.test(app)) return PHASES.length;
    return PHASES.findIndex((p) => p.match.test(app));
}

/** The minimal view of a Kubernetes object planning needs. */
export interface K8sObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [k: string]: unknown };
    [k: string]: unknown;
}

/** `apiVersion/Kind/namespace/name`: unique in a cluster. */
export function objectKey(o: K8sObject): string {
    return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

/**
 * The Pulumi type token of a Kubernetes kind, as the kubernetes provider names
 * it: the core group is `core/v1`, every other group its apiVersion
 * (`apps/v1:Deployment`, `kubeflow.org/v1:Profile`).
 */
export function typeToken(apiVersion: string, kind: string): string {
    return `kubernetes:${apiVersion === "v1" ? "core/v1" : apiVersion}:${kind}`;
}

/** `group/Kind` of the CRD that defines a kind: `kubeflow.org/Profile`. */
export function groupKind(apiVersion: string, kind: string): string {
    const slash = apiVersion.indexOf("/");
    return `${slash < 0 ? "" : apiVersion.slice(0, slash)}/${kind}`;
}

function crdGroupKind(o: K8sObject): string | undefined {
    if (o.kind !== "CustomResourceDefinition") return undefined;
    const spec = (o as any).spec;
    return spec?.group && spec?.names?.kind ? `${spec.group}/${spec.names.kind}` : undefined;
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);
const WEBHOOKS = new Set(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);

/**
 * Dependencies inside one app: a CR on its CRD, a namespaced object on its
 * Namespace, and webhook configurations on the app's workloads (so a webhook
 * is registered only once the pod that serves it is up — the reason for
 * the retry loop people use today).
 */
export function planApp(objects: K8sObject[]): Map<string, string[]> {
    const crds = new Map<string, string>();
    const namespaces = new Map<string, string>();
    const workloads: string[] = [];
    for (const o of objects) {
        const gk = crdGroupKind(o);
        if (gk) crds.set(gk, objectKey(o));
        if (o.kind === "Namespace" && o.apiVersion === "v1") namespaces.set(o.metadata.name, objectKey(o));
        if (WORKLOADS.has(o.kind)) workloads.push(objectKey(o));
    }
    const plan = new Map<string, string[]>();
    for (const o of objects) {
        const deps: string[] = [];
        const crd = crds.get(groupKind(o.apiVersion, o.kind));
        if (crd && crd !== objectKey(o)) deps.push(crd);
        const ns = o.metadata.namespace && namespaces.get(o.metadata.namespace);
        if (ns) deps.push(ns);
        if (WEBHOOKS.has(o.kind)) deps.push(...workloads);
        plan.set(objectKey(o), deps);
    }
    return plan;
}

/** What an app provides and uses, for ordering apps. */
export interface AppFacts {
    readonly name: string;
    readonly objects: K8sObject[];
}

/**
 * App-level dependencies: on the app that defines each CRD an app uses, on
 * the app that creates each namespace it writes into, and on the apps of the
 * previous install phase. An edge that would close a cycle is left out (data
 * wins over phases); a cycle in the data itself is an error naming the apps.
 */
export function planApps(apps: AppFacts[]): Map<string, string[]> {
    const crdOwner = new Map<string, string>();
    const nsOwner = new Map<string, string>();
    for (const a of apps) {
        for (const o of a.objects) {
            const gk = crdGroupKind(o);
            if (gk && !crdOwner.has(gk)) crdOwner.set(gk, a.name);
            if (o.kind === "Namespace" && o.apiVersion === "v1" && !nsOwner.has(o.metadata.name)) nsOwner.set(o.metadata.name, a.name);
        }
    }
    const deps = new Map<string, Set<string>>(apps.map((a) => [a.name, new Set<string>()]));
    for (const a of apps) {
        const mine = deps.get(a.name) as Set<string>;
        for (const o of a.objects) {
            const owner = crdOwner.get(groupKind(o.apiVersion, o.kind));
            if (owner && owner !== a.name) mine.add(owner);
            const ns = o.metadata.namespace ? nsOwner.get(o.metadata.namespace) : undefined;
            if (ns && ns !== a.name) mine.add(ns);
        }
    }
    const reaches = (from: string, to: string): boolean => {
        const stack = [from];
        const seen = new Set<string>();
        while (stack.length) {
            const n = stack.pop() as string;
            if (n === to) return true;
            if (seen.has(n)) continue;
            seen.add(n);
            stack.push(...(deps.get(n) ?? []));
        }
        return false;
    };
    for (const a of apps) {
        if ([...(deps.get(a.name) ?? [])].some((d) => reaches(d, a.name))) {
            const cycle = [...(deps.get(a.name) ?? [])].filter((d) => reaches(d, a.name));
            throw new InputError(`apps ${a.name} and ${cycle.join(", ")} depend on each other (CRDs or namespaces defined in one, used in the other); disable one or add its CRDs to the other`);
        }
    }
    // Phase edges: each app after the apps of the nearest earlier phase that has any.
    const byPhase = new Map<number, string[]>();
    for (const a of apps) byPhase.set(phaseOf(a.name), [...(byPhase.get(phaseOf(a.name)) ?? []), a.name]);
    const phases = [...byPhase.keys()].sort((x, y) => x - y);
    for (const a of apps) {
        const i = phases.indexOf(phaseOf(a.name));
        if (i <= 0) continue;
        for (const before of byPhase.get(phases[i - 1]) ?? []) {
            if (!reaches(before, a.name)) (deps.get(a.name) as Set<string>).add(before);
        }
    }
    return new Map([...deps].map(([k, v]) => [k, [...v].sort()]));
}

/**
 * Apps in an order where each comes after its dependencies; among apps free to go
 * in any order, the release's own order (its example lists istio-install before
 * the gateways that need istiod, say).
 */
export function topoOrder(names: string[], deps: Map<string, string[]>): string[] {
    const out: string[] = [];
    const done = new Set<string>();
    const rank = new Map(names.map((n, i) => [n, i]));
    const visit = (n: string, trail: string[]) => {
        if (done.has(n)) return;
        if (trail.includes(n)) throw new InputError(`dependency cycle: ${[...trail, n].join(" → ")}`);
        const before = [...(deps.get(n) ?? [])].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity));
        for (const d of before) visit(d, [...trail, n]);
        done.add(n);
        out.push(n);
    };
    names.forEach((n) => visit(n, []));
    return out;
}

/**
 * Objects rendered by more than one app are registered once, by the first app
 * in install order; the others drop them, with a warning naming both apps.
 */
export function dedupe(apps: AppFacts[]): { apps: AppFacts[]; warnings: string[] } {
    const owner = new Map<string, string>();
    const warnings: string[] = [];
    const out = apps.map((a) => {
        const kept: K8sObject[] = [];
        for (const o of a.objects) {
            const key = objectKey(o);
            const first = owner.get(key);
            if (first === undefined) {
                owner.set(key, a.name);
                kept.push(o);
            } else if (first !== a.name) {
                warnings.push(`${o.kind} ${o.metadata.namespace ? o.metadata.namespace + "/" : ""}${o.metadata.name} is rendered by apps ${first} and ${a.name}; registered once, by ${first}`);
            }
        }
        return { name: a.name, objects: kept };
    });
    return { apps: out, warnings };
}
