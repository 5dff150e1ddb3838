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
import { InputError } from "../core/errors";
import { readYamlFile } from "../core/yaml";
import { kustomizationFile, isRemote } from "./kustomization";

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

/** Why a manifests path cannot be opened, by its errno code. */
const UNREADABLE: Record<string, string> = {
    ENOENT: "does not exist",
    ELOOP: "is a loop of symbolic links",
    ENOTDIR: "goes through a file, not a folder",
    EACCES: "cannot be read (permission denied)",
};

export function readExample(manifestsDir: string, exampleDir = "example"): Example {
    const root = path.resolve(manifestsDir);
    let st: fs.Stats | undefined;
    try {
        st = fs.statSync(root);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "";
        const why = UNREADABLE[code] ?? `cannot be read (${code || (e as Error).message})`;
        throw new InputError(`manifests directory ${manifestsDir} ${why}; set kfstack:manifests.path to a checkout of kubeflow/manifests`, manifestsDir);
    }
    if (!st.isDirectory()) {
        throw new InputError(
            `manifests directory ${manifestsDir} is a file, not a folder; set kfstack:manifests.path to the root folder of a kubeflow/manifests checkout`,
            manifestsDir,
        );
    }
    const example = path.join(root, exampleDir);
    const file = kustomizationFile(example);
    if (!file) {
        throw new InputError(`${example} has no kustomization.yaml; kfstack:manifests.path must be the root of a kubeflow/manifests checkout (with example/)`);
    }
    const parsed = readYamlFile(file, "example kustomization") as any;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
        throw new InputError(`${file}: not a kustomization (a map of resources, ...); point kfstack:manifests.path at a kubeflow/manifests checkout`, file);
    const resources: unknown[] = [...(parsed?.resources ?? []), ...(parsed?.bases ?? [])];
    const apps: AppSpec[] = [];
    const names = new Map<string, string>();
    for (const r of resources) {
        if (typeof r !== "string") continue;
        if (isRemote(r)) throw new InputError(`${file}: remote resource ${r} is not an app path; check it out locally and list its path`);
        let name = appNameOf(r);
        if (names.has(name)) {
            // Two paths, one name: qualify both with their parent folder.
            name = r
                .split("/")
                .filter((s) => s && s !== "..")
                .slice(-2)
                .join("-");
        }
        names.set(name, r);
        apps.push({ name, path: path.resolve(example, r), entry: r });
    }
    if (apps.length === 0) throw new InputError(`${file} lists no resources; is this a kubeflow/manifests example?`);
    const wideFields = Object.keys(parsed)
        .filter((k) => !LISTING_FIELDS.has(k) && !isEmpty(parsed[k]))
        .sort();
    return { apps, dir: example, file, wideFields };
}

function isEmpty(v: unknown): boolean {
    return (
        v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && Object.keys(v as object).length === 0)
    );
}
