/**
 * Upgrades in place: what one `up` from the platform the stack holds to the one the config
 * renders does to each object, decided from the data (no list of Kubeflow objects).
 *
 * Every `up` leaves an index of what it registered in the stack's outputs (`objectIndex`: per
 * object its owner, a content digest, the fields Kubernetes will not change in place, and for
 * objects that hold data what they hold). The next `up` reads it back and plans from the pair:
 * - an object that changed owner (another component; another app needs nothing: an object's
 *   resource name is its Kubernetes identity) gets an alias, so it moves instead of being
 *   created and deleted (with server-side apply the create adopts the live object and the
 *   delete then removes it);
 * - an immutable field that changed is a replacement under the object's own name, named with
 *   its field; the provider's preview would dry-run the create against the live object and
 *   fail, so the object carries a value unknown at preview (the provider skips the dry run);
 * - a custom resource created or changed in the same update as its CRD's schema is checked here
 *   against the new schema and likewise not dry-run against the old one;
 * - an object that holds data (a claim, a volume, a StatefulSet with claims, a CRD) that the
 *   new release lacks is kept (registered as it is, no field changed) unless
 *   `kfstack:upgrade.deleteData` names it; replacing one is refused unless
 *   `kfstack:upgrade.replaceData` names it.
 */
import * as crypto from "crypto";
import { configKey } from "../core/configKeys";
import { InputError } from "../core/errors";
import { K8sObject, crdGroupKind, describeObject, groupKind, isPlainObject, objectKey } from "../core/objects";
import { countOf, deepEqual } from "../core/text";
import { changedPaths } from "./diff";
import { objectResourceName } from "./registration";

/** The kinds whose objects hold data, and what deleting one loses. */
const DATA_KINDS: Readonly<Record<string, { readonly namespaced: boolean; readonly holds: (o: K8sObject) => string | undefined }>> = {
    PersistentVolumeClaim: { namespaced: true, holds: (o) => `its volume's data (${requested(o.spec) ?? "size not set"})` },
    PersistentVolume: { namespaced: false, holds: (o) => `its data (${(o.spec as { capacity?: { storage?: string } })?.capacity?.storage ?? "size not set"})` },
    StatefulSet: {
        namespaced: true,
        holds: (o) => {
            const claims = ((o.spec as { volumeClaimTemplates?: { metadata?: { name?: string }; spec?: unknown }[] })?.volumeClaimTemplates ?? []).map(
                (t) => `${t.metadata?.name ?? "?"} (${requested(t.spec) ?? "size not set"})`,
            );
            // A StatefulSet without claim templates keeps nothing of its own.
            return claims.length > 0 ? `the claims of its pods: ${claims.join(", ")}` : undefined;
        },
    },
    CustomResourceDefinition: {
        namespaced: false,
        holds: (o) => `every ${(o.spec as { names?: { kind?: string } })?.names?.kind ?? "custom"} object in the cluster (deleting a CRD deletes them all)`,
    },
};

function requested(spec: unknown): string | undefined {
    return (spec as { resources?: { requests?: { storage?: string } } } | undefined)?.resources?.requests?.storage;
}

/** How `kfstack:upgrade.*` names a data object: `Kind/NAMESPACE/NAME`, or `Kind/NAME` when it has no namespace. */
export const DATA_NAME = {
    re: /^(?:(?:PersistentVolumeClaim|StatefulSet)\/[a-z0-9]([-a-z0-9]*[a-z0-9])?|(?:PersistentVolume|CustomResourceDefinition))\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
    what: "a data object as KIND/NAMESPACE/NAME (PersistentVolumeClaim, StatefulSet) or KIND/NAME (PersistentVolume, CustomResourceDefinition)",
};

/** The name `kfstack:upgrade.*` and messages give an object that holds data; undefined for any other object. */
export function dataName(o: K8sObject): string | undefined {
    const kind = DATA_KINDS[o.kind];
    if (!kind || kind.holds(o) === undefined) return undefined;
    return nameOfData(o.kind, o.metadata.namespace, o.metadata.name);
}

function nameOfData(kind: string, namespace: string | undefined, name: string): string {
    return DATA_KINDS[kind]?.namespaced ? `${kind}/${namespace ?? "default"}/${name}` : `${kind}/${name}`;
}

/**
 * What Kubernetes will not change in place, per kind (the API server refuses the update: the
 * object must be deleted and created again). PVC and PV specs are immutable but for the fields
 * named here as mutable.
 */
