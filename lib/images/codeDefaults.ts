/**
 * Images that only a controller's code knows: code in a ConfigMap that falls back to a
 * default image unless an env var is set (KFP's profile controller `sync.py`:
 * `os.environ.get("FRONTEND_IMAGE", "gcr.io/...")`), and the containers that run that
 * code without setting the variable.
 */
import { isPlainObject, podSpecs, containersOfSpec } from "../core/objects";
import { SourceDocument } from "../core/yaml";
import { Finding } from "./walker";

/** A ConfigMap whose code falls back to a default image unless an env var is set. */
interface CodeDefault {
    readonly finding: Finding;
    readonly namespace?: string;
    readonly configMap: string;
}

/** Containers of a pod spec that read a ConfigMap: through a mounted volume or envFrom. */
function consumingContainers(spec: Record<string, any>, configMap: string): Record<string, any>[] {
    const volumes = new Set<string>();
    for (const v of (spec.volumes ?? []) as any[]) {
        if (v?.configMap?.name === configMap) volumes.add(v.name);
        for (const s of (v?.projected?.sources ?? []) as any[]) if (s?.configMap?.name === configMap) volumes.add(v.name);
    }
    return containersOfSpec(spec).filter(
        (c) =>
            ((c.volumeMounts ?? []) as any[]).some((m) => volumes.has(m?.name)) ||
            ((c.envFrom ?? []) as any[]).some((e) => e?.configMapRef?.name === configMap),
    );
}

/** Data keys of the ConfigMaps a container takes its environment from. */
function envFromKeys(container: Record<string, any>, configMaps: Map<string, Record<string, unknown>>, namespace: string | undefined): Set<string> {
    const keys = new Set<string>();
    for (const e of (container.envFrom ?? []) as any[]) {
        const name = e?.configMapRef?.name;
        const data = name ? configMaps.get(`${namespace ?? ""}/${name}`) : undefined;
        if (data) for (const k of Object.keys(data)) keys.add(`${e.prefix ?? ""}${k}`);
    }
    return keys;
}

/** A container that runs code with a default image and does not set the env var that overrides it. */
export interface UnsetCodeDefault {
    readonly codeDefault: Finding;
    readonly document: SourceDocument;
    readonly container: Record<string, any>;
}

/**
 * For each code default, the containers (in this stream) that run the code
 * without setting the env var: those would pull the public default.
 */
export function unsetCodeDefaults(documents: SourceDocument[], findings: Finding[]): UnsetCodeDefault[] {
    const defaults: CodeDefault[] = [];
    for (const f of findings) {
        if (f.kind !== "code-default" || f.object.kind !== "ConfigMap") continue;
        defaults.push({ finding: f, namespace: f.object.namespace, configMap: f.object.name });
    }
    if (defaults.length === 0) return [];
    const configMaps = new Map<string, Record<string, unknown>>();
    for (const d of documents) {
        const v = d.value as any;
        if (isPlainObject(v) && v.kind === "ConfigMap" && isPlainObject(v.data)) configMaps.set(`${v.metadata?.namespace ?? ""}/${v.metadata?.name}`, v.data);
    }
    const out: UnsetCodeDefault[] = [];
    for (const document of documents) {
        const value = document.value as any;
        if (!isPlainObject(value)) continue;
        const namespace = value.metadata?.namespace;
        for (const spec of podSpecs(value)) {
            for (const cd of defaults) {
                if ((cd.namespace ?? "") !== (namespace ?? "")) continue;
                for (const container of consumingContainers(spec, cd.configMap)) {
                    const envVar = cd.finding.envVar as string;
                    const set = ((container.env ?? []) as any[]).some((e) => e?.name === envVar) || envFromKeys(container, configMaps, namespace).has(envVar);
                    if (!set) out.push({ codeDefault: cd.finding, document, container });
                }
            }
        }
    }
    return out;
}
