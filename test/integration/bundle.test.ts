/**
 * The air-gap bundle end to end, with real parts: bundles of the dev stack made here with the
 * kfstack CLI (the images from a registry behind a counting proxy, the project's npm tarballs,
 * the Kubernetes provider and the Pulumi CLI built from Go modules, kustomize), then installed
 * and applied inside a network namespace with loopback only (`unshare -n`: no package registry,
 * no Go proxy, nothing but the bundle, a registry as the mirror and a control plane) with the
 * bundle's own kfstack.js, node modules, CLI and plugin — v1.9.1 whole, and v1.8.0 then the
 * delta to v1.9.1 on top of it. Damaged, incomplete and foreign bundles are refused before
 * anything changes.
 *
 * The images are made here in the shape of each release's plan (its repositories and tags;
 * an image keeps its content from one release to the next when its reference does): real
 * images cannot be fetched offline. References pinned by digest are left out of the lists, as
 * no registry here can serve a real digest.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as jsyaml from "js-yaml";
import { startRegistry, pushImage, seededLayer, Registry } from "../../harness/registry";
import { startProxy, Proxy } from "../../harness/proxy";
import { devStackOn, seedReleaseImages } from "../../harness/releases";
import { enginePresent } from "../../harness/engine";
import { clusterBinariesPresent } from "../../harness/apiserver";
import { ENGINE_BIN, ROOT, SHARED, TREE_191 } from "../../harness/paths";
import { pairsOf, splitName } from "../../lib/mirror";
import { parseMirror } from "../../lib/rewrite";
import { BundleManifest, checksumsText } from "../../lib/bundle";
import { needShared, needTools, runCliAsync, tinyRelease } from "../support/helpers";

const TREE_180 = path.join(SHARED, "v1.8.0");
const FIGURES = path.join(os.tmpdir(), "kfstack-bundle-figures.json");
/** What each step inside the namespace saw (install output, the mirror, the plugin cache, up and preview). */
const INSIDE = path.join(os.tmpdir(), "kfstack-bundle-inside.json");

/** The CLI with this machine's engine on PATH (the Pulumi CLI and plugins a bundle takes), as a process: the proxy it fetches through lives in this process. */
async function kfstack(
    args: string[],
    env: NodeJS.ProcessEnv = {},
    script?: string,
): Promise<{ status: number; stdout: string; stderr: string; seconds: number }> {
    const t0 = Date.now();
    const r = await runCliAsync(args, { env: { ...process.env, PATH: `${ENGINE_BIN}${path.delimiter}${process.env.PATH ?? ""}`, ...env }, cwd: ROOT, script })
        .done;
    return { ...r, seconds: (Date.now() - t0) / 1000 };
}

/** Runs the CLI (or `script`) and kills it (SIGKILL, no chance to tidy up) once its stderr matches `when`. */
async function killedWhen(args: string[], when: RegExp, env: NodeJS.ProcessEnv = {}, script?: string): Promise<{ killed: boolean; stderr: string }> {
    let stderr = "";
    let killed = false;
    const run = runCliAsync(args, {
        env: { ...process.env, PATH: `${ENGINE_BIN}${path.delimiter}${process.env.PATH ?? ""}`, ...env },
        cwd: ROOT,
        script,
        onStderr: (c) => {
            stderr += c;
            if (!killed && when.test(stderr)) {
                killed = true;
                run.child.kill("SIGKILL");
            }
        },
    });
    await run.done;
    return { killed, stderr };
}

function manifestOf(dir: string): BundleManifest {
    return JSON.parse(fs.readFileSync(path.join(dir, "bundle.json"), "utf8")) as BundleManifest;
}

/** Bytes of the files in a folder (what would cross the gap). */
function folderBytes(dir: string): number {
    let n = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += fs.statSync(path.join(e.parentPath, e.name)).size;
    return n;
}

function namespacesWork(): boolean {
    return spawnSync("unshare", ["-n", "sh", "-c", "ip link set lo up"]).status === 0;
}

