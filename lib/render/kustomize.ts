/**
 * Rendering kustomize directories with the real kustomize, offline, cached.
 *
 * - The `kustomize` binary when present (on PATH, or built by scripts/setup.sh
 *   into .tools/bin), else `kubectl kustomize`; configurable.
 * - A render is cached under a hash of every input file the kustomization can
 *   reach (resources, bases, components, patches, generator files, ...), the
 *   renderer's version and the remote-base map, so an unchanged app is never
 *   rendered twice.
 * - Remote bases (`https://github.com/...?ref=`, `github.com/...`) cannot be
 *   fetched here: each must be mapped to a local checkout, or rendering stops
 *   with an error naming the URL.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as crypto from "crypto";
import { spawn, spawnSync } from "child_process";
import { InputError } from "../core/errors";
import { makeDirs, writeFailure } from "../core/outputPath";
import { InterruptedError, removeTemporary, stopSignal, trackTemporary } from "../core/interrupt";
import { isPlainObject } from "../core/objects";
import { readYamlFile } from "../core/yaml";
import { cachePath } from "../core/cache";
import { configKey } from "../core/configKeys";
import { packageRoot } from "../core/packageRoot";
import { kustomizationFile, isRemote } from "../source/kustomization";

/** How to render (`kfstack:kustomize`). */
export interface RendererOptions {
    /**
     * `kustomize`, `kubectl`, or a path to either binary.
     * @default "kustomize" on PATH, else .tools/bin/kustomize, else "kubectl"
     */
    readonly binary?: string;
    /** Remote base URL → local checkout directory. @default {} */
    readonly remotes?: Readonly<Record<string, string>>;
    /** Where renders are cached; `false` turns the cache off. @default "<cwd>/.kfstack-cache/render" */
    readonly cacheDir?: string | false;
}

/** The inputs a kustomization can read: files to hash, and remote bases. */
export interface Closure {
    readonly files: string[];
    readonly remotes: { readonly url: string; readonly from: string }[];
}

/** A string, or the strings of a list (non-strings dropped: inline patches are maps). */
function strs(v: unknown): string[] {
    if (typeof v === "string") return [v];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** A field of each map of a list: `patches[].path`. */
function fieldOf(list: unknown, field: string): string[] {
    return Array.isArray(list) ? list.flatMap((x) => (x && typeof x === "object" ? strs((x as Record<string, unknown>)[field]) : [])) : [];
}

/**
 * The paths a kustomization reads, field by field, as kustomize itself reads them
 * (https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/): only these are
 * inputs. A value of another field that happens to name a path on this machine (the
 * `delimiter: /` of a replacement) is none.
 */
export function kustomizationPaths(k: Record<string, unknown>): string[] {
    const generators = [...(Array.isArray(k.configMapGenerator) ? k.configMapGenerator : []), ...(Array.isArray(k.secretGenerator) ? k.secretGenerator : [])];
    const helmCharts = Array.isArray(k.helmCharts) ? k.helmCharts : [];
    const helmGlobals = (k.helmGlobals && typeof k.helmGlobals === "object" ? k.helmGlobals : {}) as Record<string, unknown>;
    const openapi = (k.openapi && typeof k.openapi === "object" ? k.openapi : {}) as Record<string, unknown>;
    return [
        ...strs(k.resources),
        ...strs(k.bases),
        ...strs(k.components),
        ...strs(k.crds),
        ...strs(k.configurations),
        ...strs(k.transformers),
        ...strs(k.generators),
        ...strs(k.validators),
        ...strs(openapi.path),
        ...fieldOf(k.patches, "path"),
        ...strs(k.patchesStrategicMerge).filter((p) => !p.includes("\n")),
        ...fieldOf(k.patchesJson6902, "path"),
        ...fieldOf(k.replacements, "path"),
        // Generator files are `path` or `key=path`.
        ...fieldOf(generators, "files").map((f) => f.replace(/^[^=]*=/, "")),
        ...fieldOf(generators, "envs"),
        ...fieldOf(generators, "env"),
        ...fieldOf(helmCharts, "valuesFile"),
        ...fieldOf(helmCharts, "additionalValuesFiles"),
        ...(helmCharts.length > 0 ? strs(helmGlobals.chartHome ?? "charts") : []),
    ];
}

/**
 * Walks a kustomization and everything it refers to (kustomizationPaths), relative to the
 * kustomization; a directory with a kustomization is walked too, any other directory (a
 * Helm chart home) is input whole. Absolute paths are never followed: kustomize itself
 * refuses them, and one (`/`) would make the walk read the whole machine.
 */
export function closure(dir: string): Closure {
    const files = new Set<string>();
    const remotes: { url: string; from: string }[] = [];
    const seen = new Set<string>();
    const visit = (d: string) => {
        const real = fs.realpathSync(d);
        if (seen.has(real)) return;
        seen.add(real);
        const file = kustomizationFile(real);
        if (!file) {
            for (const f of listFiles(real)) files.add(f);
            return;
        }
        files.add(file);
        const parsed = readYamlFile(file, "kustomization");
        if (!isPlainObject(parsed)) throw new InputError(`${file}: not a kustomization (a map of resources, patches, ...); fix the file`, file);
        for (const ref of kustomizationPaths(parsed)) {
            if (isRemote(ref)) {
                remotes.push({ url: ref, from: file });
                continue;
            }
            if (ref === "" || path.isAbsolute(ref)) continue;
            const p = path.resolve(real, ref);
            if (!fs.existsSync(p)) continue; // kustomize names a missing input when it renders
            const st = fs.statSync(p);
            if (st.isDirectory()) visit(p);
            else if (st.isFile()) files.add(fs.realpathSync(p));
        }
    };
    visit(dir);
    return { files: [...files].sort(), remotes };
}

function listFiles(dir: string): string[] {
    const out: string[] = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) out.push(...listFiles(p));
        else if (entry.isFile()) out.push(p);
    }
    return out;
}

