/** lib/onprem/storage: one pre-bound volume per claim the release makes. */
import * as assert from "assert";
import { defaultsOf, SCHEMA } from "../../../lib/config";
import { InputError, K8sObject } from "../../../lib/core";
import { canBind, claimsOf, persistentVolumes, quantityBytes, StorageSettings } from "../../../lib/onprem";

const pvc = (ns: string, name: string, storage: string, extra: Record<string, unknown> = {}): K8sObject =>
    ({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name, namespace: ns },
        spec: { resources: { requests: { storage } }, ...extra },
    }) as K8sObject;
const sts: K8sObject = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", namespace: "kubeflow" },
    spec: {
        replicas: 2,
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "5Gi" } }, accessModes: ["ReadWriteOnce"] } }],
    },
} as K8sObject;
const settings = (over: Partial<StorageSettings> = {}): StorageSettings => ({ ...(defaultsOf(SCHEMA.storage) as StorageSettings), node: "n1", ...over });

describe("on-prem storage", () => {
    it("reads quantities as the API server does", () => {
        assert.equal(quantityBytes("10Gi"), 10 * 2 ** 30);
        assert.equal(quantityBytes("500M"), 5e8);
        assert.equal(quantityBytes("1.5Ki"), 1536);
        assert.equal(quantityBytes("ten"), undefined);
    });

    it("finds each claim, a StatefulSet's by the controller's <template>-<set>-<ordinal> rule", () => {
        const claims = claimsOf([pvc("kubeflow", "minio-pvc", "20Gi"), sts, pvc("other", "fast", "1Gi", { storageClassName: "ssd" })]);
        assert.deepEqual(
            claims.map((c) => `${c.namespace}/${c.name} ${c.request} ${c.from}`),
            [
                "kubeflow/data-db-0 5Gi StatefulSet db",
                "kubeflow/data-db-1 5Gi StatefulSet db",
                "kubeflow/minio-pvc 20Gi PersistentVolumeClaim",
                "other/fast 1Gi PersistentVolumeClaim",
            ],
        );
    });

    it("pre-binds one volume to each claim of the static class, and it binds to no other claim", () => {
        const claims = claimsOf([pvc("kubeflow", "minio-pvc", "20Gi"), sts, pvc("other", "fast", "1Gi", { storageClassName: "ssd" })]);
        const pvs = persistentVolumes(claims, settings());
        assert.equal(pvs.length, 3, "the claim of another class is not served");
        const cls = settings().staticClass;
        for (const pv of pvs) {
            const bound = claims.filter((c) => c.storageClassName === undefined && canBind(pv, c, cls));
            assert.equal(bound.length, 1, `${pv.metadata.name} binds exactly one claim`);
        }
        const minio = pvs.find((p) => (p.spec as any).claimRef.name === "minio-pvc") as K8sObject;
        assert.deepEqual((minio.spec as any).local, { path: `${settings().basePath}/kubeflow/minio-pvc` });
    });

    it("reports every wrong claim setting at once, naming its key", () => {
        const claims = claimsOf([pvc("kubeflow", "minio-pvc", "20Gi"), sts]);
        assert.throws(
            () =>
                persistentVolumes(
                    claims,
                    settings({ claims: { "kubeflow/minio-pvc": { size: "1Gi" }, "kubeflow/nope": {}, "kubeflow/data-db-0": { size: "lots" } } }),
                ),
            (e: unknown) =>
                e instanceof InputError &&
                /3 storage problems/.test(e.message) &&
                /kfstack:storage\.claims\.kubeflow\/minio-pvc\.size 1Gi is smaller/.test(e.message) &&
                /kfstack:storage\.claims\.kubeflow\/nope names no claim/.test(e.message) &&
                /kubeflow\/data-db-0\.size "lots" is not a quantity/.test(e.message),
        );
        assert.throws(() => persistentVolumes(claims, settings({ node: undefined })), /kfstack:storage\.node is not set/);
        assert.equal(persistentVolumes(claims, settings({ node: undefined, volumeType: "hostPath" })).length, 3, "hostPath needs no node");
    });
});
