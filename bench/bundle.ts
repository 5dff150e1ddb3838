/**
 * Issue 25 benchmark: the air-gap bundle of the dev stack against doing it by hand, in one run.
 *
 * The images are made in the shape of the v1.8.0 and v1.9.1 plans (their repositories and tags,
 * digest-pinned references left out: no registry here can serve a real digest): a base layer per
 * repository kept across releases and an image layer per reference, ~0.5 GiB per release, in a
 * registry on loopback. Measured, median of `--rounds` (default 3), alternating:
 * - `kfstack bundle create` of v1.9.1 (whole) against the by-hand peer: `skopeo copy --all` of
 *   each image into a `dir:` (4 at once, as the field notes' scripts do) and `cp -a` of the same
 *   release tree, project, npm tarballs, plugin, CLI and kustomize;
 * - the delta v1.8.0 → v1.9.1 (share of the whole; by hand an upgrade ships everything again);
 * - a second `create --since` with nothing changed: bytes shipped and bytes fetched;
 * - `kfstack bundle install` of the whole bundle into a fresh registry and PULUMI_HOME against the
 *   by-hand peer: `skopeo copy --all` of each `dir:` into the mirror (4 at once), the plugin
 *   copied, `npm ci --offline` over the same tarballs.
 *
 * Run: npm run bench -- --only-bundle [--rounds N] [--write]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import { startRegistry } from "../harness/registry";
import { startProxy } from "../harness/proxy";
import { devStackOn, seedReleaseImages } from "../harness/releases";
import { CLI, ENGINE_BIN, ROOT, SHARED, TREE_191 } from "../harness/paths";
import { parseReference } from "../lib/images";
import { pairsOf, parallel, splitName } from "../lib/mirror";
import { parseMirror } from "../lib/rewrite";
import { BundleManifest, lockWithResolved } from "../lib/bundle";
import { writeSection } from "./benchmark";

const MiB = 1 << 20;
const TREE_180 = path.join(SHARED, "v1.8.0");

function run(
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
    cwd = ROOT,
): Promise<{ status: number; stdout: string; stderr: string; seconds: number }> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr, seconds: (Date.now() - t0) / 1000 }));
    });
}

async function must(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<number> {
    const r = await run(cmd, args, env, cwd);
    if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(" ")} failed: ${r.stderr.slice(-2000)}`);
    return r.seconds;
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

async function bundleBench(): Promise<void> {
    const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 3;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-bench-bundle-"));
    const source = await startRegistry();
    const proxy = await startProxy(source.host);
    const env = { PATH: `${ENGINE_BIN}${path.delimiter}${process.env.PATH ?? ""}` };
    try {
        const upstream = parseMirror(`${source.host}/upstream`);
        const from = `${proxy.host}/upstream`;
        const stacks: Record<string, string> = {};
        for (const [release, tree] of [
            ["v1.8.0", TREE_180],
            ["v1.9.1", TREE_191],
        ])
            stacks[release] = devStackOn(path.join(work, `stack-${release}`), tree, false);
        const seeded = await seedReleaseImages(source, "upstream", stacks, { base: 4 * MiB, own: 2 * MiB }, work);
        const lists = Object.fromEntries(Object.entries(seeded).map(([r, l]) => [r, l.file]));
        const refsOf = Object.fromEntries(Object.entries(seeded).map(([r, l]) => [r, l.refs]));
        const create = async (release: string, out: string, extra: string[] = []) => {
            const r = await run(
                "node",
                [CLI, "bundle", "create", "--config", stacks[release], "--out", out, "--images", lists[release], "--from", from, "--src-plain-http", ...extra],
                env,
            );
            if (r.status !== 0) throw new Error(`bundle create failed: ${r.stderr.slice(-2000)}`);
            return r.seconds;
        };
        const manifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "bundle.json"), "utf8")) as BundleManifest;
        const old = path.join(work, "full-1.8.0");
        await create("v1.8.0", old);

        const t = { create: [] as number[], peerCreate: [] as number[], delta: [] as number[], install: [] as number[], peerInstall: [] as number[] };
        let whole: BundleManifest | undefined;
        let delta: BundleManifest | undefined;
        let unchanged = { bytes: 0, fetched: 0, seconds: 0 };
        for (let i = 0; i < rounds; i++) {
            const full = path.join(work, `full-${i}`);
            t.create.push(await create("v1.9.1", full));
            whole = manifest(full);
            // By hand: every image into a dir: with skopeo, 4 at once, then the same other files copied.
            const hand = path.join(work, `by-hand-${i}`);
            fs.mkdirSync(path.join(hand, "images"), { recursive: true });
            const t0 = Date.now();
            await parallel(
                refsOf["v1.9.1"].map((ref, n) => [ref, n] as const),
                4,
                async ([ref, n]) => {
                    const { repository } = splitName(pairsOf([ref], upstream)[0].targetName);
                    await must("skopeo", [
                        "copy",
                        "--all",
                        "--preserve-digests",
                        "--src-tls-verify=false",
                        `docker://${proxy.host}/${repository}:${parseReference(ref).tag}`,
                        `dir:${path.join(hand, "images", String(n))}`,
                    ]);
                },
            );
            for (const part of ["manifests", "project", "npm", "plugins", "bin", "tools"])
                await must("cp", ["-a", path.join(full, part), path.join(hand, part)]);
            t.peerCreate.push((Date.now() - t0) / 1000);

            const d = path.join(work, `delta-${i}`);
            t.delta.push(await create("v1.9.1", d, ["--since", old]));
            delta = manifest(d);

            const again = path.join(work, `again-${i}`);
            proxy.reset();
            const seconds = await create("v1.9.1", again, ["--since", path.join(full, "bundle.json")]);
            unchanged = {
                bytes: ["bundle.json", "checksums.sha256"].reduce((n, f) => n + fs.statSync(path.join(again, f)).size, 0),
                fetched: proxy.stats.downloadedBytes,
                seconds,
            };

            // Install into a fresh mirror and PULUMI_HOME; then the by-hand peer into another.
            const mirror = await startRegistry();
            const home = path.join(work, `home-${i}`);
            const r = await run("node", [path.join(full, "kfstack.js"), "bundle", "install", full, "--mirror", `${mirror.host}/kubeflow`, "--plain-http"], {
                PULUMI_HOME: home,
            });
            await mirror.stop();
            if (r.status !== 0) throw new Error(`bundle install failed: ${r.stderr.slice(-2000)}`);
            t.install.push(r.seconds);
            const peerMirror = await startRegistry();
            const p0 = Date.now();
            await parallel(
                refsOf["v1.9.1"].map((ref, n) => [ref, n] as const),
                4,
                async ([ref, n]) => {
                    const [pair] = pairsOf([ref], parseMirror(`${peerMirror.host}/kubeflow`));
                    await must("skopeo", [
                        "copy",
                        "--all",
                        "--preserve-digests",
                        "--dest-tls-verify=false",
                        `dir:${path.join(hand, "images", String(n))}`,
                        `docker://${pair.targetName}:${pair.targetReference}`,
                    ]);
                },
            );
            const plugin = whole.plugins[0];
            const pluginDir = path.join(work, `peer-home-${i}`, "plugins", path.basename(path.dirname(plugin.file)));
            fs.mkdirSync(pluginDir, { recursive: true });
            await must("cp", [path.join(hand, ...plugin.file.split("/")), pluginDir]);
            const project = path.join(hand, "project");
            const cache = path.join(work, `peer-cache-${i}`);
            fs.mkdirSync(cache, { recursive: true });
            await must("cp", ["-a", path.join(hand, "npm"), path.join(cache, "_cacache")]);
            const lock = path.join(project, "package-lock.json");
            fs.writeFileSync(lock, lockWithResolved(fs.readFileSync(lock, "utf8")));
            await must("npm", ["ci", "--offline", "--cache", cache, "--no-audit", "--no-fund", "--loglevel=error"], {}, project);
            t.peerInstall.push((Date.now() - p0) / 1000);
            await peerMirror.stop();
            for (const dir of [full, hand, d, again, home, cache, path.join(work, `peer-home-${i}`)]) fs.rmSync(dir, { recursive: true, force: true });
        }
        const gib = (n: number) => `${(n / (1 << 30)).toFixed(2)} GiB`;
        const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
        const w = whole!;
        const dl = delta!;
        const parts = Object.entries(w.sizes.parts)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k} ${mib(v)}`)
            .join(", ");
        const table = [
            "## The air-gap bundle (issue 25)",
            "",
            `\`npm run bench -- --only-bundle\` (bench/bundle.ts): the dev stack, v1.9.1 (and v1.8.0 for the delta), images in the shape of each release's plan (${refsOf["v1.9.1"].length} images; base layer per repository kept across releases, one layer per reference; the digest-pinned references left out, as no registry here can serve a real digest) from a registry on loopback; ${os.cpus().length} cores; median of ${rounds}, kfstack and the by-hand peer alternating in each round.`,
            "",
            "| measure | kfstack | by hand | kfstack / by hand |",
            "| --- | ---: | ---: | ---: |",
            `| whole bundle of v1.9.1: time | ${median(t.create).toFixed(1)} s | ${median(t.peerCreate).toFixed(1)} s (skopeo dir: ×4 + cp -a) | ${(median(t.create) / median(t.peerCreate)).toFixed(2)}× |`,
            `| whole bundle: size | ${gib(w.sizes.total)} (${parts}) | same files | — |`,
            `| delta v1.8.0 → v1.9.1: size | ${mib(dl.sizes.shipped)} = ${((100 * dl.sizes.shipped) / w.sizes.total).toFixed(1)}% of the whole | the whole again (100%) | ${(dl.sizes.shipped / w.sizes.total).toFixed(3)}× |`,
            `| delta: time | ${median(t.delta).toFixed(1)} s | — | — |`,
            `| second \`create --since\`, nothing changed: shipped | ${unchanged.bytes.toLocaleString("en")} B (bundle.json + checksums.sha256 only) | — | — |`,
            `| same: image bytes fetched | ${unchanged.fetched} B (${refsOf["v1.9.1"].length} HEADs), ${unchanged.seconds.toFixed(1)} s | — | — |`,
            `| install of the whole bundle (verify every file, push every image, plugin, \`npm ci --offline\` + build) | ${median(t.install).toFixed(1)} s | ${median(t.peerInstall).toFixed(1)} s (skopeo ×4, cp, npm ci --offline; no verification, no build) | ${(median(t.install) / median(t.peerInstall)).toFixed(2)}× |`,
            "",
            `The delta ships the image layers v1.8.0 lacks and the changed release files; the plugin, the CLI, kustomize, the npm tarballs and kfstack.js are unchanged between the two and stay behind. Per round: create ${t.create.map((x) => x.toFixed(1)).join(" / ")} s (by hand ${t.peerCreate.map((x) => x.toFixed(1)).join(" / ")}); install ${t.install.map((x) => x.toFixed(1)).join(" / ")} s (by hand ${t.peerInstall.map((x) => x.toFixed(1)).join(" / ")}). The e2e test (test/integration/bundle.test.ts) installs and applies the same bundles inside a network namespace with loopback only.`,
            "",
        ].join("\n");
        process.stdout.write(table + "\n");
        if (process.argv.includes("--write")) writeSection("The air-gap bundle", table);
    } finally {
        await proxy.stop();
        await source.stop();
        fs.rmSync(work, { recursive: true, force: true });
    }
}

if (require.main === module)
    bundleBench().then(
        () => process.exit(0),
        (e: unknown) => {
            process.stderr.write(`${(e as Error).stack ?? e}\n`);
            process.exit(1);
        },
    );
