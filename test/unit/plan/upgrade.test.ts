import { strict as assert } from "assert";
import { K8sObject, droppedNamespaceOf, objectKey, withServerScope } from "../../../lib/core";
import {
    Owner,
    Registered,
    dataName,
    formatMarks,
    objectMarks,
    immutableFields,
    objectIndex,
    planUpgrade,
    readObjectIndex,
    schemaProblems,
    nextIndex,
    withoutInjectedCaBundles,
} from "../../../lib/plan";
import { parseSettings } from "../../../lib/config";
import { ConfigError } from "../../../lib/core";
import { widgetCrd } from "../../support/helpers";

const APP: Owner = { chain: "kfstack:kubeflow:Platform$kfstack:kubeflow:App", scope: "kubeflow" };
const STORAGE: Owner = { chain: "kfstack:onprem:Storage", scope: "storage" };
const NONE = { deleteData: [], replaceData: [] };

const deployment = (selector: string): K8sObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "ctl", namespace: "kubeflow" },
    spec: { selector: { matchLabels: { app: selector } }, template: { metadata: { labels: { app: selector } } } },
});
const claim = (name: string, cls = "local-storage"): K8sObject => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "kubeflow" },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: cls, resources: { requests: { storage: "20Gi" } } },
});
const crd = widgetCrd;
const widget = (spec: Record<string, unknown>): K8sObject => ({
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w", namespace: "kubeflow" },
    spec,
});
const at = (object: K8sObject, app = "a", owner = APP): Registered => ({ object, owner, app });

