import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { kustomizationPaths } from "../../../lib/render";
import { appNameOf, readCatalog, readExample } from "../../../lib/source";
import { K8sObject } from "../../../lib/core";
import { partitionExample } from "../../../lib/render";
import { tempDir } from "../../support/helpers";

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

    it("reads a release with another layout the same way (applications/, no version in istio, PSS on by default)", () => {
        const dir = tempDir("release");
        const example = [
            "../common/istio/istio-crds/base",
            "../applications/pipeline/upstream/env/platform-agnostic",
            "../applications/trainer/overlays",
            "../applications/profiles/pss",
        ];
        for (const e of example) {
            fs.mkdirSync(path.join(dir, "example", e), { recursive: true });
            fs.writeFileSync(path.join(dir, "example", e, "kustomization.yaml"), "resources: []\n");
        }
        fs.mkdirSync(path.join(dir, "example"), { recursive: true });
        // As the example of releases after 1.10: the dynamic Pod Security component is active.
        fs.writeFileSync(
            path.join(dir, "example", "kustomization.yaml"),
            jsyaml.dump({ sortOptions: { order: "legacy" }, resources: example, components: ["../common/security/PSS/dynamic/baseline"] }),
        );
        const read = readExample(dir);
        assert.deepStrictEqual(
            read.apps.map((a) => a.name),
            ["istio-crds", "pipeline", "trainer", "profiles"],
        );
        assert.deepStrictEqual(read.wideFields, ["components"], "rendered whole as well, so that every app gets it");
    });

    it("reports a manifests folder that is not a release", () => {
        assert.throws(() => readCatalog("/nonexistent"), /does not exist; set kfstack:manifests\.path/);
        assert.throws(() => readCatalog(tempDir("empty")), /has no kustomization\.yaml; kfstack:manifests\.path must be the root/);
    });
});

describe("example-wide fields", () => {
    const doc = (kind: string, name: string, extra: object = {}) => ({
        value: { apiVersion: "v1", kind, metadata: { name, namespace: "kubeflow", ...extra } },
    });

    it("gives each app its objects from the whole render: by identity, generated names by stem, removed ones dropped", () => {
        const apps = [
            { name: "a", documents: [doc("ConfigMap", "cfg-h2k4m6b8d9"), doc("Service", "svc")] },
            { name: "b", documents: [doc("Service", "gone"), doc("Secret", "s")] },
        ];
        const whole = [
            doc("Service", "svc", { labels: { x: "y" } }),
            doc("ConfigMap", "cfg-t7g5f4c2b9", { labels: { x: "y" } }),
            doc("Secret", "s", { labels: { x: "y" } }),
        ];
        const parts = partitionExample(apps, whole, "example/kustomization.yaml");
        assert.deepStrictEqual(
            parts.map((p) => p.map((d) => (d.value as K8sObject).metadata.name)),
            [["cfg-t7g5f4c2b9", "svc"], ["s"]],
        );
        assert.ok(
            parts.flat().every((d) => (d.value as K8sObject).metadata.labels),
            "the whole render's content",
        );
        assert.throws(
            () => partitionExample(apps, [...whole, doc("Service", "gone"), doc("Service", "new")], "example/kustomization.yaml"),
            /example\/kustomization\.yaml adds 1 object\(s\) that no app renders \(v1\/Service\/kubeflow\/new\)/,
        );
        const moved = whole.map((d) => ({ value: { ...d.value, metadata: { ...d.value.metadata, namespace: "elsewhere" } } }));
        assert.throws(
            () => partitionExample(apps, moved, "example/kustomization.yaml"),
            /renames or moves objects the apps render \(v1\/ConfigMap\/kubeflow\/cfg-h2k4m6b8d9 \(app a\), .*namespace in each app's overlay/,
        );
    });
});

describe("the inputs of a kustomization", () => {
    it("are the fields kustomize reads as paths, and nothing else", () => {
        const paths = kustomizationPaths({
            resources: ["a.yaml", "../base"],
            components: ["../c"],
            patches: [{ path: "p.yaml" }, { patch: "inline: true" }],
            patchesStrategicMerge: ["psm.yaml", "kind: X\nmetadata: {name: inline}\n"],
            patchesJson6902: [{ path: "j.yaml" }],
            configMapGenerator: [{ files: ["k=f.txt", "g.txt"], envs: ["e.env"] }],
            secretGenerator: [{ env: "s.env" }],
            replacements: [{ path: "r.yaml" }, { source: { fieldPath: "x" }, targets: [{ options: { delimiter: "/" } }] }],
            crds: ["crd.json"],
            configurations: ["conf.yaml"],
            openapi: { path: "schema.json" },
            helmCharts: [{ name: "x", valuesFile: "v.yaml" }],
            commonAnnotations: { home: "/" },
            namespace: "/",
        });
        assert.deepStrictEqual(
            paths.sort(),
            [
                "../base",
                "../c",
                "a.yaml",
                "charts",
                "conf.yaml",
                "crd.json",
                "e.env",
                "f.txt",
                "g.txt",
                "j.yaml",
                "p.yaml",
                "psm.yaml",
                "r.yaml",
                "s.env",
                "schema.json",
                "v.yaml",
            ].sort(),
        );
    });
});
