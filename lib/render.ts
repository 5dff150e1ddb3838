/**
 * `kfstack render`: the exact final manifests of each Kubeflow app, one file
 * per app, in install order, without a cluster — what `pulumi up` would
 * apply, for GitOps users and for review.
 */
import * as fs from "fs";
import * as path from "path";
import { parseSettings, kfstackConfig, ConfigError } from "./settings";
import { preparePlatform, PreparedPlatform } from "./platform";
import { dumpDocument, InputError, loadYaml } from "./yamlstream";
import { mirrorPlan } from "./inventory";
import { Mirror } from "./mirror";
import { K8sObject } from "./catalog";

export interface RenderOutcome {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number;
}

/** Settings for a render from flags and/or a stack file; flags win. */
export function renderSettings(flags: Map<string, string[]>) {
    const one = (k: string) => {
        const v = flags.get(k);
        if (v && v.length > 1) throw new InputError(`${k} given ${v.length} times; give it once`);
        return v?.[0];
    };
    let raw: Record<string, unknown> = {};
    let baseDir = process.cwd();
    const configFile = one("--config");
    if (configFile) {
        let text: string;
        try {
            text = fs.readFileSync(configFile, "utf8");
        } catch (e) {
            throw new InputError(`${configFile}: cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
        }
        let parsed: any;
        try {
            parsed = loadYaml(text);
        } catch (e) {
            throw new InputError(`${configFile}: invalid YAML: ${(e as Error).message.split("\n")[0]}`);
        }
        if (!parsed || typeof parsed !== "object" || typeof parsed.config !== "object") throw new InputError(`${configFile}: not a Pulumi stack file (no config: map)`);
        raw = kfstackConfig(parsed.config);
        baseDir = path.dirname(path.resolve(configFile));
    }
    const manifests = one("--manifests");
    if (manifests) raw.manifests = { path: path.resolve(manifests) };
    const mirror = one("--mirror");
    if (mirror) raw.mirror = { ...(raw.mirror as object ?? {}), registry: mirror };
    const kustomize = one("--kustomize");
    if (kustomize) raw.kustomize = { ...(raw.kustomize as object ?? {}), binary: kustomize };
    // Passwords are secrets only the Pulumi engine can decrypt: render leaves Dex's users as released.
    const hadUsers = Array.isArray(raw.users) && raw.users.length > 0;
    delete raw.users;
    return { settings: parseSettings(raw, baseDir), hadUsers };
}

/** Writes the prepared apps into `out`, replacing it whole only once everything is written. */
export function writeRender(prepared: PreparedPlatform, mirror: Mirror, out: string): string[] {
    const target = path.resolve(out);
    if (fs.existsSync(target)) {
        const st = fs.statSync(target);
        const entries = st.isDirectory() ? fs.readdirSync(target) : ["<file>"];
        if (!st.isDirectory() || (entries.length > 0 && !entries.includes(".kfstack-render"))) {
            throw new InputError(`--out ${out}: exists and is not an empty folder or an earlier kfstack render; choose another folder`);
        }
    }
    const width = String(prepared.apps.length).length;
    const staging = `${target}.kfstack-${process.pid}.tmp`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    const files: string[] = [];
    const steps: string[] = [];
    const write = (file: string, header: string, objects: K8sObject[]) => {
        fs.writeFileSync(path.join(staging, file), header + objects.map((o) => "---\n" + dumpDocument(o)).join(""));
        files.push(file);
    };
    prepared.apps.forEach((app, i) => {
        const base = `${String(i + 1).padStart(width, "0")}-${app.name}`;
        const header = `# kfstack render: app ${app.name}, ${app.objects.length} objects, after: ${app.dependsOn.join(", ") || "-"}\n# manifests sha256: ${app.digest}\n`;
        // An app's CRDs get a file of their own, applied and established before the objects
        // that use them: one kubectl call cannot map a kind whose CRD it is creating.
        const crds = app.objects.filter((o) => o.kind === "CustomResourceDefinition");
        const rest = app.objects.filter((o) => o.kind !== "CustomResourceDefinition");
        if (crds.length > 0) {
            write(`${base}.crds.yaml`, header, crds);
            steps.push(`apply ${base}.crds.yaml`, `established ${base}.crds.yaml`);
        }
        if (rest.length > 0) {
            write(`${base}.yaml`, header, rest);
            steps.push(`apply ${base}.yaml`);
            for (const w of rest.filter((o) => WORKLOADS.has(o.kind))) steps.push(`rollout ${w.kind.toLowerCase()}/${w.metadata.name} ${w.metadata.namespace ?? "default"}`);
        }
    });
    fs.writeFileSync(path.join(staging, "apply.sh"), applyScript(steps), { mode: 0o755 });
    fs.writeFileSync(path.join(staging, "images.txt"), [...new Set(prepared.apps.flatMap((a) => a.images))].sort().map((i) => i + "\n").join(""));
    // source <TAB> mirror reference <TAB> ECR repository: what to copy where before applying.
    fs.writeFileSync(path.join(staging, "mirror-plan.tsv"), mirrorPlan(prepared.apps.flatMap((a) => a.sourceImages), mirror).map((r) => r.join("\t") + "\n").join(""));
    fs.writeFileSync(path.join(staging, ".kfstack-render"), "Written by kfstack render; the whole folder is replaced on the next render.\n");
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    return files;
}

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

/**
 * Waits until every CRD in a file is established. `kubectl wait --for condition=...`
 * fails at once, instead of waiting, when it reads a CRD whose `status.conditions` is
 * still null (right after creation): ".status.conditions accessor error: <nil> is of the
 * type <nil>" (https://github.com/epinio/epinio/pull/829,
 * https://github.com/infinispan/infinispan-operator/issues/187). That one error is
 * retried, for at most KFSTACK_ESTABLISH_TIMEOUT seconds (default 120); any other fails the script.
 */
const ESTABLISHED = [
    "established() {",
    "  deadline=$(( $(date +%s) + ${KFSTACK_ESTABLISH_TIMEOUT:-120} ))",
    "  while ! err=$(kubectl wait --for condition=established --timeout=\"${KFSTACK_ESTABLISH_TIMEOUT:-120}s\" -f \"$1\" 2>&1 >/dev/null); do",
    "    case \"$err\" in *\".status.conditions accessor error\"*) ;; *) printf '%s\\n' \"$err\" >&2; return 1 ;; esac",
    "    if [ \"$(date +%s)\" -ge \"$deadline\" ]; then printf '%s\\n' \"$err\" >&2; return 1; fi",
    "    sleep 1",
    "  done",
    "  echo \"established: $1\"",
    "}",
];

/**
 * One pass, no retry loop: each file in install order, CRDs established before
 * their objects, each app's workloads rolled out before the next app (so a
 * webhook is served before anything it validates is created).
 * KFSTACK_NO_ROLLOUT_WAIT=1 skips the rollout waits (clusters without nodes).
 */
export function applyScript(steps: string[]): string {
    const lines = steps.map((step) => {
        const [verb, a, b] = step.split(" ");
        if (verb === "apply") return `kubectl apply --server-side --force-conflicts -f "${a}"`;
        if (verb === "established") return `established "${a}"`;
        return `[ "\${KFSTACK_NO_ROLLOUT_WAIT:-}" = 1 ] || kubectl rollout status "${a}" -n "${b}" --timeout=\${KFSTACK_ROLLOUT_TIMEOUT:-10m}`;
    });
    return ["#!/bin/sh", "# Written by kfstack render: applies this folder in install order, in one pass.", "set -eu", "cd \"$(dirname \"$0\")\"", ...ESTABLISHED, ...lines, ""].join("\n");
}

export async function renderCommand(flags: Map<string, string[]>): Promise<RenderOutcome> {
    const out = flags.get("--out")?.[0];
    if (!out) throw new InputError("'kfstack render' needs --out DIR");
    if (!flags.has("--config") && !flags.has("--manifests")) throw new InputError("'kfstack render' needs --manifests DIR (a kubeflow/manifests checkout) or --config Pulumi.<stack>.yaml");
    const { settings, hadUsers } = renderSettings(flags);
    const prepared = await preparePlatform(settings);
    const files = writeRender(prepared, settings.mirror, out);
    const objects = prepared.apps.reduce((n, a) => n + a.objects.length, 0);
    const notes = [
        ...prepared.warnings.map((w) => `kfstack: warning: ${w}`),
        ...(hadUsers ? ["kfstack: note: Dex users from the stack config are applied by `pulumi up` only (their passwords are secrets)"] : []),
        `kfstack: wrote ${prepared.apps.length} apps (${files.length} files), ${objects} objects to ${out}; apply with ${path.join(out, "apply.sh")} (images under ${settings.mirror.location}: copy them there first, ${path.join(out, "mirror-plan.tsv")})`,
    ];
    return { stdout: files.map((f) => path.join(out, f) + "\n").join(""), stderr: notes.join("\n") + "\n", code: 0 };
}

export { ConfigError };
