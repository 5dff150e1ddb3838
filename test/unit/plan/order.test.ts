import * as assert from "assert";
import { planApps, planApp, dedupe, topoOrder, phaseOf } from "../../../lib/plan";
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