const IMMUTABLE: Readonly<Record<string, (o: K8sObject) => Record<string, unknown>>> = {
    Deployment: (o) => pick(o.spec, ["selector"]),
    ReplicaSet: (o) => pick(o.spec, ["selector"]),
    DaemonSet: (o) => pick(o.spec, ["selector"]),
    StatefulSet: (o) => pick(o.spec, ["selector", "serviceName", "volumeClaimTemplates", "podManagementPolicy"]),
    Job: (o) => pick(o.spec, ["selector", "template", "completionMode"]),
    ClusterRoleBinding: (o) => ({ roleRef: o.roleRef }),
    RoleBinding: (o) => ({ roleRef: o.roleRef }),
    Service: (o) => pick(o.spec, ["clusterIP"]),
    PersistentVolumeClaim: (o) => omit(o.spec, ["resources", "volumeAttributesClassName"]),
    PersistentVolume: (o) => omit(o.spec, ["capacity", "claimRef", "persistentVolumeReclaimPolicy", "mountOptions", "storageClassName", "nodeAffinity"]),
    StorageClass: (o) => ({ provisioner: o.provisioner, parameters: o.parameters, reclaimPolicy: o.reclaimPolicy, volumeBindingMode: o.volumeBindingMode }),
    CustomResourceDefinition: (o) => pick(o.spec, ["scope"]),
    // Digests, not values: the index is a stack output in plain text.
    ConfigMap: (o) => (o.immutable === true ? { data: digest([o.data, o.binaryData]) } : {}),
    Secret: (o) => (o.immutable === true ? { data: digest([o.data, o.stringData]), type: o.type } : { type: o.type }),
};

function pick(v: unknown, keys: string[]): Record<string, unknown> {
    const src = isPlainObject(v) ? v : {};
    return Object.fromEntries(keys.filter((k) => src[k] !== undefined).map((k) => [`spec.${k}`, src[k]]));
}

function omit(v: unknown, keys: string[]): Record<string, unknown> {
    const src = isPlainObject(v) ? v : {};
    return Object.fromEntries(
        Object.keys(src)
            .filter((k) => !keys.includes(k))
            .map((k) => [`spec.${k}`, src[k]]),
    );
}

/** The fields of an object Kubernetes will not change in place; undefined for kinds without any. */
export function immutableFields(o: K8sObject): Record<string, unknown> | undefined {
    const rule = IMMUTABLE[o.kind];
    if (!rule) return undefined;
    const fields = Object.fromEntries(Object.entries(rule(o)).filter(([, v]) => v !== undefined));
    return Object.keys(fields).length > 0 ? fields : undefined;
}

function versionNames(crd: K8sObject): string[] {
    return ((crd.spec as { versions?: { name?: string }[] })?.versions ?? []).map((v) => v.name ?? "");
}

/**
 * A CRD version the release drops, kept in the CRD not served: objects may be stored in it, and
 * the API server refuses a CRD whose `status.storedVersions` names a version `spec.versions`
 * lacks until they are migrated. The schema keeps whatever is stored.
 */
export function unservedVersion(name: string): Record<string, unknown> {
    return { name, served: false, storage: false, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } };
}

/** The changed paths of two `immutableFields` records, as fields (`spec.selector.matchLabels.app`; its keys are dotted paths already). */
function fieldPaths(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
    return changedPaths(a, b).map((p) => p.replace(/^"([^"]+)"/, "$1"));
}

function digest(v: unknown): string {
    return crypto.createHash("sha256").update(JSON.stringify(v)).digest("hex").slice(0, 16);
}

/**
 * Who registers an object: the component type chain its resource sits under and the prefix of
 * its resource name (`objectResourceName(scope, o)`). Two objects with equal owners and keys
 * have equal URNs, whichever app or component instance registers them.
 */
export interface Owner {
    /** The type chain of the component the resource sits under (`kfstack:kubeflow:Platform$kfstack:kubeflow:App`). */
    readonly chain: string;
    /** The resource names' prefix. */
    readonly scope: string;
}

