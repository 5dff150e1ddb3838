/**
 * End to end on a real API server (etcd + kube-apiserver built from Go modules):
 * the dev stack's render, applied by its own apply.sh in one pass — no retry loop.
 * There is no kubelet, so pods never run: rollout waits are skipped, and webhooks
 * (which no pod serves) are set to failurePolicy Ignore in the test's copy only.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { spawnSync } from "child_process";
import { clusterBinariesPresent, startCluster, Cluster } from "../../harness/apiserver";
import { runCli, runCliAsync, tempDir, needShared } from "../support/helpers";
import { TREE_191, ROOT } from "../../harness/paths";

type Obj = {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
    webhooks?: { failurePolicy?: string; timeoutSeconds?: number }[];
};

describe("e2e: the dev stack's render applied to a real kube-apiserver", function () {
    before(function () {
        needShared(this);
    });

    this.timeout(600000);
    let cluster: Cluster | undefined;
    let out: string;

    before(async function () {
        if (!clusterBinariesPresent()) {
            if (process.env.KFSTACK_REQUIRE_E2E === "1") throw new Error("etcd/kube-apiserver are not built: run scripts/build-engine.sh --cluster");
            this.skip();
        }
        cluster = await startCluster();
        const work = tempDir("e2e");
        const stack = jsyaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, any> };
        stack.config["kfstack:manifests"] = { path: TREE_191 };
        stack.config["kfstack:kustomize"] = { cacheDir: path.join(work, "cache") };
        fs.writeFileSync(path.join(work, "Pulumi.e2e.yaml"), jsyaml.dump(stack));
        out = path.join(work, "out");
        const r = runCli(["render", "--config", path.join(work, "Pulumi.e2e.yaml"), "--out", out]);
        assert.strictEqual(r.status, 0, r.stderr);
        // Test copy only: no pod serves the webhooks here.
        for (const f of fs.readdirSync(out).filter((x) => x.endsWith(".yaml"))) {
            const docs = jsyaml.loadAll(fs.readFileSync(path.join(out, f), "utf8")) as Obj[];
            if (!docs.some((d) => d && /WebhookConfiguration$/.test(d.kind))) continue;
            for (const d of docs)
                if (d && /WebhookConfiguration$/.test(d.kind))
                    for (const w of d.webhooks ?? []) {
                        w.failurePolicy = "Ignore";
                        w.timeoutSeconds = 1;
                    }
            fs.writeFileSync(
                path.join(out, f),
                docs
                    .filter(Boolean)
                    .map((d) => "---\n" + jsyaml.dump(d, { lineWidth: -1 }))
                    .join(""),
            );
        }
    });

    after(async () => {
        await cluster?.stop();
    });

    it("applies every file in one pass, and the cluster then holds every rendered object", () => {
        const c = cluster as Cluster;
        const r = spawnSync("sh", [path.join(out, "apply.sh")], {
            env: { ...process.env, KUBECONFIG: c.kubeconfig, KFSTACK_NO_ROLLOUT_WAIT: "1" },
            encoding: "utf8",
            maxBuffer: 64 << 20,
        });
        assert.strictEqual(r.status, 0, `apply.sh failed:\n${(r.stderr || "").slice(-4000)}`);
        let expected = 0;
        for (const f of fs.readdirSync(out).filter((x) => x.endsWith(".yaml"))) {
            const docs = (jsyaml.loadAll(fs.readFileSync(path.join(out, f), "utf8")) as Obj[]).filter(Boolean);
            expected += docs.length;
            const got = c.kubectl(["get", "-f", path.join(out, f), "-o", "name"]);
            assert.strictEqual(got.status, 0, `${f}: ${got.stderr}`);
            assert.strictEqual(got.stdout.trim().split("\n").length, docs.length, f);
        }
        assert.strictEqual(expected, 589, "the 570 objects, the 6 of the mirror-only admission, the 13 of the on-prem storage");
        const pv = JSON.parse(c.kubectl(["get", "pv", "kfstack-kubeflow-minio-pvc", "-o", "json"]).stdout);
        assert.deepStrictEqual(
            pv.spec.claimRef,
            { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: "kubeflow", name: "minio-pvc" },
            "accepted pre-bound",
        );
        const deployment = JSON.parse(c.kubectl(["get", "deployment", "ml-pipeline-ui", "-n", "kubeflow", "-o", "json"]).stdout);
        assert.ok(deployment.spec.template.spec.containers.every((x: { image: string }) => x.image.startsWith("registry.local:5000/kubeflow/")));
        const profile = c.kubectl(["get", "profile", "kubeflow-user-example-com", "-o", "name"]);
        assert.strictEqual(profile.stdout.trim(), "profile.kubeflow.org/kubeflow-user-example-com", "a CR from config, accepted by its CRD's schema");
    });

    it("kfstack audit finds nothing on the clean deployment, then every planted public image", async () => {
        const c = cluster as Cluster;
        const audit = () => runCliAsync(["audit", "--kubeconfig", c.kubeconfig, "--mirror", "registry.local:5000/kubeflow"]).done;
        const clean = await audit();
        assert.strictEqual(clean.status, 0, clean.stdout + clean.stderr);
        assert.match(clean.stderr, /every image is served from registry\.local:5000\/kubeflow/);
        // Planted: an image in a ConfigMap payload, in a CR, and a Pod (in kube-system, which the
        // admission policy exempts: the audit reads everything).
        const planted = [
            {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "planted", namespace: "kubeflow" },
                data: { "config.json": JSON.stringify({ executor: { image: "gcr.io/planted/in-configmap:1" } }) },
            },
            {
                apiVersion: "kubeflow.org/v1beta1",
                kind: "Notebook",
                metadata: { name: "planted", namespace: "kubeflow" },
                spec: { template: { spec: { containers: [{ name: "nb", image: "docker.io/planted/in-cr:2" }] } } },
            },
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: "kube-system" } },
            {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: "planted", namespace: "kube-system" },
                spec: { containers: [{ name: "c", image: "quay.io/planted/in-pod:3" }] },
            },
        ];
        const r = c.kubectl(["apply", "--server-side", "-f", "-"], planted.map((o) => "---\n" + jsyaml.dump(o)).join(""));
        assert.strictEqual(r.status, 0, r.stderr);
        const dirty = await audit();
        assert.strictEqual(dirty.status, 1, dirty.stderr);
        const lines = dirty.stdout.trim().split("\n");
        assert.strictEqual(lines.length, 3, dirty.stdout);
        assert.ok(
            lines.some((l) => /ConfigMap kubeflow\/planted.*gcr\.io\/planted\/in-configmap:1/.test(l)),
            dirty.stdout,
        );
        assert.ok(
            lines.some((l) => /Notebook kubeflow\/planted.*docker\.io\/planted\/in-cr:2/.test(l)),
            dirty.stdout,
        );
        assert.ok(
            lines.some((l) => /Pod kube-system\/planted.*quay\.io\/planted\/in-pod:3/.test(l)),
            dirty.stdout,
        );
    });
});

describe("e2e: the Pulumi program's objects, created in its dependency order on a real kube-apiserver", function () {
    before(function () {
        needShared(this);
    });

    this.timeout(600000);
    let cluster: Cluster | undefined;

    before(async function () {
        if (!clusterBinariesPresent()) {
            if (process.env.KFSTACK_REQUIRE_E2E === "1") throw new Error("etcd/kube-apiserver are not built: run scripts/build-engine.sh --cluster");
            this.skip();
        }
        cluster = await startCluster();
    });
    after(async () => {
        await cluster?.stop();
    });

    it("creates every registered object as soon as what it depends on exists, and each wave is accepted", async () => {
        // What `pulumi up` would send: the program's registrations under mocks, with their dependencies.
        const { useMocks, recordRegistrations, settle } = await import("../../harness/mocks");
        const { devConfig } = await import("../../harness/stacks");
        const mocks = useMocks(devConfig({ "kfstack:kustomize": { cacheDir: tempDir("e2e-cache") } }));
        const registrations = recordRegistrations();
        await (require("../../index") as () => Promise<unknown>)();
        await settle();
        const objects = new Map<string, Obj>();
        for (const reg of registrations) {
            const rec = mocks.kubernetes().find((r) => r.type === reg.type && r.name === reg.name);
            if (rec) objects.set(reg.urn, rec.inputs as Obj);
        }
        assert.strictEqual(objects.size, 589, "the release's 569 objects, the profile, the 6 admission objects, the 13 storage objects");
        // A dependency on a component stands for all the objects below it.
        const children = new Map<string, string[]>();
        for (const reg of registrations) children.set(reg.parent, [...(children.get(reg.parent) ?? []), reg.urn]);
        const expand = (urn: string): string[] => (objects.has(urn) ? [urn] : (children.get(urn) ?? []).flatMap(expand));
        const deps = new Map(registrations.filter((r) => objects.has(r.urn)).map((r) => [r.urn, [...new Set(r.dependencies.flatMap(expand))]]));
        const c = cluster as Cluster;
        const applied = new Set<string>();
        let waves = 0;
        while (applied.size < objects.size) {
            const ready = [...objects.keys()].filter((u) => !applied.has(u) && (deps.get(u) ?? []).every((d) => applied.has(d)));
            assert.ok(ready.length > 0, "the dependency graph has no cycle");
            const batch = ready.map((u) => {
                const o = JSON.parse(JSON.stringify(objects.get(u)));
                // Test copy only: no pod serves the webhooks here.
                for (const w of o.webhooks ?? []) {
                    w.failurePolicy = "Ignore";
                    w.timeoutSeconds = 1;
                }
                return o;
            });
            const r = c.kubectl(
                ["apply", "--server-side", "--force-conflicts", "-f", "-"],
                batch.map((o) => "---\n" + jsyaml.dump(o, { lineWidth: -1 })).join(""),
            );
            assert.strictEqual(r.status, 0, `wave ${waves + 1} (${ready.length} objects) refused:\n${r.stderr.slice(-3000)}`);
            const crds = batch.filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata.name);
            if (crds.length) await c.established(crds);
            ready.forEach((u) => applied.add(u));
            waves++;
        }
        assert.ok(waves > 5, `${waves} waves: the graph orders the install`);
        const dex = JSON.parse(c.kubectl(["get", "configmap", "dex", "-n", "auth", "-o", "json"]).stdout);
        assert.match(dex.data["config.yaml"], /\$2b\$10\$/, "Dex users arrive hashed");
    });
});
