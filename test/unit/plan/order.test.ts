import * as assert from "assert";
import { planApps, planApp, dedupe, topoOrder, phaseOf, registrationOrder, looseEnds, appRegistration } from "../../../lib/plan";
import { K8sObject, objectKey } from "../../../lib/core";

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra: object = {}): K8sObject => ({
    apiVersion,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    ...extra,
});
const crd = (group: string, kind: string) =>
    obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", `${kind.toLowerCase()}s.${group}`, undefined, { spec: { group, names: { kind } } });

describe("install order", () => {
    it("orders objects inside an app: CR after its CRD, namespaced after its Namespace, webhooks after workloads", () => {
        const objects = [
            obj("cert-manager.io/v1", "Issuer", "i", "ns"),
            crd("cert-manager.io", "Issuer"),
            obj("v1", "Namespace", "ns"),
            obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "w"),
            obj("apps/v1", "Deployment", "d", "ns"),
        ];
        const plan = planApp(objects);
        assert.deepStrictEqual(plan.get(objectKey(objects[0])), [objectKey(objects[1]), objectKey(objects[2])]);
        assert.deepStrictEqual(plan.get(objectKey(objects[3])), [objectKey(objects[4])]);
        assert.deepStrictEqual(plan.get(objectKey(objects[4])), [objectKey(objects[2])]);
    });

    it("orders apps by the CRDs and namespaces they share and by install phase, declared by name", () => {
        const apps = [
            { name: "pipeline", objects: [obj("argoproj.io/v1alpha1", "Workflow", "w", "kubeflow")] },
            { name: "kubeflow-namespace", objects: [obj("v1", "Namespace", "kubeflow")] },
            { name: "argo-crds-app", objects: [crd("argoproj.io", "Workflow")] },
            { name: "istio-install", objects: [obj("v1", "ConfigMap", "c", "istio-system")] },
            { name: "cert-manager", objects: [] },
            { name: "user-namespace", objects: [] },
        ];
        const deps = planApps(apps);
        assert.ok(deps.get("pipeline")?.includes("argo-crds-app"), "CRD owner");
        assert.ok(deps.get("pipeline")?.includes("kubeflow-namespace"), "namespace owner");
        assert.deepStrictEqual(deps.get("istio-install"), ["cert-manager"]);
        assert.ok(deps.get("pipeline")?.includes("istio-install"), "kubeflow apps come after the istio phase");
        assert.ok(deps.get("user-namespace")?.includes("pipeline"), "user namespaces come last");
        const order = topoOrder(
            apps.map((a) => a.name),
            deps,
        );
        assert.strictEqual(order[0], "cert-manager");
        assert.strictEqual(order[order.length - 1], "user-namespace");
        assert.ok(order.indexOf("argo-crds-app") < order.indexOf("pipeline"));
        assert.strictEqual(phaseOf("some-new-app-of-2027"), phaseOf("pipeline"), "unknown apps are Kubeflow apps");
    });

    it("refuses apps that need each other, naming both", () => {
        const apps = [
            { name: "a", objects: [crd("x.io", "X"), obj("y.io/v1", "Y", "y")] },
            { name: "b", objects: [crd("y.io", "Y"), obj("x.io/v1", "X", "x")] },
        ];
        assert.throws(() => planApps(apps), /apps a and b depend on each other/);
    });

    it("registers an object rendered by two apps once, with a warning naming both", () => {
        const shared = obj("v1", "Namespace", "kubeflow");
        const { apps, warnings } = dedupe([
            { name: "first", objects: [shared] },
            { name: "second", objects: [shared, obj("v1", "ConfigMap", "c", "kubeflow")] },
        ]);
        assert.deepStrictEqual(
            apps.map((a) => a.objects.length),
            [1, 1],
        );
        assert.deepStrictEqual(warnings, ["Namespace kubeflow is rendered by apps first and second; registered once, by first"]);
    });
});

