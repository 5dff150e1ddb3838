/**
 * Issue 12 benchmark: `kfstack mirror copy` vs sequential `skopeo copy --all
 * --preserve-digests` of the same images, in one run, on the same local registries
 * (Debian's docker-registry on 127.0.0.1). The images are small ones made here in the shape
 * of the kubeflow/manifests v1.9.1 plan: its 89 repositories and tags (synthetic names when
 * ../shared is absent), a few shared base layers, every fifth image multi-platform, the
 * digest-pinned ones referenced by digest. Each side fills its own empty mirror through a
 * counting proxy: wall time, bytes uploaded against the unique bytes, and a re-run.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
import { startRegistry, pushImage, seededLayer, skopeoPresent, registryBinary, Registry } from "../harness/registry";
import { startProxy } from "../harness/proxy";
import { CLI, RENDERED_191, sharedPresent } from "../harness/paths";
import { imageList, inventoryOf, parseReference } from "../lib/images";
import { hostComponent, mirrorString, parseMirror } from "../lib/rewrite";
import { writeSection } from "./benchmark";

function planShape(): { repository: string; tag: string; pinned: boolean }[] {
    if (sharedPresent()) {
        const inv = inventoryOf(fs.readFileSync(RENDERED_191, "utf8"), "v1.9.1");
        return imageList(inv.findings).map((r) => {
            const ref = parseReference(r);
            return { repository: `${hostComponent(ref.registry)}/${ref.repository}`, tag: ref.tag ?? "pinned", pinned: ref.digest !== undefined };
        });
    }
    return Array.from({ length: 89 }, (_, i) => ({ repository: `example.io/kubeflow/app-${i}`, tag: `v1.${i}`, pinned: i % 9 === 0 }));
}

/** Busy CPU time of the whole machine (all cores), in ms, from /proc/stat. */
function busyMs(): number {
    const [, ...f] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
    const n = f.map(Number);
    return ((n[0] + n[1] + n[2] + n[5] + n[6] + n[7]) * 1000) / 100;
}

/** The peer: one `skopeo copy --all --preserve-digests` per image, in sequence, to the mirror rule's reference. */
async function peerCopy(refs: readonly string[], mirrorHost: string): Promise<void> {
    const mirror = parseMirror(`${mirrorHost}/kf`);
    for (const r of refs) {
        const args = ["copy", "--all", "--preserve-digests", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false"];
        const res = await run("skopeo", [...args, `docker://${r}`, `docker://${mirrorString(r, mirror)}`]);
        if (res.status !== 0) throw new Error(`skopeo copy ${r}: ${res.stderr}`);
    }
}

function run(cmd: string, args: string[]): Promise<{ status: number; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (c) => (stderr += c));
        child.on("close", (code) => resolve({ status: code ?? -1, stderr }));
    });
}

