/**
 * A real node for tests: a kubelet (v1.34, built from Go modules by scripts/build-engine.sh)
 * on a containerd the test started, registered to the test API server as `kfstack-node`, no
 * CNI (host-network pods only), everything under a temporary folder, stopped after. The node
 * has no address (the kubelet refuses a loopback node IP), so logs and exec are not served.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn, ChildProcess } from "child_process";
import { ENGINE_BIN } from "./paths";
import { freePort, stopProcess } from "./processes";

export const NODE_NAME = "kfstack-node";

export function kubeletBinary(): string | undefined {
    const k = path.join(ENGINE_BIN, "kubelet");
    return fs.existsSync(k) ? k : undefined;
}

export interface Kubelet {
    readonly dir: string;
    /** Stops the kubelet (its pods keep running in containerd, as on a real node). */
    stop(): Promise<void>;
    /** Starts it again on the same folder: it finds its pods and carries on. */
    restart(): Promise<void>;
    log(): string;
}

export async function startKubelet(kubeconfig: string, criEndpoint: string): Promise<Kubelet> {
    const bin = kubeletBinary();
    if (!bin) throw new Error("the kubelet is not built: scripts/build-engine.sh");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-kubelet-"));
    const port = await freePort();
    fs.writeFileSync(
        path.join(dir, "kubelet.yaml"),
        [
            "apiVersion: kubelet.config.k8s.io/v1beta1",
            "kind: KubeletConfiguration",
            "authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}",
            "authorization: {mode: AlwaysAllow}",
            "cgroupDriver: cgroupfs",
            "failSwapOn: false",
            // This machine's cgroups are v1 (kubelet 1.34 still runs there when told to).
            "failCgroupV1: false",
            `containerRuntimeEndpoint: ${criEndpoint}`,
            "address: 127.0.0.1",
            `port: ${port}`,
            "readOnlyPort: 0",
            "healthzPort: 0",
            "cgroupsPerQOS: false",
            "enforceNodeAllocatable: []",
            "resolvConf: ''",
            // The test's folders share the machine's disk: no eviction for disk use.
            "evictionHard: {memory.available: '1Mi'}",
            "localStorageCapacityIsolation: false",
            "",
        ].join("\n"),
    );
    let child: ChildProcess | undefined;
    const start = () => {
        const log = fs.openSync(path.join(dir, "kubelet.log"), "a");
        child = spawn(
            bin,
            [
                "--kubeconfig",
                kubeconfig,
                "--config",
                path.join(dir, "kubelet.yaml"),
                "--root-dir",
                path.join(dir, "root"),
                "--hostname-override",
                NODE_NAME,
                "--v",
                "1",
            ],
            { stdio: ["ignore", log, log] },
        );
        fs.closeSync(log);
    };
    start();
    const stop = async () => {
        if (child) await stopProcess(child, 5000);
        child = undefined;
    };
    return {
        dir,
        stop,
        restart: async () => {
            await stop();
            start();
        },
        log: () => fs.readFileSync(path.join(dir, "kubelet.log"), "utf8"),
    };
}