describe("registration order inside an app", () => {
    const webhook = obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "hook");
    const x = obj("apps/v1", "Deployment", "x");
    const y = obj("apps/v1", "Deployment", "y", "n");
    const n = obj("v1", "Namespace", "n");
    const widgetCrd = obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com", undefined, {
        spec: { group: "example.com", names: { kind: "Widget" } },
    });
    const widget = obj("example.com/v1", "Widget", "w", "n");
    const all = [webhook, x, y, n, widgetCrd, widget];

    /** A small deterministic PRNG (mulberry32), so a failure names a seed that reproduces it. */
    function shuffled<T>(items: T[], seed: number): T[] {
        let a = seed;
        const random = () => {
            a = (a + 0x6d2b79f5) | 0;
            let t = Math.imul(a ^ (a >>> 15), 1 | a);
            t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
            return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        };
        const out = [...items];
        for (let i = out.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [out[i], out[j]] = [out[j], out[i]];
        }
        return out;
    }

    it("puts every object after everything it depends on, for any input order", () => {
        for (let seed = 1; seed <= 200; seed++) {
            const input = shuffled(all, seed);
            const plan = planApp(input);
            const order = registrationOrder(input, plan).map(objectKey);
            assert.strictEqual(new Set(order).size, all.length, `seed ${seed}: every object once`);
            for (const [key, deps] of plan) for (const d of deps) assert.ok(order.indexOf(d) < order.indexOf(key), `seed ${seed}: ${key} after ${d}`);
            assert.ok(order.indexOf(objectKey(n)) < order.indexOf(objectKey(y)), `seed ${seed}: y after its Namespace`);
        }
    });

    it("closes an app with an object nothing depends on, from which every object is reached, for any input order", () => {
        for (let seed = 1; seed <= 200; seed++) {
            const input = shuffled(all, seed);
            const plan = planApp(input);
            const key = appRegistration(input).closing;
            assert.ok(key, `seed ${seed}: an app with objects has a closing object`);
            assert.ok(![...plan.values()].some((deps) => deps.includes(key)), `seed ${seed}: nothing in the app depends on ${key}`);
            // What the component gives it: its own dependencies and the other loose ends; through them, everything.
            const ends = looseEnds(registrationOrder(input, plan), plan);
            assert.strictEqual(objectKey(ends[ends.length - 1]), key, `seed ${seed}: the last loose end`);
            const needed = new Set([...plan.values()].flat());
            assert.deepStrictEqual(
                ends.map(objectKey).sort(),
                input
                    .map(objectKey)
                    .filter((k) => !needed.has(k))
                    .sort(),
                `seed ${seed}: exactly what nothing needs`,
            );
            const reached = new Set<string>();
            const walk = (k: string) => {
                if (reached.has(k)) return;
                reached.add(k);
                for (const d of plan.get(k) ?? []) walk(d);
            };
            for (const o of ends) walk(objectKey(o));
            assert.strictEqual(reached.size, all.length, `seed ${seed}: every object is behind a loose end`);
        }
        assert.strictEqual(appRegistration([]).closing, undefined);
    });

    it("keeps the app's own order where nothing depends on anything", () => {
        const free = [obj("v1", "ConfigMap", "c"), obj("v1", "Secret", "s"), obj("v1", "ServiceAccount", "a")];
        assert.deepStrictEqual(registrationOrder(free, planApp(free)), free);
    });

    it("names the objects of a cycle", () => {
        const a = obj("v1", "ConfigMap", "a");
        const b = obj("v1", "ConfigMap", "b");
        const plan = new Map([
            [objectKey(a), [objectKey(b)]],
            [objectKey(b), [objectKey(a)]],
        ]);
        assert.throws(() => registrationOrder([a, b], plan), /cycle: v1\/ConfigMap\/\/a → v1\/ConfigMap\/\/b → v1\/ConfigMap\/\/a/);
    });
});
