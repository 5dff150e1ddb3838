/**
 * Example-wide fields: when a release's example kustomization applies fields to all its
 * apps (Pod Security Standards components, patches, labels), the example is rendered whole
 * too and each app takes its objects from that render, so every app gets exactly what
 * `kustomize build example` gives it.
 */
import { InputError } from "../core/errors";
import { K8sObject, objectKey } from "../core/objects";

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
    const out = apps.map((app) =>
        app.documents.flatMap((d) => {
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
        }),
    );
    const extra = whole.filter((d) => !taken.has(d)).map(key);
    if (extra.length > 0 && missing.length > 0) {
        throw new InputError(
            `${example} renames or moves objects the apps render (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""} not found in its render, which has ${extra.slice(0, 3).join(", ")}${extra.length > 3 ? ", ..." : ""} instead); ` +
                "kfstack takes each app's objects from the example's render by identity: set namePrefix, nameSuffix or namespace in each app's overlay instead of the example",
        );
    }
    if (extra.length > 0) {
        throw new InputError(
            `${example} adds ${extra.length} object(s) that no app renders (${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", ..." : ""}); ` +
                "kfstack installs the example app by app: move them into an app's kustomization, or add their folder as kfstack:apps.extra",
        );
    }
    return out;
}
