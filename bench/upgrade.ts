/**
 * Issue 22's benchmark: an upgrade in place against a fresh install of the new release, on the
 * real engine, each on a fresh local control plane of the same build (etcd, kube-apiserver,
 * kube-controller-manager with the PV binder; the nodeless dev stack):
 * - fresh: `pulumi up` of kubeflow/manifests v1.9.1 from empty;
 * - upgrade: v1.8.0 installed, then `kfstack:manifests` pointed at v1.9.1: its preview and its `up`.
 * Alternated, `RUNS` of each; `node dist/bench/upgrade.js` prints JSON, benchmark.ts writes the table.
 */
import * as path from "path";
import * as auto from "@pulumi/pulumi/automation";
import { startCluster } from "../harness/apiserver";
import { startEngine } from "../harness/engine";
import { engineConfig, nodelessDevConfig } from "../harness/stacks";
import { SHARED } from "../harness/paths";

const RUNS = 3;
const OLD = path.join(SHARED, "v1.8.0");
const NEW = path.join(SHARED, "v1.9.1");
const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const program = async () => (require("../index") as () => Promise<Record<string, unknown>>)();
const configFor = (tree: string): Record<string, auto.ConfigValue> =>
    engineConfig({ ...nodelessDevConfig(), "kfstack:manifests": JSON.stringify({ path: tree }) });

/** A fresh control plane and stack on `from`; `measure` runs there, then everything is removed. */
async function onFreshStack<T>(from: string | undefined, measure: (stack: auto.Stack) => Promise<T>): Promise<T> {
    const cluster = await startCluster({ controllers: true });
    const engine = await startEngine({ cluster, program, config: configFor(from ?? NEW), stackName: "bench" });
    try {
        if (from) await engine.stack.up();
        return await measure(engine.stack);
    } finally {
        await engine.stop();
        await cluster.stop();
    }
}

async function main(): Promise<void> {
    const fresh: number[] = [];
    const upgrade: { previewMs: number; upMs: number; changes: Record<string, number> }[] = [];
    for (let i = 0; i < RUNS; i++) {
        fresh.push(
            await onFreshStack(undefined, async (stack) => {
                const t = process.hrtime.bigint();
                await stack.up();
                return since(t);
            }),
        );
        upgrade.push(
            await onFreshStack(OLD, async (stack) => {
                await stack.setAllConfig(configFor(NEW));
                let t = process.hrtime.bigint();
                await stack.preview();
                const previewMs = since(t);
                t = process.hrtime.bigint();
                const up = await stack.up();
                return { previewMs, upMs: since(t), changes: (up.summary.resourceChanges ?? {}) as Record<string, number> };
            }),
        );
    }
    process.stdout.write(JSON.stringify({ fresh, upgrade }) + "\n");
}

main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e) + "\n");
    process.exit(1);
});
