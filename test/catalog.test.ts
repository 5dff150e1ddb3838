import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { appNameOf, readCatalog, planApps, planApp, dedupe, topoOrder, K8sObject, objectKey, phaseOf, partitionExample, readExample } from "../lib/catalog";
import { selectApps } from "../lib/platform";
import { parseSettings, ConfigError } from "../lib/settings";
import { TREE_191, tempDir } from "./helpers";

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra: object = {}): K8sObject =>
    ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...extra });
const crd = (group: string, kind: string) => obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", `${kind.toLowerCase()}s.${group}`, undefined, { spec: { group, names: { kind } } });

describe("app catalog", () => {
    it("names apps from their paths in every manifests layout (1.4 → 26.03), without a table", () => {
        const cases: [string, string][] = [
            ["../common/cert-manager/cert-manager/base", "cert-manager"],
            ["../common/istio-1-22/istio-install/overlays/oauth2-proxy", "istio-install"],
            ["../common/istio/istio-crds/base", "istio-crds"],
            ["../common/knative/knative-serving/overlays/gateways", "knative-serving"],
            ["../apps/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user", "pipeline"],
            ["../applications/pipeline/upstream/env/cert-manager/platform-agnostic-multi-user", "pipeline"],
            ["../apps/katib/upstream/installs/katib-with-kubeflow", "katib"],
            ["../apps/jupyter/jupyter-web-app/upstream/overlays/istio", "jupyter-web-app"],
            ["../applications/trainer/overlays", "trainer"],
            ["../applications/spark/spark-operator/overlays/kubeflow", "spark-operator"],
            ["../contrib/kserve/kserve", "kserve"],
            ["../applications/kserve/kserve", "kserve"],
            ["../common/dex/overlays/oauth2-proxy", "dex"],
            ["../common/oauth2-proxy/overlays/m2m-dex-only", "oauth2-proxy"],
            ["../common/user-namespace/base", "user-namespace"],
            ["../applications/profiles/pss", "profiles"],
            ["../apps/profiles/upstream/overlays/kubeflow", "profiles"],
            ["../experimental/ray/kuberay-operator/overlays/kubeflow", "kuberay-operator"],
            ["../common/cert-manager/base", "cert-manager"],
        ];
        for (const [entry, name] of cases) assert.strictEqual(appNameOf(entry), name, entry);
    });

    it("reads the apps of a release from its example kustomization", () => {
        const apps = readCatalog(TREE_191);
        assert.strictEqual(apps.length, 28);
        assert.strictEqual(new Set(apps.map((a) => a.name)).size, 28, "names are unique");
        assert.ok(apps.every((a) => fs.existsSync(path.join(a.path, "kustomization.yaml"))));
        assert.deepStrictEqual(apps.slice(0, 3).map((a) => a.name), ["cert-manager", "kubeflow-issuer", "istio-crds"]);
    });

    it("reads a release with another layout the same way (applications/, no version in istio, PSS on by default)", () => {
        const dir = tempDir("release");
        const example = ["../common/istio/istio-crds/base", "../applications/pipeline/upstream/env/platform-agnostic", "../applications/trainer/overlays", "../applications/profiles/pss"];
        for (const e of example) {
            fs.mkdirSync(path.join(dir, "example", e), { recursive: true });
            fs.writeFileSync(path.join(dir, "example", e, "kustomization.yaml"), "resources: []\n");
        }
        fs.mkdirSync(path.join(dir, "example"), { recursive: true });
        // As the example of releases after 1.10: the dynamic Pod Security component is active.
        fs.writeFileSync(path.join(dir, "example", "kustomization.yaml"), jsyaml.dump({ sortOptions: { order: "legacy" }, resources: example, components: ["../common/security/PSS/dynamic/baseline"] }));
        const read = readExample(dir);
        assert.deepStrictEqual(read.apps.map((a) => a.name), ["istio-crds", "pipeline", "trainer", "profiles"]);
        assert.deepStrictEqual(read.wideFields, ["components"], "rendered whole as well, so that every app gets it");
    });

    it("reports a manifests folder that is not a release", () => {
        assert.throws(() => readCatalog("/nonexistent"), /does not exist; set kfstack:manifests\.path/);
        assert.throws(() => readCatalog(tempDir("empty")), /has no kustomization\.yaml; kfstack:manifests\.path must be the root/);
    });
});

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
        const order = topoOrder(apps.map((a) => a.name), deps);
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
        const { apps, warnings } = dedupe([{ name: "first", objects: [shared] }, { name: "second", objects: [shared, obj("v1", "ConfigMap", "c", "kubeflow")] }]);
        assert.deepStrictEqual(apps.map((a) => a.objects.length), [1, 1]);
        assert.deepStrictEqual(warnings, ["Namespace kubeflow is rendered by apps first and second; registered once, by first"]);
    });

    it("reports unknown app names in the config together, naming each key", () => {
        const settings = parseSettings({ manifests: { path: TREE_191 }, mirror: { registry: "r.io" }, apps: { enabled: ["pipeline", "nope"], disabled: ["zzz"] } }, "/");
        assert.throws(() => selectApps(readCatalog(TREE_191), settings), (e: unknown) => e instanceof ConfigError && e.problems.length === 2
            && /kfstack:apps\.enabled\[1\] is "nope"/.test(e.message) && /kfstack:apps\.disabled\[0\] is "zzz"/.test(e.message));
        const only = parseSettings({ manifests: { path: TREE_191 }, mirror: { registry: "r.io" }, apps: { enabled: ["cert-manager", "pipeline"], disabled: ["pipeline"] } }, "/");
        assert.deepStrictEqual(selectApps(readCatalog(TREE_191), only).map((a) => a.name), ["cert-manager"]);
    });
});