describe("upgrades in place (lib/plan/upgrade)", () => {
    it("a new stack or one an older kfstack made: nothing to plan", () => {
        const plan = planUpgrade(undefined, [at(deployment("x"))], NONE);
        assert.deepEqual([plan.objects.size, plan.kept.length, plan.notes.length, plan.problems.length], [0, 0, 0, 0]);
        assert.equal(readObjectIndex({ apps: ["a"] }), undefined);
        assert.equal(readObjectIndex("x"), undefined);
    });

    it("an object that moves to another app is the same resource, named as moved; to another component, an alias", () => {
        const before = objectIndex([at(claim("data"), "minio")]);
        const sameOwner = planUpgrade(before, [at(claim("data"), "seaweedfs")], NONE);
        assert.equal(sameOwner.objects.size, 0, "same URN: no alias");
        assert.deepEqual(sameOwner.notes, ["PersistentVolumeClaim/kubeflow/data: moved from app minio to app seaweedfs (the same resource)"]);
        const otherOwner = planUpgrade(before, [{ object: claim("data"), owner: STORAGE }], NONE);
        assert.deepEqual(otherOwner.objects.get(objectKey(claim("data")))?.from, { chain: APP.chain, name: "kubeflow-kubeflow/data" });
    });

    it("an immutable field that changes is a replacement under the object's own name, with the field; not dry-run at preview", () => {
        const plan = planUpgrade(objectIndex([at(deployment("x"))]), [at(deployment("y"))], NONE);
        assert.deepEqual(plan.objects.get(objectKey(deployment("y"))), { unknownInPreview: true });
        assert.match(plan.notes[0], /^Deployment kubeflow\/ctl: replaced under its own name \(spec\.selector\.matchLabels\.app cannot change in place\)/);
        assert.deepEqual(planUpgrade(objectIndex([at(deployment("x"))]), [at(deployment("x"))], NONE).objects.size, 0, "no change: nothing");
    });

    it("replacing a data object is refused, one problem per object, until kfstack:upgrade.replaceData names it", () => {
        const before = objectIndex([at(claim("data")), at(claim("logs"))]);
        const now = [at(claim("data", "fast")), at(claim("logs", "fast"))];
        const refused = planUpgrade(before, now, NONE);
        assert.equal(refused.problems.length, 2);
        assert.match(
            refused.problems[0],
            /PersistentVolumeClaim\/kubeflow\/data would be replaced \(spec\.storageClassName cannot change in place\), losing its volume's data \(20Gi\)/,
        );
        assert.match(refused.problems[0], /kfstack:upgrade\.replaceData/);
        const allowed = planUpgrade(before, now, { deleteData: [], replaceData: ["PersistentVolumeClaim/kubeflow/data"] });
        assert.equal(allowed.problems.length, 1);
        assert.ok(allowed.notes.some((n) => n.startsWith("PersistentVolumeClaim/kubeflow/data: replaced")));
        // A claim's size may grow in place.
        const bigger = { ...claim("data"), spec: { ...(claim("data").spec as object), resources: { requests: { storage: "50Gi" } } } };
        assert.equal(planUpgrade(before, [at(bigger), at(claim("logs"))], NONE).problems.length, 0);
    });

    it("data objects the release drops are kept, named with what they hold; deleted only when kfstack:upgrade.deleteData names them", () => {
        const volume: K8sObject = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv-data" }, spec: { capacity: { storage: "20Gi" } } };
        const before = objectIndex([
            at(claim("data")),
            at(crd({ size: { type: "integer" } })),
            at(deployment("x")),
            { object: volume, owner: STORAGE, protect: true },
        ]);
        const kept = planUpgrade(before, [], NONE);
        assert.deepEqual(kept.kept.map((k) => k.dataName).sort(), [
            "CustomResourceDefinition/widgets.example.com",
            "PersistentVolume/pv-data",
            "PersistentVolumeClaim/kubeflow/data",
        ]);
        assert.ok(
            kept.notes.some((n) =>
                n.includes("CustomResourceDefinition/widgets.example.com: not in this release; kept in the cluster with every Widget object"),
            ),
        );
        assert.equal(kept.kept.find((k) => k.dataName === "PersistentVolume/pv-data")?.protect, true);
        const deleting = planUpgrade(before, [], { deleteData: ["PersistentVolumeClaim/kubeflow/data", "PersistentVolume/pv-data"], replaceData: [] });
        assert.deepEqual(deleting.kept.map((k) => k.dataName).sort(), ["CustomResourceDefinition/widgets.example.com", "PersistentVolume/pv-data"]);
        assert.equal(deleting.kept.find((k) => k.dataName === "PersistentVolume/pv-data")?.protect, false, "a protected volume is unprotected first");
        assert.ok(deleting.notes.some((n) => n.startsWith("PersistentVolumeClaim/kubeflow/data: deleted")));
        // The kept objects carry on in the next index, under the kept component; a later release takes them back.
        const keptOwner: Owner = { chain: "kfstack:upgrade:KeptData", scope: "kept-data" };
        const next = nextIndex(objectIndex([]), kept, keptOwner);
        assert.equal(Object.keys(next.objects).length, 3);
        const back = planUpgrade(next, [at(claim("data"))], NONE);
        assert.deepEqual(back.objects.get(objectKey(claim("data")))?.from, { chain: keptOwner.chain, name: "kept-data-kubeflow/data" });
        assert.equal(back.kept.length, 2);
    });

    it("a custom resource changed with its CRD's schema is checked against the new schema and not dry-run against the old", () => {
        const before = objectIndex([at(crd({ size: { type: "integer" } })), at(widget({ size: 1 }))]);
        const plan = planUpgrade(before, [at(crd({ size: { type: "integer" }, color: { type: "string" } })), at(widget({ size: 2, color: "red" }))], NONE);
        assert.deepEqual(plan.objects.get(objectKey(widget({}))), { unknownInPreview: true });
        assert.deepEqual(plan.problems, []);
        const bad = planUpgrade(before, [at(crd({ size: { type: "integer" }, color: { type: "string" } })), at(widget({ size: "big", shade: 1 }))], NONE);
        assert.deepEqual(bad.problems, [
            "Widget kubeflow/w: .spec.size is string, the schema says integer in the new schema of CustomResourceDefinition widgets.example.com",
            "Widget kubeflow/w: .spec.shade: field not declared in the new schema of CustomResourceDefinition widgets.example.com",
        ]);
        assert.deepEqual(schemaProblems(widget({ size: 1 }), crd({ size: { type: "integer" } })), []);
    });

    it("a CRD version the release drops stays, not served", () => {
        const plan = planUpgrade(objectIndex([at(crd({}, ["v1", "v1alpha1"]))]), [at(crd({}, ["v1"]))], NONE);
        assert.deepEqual(plan.objects.get(objectKey(crd({})))?.keepVersions, ["v1alpha1"]);
        // The next index remembers it, so later updates keep it too.
        const now = objectIndex([at(crd({}, ["v1"]))]);
        assert.deepEqual(nextIndex(now, plan, { chain: "k", scope: "kept" }).objects[objectKey(crd({}))].v, ["v1", "v1alpha1"]);
    });

    it("data objects and immutable fields by kind, from the data", () => {
        assert.equal(dataName(claim("x")), "PersistentVolumeClaim/kubeflow/x");
        assert.equal(dataName(deployment("x")), undefined);
        assert.equal(
            dataName({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "s", namespace: "n" }, spec: {} }),
            undefined,
            "no claim templates: no data",
        );
        assert.deepEqual(
            immutableFields({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "b" }, roleRef: { name: "view" } }),
            {
                roleRef: { name: "view" },
            },
        );
        const secret = immutableFields({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, immutable: true, data: { password: "c2VjcmV0" } });
        assert.ok(!JSON.stringify(secret).includes("c2VjcmV0"), "the index holds a digest of immutable data, never the data");
    });

    it("cluster-scoped objects lose the namespace kustomize gave them; CA bundles are left to cert-manager", () => {
        const issuer: K8sObject = { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "i", namespace: "cert-manager" } };
        const issuerCrd: K8sObject = {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: "clusterissuers.cert-manager.io" },
            spec: { group: "cert-manager.io", scope: "Cluster", names: { kind: "ClusterIssuer" } },
        };
        const role: K8sObject = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "r", namespace: "kubeflow" } };
        const cm: K8sObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "kubeflow" } };
        withServerScope([issuer, issuerCrd, role, cm]);
        assert.deepEqual([issuer.metadata.namespace, role.metadata.namespace, cm.metadata.namespace], [undefined, undefined, "kubeflow"]);
        assert.equal(droppedNamespaceOf(issuer), "cert-manager");
        const hook: K8sObject = {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "MutatingWebhookConfiguration",
            metadata: { name: "h", annotations: { "cert-manager.io/inject-ca-from": "kubeflow/cert" } },
            webhooks: [{ name: "w", clientConfig: { caBundle: "Cg==", service: { name: "s" } } }],
        };
        assert.deepEqual((withoutInjectedCaBundles(hook).webhooks as any)[0].clientConfig, { service: { name: "s" } });
        const own = { ...hook, metadata: { name: "h" } };
        assert.equal(withoutInjectedCaBundles(own), own, "a bundle nobody injects is kept");
    });

    it("kfstack:upgrade.* names data objects, checked with the other settings", () => {
        const base = { manifests: { path: "/tmp" }, mirror: { registry: "registry.local:5000/kubeflow" } };
        assert.throws(
            () => parseSettings({ ...base, upgrade: { deleteData: ["Deployment/kubeflow/x", "PersistentVolumeClaim/data"], keep: true } }, "/"),
            (e: unknown) =>
                e instanceof ConfigError &&
                /kfstack:upgrade\.deleteData has "Deployment\/kubeflow\/x", "PersistentVolumeClaim\/data": not a data object/.test(e.message) &&
                /kfstack:upgrade\.keep/.test(e.message),
        );
        assert.deepEqual(parseSettings({ ...base, upgrade: { deleteData: ["CustomResourceDefinition/widgets.example.com"] } }, "/").upgrade, {
            deleteData: ["CustomResourceDefinition/widgets.example.com"],
            replaceData: [],
        });
    });
});

