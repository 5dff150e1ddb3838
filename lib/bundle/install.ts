/**
 * `kfstack bundle install`: inside the air gap, a bundle made by `bundle create` becomes a stack
 * ready for `pulumi up` — verified first, whole, as untrusted input (nothing is written before
 * every file is a regular file inside the bundle, listed, with its checksum; a delta's missing
 * files are found in the earlier bundle with theirs), then: the images pushed into the mirror,
 * the plugins installed into `$PULUMI_HOME`, the project laid out in `<bundle>/install/project`
 * with its node modules installed offline from the bundle's tarballs, the stack file pointed at
 * the bundled release, remote bases, kustomize and the mirror. Nothing reaches for a network but
 * the mirror.
 *
 * Resumable: each finished step is recorded in `<bundle>/install/state.json` (for this bundle's
 * bundle.json); running it again verifies again and does the rest.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { InputError, KfstackError } from "../core/errors";
import { makeDirs } from "../core/outputPath";
import { removeTemporary, throwIfStopped, trackTemporary } from "../core/interrupt";
import { Mirror } from "../rewrite/mirror";
import { importLayout, parallel, RunSummary } from "../mirror";
import type { RegistryAccess } from "../mirror";
import { ByteProgress, bundleFolder, hashFile, listTree, writeFileAtomic } from "./files";
import { BundleManifest, checksumsText, CHECKSUMS, INSTALLED, manifestOf, MANIFEST, readManifest, thisPlatform, UNFINISHED } from "./manifest";
import { installOffline, NPM_DIR } from "./npm";
import { installPlugin, pulumiHome } from "./plugins";
import { extractTar, readTarIndex } from "./tar";

export interface InstallOptions extends RegistryAccess {
    /** The bundle's folder. */
    readonly dir: string;
    /** Where the images go. */
    readonly mirror: Mirror;
    /** The earlier bundle a delta builds on (its folder). @default none (the bundle is whole) */
    readonly since?: string;
    /** Verify only: change nothing. @default false */
    readonly check?: boolean;
    /** Images pushed at once. @default 4 */
    readonly jobs?: number;
    readonly progress?: (line: string) => void;
    /** PULUMI_HOME and PATH are read from it. @default process.env */
    readonly env?: NodeJS.ProcessEnv;
}

export interface InstallResult {
    readonly manifest: BundleManifest;
    /** The files verified, and how many of them came from the earlier bundle. */
    readonly files: number;
    readonly fromBase: number;
    readonly bytes: number;
    readonly images?: RunSummary;
    /** The installed project and the commands to run there. */
    readonly project?: string;
    readonly commands?: string[];
    readonly seconds: number;
}

function damaged(dir: string, what: string): InputError {
    return new InputError(
        `${dir} is damaged or not a kfstack bundle (${what}); nothing was changed: copy the bundle again from the connected side, or make it again with 'kfstack bundle create'`,
        dir,
    );
}

/** What a listed file is, for an error: the plugin or tool it is, else its name. */
function describe(m: BundleManifest, rel: string): string {
    const p = m.plugins.find((x) => x.file === rel);
    if (p) return `${rel} (the ${p.name} plugin ${p.version})`;
    const t = m.tools.find((x) => x.file === rel);
    return t ? `${rel} (${t.name} ${t.version})` : rel;
}

/**
 * Checks a bundle before anything is written: bundle.json well-formed and for this platform;
 * every file under the folder (but `install/`) a regular file it lists; checksums.sha256 saying
 * the same; every listed file here with its size and SHA-256, or — in a delta — in the earlier
 * bundle with them. Returns the files to take from the earlier bundle.
 */
