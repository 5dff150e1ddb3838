import * as assert from "assert";
import * as fs from "fs";
import * as jsyaml from "js-yaml";
import { setImagePullPolicy, setSecureCookies, setStorageClass, setIngressServiceType, applyTransforms, transformsFor } from "../lib/transforms";
import { K8sObject, objectKey } from "../lib/catalog";
import { parseSettings, ConfigError } from "../lib/settings";
import { RENDERED_191 } from "./helpers";

const deployment = (): K8sObject => ({
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "kubeflow" },
    spec: { template: { spec: {
        initContainers: [{ name: "init", image: "a:1" }],
        containers: [{ name: "c", image: "b:1", imagePullPolicy: "Always", env: [{ name: "APP_SECURE_COOKIES", value: "true" }, { name: "OTHER", value: "true" }] }],
    } } },
} as any);

describe("transforms", () => {
    it("imagePullPolicy: every container of every pod spec, nothing else", () => {
        const d = deployment();
        assert.ok(setImagePullPolicy("IfNotPresent")(d));
        const spec = (d as any).spec.template.spec;
        assert.deepStrictEqual([spec.initContainers[0].imagePullPolicy, spec.containers[0].imagePullPolicy], ["IfNotPresent", "IfNotPresent"]);
        assert.ok(!setImagePullPolicy("IfNotPresent")(d), "idempotent");
        assert.ok(!setImagePullPolicy("IfNotPresent")({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { imagePullPolicy: "Always" } }));
    });

    it("secureCookies: the env value and the parameters ConfigMap keys, nothing else", () => {
        const d = deployment();
        assert.ok(setSecureCookies(false)(d));
        assert.deepStrictEqual((d as any).spec.template.spec.containers[0].env, [{ name: "APP_SECURE_COOKIES", value: "false" }, { name: "OTHER", value: "true" }]);
        const cm: any = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p" }, data: { JWA_APP_SECURE_COOKIES: "true", JWA_UI: "default" } };
        assert.ok(setSecureCookies(false)(cm));
        assert.deepStrictEqual(cm.data, { JWA_APP_SECURE_COOKIES: "false", JWA_UI: "default" });
    });

    it("storageClass: PVCs and StatefulSet claim templates", () => {
        const pvc: any = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "p" }, spec: { resources: {} } };
        const sts: any = { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "s" }, spec: { volumeClaimTemplates: [{ metadata: { name: "d" }, spec: {} }] } };
        assert.ok(setStorageClass("local-storage")(pvc) && setStorageClass("local-storage")(sts));
        assert.strictEqual(pvc.spec.storageClassName, "local-storage");
        assert.strictEqual(sts.spec.volumeClaimTemplates[0].spec.storageClassName, "local-storage");
        assert.ok(!setStorageClass("local-storage")(deployment()));
    });

    it("ingressServiceType: only the Istio ingress gateway Service", () => {
        const gw: any = { apiVersion: "v1", kind: "Service", metadata: { name: "istio-ingressgateway", labels: { istio: "ingressgateway" } }, spec: { type: "ClusterIP" } };
        const other: any = { apiVersion: "v1", kind: "Service", metadata: { name: "ml-pipeline" }, spec: { type: "ClusterIP" } };
        assert.ok(setIngressServiceType("NodePort")(gw));
        assert.ok(!setIngressServiceType("NodePort")(other));
        assert.deepStrictEqual([gw.spec.type, other.spec.type], ["NodePort", "ClusterIP"]);
    });

    it("istioJwtPolicy first-party-jwt on the real Istio 1.22 render: injector values, istiod env, istio-token volumes", () => {
        const objects = (jsyaml.loadAll(fs.readFileSync(RENDERED_191, "utf8")) as K8sObject[]).filter((o) => o && o.metadata.namespace === "istio-system");
        const report = applyTransforms(objects, { istioJwtPolicy: "first-party-jwt" }, objectKey).get("istioJwtPolicy") as string[];
        assert.ok(report.includes("v1/ConfigMap/istio-system/istio-sidecar-injector"));
        assert.ok(report.includes("apps/v1/Deployment/istio-system/istiod"));
        assert.ok(report.includes("apps/v1/Deployment/istio-system/istio-ingressgateway"));
        const injector: any = objects.find((o) => o.metadata.name === "istio-sidecar-injector");
        assert.strictEqual(JSON.parse(injector.data.values).global.jwtPolicy, "first-party-jwt");
        const istiod: any = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "istiod");
        assert.ok(istiod.spec.template.spec.containers[0].env.some((e: any) => e.name === "JWT_POLICY" && e.value === "first-party-jwt"));
        const gw: any = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "istio-ingressgateway");
        assert.ok(!JSON.stringify(gw.spec.template.spec).includes("istio-token"), "the projected token volume and its mounts are gone");
        const untouched = objects.filter((o) => !report.includes(objectKey(o)));
        assert.ok(untouched.some((o) => o.kind === "Service"), "Services are left alone");
    });

    it("turns on only what the settings name", () => {
        assert.deepStrictEqual(transformsFor({}).map(([n]) => n), []);
        const s = parseSettings({ manifests: { path: "/x" }, mirror: { registry: "r.io" }, cluster: { type: "eks" }, transforms: { imagePullPolicy: "IfNotPresent" } }, "/");
        assert.deepStrictEqual(transformsFor(s.transforms).map(([n]) => n), ["imagePullPolicy", "ingressServiceType"]);
        assert.strictEqual(s.transforms.ingressServiceType, "LoadBalancer", "EKS implies a LoadBalancer gateway");
    });
});

describe("stack config validation", () => {
    it("reports every problem together, each naming its key", () => {
        try {
            parseSettings({
                manifests: {},
                mirror: { registry: "https://registry.local" },
                cluster: { type: "gke" },
                transforms: { imagePullPolicy: "Sometimes", secureCookies: "no", storageClas: "x" },
                users: [{ email: "not-an-email" }],
                profiles: [{ name: "Bad_Name", owner: "a@b.c" }],
                mirorr: {},
            }, "/");
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            const keys = e.problems.map((p) => p.split(" ")[0].replace(/:$/, ""));
            assert.deepStrictEqual(keys.sort(), [
                "kfstack:cluster.type", "kfstack:manifests.path", "kfstack:mirror.registry", "kfstack:mirorr", "kfstack:profiles[0].name",
                "kfstack:transforms.imagePullPolicy", "kfstack:transforms.secureCookies", "kfstack:transforms.storageClas", "kfstack:users[0].email",
            ].sort());
            assert.match(e.message, /kfstack:mirorr is not a kfstack setting; did you mean kfstack:mirror\?/);
            assert.match(e.message, /kfstack:transforms\.storageClas is not a setting of kfstack:transforms; did you mean kfstack:transforms\.storageClass\?/);
            assert.match(e.message, /drop the URL scheme/);
        }
    });

    it("applies defaults with nothing but the two required keys", () => {
        const s = parseSettings({ manifests: { path: "m" }, mirror: { registry: "registry.local:5000/kf" } }, "/base");
        assert.strictEqual(s.manifests.path, "/base/m");
        assert.strictEqual(s.mirror.location, "registry.local:5000/kf");
        assert.strictEqual(s.cluster, "onprem");
        assert.deepStrictEqual(s.transforms, { imagePullPolicy: undefined, secureCookies: undefined, storageClass: undefined, ingressServiceType: undefined, istioJwtPolicy: undefined });
        assert.strictEqual(s.skipAwait, false);
    });
});
