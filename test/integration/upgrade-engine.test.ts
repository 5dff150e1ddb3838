/**
 * Upgrades in place on the real engine: the dev stack on kubeflow/manifests v1.8.0, then
 * `kfstack:manifests` pointed at v1.9.1 and one `up`, then back to v1.8.0 (rollback) — against
 * etcd + kube-apiserver + kube-controller-manager (PV binder, workload controllers, garbage
 * collector) on 127.0.0.1. Asserted on the engine's events, the stack's outputs and the live
 * objects: every object of the new release live, every object only the old one had gone but
 * the data objects, which are kept and named; a clean preview after each `up`.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { startCluster, clusterBinariesPresent, Cluster } from "../../harness/apiserver";
import { startEngine, enginePresent, recordSteps, urnName, Engine, Steps } from "../../harness/engine";
import { engineConfig, nodelessDevConfig } from "../../harness/stacks";
import { ROOT, SHARED } from "../../harness/paths";
import { planExtras } from "../../lib/check";
import { parseSettings, kfstackConfig } from "../../lib/config";
import { K8sObject, droppedNamespaceOf, objectKey } from "../../lib/core";
import { dataName, objectResourceName, preparePlatform, pulumiAnnotations, withAnnotations } from "../../lib/plan";
import { KubeObject } from "../../components/kubernetes";
import { needShared, widgetCrd } from "../support/helpers";

const OLD = path.join(SHARED, "v1.8.0");
const POLICY = { policyPacks: [path.join(ROOT, "policies")], policyPackConfigs: [path.join(ROOT, "policies", "config.dev.json")] };
const NEW = path.join(SHARED, "v1.9.1");

/** The kfstack program (index.ts), as `pulumi up` runs it. */
const kfstack = async () => (require("../../index") as () => Promise<Record<string, unknown>>)();

/** The dev stack (nodeless) on a release. */
function configFor(tree: string, more: Record<string, unknown> = {}): Record<string, string> {
    const values: Record<string, string> = { ...nodelessDevConfig(), "kfstack:manifests": JSON.stringify({ path: tree }) };
    for (const [k, v] of Object.entries(more)) values[k] = JSON.stringify(v);
    return values;
}

/** Every object the program registers for a config: the platform's, the storage's, the admission's. */
async function objectsOf(values: Record<string, string>): Promise<K8sObject[]> {
    const settings = parseSettings(kfstackConfig(values), ROOT);
    const prepared = await preparePlatform(settings);
    const extras = planExtras(settings, prepared);
    return [...prepared.apps.flatMap((a) => a.objects), ...extras.storageObjects, ...extras.admission];
}

/** The engine's output, for people to read: tmp/kfstack-e2e-upgrade.log. */
const log = (line: string) => fs.appendFileSync(path.join(os.tmpdir(), "kfstack-e2e-upgrade.log"), line);

/** Skips without ../shared (and its v1.8.0 when `needOld`) or the engine pieces; CI (KFSTACK_REQUIRE_E2E) fails instead. */
function needUpgradeParts(ctx: Mocha.Context, needOld: boolean): void {
    needShared(ctx);
    if (needOld && !fs.existsSync(OLD)) ctx.skip();
    if (!enginePresent() || !clusterBinariesPresent(true)) {
        if (process.env.KFSTACK_REQUIRE_E2E === "1") throw new Error("the engine pieces are not in .engine/bin: run scripts/build-engine.sh");
        ctx.skip();
    }
}

/** Steps that change something (a StackReference read is not a change). */
function changes(steps: Steps): [string, string][] {
    return [...steps.ops].filter(([, op]) => !["same", "read", "refresh"].includes(op)).map(([u, op]) => [urnName(u), op]);
}