export async function verifyBundle(
    dir: string,
    manifest: BundleManifest,
    base: { dir: string; manifest: BundleManifest } | undefined,
    say: (line: string) => void,
): Promise<{ fromBase: string[]; bytes: number }> {
    if (manifest.platform !== thisPlatform())
        throw new InputError(
            `${dir} is a bundle for ${manifest.platform}, and this machine is ${thisPlatform()}: its plugins and tools would not run here; make the bundle on (or for) a ${thisPlatform()} machine`,
            dir,
        );
    const listed = manifest.files;
    const present = listTree(dir, {
        skip: (rel) => rel === INSTALLED || rel.startsWith(`${INSTALLED}/`),
        strict: (rel, what) => damaged(dir, `${rel} is ${what}; a bundle holds regular files only`),
    });
    for (const rel of present) if (!(rel in listed) && rel !== MANIFEST && rel !== CHECKSUMS) throw damaged(dir, `${rel} is not listed in ${MANIFEST}`);
    const manifestText = fs.readFileSync(path.join(dir, MANIFEST));
    const expected = checksumsText({ ...listed, [MANIFEST]: [crypto.createHash("sha256").update(manifestText).digest("hex"), manifestText.length] });
    const sums = fs.lstatSync(path.join(dir, CHECKSUMS), { throwIfNoEntry: false });
    if (!sums?.isFile() || fs.readFileSync(path.join(dir, CHECKSUMS), "utf8") !== expected) throw damaged(dir, `${CHECKSUMS} does not match ${MANIFEST}`);
    const here = new Set(present);
    const total = Object.values(listed).reduce((n, [, size]) => n + size, 0);
    const progress = new ByteProgress("bundle: verifying", total, say);
    const fromBase: string[] = [];
    const toHash: [string, string, string, number][] = [];
    for (const [rel, [sha256, size]] of Object.entries(listed)) {
        throwIfStopped("bundle install");
        let at = path.join(dir, ...rel.split("/"));
        if (!here.has(rel)) {
            if (!manifest.base) throw damaged(dir, `${describe(manifest, rel)} is missing`);
            if (!base)
                throw new InputError(
                    `${dir} is a delta on the ${manifest.base.release} bundle made ${manifest.base.created}: give that bundle's folder with --since`,
                    "--since",
                );
            const theirs = base.manifest.files[rel];
            const st = fs.lstatSync(path.join(base.dir, ...rel.split("/")), { throwIfNoEntry: false });
            if (!theirs || theirs[0] !== sha256 || !st?.isFile())
                throw damaged(dir, `${describe(manifest, rel)} is neither in the delta nor, with its checksum, in the earlier bundle ${base.dir}`);
            at = path.join(base.dir, ...rel.split("/"));
            fromBase.push(rel);
        }
        const st = fs.lstatSync(at);
        if (st.size !== size) throw damaged(dir, `${describe(manifest, rel)} is ${st.size} bytes, ${MANIFEST} says ${size}`);
        toHash.push([rel, at, sha256, size]);
    }
    // Every file's content last, a few at once (a bundle is mostly a few large files and many small ones).
    await parallel(toHash, 4, async ([rel, at, sha256, size]) => {
        if ((await hashFile(at)).sha256 !== sha256) throw damaged(dir, `${describe(manifest, rel)} does not match its checksum`);
        progress.add(size);
    });
    throwIfStopped("bundle install");
    say(progress.line());
    return { fromBase, bytes: total };
}

interface State {
    bundle: string;
    steps: string[];
}

/** Hard link when the file system allows (bundles are large, and nothing here is edited), else a copy. */
function linkOrCopy(from: string, to: string, mode?: number): void {
    makeDirs(path.dirname(to));
    fs.rmSync(to, { force: true });
    try {
        fs.linkSync(from, to);
    } catch {
        fs.copyFileSync(from, to);
    }
    if (mode !== undefined) fs.chmodSync(to, mode);
}

/** Installs a bundle; see the file's comment. */
export async function installBundle(options: InstallOptions): Promise<InstallResult> {
    const started = Date.now();
    const say = options.progress ?? (() => undefined);
    const { dir, unpacked } = await unpackedBundle(options.dir, !!options.check, say);
    try {
        return await installFolder(dir, options, started, say);
    } catch (e) {
        // A tar unpacked by this run and refused: gone again, nothing changed.
        if (unpacked && !fs.existsSync(path.join(dir, INSTALLED))) fs.rmSync(dir, { recursive: true, force: true });
        throw e;
    } finally {
        if (unpacked && options.check) removeTemporary(path.dirname(dir));
    }
}

/**
 * The bundle's folder: the one given, or for a tar (`kubeflow-v1.9.1.tar`) the folder beside it
 * it unpacks into (`kubeflow-v1.9.1/`, reused when an earlier run unpacked it; for --check a
 * temporary one).
 */
async function unpackedBundle(given: string, check: boolean, say: (line: string) => void): Promise<{ dir: string; unpacked: boolean }> {
    const st = fs.statSync(given, { throwIfNoEntry: false });
    if (!st?.isFile()) return { dir: bundleFolder(given), unpacked: false };
    const file = path.resolve(given);
    // The whole archive read through and checked before anything is said or written.
    const entries = readTarIndex(file);
    const into = check
        ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-bundle-check-")), "bundle")
        : file.endsWith(".tar")
          ? file.slice(0, -4)
          : `${file}.unpacked`;
    if (!check && fs.existsSync(path.join(into, MANIFEST))) {
        say(`bundle: ${into} holds ${given} unpacked already`);
        return { dir: into, unpacked: false };
    }
    if (check) trackTemporary(path.dirname(into));
    say(`bundle: unpacking ${given} into ${into}`);
    await extractTar(file, into, say, entries);
    return { dir: into, unpacked: true };
}

