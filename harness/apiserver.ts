/**
 * A real Kubernetes API server for tests: etcd and kube-apiserver built from Go
 * modules by scripts/build-engine.sh --cluster into .engine/bin, started on
 * 127.0.0.1, stopped after. No kubelet: objects are stored and validated, pods never run.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as crypto from "crypto";
import { spawn, spawnSync, ChildProcess } from "child_process";
import { ENGINE_BIN } from "./paths";
import { freePort, stopProcess } from "./processes";

export { ENGINE_BIN };

export function clusterBinariesPresent(controllers = false): boolean {
    return ["etcd", "kube-apiserver", ...(controllers ? ["kube-controller-manager"] : [])].every((b) => fs.existsSync(path.join(ENGINE_BIN, b)));
}

/** How to start the cluster. */
export interface ClusterOptions {
    /**
     * Run kube-controller-manager's garbage collector, namespace and PVC/PV protection controllers
     * too: without them a foreground delete (what pulumi-kubernetes does), a namespace's or a
     * claim's delete never finishes.
     * @default false
     */
    readonly controllers?: boolean;
    /**
     * With `controllers`, the workload controllers too (Deployment, ReplicaSet, StatefulSet,
     * DaemonSet, Job, and the service-account controller their pods need): a Deployment's status
     * then says when it is available (one with no replicas at once), as the provider's await reads it.
     * @default false
     */
    readonly workloads?: boolean;
}

export interface Cluster {
    readonly kubeconfig: string;
    /** Runs kubectl against the cluster. */
    kubectl(args: string[], input?: string): { status: number; stdout: string; stderr: string };
    /**
     * Waits until each named CRD reports Established. Read from `get -o json`, not
     * `kubectl wait`, which fails at once on a CRD whose status.conditions is still null
     * (https://github.com/epinio/epinio/pull/829); apply.sh retries that error instead.
     */
    established(crds: string[], ms?: number): Promise<void>;
    stop(): Promise<void>;
}

async function waitFor(what: string, ms: number, ok: () => boolean, log: () => string): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
        if (ok()) return;
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${what} did not come up in ${ms} ms:\n${log().slice(-3000)}`);
}

/** Starts etcd and kube-apiserver (and, when asked, kube-controller-manager) on free loopback ports. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-apiserver-"));
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const children: ChildProcess[] = [];
    // Each server logs to a file, never to a pipe: while a test blocks this process in spawnSync
    // (kubectl, apply.sh) nobody drains a pipe, and once its buffer is full (64 KiB under
    // Node 24's pipes) kube-apiserver blocks in its logger and every request times out.
    const logFile = (name: string) => path.join(dir, `${name}.log`);
    const log = (name: string) => {
        try {
            return fs.readFileSync(logFile(name), "utf8").slice(-20000);
        } catch {
            return "";
        }
    };
    const run = (name: string, bin: string, args: string[]) => {
        const fd = fs.openSync(logFile(name), "a");
        const child = spawn(path.join(ENGINE_BIN, bin), args, { stdio: ["ignore", fd, fd] });
        fs.closeSync(fd);
        children.push(child);
        return child;
    };
    run("etcd", "etcd", [
        "--data-dir",
        path.join(dir, "etcd"),
        "--name",
        "kfstack-test",
        "--listen-client-urls",
        `http://127.0.0.1:${etcdClient}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${etcdClient}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${etcdPeer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${etcdPeer}`,
        "--initial-cluster",
        `kfstack-test=http://127.0.0.1:${etcdPeer}`,
        "--log-level",
        "warn",
        // A throw-away store: no fsync (a busy disk must not slow every write of a test).
        "--unsafe-no-fsync",
    ]);
    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs1", format: "pem" }));
    fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    const token = crypto.randomBytes(16).toString("hex");
    fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},admin,admin,"system:masters"\n`);
    run("apiserver", "kube-apiserver", [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${path.join(dir, "certs")}`,
        `--service-account-issuer=https://kubernetes.default.svc`,
        `--service-account-key-file=${path.join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
        `--token-auth-file=${path.join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        // Only an allocation range for Service IPs: no traffic may go there.
        "--service-cluster-ip-range=10.96.0.0/24",
        // Webhooks and conversion webhooks are called through their Service's endpoints, not its
        // ClusterIP: with no pods there are none, so a call fails at once (and Ignore lets the
        // request through) instead of dialling an address of the range above and timing out.
        "--enable-aggregator-routing=true",
    ]);
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(
        kubeconfig,
        [
            "apiVersion: v1",
            "kind: Config",
            "current-context: test",
            "clusters:",
            "- name: test",
            "  cluster:",
            `    server: https://127.0.0.1:${apiPort}`,
            "    insecure-skip-tls-verify: true",
            "users:",
            "- name: admin",
            "  user:",
            `    token: ${token}`,
            "contexts:",
            "- name: test",
            "  context: {cluster: test, user: admin}",
            "",
        ].join("\n"),
    );
    const kubectl = (args: string[], input?: string) => {
        const r = spawnSync("kubectl", ["--kubeconfig", kubeconfig, ...args], { input, encoding: "utf8", maxBuffer: 64 << 20 });
        return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    };
    const established = (crds: string[], ms = 120000) =>
        waitFor(
            `CRDs ${crds.join(", ")} established`,
            ms,
            () => {
                const r = kubectl(["get", "crd", ...crds, "-o", "json"]);
                if (r.status !== 0) return false;
                const got = JSON.parse(r.stdout);
                // One name gets the object itself, several get a List.
                const items = (got.kind === "List" ? got.items : [got]) as { status?: { conditions?: { type: string; status: string }[] | null } }[];
                return (
                    items.length === crds.length &&
                    items.every((c) => (c.status?.conditions ?? []).some((x) => x.type === "Established" && x.status === "True"))
                );
            },
            () => kubectl(["get", "crd", ...crds, "-o", "yaml"]).stdout,
        );
    const stop = async () => {
        for (const c of children.reverse()) await stopProcess(c);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitFor(
            "kube-apiserver",
            90000,
            () => kubectl(["get", "--raw", "/readyz"]).stdout.trim() === "ok",
            () => log("apiserver") + log("etcd"),
        );
        if (options.controllers) {
            run("controllers", "kube-controller-manager", [
                `--kubeconfig=${kubeconfig}`,
                // The PVC/PV protection controllers remove the finalizers the API server adds to claims and volumes.
                // persistentvolume-binder: claims bind to the volumes pre-bound to them (the node test).
                `--controllers=garbagecollector,namespace,pvc-protection,pv-protection,persistentvolume-binder${options.workloads ? ",deployment,replicaset,statefulset,daemonset,job,serviceaccount" : ""}`,
                "--leader-elect=false",
                // No serving endpoint: nothing scrapes it here.
                "--secure-port=0",
                "--use-service-account-credentials=false",
            ]);
            // Up when its garbage collector has synced: a Namespace it deletes is gone.
            const probe = `kfstack-probe-${crypto.randomBytes(3).toString("hex")}`;
            kubectl(["create", "namespace", probe]);
            kubectl(["delete", "namespace", probe, "--wait=false"]);
            await waitFor(
                "kube-controller-manager",
                90000,
                () => kubectl(["get", "namespace", probe]).status !== 0,
                () => log("controllers"),
            );
        }
    } catch (e) {
        await stop();
        throw e;
    }
    return { kubeconfig, kubectl, established, stop };
}