let renderer: { command: string; args: string[]; version: string } | undefined;
let rendererKey: string | undefined;

/** Resolves the renderer command once per process. */
export function resolveRenderer(binary?: string): { command: string; args: string[]; version: string } {
    const key = binary ?? "";
    if (renderer && rendererKey === key) return renderer;
    // scripts/setup.sh builds kustomize into <package>/.tools/bin; kubectl's embedded kustomize is the fallback.
    const local = path.join(packageRoot(), ".tools", "bin", "kustomize");
    const candidates = binary ? [binary] : ["kustomize", ...(fs.existsSync(local) ? [local] : []), "kubectl"];
    for (const candidate of candidates) {
        const isKubectl = path.basename(candidate).startsWith("kubectl");
        const probe = spawnSync(candidate, isKubectl ? ["version", "--client"] : ["version"], { encoding: "utf8" });
        if (probe.error || probe.status !== 0) continue;
        renderer = { command: candidate, args: isKubectl ? ["kustomize"] : ["build"], version: probe.stdout.trim() };
        rendererKey = key;
        return renderer;
    }
    throw new InputError(
        binary
            ? `kustomize binary ${JSON.stringify(binary)} cannot be run; set ${configKey("kustomize", "binary")} to a kustomize or kubectl on this machine`
            : `neither kustomize nor kubectl is on PATH; install one, or set ${configKey("kustomize", "binary")}`,
    );
}

/** The cache key of a render: every input's path and content, the renderer's version, the remote map. */
export function renderKey(dir: string, options: RendererOptions = {}): { key: string; closure: Closure } {
    const c = closure(dir);
    const hash = crypto.createHash("sha256");
    hash.update(resolveRenderer(options.binary).version);
    hash.update(JSON.stringify(options.remotes ?? {}));
    hash.update(fs.realpathSync(dir));
    for (const f of c.files) {
        hash.update(f);
        hash.update(fs.readFileSync(f));
    }
    // What a mapped remote base holds is input too: a changed local checkout or copy renders again.
    for (const r of c.remotes) {
        const local = options.remotes?.[r.url];
        if (local === undefined || !fs.existsSync(local)) continue; // render() names it
        const inputs = fs.statSync(local).isFile() ? [path.resolve(local)] : closure(local).files;
        for (const f of inputs) {
            hash.update(f);
            hash.update(fs.readFileSync(f));
        }
    }
    return { key: hash.digest("hex"), closure: c };
}

/** A render's result. */
export interface Rendered {
    readonly text: string;
    readonly cached: boolean;
    readonly key: string;
}

/**
 * Renders a kustomize directory; `label` names it in errors (an app name, say).
 * Uses the cache when the inputs are unchanged.
 */
export async function render(dir: string, label: string, options: RendererOptions = {}): Promise<Rendered> {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new InputError(`${label}: ${dir} is not a directory`);
    }
    if (!kustomizationFile(dir)) {
        throw new InputError(`${label}: ${dir} is not a kustomization (no kustomization.yaml in it)`);
    }
    const { key, closure: c } = renderKey(dir, options);
    const cacheDir = options.cacheDir === false ? undefined : (options.cacheDir ?? cachePath("render"));
    const cacheFile = cacheDir ? path.join(cacheDir, `${key}.yaml`) : undefined;
    if (cacheFile && fs.existsSync(cacheFile)) {
        return { text: fs.readFileSync(cacheFile, "utf8"), cached: true, key };
    }
    let target = dir;
    let scratch: string | undefined;
    if (c.remotes.length > 0) {
        ({ target, scratch } = localiseRemotes(dir, c, options.remotes ?? {}, label));
    }
    try {
        const text = await run(resolveRenderer(options.binary), target, label);
        if (cacheFile) {
            // Write then rename, so a concurrent reader never sees half a file.
            const tmp = `${cacheFile}.${process.pid}.tmp`;
            try {
                makeDirs(path.dirname(cacheFile));
                fs.writeFileSync(tmp, text);
                fs.renameSync(tmp, cacheFile);
            } catch (e) {
                fs.rmSync(tmp, { force: true });
                throw writeFailure(`${configKey("kustomize", "cacheDir")} ${cacheDir}`, e, "cannot write the render cache");
            }
        }
        return { text, cached: false, key };
    } finally {
        if (scratch) removeTemporary(scratch);
    }
}