async function installFolder(dir: string, options: InstallOptions, started: number, say: (line: string) => void): Promise<InstallResult> {
    const env = options.env ?? process.env;
    if (fs.existsSync(path.join(dir, UNFINISHED)))
        throw new InputError(
            `${options.dir} is a bundle 'kfstack bundle create' has not finished; finish it on the connected side and copy it again`,
            options.dir,
        );
    if (!fs.existsSync(path.join(dir, MANIFEST)))
        throw new InputError(`${options.dir} is not a bundle (no ${MANIFEST}); name the folder 'kfstack bundle create' wrote`, options.dir);
    const manifest = readManifest(path.join(dir, MANIFEST));
    let base: { dir: string; manifest: BundleManifest } | undefined;
    if (options.since) {
        const b = manifestOf(options.since);
        if (!b.dir)
            throw new InputError(`--since ${options.since}: name the earlier bundle's folder (its files are needed, not only its ${MANIFEST})`, "--since");
        if (!manifest.base)
            throw new InputError(`--since ${options.since}: ${options.dir} is a whole bundle, not a delta; install it without --since`, "--since");
        if ((await hashFile(b.file)).sha256 !== manifest.base.sha256)
            throw new InputError(
                `--since ${options.since} is not the bundle ${options.dir} is a delta on (the ${manifest.base.release} bundle made ${manifest.base.created}); name that one`,
                "--since",
            );
        base = { dir: b.dir, manifest: b.manifest };
    }
    say(
        `bundle: ${manifest.stack} stack, release ${manifest.release.name}, ${manifest.images.length} images, made ${manifest.created}${manifest.base ? ` (a delta on ${manifest.base.release})` : ""}`,
    );
    const { fromBase, bytes } = await verifyBundle(dir, manifest, base, say);
    const verified = { manifest, files: Object.keys(manifest.files).length, fromBase: fromBase.length, bytes };
    say(
        `bundle: ${verified.files} files verified (${(bytes / (1 << 20)).toFixed(1)} MiB)${fromBase.length ? `, ${fromBase.length} of them in the earlier bundle` : ""}`,
    );
    if (options.check) return { ...verified, seconds: (Date.now() - started) / 1000 };

    // From here on the bundle is trusted. A delta is made whole first: then it installs as a whole bundle does.
    for (const rel of fromBase) linkOrCopy(path.join(base!.dir, ...rel.split("/")), path.join(dir, ...rel.split("/")));
    const installed = path.join(dir, INSTALLED);
    makeDirs(installed);
    const stateFile = path.join(installed, "state.json");
    const bundleId = crypto
        .createHash("sha256")
        .update(fs.readFileSync(path.join(dir, MANIFEST)))
        .digest("hex");
    let state: State = { bundle: bundleId, steps: [] };
    try {
        const s = JSON.parse(fs.readFileSync(stateFile, "utf8")) as State;
        if (s.bundle === bundleId && Array.isArray(s.steps)) state = s;
    } catch {
        // No state yet, or not ours: start from the first step.
    }
    const done = (step: string) => {
        state.steps.push(step);
        writeFileAtomic(stateFile, JSON.stringify(state) + "\n");
    };

    // Steps are done for a mirror and a PULUMI_HOME: another one on a re-run does them again.
    const imagesStep = `images ${options.mirror.location}`;
    const home = pulumiHome(env);
    const pluginsStep = `plugins ${home}`;
    const projectStep = `project ${options.mirror.location}`;
    let images: RunSummary | undefined;
    if (!state.steps.includes(imagesStep)) {
        say(`bundle: pushing ${manifest.images.length} images into ${options.mirror.location}`);
        images = await importLayout(path.join(dir, "images"), options.mirror, { ...options, progress: say, contentChecked: true });
        if (images.failed > 0) return { ...verified, images, seconds: (Date.now() - started) / 1000 };
        done(imagesStep);
    }

    if (!state.steps.includes(pluginsStep)) {
        for (const p of manifest.plugins) {
            const at = installPlugin(p, path.join(dir, ...p.file.split("/")), home);
            say(`bundle: plugin ${p.kind} ${p.name} ${p.version} installed (${at})`);
        }
        done(pluginsStep);
    }

    const bin = path.join(installed, "bin");
    const project = path.join(installed, "project");
    const stackFile = path.join(project, `Pulumi.${manifest.stack}.yaml`);
    const renderer = manifest.tools.find((t) => t.file.startsWith("tools/"));
    if (!state.steps.includes(projectStep)) {
        for (const t of manifest.tools) linkOrCopy(path.join(dir, ...t.file.split("/")), path.join(bin, t.name), 0o755);
        fs.rmSync(project, { recursive: true, force: true });
        const prefix = "project/";
        for (const rel of Object.keys(manifest.files).filter((f) => f.startsWith(prefix))) {
            const to = path.join(project, ...rel.slice(prefix.length).split("/"));
            makeDirs(path.dirname(to));
            fs.copyFileSync(path.join(dir, ...rel.split("/")), to);
        }
        writeFileAtomic(stackFile, installedStackFile(dir, manifest, options.mirror, renderer && path.join(bin, renderer.name)));
        const policyConfig = path.join(project, "policies", `config.${manifest.stack}.json`);
        if (fs.existsSync(policyConfig))
            writeFileAtomic(policyConfig, installedPolicyConfig(fs.readFileSync(policyConfig, "utf8"), manifest.mirror, options.mirror));
        const cache = path.join(installed, "npm-cache");
        fs.rmSync(cache, { recursive: true, force: true });
        for (const rel of Object.keys(manifest.files).filter((f) => f.startsWith(`${NPM_DIR}/`)))
            linkOrCopy(path.join(dir, ...rel.split("/")), path.join(cache, "_cacache", ...rel.slice(NPM_DIR.length + 1).split("/")));
        installOffline(project, cache, say);
        fs.rmSync(cache, { recursive: true, force: true });
        done(projectStep);
    }
    const commands = applyCommands(project, bin, home, manifest.stack);
    return { ...verified, images, project, commands, seconds: (Date.now() - started) / 1000 };
}

