/**
 * The inside of an air gap, for test/integration/bundle.test.ts: run in a network namespace of
 * its own with only loopback up (`unshare -n`), so nothing in it can reach a package registry, a
 * Go proxy or any address off this machine.
 *
 *   node airgap.js run PLAN.json     (from the kfstack checkout under test) starts what a site
 *       has — a registry as the mirror and a control plane, on 127.0.0.1 — and, for each step,
 *       installs a bundle with the bundle's own `kfstack.js`, checks the mirror and the plugin
 *       cache, then applies the installed stack with the `up` mode below;
 *   node airgap.js up JOB.json       (from the installed project: its own node modules, its own
 *       build) runs `pulumi up` and a preview of the installed stack through the engine harness,
 *       with the bundle's Pulumi CLI and PULUMI_HOME; no folder on PATH holds a provider, and
 *       plugin downloads are off, so the provider the engine runs is the one the install put there.
 *
 * Each prints one JSON line of what it saw; the test asserts on it.
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";

interface Step {
    /** The bundle to install, and the earlier one for a delta. */
    readonly bundle: string;
    readonly since?: string;
    /** Instead of an up: `kfstack render` of the installed stack with the installed project's CLI (no cluster needed). */
    readonly render?: boolean;
}

interface Scenario {
    readonly name: string;
    readonly steps: Step[];
}

interface Plan {
    readonly scenarios: Scenario[];
    /** A folder for each scenario's PULUMI_HOME and state. */
    readonly work: string;
}

interface Job {
    readonly project: string;
    readonly bin: string;
    readonly home: string;
    readonly kubeconfig: string;
    readonly backend: string;
    readonly stack: string;
}

/**
 * The stack file's config as the engine hands it to a program (objects JSON-encoded), with each
 * Dex user's password set as a secret — what a person does once after the install
 * (`pulumi config set --secret --path 'kfstack:users[0].password' …`).
 */
function stackConfig(file: string, password: string): Record<string, { value: string; secret?: boolean }> {
    // js-yaml from the project running this: the installed one in `up` mode.
    const jsyaml = require("js-yaml") as typeof import("js-yaml");
    const doc = jsyaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    const config = { ...doc.config };
    const users = config["kfstack:users"];
    if (Array.isArray(users)) config["kfstack:users"] = users.map((u: Record<string, unknown>) => ({ ...u, password }));
    return Object.fromEntries(
        Object.entries(config).map(([k, v]) => [k, { value: typeof v === "string" ? v : JSON.stringify(v), secret: k === "kfstack:users" }]),
    );
}

async function up(job: Job): Promise<unknown> {
    process.chdir(job.project);
    // The installed project's own harness and program (this file's folder is its dist/test/support).
    const dist = path.resolve(__dirname, "..", "..");
    const { startEngine, recordSteps, urnName } = require(path.join(dist, "harness", "engine")) as typeof import("../../harness/engine");
    const { PASSWORD } = require(path.join(dist, "harness", "stacks")) as typeof import("../../harness/stacks");
    const program = async () => (require(path.join(dist, "index")) as () => Promise<Record<string, unknown>>)();
    const engine = await startEngine({
        program,
        config: stackConfig(path.join(job.project, `Pulumi.${job.stack}.yaml`), PASSWORD),
        stackName: job.stack,
        backend: job.backend,
        bin: job.bin,
        pulumiHome: job.home,
        env: { KUBECONFIG: job.kubeconfig },
    });
    const policy = {
        policyPacks: [path.join(job.project, "policies")],
        policyPackConfigs: [path.join(job.project, "policies", `config.${job.stack}.json`)].filter((f) => fs.existsSync(f)),
    };
    try {
        const t0 = Date.now();
        const applied = recordSteps();
        const result = await engine.stack.up({ ...policy, onEvent: applied.onEvent });
        const upSeconds = (Date.now() - t0) / 1000;
        const preview = recordSteps();
        await engine.stack.preview({ ...policy, onEvent: preview.onEvent });
        const changes = [...preview.steps.ops].filter(([, op]) => !["same", "read", "refresh"].includes(op)).map(([u, op]) => `${op} ${urnName(u)}`);
        return {
            result: result.summary.result,
            changes: result.summary.resourceChanges ?? {},
            upSeconds,
            previewChanges: changes,
            mandatoryViolations: applied.steps.violations.filter((v) => v[1] === "mandatory").length,
        };
    } finally {
        await engine.stop();
    }
}

/** `Kind/name` of every object a render folder holds. */
function renderedNames(dir: string): string[] {
    const jsyaml = require("js-yaml") as typeof import("js-yaml");
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .flatMap((f) => jsyaml.loadAll(fs.readFileSync(path.join(dir, f), "utf8")) as { kind?: string; metadata?: { name?: string } }[])
        .filter((d) => d?.kind)
        .map((d) => `${d.kind}/${d.metadata?.name}`)
        .sort();
}

