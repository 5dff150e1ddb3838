/** lib/plan/registration: names, order and waits the components register with. */
import * as assert from "assert";
import { InputError, K8sObject } from "../../../lib/core";
import { appRegistration, imageResourcesOf, objectResourceName, waitGraph } from "../../../lib/plan";

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra: Record<string, unknown> = {}): K8sObject =>
    ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...extra }) as K8sObject;

describe("registration", () => {
    it("names every object by one rule: the component, then namespace/name", () => {
        assert.equal(objectResourceName("kf-istio", obj("v1", "Service", "gw", "istio-system")), "kf-istio-istio-system/gw");
        assert.equal(objectResourceName("kf-storage", obj("v1", "PersistentVolume", "pv1")), "kf-storage-pv1");
    });

    it("registers each object after what it waits for, the closing object last and after every loose end", () => {
        const ns = obj("v1", "Namespace", "kubeflow");
        const a = obj("v1", "ConfigMap", "a", "kubeflow");
        const b = obj("v1", "ConfigMap", "b", "kubeflow");
        const r = appRegistration([a, b, ns], { "pulumi.com/skipAwait": "true" });
        const keys = r.steps.map((s) => s.key);
        assert.ok(keys.indexOf("v1/Namespace/kubeflow") < keys.indexOf("v1/ConfigMap/kubeflow/a"));
        assert.equal(r.closing, keys[keys.length - 1]);
        const last = r.steps[r.steps.length - 1];
        const others = r.steps.slice(0, -1).filter((s) => ![...r.dependencies.values()].flat().includes(s.key));
        for (const o of others) assert.ok(last.dependsOn.includes(o.key), `the closing object waits for the loose end ${o.key}`);
        for (const s of r.steps) assert.equal((s.object.metadata.annotations as Record<string, string>)["pulumi.com/skipAwait"], "true");
        assert.equal(appRegistration([]).closing, undefined);
    });

    it("an app without objects passes its dependencies on; the platform is done with the apps nobody waits for", () => {
        const g = waitGraph([
            { name: "cert-manager", dependsOn: [], hasObjects: true },
            { name: "empty", dependsOn: ["cert-manager"], hasObjects: false },
            { name: "istio", dependsOn: ["empty"], hasObjects: true },
            { name: "pipelines", dependsOn: ["istio", "cert-manager"], hasObjects: true },
            { name: "tail", dependsOn: ["istio"], hasObjects: false },
        ]);
        assert.deepEqual(g.waitsFor.get("istio"), ["cert-manager"]);
        assert.deepEqual(g.waitsFor.get("pipelines"), ["istio", "cert-manager"]);
        assert.deepEqual(g.done.sort(), ["istio", "pipelines"]);
    });

    it("each image of an app has its mirror resource, or the error names it", () => {
        const mirrored = new Map([["docker.io/library/busybox:1.28", "r1"]]);
        assert.deepEqual(imageResourcesOf(["busybox:1.28"], mirrored), ["r1"]);
        assert.throws(
            () => imageResourcesOf(["quay.io/x/y:1"], mirrored),
            (e: unknown) => e instanceof InputError && /quay\.io\/x\/y:1/.test(e.message),
        );
    });
});
