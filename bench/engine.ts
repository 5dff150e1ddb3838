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
import * as pulumi from "@pulumi/pulumi";
import * as auto from "@pulumi/pulumi/automation";
import { startCluster, Cluster } from "../harness/apiserver";
import { startEngine } from "../harness/engine";
import { engineConfig, nodelessDevConfig } from "../harness/stacks";
import { CLI, TREE_191 } from "../harness/paths";

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** Ups of kfstack and of the Directory compared (the first of each is the one of the full runs). */
const UP_RUNS = 3;

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
        const config = nodelessDevConfig();
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

/** Size of the state after an up, and its dependency edges. */
async function stateFacts(stack: auto.Stack): Promise<{ stateBytes: number; edges: number; resources: number }> {
    const d = await stack.exportStack();
    const resources = (d.deployment.resources ?? []) as { dependencies?: string[] }[];
    return { stateBytes: JSON.stringify(d).length, edges: resources.reduce((n, r) => n + (r.dependencies ?? []).length, 0), resources: resources.length };
}

const kfstackConfig = () => engineConfig(nodelessDevConfig());

/** One `up` from empty on a fresh control plane (then destroyed): its time. */
async function upOnce(program: auto.PulumiFn, config: Record<string, auto.ConfigValue>, automaticLog = false): Promise<number> {
    return withCluster(async (cluster) => {
        const engine = await startEngine({ cluster, program, config, checkpoints: false, automaticLog });
        try {
            const t = process.hrtime.bigint();
            await engine.stack.up();
            const ms = since(t);
            await engine.stack.destroy().catch(() => undefined);
            return ms;
        } finally {
            await engine.stop();
        }
    });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The kfstack program: up from empty, preview with nothing to change, preview --refresh. */
async function kfstackRuns(): Promise<{
    firstPreviewMs: number;
    firstPreviewShows: string;
    upMs: number;
    previewMs: number;
    refreshMs: number;
    previewShows: string;
    state: { stateBytes: number; edges: number; resources: number };
}> {
    return withCluster(async (cluster) => {
        const engine = await startEngine({ cluster, program: kfstackProgram, config: kfstackConfig(), checkpoints: false });
        try {
            let t = process.hrtime.bigint();
            const first = await engine.stack.preview();
            const firstPreviewMs = since(t);
            t = process.hrtime.bigint();
            await engine.stack.up();
            const upMs = since(t);
            const state = await stateFacts(engine.stack);
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
                state,
            };
        } finally {
            await engine.stop();
        }
    });
}

/**
 * What a Pulumi user adds to the Directory on a cluster where no pod runs, as kfstack's test stack
 * does with `kfstack:transforms.webhookFailurePolicy`: webhooks that nobody serves must not refuse
 * what they intercept. A Pulumi transform, which the engine applies to the remote component's children.
 */
const ignoreUnservedWebhooks: pulumi.ResourceTransform = (args) => {
    if (!/:(Validating|Mutating)WebhookConfiguration$/.test(args.type)) return undefined;
    const webhooks = ((args.props.webhooks ?? []) as Record<string, unknown>[]).map((w) => ({ ...w, failurePolicy: "Ignore" }));
    return { props: { ...args.props, webhooks }, opts: args.opts };
};

const directoryProgram = async () => {
    new k8s.kustomize.v2.Directory("kubeflow", { directory: path.join(TREE_191, "example"), skipAwait: true }, { transforms: [ignoreUnservedWebhooks] });
};

/** pulumi-kubernetes' kustomize.v2.Directory on the release's example: preview from empty, then up. */
async function directoryRuns(): Promise<{
    previewMs: number;
    upMs: number;
    previewShows: string;
    upFailed: boolean;
    upError: string;
    state?: { stateBytes: number; edges: number; resources: number };
}> {
    return withCluster(async (cluster) => {
        const program = directoryProgram;
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
            let upError = "";
            const upFailed = await Promise.race([
                engine.stack.up().then(
                    () => false,
                    (e: unknown) => {
                        upError = String(e)
                            .split("\n")
                            .filter((l) => /error/i.test(l))
                            .slice(0, 3)
                            .join(" | ");
                        return true;
                    },
                ),
                deadline,
            ]);
            clearTimeout(timer);
            const upMs = since(t);
            const state = upFailed ? undefined : await stateFacts(engine.stack);
            await engine.stack.destroy().catch(() => undefined);
            return { previewMs, upMs, previewShows: JSON.stringify(preview.changeSummary), upFailed, upError, state };
        } finally {
            await engine.stop();
        }
    });
}

async function main(): Promise<void> {
    const kubectl = await kubectlPeer();
    const kfstack = await kfstackRuns();
    const directory = await directoryRuns();
    const upWithAutomaticLogMs = await upOnce(kfstackProgram, kfstackConfig(), true);
    // kfstack's up against the Directory's, alternately, more runs: the median of each (a single run varies by a few seconds).
    const ups = { kfstack: [kfstack.upMs], directory: [directory.upMs] };
    for (let i = 1; i < UP_RUNS; i++) {
        ups.directory.push(await upOnce(directoryProgram, {}));
        ups.kfstack.push(await upOnce(kfstackProgram, kfstackConfig()));
    }
    process.stdout.write(
        JSON.stringify({
            kubectl,
            kfstack: { ...kfstack, upWithAutomaticLogMs, upRuns: ups.kfstack, upMedianMs: median(ups.kfstack) },
            directory: { ...directory, upRuns: ups.directory, upMedianMs: median(ups.directory) },
        }) + "\n",
    );
}

main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e) + "\n");
    process.exit(1);
});