describe("example-wide fields", () => {
    const doc = (kind: string, name: string, extra: object = {}) => ({ value: { apiVersion: "v1", kind, metadata: { name, namespace: "kubeflow", ...extra } } });

    it("lists the fields an example applies to all its apps, and none for v1.9.1's", () => {
        assert.deepStrictEqual(readExample(TREE_191).wideFields, [], "v1.9.1's components are commented out; sortOptions only orders");
        const dir = tempDir("example-fields");
        fs.mkdirSync(path.join(dir, "example"));
        fs.writeFileSync(path.join(dir, "example", "kustomization.yaml"), "resources: [../apps/a/base]\nsortOptions: {order: legacy}\ncomponents: [../pss]\npatches: []\nnamespace: ''\nlabels:\n- pairs: {a: b}\n");
        assert.deepStrictEqual(readExample(dir).wideFields, ["components", "labels"]);
    });

    it("gives each app its objects from the whole render: by identity, generated names by stem, removed ones dropped", () => {
        const apps = [
            { name: "a", documents: [doc("ConfigMap", "cfg-h2k4m6b8d9"), doc("Service", "svc")] },
            { name: "b", documents: [doc("Service", "gone"), doc("Secret", "s")] },
        ];
        const whole = [doc("Service", "svc", { labels: { x: "y" } }), doc("ConfigMap", "cfg-t7g5f4c2b9", { labels: { x: "y" } }), doc("Secret", "s", { labels: { x: "y" } })];
        const parts = partitionExample(apps, whole, "example/kustomization.yaml");
        assert.deepStrictEqual(parts.map((p) => p.map((d) => (d.value as K8sObject).metadata.name)), [["cfg-t7g5f4c2b9", "svc"], ["s"]]);
        assert.ok(parts.flat().every((d) => (d.value as K8sObject).metadata.labels), "the whole render's content");
        assert.throws(() => partitionExample(apps, [...whole, doc("Service", "gone"), doc("Service", "new")], "example/kustomization.yaml"),
            /example\/kustomization\.yaml adds 1 object\(s\) that no app renders \(v1\/Service\/kubeflow\/new\)/);
        const moved = whole.map((d) => ({ value: { ...d.value, metadata: { ...d.value.metadata, namespace: "elsewhere" } } }));
        assert.throws(() => partitionExample(apps, moved, "example/kustomization.yaml"),
            /renames or moves objects the apps render \(v1\/ConfigMap\/kubeflow\/cfg-h2k4m6b8d9 \(app a\), .*namespace in each app's overlay/);
    });
});
