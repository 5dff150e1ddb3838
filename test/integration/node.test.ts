/**
 * A real node (issue 24): a kubelet on Debian's containerd and runc, registered to the test API
 * server (with the controller manager's volume binder), pulling through the mirror with the
 * certs.d `kfstack containerd-hosts` wrote. A release whose pod names an upstream image and
 * mounts a claim is deployed by `pulumi up` of the kfstack program on the real engine (the image
 * rewritten to the mirror, a local volume pre-bound to the claim, the mirror-only admission
 * policy): the pod and its sandbox are pulled from the mirror and run, the pod writes a file onto
 * its volume; a pod with a public image is refused; after the kubelet restarts and another
 * `pulumi up` (no change), the same container runs and the file is still there.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { clusterBinariesPresent, startCluster, Cluster } from "../../harness/apiserver";
import { containerdBinary, crictlBinary, startContainerd, Containerd } from "../../harness/containerd";
import { kubeletBinary, startKubelet, Kubelet, NODE_NAME } from "../../harness/kubelet";
import { layerOf, pushImage, registryBinary, startRegistry, Registry } from "../../harness/registry";
import { enginePresent, startEngine, Engine } from "../../harness/engine";
import { engineConfig } from "../../harness/stacks";
import { needParts, runCliAsync, tempDir } from "../support/helpers";

const BUSYBOX = "/usr/bin/busybox";
const NS = "kfnode";

async function until(what: string, ms: number, ok: () => boolean, why: () => string): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
        if (ok()) return;
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${what} within ${ms / 1000} s: ${why()}`);
}

/** A release with one app: a namespace, a claim, and a pod on the node that writes onto it. */
function release(dir: string): string {
    const root = path.join(dir, "release");
    fs.mkdirSync(path.join(root, "example"), { recursive: true });
    fs.mkdirSync(path.join(root, "apps", "writer"), { recursive: true });
    fs.writeFileSync(path.join(root, "example", "kustomization.yaml"), "resources:\n- ../apps/writer\n");
    fs.writeFileSync(path.join(root, "apps", "writer", "kustomization.yaml"), "resources:\n- objects.yaml\n");
    const objects = [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: NS } },
        {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: "data", namespace: NS },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
        },
        {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "writer", namespace: NS },
            spec: {
                nodeName: NODE_NAME,
                hostNetwork: true,
                automountServiceAccountToken: false,
                containers: [
                    {
                        name: "writer",
                        image: "gcr.io/team/busybox:1",
                        command: ["/bin/busybox", "sh", "-c", "echo written >> /data/f; exec /bin/busybox sleep 2147483647"],
                        volumeMounts: [{ name: "data", mountPath: "/data" }],
                    },
                ],
                volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
            },
        },
    ];
    fs.writeFileSync(path.join(root, "apps", "writer", "objects.yaml"), objects.map((o) => JSON.stringify(o)).join("\n---\n") + "\n");
    return root;
}