/** One object in the index. */
export interface IndexEntry {
    /** Owner: index into `ObjectIndex.owners`. */
    readonly o: number;
    /** The app that renders it (kubeflow objects). */
    readonly a?: string;
    /** Digest of the object as registered. */
    readonly h: string;
    /** Its immutable fields (`immutableFields`), when it has any. */
    readonly i?: Record<string, unknown>;
    /** For an object that holds data: what it holds. */
    readonly d?: string;
    /** For a CRD: the group/kind it defines, a digest of its versions' schemas, and its plural (how its objects are listed). */
    readonly s?: [string, string, string?];
    /** For a CRD: the versions it was registered with (those of the release and any kept unserved). */
    readonly v?: string[];
    /** Registered `protect`ed (a volume): the engine refuses to delete it until an `up` unprotects it. */
    readonly p?: true;
}

/** What one `up` registered: the stack output `objectIndex`. */
export interface ObjectIndex {
    readonly v: 1;
    /** `chain|scope` of each owner. */
    readonly owners: string[];
    /** By object key (`apiVersion/Kind/namespace/name`). */
    readonly objects: Record<string, IndexEntry>;
}

/** One registered object, as the index records it. */
export interface Registered {
    readonly object: K8sObject;
    readonly owner: Owner;
    readonly app?: string;
    readonly protect?: boolean;
}

const ownerId = (o: Owner) => `${o.chain}|${o.scope}`;

/** The index of what this `up` registers. */
export function objectIndex(registered: readonly Registered[]): ObjectIndex {
    const owners: string[] = [];
    const objects: Record<string, IndexEntry> = {};
    for (const r of registered) {
        const id = ownerId(r.owner);
        let o = owners.indexOf(id);
        if (o < 0) o = owners.push(id) - 1;
        const i = immutableFields(r.object);
        const holds = dataName(r.object) ? DATA_KINDS[r.object.kind].holds(r.object) : undefined;
        const target = crdGroupKind(r.object);
        objects[objectKey(r.object)] = {
            o,
            ...(r.app ? { a: r.app } : {}),
            h: digest(r.object),
            ...(i ? { i } : {}),
            ...(holds ? { d: holds } : {}),
            ...(target
                ? {
                      s: [
                          target,
                          digest((r.object.spec as { versions?: unknown }).versions ?? null),
                          (r.object.spec as { names?: { plural?: string } }).names?.plural,
                      ] as [string, string, string?],
                      v: versionNames(r.object),
                  }
                : {}),
            ...(r.protect ? { p: true as const } : {}),
        };
    }
    return { v: 1, owners, objects };
}

/**
 * The index this `up` leaves: what it registers (`now`, from `objectIndex`), with the versions
 * kept in CRDs and the kept data objects, now registered by `keptOwner`.
 */
export function nextIndex(now: ObjectIndex, plan: UpgradePlan, keptOwner: Owner): ObjectIndex {
    const owners = [...now.owners];
    const objects = { ...now.objects };
    for (const [key, p] of plan.objects) {
        const e = objects[key];
        if (p.keepVersions && e) objects[key] = { ...e, v: [...(e.v ?? []), ...p.keepVersions] };
    }
    if (plan.kept.length > 0) {
        let o = owners.indexOf(ownerId(keptOwner));
        if (o < 0) o = owners.push(ownerId(keptOwner)) - 1;
        for (const k of plan.kept) {
            // eslint-disable-next-line @typescript-eslint/no-unused-vars
            const { a, p, ...entry } = k.entry;
            objects[k.key] = { ...entry, o, ...(k.protect ? { p: true as const } : {}) };
        }
    }
    return { v: 1, owners, objects };
}

/** Reads a stack's `objectIndex` output; anything else (an older kfstack wrote none) is no index. */
export function readObjectIndex(v: unknown): ObjectIndex | undefined {
    if (!isPlainObject(v) || v.v !== 1 || !Array.isArray(v.owners) || !isPlainObject(v.objects)) return undefined;
    return v as unknown as ObjectIndex;
}

/** The identity an index key names. */
export function keyIdentity(key: string): { apiVersion: string; kind: string; namespace?: string; name: string } {
    const parts = key.split("/");
    const name = parts.pop() as string;
    const namespace = parts.pop() as string;
    const kind = parts.pop() as string;
    return { apiVersion: parts.join("/"), kind, ...(namespace ? { namespace } : {}), name };
}

/** What the upgrade does to one object besides applying it. */
export interface ObjectPlan {
    /** Where the object was registered before (another owner): its alias. */
    readonly from?: { readonly chain: string; readonly name: string };
    /** For a CRD: versions it had that the release drops, kept not served (`unservedVersion`). */
    readonly keepVersions?: readonly string[];
    /** Applied without the provider's preview dry run (a replacement, a CR of a changing CRD). */
    readonly unknownInPreview?: boolean;
}

