/**
 * e2e on the real Pulumi engine: the dev stack (kubeflow/manifests v1.9.1, the full platform)
 * previewed, applied, drifted with kubectl exactly as users drift it, repaired and destroyed,
 * with the policy pack enforcing — the CLI and the Kubernetes provider built from Go modules,
 * against etcd + kube-apiserver + kube-controller-manager on 127.0.0.1 (harness/engine.ts).
 * Asserted on the engine's own events and on the live objects, not on mocks. No kubelet: the
 * test's stack skips waiting for pods and sets webhooks that no pod serves to Ignore.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import { startCluster, clusterBinariesPresent, Cluster } from "../../harness/apiserver";
import { startEngine, enginePresent, recordSteps, urnName, urnType, Engine } from "../../harness/engine";
import { engineConfig, nodelessDevConfig } from "../../harness/stacks";
import { ROOT } from "../../harness/paths";
import { planExtras } from "../../lib/check";
import { parseSettings, kfstackConfig } from "../../lib/config";
import { preparePlatform } from "../../lib/plan";
import { needShared } from "../support/helpers";

const POLICY = { policyPacks: [path.join(ROOT, "policies")], policyPackConfigs: [path.join(ROOT, "policies", "config.dev.json")] };
const MIRROR = "registry.local:5000/kubeflow";

/** The kfstack program (index.ts), as `pulumi up` runs it. */
const kfstack = async () => (require("../../index") as () => Promise<Record<string, unknown>>)();

/** The program with one Deployment added beside kfstack, not through its rewrite: a public image. */
const withRogueDeployment = async () => {
    const outputs = await kfstack();
    new k8s.apps.v1.Deployment("rogue", {
        metadata: { name: "rogue", namespace: "default" },
        spec: {
            selector: { matchLabels: { app: "rogue" } },
            template: { metadata: { labels: { app: "rogue" } }, spec: { containers: [{ name: "web", image: "docker.io/library/nginx:1.27" }] } },
        },
    });
    return outputs;
};

/** The resources a preview would change: `[logical name, op]`. */
function changes(steps: { ops: Map<string, string> }): [string, string][] {
    return [...steps.ops].filter(([, op]) => !["same", "refresh", "read"].includes(op)).map(([u, op]) => [urnName(u), op]);
}

