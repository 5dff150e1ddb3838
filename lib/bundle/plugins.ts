/**
 * The Pulumi plugins a stack's program needs, and the programs around it: found on the connected
 * side (the plugin cache, else PATH), installed inside as `pulumi plugin install --file` would
 * (`$PULUMI_HOME/plugins/<kind>-<name>-v<version>/pulumi-<kind>-<name>`).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { InputError } from "../core/errors";
import { makeDirs } from "../core/outputPath";
import type { Settings } from "../config";

/** A plugin the program loads: the provider and the version its SDK package pins. */
export interface PluginNeed {
    readonly kind: "resource";
    readonly name: string;
    readonly version: string;
    /** Why the stack needs it. */
    readonly why: string;
}

/** The provider SDK packages' pinned plugin: `@pulumi/kubernetes`'s package.json `pulumi` field. */
function pinnedVersion(projectRoot: string, pkg: string): string {
    const file = path.join(projectRoot, "node_modules", "@pulumi", pkg, "package.json");
    try {
        const p = JSON.parse(fs.readFileSync(file, "utf8")) as { version: string; pulumi?: { version?: string } };
        return p.pulumi?.version ?? p.version;
    } catch {
        throw new InputError(`${file} is missing: run 'npm ci' in ${projectRoot} before making a bundle`, file);
    }
}

/**
 * What `pulumi plugin ls` lists after an `up` of this stack: the Kubernetes provider always; AWS
 * for an EKS cluster or an ECR mirror; Docker when the mirror is filled with Docker.
 */
export function pluginsFor(settings: Settings, projectRoot: string): PluginNeed[] {
    const needs: PluginNeed[] = [{ kind: "resource", name: "kubernetes", version: pinnedVersion(projectRoot, "kubernetes"), why: "every stack" }];
    if (settings.eks || settings.mirrorFill.type === "ecr")
        needs.push({ kind: "resource", name: "aws", version: pinnedVersion(projectRoot, "aws"), why: settings.eks ? "an EKS cluster" : "an ECR mirror" });
    if (settings.mirrorFill.type !== "none" && settings.mirrorFill.engine === "docker")
        needs.push({ kind: "resource", name: "docker", version: pinnedVersion(projectRoot, "docker"), why: "a mirror filled with Docker" });
    return needs;
}

/** `$PULUMI_HOME`, as the CLI reads it. */
export function pulumiHome(env: NodeJS.ProcessEnv = process.env): string {
    return env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
}

/** The plugin's folder and binary name, as the CLI lays them out. */
export function pluginPlace(p: { kind: string; name: string; version: string }): { dir: string; binary: string } {
    return { dir: `${p.kind}-${p.name}-v${p.version.replace(/^v/, "")}`, binary: `pulumi-${p.kind}-${p.name}` };
}

/** Where an executable is on PATH, if anywhere. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    for (const dir of (env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        const f = path.join(dir, name);
        try {
            fs.accessSync(f, fs.constants.X_OK);
            if (fs.statSync(f).isFile()) return f;
        } catch {
            // not here
        }
    }
    return undefined;
}

/** The binary of a needed plugin on this machine: the plugin cache first, else PATH (which the CLI would also use). */
export function findPlugin(p: PluginNeed, env: NodeJS.ProcessEnv = process.env): string {
    const { dir, binary } = pluginPlace(p);
    const cached = path.join(pulumiHome(env), "plugins", dir, binary);
    if (fs.existsSync(cached) && !fs.existsSync(path.join(pulumiHome(env), "plugins", `${dir}.partial`))) return cached;
    const ambient = onPath(binary, env);
    if (ambient) return ambient;
    throw new InputError(
        `the ${p.name} provider ${p.version} (${p.why}) is not on this machine: run 'pulumi plugin install ${p.kind} ${p.name} v${p.version}' here, then create the bundle again`,
        binary,
    );
}

/** Installs one plugin binary into `$PULUMI_HOME/plugins` (a folder made aside and renamed: never half there). */
export function installPlugin(p: { kind: string; name: string; version: string }, binary: string, home: string): string {
    const { dir, binary: name } = pluginPlace(p);
    const plugins = path.join(home, "plugins");
    const final = path.join(plugins, dir);
    makeDirs(plugins);
    const work = path.join(plugins, `.kfstack-${dir}-${process.pid}`);
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work);
    fs.copyFileSync(binary, path.join(work, name));
    fs.chmodSync(path.join(work, name), 0o755);
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(work, final);
    fs.rmSync(path.join(plugins, `${dir}.partial`), { force: true });
    return path.join(final, name);
}

/** The Pulumi CLI on PATH and the programs it ships with beside it (language host, policy analyzer, dynamic providers). */
export function pulumiCli(env: NodeJS.ProcessEnv = process.env): { name: string; file: string; version: string }[] {
    const cli = onPath("pulumi", env);
    if (!cli) return [];
    const r = spawnSync(cli, ["version"], { encoding: "utf8", env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
    const version = r.status === 0 ? r.stdout.trim() : "unknown";
    const dir = path.dirname(fs.realpathSync(cli));
    const beside = path.dirname(cli);
    const siblings = new Map<string, string>();
    for (const d of new Set([beside, dir]))
        for (const f of fs.readdirSync(d))
            if (/^pulumi-(language-nodejs|analyzer-policy(-nodejs)?|resource-pulumi-nodejs)$/.test(f) && !siblings.has(f)) siblings.set(f, path.join(d, f));
    return [{ name: "pulumi", file: cli, version }, ...[...siblings].sort().map(([name, file]) => ({ name, file, version }))];
}
