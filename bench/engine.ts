/**
 * Issue 11's benchmark: the dev stack (kubeflow/manifests v1.9.1, the whole platform) through
 * the real engine against its peers, each on a fresh local API server of the same build:
 * - `pulumi preview` with nothing to change vs `kubectl diff --server-side` of the same render;
 * - `pulumi up` from empty vs the render's `apply.sh`;
 * - `pulumi preview --refresh`;
 * - the same release through pulumi-kubernetes' own `kustomize.v2.Directory` (the peer a Pulumi
 *   user reaches for first): preview and up, and what its preview shows.
 * `node dist/bench/engine.js` prints JSON; benchmark.ts turns it into the table.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as k8s from "@pulumi/kubernetes";
import * as auto from "@pulumi/pulumi/automation";
import { startCluster, Cluster } from "../harness/apiserver";
import { startEngine } from "../harness/engine";
import { devConfig } from "../harness/stacks";
import { CLI, TREE_191 } from "../harness/paths";

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** The dev stack for a control plane without nodes (as the e2e suite runs it). */
function stackConfig(): Record<string, string> {
    const dev = devConfig();
    const transforms = { ...JSON.parse(dev["kfstack:transforms"]), webhookFailurePolicy: "Ignore" };
    return { ...dev, "kfstack:transforms": JSON.stringify(transforms), "kfstack:skipAwait": "true" };
}

async function withCluster<T>(run: (c: Cluster) => Promise<T>): Promise<T> {
    const cluster = await startCluster({ controllers: true });
    try {
        return await run(cluster);
    } finally {
        await cluster.stop();
    }
}

/** `kfstack render` of the dev stack, then its apply.sh from empty and `kubectl diff --server-side` with nothing to change. */
async function kubectlPeer(): Promise<{ applyMs: number; diffMs: number; objects: number; diffErrors: string[]; applyErrors: string[] }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-bench-kubectl-"));
    try {
        const config = stackConfig();
        const stack = path.join(dir, "Pulumi.bench.yaml");
        const parsed = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, /^[[{]/.test(v) ? JSON.parse(v) : v]));
        delete parsed["kfstack:users"]; // render applies no secrets
        fs.writeFileSync(stack, JSON.stringify({ config: parsed }));
        const out = path.join(dir, "out");
        const r = spawnSync(process.execPath, [CLI, "render", "--config", stack, "--out", out], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(r.stderr);
        const files = fs.readdirSync(out).filter((f) => f.endsWith(".yaml"));
        const objects = files.reduce((n, f) => n + (fs.readFileSync(path.join(out, f), "utf8").match(/^---$/gm) ?? []).length, 0);
        return await withCluster(async (cluster) => {
            const env = { ...process.env, KUBECONFIG: cluster.kubeconfig, KFSTACK_NO_ROLLOUT_WAIT: "1" };
            let t = process.hrtime.bigint();
            const apply = spawnSync("sh", [path.join(out, "apply.sh")], { env, encoding: "utf8", maxBuffer: 64 << 20 });
            const applyMs = since(t);
            // Recorded, not fatal: the table says when the peer did not finish cleanly.
            const applyErrors = apply.status === 0 ? [] : (apply.stderr ?? "").split("\n").filter((l) => /error/i.test(l));
            t = process.hrtime.bigint();
            const diff = spawnSync("kubectl", ["diff", "--server-side", "--force-conflicts", ...files.flatMap((f) => ["-f", path.join(out, f)])], {
                env,
                encoding: "utf8",
                maxBuffer: 64 << 20,
            });
            const diffMs = since(t);
            // kubectl diff exits 1 for a difference, more for errors; the errors are recorded, not fatal
            // (a dry run through a webhook or conversion webhook that no pod serves can time out here).
            const diffErrors = (diff.stderr ?? "").split("\n").filter((l) => l.trim() !== "");
            return { applyMs, diffMs, objects, diffErrors, applyErrors };
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const kfstackProgram = async () => (require("../index") as () => Promise<Record<string, unknown>>)();

/** The kfstack program: up from empty, preview with nothing to change, preview --refresh. */
async function kfstackRuns(): Promise<{
    firstPreviewMs: number;
    firstPreviewShows: string;
    upMs: number;
    previewMs: number;
    refreshMs: number;
    previewShows: string;
}> {
    return withCluster(async (cluster) => {
        const config = Object.fromEntries(Object.entries(stackConfig()).map(([k, v]) => [k, { value: v, secret: k === "kfstack:users" }]));
        const engine = await startEngine({ cluster, program: kfstackProgram, config, checkpoints: false });
        try {
            let t = process.hrtime.bigint();
            const first = await engine.stack.preview();
            const firstPreviewMs = since(t);
            t = process.hrtime.bigint();
            await engine.stack.up();
            const upMs = since(t);
            t = process.hrtime.bigint();
            const preview = await engine.stack.preview();
            const previewMs = since(t);
            t = process.hrtime.bigint();
            await engine.stack.preview({ refresh: true });
            const refreshMs = since(t);
            await engine.stack.destroy();
            return {
                firstPreviewMs,
                firstPreviewShows: JSON.stringify(first.changeSummary),
                upMs,
                previewMs,
                refreshMs,
                previewShows: JSON.stringify(preview.changeSummary),
            };
        } finally {
            await engine.stop();
        }
    });
}

/** pulumi-kubernetes' kustomize.v2.Directory on the release's example: preview from empty, then up. */
async function directoryRuns(): Promise<{ previewMs: number; upMs: number; previewShows: string; upFailed: boolean }> {
    return withCluster(async (cluster) => {
        const program = async () => {
            new k8s.kustomize.v2.Directory("kubeflow", { directory: path.join(TREE_191, "example"), skipAwait: true });
        };
        const engine = await startEngine({ cluster, program, config: {} as Record<string, auto.ConfigValue>, checkpoints: false });
        try {
            let t = process.hrtime.bigint();
            const preview = await engine.stack.preview();
            const previewMs = since(t);
            t = process.hrtime.bigint();
            // Webhooks no pod serves refuse what they intercept here: the up may fail part-way; its time still counts.
            // Bounded: a CR the peer creates before its CRD is established is retried by the provider.
            let timer: NodeJS.Timeout | undefined;
            const deadline = new Promise<boolean>((resolve) => {
                timer = setTimeout(
                    () => {
                        void engine.stack.cancel().finally(() => resolve(true));
                    },
                    15 * 60 * 1000,
                );
            });
            const upFailed = await Promise.race([
                engine.stack.up().then(
                    () => false,
                    () => true,
                ),
                deadline,
            ]);
            clearTimeout(timer);
            const upMs = since(t);
            await engine.stack.destroy().catch(() => undefined);
            return { previewMs, upMs, previewShows: JSON.stringify(preview.changeSummary), upFailed };
        } finally {
            await engine.stop();
        }
    });
}

async function main(): Promise<void> {
    const kubectl = await kubectlPeer();
    const kfstack = await kfstackRuns();
    const directory = await directoryRuns();
    process.stdout.write(JSON.stringify({ kubectl, kfstack, directory }) + "\n");
}

main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e) + "\n");
    process.exit(1);
});