describe("e2e: the real Pulumi engine on the dev stack (kubeflow v1.9.1)", function () {
    this.timeout(40 * 60 * 1000);
    let cluster: Cluster | undefined;
    let engine: Engine | undefined;
    let objectCount = 0;
    let destroyed = false;
    /** The engine's output goes to a log file (tmp/kfstack-e2e-engine.log): the figures for people to read. */
    let log: (line: string) => void = () => undefined;
    /** URN of a registered object, by its logical name. */
    let urns = new Map<string, string>();

    before(async function () {
        needShared(this);
        if (!enginePresent() || !clusterBinariesPresent(true)) {
            if (process.env.KFSTACK_REQUIRE_E2E === "1") throw new Error("the engine pieces are not in .engine/bin: run scripts/build-engine.sh");
            this.skip();
        }
        const values = nodelessDevConfig();
        const settings = parseSettings(kfstackConfig(values), ROOT);
        // The platform's objects, the mirror-only admission policies (on by default) and the storage.
        objectCount = planExtras(settings, await preparePlatform(settings)).objectCount;
        cluster = await startCluster({ controllers: true });
        engine = await startEngine({ cluster, program: kfstack, config: engineConfig(values) });
        log = (line: string) => fs.appendFileSync(path.join(os.tmpdir(), "kfstack-e2e-engine.log"), line);
    });

    after(async () => {
        if (engine && !destroyed) await engine.stack.destroy().catch(() => undefined);
        await engine?.stop();
        await cluster?.stop();
    });

    const live = (args: string[]) => {
        const r = cluster!.kubectl(args);
        return { ...r, json: r.status === 0 && r.stdout.trim().startsWith("{") ? JSON.parse(r.stdout) : undefined };
    };

    it("preview shows every object to create, and the policy pack passes the clean stack", async () => {
        const { onEvent, steps } = recordSteps();
        const result = await engine!.stack.preview({ ...POLICY, onEvent, onOutput: (l) => log(l) });
        const creates = [...steps.ops].filter(([urn, op]) => op === "create" && urnType(urn).startsWith("kubernetes:"));
        assert.strictEqual(creates.length, objectCount, "one create per object kfstack renders");
        // Nothing but creates (the program's StackReference to its own last update is a read, not a change).
        const ops = [...steps.ops.values()];
        assert.deepStrictEqual([...new Set(ops)].sort(), ["create", "read"], JSON.stringify([...steps.ops].filter(([, op]) => op !== "create")));
        // The engine leaves default providers (the StackReference's `pulumi` provider) out of its summary.
        const isDefaultProvider = (urn: string) => urnType(urn).startsWith("pulumi:providers:") && urnName(urn).startsWith("default");
        const counted = [...steps.ops].filter(([urn, op]) => op === "create" && !isDefaultProvider(urn));
        assert.strictEqual(result.changeSummary.create, counted.length, "nothing but creates");
        assert.deepStrictEqual(
            steps.violations.filter((v) => v[1] === "mandatory"),
            [],
        );
        urns = new Map([...steps.ops.keys()].map((u) => [urnName(u), u]));
    });

    it("with the policy pack, a Deployment added beside kfstack with a public image is refused (mandatory)", async () => {
        const { onEvent, steps } = recordSteps();
        await assert.rejects(engine!.stack.preview({ ...POLICY, onEvent, program: withRogueDeployment }));
        const refused = steps.violations.filter((v) => v[0] === "mirror-only-images");
        assert.strictEqual(refused.length, 1, JSON.stringify(steps.violations));
        assert.strictEqual(refused[0][1], "mandatory");
        assert.match(refused[0][2], /docker\.io\/library\/nginx:1\.27 is not served from registry\.local:5000\/kubeflow/);
        assert.match(refused[0][3] ?? "", /Deployment::rogue$/);
    });

    it("up creates the platform; a second preview shows no changes", async () => {
        const up = await engine!.stack.up({ onOutput: (l) => log(l) });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.strictEqual(Number(up.outputs.objectCount.value), objectCount, "the program's own count");
        // The CLI ran without its automatic log (the harness's default), and the state names each
        // app's closing object, not each of its objects, as what later apps wait for.
        assert.ok(fs.statSync(path.join(engine!.env.PULUMI_HOME, "logs")).isFile(), "no automatic log folder");
        const state = (await engine!.stack.exportStack()).deployment.resources as { dependencies?: string[] }[];
        const edges = state.reduce((n, r) => n + (r.dependencies ?? []).length, 0);
        assert.ok(edges < 6 * state.length, `${edges} dependency edges for ${state.length} resources`);
        const ui = live(["get", "deployment", "ml-pipeline-ui", "-n", "kubeflow", "-o", "json"]).json;
        assert.ok(ui.spec.template.spec.containers[0].image.startsWith(`${MIRROR}/`), "images come from the mirror");
        assert.strictEqual(live(["get", "profile", "kubeflow-user-example-com", "-o", "json"]).json.spec.owner.name, "user@example.com");
        const again = await engine!.stack.preview({ onOutput: (l) => log(l) });
        assert.deepStrictEqual(
            Object.keys(again.changeSummary).filter((k) => k !== "read"),
            ["same"],
            JSON.stringify(again.changeSummary),
        );
        // What the cluster stores reads back as what was applied: no change after a refresh either.
        const refreshed = recordSteps();
        await engine!.stack.preview({ refresh: true, onEvent: refreshed.onEvent, onOutput: (l) => log(l) });
        assert.deepStrictEqual(changes(refreshed.steps), [], "nothing changes after a refresh of a fresh platform");
    });

    it("reports each kubectl change with preview --refresh, naming the resource; up --refresh repairs them", async () => {
        const image = live(["get", "deployment", "ml-pipeline-ui", "-n", "kubeflow", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]).stdout;
        // As users drift a cluster: kubectl set image, kubectl patch (edit), kubectl delete, kubectl label.
        // The mirror-only admission policy (installed by the stack) refuses a public image outright ...
        const publicImage = live(["set", "image", "deployment/ml-pipeline-ui", "-n", "kubeflow", "ml-pipeline-ui=docker.io/evil/ui:1"]);
        assert.notStrictEqual(publicImage.status, 0, "a public image is refused at run time");
        assert.match(publicImage.stderr, /docker\.io\/evil\/ui:1 is not served from the mirror/);
        // ... so the drift is another image from the mirror.
        assert.strictEqual(live(["set", "image", "deployment/ml-pipeline-ui", "-n", "kubeflow", `ml-pipeline-ui=${MIRROR}/docker.io/evil/ui:1`]).status, 0);
        assert.strictEqual(
            live(["patch", "configmap", "pipeline-install-config", "-n", "kubeflow", "--type", "merge", "-p", '{"data":{"appName":"drifted"}}']).status,
            0,
        );
        assert.strictEqual(live(["delete", "service", "ml-pipeline-visualizationserver", "-n", "kubeflow"]).status, 0);
        // A label kfstack set, changed by hand; and a label kfstack never set, added by hand.
        assert.strictEqual(live(["label", "--overwrite", "deployment", "ml-pipeline", "-n", "kubeflow", "app.kubernetes.io/component=by-hand"]).status, 0);
        assert.strictEqual(live(["label", "deployment", "ml-pipeline-persistenceagent", "-n", "kubeflow", "drift=by-hand"]).status, 0);
        const { onEvent, steps } = recordSteps();
        await engine!.stack.preview({ refresh: true, onEvent, onOutput: (l) => log(l) });
        const changed = new Map(changes(steps));
        for (const name of [
            "kubeflow-kubeflow/ml-pipeline-ui",
            "kubeflow-kubeflow/pipeline-install-config",
            "kubeflow-kubeflow/ml-pipeline-visualizationserver",
            "kubeflow-kubeflow/ml-pipeline",
        ]) {
            assert.ok(changed.has(name), `${name} reported (${JSON.stringify([...changed])})`);
        }
        assert.strictEqual(changed.get("kubeflow-kubeflow/ml-pipeline-visualizationserver"), "create", "a deleted object is created again");
        // A label kfstack never set is another field manager's (server-side apply): not kfstack's change to report or undo.
        assert.ok(!changed.has("kubeflow-kubeflow/ml-pipeline-persistenceagent"), "a label added by hand is left to its owner");
        assert.strictEqual(changed.size, 4, JSON.stringify([...changed]));
        const up = await engine!.stack.up({ refresh: true, onOutput: (l) => log(l) });
        assert.strictEqual(up.summary.result, "succeeded");
        assert.strictEqual(
            live(["get", "deployment", "ml-pipeline-ui", "-n", "kubeflow", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]).stdout,
            image,
        );
        assert.notStrictEqual(live(["get", "configmap", "pipeline-install-config", "-n", "kubeflow", "-o", "jsonpath={.data.appName}"]).stdout, "drifted");
        assert.strictEqual(live(["get", "service", "ml-pipeline-visualizationserver", "-n", "kubeflow"]).status, 0, "created again");
        assert.strictEqual(
            live(["get", "deployment", "ml-pipeline", "-n", "kubeflow", "-o", "jsonpath={.metadata.labels.app\\.kubernetes\\.io/component}"]).stdout,
            "ml-pipeline",
        );
        assert.strictEqual(
            live(["get", "deployment", "ml-pipeline-persistenceagent", "-n", "kubeflow", "-o", "jsonpath={.metadata.labels.drift}"]).stdout,
            "by-hand",
        );
        const clean = recordSteps();
        await engine!.stack.preview({ refresh: true, onEvent: clean.onEvent, onOutput: (l) => log(l) });
        assert.deepStrictEqual(changes(clean.steps), [], "nothing left to change");
    });

    it("destroy removes everything (the garbage collector finishes the deletes)", async () => {
        const result = await engine!.stack.destroy({ onOutput: (l) => log(l) });
        destroyed = true;
        assert.strictEqual(result.summary.result, "succeeded");
        assert.ok((result.summary.resourceChanges?.delete ?? 0) >= objectCount);
        assert.notStrictEqual(live(["get", "namespace", "kubeflow"]).status, 0, "the kubeflow namespace is gone");
        const crds = live(["get", "crd", "-o", "name"]).stdout.trim();
        assert.strictEqual(crds, "", "no CRD left");
        assert.ok(urns.size > 0);
    });
});
