/**
 * The next `up` of a live stack made before the one object-naming rule (lib/plan/registration):
 * its storage and admission objects were registered under the old names. On the real engine
 * against a local API server, the stack is created with the old names, then the components as
 * they are now are previewed and applied: every object is `same` through its alias — nothing
 * created, deleted or replaced, the live objects keep their uids (a replaced PersistentVolume
 * would lose its binding; a replaced policy would leave a window with no policy).
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { startCluster, clusterBinariesPresent, Cluster } from "../../harness/apiserver";
import { startEngine, enginePresent, recordSteps, urnType, Engine } from "../../harness/engine";
import { nodelessDevConfig } from "../../harness/stacks";
import { ROOT } from "../../harness/paths";
import { K8sObject } from "../../lib/core";
import { parseSettings, kfstackConfig } from "../../lib/config";
import { planStorage, StoragePlan } from "../../lib/onprem";
import { ADMISSION_NAME, admissionObjects } from "../../lib/check";
import { objectResourceName, withAnnotations } from "../../lib/plan";
import { OnPremStorage } from "../../components/onprem";
import { MirrorAdmission } from "../../components/enforcement";
import { KubeObject } from "../../components/kubernetes";
import { needShared } from "../support/helpers";

/** A component as the old program registered it: its type and name, its children named as then. */
class Before extends pulumi.ComponentResource {
    constructor(type: string, name: string, children: [string, K8sObject][], annotations: Record<string, string>) {
        super(type, name, {}, {});
        const byName = new Map<string, KubeObject>();
        for (const [resourceName, o] of children) {
            const policy = o.kind === "ValidatingAdmissionPolicyBinding" ? byName.get((o.spec as { policyName: string }).policyName) : undefined;
            const r = new KubeObject(resourceName, withAnnotations(o, annotations), o.apiVersion, o.kind, { parent: this, dependsOn: policy ? [policy] : [] });
            byName.set(o.metadata.name, r);
        }
        this.registerOutputs({});
    }
}

const CLAIM: K8sObject = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data-renames", namespace: "kubeflow" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
} as K8sObject;

describe("the next up of a stack made before the one naming rule (real engine)", function () {
    this.timeout(600_000);
    let cluster: Cluster | undefined;
    let engine: Engine | undefined;
    let version: "before" | "now" = "before";
    let plan: StoragePlan;
    let admission: K8sObject[];
    const annotations = { "pulumi.com/skipAwait": "true" };
    const storageObjects = () => [plan.staticClass, ...plan.volumes, ...plan.provisioner];

    /** `Kind.group`, as kubectl names a resource type (`PersistentVolume`, `StorageClass.storage.k8s.io`). */
    const resourceType = (o: K8sObject) => (o.apiVersion.includes("/") ? `${o.kind}.${o.apiVersion.split("/")[0]}` : o.kind);
    const uids = (): Record<string, string> => {
        const out: Record<string, string> = {};
        for (const o of [...storageObjects(), ...admission]) {
            const ns = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
            out[`${o.kind}/${o.metadata.name}`] = cluster!.kubectl(["get", resourceType(o), o.metadata.name, ...ns, "-o", "jsonpath={.metadata.uid}"]).stdout;
        }
        return out;
    };

    before(async function () {
        needShared(this);
        if (!enginePresent() || !clusterBinariesPresent(true)) {
            if (process.env.KFSTACK_REQUIRE_E2E === "1") throw new Error("the engine pieces are not in .engine/bin: run scripts/build-engine.sh");
            this.skip();
        }
        const settings = parseSettings(kfstackConfig(nodelessDevConfig()), ROOT);
        plan = planStorage([CLAIM], settings.storage!, settings.mirror);
        admission = admissionObjects(ADMISSION_NAME, [settings.mirror], settings.admission);
        assert.ok(plan.volumes.length === 1 && plan.provisioner.length > 0 && admission.length > 0, "storage and admission objects to rename");
        cluster = await startCluster({ controllers: true });
        engine = await startEngine({
            cluster,
            stackName: "renames",
            config: {},
            program: async () => {
                if (version === "before") {
                    // The names the components gave before the rule: storage `<name>-<Kind>-...`, admission `<object>-policy|binding`.
                    new Before(
                        "kfstack:onprem:Storage",
                        "storage",
                        storageObjects().map((o) => [objectResourceName(`storage-${o.kind}`, o), o]),
                        annotations,
                    );
                    new Before(
                        "kfstack:enforcement:MirrorAdmission",
                        "admission",
                        admission.map((o) => [`${o.metadata.name}-${o.kind === "ValidatingAdmissionPolicy" ? "policy" : "binding"}`, o]),
                        annotations,
                    );
                } else {
                    new OnPremStorage("storage", { plan, protect: false, annotations });
                    new MirrorAdmission("admission", { objects: admission, annotations });
                }
            },
        });
    });

    after(async () => {
        try {
            await engine?.stack.destroy();
        } finally {
            await engine?.stop();
            await cluster?.stop();
        }
    });

    it("preview and up of the renamed components: every object the same, nothing created, deleted or replaced, same uids", async () => {
        const first = await engine!.stack.up();
        assert.equal(first.summary.result, "succeeded");
        const before = uids();
        assert.ok(
            Object.values(before).every((u) => /^[0-9a-f-]{36}$/.test(u)),
            JSON.stringify(before),
        );

        version = "now";
        const pre = recordSteps();
        await engine!.stack.preview({ onEvent: pre.onEvent });
        const objectOps = [...pre.steps.ops].filter(([urn]) => urnType(urn).startsWith("kubernetes:"));
        assert.equal(objectOps.length, storageObjects().length + admission.length, "every object is in the preview");
        assert.deepEqual(
            objectOps.filter(([, op]) => op !== "same"),
            [],
            "objects renamed by the rule are kept through their aliases",
        );

        const up = await engine!.stack.up();
        assert.equal(up.summary.result, "succeeded");
        const changes: Record<string, number> = { ...(up.summary.resourceChanges ?? {}) };
        for (const op of ["create", "delete", "replace", "create-replacement", "delete-replaced"])
            assert.equal(changes[op] ?? 0, 0, `${op}: ${JSON.stringify(changes)}`);
        assert.deepEqual(uids(), before, "the live objects are the same objects");

        const again = recordSteps();
        await engine!.stack.preview({ onEvent: again.onEvent });
        assert.ok(
            [...again.steps.ops].every(([, op]) => op === "same"),
            "a second preview shows nothing to do",
        );
    });
});
