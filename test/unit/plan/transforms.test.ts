import * as assert from "assert";
import {
    addKnativeSkipTagResolving,
    setImagePullPolicy,
    setSecureCookies,
    setStorageClass,
    setIngressServiceType,
    transformsFor,
    withoutDroppedEmpties,
} from "../../../lib/plan";
import { K8sObject } from "../../../lib/core";
import { parseSettings } from "../../../lib/config";

const deployment = (): K8sObject =>
    ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: "kubeflow" },
        spec: {
            template: {
                spec: {
                    initContainers: [{ name: "init", image: "a:1" }],
                    containers: [
                        {
                            name: "c",
                            image: "b:1",
                            imagePullPolicy: "Always",
                            env: [
                                { name: "APP_SECURE_COOKIES", value: "true" },
                                { name: "OTHER", value: "true" },
                            ],
                        },
                    ],
                },
            },
        },
    }) as any;

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
        assert.deepStrictEqual((d as any).spec.template.spec.containers[0].env, [
            { name: "APP_SECURE_COOKIES", value: "false" },
            { name: "OTHER", value: "true" },
        ]);
        const cm: any = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p" }, data: { JWA_APP_SECURE_COOKIES: "true", JWA_UI: "default" } };
        assert.ok(setSecureCookies(false)(cm));
        assert.deepStrictEqual(cm.data, { JWA_APP_SECURE_COOKIES: "false", JWA_UI: "default" });
    });

    it("storageClass: PVCs and StatefulSet claim templates", () => {
        const pvc: any = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "p" }, spec: { resources: {} } };
        const sts: any = {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: "s" },
            spec: { volumeClaimTemplates: [{ metadata: { name: "d" }, spec: {} }] },
        };
        assert.ok(setStorageClass("local-storage")(pvc) && setStorageClass("local-storage")(sts));
        assert.strictEqual(pvc.spec.storageClassName, "local-storage");
        assert.strictEqual(sts.spec.volumeClaimTemplates[0].spec.storageClassName, "local-storage");
        assert.ok(!setStorageClass("local-storage")(deployment()));
    });

    it("ingressServiceType: only the Istio ingress gateway Service", () => {
        const gw: any = {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "istio-ingressgateway", labels: { istio: "ingressgateway" } },
            spec: { type: "ClusterIP" },
        };
        const other: any = { apiVersion: "v1", kind: "Service", metadata: { name: "ml-pipeline" }, spec: { type: "ClusterIP" } };
        assert.ok(setIngressServiceType("NodePort")(gw));
        assert.ok(!setIngressServiceType("NodePort")(other));
        assert.deepStrictEqual([gw.spec.type, other.spec.type], ["NodePort", "ClusterIP"]);
    });

    it("turns on only what the settings name", () => {
        assert.deepStrictEqual(
            transformsFor({}).map(([n]) => n),
            [],
        );
        const s = parseSettings(
            { manifests: { path: "/x" }, mirror: { registry: "r.io" }, cluster: { type: "eks" }, transforms: { imagePullPolicy: "IfNotPresent" } },
            "/",
        );
        assert.deepStrictEqual(
            transformsFor(s.transforms).map(([n]) => n),
            ["imagePullPolicy", "ingressServiceType", "knativeSkipTagResolving"],
        );
        assert.strictEqual(s.transforms.ingressServiceType, "LoadBalancer", "EKS implies a LoadBalancer gateway");
    });
});

describe("what is registered: empty fields the API server drops", () => {
    it("drops empty data of Secrets and ConfigMaps and empty rules of roles, nothing else", () => {
        const secret: K8sObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: {}, type: "kubernetes.io/tls" };
        assert.deepStrictEqual(withoutDroppedEmpties(secret), { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, type: "kubernetes.io/tls" });
        assert.ok("data" in secret, "the original is left as it was");
        const role: K8sObject = {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "r" },
            rules: [],
            aggregationRule: { clusterRoleSelectors: [] },
        };
        assert.deepStrictEqual(Object.keys(withoutDroppedEmpties(role)), ["apiVersion", "kind", "metadata", "aggregationRule"]);
        const full: K8sObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1" } };
        assert.strictEqual(withoutDroppedEmpties(full), full, "unchanged objects are not copied");
        const pod: K8sObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { volumes: [{ name: "v", emptyDir: {} }] } };
        assert.strictEqual(withoutDroppedEmpties(pod), pod, "an emptyDir: {} means something: kept");
    });

    it("adds the mirror to Knative's registries-skipping-tag-resolving, keeping what is there", () => {
        const cm = (data?: Record<string, string>) => ({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "config-deployment", namespace: "knative-serving" },
            ...(data ? { data } : {}),
        });
        const t = addKnativeSkipTagResolving("registry.local:5000");
        const fresh = cm({ "queue-sidecar-image": "x" });
        assert.equal(t(fresh), true);
        assert.equal((fresh.data as Record<string, string>)["registries-skipping-tag-resolving"], "kind.local,ko.local,dev.local,registry.local:5000");
        const custom = cm({ "registries-skipping-tag-resolving": "a.io, b.io" });
        assert.equal(t(custom), true);
        assert.equal((custom.data as Record<string, string>)["registries-skipping-tag-resolving"], "a.io,b.io,registry.local:5000");
        assert.equal(t(custom), false, "idempotent");
        const other = { ...cm({}), metadata: { name: "config-deployment", namespace: "other" } };
        assert.equal(t(other), false);
    });
});