/** A data object the release no longer has, kept in the cluster and the stack. */
export interface KeptObject {
    readonly key: string;
    readonly dataName: string;
    readonly holds: string;
    /** Its index entry, carried to the next index. */
    readonly entry: IndexEntry;
    /** Its owner before. */
    readonly from: { readonly chain: string; readonly name: string };
    /** Register it `protect`ed (a protected volume stays protected unless deletion is allowed). */
    readonly protect: boolean;
}

export interface UpgradeSettings {
    /** Data objects the new release lacks that may be deleted (`kfstack:upgrade.deleteData`). */
    readonly deleteData: readonly string[];
    /** Data objects that may be replaced, losing their data (`kfstack:upgrade.replaceData`). */
    readonly replaceData: readonly string[];
}

export interface UpgradePlan {
    /** Per object key of the new platform. */
    readonly objects: ReadonlyMap<string, ObjectPlan>;
    /** Data objects kept although the release lacks them. */
    readonly kept: readonly KeptObject[];
    /** What the preview should say, one line per object: moves, replacements, kept and deleted data. */
    readonly notes: readonly string[];
    /** Problems: refused replacements, custom resources the new schema refuses. Non-empty: nothing is applied. */
    readonly problems: readonly string[];
}

/** The resource name `objectResourceName` gave an index key's object under `scope`. */
const resourceName = (scope: string, key: string): string => objectResourceName(scope, { metadata: keyIdentity(key) });

/**
 * The upgrade from the stack's index (`previous`, undefined for a new stack or one an older
 * kfstack made) to what this `up` registers.
 */
