/**
 * `kfstack bundle create`: everything `pulumi up` of one stack needs, in one folder, on a
 * connected machine — the stack's images (an OCI layout, as `mirror export` writes it), its
 * kubeflow/manifests release and remote bases, the project with the package tarballs of its lock,
 * the Pulumi plugins the program loads, the Pulumi CLI, kustomize, the stack file, a
 * self-contained `kfstack.js` that installs it all inside, `bundle.json` and `checksums.sha256`.
 *
 * With `since` (an earlier bundle or its bundle.json) it is a delta: a file the earlier bundle
 * holds with the same checksum is listed but not shipped — image blobs by digest, package
 * tarballs by integrity, plugins, every other file by name and checksum — and an image whose
 * source digest is unchanged is not even fetched.
 *
 * Resumable: the folder carries a marker until bundle.json is written last; running the same
 * command again keeps what is there (images already exported, files already copied).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { InputError, KfstackError } from "../core/errors";
import { checkOutputPath, makeDirs, writeFailure, isLocalWriteFailure } from "../core/outputPath";
import { packageRoot } from "../core/packageRoot";
import { InterruptedError, throwIfStopped } from "../core/interrupt";
import { manifestsDir } from "../source/manifests";
import { resolveRenderer } from "../render/kustomize";
import { Mirror } from "../rewrite/mirror";
import { preparePlatform } from "../plan";
import { planExtras } from "../check";
import { exportImages, layoutImages, LayoutBase, RunSummary } from "../mirror";
import type { RegistryAccess } from "../mirror";
import { parseSettings, readStackFile } from "../config";
import { ByteProgress, copyHashing, FileSum, hashFile, listTree, placeFile, writeFileAtomic } from "./files";
import {
    BundleImage,
    BundleManifest,
    BundlePlugin,
    BundleTool,
    checksumsText,
    CHECKSUMS,
    FORMAT,
    manifestOf,
    MANIFEST,
    thisPlatform,
    UNFINISHED,
} from "./manifest";
import { cachedTarballs, lockTarballs, NPM_DIR } from "./npm";
import { findPlugin, onPath, pluginPlace, pluginsFor, pulumiCli } from "./plugins";
import { writeTar } from "./tar";

export interface CreateOptions extends RegistryAccess {
    /** The stack file (`Pulumi.<stack>.yaml`). */
    readonly configFile: string;
    /** The bundle's folder (new, empty, or an unfinished bundle to resume). */
    readonly out: string;
    /** An earlier bundle (its folder or bundle.json): the new one ships only what it lacks. @default a full bundle */
    readonly since?: string;
    /** The images, instead of the stack's plan. @default every image the stack's platform runs */
    readonly images?: readonly string[];
    /** Fetch the images from this registry, where they are mirrored already. @default each image's own registry */
    readonly from?: Mirror;
    /** Images fetched at once. @default 4 */
    readonly jobs?: number;
    readonly progress?: (line: string) => void;
    /** The environment plugins and tools are looked up in (PATH, PULUMI_HOME). @default process.env */
    readonly env?: NodeJS.ProcessEnv;
    /** Also write the bundle as one file, `<out>.tar`. @default false */
    readonly tar?: boolean;
}

export interface CreateResult {
    readonly dir: string;
    /** `<out>.tar` and its size, with `tar`. */
    readonly tar?: { readonly file: string; readonly bytes: number };
    readonly manifest: BundleManifest;
    readonly images: RunSummary;
    readonly seconds: number;
}