async function main(): Promise<void> {
    if (!skopeoPresent() || !registryBinary()) {
        process.stdout.write("mirror benchmark skipped: skopeo and docker-registry are needed (scripts/setup.sh)\n");
        return;
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-bench-mirror-"));
    const regs: Registry[] = [];
    try {
        const source = await startRegistry();
        const peerMirror = await startRegistry();
        const kfMirror = await startRegistry();
        regs.push(source, peerMirror, kfMirror);
        const c = source.client();
        const shape = planShape();
        const bases = Array.from({ length: 6 }, (_, i) => seededLayer(`base-${i}`, 48 * 1024));
        const unique = new Map<string, number>();
        const refs: string[] = [];
        const count = (b: Buffer) => unique.set(require("crypto").createHash("sha256").update(b).digest("hex"), b.length);
        for (const [i, s] of shape.entries()) {
            const own = (arch: string) => seededLayer(`${s.repository}-${arch}`, 4096 + ((i * 997) % 28672));
            const arches = i % 5 === 0 ? ["amd64", "arm64"] : ["amd64"];
            const platforms = arches.map((a) => ({ architecture: a, layers: [bases[i % bases.length], own(a)] }));
            platforms.forEach((p) => p.layers.forEach(count));
            const digest = await pushImage(c, s.repository, s.pinned ? undefined : s.tag, platforms, i % 2 ? "docker" : "oci");
            refs.push(s.pinned ? `${source.host}/${s.repository}@${digest}` : `${source.host}/${s.repository}:${s.tag}`);
        }
        // Manifests and configs count as unique bytes too: read them back from the source.
        let manifestBytes = 0;
        for (const r of refs) {
            const ref = parseReference(r);
            const top = await c.getManifest(ref.repository, ref.tag ?? (ref.digest as string));
            manifestBytes += top?.size ?? 0;
            const doc = JSON.parse(top?.body?.toString() ?? "{}");
            const ms = doc.manifests ? await Promise.all(doc.manifests.map((m: { digest: string }) => c.getManifest(ref.repository, m.digest))) : [top];
            for (const m of ms) {
                if (m !== top) manifestBytes += m?.size ?? 0;
                const d = JSON.parse(m?.body?.toString() ?? "{}");
                if (d.config) unique.set(d.config.digest.slice(7), d.config.size);
            }
        }
        const uniqueBytes = [...unique.values()].reduce((a, b) => a + b, 0) + manifestBytes;
        const list = path.join(work, "images.txt");
        fs.writeFileSync(list, refs.join("\n") + "\n");

        const peerProxy = await startProxy(peerMirror.host);
        const kfProxy = await startProxy(kfMirror.host);
        // Peer: one skopeo copy --all --preserve-digests per image, one after the other.
        const t0 = Date.now();
        const b0 = busyMs();
        await peerCopy(refs, peerProxy.host);
        const peerMs = Date.now() - t0;
        const peerCores = (busyMs() - b0) / peerMs;
        const peerBytes = peerProxy.stats.uploadedBytes;
        // kfstack, as a user runs it.
        const kf = async () => {
            const t = Date.now();
            const r = await run(process.execPath, [
                CLI,
                "mirror",
                "copy",
                "--images",
                list,
                "--mirror",
                `${kfProxy.host}/kf`,
                "--plain-http",
                "--src-plain-http",
                "--journal",
                path.join(work, "journal.jsonl"),
            ]);
            if (r.status !== 0) throw new Error(`kfstack mirror copy: ${r.stderr}`);
            return Date.now() - t;
        };
        const kfMs = await kf();
        const kfBytes = kfProxy.stats.uploadedBytes;
        kfProxy.reset();
        const rerunMs = await kf();
        const rerunBytes = kfProxy.stats.uploadedBytes;
        // The peer re-run, for reference: skopeo copies (or at least checks) every image again.
        peerProxy.reset();
        const t1 = Date.now();
        await peerCopy(refs.slice(0, 10), peerProxy.host);
        const peerRerunMs = ((Date.now() - t1) / 10) * refs.length;
        await Promise.all([peerProxy.stop(), kfProxy.stop()]);

        const kb = (n: number) => (n / 1024).toFixed(0);
        const s = (ms: number) => (ms / 1000).toFixed(1);
        const table = [
            `## Filling the mirror (issue 12)`,
            ``,
            `${refs.length} small images made here in the shape of the v1.9.1 plan${sharedPresent() ? " (its repositories and tags)" : " (synthetic names)"}: 6 shared base layers,`,
            `every fifth image multi-platform, half Docker-typed, the digest-pinned ones referenced by digest; ${kb(uniqueBytes)} KiB unique (blobs and manifests).`,
            `Each side fills its own empty docker-registry (distribution 2.8, 127.0.0.1) from the same source registry, through a counting proxy.`,
            `kfstack: \`kfstack mirror copy\` with its default 4 jobs. Peer: \`skopeo copy --all --preserve-digests\` per image, in sequence (skopeo ${skopeoVersion()}).`,
            `One run, ${os.cpus().length} cores, measured ${new Date().toISOString().slice(0, 10)}.`,
            ``,
            `| what | kfstack | peer | kfstack / peer | target |`,
            `| --- | ---: | ---: | ---: | --- |`,
            `| wall time, empty mirror | ${s(kfMs)} s | ${s(peerMs)} s | ${(kfMs / peerMs).toFixed(2)}× | ≤ 0.5×: ${kfMs <= 0.5 * peerMs ? "met" : "not met"} |`,
            `| bytes uploaded / unique bytes | ${(kfBytes / uniqueBytes).toFixed(3)} (${kb(kfBytes)} KiB) | ${(peerBytes / uniqueBytes).toFixed(3)} (${kb(peerBytes)} KiB) | | kfstack ≤ 1.05: ${kfBytes <= 1.05 * uniqueBytes ? "met" : "not met"} |`,
            `| re-run, nothing changed | ${s(rerunMs)} s, ${rerunBytes} B uploaded | ~${s(peerRerunMs)} s (10 images timed, scaled) | ${(rerunMs / peerRerunMs).toFixed(2)}× | < 5 s: ${rerunMs < 5000 ? "met" : "not met"} |`,
            ``,
            `While the sequential peer ran, the machine was ${peerCores.toFixed(2)} of its ${os.cpus().length} cores busy on average (the registries and the proxies`,
            `work as much as skopeo), so on this machine no schedule of the same registry work can finish in less than ~${(peerCores / os.cpus().length).toFixed(2)}× of the peer's time.`,
            ``,
        ].join("\n");
        process.stdout.write(table + "\n");
        if (process.argv.includes("--write")) writeSection("Filling the mirror", table);
    } finally {
        await Promise.all(regs.map((r) => r.stop()));
        fs.rmSync(work, { recursive: true, force: true });
    }
}

function skopeoVersion(): string {
    return (spawnSync("skopeo", ["--version"], { encoding: "utf8" }).stdout ?? "").trim().replace(/^skopeo version /, "");
}

if (require.main === module) {
    main().catch((e) => {
        process.stderr.write(`${(e as Error).stack}\n`);
        process.exitCode = 1;
    });
}