export function planUpgrade(
    previous: ObjectIndex | undefined,
    now: readonly Registered[],
    settings: UpgradeSettings,
    options: {
        /** `objectIndex(now)`, when the caller has it already. */
        readonly index?: ObjectIndex;
        /** How many objects of each kept CRD the cluster holds, by CRD key, where it could tell (`liveObjectsQuery`). */
        readonly live?: ReadonlyMap<string, number>;
    } = {},
): UpgradePlan {
    const live = options.live ?? new Map<string, number>();
    const objects = new Map<string, ObjectPlan>();
    const notes: string[] = [];
    const problems: string[] = [];
    const kept: KeptObject[] = [];
    const deleted = new Set<string>();
    if (!previous) return { objects, kept, notes, problems };
    const ownerOf = (i: number) => {
        const [chain, scope] = previous.owners[i].split("|");
        return { chain, scope };
    };
    const schemasBefore = new Map<string, string>();
    for (const e of Object.values(previous.objects)) if (e.s) schemasBefore.set(e.s[0], e.s[1]);
    const nowIndex = options.index ?? objectIndex(now);
    const changedSchemas = new Map<string, K8sObject>();
    for (const r of now) {
        const target = crdGroupKind(r.object);
        const e = nowIndex.objects[objectKey(r.object)];
        if (target && e.s && schemasBefore.has(target) && schemasBefore.get(target) !== e.s[1]) changedSchemas.set(target, r.object);
    }
    const allowedReplace = new Set(settings.replaceData);
    const allowedDelete = new Set(settings.deleteData);
    for (const r of now) {
        const key = objectKey(r.object);
        const before = previous.objects[key];
        const e = nowIndex.objects[key];
        const plan: { from?: { chain: string; name: string }; unknownInPreview?: boolean; keepVersions?: string[] } = {};
        const name = dataName(r.object);
        const what = name ?? describe(key);
        if (before) {
            const was = ownerOf(before.o);
            if (ownerId(was as Owner) !== ownerId(r.owner)) {
                plan.from = { chain: was.chain, name: resourceName(was.scope, key) };
                notes.push(`${what}: moved from ${placeOf(was, before.a)} to ${placeOf(r.owner, r.app)}`);
            } else if (before.a && r.app && before.a !== r.app) {
                notes.push(`${what}: moved from app ${before.a} to app ${r.app} (the same resource)`);
            }
            if (before.i && e.i && !deepEqual(before.i, e.i)) {
                const fields = fieldPaths(before.i, e.i);
                if (name && !allowedReplace.has(name)) {
                    problems.push(
                        `${name} would be replaced (${fields.join(", ")} cannot change in place), losing ${before.d ?? "what it holds"}; keep the field as it is, or add "${name}" to ${configKey("upgrade", "replaceData")} to allow it`,
                    );
                } else {
                    notes.push(
                        `${what}: replaced under its own name (${fields.join(", ")} cannot change in place)${name ? "; allowed by " + configKey("upgrade", "replaceData") : ""}`,
                    );
                }
                plan.unknownInPreview = true;
            }
        }
        const schema = changedSchemas.get(groupKind(r.object.apiVersion, r.object.kind));
        if (schema && (!before || before.h !== e.h)) {
            const refused = schemaProblems(r.object, schema);
            for (const p of refused) problems.push(`${describe(key)}: ${p} in the new schema of CustomResourceDefinition ${schema.metadata.name}`);
            plan.unknownInPreview = true;
            notes.push(`${describe(key)}: checked against the new schema of CustomResourceDefinition ${schema.metadata.name}, applied after it`);
        }
        if (before?.v && e.v) {
            const dropped = before.v.filter((v) => !e.v!.includes(v));
            if (dropped.length > 0) {
                plan.keepVersions = dropped;
                notes.push(
                    `${describe(key)}: version(s) ${dropped.join(", ")} dropped by the release kept, not served (objects may be stored in them; Kubernetes refuses to drop a stored version until they are migrated)`,
                );
            }
        }
        if (plan.from || plan.unknownInPreview || plan.keepVersions) objects.set(key, plan);
    }
    for (const { key, name, before } of removedData(previous, (k) => k in nowIndex.objects)) {
        const was = ownerOf(before.o);
        if (allowedDelete.has(name) && !before.p) {
            notes.push(`${name}: deleted, as ${configKey("upgrade", "deleteData")} allows (it held ${before.d})`);
            deleted.add(name);
            continue;
        }
        const unprotecting = allowedDelete.has(name) && before.p === true;
        kept.push({
            key,
            dataName: name,
            holds: before.d,
            entry: unprotecting ? withoutProtect(before) : before,
            from: { chain: was.chain, name: resourceName(was.scope, key) },
            protect: before.p === true && !unprotecting,
        });
        notes.push(
            unprotecting
                ? `${name}: protected; this update unprotects it and the next \`pulumi up\` deletes it, as ${configKey("upgrade", "deleteData")} allows`
                : `${name}: not in this release; kept in the cluster with ${before.d}${live.has(key) ? ` (${countOf(live.get(key) as number, "object")} of its kind now)` : ""} — add "${name}" to ${configKey("upgrade", "deleteData")} to delete it`,
        );
    }
    for (const n of settings.deleteData)
        if (!kept.some((k) => k.dataName === n) && !deleted.has(n))
            notes.push(
                `${configKey("upgrade", "deleteData")} names ${n}, which this update neither keeps nor deletes (the release has it, or the stack never had it)`,
            );
    return { objects, kept, notes, problems };
}

function withoutProtect(e: IndexEntry): IndexEntry {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { p, ...rest } = e;
    return rest;
}

/** The data objects of an index that are not `present` now, with their `kfstack:upgrade.*` names. */
function* removedData(index: ObjectIndex, present: (key: string) => boolean): Generator<{ key: string; name: string; before: IndexEntry & { d: string } }> {
    for (const [key, before] of Object.entries(index.objects)) {
        if (!before.d || present(key)) continue;
        const id = keyIdentity(key);
        yield { key, name: nameOfData(id.kind, id.namespace, id.name), before: before as IndexEntry & { d: string } };
    }
}

/** An index key's object as messages name it (`Deployment kubeflow/ctl`). */
function describe(key: string): string {
    return describeObject(keyIdentity(key));
}

/** Where an object was or is registered: its app, or the component its resource sits under. */
function placeOf(owner: Owner, app?: string): string {
    return app ? `app ${app}` : owner.chain.slice(owner.chain.lastIndexOf("$") + 1);
}

/** How to list the objects of a kept CRD (group, a version it had, its plural): undefined when the index cannot tell. */
export function liveObjectsQuery(k: KeptObject): { group: string; version: string; plural: string } | undefined {
    const [target, , plural] = k.entry.s ?? [];
    const version = k.entry.v?.[0];
    if (!target || !plural || !version) return undefined;
    return { group: target.slice(0, target.indexOf("/")), version, plural };
}

