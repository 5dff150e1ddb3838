/**
 * On-prem storage derived from the release kfstack deploys (no hand-written PV list):
 * one PersistentVolume per claim of the enabled apps — PersistentVolumeClaims and the claims
 * StatefulSets will make from their `volumeClaimTemplates` (`<template>-<statefulset>-<ordinal>`)
 * — each pre-bound to exactly its claim with `claimRef`, so no other claim can take it; a
 * static StorageClass for them; and a dynamic class for everything users create.
 */
import { InputError } from "../core/errors";
import { K8sObject } from "../core/objects";

export const VOLUME_TYPES = ["local", "hostPath"] as const;
export const DYNAMIC_PROVISIONERS = ["local-path", "nfs", "none"] as const;

/**
 * How on-prem volumes are made: `kfstack:storage.*`, whose meanings and defaults are declared
 * in lib/config/schema.ts.
 */
export interface StorageSettings {
    /** The class of the pre-bound volumes. */
    readonly staticClass: string;
    /** `local` volumes (node affinity, the directory must exist) or `hostPath` (created on demand). */
    readonly volumeType: (typeof VOLUME_TYPES)[number];
    /** Each claim's directory is `<basePath>/<namespace>/<claim>`. */
    readonly basePath: string;
    /** The node of every volume (its `kubernetes.io/hostname`), unless a claim names its own. */
    readonly node?: string;
    /** Per claim (`namespace/name`): its node, path or size. */
    readonly claims: Readonly<Record<string, ClaimSetting>>;
    /** The dynamic provisioner for users' volumes. */
    readonly dynamic: (typeof DYNAMIC_PROVISIONERS)[number];
    /** The dynamic class is the cluster's default. */
    readonly dynamicDefault: boolean;
    /** Where local-path-provisioner makes volumes on every node. */
    readonly localPathDir: string;
    /** The NFS export for `dynamic: nfs`. */
    readonly nfs?: { readonly server: string; readonly path: string };
    /** `protect` the PersistentVolumes: deleting the stack never deletes the data. */
    readonly protect: boolean;
}

/** One claim's own node, path or size (`kfstack:storage.claims`). */
export interface ClaimSetting {
    readonly node?: string;
    readonly path?: string;
    readonly size?: string;
}

/** A claim the release makes. */
export interface Claim {
    readonly namespace: string;
    readonly name: string;
    /** `spec.resources.requests.storage`. */
    readonly request: string;
    readonly accessModes: string[];
    readonly volumeMode: string;
    /** The class it names, if any. */
    readonly storageClassName?: string;
    /** `PersistentVolumeClaim`, or `StatefulSet <name>`. */
    readonly from: string;
}

const UNITS: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** A Kubernetes quantity in bytes (`10Gi`, `500M`, `1.5Ti`); undefined when it is not one. */
export function quantityBytes(q: string): number | undefined {
    const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(q.trim());
    return m ? Number(m[1]) * UNITS[m[2] ?? ""] : undefined;
}