describe("kfstack diff's marks (objectMarks, formatMarks)", () => {
    const cm = (name: string, data: Record<string, string>): K8sObject => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, namespace: "kubeflow" },
        data,
    });
    it("marks each object: updated in place, replaced with its field, deleted, moved between apps, data kept or its replacement refused, created", () => {
        const before = [
            { name: "a", objects: [cm("same", { a: "1" }), cm("edited", { a: "1" }), cm("gone", {}), deployment("x"), claim("data"), claim("logs")] },
            { name: "b", objects: [cm("moving", { a: "1" })] },
        ];
        const after = [
            { name: "a", objects: [cm("same", { a: "1" }), cm("edited", { a: "2" }), deployment("y"), claim("logs", "fast"), cm("new", {})] },
            { name: "c", objects: [cm("moving", { a: "1" })] },
        ];
        const marks = objectMarks(before, after);
        const byName = new Map(marks.map((m) => [m.object.split("/").pop(), m]));
        assert.equal(byName.get("same"), undefined, "unchanged objects are left out");
        assert.equal(byName.get("edited")?.mark, "updated");
        assert.deepEqual(byName.get("ctl"), { object: "apps/v1/Deployment/kubeflow/ctl", mark: "replaced", fields: ["spec.selector.matchLabels.app"] });
        assert.equal(byName.get("gone")?.mark, "deleted");
        assert.deepEqual(byName.get("moving"), { object: "v1/ConfigMap/kubeflow/moving", mark: "same", moved: { from: "b", to: "c" } });
        assert.deepEqual(byName.get("data")?.data, { name: "PersistentVolumeClaim/kubeflow/data", holds: "its volume's data (20Gi)" });
        assert.equal(byName.get("data")?.mark, "kept");
        assert.equal(byName.get("logs")?.mark, "data-replaced");
        assert.equal(byName.get("new")?.mark, "created");
        const text = formatMarks(marks);
        assert.match(text, /replaced: Deployment kubeflow\/ctl — spec\.selector\.matchLabels\.app cannot change in place/);
        assert.match(text, /unchanged: ConfigMap kubeflow\/moving \(moved from app b to app c\)/);
        assert.match(
            text,
            /DATA: kept \(not in the new release\): PersistentVolumeClaim kubeflow\/data — holds its volume's data \(20Gi\); delete with kfstack:upgrade\.deleteData: PersistentVolumeClaim\/kubeflow\/data/,
        );
        assert.match(text, /DATA: replacement refused: PersistentVolumeClaim kubeflow\/logs — spec\.storageClassName cannot change in place — would lose/);
        assert.match(text, /1 created, 1 updated in place, 1 replaced, 1 deleted, 1 moved between apps, 2 with data at risk\n$/);
    });
});
