/**
 * What an upgrade changes: two rendered releases compared per app (apps matched by name, so
 * an app whose path moved between releases — `apps/` to `applications/` — is the same app):
 * objects added, removed and changed (same identity, other content, with the changed paths),
 * CRDs whose schema changed, images added and removed; and the whole platform's image delta,
 * what to mirror before the upgrade.
 */
import { K8sObject, objectKey } from "../core/objects";
import { deepEqual } from "../core/text";
import { PreparedPlatform } from "./platform";

export interface ChangedObject {
    readonly object: string;
    /** Changed paths (`spec.template.spec.containers[0].image`), at most 20. */
    readonly paths: string[];
}

export interface AppDiff {
    readonly status: "added" | "removed" | "changed" | "same";
    readonly added: string[];
    readonly removed: string[];
    readonly changed: ChangedObject[];
    /** CRDs whose `spec.versions[].schema` changed. */
    readonly crdSchemaChanged: string[];
    readonly images: { readonly added: string[]; readonly removed: string[] };
}

export interface PlatformDiff {
    readonly apps: Record<string, AppDiff>;
    /** Source images, normalised: what the new release pulls that the old did not, and the reverse. */
    readonly images: { readonly added: string[]; readonly removed: string[] };
}

const MAX_PATHS = 20;

/** The paths at which two values differ (leaves; a list compared index by index). */
export function changedPaths(a: unknown, b: unknown, at = "", out: string[] = []): string[] {
    if (out.length >= MAX_PATHS) return out;
    if (deepEqual(a, b)) return out;
    const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
    if (Array.isArray(a) && Array.isArray(b)) {
        for (let i = 0; i < Math.max(a.length, b.length); i++) changedPaths(a[i], b[i], `${at}[${i}]`, out);
        return out;
    }
    if (isObj(a) && isObj(b)) {
        for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
            const key = /^[A-Za-z_][\w-]*$/.test(k) ? k : JSON.stringify(k);
            changedPaths(a[k], b[k], at ? `${at}.${key}` : key, out);
        }
        return out;
    }
    out.push(at || "(whole)");
    return out;
}

function schemaChanged(a: K8sObject, b: K8sObject): boolean {
    const schemas = (o: K8sObject) =>
        ((o.spec as { versions?: { name: string; schema?: unknown }[] } | undefined)?.versions ?? []).map((v) => [v.name, v.schema]);
    return !deepEqual(schemas(a), schemas(b));
}

const setDiff = (a: readonly string[], b: readonly string[]) => {
    const bs = new Set(b);
    return [...new Set(a)].filter((x) => !bs.has(x)).sort();
};

/** Compares two prepared platforms (the old release first). */
export function diffPlatforms(oldP: PreparedPlatform, newP: PreparedPlatform): PlatformDiff {
    const apps: Record<string, AppDiff> = {};
    const oldApps = new Map(oldP.apps.map((a) => [a.name, a]));
    const newApps = new Map(newP.apps.map((a) => [a.name, a]));
    for (const name of [...new Set([...oldApps.keys(), ...newApps.keys()])].sort()) {
        const o = oldApps.get(name);
        const n = newApps.get(name);
        const oldObjs = new Map((o?.objects ?? []).map((x) => [objectKey(x), x]));
        const newObjs = new Map((n?.objects ?? []).map((x) => [objectKey(x), x]));
        const added = [...newObjs.keys()].filter((k) => !oldObjs.has(k)).sort();
        const removed = [...oldObjs.keys()].filter((k) => !newObjs.has(k)).sort();
        const changed: ChangedObject[] = [];
        const crdSchemaChanged: string[] = [];
        for (const [k, before] of oldObjs) {
            const after = newObjs.get(k);
            if (!after || deepEqual(before, after)) continue;
            changed.push({ object: k, paths: changedPaths(before, after) });
            if (before.kind === "CustomResourceDefinition" && schemaChanged(before, after)) crdSchemaChanged.push(k);
        }
        changed.sort((x, y) => x.object.localeCompare(y.object));
        const images = { added: setDiff(n?.sourceImages ?? [], o?.sourceImages ?? []), removed: setDiff(o?.sourceImages ?? [], n?.sourceImages ?? []) };
        const status = !o ? "added" : !n ? "removed" : added.length || removed.length || changed.length ? "changed" : "same";
        apps[name] = { status, added, removed, changed, crdSchemaChanged, images };
    }
    const all = (p: PreparedPlatform) => p.apps.flatMap((a) => a.sourceImages);
    return { apps, images: { added: setDiff(all(newP), all(oldP)), removed: setDiff(all(oldP), all(newP)) } };
}

/** The diff as text, one block per app that changed, then the image delta. */
export function formatDiff(d: PlatformDiff): string {
    const lines: string[] = [];
    for (const [name, a] of Object.entries(d.apps)) {
        if (a.status === "same") continue;
        if (a.status === "added") lines.push(`app ${name}: added (${a.added.length} objects)`);
        else if (a.status === "removed") lines.push(`app ${name}: removed (${a.removed.length} objects)`);
        else lines.push(`app ${name}: ${a.added.length} added, ${a.removed.length} removed, ${a.changed.length} changed`);
        if (a.status === "changed") {
            for (const k of a.added) lines.push(`  + ${k}`);
            for (const k of a.removed) lines.push(`  - ${k}`);
            for (const c of a.changed) lines.push(`  ~ ${c.object}: ${c.paths.join(", ")}`);
            for (const k of a.crdSchemaChanged) lines.push(`  ! CRD schema changed: ${k}`);
        }
        for (const i of a.images.added) lines.push(`  image + ${i}`);
        for (const i of a.images.removed) lines.push(`  image - ${i}`);
    }
    const unchanged = Object.values(d.apps).filter((a) => a.status === "same").length;
    lines.push(`${unchanged} app(s) unchanged`);
    lines.push(`images to mirror before the upgrade (${d.images.added.length}):`, ...d.images.added.map((i) => `  ${i}`));
    lines.push(`images no longer used (${d.images.removed.length}):`, ...d.images.removed.map((i) => `  ${i}`));
    return lines.join("\n") + "\n";
}