describe("e2e: upgrades in place on the real engine (kubeflow v1.8.0 → v1.9.1 → v1.8.0)", function () {
    this.timeout(40 * 60 * 1000);
    let cluster: Cluster | undefined;
    let engine: Engine | undefined;
    let oldObjects: K8sObject[] = [];
    let newObjects: K8sObject[] = [];

    before(async function () {
        needUpgradeParts(this, true);
        oldObjects = await objectsOf(configFor(OLD));
        newObjects = await objectsOf(configFor(NEW));
        cluster = await startCluster({ controllers: true });
        engine = await startEngine({ cluster, stackName: "upgrade", program: kfstack, config: engineConfig(configFor(OLD)) });
        // The program runs inline here; under `pulumi up` it runs with the CLI's environment, where
        // KUBECONFIG is the provider's (it asks that cluster how many objects a kept CRD holds).
        process.env.KUBECONFIG = cluster.kubeconfig;
    });

    after(async () => {
        delete process.env.KUBECONFIG;
        if (engine) await engine.stack.destroy().catch(() => undefined);
        await engine?.stop();
        await cluster?.stop();
    });

    /** `Kind.group` → live `namespace/name`s, one kubectl call per kind. */
    const liveNames = (objects: K8sObject[]): Set<string> => {
        const kinds = new Set(objects.map((o) => (o.apiVersion.includes("/") ? `${o.kind}.${o.apiVersion.split("/")[0]}` : o.kind)));
        const out = new Set<string>();
        for (const kind of kinds) {
            const r = cluster!.kubectl(["get", kind, "-A", "-o", 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}']);
            if (r.status !== 0) continue;
            for (const line of r.stdout.split("\n").filter(Boolean)) out.add(`${kind}|${line}`);
        }
        return out;
    };
    /** Whether the live set has the object: a namespace given to a cluster-scoped object is ignored by the server, an object without one lands in `default`. */
    const isLive = (live: Set<string>, o: K8sObject) => {
        const kind = o.apiVersion.includes("/") ? `${o.kind}.${o.apiVersion.split("/")[0]}` : o.kind;
        const ns = o.metadata.namespace;
        return [`${ns ?? ""}/${o.metadata.name}`, `/${o.metadata.name}`, ...(ns ? [] : [`default/${o.metadata.name}`])].some((n) => live.has(`${kind}|${n}`));
    };

    const upTo = async (tree: string) => {
        await engine!.stack.setAllConfig(engineConfig(configFor(tree)));
        const preview = recordSteps();
        const lines: string[] = [];
        const started = Date.now();
        await engine!.stack.preview({ onEvent: preview.onEvent, onOutput: (l) => (lines.push(l), log(l)) });
        const previewMs = Date.now() - started;
        const t = Date.now();
        const up = await engine!.stack.up({ onOutput: log });
        const upMs = Date.now() - t;
        assert.strictEqual(up.summary.result, "succeeded");
        const after = recordSteps();
        await engine!.stack.preview({ onEvent: after.onEvent, onOutput: log });
        assert.deepStrictEqual(changes(after.steps), [], "a clean preview after the up");
        log(`\n${path.basename(tree)}: preview ${previewMs} ms, up ${upMs} ms, ${JSON.stringify(up.summary.resourceChanges)}\n`);
        return { preview: preview.steps, text: lines.join(""), up, upMs };
    };

    it("installs v1.8.0", async () => {
        await upTo(OLD);
        const live = liveNames(oldObjects);
        const missing = oldObjects.filter((o) => !isLive(live, o)).map(objectKey);
        assert.deepStrictEqual(missing, []);
    });

    it("upgrades to v1.9.1 in one up: every v1.9.1 object live, v1.8.0-only objects gone but the data objects, kept and named", async () => {
        // A user's object of a kind whose CRD v1.9.1 drops (Knative Eventing's Broker).
        const broker = { apiVersion: "eventing.knative.dev/v1", kind: "Broker", metadata: { name: "users-broker", namespace: "default" } };
        assert.equal(cluster!.kubectl(["apply", "-f", "-"], JSON.stringify(broker)).status, 0);
        const { preview, text, up } = await upTo(NEW);
        assert.match(
            text,
            /CustomResourceDefinition\/brokers\.eventing\.knative\.dev: not in this release; kept in the cluster with every Broker object in the cluster \(deleting a CRD deletes them all\) \(1 object of its kind now\)/,
        );
        assert.equal(cluster!.kubectl(["get", "broker", "users-broker", "-n", "default"]).status, 0, "the user's Broker is still there");
        const live = liveNames([...oldObjects, ...newObjects]);
        assert.deepStrictEqual(newObjects.filter((o) => !isLive(live, o)).map(objectKey), [], "nothing of the new release is missing");
        const newKeys = new Set(newObjects.map(objectKey));
        const onlyOld = oldObjects.filter((o) => !newKeys.has(objectKey(o)));
        const keptData = onlyOld.filter((o) => dataName(o));
        const stillLive = onlyOld.filter((o) => isLive(live, o));
        assert.deepStrictEqual(stillLive.map(objectKey).sort(), keptData.map(objectKey).sort(), "only the data objects of the old release stay");
        const kept = (up.outputs.keptData?.value ?? []) as string[];
        assert.deepStrictEqual([...kept].sort(), keptData.map((o) => dataName(o) as string).sort(), "the stack names what it keeps");
        for (const name of kept) assert.ok(text.includes(`${name}: not in this release; kept in the cluster`), `the preview names ${name}`);
        // No CRD or claim of the old release deleted.
        const crdsAndClaims = oldObjects.filter((o) => o.kind === "CustomResourceDefinition" || o.kind === "PersistentVolumeClaim");
        assert.deepStrictEqual(crdsAndClaims.filter((o) => !isLive(live, o)).map(objectKey), []);
        // A moved object is one resource: never a create and a delete of the same Kubernetes object.
        const ops = changes(preview);
        const created = new Set(ops.filter(([, op]) => op === "create").map(([n]) => n));
        const deleted = ops.filter(([, op]) => op === "delete").map(([n]) => n);
        assert.deepStrictEqual(
            deleted.filter((n) => created.has(n)),
            [],
        );
    });

    it("rolls back to v1.8.0 in one up, with a clean preview after", async () => {
        await upTo(OLD);
        const live = liveNames(oldObjects);
        assert.deepStrictEqual(oldObjects.filter((o) => !isLive(live, o)).map(objectKey), [], "every v1.8.0 object live again");
    });
});

/** Writes a kustomize app folder: its objects, one file. */
function writeApp(dir: string, objects: Record<string, unknown>[]): string {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "objects.yaml"), objects.map((o) => JSON.stringify(o)).join("\n---\n") + "\n");
    fs.writeFileSync(path.join(dir, "kustomization.yaml"), "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - objects.yaml\n");
    return dir;
}