function run(r: { command: string; args: string[] }, dir: string, label: string): Promise<string> {
    return new Promise((resolve, reject) => {
        if (stopSignal.aborted) return reject(new InterruptedError(`rendering ${label}`));
        // Its own process group: a terminal's Ctrl-C reaches kfstack alone, which stops the
        // renderer itself (instead of printing the renderer's death as a render failure).
        const child = spawn(r.command, [...r.args, dir], { stdio: ["ignore", "pipe", "pipe"], detached: true });
        const kill = () => child.kill("SIGKILL");
        stopSignal.addEventListener("abort", kill, { once: true });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.on("data", (b: Buffer) => err.push(b));
        child.on("error", (e) => reject(new InputError(`${label}: cannot run ${r.command}: ${e.message}`)));
        child.on("close", (code) => {
            stopSignal.removeEventListener("abort", kill);
            if (stopSignal.aborted) reject(new InterruptedError(`rendering ${label}`));
            else if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
            else {
                // kustomize prints deprecation warnings too; keep the error lines.
                const lines = Buffer.concat(err)
                    .toString("utf8")
                    .split("\n")
                    .filter((l) => l.trim() && !l.startsWith("# Warning:"));
                reject(new InputError(`${label}: ${r.command} ${r.args.join(" ")} ${dir} failed: ${lines.slice(-5).join("; ")}`));
            }
        });
    });
}

/**
 * Copies the app's input files into a scratch tree, with each remote URL replaced
 * by its local checkout (copies, not symlinks: kustomize's load restrictor
 * refuses files that resolve outside the root). Throws naming each URL that has
 * no local checkout.
 */
function localiseRemotes(dir: string, c: Closure, remotes: Readonly<Record<string, string>>, label: string): { target: string; scratch: string } {
    const missing = c.remotes.filter((r) => remotes[r.url] === undefined || !fs.existsSync(remotes[r.url]));
    if (missing.length > 0) {
        const lines = missing.map(
            (m) => `  ${m.url} (in ${m.from})${remotes[m.url] !== undefined ? `: mapped to ${remotes[m.url]}, which does not exist` : ""}`,
        );
        throw new InputError(
            `${label}: remote kustomize bases cannot be fetched offline; map each to a local checkout (a git URL) or a local copy (a file URL) with ${configKey("kustomize", "remotes")} (URL: PATH):\n${lines.join("\n")}`,
        );
    }
    const root = commonRoot([fs.realpathSync(dir), ...c.files]);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-remote-"));
    trackTemporary(scratch);
    const rewrite = new Map<string, string>();
    for (const r of c.remotes) rewrite.set(r.from, "");
    for (const f of c.files) {
        const dest = path.join(scratch, path.relative(root, f));
        makeDirs(path.dirname(dest));
        if (rewrite.has(f)) {
            let text = fs.readFileSync(f, "utf8");
            for (const r of c.remotes.filter((x) => x.from === f)) {
                const local = path.resolve(remotes[r.url]);
                let target = local;
                if (fs.statSync(local).isFile()) {
                    // A remote file (a release's manifests.yaml): kustomize's load restrictor
                    // refuses files outside the kustomization's root, so the copy goes beside it.
                    const name = `kfstack-remote-${crypto.createHash("sha256").update(r.url).digest("hex").slice(0, 12)}-${path.basename(local)}`;
                    target = path.join(path.dirname(dest), name);
                    fs.copyFileSync(local, target);
                }
                // kustomize refuses absolute paths as resources; a relative one may leave the root (directories only).
                text = text.split(r.url).join(path.relative(path.dirname(dest), target));
            }
            fs.writeFileSync(dest, text);
        } else {
            fs.copyFileSync(f, dest);
        }
    }
    return { target: path.join(scratch, path.relative(root, fs.realpathSync(dir))), scratch };
}

function commonRoot(paths: string[]): string {
    let root = path.dirname(paths[0]);
    for (const p of paths) while (!(p + path.sep).startsWith(root + path.sep) && root !== path.sep) root = path.dirname(root);
    return root;
}