describe("air-gap bundle: made here, installed and applied inside a network namespace with loopback only", function () {
    this.timeout(40 * 60 * 1000);
    let work: string;
    let source: Registry;
    let proxy: Proxy;
    let from: string;
    const lists: Record<string, { file: string; refs: string[]; pinned: number }> = {};
    const stacks: Record<string, string> = {};
    const bundles: Record<string, string> = {};
    const figures: Record<string, number> = {};

    before(async function () {
        needShared(this);
        needTools(this, ["skopeo", "docker-registry", "unshare", "ip", "npm", "sha256sum"]);
        const required = process.env.KFSTACK_REQUIRE_E2E === "1" || !!process.env.CI;
        if (!enginePresent() || !clusterBinariesPresent(true) || !namespacesWork()) {
            if (required) throw new Error("the engine pieces (scripts/build-engine.sh) or network namespaces (unshare -n, as root) are missing");
            this.skip();
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-bundle-"));
        source = await startRegistry();
        proxy = await startProxy(source.host);
        from = `${proxy.host}/upstream`;
        for (const [release, tree] of [
            ["v1.8.0", TREE_180],
            ["v1.9.1", TREE_191],
        ])
            stacks[release] = devStackOn(path.join(work, `stack-${release}`), tree, true);
        // Small images: the suite proves behaviour; sizes and speed are the benchmark's (bench/bundle.ts).
        Object.assign(lists, await seedReleaseImages(source, "upstream", stacks, { base: 64 << 10, own: 32 << 10 }, work));
    });

    after(async () => {
        if (Object.keys(figures).length) fs.writeFileSync(FIGURES, JSON.stringify(figures, null, 2));
        await proxy?.stop();
        await source?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const create = async (release: string, name: string, extra: string[] = []) => {
        const out = path.join(work, name);
        const r = await kfstack([
            "bundle",
            "create",
            "--config",
            stacks[release],
            "--out",
            out,
            "--images",
            lists[release].file,
            "--from",
            from,
            "--src-plain-http",
            ...extra,
        ]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), out, "stdout names the bundle's folder");
        bundles[name] = out;
        return r;
    };

    it("makes a whole bundle of the dev stack (v1.9.1): images, release, project, npm tarballs, the pinned provider, the CLI, kustomize, checksums", async () => {
        proxy.reset();
        const r = await create("v1.9.1", "full-1.9.1");
        const m = manifestOf(bundles["full-1.9.1"]);
        assert.equal(m.release.name, "v1.9.1");
        assert.equal(m.stack, "dev");
        assert.deepEqual(m.images.map((i) => i.source).sort(), lists["v1.9.1"].refs);
        const pinned = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "kubernetes", "package.json"), "utf8")) as { version: string };
        assert.deepEqual(
            m.plugins.map((p) => `${p.kind} ${p.name} ${p.version}`),
            [`resource kubernetes ${pinned.version}`],
            "the dev stack (on-prem, mirror filled elsewhere) needs the Kubernetes provider only",
        );
        assert.ok(m.tools.some((t) => t.name === "pulumi") && m.tools.some((t) => t.file.startsWith("tools/kustomize")), JSON.stringify(m.tools));
        // Everything a person would check by hand: sha256sum -c over the bundle's own list.
        const check = spawnSync("sha256sum", ["--quiet", "-c", "checksums.sha256"], { cwd: bundles["full-1.9.1"], encoding: "utf8" });
        assert.equal(check.status, 0, check.stdout + check.stderr);
        assert.ok(fs.existsSync(path.join(bundles["full-1.9.1"], "project", "package-lock.json")));
        assert.ok(fs.existsSync(path.join(bundles["full-1.9.1"], "manifests", "v1.9.1", "example", "kustomization.yaml")));
        assert.match(r.stderr, /kfstack bundle create: dev stack, release v1\.9\.1, \d+ images/);
        figures.fullBytes = m.sizes.total;
        figures.fullSeconds = r.seconds;
        figures.images = m.images.length;
        figures.pinnedLeftOut = lists["v1.9.1"].pinned;
        figures.imageBytesFetched = proxy.stats.downloadedBytes;
    });

    it("a delta v1.8.0 → v1.9.1 ships only what the v1.8.0 bundle lacks, and lists the same files as the whole v1.9.1 bundle", async () => {
        await create("v1.8.0", "full-1.8.0");
        proxy.reset();
        const r = await create("v1.9.1", "delta-1.9.1", ["--since", bundles["full-1.8.0"]]);
        const old = manifestOf(bundles["full-1.8.0"]);
        const delta = manifestOf(bundles["delta-1.9.1"]);
        const whole = manifestOf(bundles["full-1.9.1"]);
        assert.deepEqual(delta.files, whole.files, "made whole, the delta is the whole bundle");
        assert.deepEqual(delta.images, whole.images);
        for (const [rel, [sha]] of Object.entries(delta.files)) {
            const shipped = fs.existsSync(path.join(bundles["delta-1.9.1"], ...rel.split("/")));
            assert.equal(shipped, old.files[rel]?.[0] !== sha, `${rel} is shipped exactly when the v1.8.0 bundle lacks it`);
        }
        // Unchanged layers are neither fetched nor shipped: what came through the proxy is what v1.8.0 lacked.
        const newBlobs = new Set(delta.images.flatMap((i) => i.blobs).filter((d) => !old.files[`images/blobs/sha256/${d.slice(7)}`]));
        const newBlobBytes = [...newBlobs].reduce((n, d) => n + delta.files[`images/blobs/sha256/${d.slice(7)}`][1], 0);
        assert.ok(newBlobs.size > 0, "v1.9.1 has images v1.8.0 has not");
        assert.ok(
            proxy.stats.downloadedBytes >= newBlobBytes && proxy.stats.downloadedBytes < newBlobBytes * 1.5 + (1 << 20),
            `fetched ${proxy.stats.downloadedBytes} B for ${newBlobBytes} B of new blobs`,
        );
        assert.match(r.stderr, /a delta on the v1\.8\.0 bundle: .* shipped of .* saved/);
        figures.deltaBytes = delta.sizes.shipped;
        figures.deltaShare = delta.sizes.shipped / whole.sizes.total;
        figures.deltaImageBytesFetched = proxy.stats.downloadedBytes;
        figures.deltaSeconds = r.seconds;
        figures.fullOldBytes = old.sizes.total;
    });

    it("a second create --since with nothing changed ships only the manifest and fetches no image content", async () => {
        proxy.reset();
        await create("v1.9.1", "again-1.9.1", ["--since", path.join(bundles["full-1.9.1"], "bundle.json")]);
        const shipped = fs
            .readdirSync(bundles["again-1.9.1"], { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => e.name)
            .sort();
        assert.deepEqual(shipped, ["bundle.json", "checksums.sha256"]);
        assert.equal(manifestOf(bundles["again-1.9.1"]).sizes.shipped, 0);
        assert.equal(proxy.stats.downloadedBytes, 0, "only HEADs: each image's digest asked, nothing fetched");
        figures.unchangedBytes = folderBytes(bundles["again-1.9.1"]);
        figures.unchangedWireBytes = proxy.stats.downloadedBytes;
        figures.unchangedRequests = proxy.stats.requests;
    });

    it("a create killed half-way resumes: the same command finishes the bundle, with the files a whole run lists", async () => {
        const out = path.join(work, "resumed-1.9.1");
        const args = ["bundle", "create", "--config", stacks["v1.9.1"], "--out", out, "--images", lists["v1.9.1"].file, "--from", from, "--src-plain-http"];
        const first = await killedWhen(args, /\[20\/\d+\] copied/);
        assert.ok(first.killed, first.stderr);
        assert.ok(fs.existsSync(path.join(out, ".kfstack-bundle-unfinished")) && !fs.existsSync(path.join(out, "bundle.json")), "an unfinished bundle, marked");
        const refused = await kfstack(["bundle", "install", out, "--check"]);
        assert.equal(refused.status, 2);
        assert.match(refused.stderr, /has not finished; finish it on the connected side/);
        const second = await kfstack(args);
        assert.equal(second.status, 0, second.stderr);
        assert.match(second.stderr, /present /, "the images exported before the kill are kept");
        assert.deepEqual(manifestOf(out).files, manifestOf(bundles["full-1.9.1"]).files);
        fs.rmSync(out, { recursive: true, force: true });
    });

    it("as one file: create --tar; kfstack.js taken out with tar; install of the tar, killed while pushing, resumes", async () => {
        const out = path.join(work, "tar-1.9.1");
        const made = await kfstack([
            "bundle",
            "create",
            "--config",
            stacks["v1.9.1"],
            "--out",
            out,
            "--images",
            lists["v1.9.1"].file,
            "--from",
            from,
            "--src-plain-http",
            "--tar",
        ]);
        assert.equal(made.status, 0, made.stderr);
        assert.deepEqual(made.stdout.trim().split("\n"), [out, `${out}.tar`]);
        assert.match(made.stderr, /tar -xOf tar-1\.9\.1\.tar kfstack\.js > kfstack\.js && node kfstack\.js bundle install tar-1\.9\.1\.tar/);
        const tarFile = path.join(work, "carried", "tar-1.9.1.tar");
        fs.mkdirSync(path.dirname(tarFile));
        fs.renameSync(`${out}.tar`, tarFile);
        fs.rmSync(out, { recursive: true });
        const cli = path.join(work, "carried", "kfstack.js");
        assert.equal(spawnSync("sh", ["-c", `tar -xOf ${tarFile} kfstack.js > ${cli}`]).status, 0);
        const mirror = await startRegistry();
        const home = path.join(work, "tar-home");
        try {
            const install = ["bundle", "install", tarFile, "--mirror", `${mirror.host}/kubeflow`, "--plain-http"];
            const check = spawnSync("node", [cli, ...install, "--check"], { encoding: "utf8", env: { ...process.env, PULUMI_HOME: home } });
            assert.equal(check.status, 0, check.stderr);
            assert.ok(!fs.existsSync(path.join(work, "carried", "tar-1.9.1")), "--check unpacks aside and removes it");
            const first = await killedWhen(install, /\[10\/\d+\] copied/, { PULUMI_HOME: home }, cli);
            assert.ok(first.killed, "killed while pushing images");
            const second = spawnSync("node", [cli, ...install], { encoding: "utf8", env: { ...process.env, PULUMI_HOME: home }, maxBuffer: 64 << 20 });
            assert.equal(second.status, 0, second.stderr);
            assert.match(second.stderr, /holds .*tar-1\.9\.1\.tar unpacked already/);
            assert.match(second.stderr, /\d+ images pushed, [1-9]\d* already in/, "the images pushed before the kill are not pushed again");
            assert.match(second.stdout, /pulumi up --stack dev/);
            const state = JSON.parse(fs.readFileSync(path.join(work, "carried", "tar-1.9.1", "install", "state.json"), "utf8")) as { steps: string[] };
            assert.deepEqual(state.steps, [`images ${mirror.host}/kubeflow`, `plugins ${home}`, `project ${mirror.host}/kubeflow`]);
            assert.ok(
                fs.existsSync(
                    path.join(home, "plugins", "resource-kubernetes-v" + manifestOf(bundles["full-1.9.1"]).plugins[0].version, "pulumi-resource-kubernetes"),
                ),
            );
            // Another mirror on a re-run: the images and the stack file follow it; the plugin step does not run again.
            const other = await startRegistry();
            try {
                const again = await kfstack(["bundle", "install", tarFile, "--mirror", `${other.host}/kubeflow`, "--plain-http"], { PULUMI_HOME: home }, cli);
                assert.equal(again.status, 0, again.stderr);
                assert.ok(again.stderr.includes(`${lists["v1.9.1"].refs.length} images pushed, 0 already in ${other.host}/kubeflow`), again.stderr.slice(-600));
                assert.doesNotMatch(again.stderr, /plugin resource kubernetes .* installed/);
                const installed = jsyaml.load(fs.readFileSync(path.join(work, "carried", "tar-1.9.1", "install", "project", "Pulumi.dev.yaml"), "utf8")) as {
                    config: Record<string, { registry?: string }>;
                };
                assert.equal(installed.config["kfstack:mirror"].registry, `${other.host}/kubeflow`);
            } finally {
                await other.stop();
            }
        } finally {
            await mirror.stop();
        }
    });

    describe("refused before anything changes", () => {
        let mirror: Registry;
        let home: string;
        before(async () => {
            mirror = await startRegistry();
            home = path.join(work, "refused-home");
        });
        after(async () => mirror?.stop());

        /** A copy of the whole v1.9.1 bundle (hard links: nothing of it is edited in place). */
        const copy = (name: string): string => {
            const to = path.join(work, name);
            assert.equal(spawnSync("cp", ["-al", bundles["full-1.9.1"], to]).status, 0);
            return to;
        };
        const replace = (file: string, data: Buffer | string) => {
            fs.rmSync(file);
            fs.writeFileSync(file, data);
        };
        const refused = async (dir: string, pattern: RegExp, extra: string[] = []) => {
            const r = await kfstack(["bundle", "install", dir, "--mirror", `${mirror.host}/kubeflow`, "--plain-http", ...extra], { PULUMI_HOME: home });
            assert.equal(r.status, 2, r.stderr);
            assert.match(r.stderr, pattern);
            assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
            assert.ok(!fs.existsSync(path.join(dir, "install")), "nothing installed");
            assert.ok(!fs.existsSync(path.join(home, "plugins")), "no plugin installed");
            const catalog = (await (await fetch(`http://${mirror.host}/v2/_catalog`)).json()) as { repositories: string[] };
            assert.deepEqual(catalog.repositories, [], "nothing pushed");
        };

        it("a tampered file (one byte of the release changed)", async () => {
            const dir = copy("tampered");
            const file = path.join(dir, "manifests", "v1.9.1", "example", "kustomization.yaml");
            replace(file, fs.readFileSync(file, "utf8").replace("resources:", "resources: "));
            await refused(dir, /damaged or not a kfstack bundle \(manifests\/v1\.9\.1\/example\/kustomization\.yaml is \d+ bytes|does not match its checksum/);
        });

        it("a tampered image blob, a link out of the bundle, a file the bundle does not list", async () => {
            const dir = copy("tampered-blob");
            const m = manifestOf(dir);
            const layer = m.images[0].blobs[m.images[0].blobs.length - 1];
            const blob = path.join(dir, "images", "blobs", "sha256", layer.slice(7));
            const bytes = fs.readFileSync(blob);
            bytes[bytes.length - 1] ^= 1;
            replace(blob, bytes);
            await refused(dir, /images\/blobs\/sha256\/[0-9a-f]{64} does not match its checksum/);
            replace(blob, fs.readFileSync(path.join(bundles["full-1.9.1"], "images", "blobs", "sha256", layer.slice(7))));
            fs.symlinkSync("/etc/passwd", path.join(dir, "project", "passwd"));
            await refused(dir, /project\/passwd is a symbolic link; a bundle holds regular files only/);
            fs.rmSync(path.join(dir, "project", "passwd"));
            fs.writeFileSync(path.join(dir, "project", "extra.js"), "process.exit(0)\n");
            await refused(dir, /project\/extra\.js is not listed in bundle\.json/);
        });

        it("a missing plugin", async () => {
            const dir = copy("no-plugin");
            const plugin = manifestOf(dir).plugins[0];
            fs.rmSync(path.join(dir, ...plugin.file.split("/")));
            await refused(
                dir,
                new RegExp(`${plugin.file.replace(/\./g, "\\.")} \\(the kubernetes plugin ${plugin.version.replace(/\./g, "\\.")}\\) is missing`),
            );
        });

        it("a bundle for another platform (its manifest and checksums consistent)", async () => {
            const dir = copy("other-platform");
            const m = { ...manifestOf(dir), platform: process.arch === "arm64" ? "linux-x64" : "linux-arm64" };
            const text = JSON.stringify(m, null, 1) + "\n";
            replace(path.join(dir, "bundle.json"), text);
            const sha = (await import("crypto")).createHash("sha256").update(text).digest("hex");
            replace(path.join(dir, "checksums.sha256"), checksumsText({ ...m.files, "bundle.json": [sha, Buffer.byteLength(text)] }));
            await refused(dir, /is a bundle for linux-(arm64|x64), and this machine is linux-/);
        });

        it("a delta without the bundle it builds on, and with the wrong one", async () => {
            const dir = path.join(work, "delta-alone");
            assert.equal(spawnSync("cp", ["-al", bundles["delta-1.9.1"], dir]).status, 0);
            await refused(dir, /is a delta on the v1\.8\.0 bundle made .*: give that bundle's folder with --since/);
            await refused(dir, /--since .* is not the bundle .* is a delta on/, ["--since", bundles["full-1.9.1"]]);
        });

        it("--check verifies a bundle and changes nothing", async () => {
            const r = await kfstack(["bundle", "install", bundles["full-1.9.1"], "--check"], { PULUMI_HOME: home });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stderr, /--check: \d+ files \(.*\) verified; nothing changed/);
            assert.ok(!fs.existsSync(path.join(bundles["full-1.9.1"], "install")));
        });
    });

    describe("inside a network namespace with loopback only", () => {
        it("v1.9.1 installs and applies; a v1.8.0 install takes the delta to v1.9.1", () => {
            const plan = {
                work: path.join(work, "inside"),
                scenarios: [
                    { name: "whole", steps: [{ bundle: bundles["full-1.9.1"] }] },
                    { name: "upgrade", steps: [{ bundle: bundles["full-1.8.0"] }, { bundle: bundles["delta-1.9.1"], since: bundles["full-1.8.0"] }] },
                ],
            };
            const planFile = path.join(work, "plan.json");
            fs.writeFileSync(planFile, JSON.stringify(plan));
            const script = path.join(ROOT, "dist", "test", "support", "airgap.js");
            // No PULUMI_HOME or PATH of this machine's engine inside: only what the bundles bring (and node, npm, the site's servers).
            const env = { ...process.env };
            delete env.PULUMI_HOME;
            const r = spawnSync("unshare", ["-n", "sh", "-c", `ip link set lo up && exec node ${script} run ${planFile}`], {
                encoding: "utf8",
                env,
                maxBuffer: 256 << 20,
            });
            assert.equal(r.status, 0, r.stderr.slice(-4000));
            const steps = JSON.parse(r.stdout.trim().split("\n").pop() ?? "[]") as Record<string, any>[];
            fs.writeFileSync(INSIDE, JSON.stringify(steps, null, 1));
            const brief = steps.map((s) => ({ ...s, installStdout: undefined, installStderr: s.installExit === 0 ? undefined : s.installStderr }));
            assert.equal(steps.length, 3, `each step's record is in ${INSIDE}: ${JSON.stringify(brief, null, 1).slice(0, 6000)}`);
            for (const s of steps) {
                const where = `${s.scenario} ${path.basename(s.bundle)}`;
                assert.equal(s.installExit, 0, `${where}: ${s.installStderr}`);
                assert.match(s.installStdout, /pulumi up --stack dev --policy-pack policies/);
                assert.deepEqual(s.imagesWrong, [], `${where}: every image in the mirror with its digest`);
                assert.ok(s.imagesInMirror > 50, where);
                assert.deepEqual(s.plugins, [`kubernetes ${manifestOf(bundles["full-1.9.1"]).plugins[0].version}`], `${where}: the plugin from the bundle`);
                assert.equal(s.up?.result, "succeeded", `${where}: ${JSON.stringify(s.up).slice(0, 4000)}`);
                assert.deepEqual(s.up.previewChanges, [], `${where}: a clean preview after the up`);
                assert.equal(s.up.mandatoryViolations, 0);
            }
            const [whole, old, upgrade] = steps;
            assert.ok(whole.up.changes.create > 500, JSON.stringify(whole.up.changes));
            assert.ok(old.up.changes.create > 500, JSON.stringify(old.up.changes));
            assert.ok(
                upgrade.up.changes.update > 0 && (upgrade.up.changes.create ?? 0) < old.up.changes.create,
                `an upgrade, not a fresh install: ${JSON.stringify(upgrade.up.changes)}`,
            );
            assert.match(upgrade.installStderr, /verified, \d+ from the earlier bundle/);
            figures.installSeconds = whole.installSeconds;
            figures.deltaInstallSeconds = upgrade.installSeconds;
            figures.upSeconds = whole.up.upSeconds;
        });
    });
    describe("a stack with remote bases (a folder and a file) and an extra app of its own", () => {
        it("carries them as local trees; inside a network namespace the installed stack renders from the bundle alone", async () => {
            const dir = path.join(work, "remotes-stack");
            const release = tinyRelease(dir);
            const url = "https://github.com/example/addons//base?ref=v1.0.0";
            const fileUrl = "https://github.com/example/jobset/releases/download/v0.8.2/manifests.yaml";
            const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: default}\ndata: {a: "1"}\n`;
            const files: Record<string, string> = {
                "release/apps/hello/base/kustomization.yaml": `resources:\n- objects.yaml\n- ${url}\n- ${fileUrl}\n`,
                "checkout/base/kustomization.yaml": "resources:\n- remote.yaml\n",
                "checkout/base/remote.yaml": cm("from-remote-base"),
                "copies/manifests.yaml": cm("from-remote-file"),
                "mine/kustomization.yaml": "resources:\n- cm.yaml\n",
                "mine/cm.yaml": cm("mine"),
            };
            for (const [f, text] of Object.entries(files)) {
                fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
                fs.writeFileSync(path.join(dir, f), text);
            }
            const stack = path.join(dir, "Pulumi.edge.yaml");
            fs.writeFileSync(
                stack,
                jsyaml.dump({
                    config: {
                        "kfstack:manifests": { path: release },
                        "kfstack:mirror": { registry: "registry.local:5000/kubeflow" },
                        "kfstack:kustomize": { remotes: { [url]: "checkout/base", [fileUrl]: "copies/manifests.yaml" } },
                        "kfstack:apps": { extra: [{ name: "mine", path: "mine" }] },
                    },
                }),
            );
            const image = "gcr.io/hello/hello:1.0";
            const { repository } = splitName(pairsOf([image], parseMirror(`${source.host}/upstream`))[0].targetName);
            await pushImage(source.client(), repository, "1.0", [{ architecture: "amd64", layers: [seededLayer("hello", 4096)] }], "docker");
            fs.writeFileSync(path.join(dir, "images.txt"), `${image}\n`);
            const out = path.join(work, "bundle-edge");
            const made = await kfstack([
                "bundle",
                "create",
                "--config",
                stack,
                "--out",
                out,
                "--images",
                path.join(dir, "images.txt"),
                "--from",
                from,
                "--src-plain-http",
            ]);
            assert.equal(made.status, 0, made.stderr);
            const m = manifestOf(out);
            assert.deepEqual(Object.keys(m.remotes).sort(), [fileUrl, url].sort());
            assert.deepEqual(Object.keys(m.extras), ["mine"]);
            // The originals are gone: only the bundle can serve them now.
            for (const f of ["checkout", "copies", "mine", "release"]) fs.rmSync(path.join(dir, f), { recursive: true });
            const planFile = path.join(work, "plan-edge.json");
            fs.writeFileSync(
                planFile,
                JSON.stringify({ work: path.join(work, "inside-edge"), scenarios: [{ name: "edge", steps: [{ bundle: out, render: true }] }] }),
            );
            const script = path.join(ROOT, "dist", "test", "support", "airgap.js");
            const r = spawnSync("unshare", ["-n", "sh", "-c", `ip link set lo up && exec node ${script} run ${planFile}`], {
                encoding: "utf8",
                maxBuffer: 64 << 20,
            });
            assert.equal(r.status, 0, r.stderr.slice(-3000));
            const [step] = JSON.parse(r.stdout.trim().split("\n").pop() ?? "[]") as Record<string, any>[];
            assert.equal(step.installExit, 0, step.installStderr);
            assert.deepEqual(step.imagesWrong, []);
            assert.equal(step.render.exit, 0, step.render.stderr);
            for (const name of ["ConfigMap/from-remote-base", "ConfigMap/from-remote-file", "ConfigMap/mine", "ConfigMap/big", "Deployment/hello"])
                assert.ok(step.render.names.includes(name), `${name} rendered: ${step.render.names.join(", ")}`);
        });
    });
});