describe("e2e: an edited release on the real engine (a move, an immutable selector, a CRD field, a storage swap)", function () {
    this.timeout(20 * 60 * 1000);
    let cluster: Cluster | undefined;
    let engine: Engine | undefined;
    let dir = "";
    const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "demo" } };
    const moved = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "moved", namespace: "demo" }, data: { a: "1" } };
    const deployment = (app: string) => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "ctl", namespace: "demo" },
        spec: {
            // No pods to wait for: the stack awaits objects as people's stacks do (no kfstack:skipAwait).
            replicas: 0,
            selector: { matchLabels: { app } },
            template: { metadata: { labels: { app } }, spec: { containers: [{ name: "c", image: "registry.local:5000/kubeflow/ctl:1" }] } },
        },
    });
    const binding = (role: string) => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "demo-ctl" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
        subjects: [{ kind: "ServiceAccount", name: "default", namespace: "demo" }],
    });
    const crd = (fields: Record<string, unknown>) => widgetCrd(fields);

    const serviceAccount = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "worker", namespace: "demo" } };
    const widget = (spec: Record<string, unknown>) => ({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "demo" }, spec });
    const claim = (name: string, mode = "ReadWriteOnce") => ({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name, namespace: "demo" },
        spec: { accessModes: [mode], resources: { requests: { storage: "1Gi" } } },
    });

    /**
     * The stack config of one version of the edited release: its edited apps on v1.9.1, awaited as
     * people's stacks are (no kfstack:skipAwait: the provider waits for a replaced object to be
     * gone before it creates it again), nothing that needs a pod to be ready.
     */
    const version = (v: "a" | "b" | "refused" | "c" | "d") => {
        const one =
            v === "a"
                ? [ns, moved, deployment("a"), binding("view"), crd({ size: { type: "integer" } }), widget({ size: 1 })]
                : [ns, deployment("b"), binding("edit"), crd({ size: { type: "integer" }, color: { type: "string" } }), widget({ size: 2, color: "red" })];
        const apps = [
            { name: "one", path: writeApp(path.join(dir, v, "one"), one), after: [] },
            {
                name: "two",
                path: writeApp(
                    path.join(dir, v, "two"),
                    v === "a"
                        ? []
                        : v === "d"
                          ? [{ ...moved, data: { a: "2" } }, { ...moved, metadata: { name: "late", namespace: "demo" } }, serviceAccount]
                          : [moved],
                ),
                after: ["one"],
            },
            v === "a"
                ? { name: "store-a", path: writeApp(path.join(dir, v, "store-a"), [claim("data-a")]), after: ["one"] }
                : {
                      name: "store-b",
                      path: writeApp(path.join(dir, v, "store-b"), [claim("data-b", v === "refused" ? "ReadWriteMany" : "ReadWriteOnce")]),
                      after: ["one"],
                  },
        ];
        const storage = JSON.parse(nodelessDevConfig()["kfstack:storage"]);
        return configFor(NEW, {
            "kfstack:apps": { enabled: apps.map((a) => a.name), extra: apps },
            "kfstack:skipAwait": false,
            "kfstack:storage": { ...storage, dynamic: "none" },
            "kfstack:profiles": [],
            "kfstack:users": [],
            ...(v === "c" || v === "d"
                ? { "kfstack:upgrade": { deleteData: ["PersistentVolumeClaim/demo/data-a", "PersistentVolume/kfstack-demo-data-a"] } }
                : {}),
        });
    };

    before(async function () {
        needUpgradeParts(this, false);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-edited-"));
        cluster = await startCluster({ controllers: true, workloads: true });
        engine = await startEngine({ cluster, stackName: "edited", program: kfstack, config: engineConfig(version("a")) });
    });

    after(async () => {
        if (engine) await engine.stack.destroy().catch(() => undefined);
        await engine?.stop();
        await cluster?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const uid = (kind: string, name: string, namespace?: string) =>
        cluster!.kubectl(["get", kind, name, ...(namespace ? ["-n", namespace] : []), "-o", "jsonpath={.metadata.uid}"]).stdout;
    const cleanPreview = async () => {
        const after = recordSteps();
        await engine!.stack.preview({ onEvent: after.onEvent, onOutput: log });
        assert.deepStrictEqual(changes(after.steps), [], "a clean preview after the up");
    };

    it("installs the first version", async () => {
        const up = await engine!.stack.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
        await cleanPreview();
    });

    it("upgrades in one up: the move is one resource, the selector and roleRef replaced under their own names with the field, the CRD's new field used at once, the old claim and volume kept and named", async () => {
        const before = {
            moved: uid("configmap", "moved", "demo"),
            claim: uid("pvc", "data-a", "demo"),
            volume: uid("pv", "kfstack-demo-data-a"),
            ctl: uid("deployment", "ctl", "demo"),
        };
        assert.ok(
            Object.values(before).every((u) => u.length === 36),
            JSON.stringify(before),
        );
        await engine!.stack.setAllConfig(engineConfig(version("b")));
        const preview = recordSteps();
        const text: string[] = [];
        await engine!.stack.preview({ ...POLICY, onEvent: preview.onEvent, onOutput: (l) => (text.push(l), log(l)) });
        assert.deepStrictEqual(preview.steps.violations, [], "the policy pack (data-kept among them) passes the upgrade");
        const shown = text.join("");
        const ops = new Map(changes(preview.steps));
        const replaced = ["replace", "create-replacement", "delete-replaced"];
        assert.ok(replaced.includes(ops.get("kubeflow-demo/ctl") ?? ""), `Deployment: ${ops.get("kubeflow-demo/ctl")}`);
        assert.ok(replaced.includes(ops.get("kubeflow-demo-ctl") ?? ""), `ClusterRoleBinding: ${ops.get("kubeflow-demo-ctl")}`);
        assert.ok(!ops.has("kubeflow-demo/moved"), `the moved ConfigMap is unchanged: ${ops.get("kubeflow-demo/moved")}`);
        assert.match(shown, /Deployment demo\/ctl: replaced under its own name \(spec\.selector\.matchLabels\.app cannot change in place\)/);
        assert.match(shown, /ClusterRoleBinding demo-ctl: replaced under its own name \(roleRef\.name cannot change in place\)/);
        assert.match(shown, /ConfigMap demo\/moved: moved from app one to app two/);
        assert.match(shown, /Widget demo\/w: checked against the new schema of CustomResourceDefinition widgets\.example\.com/);
        assert.match(shown, /PersistentVolumeClaim\/demo\/data-a: not in this release; kept in the cluster with its volume's data \(1Gi\)/);
        assert.match(shown, /PersistentVolume\/kfstack-demo-data-a: not in this release; kept in the cluster/);
        assert.ok(!/retrying with name/.test(shown), "no replacement under a generated name");
        const up = await engine!.stack.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.equal(uid("configmap", "moved", "demo"), before.moved, "the moved object was never deleted");
        assert.equal(uid("pvc", "data-a", "demo"), before.claim, "the old claim is kept");
        assert.equal(uid("pv", "kfstack-demo-data-a"), before.volume, "its volume is kept");
        assert.notEqual(uid("deployment", "ctl", "demo"), before.ctl, "the Deployment was replaced");
        assert.equal(
            cluster!.kubectl(["get", "deployments", "-n", "demo", "-o", "name"]).stdout.trim(),
            "deployment.apps/ctl",
            "under its own name, one of it",
        );
        assert.equal(cluster!.kubectl(["get", "deployment", "ctl", "-n", "demo", "-o", "jsonpath={.spec.selector.matchLabels.app}"]).stdout, "b");
        assert.equal(cluster!.kubectl(["get", "clusterrolebinding", "demo-ctl", "-o", "jsonpath={.roleRef.name}"]).stdout, "edit");
        assert.equal(cluster!.kubectl(["get", "widget", "w", "-n", "demo", "-o", "jsonpath={.spec.color}"]).stdout, "red");
        assert.ok(uid("pvc", "data-b", "demo").length === 36, "the new claim");
        assert.deepEqual([...((up.outputs.keptData?.value ?? []) as string[])].sort(), [
            "PersistentVolume/kfstack-demo-data-a",
            "PersistentVolumeClaim/demo/data-a",
        ]);
        await cleanPreview();
    });

    it("refuses, at preview, a change that would replace a claim, naming it and the setting that allows it", async () => {
        await engine!.stack.setAllConfig(engineConfig(version("refused")));
        const text: string[] = [];
        await assert.rejects(engine!.stack.preview({ onOutput: (l) => (text.push(l), log(l)) }));
        assert.match(
            text.join(""),
            /PersistentVolumeClaim\/demo\/data-b would be replaced \(spec\.accessModes\[0\] cannot change in place\), losing its volume's data \(1Gi\); keep the field as it is, or add "PersistentVolumeClaim\/demo\/data-b" to kfstack:upgrade\.replaceData/,
        );
    });

    it("data-kept, on the real engine, refuses an update that deletes a kept claim its allowances do not name", async () => {
        // A program whose allowances say nothing while it drops the kept claim and volume: the policy's
        // view (the stack's last index from the StackReference, the allowances from the first KeptData)
        // disagrees with what the engine is given, and the preview fails.
        await engine!.stack.setAllConfig(engineConfig(version("c")));
        // What the stack's KeptData records of the last update's data objects (read back from the state).
        const lastData = async () => {
            const state = (await engine!.stack.exportStack()).deployment.resources as { type: string; outputs?: { before?: unknown } }[];
            return state.find((r) => r.type === "kfstack:upgrade:KeptData")?.outputs?.before;
        };
        const checked = recordSteps();
        const silentAllowances = async () => {
            const outputs = await kfstack();
            // The allowances as a program that lost them would record them: none.
            new (class extends pulumi.ComponentResource {
                constructor(before: unknown) {
                    super("kfstack:upgrade:KeptData", "allowances", {});
                    this.registerOutputs({ allow: { deleteData: [], replaceData: [] }, before });
                }
            })(await lastData());
            return outputs;
        };
        await assert.rejects(engine!.stack.preview({ ...POLICY, program: silentAllowances, onEvent: checked.onEvent, onOutput: log }));
        // The engine's message is the policy's description, then the violation.
        const refused = checked.steps.violations.filter((v) => v[0] === "data-kept").map((v) => v[2].trim().split("\n").pop() as string);
        assert.deepStrictEqual(refused.map((m) => m.split(" would")[0]).sort(), ["PersistentVolume/kfstack-demo-data-a", "PersistentVolumeClaim/demo/data-a"]);
        assert.match(refused[0], /would be deleted, and its (volume's )?data \(1Gi\) with it/);
    });

    it("deletes the kept claim and volume when kfstack:upgrade.deleteData names them", async () => {
        await engine!.stack.setAllConfig(engineConfig(version("c")));
        const checked = recordSteps();
        await engine!.stack.preview({ ...POLICY, onEvent: checked.onEvent, onOutput: log });
        assert.deepStrictEqual(checked.steps.violations, [], "deleting what kfstack:upgrade.deleteData names passes data-kept");
        const up = await engine!.stack.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.equal(up.outputs.keptData, undefined, "nothing kept any more");
        // The claim goes at once; its volume once the claim's protection finalizer lets the controller release it.
        assert.equal(cluster!.kubectl(["get", "pvc", "data-a", "-n", "demo"]).status, 1);
        assert.equal(cluster!.kubectl(["get", "pv", "kfstack-demo-data-a"]).status, 1);
        await cleanPreview();
    });

    it("an up that fails half-way (a webhook that times out) leaves nothing to hand-edit: the next up finishes", async () => {
        // A validating webhook for the demo namespace's ConfigMaps whose server accepts and never answers.
        const sockets: net.Socket[] = [];
        const hang = net.createServer((s) => sockets.push(s));
        await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
        const port = (hang.address() as net.AddressInfo).port;
        const webhook = {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingWebhookConfiguration",
            metadata: { name: "demo-hang" },
            webhooks: [
                {
                    name: "hang.demo.example.com",
                    clientConfig: { url: `https://127.0.0.1:${port}/validate` },
                    rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["configmaps"] }],
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "demo" } },
                    failurePolicy: "Fail",
                    timeoutSeconds: 2,
                    sideEffects: "None",
                    admissionReviewVersions: ["v1"],
                },
            ],
        };
        try {
            assert.equal(cluster!.kubectl(["apply", "-f", "-"], JSON.stringify(webhook)).status, 0);
            await engine!.stack.setAllConfig(engineConfig(version("d")));
            await assert.rejects(engine!.stack.up({ onOutput: log }), /context deadline exceeded|timeout|Timeout/);
            assert.equal(cluster!.kubectl(["get", "serviceaccount", "worker", "-n", "demo"]).status, 0, "what the webhook does not stop is applied");
            assert.equal(cluster!.kubectl(["get", "configmap", "late", "-n", "demo"]).status, 1, "what it stops is not");
        } finally {
            cluster!.kubectl(["delete", "validatingwebhookconfiguration", "demo-hang", "--ignore-not-found"]);
            for (const s of sockets) s.destroy();
            hang.close();
        }
        const up = await engine!.stack.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.equal(cluster!.kubectl(["get", "configmap", "late", "-n", "demo", "-o", "jsonpath={.data.a}"]).stdout, "1");
        assert.equal(cluster!.kubectl(["get", "configmap", "moved", "-n", "demo", "-o", "jsonpath={.data.a}"]).stdout, "2");
        await cleanPreview();
    });
});