/** Throws the upgrade's problems as one error, one line each. */
export function checkUpgrade(plan: UpgradePlan): void {
    if (plan.problems.length > 0) throw new InputError(`the upgrade is refused:\n  ${plan.problems.join("\n  ")}`);
}

type Schema = {
    type?: string;
    properties?: Record<string, Schema>;
    items?: Schema;
    additionalProperties?: Schema | boolean;
    required?: string[];
    "x-kubernetes-preserve-unknown-fields"?: boolean;
    "x-kubernetes-int-or-string"?: boolean;
    "x-kubernetes-embedded-resource"?: boolean;
};

/**
 * What the CRD's structural schema refuses in a custom resource: fields it does not declare
 * (where unknown fields are not preserved), values of another type, required fields missing —
 * what the API server would prune or refuse, checked before the new schema is applied.
 */
export function schemaProblems(cr: K8sObject, crd: K8sObject): string[] {
    const version = cr.apiVersion.split("/")[1];
    const v = ((crd.spec as { versions?: { name: string; schema?: { openAPIV3Schema?: Schema } }[] })?.versions ?? []).find((x) => x.name === version);
    if (!v) return [`version ${version} is not served`];
    const root = v.schema?.openAPIV3Schema;
    if (!root) return [];
    const out: string[] = [];
    const walk = (value: unknown, s: Schema, at: string): void => {
        if (out.length >= 20 || value === undefined || value === null) return;
        if (s["x-kubernetes-int-or-string"]) {
            if (typeof value !== "number" && typeof value !== "string") out.push(`${at} must be an integer or a string`);
            return;
        }
        const type = s.type;
        const actual = Array.isArray(value) ? "array" : typeof value === "number" ? (Number.isInteger(value) ? "integer" : "number") : typeof value;
        if (type && !(type === actual || (type === "number" && actual === "integer"))) {
            out.push(`${at} is ${actual}, the schema says ${type}`);
            return;
        }
        if (Array.isArray(value) && s.items) value.forEach((x, i) => walk(x, s.items as Schema, `${at}[${i}]`));
        if (isPlainObject(value)) {
            for (const r of s.required ?? []) if (value[r] === undefined) out.push(`${at}.${r} is required`);
            for (const [k, x] of Object.entries(value)) {
                const sub = s.properties?.[k] ?? (isPlainObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined);
                if (sub) walk(x, sub, `${at}.${k}`);
                else if (!s["x-kubernetes-preserve-unknown-fields"] && s.additionalProperties !== true && !s["x-kubernetes-embedded-resource"] && s.properties)
                    out.push(`${at}.${k}: field not declared`);
            }
        }
    };
    for (const [k, x] of Object.entries(cr)) {
        if (["apiVersion", "kind", "metadata"].includes(k)) continue;
        const sub = root.properties?.[k];
        if (sub) walk(x, sub, `.${k}`);
        else if (!root["x-kubernetes-preserve-unknown-fields"] && root.properties) out.push(`.${k}: field not declared`);
    }
    return out;
}

/** What an upgrade does to one object, as `kfstack diff` marks it. */
export interface ObjectMark {
    /** `apiVersion/Kind/namespace/name`. */
    readonly object: string;
    /**
     * `updated`: changed in place; `replaced`: deleted and created under its own name (`fields`);
     * `deleted`; `kept`: a data object the new release lacks, kept unless allowed (`holds`);
     * `data-replaced`: a data object whose replacement is refused unless allowed; `created`.
     */
    readonly mark: "created" | "updated" | "replaced" | "deleted" | "kept" | "data-replaced" | "same";
    /** Moved between apps (`from` → `to`): the same resource. */
    readonly moved?: { readonly from: string; readonly to: string };
    readonly fields?: string[];
    /** For data objects: what deleting or replacing it loses, and its name in `kfstack:upgrade.*`. */
    readonly data?: { readonly name: string; readonly holds: string };
}