/** The kfstack version (package.json). */
function kfstackVersion(root: string): string {
    try {
        return (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
    } catch {
        return "unknown";
    }
}

/** The project's files: what git tracks (and would track), else the tree without what builds and installs make. */
export function projectFiles(root: string): string[] {
    const r = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" });
    const stackFile = (f: string) => /^Pulumi\.[^/]+\.ya?ml$/.test(f);
    if (r.status === 0 && r.stdout) {
        return r.stdout
            .split("\0")
            .filter((f) => f && !stackFile(f) && fs.lstatSync(path.join(root, f), { throwIfNoEntry: false })?.isFile())
            .sort();
    }
    const skip = new Set(["node_modules", "dist", ".git", ".engine", ".tools", ".kfstack-cache", "out"]);
    return listTree(root, { skip: (rel) => skip.has(rel.split("/")[0]) || rel.startsWith("policies/dist") || stackFile(rel) });
}

/** Copies a tree's regular files, following links inside it the way kustomize reads them (as their content). */
function treeFiles(dir: string): string[] {
    const out: string[] = [];
    const walk = (at: string, rel: string, depth: number): void => {
        if (depth > 64) throw new InputError(`${dir}: folders nested deeper than 64 (a link loop?)`, dir);
        for (const e of fs.readdirSync(at, { withFileTypes: true })) {
            if (e.name === ".git") continue;
            const full = path.join(at, e.name);
            const r = rel ? `${rel}/${e.name}` : e.name;
            const st = fs.statSync(full, { throwIfNoEntry: false });
            if (!st) continue; // a dangling link: nothing kustomize could read
            if (st.isDirectory()) walk(full, r, depth + 1);
            else if (st.isFile()) out.push(r);
        }
    };
    walk(dir, "", 0);
    return out.sort();
}

/** Makes a bundle; see the file's comment. */
export async function createBundle(options: CreateOptions): Promise<CreateResult> {
    const started = Date.now();
    const say = options.progress ?? (() => undefined);
    const env = options.env ?? process.env;
    const configFile = path.resolve(options.configFile);
    const stackName = /^Pulumi\.([A-Za-z0-9_.-]+)\.ya?ml$/.exec(path.basename(configFile))?.[1];
    if (!stackName) throw new InputError(`--config ${options.configFile}: name a stack file, Pulumi.<stack>.yaml`, "--config");
    const stack: string = stackName;
    const settings = parseSettings(readStackFile(configFile), path.dirname(configFile));
    const root = packageRoot();
    const out = path.resolve(options.out);
    checkOut(out, options.out);
    const base = options.since ? manifestOf(options.since) : undefined;
    if (base && base.manifest.platform !== thisPlatform())
        throw new InputError(
            `--since ${options.since} is a bundle for ${base.manifest.platform}; a delta is made on a bundle for this platform (${thisPlatform()})`,
            "--since",
        );
    const old = base?.manifest.files ?? {};
    // What must be on this machine, found before the folder is made: a missing piece is bad input, nothing written.
    const plugins = pluginsFor(settings, root).map((need) => ({ need, from: findPlugin(need, env) }));
    const lock = lockTarballs(path.join(root, "package-lock.json"));
    const renderer = resolveRenderer(settings.kustomize.binary);
    const esbuild = standaloneBuilder(root);
    const created = !fs.existsSync(out) || fs.readdirSync(out).length === 0;
    prepareOut(out, options.out);
    try {
        return await fill();
    } catch (e) {
        // Bad input found on the way (a release kustomize cannot render, a remote base not mapped):
        // a folder this run made goes; an interrupted or failed fetch keeps it, to resume.
        if (created && e instanceof KfstackError && !(e instanceof InterruptedError) && !fs.existsSync(path.join(out, "images", "index.json")))
            fs.rmSync(out, { recursive: true, force: true });
        throw e;
    }

    async function fill(): Promise<CreateResult> {
        const files: Record<string, [string, number]> = {};
        let shipped = 0;
        /** Lists a file of the bundle and copies it in, unless the earlier bundle has it (a delta) or it is there already (a resumed run). */
        const ship = async (from: string, rel: string, progress?: ByteProgress, mode?: number): Promise<void> => {
            throwIfStopped("bundle create");
            const dest = path.join(out, ...rel.split("/"));
            const size = fs.statSync(from).size;
            const have = fs.statSync(dest, { throwIfNoEntry: false });
            try {
                let sum: FileSum;
                if (old[rel]?.[1] === size || have?.size === size) {
                    // Likely in the earlier bundle, or copied by an interrupted run: read it once to know.
                    sum = await hashFile(from);
                    if (old[rel]?.[0] === sum.sha256) fs.rmSync(dest, { force: true });
                    else if (!(have?.size === size && (await hashFile(dest)).sha256 === sum.sha256)) placeFile(from, dest, mode);
                } else sum = await copyHashing(from, dest, mode); // new: one read, hashed on the way
                files[rel] = [sum.sha256, sum.size];
                if (old[rel]?.[0] !== sum.sha256) shipped += sum.size;
                progress?.add(sum.size);
            } catch (e) {
                if (isLocalWriteFailure(e)) throw writeFailure(`--out ${options.out}`, e, "cannot write the bundle");
                throw e;
            }
        };
        const shipAll = async (what: string, pairs: [string, string][], mode?: number): Promise<void> => {
            const total = pairs.reduce((n, [f]) => n + fs.statSync(f).size, 0);
            const progress = new ByteProgress(`bundle: ${what}`, total, say);
            for (const [from, rel] of pairs) await ship(from, rel, progress, mode);
            say(progress.line());
        };

        // 1. The images: the stack's plan (or the list given), exported on top of the earlier bundle's.
        let refs = options.images;
        if (!refs) {
            say(`bundle: rendering the ${stack} stack for its images`);
            refs = planExtras(settings, await preparePlatform(settings)).sourceImages;
        }
        const layoutBase: LayoutBase | undefined = base && {
            images: new Map(base.manifest.images.map((i) => [i.source, i])),
            blobs: new Set(
                Object.keys(old)
                    .filter((f) => f.startsWith("images/blobs/sha256/"))
                    .map((f) => `sha256:${f.slice("images/blobs/sha256/".length)}`),
            ),
        };
        say(`bundle: ${refs.length} images${base ? ` (the earlier bundle holds ${layoutBase!.images.size})` : ""}`);
        const layout = path.join(out, "images");
        const summary = await exportImages([...refs], layout, { ...options, progress: say, base: layoutBase });
        if (summary.failed > 0) return { dir: out, manifest: undefined as never, images: summary, seconds: (Date.now() - started) / 1000 };
        const images: BundleImage[] = [...layoutImages(layout, layoutBase)].map(([source, i]) => ({ source, ...i }));
        for (const rel of ["oci-layout", "index.json", "checksums.sha256"]) await ship(path.join(layout, rel), `images/${rel}`);
        for (const digest of new Set(images.flatMap((i) => i.blobs))) {
            const rel = `images/blobs/sha256/${digest.slice(7)}`;
            const here = path.join(out, ...rel.split("/"));
            // A blob is named by its digest, checked when it was written: its checksum is its name.
            const st = fs.statSync(here, { throwIfNoEntry: false });
            if (st) {
                files[rel] = [digest.slice(7), st.size];
                shipped += st.size;
            } else if (old[rel]) files[rel] = [old[rel][0], old[rel][1]];
            else throw new InputError(`${layout}: blob ${digest} is missing; run the same command again to fetch it`, layout);
        }

        // 2. The release and its remote bases.
        const tree = manifestsDir(settings);
        const releaseName = settings.manifests.ref ?? path.basename(tree);
        const releaseDir = `manifests/${releaseName.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
        await shipAll(
            `the ${releaseName} manifests`,
            treeFiles(tree).map((f) => [path.join(tree, ...f.split("/")), `${releaseDir}/${f}`]),
        );
        const remotes: Record<string, string> = {};
        for (const [url, local] of Object.entries(settings.kustomize.remotes ?? {})) {
            if (!fs.existsSync(local))
                throw new InputError(
                    `kfstack:kustomize.remotes maps ${url} to ${local}, which does not exist; fix the stack file`,
                    "kfstack:kustomize.remotes",
                );
            const dir = `remotes/${crypto.createHash("sha256").update(url).digest("hex").slice(0, 16)}`;
            if (fs.statSync(local).isFile()) {
                // A remote file (a release asset's manifests.yaml) mapped to a local copy.
                remotes[url] = `${dir}/${path.basename(local)}`;
                await shipAll(`remote file ${url}`, [[local, remotes[url]]]);
            } else {
                remotes[url] = dir;
                await shipAll(
                    `remote base ${url}`,
                    treeFiles(local).map((f) => [path.join(local, ...f.split("/")), `${dir}/${f}`]),
                );
            }
        }
        // Your own kustomize folders (kfstack:apps.extra), each whole.
        const extras: Record<string, string> = {};
        for (const app of settings.apps.extra) {
            const dir = `extras/${app.name.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
            extras[app.name] = dir;
            await shipAll(
                `extra app ${app.name}`,
                treeFiles(app.path).map((f) => [path.join(app.path, ...f.split("/")), `${dir}/${f}`]),
            );
        }

        // 3. The project and the stack file.
        await shipAll(
            "the project",
            projectFiles(root).map((f) => [path.join(root, ...f.split("/")), `project/${f}`]),
        );
        await ship(configFile, `stack/Pulumi.${stack}.yaml`);

        // 4. The package tarballs of the lock, for `npm ci --offline`.
        const tarballs = lock;
        const cached = cachedTarballs(tarballs, say);
        await shipAll(
            `${tarballs.length} npm packages`,
            tarballs.map((t) => [cached.get(t.cachePath)!, `${NPM_DIR}/${t.cachePath}`]),
        );

        // 5. The plugins the program loads, the Pulumi CLI, kustomize.
        const bundled: BundlePlugin[] = [];
        for (const { need, from } of plugins) {
            const { dir, binary } = pluginPlace(need);
            const rel = `plugins/${dir}/${binary}`;
            await shipAll(`plugin ${need.name} ${need.version}`, [[from, rel]], 0o755);
            bundled.push({ kind: need.kind, name: need.name, version: need.version, file: rel, sha256: files[rel][0], size: files[rel][1] });
        }
        const tools: BundleTool[] = [];
        const cli = pulumiCli(env);
        if (cli.length === 0) say("bundle: warning: the Pulumi CLI is not on PATH; the bundle holds none (install it inside by hand)");
        for (const t of cli) {
            await shipAll(t.name, [[t.file, `bin/${t.name}`]], 0o755);
            tools.push({ name: t.name, version: t.version, file: `bin/${t.name}`, sha256: files[`bin/${t.name}`][0], size: files[`bin/${t.name}`][1] });
        }
        const found = path.isAbsolute(renderer.command) ? renderer.command : onPath(renderer.command, env);
        const rendererFile = found ? fs.realpathSync(found) : renderer.command;
        const rendererName = path.basename(rendererFile);
        await shipAll(rendererName, [[rendererFile, `tools/${rendererName}`]], 0o755);
        tools.push({
            name: rendererName,
            version: renderer.version.split("\n")[0],
            file: `tools/${rendererName}`,
            sha256: files[`tools/${rendererName}`][0],
            size: files[`tools/${rendererName}`][1],
        });

        // 6. kfstack itself, in one file that needs only Node: it installs the rest.
        const cliFile = path.join(out, ".kfstack.js.build");
        esbuild.buildSync({
            entryPoints: [path.join(root, "dist", "lib", "cli", "main.js")],
            outfile: cliFile,
            bundle: true,
            platform: "node",
            target: "node22",
            format: "cjs",
            logLevel: "error",
            legalComments: "none",
        });
        await ship(cliFile, "kfstack.js", undefined, 0o755);
        fs.rmSync(cliFile, { force: true });

        // 7. The manifest, then the checksums; the marker goes last.
        const parts: Record<string, number> = {};
        let total = 0;
        for (const [rel, [, size]] of Object.entries(files)) {
            const part = rel.split("/")[0];
            parts[part] = (parts[part] ?? 0) + size;
            total += size;
        }
        const manifest: BundleManifest = {
            format: FORMAT,
            kfstack: kfstackVersion(root),
            created: new Date().toISOString(),
            stack,
            release: { name: releaseName, dir: releaseDir },
            remotes,
            extras,
            mirror: settings.mirror.location,
            platform: thisPlatform(),
            images,
            plugins: bundled,
            tools,
            files: Object.fromEntries(
                Object.keys(files)
                    .sort()
                    .map((k) => [k, files[k]]),
            ),
            ...(base ? { base: { sha256: (await hashFile(base.file)).sha256, release: base.manifest.release.name, created: base.manifest.created } } : {}),
            sizes: { total, shipped, parts },
        };
        const text = JSON.stringify(manifest, null, 1) + "\n";
        writeFileAtomic(path.join(out, MANIFEST), text);
        const sums = { ...manifest.files, [MANIFEST]: [crypto.createHash("sha256").update(text).digest("hex"), Buffer.byteLength(text)] as [string, number] };
        writeFileAtomic(path.join(out, CHECKSUMS), checksumsText(sums));
        removeStale(out, files);
        fs.rmSync(path.join(out, UNFINISHED), { force: true });
        const tar = options.tar ? { file: `${out}.tar`, bytes: await writeTar(out, `${out}.tar`, say) } : undefined;
        return { dir: out, tar, manifest, images: summary, seconds: (Date.now() - started) / 1000 };
    }
}

/** The folder to write: new, empty, or an unfinished bundle (resumed); never a finished one or anything else. */
function checkOut(out: string, given: string): void {
    const st = fs.statSync(out, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new InputError(`--out ${given} is a file; name a new folder`, "--out");
    if (st && fs.readdirSync(out).length > 0 && !fs.existsSync(path.join(out, UNFINISHED))) {
        throw new InputError(
            fs.existsSync(path.join(out, MANIFEST))
                ? `--out ${given} is a finished bundle; name a new folder (or give this one to --since for a delta)`
                : `--out ${given} is a folder that is neither empty nor an unfinished bundle; name a new folder`,
            "--out",
        );
    }
    checkOutputPath(out, "folder", `--out ${given}`, "cannot write the bundle");
}

/** Makes the folder (checked by checkOut) and marks it unfinished until bundle.json is written. */
function prepareOut(out: string, given: string): void {
    try {
        makeDirs(out);
        fs.writeFileSync(path.join(out, UNFINISHED), "kfstack bundle create has not finished this folder; run it again to resume\n");
    } catch (e) {
        throw writeFailure(`--out ${given}`, e, "cannot write the bundle");
    }
}

/** Files an earlier, interrupted run left that this bundle does not hold (a layout's blob of an image no longer planned). */
function removeStale(out: string, files: Record<string, [string, number]>): void {
    const keep = new Set([...Object.keys(files), MANIFEST, CHECKSUMS, UNFINISHED]);
    for (const rel of listTree(out)) if (!keep.has(rel)) fs.rmSync(path.join(out, ...rel.split("/")), { force: true });
}

/**
 * The bundler that makes kfstack's CLI one file needing Node and nothing else (esbuild, the same
 * bundler the policy pack is made with): inside the air gap it verifies and installs the bundle
 * before any node module is there.
 */
function standaloneBuilder(root: string): typeof import("esbuild") {
    const entry = path.join(root, "dist", "lib", "cli", "main.js");
    if (!fs.existsSync(entry)) throw new InputError(`${entry} is missing: run 'npm run build' before making a bundle`, entry);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- from the project's own node_modules, found at run time
        return require(require.resolve("esbuild", { paths: [root] })) as typeof import("esbuild");
    } catch {
        throw new InputError(`esbuild is not installed in ${root}: run 'npm ci' (with the dev dependencies) before making a bundle`, "esbuild");
    }
}
