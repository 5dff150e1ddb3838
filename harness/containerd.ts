/**
 * A node's image side for tests: containerd (Debian's 1.6, or 2.x built from its Go module by
 * scripts/build-engine.sh) with its own root, state and socket in a temporary folder, its CRI
 * plugin's registry `config_path` pointing at a certs.d folder the test wrote, and crictl (built
 * the same way) pulling through the CRI plugin as the kubelet does. Stopped after.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn, spawnSync, ChildProcess } from "child_process";
import { ENGINE_BIN } from "./paths";
import { stopProcess } from "./processes";

/** Which containerd: Debian's package (1.6) or the 2.x build. */
export type ContainerdFlavour = "1.x" | "2.x";

/** The binary of a flavour, or undefined when it is not installed or built. */
export function containerdBinary(flavour: ContainerdFlavour): string | undefined {
    const candidates = flavour === "2.x" ? [path.join(ENGINE_BIN, "containerd")] : ["/usr/bin/containerd", "/usr/local/bin/containerd"];
    return candidates.find((c) => fs.existsSync(c));
}

export function crictlBinary(): string | undefined {
    const c = path.join(ENGINE_BIN, "crictl");
    return fs.existsSync(c) ? c : undefined;
}

export interface Containerd {
    readonly flavour: ContainerdFlavour;
    readonly version: string;
    /** The CRI socket (`unix://...`), for a kubelet. */
    readonly endpoint: string;
    /** Runs crictl against this containerd's CRI socket. */
    crictl(args: string[], timeoutMs?: number): { status: number; stdout: string; stderr: string; ms: number };
    stop(): Promise<void>;
}

/** The config: only the CRI plugin's image side matters here (native snapshotter: no overlay mounts needed). */
function configOf(flavour: ContainerdFlavour, dir: string, certsDir: string, pods?: PodOptions): string {
    const common = [`root = "${dir}/root"`, `state = "${dir}/state"`, "", "[grpc]", `  address = "${dir}/containerd.sock"`, ""];
    if (flavour === "1.x") {
        return [
            "version = 2",
            ...common,
            '[plugins."io.containerd.grpc.v1.cri"]',
            // Pulls only: no cgroups. Pods: cgroups, and no oom_score_adj below containerd's own,
            // which this sandbox refuses (runc then fails: "can't get final child's PID from pipe").
            ...(pods ? ["  restrict_oom_score_adj = true", `  sandbox_image = "${pods.sandboxImage}"`] : ["  disable_cgroup = true"]),
            '  [plugins."io.containerd.grpc.v1.cri".containerd]',
            '    snapshotter = "native"',
            '  [plugins."io.containerd.grpc.v1.cri".registry]',
            `    config_path = "${certsDir}"`,
            "",
        ].join("\n");
    }
    return [
        "version = 3",
        ...common,
        '[plugins."io.containerd.cri.v1.images"]',
        '  snapshotter = "native"',
        '  [plugins."io.containerd.cri.v1.images".registry]',
        `    config_path = "${certsDir}"`,
        "",
        // containerd 2.x pulls through its transfer service, which unpacks only for the
        // (platform, snapshotter) pairs listed here; none are listed for native by default, and
        // every pull fails with "no unpack platforms defined" (containerd issues #11228, #11606).
        '[[plugins."io.containerd.transfer.v1.local".unpack_config]]',
        `  platform = "linux/${process.arch === "arm64" ? "arm64" : "amd64"}"`,
        '  snapshotter = "native"',
        "",
    ].join("\n");
}

/** Starts containerd on its own socket with `certsDir` as the registry configuration; resolves when crictl reaches it. */
/** What running pods (a kubelet on this containerd) needs. */
export interface PodOptions {
    /** The pod sandbox ("pause") image, by a name the mirror serves. */
    readonly sandboxImage: string;
}

export async function startContainerd(flavour: ContainerdFlavour, certsDir: string, pods?: PodOptions): Promise<Containerd> {
    if (pods && flavour !== "1.x") throw new Error("pods run on the 1.x containerd here");
    const bin = containerdBinary(flavour);
    const crictl = crictlBinary();
    if (!bin || !crictl) throw new Error(`containerd ${flavour} or crictl is missing (Debian containerd; scripts/build-engine.sh builds 2.x and crictl)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kfstack-containerd-${flavour}-`));
    const config = path.join(dir, "config.toml");
    fs.writeFileSync(config, configOf(flavour, dir, certsDir, pods));
    const log = fs.openSync(path.join(dir, "log"), "w");
    const child: ChildProcess = spawn(bin, ["--config", config, "--log-level", "info"], { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    const endpoint = `unix://${dir}/containerd.sock`;
    const run = (args: string[], timeoutMs = 60_000) => {
        const t0 = Date.now();
        const r = spawnSync(crictl, ["--runtime-endpoint", endpoint, "--image-endpoint", endpoint, "--timeout", "30s", ...args], {
            encoding: "utf8",
            timeout: timeoutMs,
        });
        return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "", ms: Date.now() - t0 };
    };
    const stop = async () => {
        await stopProcess(child, 5000);
        // The native snapshotter leaves read-only trees: make them removable first.
        spawnSync("chmod", ["-R", "u+w", dir]);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + 30_000;
    for (;;) {
        const r = run(["images"], 10_000);
        if (r.status === 0) break;
        if (Date.now() > deadline || child.exitCode !== null) {
            const text = fs.readFileSync(path.join(dir, "log"), "utf8").slice(-3000);
            await stop();
            throw new Error(`containerd ${flavour} did not serve CRI on ${endpoint}: ${r.stderr}\n${text}`);
        }
        await new Promise((res) => setTimeout(res, 200));
    }
    const version = spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout.trim();
    return { flavour, version, endpoint, crictl: run, stop };
}