/** Every claim the objects make: PVCs, and each replica's claim of each StatefulSet template. */
export function claimsOf(objects: readonly K8sObject[]): Claim[] {
    const out: Claim[] = [];
    const spec = (s: Record<string, any> | undefined) => ({
        request: String(s?.resources?.requests?.storage ?? ""),
        accessModes: (s?.accessModes as string[] | undefined) ?? ["ReadWriteOnce"],
        volumeMode: (s?.volumeMode as string | undefined) ?? "Filesystem",
        storageClassName: s?.storageClassName as string | undefined,
    });
    for (const o of objects) {
        const ns = o.metadata.namespace ?? "default";
        if (o.kind === "PersistentVolumeClaim" && o.apiVersion === "v1") {
            out.push({ namespace: ns, name: o.metadata.name, ...spec(o.spec as Record<string, any>), from: "PersistentVolumeClaim" });
        }
        if (o.kind === "StatefulSet") {
            const s = o.spec as Record<string, any> | undefined;
            const replicas = typeof s?.replicas === "number" ? s.replicas : 1;
            for (const t of (s?.volumeClaimTemplates ?? []) as Record<string, any>[]) {
                // The StatefulSet controller names each replica's claim <template>-<statefulset>-<ordinal>.
                for (let i = 0; i < replicas; i++) {
                    out.push({ namespace: ns, name: `${t.metadata?.name}-${o.metadata.name}-${i}`, ...spec(t.spec), from: `StatefulSet ${o.metadata.name}` });
                }
            }
        }
    }
    return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** The claims the static class serves: those naming no class, or naming it. */
export function servedClaims(claims: readonly Claim[], staticClass: string): Claim[] {
    return claims.filter((c) => c.storageClassName === undefined || c.storageClassName === staticClass);
}

/** The PersistentVolume's name for a claim (a DNS subdomain, unique per claim). */
export function volumeName(c: { namespace: string; name: string }): string {
    return `kfstack-${c.namespace}-${c.name}`.slice(0, 253);
}

/** One pre-bound PersistentVolume per served claim; throws InputError naming the key when a node or size is wrong. */
export function persistentVolumes(claims: readonly Claim[], s: StorageSettings): K8sObject[] {
    const problems: string[] = [];
    const known = new Set(claims.map((c) => `${c.namespace}/${c.name}`));
    for (const k of Object.keys(s.claims)) {
        if (!known.has(k)) problems.push(`kfstack:storage.claims.${k} names no claim of the enabled apps (they are: ${[...known].join(", ") || "none"})`);
    }
    const out: K8sObject[] = [];
    for (const c of servedClaims(claims, s.staticClass)) {
        const key = `${c.namespace}/${c.name}`;
        const own = s.claims[key] ?? {};
        const node = own.node ?? s.node;
        const path = own.path ?? `${s.basePath}/${c.namespace}/${c.name}`;
        const size = own.size ?? c.request;
        if (s.volumeType === "local" && !node) {
            problems.push(`kfstack:storage.node is not set and kfstack:storage.claims.${key}.node neither: a local volume needs the node that holds ${path}`);
            continue;
        }
        const requested = quantityBytes(c.request);
        const given = quantityBytes(size);
        if (given === undefined) {
            problems.push(`kfstack:storage.claims.${key}.size ${JSON.stringify(size)} is not a quantity (e.g. 20Gi)`);
            continue;
        }
        if (requested !== undefined && given < requested) {
            problems.push(`kfstack:storage.claims.${key}.size ${size} is smaller than the claim's request ${c.request}`);
            continue;
        }
        const affinity = node
            ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } } }
            : {};
        out.push({
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: {
                name: volumeName(c),
                labels: { "app.kubernetes.io/managed-by": "kfstack", "kfstack.io/claim-namespace": c.namespace, "kfstack.io/claim-name": c.name.slice(0, 63) },
            },
            spec: {
                capacity: { storage: size },
                accessModes: c.accessModes,
                volumeMode: c.volumeMode,
                persistentVolumeReclaimPolicy: "Retain",
                storageClassName: s.staticClass,
                // Pre-bound: the PV controller binds it to this claim and to no other.
                claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: c.namespace, name: c.name },
                ...(s.volumeType === "local" ? { local: { path } } : { hostPath: { path, type: "DirectoryOrCreate" } }),
                ...affinity,
            },
        } as K8sObject);
    }
    if (problems.length > 0)
        throw new InputError(
            problems.length === 1 ? problems[0] : `${problems.length} storage problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
            "kfstack:storage",
        );
    return out;
}

/**
 * Whether the PV controller could bind this volume to this claim (pkg/controller/volume/
 * persistentvolume: a pre-bound volume only to the claim its claimRef names; same class, same
 * volume mode, the claim's access modes offered, capacity at least the request).
 */
export function canBind(pv: K8sObject, claim: Claim, claimClass: string | undefined): boolean {
    const spec = pv.spec as Record<string, any>;
    const ref = spec.claimRef as { namespace?: string; name?: string } | undefined;
    if (ref && (ref.namespace !== claim.namespace || ref.name !== claim.name)) return false;
    if ((spec.storageClassName ?? "") !== (claimClass ?? "")) return false;
    if ((spec.volumeMode ?? "Filesystem") !== claim.volumeMode) return false;
    if (!claim.accessModes.every((m) => (spec.accessModes as string[]).includes(m))) return false;
    const cap = quantityBytes(String(spec.capacity?.storage ?? ""));
    const req = quantityBytes(claim.request);
    return cap !== undefined && req !== undefined && cap >= req;
}

/** The static class of the pre-bound volumes. */
export function staticStorageClass(s: StorageSettings): K8sObject {
    return {
        apiVersion: "storage.k8s.io/v1",
        kind: "StorageClass",
        metadata: { name: s.staticClass, labels: { "app.kubernetes.io/managed-by": "kfstack" } },
        provisioner: "kubernetes.io/no-provisioner",
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Retain",
    } as K8sObject;
}
