/**
 * The install order: apps after the apps they depend on (by CRD, by namespace, by
 * install phase), objects inside an app after the objects they need.
 */
import { InputError } from "../core/errors";
import { K8sObject, objectKey, describeObject, groupKind, crdGroupKind, WORKLOADS } from "../core/objects";

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

const WEBHOOKS = new Set(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);

/**
 * Dependencies inside one app: a CR on its CRD, a namespaced object on its
 * Namespace, and webhook configurations on the app's workloads (so a webhook
 * is registered only once the pod that serves it is up — the reason for
 * the retry loop people use today).
 */
export function planApp(objects: K8sObject[]): Map<string, string[]> {
    const providers = new Providers<string>();
    const workloads: string[] = [];
    for (const o of objects) {
        providers.add(o, objectKey(o));
        if (WORKLOADS.has(o.kind)) workloads.push(objectKey(o));
    }
    const plan = new Map<string, string[]>();
    for (const o of objects) {
        const key = objectKey(o);
        const deps = providers.of(o).filter((p) => p !== key);
        if (WEBHOOKS.has(o.kind)) deps.push(...workloads);
        plan.set(key, deps);
    }
    return plan;
}

/**
 * Who provides what other objects need: the definer of each CRD (by group/Kind) and the
 * creator of each Namespace, the first one seen winning. `T` names the provider: an
 * object's key inside an app, an app's name across apps.
 */
export class Providers<T> {
    private readonly crds = new Map<string, T>();
    private readonly namespaces = new Map<string, T>();

    add(o: K8sObject, provider: T): void {
        const gk = crdGroupKind(o);
        if (gk && !this.crds.has(gk)) this.crds.set(gk, provider);
        if (o.kind === "Namespace" && o.apiVersion === "v1" && !this.namespaces.has(o.metadata.name)) this.namespaces.set(o.metadata.name, provider);
    }

    /** The providers an object needs: of its kind's CRD, and of its namespace. */
    of(o: K8sObject): T[] {
        const out: T[] = [];
        const crd = this.crds.get(groupKind(o.apiVersion, o.kind));
        if (crd !== undefined) out.push(crd);
        const ns = o.metadata.namespace ? this.namespaces.get(o.metadata.namespace) : undefined;
        if (ns !== undefined) out.push(ns);
        return out;
    }
}

/**
 * The order to register an app's objects in: each after every object it depends on
 * (`planApp`), otherwise in the app's own order. A depth-first walk from each object
 * in turn, with a trail for cycles only, so an object reached first through a sibling
 * still gets all its own dependencies first. A cycle is an error naming its objects.
 */
export function registrationOrder(objects: readonly K8sObject[], plan: ReadonlyMap<string, readonly string[]>): K8sObject[] {
    const byKey = new Map(objects.map((o) => [objectKey(o), o]));
    const out: K8sObject[] = [];
    const done = new Set<string>();
    const visit = (key: string, trail: string[]): void => {
        if (done.has(key)) return;
        if (trail.includes(key)) {
            throw new InputError(
                `objects depend on each other in a cycle: ${[...trail.slice(trail.indexOf(key)), key].join(" → ")}; remove one of the dependencies`,
            );
        }
        for (const dep of plan.get(key) ?? []) if (byKey.has(dep)) visit(dep, [...trail, key]);
        done.add(key);
        out.push(byKey.get(key) as K8sObject);
    };
    for (const o of objects) visit(objectKey(o), []);
    return out;
}

/** The objects of an app that nothing in the app depends on, in registration order: every object is behind one of them. */
export function looseEnds(order: readonly K8sObject[], plan: ReadonlyMap<string, readonly string[]>): K8sObject[] {
    const needed = new Set([...plan.values()].flat());
    return order.filter((o) => !needed.has(objectKey(o)));
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
    const providers = new Providers<string>();
    for (const a of apps) for (const o of a.objects) providers.add(o, a.name);
    const deps = new Map<string, Set<string>>(apps.map((a) => [a.name, new Set<string>()]));
    for (const a of apps) {
        const mine = deps.get(a.name) as Set<string>;
        for (const o of a.objects) for (const p of providers.of(o)) if (p !== a.name) mine.add(p);
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
            throw new InputError(
                `apps ${a.name} and ${cycle.join(", ")} depend on each other (CRDs or namespaces defined in one, used in the other); disable one or add its CRDs to the other`,
            );
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
                warnings.push(`${describeObject(o)} is rendered by apps ${first} and ${a.name}; registered once, by ${first}`);
            }
        }
        return { name: a.name, objects: kept };
    });
    return { apps: out, warnings };
}
