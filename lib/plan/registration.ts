/**
 * How a plan becomes Pulumi resources, decided here so the components only register: each
 * object's resource name (one rule for every component), the order an app's objects are
 * registered in with what each waits for, and which apps' closing objects an app waits for.
 */
import { InputError } from "../core/errors";
import { K8sObject, objectKey } from "../core/objects";
import { parseReference } from "../images/reference";
import { looseEnds, planApp, registrationOrder } from "./order";
import { withoutDroppedEmpties, withoutInjectedCaBundles } from "./transforms";

/**
 * The Kubernetes provider's settings kfstack needs, for every provider it creates: ConfigMaps
 * and Secrets with fixed names are updated in place (the provider's default replaces them:
 * delete, then create, and the controllers reading one see nothing in between); a generated
 * (hash-suffixed) one gets a new name with new content, so it is still a new object.
 */
export const KUBERNETES_PROVIDER_SETTINGS = { enableConfigMapMutable: true, enableSecretMutable: true } as const;

/**
 * The resource name of an object registered by a component named `scope`: unique per type in a
 * stack (a Pulumi URN carries the type, so the kind is not part of the name).
 */
export function objectResourceName(scope: string, o: { readonly metadata: { readonly name: string; readonly namespace?: string } }): string {
    return `${scope}-${o.metadata.namespace ? o.metadata.namespace + "/" : ""}${o.metadata.name}`;
}

/** A copy of the object with more annotations (the object itself when there are none). */
export function withAnnotations(o: K8sObject, annotations: Readonly<Record<string, string>>): K8sObject {
    if (Object.keys(annotations).length === 0) return o;
    return { ...o, metadata: { ...o.metadata, annotations: { ...((o.metadata.annotations as object) ?? {}), ...annotations } } };
}

/** One object to register: its inputs as the provider gets them, and the keys (in its app) it waits for. */
export interface Registration {
    readonly key: string;
    readonly object: K8sObject;
    /** The plan's object the inputs were made from (what `droppedNamespaceOf` and the like know). */
    readonly source: K8sObject;
    readonly dependsOn: readonly string[];
}

export interface AppRegistration {
    /** In registration order: every object after each one it waits for. */
    readonly steps: readonly Registration[];
    /** Each object's dependencies inside the app, by key. */
    readonly dependencies: ReadonlyMap<string, string[]>;
    /** The key of the object registered last, after every other: what later apps wait for. */
    readonly closing?: string;
}

/**
 * An app's objects in registration order. The closing object, the last loose end, is registered
 * last and waits for the app's
 * other loose ends (objects nothing depends on), so through them for every object of the app:
 * later apps wait for that one object instead of each of the app's objects (with Pulumi,
 * depending on a component is depending on each of its children: for v1.9.1 that was 51,000
 * dependency edges, 7 MB of the state's 21 MB).
 */
export function appRegistration(objects: readonly K8sObject[], annotations: Readonly<Record<string, string>> = {}): AppRegistration {
    const plan = planApp([...objects]);
    const planned = registrationOrder(objects, plan);
    const ends = looseEnds(planned, plan);
    const closing = ends.pop();
    const order = [...planned.filter((o) => o !== closing), ...(closing ? [closing] : [])];
    const otherEnds = ends.map(objectKey);
    const steps = order.map((o) => {
        const key = objectKey(o);
        return {
            key,
            source: o,
            object: withAnnotations(withoutInjectedCaBundles(withoutDroppedEmpties(o)), annotations),
            dependsOn: [...(plan.get(key) ?? []), ...(o === closing ? otherEnds : [])],
        };
    });
    return { steps, dependencies: plan, closing: closing ? objectKey(closing) : undefined };
}

/** What an app is for the wait graph: its name, the apps it comes after, whether it has objects. */
export interface AppNode {
    readonly name: string;
    readonly dependsOn: readonly string[];
    readonly hasObjects: boolean;
}

export interface WaitGraph {
    /** Per app, the apps whose closing object it waits for (an app without objects passes its own dependencies on). */
    readonly waitsFor: ReadonlyMap<string, string[]>;
    /** The apps whose closing objects mean "the whole platform is up": those no other app waits for. */
    readonly done: string[];
}

/** Which closing objects each app waits for, and which ones finish the platform. */
export function waitGraph(apps: readonly AppNode[]): WaitGraph {
    const byName = new Map(apps.map((a) => [a.name, a]));
    const closers = (name: string, trail: readonly string[] = []): string[] => {
        const app = byName.get(name);
        if (!app || trail.includes(name)) return [];
        return app.hasObjects ? [name] : app.dependsOn.flatMap((d) => closers(d, [...trail, name]));
    };
    const unique = (xs: string[]): string[] => [...new Set(xs)];
    const waitsFor = new Map(apps.map((a) => [a.name, unique(a.dependsOn.flatMap((d) => closers(d)))]));
    const awaited = new Set(apps.flatMap((a) => a.dependsOn));
    const done = unique(apps.filter((a) => !awaited.has(a.name)).flatMap((a) => closers(a.name)));
    return { waitsFor, done };
}

/**
 * The mirror's resource of each of an app's images (by normalised reference), for the app to
 * wait for; an image the mirror does not list is an error (a mirror built from another plan).
 */
export function imageResourcesOf<T>(sourceImages: readonly string[], mirrored: ReadonlyMap<string, T>): T[] {
    return sourceImages.map((s) => {
        const r = mirrored.get(parseReference(s).normalized);
        if (r === undefined) throw new InputError(`the mirror component has no resource for ${s}; build it from the same plan's sourceImages`);
        return r;
    });
}