describe("a real node: a kubelet runs a mirrored pod on its pre-bound volume", function () {
    this.timeout(300_000);
    let work: string;
    let cluster: Cluster | undefined;
    let mirror: Registry | undefined;
    let containerd: Containerd | undefined;
    let kubelet: Kubelet | undefined;
    let engine: Engine | undefined;

    before(async function () {
        needParts(this, {
            "etcd, kube-apiserver, kube-controller-manager": clusterBinariesPresent(true),
            kubelet: kubeletBinary(),
            "the Pulumi engine": enginePresent(),
            "containerd 1.x": containerdBinary("1.x"),
            crictl: crictlBinary(),
            "docker-registry": registryBinary(),
            "busybox (static)": fs.existsSync(BUSYBOX),
        });
        work = tempDir("node");
        cluster = await startCluster({ controllers: true });
        mirror = await startRegistry({ accessLog: true });
        // Images that run: busybox, and a sandbox ("pause") image that sleeps.
        const layer = layerOf({ "bin/busybox": fs.readFileSync(BUSYBOX) });
        const image = (command: string[]) => [{ architecture: "amd64", layers: [layer], command }];
        await pushImage(mirror.client(), "kf/registry.k8s.io/pause", "3.10", image(["/bin/busybox", "sleep", "2147483647"]), "docker");
        await pushImage(mirror.client(), "kf/gcr.io/team/busybox", "1", image(["/bin/busybox", "sh"]), "docker");
        const hosts = await runCliAsync([
            "containerd-hosts",
            "--mirror",
            `${mirror.host}/kf`,
            "--plain-http",
            "--out",
            path.join(work, "etc"),
            "--config-dir",
            path.join(work, "etc"),
        ]).done;
        assert.equal(hosts.status, 0, hosts.stderr);
        containerd = await startContainerd("1.x", path.join(work, "etc", "certs.d"), { sandboxImage: `registry.k8s.io/pause:3.10` });
        kubelet = await startKubelet(cluster.kubeconfig, containerd.endpoint);
        const c = cluster;
        await until(
            "the node registers",
            60_000,
            () => c.kubectl(["get", "node", NODE_NAME]).status === 0,
            () => kubelet!.log().slice(-2000),
        );
    });

    after(async () => {
        await engine?.stack.destroy().catch(() => undefined);
        await engine?.stop();
        // The pods' containers outlive containerd's process: remove them first.
        containerd?.crictl(["rmp", "--all", "--force"]);
        await kubelet?.stop();
        await containerd?.stop();
        await mirror?.stop();
        await cluster?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("pulls the pod and its sandbox through the mirror, mounts the pre-bound volume, refuses a public image, keeps the data across a kubelet restart and another pulumi up", async () => {
        const c = cluster!;
        const basePath = path.join(work, "volumes");
        // The kfstack program on the real engine (pulumi up), against the test API server and its node.
        const config = {
            "kfstack:manifests": JSON.stringify({ path: release(work) }),
            "kfstack:mirror": JSON.stringify({ registry: `${mirror!.host}/kf` }),
            "kfstack:storage": JSON.stringify({ staticClass: "local-storage", node: NODE_NAME, basePath, protect: false }),
            // The claim waits for its first consumer, and no scheduler runs here: the up does not wait for it.
            "kfstack:skipAwait": "true",
        };
        engine = await startEngine({ cluster: c, program: require("../../index"), config: engineConfig(config), stackName: "node" });
        // A local volume's folder exists before the pod mounts it (kubespray or the admin makes it).
        fs.mkdirSync(path.join(basePath, NS, "data"), { recursive: true });
        const first = await engine.stack.up();
        assert.equal(first.summary.result, "succeeded");
        const publicPod = JSON.stringify({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "public", namespace: NS },
            spec: { nodeName: NODE_NAME, containers: [{ name: "c", image: "docker.io/library/busybox:1.36" }] },
        });
        // Once the policy is compiled it refuses a public image (the mirrored pod was admitted by it, or before it).
        await until(
            "the policy refuses a public image",
            60_000,
            () => {
                const r = c.kubectl(["apply", "--dry-run=server", "-f", "-"], publicPod);
                return r.status !== 0 && /kfstack|mirror/i.test(r.stderr);
            },
            () => c.kubectl(["apply", "--dry-run=server", "-f", "-"], publicPod).stderr,
        );
        const pod = () => JSON.parse(c.kubectl(["get", "pod", "writer", "-n", NS, "-o", "json"]).stdout || "{}");
        // The claim binds to the volume kfstack pre-bound to it once the pod needs it (WaitForFirstConsumer:
        // no scheduler here, so the node is named on the claim as the scheduler would).
        c.kubectl(["annotate", "pvc", "data", "-n", NS, `volume.kubernetes.io/selected-node=${NODE_NAME}`, "--overwrite"]);
        await until(
            "the pod runs",
            120_000,
            () => pod().status?.phase === "Running",
            () => JSON.stringify(pod().status) + kubelet!.log().slice(-1500),
        );
        const pvc = JSON.parse(c.kubectl(["get", "pvc", "data", "-n", NS, "-o", "json"]).stdout);
        assert.equal(pvc.spec.volumeName, `kfstack-${NS}-data`, "bound to the volume kfstack made for it");
        assert.match(pod().spec.containers[0].image, new RegExp(`^${mirror!.host}/kf/gcr\\.io/team/busybox:1$`), "the image rewritten to the mirror");
        const file = path.join(basePath, NS, "data", "f");
        await until(
            "the pod writes onto its volume",
            30_000,
            () => fs.existsSync(file),
            () => "no file",
        );
        const log = mirror!.accessLog();
        assert.ok(log.includes("/v2/kf/gcr.io/team/busybox/manifests/1"), "the pod's image came from the mirror");
        assert.ok(log.includes("/v2/kf/registry.k8s.io/pause/manifests/3.10"), "the sandbox image came from the mirror");
        // A public image is refused by the admission policy.
        const refused = c.kubectl(["apply", "-f", "-"], publicPod);
        assert.notEqual(refused.status, 0, "a public image is refused");
        // The kubelet restarts; another pulumi up changes nothing: the pod and its data stay.
        const started = pod().status.containerStatuses[0].state.running.startedAt;
        await kubelet!.restart();
        const second = await engine.stack.up();
        assert.equal(second.summary.result, "succeeded");
        assert.deepEqual(
            // (The program's StackReference to its own last update is a read, not a change.)
            Object.keys(second.summary.resourceChanges ?? {}).filter((k) => k !== "same" && k !== "read"),
            [],
            JSON.stringify(second.summary.resourceChanges),
        );
        await new Promise((r) => setTimeout(r, 5000));
        await until(
            "the pod runs after the restart",
            60_000,
            () => pod().status?.phase === "Running",
            () => JSON.stringify(pod().status),
        );
        assert.equal(pod().status.containerStatuses[0].state.running.startedAt, started, "the same container, not a new one");
        assert.match(fs.readFileSync(file, "utf8"), /^written\n/, "the data is still there");
    });
});
