/**
 * The real Pulumi engine, offline, for tests and for people: the CLI and the Kubernetes
 * provider built from Go modules (scripts/build-engine.sh) drive a program through the
 * Automation API against a local API server, with state in a local backend.
 *
 *   const engine = await startEngine({ cluster, program, config });
 *   await engine.stack.up();
 *
 * Offline settings: the engine's bin folder first on PATH (the provider and the Node plugins
 * are found there), no update check, no plugin download, PULUMI_HOME and the state in temp
 * folders (removed by `stop`). The program runs inline in this process: no language host.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as auto from "@pulumi/pulumi/automation";
import { ENGINE_BIN } from "./paths";
import { Cluster } from "./apiserver";

/** The engine pieces a run needs, in .engine/bin. */
export const ENGINE_PIECES = ["pulumi", "pulumi-resource-kubernetes", "pulumi-analyzer-policy-nodejs"];

/** True when scripts/build-engine.sh has built the engine. */
export function enginePresent(): boolean {
    return ENGINE_PIECES.every((b) => fs.existsSync(path.join(ENGINE_BIN, b)));
}

export interface EngineOptions {
    /** The API server the program's provider talks to (its kubeconfig goes to KUBECONFIG). @default none (a program without Kubernetes objects) */
    readonly cluster?: Cluster;
    /** The program, run inline. */
    readonly program: auto.PulumiFn;
    /** Stack config: `kfstack:mirror` → value (objects JSON-encoded), secrets marked. */
    readonly config: Record<string, auto.ConfigValue>;
    /** @default "e2e" */
    readonly stackName?: string;
    /** A backend URL (`s3://...`); @default a file backend in a temp folder */
    readonly backend?: string;
    /** Save the state after every step, as people's stacks do. @default false (only the final state) */
    readonly checkpoints?: boolean;
    /**
     * Keep the CLI's automatic log (v3.259.0 writes every engine RPC, payloads included, gzip'd to
     * `$PULUMI_HOME/logs`: https://github.com/pulumi/pulumi/pull/23731). For a platform's 7 MB of
     * CRD schemas that is half of the CLI's CPU in an `up`; v3.259.0 has no switch for it, so the
     * harness puts a file where the folder would go and the CLI runs without it (see docs/operations.md,
     * "Large stacks"). @default false
     */
    readonly automaticLog?: boolean;
    /** More environment for the engine and its plugins. @default {} */
    readonly env?: Record<string, string>;
    /** The folder holding the Pulumi CLI (and the plugins it ships with), first on PATH. @default .engine/bin */
    readonly bin?: string;
    /** PULUMI_HOME (its plugins are used, it is kept by `stop`). @default a temp folder */
    readonly pulumiHome?: string;
}

export interface Engine {
    readonly stack: auto.Stack;
    /** The environment the engine runs with (PATH, PULUMI_HOME, KUBECONFIG, ...). */
    readonly env: Record<string, string>;
    /** Removes the stack's temp folders (call after `destroy`). */
    stop(): Promise<void>;
}

/** A stack on the local engine. */
export async function startEngine(options: EngineOptions): Promise<Engine> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-engine-"));
    const home = options.pulumiHome ?? path.join(dir, "home");
    const state = path.join(dir, "state");
    const bin = options.bin ?? ENGINE_BIN;
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(state);
    if (!options.automaticLog) withoutAutomaticLog(home);
    const env: Record<string, string> = {
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
        PULUMI_HOME: home,
        PULUMI_CONFIG_PASSPHRASE: "kfstack-e2e",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        // The file backend writes the whole state after every step: for the ~570 objects of a
        // platform (7 MB of CRD schemas) that is gigabytes of JSON per update. A local test
        // stack keeps only the final state; people's stacks keep every checkpoint.
        ...(options.checkpoints ? {} : { PULUMI_SKIP_CHECKPOINTS: "true" }),
        ...(options.cluster ? { KUBECONFIG: options.cluster.kubeconfig } : {}),
        ...(options.env ?? {}),
    };
    const pulumiCommand = await auto.PulumiCommand.get({ root: path.dirname(bin) });
    const stack = await auto.LocalWorkspace.createOrSelectStack(
        { stackName: options.stackName ?? "e2e", projectName: "kfstack", program: options.program },
        {
            // Its own folder: the workspace writes Pulumi.<stack>.yaml there, never into the project.
            workDir: dir,
            pulumiHome: home,
            pulumiCommand,
            envVars: env,
            projectSettings: { name: "kfstack", runtime: "nodejs", backend: { url: options.backend ?? `file://${state}` } },
        },
    );
    await stack.setAllConfig(options.config);
    return {
        stack,
        env,
        stop: async () => {
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

/**
 * Makes the Pulumi CLI skip its automatic log under `pulumiHome`: a file where its `logs` folder
 * would be makes the log's set-up fail, which the CLI reports only at `-v` and carries on
 * (pkg/cmd/pulumi/pulumi.go: "automatic logging unavailable"). `pulumi logs` has nothing to show then.
 */
export function withoutAutomaticLog(pulumiHome: string): void {
    const logs = path.join(pulumiHome, "logs");
    fs.rmSync(logs, { recursive: true, force: true });
    fs.writeFileSync(logs, "kfstack: the Pulumi CLI's automatic log is off for this PULUMI_HOME (see kfstack's docs/operations.md, Large stacks)\n");
}

/** What one preview or update did to each resource, from the engine's own events. */
export interface Steps {
    /** URN → the step's op (`create`, `update`, `same`, `delete`, `replace`, ...). */
    readonly ops: Map<string, string>;
    /** Policy violations the engine reported: `[policy, level, message, urn]`. */
    readonly violations: [string, string, string, string | undefined][];
}

/** An `onEvent` callback that records the engine's steps and policy events, with the result it fills. */
export function recordSteps(): { onEvent: (e: auto.EngineEvent) => void; steps: Steps } {
    const steps: Steps = { ops: new Map(), violations: [] };
    const onEvent = (e: auto.EngineEvent) => {
        const meta = e.resourcePreEvent?.metadata;
        if (meta) steps.ops.set(meta.urn, meta.op);
        const policy = e.policyEvent;
        if (policy) steps.violations.push([policy.policyName, policy.enforcementLevel, policy.message, policy.resourceUrn]);
    };
    return { onEvent, steps };
}

/** The type of a URN's resource (`kubernetes:apps/v1:Deployment`), without its parents' types. */
export function urnType(urn: string): string {
    const chain = urn.split("::")[2] ?? "";
    return chain.slice(chain.lastIndexOf("$") + 1);
}

/** The name part of a URN (`...::kubeflow-kubeflow/ml-pipeline`). */
export function urnName(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}
