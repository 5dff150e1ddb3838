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
import * as os from "os";
import * as path from "path";
import { startCluster, clusterBinariesPresent, Cluster } from "../../harness/apiserver";
import { startEngine, enginePresent, recordSteps, urnName, Engine, Steps } from "../../harness/engine";
import { engineConfig, nodelessDevConfig } from "../../harness/stacks";
import { ROOT, SHARED } from "../../harness/paths";
import { planExtras } from "../../lib/check";
import { parseSettings, kfstackConfig } from "../../lib/config";
import { K8sObject, objectKey } from "../../lib/core";
import { dataName, preparePlatform } from "../../lib/plan";
import { needShared } from "../support/helpers";

const OLD = path.join(SHARED, "v1.8.0");
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
    const log = (line: string) => fs.appendFileSync(path.join(os.tmpdir(), "kfstack-e2e-upgrade.log"), line);

    before(async function () {
        needShared(this);
        if (!fs.existsSync(OLD)) this.skip();
        if (!enginePresent() || !clusterBinariesPresent(true)) {
            if (process.env.KFSTACK_REQUIRE_E2E === "1") throw new Error("the engine pieces are not in .engine/bin: run scripts/build-engine.sh");
            this.skip();
        }
        oldObjects = await objectsOf(configFor(OLD));
        newObjects = await objectsOf(configFor(NEW));
        cluster = await startCluster({ controllers: true });
        engine = await startEngine({ cluster, stackName: "upgrade", program: kfstack, config: engineConfig(configFor(OLD)) });
    });

    after(async () => {
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
        const { preview, text, up } = await upTo(NEW);
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