/** The stack file as installed: the release, remote bases, extra apps and kustomize from the bundle, the images from `mirror`. */
export function installedStackFile(dir: string, manifest: BundleManifest, mirror: Mirror, kustomize: string | undefined): string {
    const file = path.join(dir, "stack", `Pulumi.${manifest.stack}.yaml`);
    let doc: { config?: Record<string, unknown> } & Record<string, unknown>;
    try {
        doc = (jsyaml.load(fs.readFileSync(file, "utf8")) ?? {}) as typeof doc;
    } catch (e) {
        throw new KfstackError(`${file}: not YAML (${(e as Error).message})`, file);
    }
    const config = { ...(doc.config ?? {}) };
    const section = (key: string) => ({ ...((config[`kfstack:${key}`] as Record<string, unknown> | undefined) ?? {}) });
    const manifests = section("manifests");
    delete manifests.git;
    delete manifests.ref;
    config["kfstack:manifests"] = { ...manifests, path: path.join(dir, ...manifest.release.dir.split("/")) };
    const kustomizeSection = section("kustomize");
    if (kustomize) kustomizeSection.binary = kustomize;
    if (Object.keys(manifest.remotes).length > 0)
        kustomizeSection.remotes = Object.fromEntries(Object.entries(manifest.remotes).map(([url, d]) => [url, path.join(dir, ...d.split("/"))]));
    if (Object.keys(kustomizeSection).length > 0) config["kfstack:kustomize"] = kustomizeSection;
    config["kfstack:mirror"] = { ...section("mirror"), registry: mirror.location };
    const apps = section("apps");
    if (Array.isArray(apps.extra))
        config["kfstack:apps"] = {
            ...apps,
            extra: apps.extra.map((e: Record<string, unknown>) =>
                typeof e?.name === "string" && manifest.extras[e.name] ? { ...e, path: path.join(dir, ...manifest.extras[e.name].split("/")) } : e,
            ),
        };
    return (
        `# Installed by 'kfstack bundle install' from ${path.join(dir, "stack", path.basename(file))}: the release, remote bases\n` +
        `# and kustomize from the bundle, the images from ${mirror.location}.\n` +
        jsyaml.dump({ ...doc, config }, { lineWidth: -1, noRefs: true })
    );
}

/**
 * The policy pack's config for the stack as installed: a mirror the policies allow that is the
 * stack's own (as bundled) becomes `--mirror`, or mirror-only would refuse every image there.
 */
export function installedPolicyConfig(text: string, bundled: string, mirror: Mirror): string {
    let config: Record<string, unknown>;
    try {
        config = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
        throw new KfstackError(`the policy pack's config is not JSON (${(e as Error).message})`);
    }
    for (const policy of Object.values(config)) {
        const p = policy as { allowedMirrors?: unknown };
        if (p && typeof p === "object" && Array.isArray(p.allowedMirrors))
            p.allowedMirrors = [...new Set(p.allowedMirrors.map((m) => (m === bundled ? mirror.location : m)))];
    }
    return JSON.stringify(config, null, 2) + "\n";
}

/** The commands that preview and apply the installed stack, offline. */
export function applyCommands(project: string, bin: string, home: string, stack: string): string[] {
    const policyConfig = path.join(project, "policies", `config.${stack}.json`);
    const policy = `--policy-pack policies${fs.existsSync(policyConfig) ? ` --policy-pack-config policies/config.${stack}.json` : ""}`;
    return [
        `cd ${project}`,
        `export PATH=${bin}:$PATH PULUMI_HOME=${home} PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true`,
        `pulumi preview --stack ${stack} ${policy}`,
        `pulumi up --stack ${stack} ${policy}`,
    ];
}