async function run(plan: Plan): Promise<unknown> {
    // The checkout under test provides what a site has: a registry and a control plane.
    const { startRegistry } = require("../../harness/registry") as typeof import("../../harness/registry");
    const { startCluster } = require("../../harness/apiserver") as typeof import("../../harness/apiserver");
    const { pairsOf, splitName } = require("../../lib/mirror") as typeof import("../../lib/mirror");
    const { parseMirror } = require("../../lib/rewrite") as typeof import("../../lib/rewrite");
    // This machine's engine folder (and any other holding a provider) off PATH: the bundle's CLI and plugin only.
    process.env.PATH = (process.env.PATH ?? "")
        .split(path.delimiter)
        .filter((d) => d && !(fs.existsSync(d) && fs.statSync(d).isDirectory() && fs.readdirSync(d).some((e) => e.startsWith("pulumi"))))
        .join(path.delimiter);
    const out: Record<string, unknown>[] = [];
    for (const scenario of plan.scenarios) {
        const work = path.join(plan.work, scenario.name);
        fs.mkdirSync(work, { recursive: true });
        const home = path.join(work, "pulumi-home");
        const state = path.join(work, "state");
        fs.mkdirSync(state, { recursive: true });
        const registry = await startRegistry();
        const cluster = scenario.steps.some((s) => !s.render) ? await startCluster({ controllers: true }) : undefined;
        const mirror = parseMirror(`${registry.host}/kubeflow`);
        try {
            for (const step of scenario.steps) {
                const t0 = Date.now();
                // A delta ships kfstack.js only when it changed: else the earlier bundle's runs it, as `create` says.
                const cli = [step.bundle, step.since].map((d) => d && path.join(d, "kfstack.js")).find((f) => f && fs.existsSync(f))!;
                const args = [cli, "bundle", "install", step.bundle, "--mirror", mirror.location, "--plain-http"];
                if (step.since) args.push("--since", step.since);
                const install = spawnSync("node", args, { encoding: "utf8", env: { ...process.env, PULUMI_HOME: home }, maxBuffer: 64 << 20 });
                const installSeconds = (Date.now() - t0) / 1000;
                const record: Record<string, unknown> = {
                    scenario: scenario.name,
                    bundle: step.bundle,
                    since: step.since,
                    installExit: install.status,
                    installSeconds,
                    installStdout: install.stdout,
                    installStderr: install.stderr.slice(-4000),
                };
                out.push(record);
                if (install.status !== 0) break;
                // Every image of the bundle in the mirror with its digest.
                const manifest = JSON.parse(fs.readFileSync(path.join(step.bundle, "bundle.json"), "utf8")) as {
                    images: { source: string; digest: string }[];
                    stack: string;
                };
                const client = registry.client();
                const wrong: string[] = [];
                for (const image of manifest.images) {
                    const [pair] = pairsOf([image.source], mirror);
                    const have = await client.headManifest(splitName(pair.targetName).repository, pair.targetReference);
                    if (have?.digest !== image.digest) wrong.push(`${image.source}: ${have?.digest ?? "missing"}`);
                }
                record.imagesInMirror = manifest.images.length - wrong.length;
                record.imagesWrong = wrong;
                const bin = path.join(step.bundle, "install", "bin");
                const plugins = spawnSync(path.join(bin, "pulumi"), ["plugin", "ls", "--json"], {
                    encoding: "utf8",
                    env: { ...process.env, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" },
                });
                record.plugins =
                    plugins.status === 0
                        ? (JSON.parse(plugins.stdout) as { name: string; version: string }[]).map((p) => `${p.name} ${p.version}`)
                        : plugins.stderr;
                const project = path.join(step.bundle, "install", "project");
                if (step.render) {
                    const out = path.join(work, "rendered");
                    const r = spawnSync(
                        "node",
                        [
                            path.join(project, "dist", "lib", "cli", "main.js"),
                            "render",
                            "--config",
                            path.join(project, `Pulumi.${manifest.stack}.yaml`),
                            "--out",
                            out,
                        ],
                        {
                            cwd: project,
                            encoding: "utf8",
                        },
                    );
                    record.render = { exit: r.status, stderr: r.stderr.slice(-3000), names: r.status === 0 ? renderedNames(out) : [] };
                    continue;
                }
                const job: Job = { project, bin, home, kubeconfig: cluster!.kubeconfig, backend: `file://${state}`, stack: manifest.stack };
                const jobFile = path.join(work, "job.json");
                fs.writeFileSync(jobFile, JSON.stringify(job));
                const applied = spawnSync("node", [path.join(project, "dist", "test", "support", "airgap.js"), "up", jobFile], {
                    encoding: "utf8",
                    env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "kfstack-e2e" },
                    maxBuffer: 256 << 20,
                });
                const last = applied.stdout.trim().split("\n").pop() ?? "";
                const log = path.join(require("os").tmpdir(), `kfstack-bundle-up-${scenario.name}-${out.length}.log`);
                fs.writeFileSync(log, `${applied.stdout}\n${applied.stderr}`);
                record.upLog = log;
                const errors = [
                    ...new Set(
                        `${applied.stderr}\n${applied.stdout}`
                            .split("\n")
                            .filter((l) => /error:|Error:/.test(l))
                            .map((l) => l.trim().slice(0, 600)),
                    ),
                ];
                record.up =
                    applied.status === 0 ? JSON.parse(last) : { failed: applied.status, errors: errors.slice(0, 30), tail: applied.stderr.slice(-1500) };
                if (applied.status !== 0) break;
            }
        } finally {
            await cluster?.stop();
            await registry.stop();
        }
    }
    return out;
}

if (require.main === module) {
    const [mode, file] = process.argv.slice(2);
    const input = JSON.parse(fs.readFileSync(file, "utf8")) as Plan & Job;
    (mode === "up" ? up(input) : run(input)).then(
        (r) => {
            process.stdout.write(JSON.stringify(r) + "\n");
            process.exit(0);
        },
        (e: unknown) => {
            process.stderr.write(`${(e as Error).stack ?? e}\n`);
            process.exit(1);
        },
    );
}