/** A TCP relay to the API server that can drop every connection and refuse new ones: the API server gone, as the engine sees it. */
async function startRelay(kubeconfig: string): Promise<{ kubeconfig: string; cut: () => void; restore: () => void; close: () => void }> {
    const text = fs.readFileSync(kubeconfig, "utf8");
    const target = Number(/server: https:\/\/127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
    const sockets = new Set<net.Socket>();
    let down = false;
    const relay = net.createServer((client) => {
        if (down) return void client.destroy();
        const upstream = net.connect(target, "127.0.0.1");
        for (const s of [client, upstream]) {
            sockets.add(s);
            s.on("close", () => sockets.delete(s));
            s.on("error", () => undefined);
        }
        client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
    const port = (relay.address() as net.AddressInfo).port;
    const relayed = path.join(path.dirname(kubeconfig), "kubeconfig-relayed");
    fs.writeFileSync(relayed, text.replace(`https://127.0.0.1:${target}`, `https://127.0.0.1:${port}`), { mode: 0o600 });
    return {
        kubeconfig: relayed,
        cut: () => {
            down = true;
            for (const s of sockets) s.destroy();
        },
        restore: () => {
            down = false;
        },
        close: () => {
            for (const s of sockets) s.destroy();
            relay.close();
        },
    };
}

describe("e2e: an upgrade whose API server goes away half-way (kubeflow v1.8.0 → v1.9.1)", function () {
    this.timeout(20 * 60 * 1000);
    let cluster: Cluster | undefined;
    let engine: Engine | undefined;
    let relay: Awaited<ReturnType<typeof startRelay>> | undefined;

    before(async function () {
        needUpgradeParts(this, true);
        cluster = await startCluster({ controllers: true });
        relay = await startRelay(cluster.kubeconfig);
        engine = await startEngine({
            cluster,
            stackName: "gone",
            program: kfstack,
            config: engineConfig(configFor(OLD)),
            env: { KUBECONFIG: relay.kubeconfig },
        });
        const up = await engine.stack.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
    });

    after(async () => {
        relay?.restore();
        if (engine) await engine.stack.destroy().catch(() => undefined);
        relay?.close();
        await engine?.stop();
        await cluster?.stop();
    });

    it("the next up finishes what the interrupted one began, with nothing hand-edited; a clean preview after", async () => {
        await engine!.stack.setAllConfig(engineConfig(configFor(NEW)));
        // The API server goes away 8 s into the upgrade (of about 35 s) and comes back after the up gave up.
        const timer = setTimeout(() => relay!.cut(), 8000);
        await assert.rejects(engine!.stack.up({ onOutput: log }));
        clearTimeout(timer);
        relay!.restore();
        const again = await engine!.stack.up({ onOutput: log });
        assert.strictEqual(again.summary.result, "succeeded");
        const after = recordSteps();
        await engine!.stack.preview({ onEvent: after.onEvent, onOutput: log });
        assert.deepStrictEqual(changes(after.steps), [], "a clean preview after the finishing up");
        const newObjects = await objectsOf(configFor(NEW));
        const missing = newObjects.filter((o) => {
            const kind = o.apiVersion.includes("/") ? `${o.kind}.${o.apiVersion.split("/")[0]}` : o.kind;
            const ns = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
            return o.kind === "Deployment" && cluster!.kubectl(["get", kind, o.metadata.name, ...ns, "-o", "name"]).status !== 0;
        });
        assert.deepStrictEqual(missing.map(objectKey), [], "every Deployment of v1.9.1 is live");
    });
});

describe("e2e: the first up by this kfstack of a stack an older kfstack made (objects named by app)", function () {
    this.timeout(10 * 60 * 1000);
    let cluster: Cluster | undefined;
    let engine: Engine | undefined;
    let dir = "";
    let values: Record<string, string> = {};

    /** The program as kfstack before one name per Kubernetes identity: `kubeflow-<app>-<ns>/<name>`, a cluster-scoped object with its manifest's namespace, no objectIndex. */
    const older = async () => {
        const settings = parseSettings(kfstackConfig(values), ROOT);
        const prepared = await preparePlatform(settings);
        const provider = new k8s.Provider("k8s", {});
        const platform = new pulumi.ComponentResource("kfstack:kubeflow:Platform", "kubeflow", {}, { providers: { kubernetes: provider } });
        let previous: pulumi.Resource[] = [];
        for (const app of prepared.apps) {
            const component = new pulumi.ComponentResource("kfstack:kubeflow:App", `kubeflow-${app.name}`, {}, { parent: platform });
            for (const o of app.objects) {
                const ns = droppedNamespaceOf(o);
                const named = ns ? { metadata: { ...o.metadata, namespace: ns } } : o;
                const r = new KubeObject(
                    objectResourceName(`kubeflow-${app.name}`, named),
                    withAnnotations(o, pulumiAnnotations(settings)),
                    o.apiVersion,
                    o.kind,
                    {
                        parent: component,
                        dependsOn: previous,
                    },
                );
                previous = [r];
            }
        }
        return { appDigests: Object.fromEntries(prepared.apps.map((a) => [a.name, a.digest])) };
    };

    before(async function () {
        needUpgradeParts(this, false);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-older-"));
        const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "demo" } };
        // A cluster-scoped object kustomize gave a namespace to.
        const reader = {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "demo-reader", namespace: "demo" },
            rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
        };
        const cm = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "demo" }, data: { a: "1" } });
        const widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "demo" }, spec: { size: 1 } };
        const apps = [
            { name: "one", path: writeApp(path.join(dir, "one"), [ns, reader, cm("first"), widgetCrd({ size: { type: "integer" } }), widget]), after: [] },
            { name: "two", path: writeApp(path.join(dir, "two"), [cm("second")]), after: ["one"] },
        ];
        values = configFor(NEW, {
            "kfstack:apps": { enabled: ["one", "two"], extra: apps },
            "kfstack:admission": { enabled: false },
            "kfstack:profiles": [],
            "kfstack:users": [],
        });
        delete values["kfstack:storage"];
        cluster = await startCluster({ controllers: true });
        engine = await startEngine({ cluster, stackName: "older", program: older, config: engineConfig(values) });
        const up = await engine.stack.up({ onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
    });

    after(async () => {
        if (engine) await engine.stack.destroy().catch(() => undefined);
        await engine?.stop();
        await cluster?.stop();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("keeps every object: nothing created, deleted or replaced, the same uids; then the index is written and the next preview is clean", async () => {
        const uids = () =>
            ["configmap first -n demo", "configmap second -n demo", "clusterrole demo-reader", "widget w -n demo", "crd widgets.example.com"].map(
                (q) => cluster!.kubectl(["get", ...q.split(" "), "-o", "jsonpath={.metadata.uid}"]).stdout,
            );
        const before = uids();
        assert.ok(
            before.every((u) => u.length === 36),
            JSON.stringify(before),
        );
        const preview = recordSteps();
        await engine!.stack.preview({ program: kfstack, onEvent: preview.onEvent, onOutput: log });
        const kubernetes = changes(preview.steps).filter(([name]) => name.startsWith("kubeflow-"));
        assert.deepStrictEqual(
            kubernetes.filter(([, op]) => op !== "update"),
            [],
            "no object created, deleted or replaced",
        );
        const up = await engine!.stack.up({ program: kfstack, onOutput: log });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.deepStrictEqual(uids(), before, "the same live objects");
        assert.ok(up.outputs.objectIndex?.value, "the index for the next up");
        const after = recordSteps();
        await engine!.stack.preview({ program: kfstack, onEvent: after.onEvent, onOutput: log });
        assert.deepStrictEqual(changes(after.steps), []);
    });
});
