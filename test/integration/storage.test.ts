/**
 * On-prem storage derived from the release (kubeflow/manifests v1.9.1, and an edited copy of
 * it whose claims differ): one PersistentVolume pre-bound to each claim, no claim able to
 * bind another's volume, the dynamic class the default, its images under the mirror; and
 * the component under mocks (volumes protected).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseSettings } from "../../lib/config";
import { preparePlatform } from "../../lib/plan";
import { canBind, Claim, planStorage, StoragePlan, quantityBytes } from "../../lib/onprem";
import { K8sObject } from "../../lib/core";
import { useMocks, recordRegistrations, settle, promise } from "../../harness/mocks";
import { OnPremStorage } from "../../components/onprem";
import { inventoryOf } from "../../lib/images";
import { needShared, tempDir, TREE_191 } from "../support/helpers";

const MIRROR = "registry.local:5000/kubeflow";

async function plan(tree: string, extra: Record<string, unknown> = {}): Promise<{ plan: StoragePlan; objects: K8sObject[] }> {
    const settings = parseSettings(
        {
            manifests: { path: tree },
            mirror: { registry: MIRROR },
            kustomize: { cacheDir: tempDir("storage-cache") },
            storage: { node: "node-1", claims: {} },
            ...extra,
        },
        "/",
    );
    const prepared = await preparePlatform(settings);
    const objects = prepared.apps.flatMap((a) => a.objects);
    return { plan: planStorage(objects, settings.storage!, settings.mirror), objects };
}

const ref = (pv: K8sObject) => `${(pv.spec as any).claimRef.namespace}/${(pv.spec as any).claimRef.name}`;

describe("on-prem storage from the release", function () {
    this.timeout(300_000);
    before(function () {
        needShared(this);
    });

    it("v1.9.1: one volume pre-bound to each claim, and no claim can bind another's", async () => {
        const { plan: p, objects } = await plan(TREE_191);
        assert.deepEqual(p.volumes.map(ref), ["kubeflow/katib-mysql", "kubeflow/minio-pvc", "kubeflow/mysql-pv-claim"]);
        // The claims, as registered: the PVC transform gave them the static class.
        const pvcs = objects.filter((o) => o.kind === "PersistentVolumeClaim");
        assert.ok(
            pvcs.every((c) => (c.spec as any).storageClassName === "local-storage"),
            "the claims name the volumes' class",
        );
        for (const pv of p.volumes) {
            const spec = pv.spec as any;
            const claim = p.claims.find((c) => `${c.namespace}/${c.name}` === ref(pv)) as Claim;
            assert.ok((quantityBytes(spec.capacity.storage) ?? 0) >= (quantityBytes(claim.request) ?? Infinity), "capacity ≥ request");
            assert.deepEqual(spec.accessModes, claim.accessModes);
            assert.equal(spec.persistentVolumeReclaimPolicy, "Retain");
            assert.deepEqual(spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], {
                key: "kubernetes.io/hostname",
                operator: "In",
                values: ["node-1"],
            });
            assert.equal(spec.local.path, `/var/lib/kubeflow/${claim.namespace}/${claim.name}`);
        }
        // Exclusivity, from the objects: a volume binds its own claim and no other.
        for (const pv of p.volumes) {
            for (const c of p.claims) {
                assert.equal(canBind(pv, c, "local-storage"), ref(pv) === `${c.namespace}/${c.name}`, `${pv.metadata.name} and ${c.namespace}/${c.name}`);
            }
        }
        // The dynamic class is the default, the static one is not; the provisioner pulls from the mirror.
        const classes = p.provisioner.filter((o) => o.kind === "StorageClass");
        assert.deepEqual(
            classes.map((c) => [c.metadata.name, (c.metadata.annotations as any)?.["storageclass.kubernetes.io/is-default-class"]]),
            [["local-path", "true"]],
        );
        assert.equal((p.staticClass.metadata as any).annotations, undefined);
        const images = inventoryOf(p.provisioner.map((o) => "---\n" + JSON.stringify(o)).join("\n"), "provisioner").findings.filter((f) => f.ref);
        assert.ok(images.length >= 2 && images.every((f) => f.ref!.name.startsWith(`${MIRROR}/`)), images.map((f) => f.reference).join(", "));
        assert.deepEqual(p.sourceImages.sort(), ["docker.io/library/busybox:1.37.0", "docker.io/rancher/local-path-provisioner:v0.0.31"]);
    });

    it("disabling an app removes its volume", async () => {
        const { plan: p } = await plan(TREE_191, { apps: { disabled: ["katib"] } });
        assert.deepEqual(p.volumes.map(ref), ["kubeflow/minio-pvc", "kubeflow/mysql-pv-claim"]);
    });

    it("a release whose claims differ gets the right volumes with no code change", async () => {
        const tree = path.join(tempDir("storage-tree"), "manifests");
        fs.cpSync(TREE_191, tree, { recursive: true });
        // A claim renamed (as minio-pvc became seaweedfs-pvc in later releases) ...
        const minio = path.join(tree, "apps/pipeline/upstream/third-party/minio/base/minio-pvc.yaml");
        fs.writeFileSync(minio, fs.readFileSync(minio, "utf8").replace("name: minio-pvc", "name: seaweedfs-pvc"));
        // ... one added, and a StatefulSet with volumeClaimTemplates and two replicas.
        const katib = path.join(tree, "apps/katib/upstream/components/mysql/pvc.yaml");
        fs.appendFileSync(
            katib,
            [
                "---",
                "apiVersion: v1",
                "kind: PersistentVolumeClaim",
                "metadata: {name: katib-extra}",
                "spec: {accessModes: [ReadWriteMany], resources: {requests: {storage: 5Gi}}}",
                "---",
                "apiVersion: apps/v1",
                "kind: StatefulSet",
                "metadata: {name: katib-db}",
                "spec:",
                "  replicas: 2",
                "  serviceName: katib-db",
                "  selector: {matchLabels: {app: katib-db}}",
                "  template:",
                "    metadata: {labels: {app: katib-db}}",
                "    spec: {containers: [{name: db, image: docker.io/library/mysql:8.0.29}]}",
                "  volumeClaimTemplates:",
                "  - metadata: {name: data}",
                "    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}",
                "",
            ].join("\n"),
        );
        const { plan: p } = await plan(tree, {
            storage: { node: "node-1", claims: { "kubeflow/katib-extra": { node: "node-2", path: "/data/extra", size: "8Gi" } } },
        });
        assert.deepEqual(p.volumes.map(ref), [
            "kubeflow/data-katib-db-0",
            "kubeflow/data-katib-db-1",
            "kubeflow/katib-extra",
            "kubeflow/katib-mysql",
            "kubeflow/mysql-pv-claim",
            "kubeflow/seaweedfs-pvc",
        ]);
        const extra = p.volumes.find((v) => ref(v) === "kubeflow/katib-extra")!.spec as any;
        assert.deepEqual(extra.accessModes, ["ReadWriteMany"]);
        assert.equal(extra.capacity.storage, "8Gi");
        assert.equal(extra.local.path, "/data/extra");
        assert.deepEqual(extra.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, ["node-2"]);
        fs.rmSync(path.dirname(tree), { recursive: true, force: true });
    });

    it("bad storage config: one error naming the key", async () => {
        await assert.rejects(plan(TREE_191, { storage: { claims: {} } }), /kfstack:storage\.node is not set .*local volume needs the node/);
        await assert.rejects(
            plan(TREE_191, { storage: { node: "n", claims: { "kubeflow/minio-pvc": { size: "1Gi" } } } }),
            /size 1Gi is smaller than the claim's request 20Gi/,
        );
        await assert.rejects(
            plan(TREE_191, { storage: { node: "n", claims: { "kubeflow/nope": {} } } }),
            /kfstack:storage\.claims\.kubeflow\/nope names no claim/,
        );
        assert.throws(
            () => parseSettings({ manifests: { path: "/m" }, mirror: { registry: MIRROR }, storage: { basePath: "relative", dynamic: "ceph" } }, "/"),
            (e: Error) => {
                assert.match(e.message, /kfstack:storage\.basePath "relative" must be an absolute path/);
                assert.match(e.message, /kfstack:storage\.dynamic is "ceph"/);
                return true;
            },
        );
        assert.throws(
            () =>
                parseSettings({ manifests: { path: "/m" }, mirror: { registry: MIRROR }, storage: { node: "n" }, transforms: { storageClass: "other" } }, "/"),
            /kfstack:transforms\.storageClass other differs from kfstack:storage\.staticClass local-storage/,
        );
    });

    it("OnPremStorage registers the class, protected volumes and the provisioner under mocks", async () => {
        const { plan: p } = await plan(TREE_191);
        const mocks = useMocks({}, {}, "unit");
        const registrations = recordRegistrations();
        const storage = new OnPremStorage("storage", { plan: p });
        assert.deepEqual(Object.keys(await promise(storage.volumes)).sort(), ["kubeflow/katib-mysql", "kubeflow/minio-pvc", "kubeflow/mysql-pv-claim"]);
        await settle();
        const pvs = registrations.filter((r) => r.type === "kubernetes:core/v1:PersistentVolume");
        assert.equal(pvs.length, 3);
        assert.ok(
            pvs.every((r) => r.protect),
            "deleting the stack never deletes the data",
        );
        assert.equal(mocks.kubernetes().length, storage.objectCount);
        const deployment = registrations.find((r) => r.type === "kubernetes:apps/v1:Deployment");
        const ns = registrations.find((r) => r.type === "kubernetes:core/v1:Namespace");
        assert.ok(deployment?.dependencies.includes(ns!.urn), "the provisioner after its namespace");
    });
});