/** Per object, what the upgrade from `oldApps` to `newApps` does (objects neither changed nor moved left out). */
export function objectMarks(
    oldApps: readonly { name: string; objects: readonly K8sObject[] }[],
    newApps: readonly { name: string; objects: readonly K8sObject[] }[],
): ObjectMark[] {
    const index = (apps: typeof oldApps) => new Map(apps.flatMap((a) => a.objects.map((o) => [objectKey(o), { o, app: a.name }] as const)));
    const before = index(oldApps);
    const after = index(newApps);
    const marks: ObjectMark[] = [];
    const data = (o: K8sObject) => {
        const name = dataName(o);
        return name ? { data: { name, holds: DATA_KINDS[o.kind].holds(o) as string } } : {};
    };
    for (const [key, b] of before) {
        const a = after.get(key);
        if (!a) {
            marks.push({ object: key, mark: dataName(b.o) ? "kept" : "deleted", ...data(b.o) });
            continue;
        }
        const moved = a.app !== b.app ? { moved: { from: b.app, to: a.app } } : {};
        if (deepEqual(a.o, b.o)) {
            if (a.app !== b.app) marks.push({ object: key, mark: "same", ...moved });
            continue;
        }
        const ib = immutableFields(b.o);
        const ia = immutableFields(a.o);
        if (ib && ia && !deepEqual(ib, ia)) {
            const fields = fieldPaths(ib, ia);
            marks.push({ object: key, mark: dataName(a.o) ? "data-replaced" : "replaced", fields, ...moved, ...data(a.o) });
        } else marks.push({ object: key, mark: "updated", fields: changedPaths(b.o, a.o), ...moved });
    }
    for (const key of after.keys()) if (!before.has(key)) marks.push({ object: key, mark: "created" });
    return marks.sort((x, y) => x.object.localeCompare(y.object));
}

const MARK_TEXT: Record<ObjectMark["mark"], string> = {
    created: "created",
    updated: "updated in place",
    replaced: "replaced",
    deleted: "deleted",
    kept: "DATA: kept (not in the new release)",
    "data-replaced": "DATA: replacement refused",
    same: "unchanged",
};

/** The marks as text: one line per object that is not merely created or updated, then the counts. */
export function formatMarks(marks: readonly ObjectMark[]): string {
    const lines: string[] = ["objects:"];
    for (const m of marks) {
        if (m.mark === "created" || (m.mark === "updated" && !m.moved)) continue;
        let line = `  ${MARK_TEXT[m.mark]}: ${describe(m.object)}`;
        if (m.moved) line += ` (moved from app ${m.moved.from} to app ${m.moved.to})`;
        if (m.mark === "replaced" || m.mark === "data-replaced") line += ` — ${m.fields?.join(", ")} cannot change in place`;
        if (m.data && m.mark === "kept") line += ` — holds ${m.data.holds}; delete with ${configKey("upgrade", "deleteData")}: ${m.data.name}`;
        if (m.data && m.mark === "data-replaced") line += ` — would lose ${m.data.holds}; allow with ${configKey("upgrade", "replaceData")}: ${m.data.name}`;
        lines.push(line);
    }
    const count = (k: ObjectMark["mark"]) => marks.filter((m) => m.mark === k).length;
    lines.push(
        `  ${count("created")} created, ${count("updated")} updated in place, ${count("replaced")} replaced, ${count("deleted")} deleted, ` +
            `${marks.filter((m) => m.moved).length} moved between apps, ${count("kept") + count("data-replaced")} with data at risk`,
    );
    return lines.join("\n") + "\n";
}

/** The index's data objects alone (what `dataRisks` needs, small enough to record beside the policy's inputs). */
export function dataEntries(index: ObjectIndex | undefined): ObjectIndex | undefined {
    if (!index) return undefined;
    return {
        v: 1,
        owners: [],
        objects: Object.fromEntries(
            Object.entries(index.objects)
                .filter(([, e]) => e.d)
                .map(([k, e]) => [k, { ...e, o: 0 }]),
        ),
    };
}

/**
 * The data objects of the stack's index (`previous`) that none of `objects` is and that
 * `kfstack:upgrade.deleteData` does not name: what an update would delete with their data. The
 * program keeps such objects by the same rule (`planUpgrade`); the policy pack checks the objects
 * the engine is given, so a program that lost one is caught. (Replacements are refused by the
 * program, which compares the objects it registers; a stack policy sees them with the server's
 * defaults filled in, which would read as changes.)
 */
export function dataRisks(previous: ObjectIndex | undefined, objects: readonly K8sObject[], allow: Pick<UpgradeSettings, "deleteData">): string[] {
    if (!previous) return [];
    const now = new Set(objects.map(objectKey));
    const out: string[] = [];
    for (const { name, before } of removedData(previous, (k) => now.has(k))) {
        if (!allow.deleteData.includes(name))
            out.push(`${name} would be deleted, and ${before.d} with it; it is not allowed by ${configKey("upgrade", "deleteData")}`);
    }
    return out;
}
