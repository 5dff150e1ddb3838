/** Helpers of the tests only. */
import * as path from "path";
import * as fs from "fs";
import * as os from "os";
import { spawnSync } from "child_process";
import { CLI, sharedPresent } from "../../harness/paths";
import type { K8sObject } from "../../lib/core";

export { ROOT, SHARED, RENDERED_191, TREE_191, CLI } from "../../harness/paths";

/**
 * Skips the calling suite when ../shared is absent (CI has it; a contributor may not),
 * saying why. Call it in a `before` hook: `before(function () { needShared(this); })`.
 */
export function needShared(ctx: Mocha.Context): void {
    if (sharedPresent()) return;
    if (process.env.CI) throw new Error("../shared/kubeflow-manifests is missing; CI must have it");
    ctx.skip();
}

/** The public registries a cluster in China or an air gap cannot reach. */
export const PUBLIC_HOSTS = ["gcr.io", "quay.io", "ghcr.io", "docker.io", "nvcr.io", "registry.k8s.io", "k8s.gcr.io", "public.ecr.aws", "mcr.microsoft.com"];

/**
 * Independent of the project's discovery: every occurrence of a public registry host
 * in the text that is not a path component below `mirrorLocation`.
 */
export function publicHostsOutside(text: string, mirrorLocation: string): string[] {
    const hits: string[] = [];
    const hostPattern = new RegExp(`(^|.)(${PUBLIC_HOSTS.map((h) => h.replace(/\./g, "\\.")).join("|")})/[^\\s"',]*`, "g");
    for (const m of text.matchAll(hostPattern)) {
        const start = m.index ?? 0;
        const before = text.slice(Math.max(0, start + m[1].length - mirrorLocation.length - 1), start + m[1].length);
        if (before === `${mirrorLocation}/`) continue;
        // A host inside a longer name (notgcr.io, a.docker.io) is not that host.
        if (/[A-Za-z0-9.-]/.test(m[1])) continue;
        hits.push(m[0].slice(m[1].length));
    }
    return hits;
}

/** Runs the built CLI as a process. */
export function runCli(args: string[], input?: string): { stdout: string; stderr: string; status: number } {
    const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
}

export function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `kfstack-${prefix}-`));
}

/** Runs the built CLI (or another copy of it, `script`) as a process without blocking (servers in this process keep answering). */
export function runCliAsync(
    args: string[],
    options: { input?: string; env?: NodeJS.ProcessEnv; onStderr?: (chunk: string) => void; cwd?: string; script?: string } = {},
): { done: Promise<{ stdout: string; stderr: string; status: number; signal: NodeJS.Signals | null }>; child: import("child_process").ChildProcess } {
    const { spawn } = require("child_process") as typeof import("child_process");
    const child = spawn(process.execPath, [options.script ?? CLI, ...args], {
        env: options.env ?? process.env,
        cwd: options.cwd,
        stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
        stderr += c;
        options.onStderr?.(c);
    });
    child.stdin.end(options.input ?? "");
    const done = new Promise<{ stdout: string; stderr: string; status: number; signal: NodeJS.Signals | null }>((resolve) =>
        child.on("close", (code, signal) => resolve({ stdout, stderr, status: code ?? -1, signal })),
    );
    return { done, child };
}

/** Skips the suite when a Debian tool it needs is absent (under CI the suite fails instead). */
export function needTools(ctx: Mocha.Context, tools: string[]): void {
    const missing = tools.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
    if (missing.length === 0) return;
    if (process.env.CI) throw new Error(`${missing.join(", ")} missing; .ci/run installs them (scripts/setup.sh)`);
    ctx.skip();
}

/** A release with one app holding one ConfigMap of `size` bytes and one Deployment. */
export function tinyRelease(dir: string, size = 100): string {
    const root = path.join(dir, "release");
    fs.mkdirSync(path.join(root, "example"), { recursive: true });
    fs.mkdirSync(path.join(root, "apps", "hello", "base"), { recursive: true });
    fs.writeFileSync(path.join(root, "example", "kustomization.yaml"), "resources:\n- ../apps/hello/base\n");
    fs.writeFileSync(path.join(root, "apps", "hello", "base", "kustomization.yaml"), "resources:\n- objects.yaml\n");
    const objects = [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: default}\ndata:\n  blob: " + "x".repeat(size) + "\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: hello, namespace: default}\nspec:\n  selector: {matchLabels: {app: hello}}\n  template:\n    metadata: {labels: {app: hello}}\n    spec:\n      containers:\n      - name: hello\n        image: gcr.io/hello/hello:1.0\n",
    ];
    fs.writeFileSync(path.join(root, "apps", "hello", "base", "objects.yaml"), objects.join("---\n"));
    return root;
}

/**
 * A 64 KiB tmpfs mounted in a new folder, to fill up (a full disk on demand); skips the test
 * where mounting is not allowed (not root), fails it where the engine suites must run.
 */
export function smallDisk(ctx: Mocha.Context): { dir: string; mount: string; unmount: () => void } {
    const dir = tempDir("small-disk");
    const mount = path.join(dir, "small");
    fs.mkdirSync(mount);
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount], { encoding: "utf8" });
    if (m.status !== 0) {
        if (process.env.KFSTACK_REQUIRE_E2E === "1") throw new Error(`cannot mount a tmpfs to fill: ${m.stderr}`);
        ctx.skip(); // mounting needs root
    }
    return { dir, mount, unmount: () => void spawnSync("umount", [mount]) };
}

/**
 * Skips the suite when a real part it needs is absent (each named with whether it is there);
 * fails it instead where the engine suites must run (`.ci/run` once the engine built).
 */
export function needParts(ctx: Mocha.Context, parts: Record<string, unknown>): void {
    const missing = Object.entries(parts)
        .filter(([, there]) => !there)
        .map(([name]) => name);
    if (missing.length === 0) return;
    if (process.env.KFSTACK_REQUIRE_E2E === "1") throw new Error(`missing: ${missing.join(", ")} (scripts/setup.sh, scripts/build-engine.sh)`);
    ctx.skip();
}

/** A CRD of `Widget` (example.com, namespaced) whose `spec` has the given fields, served and stored in the first of `versions`: upgrade tests change its schema. */
export function widgetCrd(fields: Record<string, unknown>, versions = ["v1"]): K8sObject {
    return {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "widgets.example.com" },
        spec: {
            group: "example.com",
            scope: "Namespaced",
            names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
            versions: versions.map((name) => ({
                name,
                served: true,
                storage: name === versions[0],
                schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: fields } } } },
            })),
        },
    };
}
