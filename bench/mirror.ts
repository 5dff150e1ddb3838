/**
 * Issue 26 benchmark: `kfstack mirror copy` at its defaults against the tools a platform
 * engineer would use instead, at their best settings — crane and regctl (built from their Go
 * modules), 8 images in parallel, and skopeo, 4 in parallel — on loopback and on far links.
 *
 * The images are made here in the shape of the kubeflow/manifests v1.9.1 plan: its 89
 * repositories and tags (synthetic names when ../shared is absent), ~544 MiB unique, a few
 * shared base layers, every fifth image multi-platform, half Docker-typed, the digest-pinned
 * ones referenced by digest. Every run fills a fresh mirror (Debian's docker-registry) from one
 * source registry on loopback; the mirror sits behind a proxy of ours that counts requests,
 * connections and bytes, and for the far links delays each request, each new connection, and
 * paces the bytes (harness/proxy.ts `Link`). Tools alternate, median of 3; after each run
 * every image's digest in the mirror is checked against the source. CPU is the tools' own
 * (their processes' user + system time, from this process's reaped children).
 *
 * Run: npm run bench -- --only-mirror [--quick] [--write]
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { spawn, spawnSync } from "child_process";
import { startRegistry, pushImage, skopeoPresent, registryBinary, Registry } from "../harness/registry";
import { Link, startProxy } from "../harness/proxy";
import { CLI, sharedPresent, RENDERED_191 } from "../harness/paths";
import { imageList, inventoryOf, parseReference } from "../lib/images";
import { hostComponent, mirrorString, parseMirror } from "../lib/rewrite";
import { parallel, RegistryClient } from "../lib/mirror";
import { writeSection } from "./benchmark";

const MiB = 1024 * 1024;
const PEERS_DIR = path.join(os.homedir(), ".cache", "kfstack", "peers");
const PEERS = {
    crane: { module: "github.com/google/go-containerregistry/cmd/crane", version: "v0.22.1" },
    regctl: { module: "github.com/regclient/regclient/cmd/regctl", version: "v0.11.7" },
} as const;

/** Builds crane and regctl from their Go modules once (cached under ~/.cache/kfstack/peers). */
function peerBinary(name: keyof typeof PEERS): string | undefined {
    const p = PEERS[name];
    const dir = path.join(PEERS_DIR, p.version);
    const bin = path.join(dir, name);
    if (fs.existsSync(bin)) return bin;
    fs.mkdirSync(dir, { recursive: true });
    const r = spawnSync("go", ["install", `${p.module}@${p.version}`], { env: { ...process.env, GOBIN: dir }, encoding: "utf8" });
    if (r.status !== 0) {
        process.stderr.write(`building ${name} ${p.version} failed (go install): ${r.stderr ?? r.error}\n`);
        return undefined;
    }
    return bin;
}

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

/** Incompressible bytes from a seed, fast (AES-CTR), stored as a gzip member so images stay valid. */
function layer(seed: string, size: number): Buffer {
    const key = crypto.createHash("sha256").update(seed).digest();
    const c = crypto.createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
    return zlib.gzipSync(Buffer.concat([c.update(Buffer.alloc(size)), c.final()]), { level: 0 });
}

interface Fixture {
    readonly refs: string[];
    readonly digests: Map<string, string>;
    readonly uniqueBytes: number;
}

/** Fills the source registry with the plan-shaped images. */
async function seed(source: Registry): Promise<Fixture> {
    const c = source.client();
    const shape = planShape();
    const unique = new Map<string, number>();
    const sha = (b: Buffer): string => "sha256:" + crypto.createHash("sha256").update(b).digest("hex");
    // Six small shared base layers (a base image under many components), pushed once and
    // mounted into each repository; each image's own layers carry most of the bytes.
    const scale = process.argv.includes("--small") ? 0.1 : 1;
    const bases = Array.from({ length: 6 }, (_, i) => layer(`base-${i}`, Math.round((4 + i * 0.4) * MiB * scale)));
    for (const [i, b] of bases.entries()) await c.pushBlob(`bench/base-${i}`, b);
    const arches = (i: number): string[] => (i % 5 === 0 ? ["amd64", "arm64"] : ["amd64"]);
    const weights = shape.map((_, i) => arches(i).map((_a, j) => 1 + ((i * 7919 + j * 104729) % 13) / 4));
    const totalWeight = weights.flat().reduce((a, b) => a + b, 0);
    const ownBudget = 544 * MiB * scale - bases.reduce((a, b) => a + b.length, 0);
    const refs: string[] = [];
    const digests = new Map<string, string>();
    for (const [i, s] of shape.entries()) {
        const base = bases[i % bases.length];
        await c.mountBlob(s.repository, sha(base), `bench/base-${i % bases.length}`);
        unique.set(sha(base), base.length);
        const platforms = arches(i).map((a, j) => {
            const own = layer(`${s.repository}-${a}`, Math.round((ownBudget * weights[i][j]) / totalWeight));
            unique.set(sha(own), own.length);
            return { architecture: a, layers: [base, own] };
        });
        const digest = await pushImage(c, s.repository, s.pinned ? undefined : s.tag, platforms, i % 2 ? "docker" : "oci");
        const ref = s.pinned ? `${source.host}/${s.repository}@${digest}` : `${source.host}/${s.repository}:${s.tag}`;
        refs.push(ref);
        digests.set(ref, digest);
    }
    // Manifests and configs count as unique bytes too.
    for (const r of refs) {
        const ref = parseReference(r);
        const top = await c.getManifest(ref.repository, ref.tag ?? (ref.digest as string));
        unique.set(top!.digest, top!.size);
        const doc = JSON.parse(top!.body!.toString());
        const ms = doc.manifests ? await Promise.all(doc.manifests.map((m: { digest: string }) => c.getManifest(ref.repository, m.digest))) : [top];
        for (const m of ms) {
            unique.set(m!.digest, m!.size);
            const d = JSON.parse(m!.body!.toString());
            unique.set(d.config.digest, d.config.size);
        }
    }
    return { refs, digests, uniqueBytes: [...unique.values()].reduce((a, b) => a + b, 0) };
}

/** CPU time of this process's reaped children (user + system), in seconds. */
function childrenCpu(): number {
    const f = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    // Fields 16 and 17 of stat (cutime, cstime), counted from the state field (3).
    return (Number(f[13]) + Number(f[14])) / 100;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ status: number; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env });
        let stderr = "";
        child.stderr.on("data", (c) => (stderr += c));
        child.on("close", (code) => resolve({ status: code ?? -1, stderr }));
    });
}

interface Tool {
    readonly name: string;
    /** Copies every image into `mirrorHost` (the proxy); throws on a failure. */
    copy(refs: readonly string[], mirrorHost: string, work: string): Promise<void>;
}

function perImage(
    name: string,
    jobs: number,
    command: (src: string, dst: string) => [string, string[], NodeJS.ProcessEnv?],
    prepare?: (mirrorHost: string) => Promise<void>,
): Tool {
    return {
        name,
        copy: async (refs, mirrorHost) => {
            await prepare?.(mirrorHost);
            const mirror = parseMirror(`${mirrorHost}/kf`);
            await parallel(refs, jobs, async (r) => {
                const [cmd, args, env] = command(r, mirrorString(r, mirror));
                const res = await run(cmd, args, env);
                if (res.status !== 0) throw new Error(`${name} ${r}: ${res.stderr.slice(-500)}`);
            });
        },
    };
}

function tools(sourceHost: string, work: string): Tool[] {
    const list: Tool[] = [
        {
            name: "kfstack mirror copy, defaults",
            copy: async (refs, mirrorHost, dir) => {
                const list = path.join(dir, "images.txt");
                fs.writeFileSync(list, refs.join("\n") + "\n");
                const r = await run(process.execPath, [
                    CLI,
                    "mirror",
                    "copy",
                    "--images",
                    list,
                    "--mirror",
                    `${mirrorHost}/kf`,
                    "--plain-http",
                    "--src-plain-http",
                    "--journal",
                    path.join(dir, "journal.jsonl"),
                ]);
                if (r.status !== 0) throw new Error(`kfstack mirror copy: ${r.stderr.slice(-2000)}`);
            },
        },
    ];
    const crane = peerBinary("crane");
    if (crane) list.push(perImage(`crane ${PEERS.crane.version} copy, 8 in parallel`, 8, (s, d) => [crane, ["copy", "--insecure", s, d]]));
    const regctl = peerBinary("regctl");
    if (regctl) {
        const config = path.join(work, "regctl.json");
        const env = { ...process.env, REGCTL_CONFIG: config };
        list.push(
            perImage(
                `regctl ${PEERS.regctl.version} image copy, 8 in parallel`,
                8,
                (s, d) => [regctl, ["image", "copy", s, d], env],
                // Plain HTTP to both registries is regctl's per-registry setting (never spawnSync:
                // the proxy answers from this process).
                async (mirrorHost) => {
                    for (const h of [sourceHost, mirrorHost]) await run(regctl, ["registry", "set", "--tls", "disabled", h], env);
                },
            ),
        );
    }
    if (skopeoPresent())
        list.push(
            perImage("skopeo copy --all --preserve-digests, 4 in parallel", 4, (s, d) => [
                "skopeo",
                ["copy", "--all", "--preserve-digests", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${s}`, `docker://${d}`],
            ]),
        );
    return list;
}

interface Measure {
    wall: number;
    cpu: number;
    bytes: number;
    requests: number;
    connections: number;
}

interface Scenario {
    readonly name: string;
    readonly link?: Link;
    /** Tools left out (too slow to be worth the minutes). */
    readonly skip?: (tool: string) => boolean;
}

const SCENARIOS: Scenario[] = [
    { name: "loopback" },
    { name: "20 ms per request, 40 ms per new connection, 40 MiB/s", link: { requestMs: 20, connectMs: 40, bytesPerSecond: 40 * MiB } },
    {
        name: "100 ms per request, 200 ms per new connection, 10 MiB/s",
        link: { requestMs: 100, connectMs: 200, bytesPerSecond: 10 * MiB },
        skip: (t) => t.startsWith("skopeo"),
    },
];

/** One run of a tool into a fresh mirror; the mirror is checked image by image. */
async function once(tool: Tool, fx: Fixture, link: Link | undefined, work: string, rerun: boolean): Promise<{ first: Measure; again?: Measure }> {
    const mirror = await startRegistry();
    const proxy = await startProxy(mirror.host, {}, link);
    const dir = fs.mkdtempSync(path.join(work, "run-"));
    try {
        const measure = async (): Promise<Measure> => {
            proxy.reset();
            const c0 = childrenCpu();
            const t0 = performance.now();
            await tool.copy(fx.refs, proxy.host, dir);
            const wall = (performance.now() - t0) / 1000;
            return { wall, cpu: childrenCpu() - c0, bytes: proxy.stats.uploadedBytes, requests: proxy.stats.requests, connections: proxy.stats.connections };
        };
        const first = await measure();
        const client = new RegistryClient({ host: mirror.host, plainHttp: true });
        const m = parseMirror(`${proxy.host}/kf`);
        for (const [ref, digest] of fx.digests) {
            const target = mirrorString(ref, m).replace(proxy.host, mirror.host);
            const t = parseReference(target);
            const got = (await client.headManifest(t.repository, t.digest ?? t.tag ?? "latest"))?.digest;
            if (got !== digest) throw new Error(`${tool.name}: ${target} is ${got ?? "missing"} in the mirror, not ${digest}`);
        }
        const again = rerun ? await measure() : undefined;
        return { first, again };
    } finally {
        await proxy.stop();
        await mirror.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
    if (!skopeoPresent() || !registryBinary()) {
        process.stdout.write("mirror benchmark skipped: skopeo and docker-registry are needed (scripts/setup.sh)\n");
        return;
    }
    const quick = process.argv.includes("--quick");
    const rounds = quick ? 1 : 3;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-bench-mirror-"));
    let source: Registry | undefined;
    try {
        source = await startRegistry();
        const fx = await seed(source);
        const all = tools(source.host, work);
        const rows: string[] = [];
        const mib = (n: number): string => (n / MiB).toFixed(1);
        const say = (s: string): void => void process.stderr.write(s + "\n");
        say(`${fx.refs.length} images, ${mib(fx.uniqueBytes)} MiB unique; tools: ${all.map((t) => t.name).join("; ")}`);
        const verdicts: string[] = [];
        for (const sc of SCENARIOS) {
            const used = all.filter((t) => !sc.skip?.(t.name));
            const results = new Map<string, { first: Measure[]; again: Measure[] }>(used.map((t) => [t.name, { first: [], again: [] }]));
            for (let r = 0; r < rounds; r++) {
                // Alternated: each round starts with the next tool.
                const order = used.map((_, i) => used[(i + r) % used.length]);
                for (const t of order) {
                    const m = await once(t, fx, sc.link, work, sc.link === undefined);
                    results.get(t.name)!.first.push(m.first);
                    if (m.again) results.get(t.name)!.again.push(m.again);
                    say(
                        `${sc.name}: ${t.name}: ${m.first.wall.toFixed(1)} s, ${mib(m.first.bytes)} MiB, ${m.first.requests} requests, ${m.first.connections} connections, ${m.first.cpu.toFixed(1)} CPU-s${m.again ? `; re-run ${m.again.wall.toFixed(2)} s` : ""}`,
                    );
                }
            }
            const med = (name: string, k: keyof Measure, again = false): number => median(results.get(name)![again ? "again" : "first"].map((m) => m[k]));
            const kf = used[0].name;
            const peers = used.slice(1);
            const best = Math.min(...peers.map((p) => med(p.name, "wall")));
            rows.push(`### ${sc.name}`, ``);
            rows.push(
                `| tool | wall | / best peer | bytes uploaded / unique | requests | connections | CPU-s | CPU-s per GiB unique |${sc.link ? "" : " re-run |"}`,
            );
            rows.push(`| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${sc.link ? "" : " ---: |"}`);
            for (const t of used) {
                const w = med(t.name, "wall");
                const cpu = med(t.name, "cpu");
                const rerun = sc.link ? "" : ` ${med(t.name, "wall", true).toFixed(2)} s, ${med(t.name, "bytes", true)} B |`;
                rows.push(
                    `| ${t.name} | ${w.toFixed(1)} s | ${(w / best).toFixed(2)}× | ${(med(t.name, "bytes") / fx.uniqueBytes).toFixed(3)} | ${med(t.name, "requests")} | ${med(t.name, "connections")} | ${cpu.toFixed(1)} | ${(cpu / (fx.uniqueBytes / (1024 * MiB))).toFixed(1)} |${rerun}`,
                );
            }
            rows.push(``);
            const ratio = med(kf, "wall") / best;
            const target = sc.link ? 0.9 : 1.0;
            verdicts.push(`- ${sc.name}: kfstack ${ratio.toFixed(2)}× the best peer (target ≤ ${target.toFixed(1)}×: ${ratio <= target ? "met" : "not met"})`);
            if (!sc.link) {
                const crane = peers.find((p) => p.name.startsWith("crane"));
                if (crane) {
                    const c = med(kf, "cpu") / med(crane.name, "cpu");
                    verdicts.push(`- CPU per GB on loopback: kfstack ${c.toFixed(2)}× crane's (target ≤ 1.5×: ${c <= 1.5 ? "met" : "not met"})`);
                }
                const bytes = med(kf, "bytes") / fx.uniqueBytes;
                verdicts.push(
                    `- bytes uploaded / unique: ${bytes.toFixed(3)} (target 1.000 with manifests counted once: ${bytes <= 1.0005 ? "met" : "not met"})`,
                );
                const fastest = used.every((t) => t.name === kf || med(kf, "wall", true) <= med(t.name, "wall", true));
                verdicts.push(`- re-run with nothing changed: kfstack ${med(kf, "wall", true).toFixed(2)} s, ${fastest ? "the fastest" : "not the fastest"}`);
            }
        }
        const text = [
            `## Filling the mirror (issue 26)`,
            ``,
            `${fx.refs.length} images made here in the shape of the v1.9.1 plan${sharedPresent() ? " (its repositories and tags)" : " (synthetic names)"}: ${mib(fx.uniqueBytes)} MiB unique`,
            `(blobs, configs and manifests), 6 shared base layers, every fifth image multi-platform, half Docker-typed, the digest-pinned ones by digest.`,
            `Each run fills a fresh mirror (Debian docker-registry) from one source registry on 127.0.0.1; the mirror sits behind a proxy that counts`,
            `requests, connections and uploaded bytes, and on the far links delays each request and each new connection's first request and paces the bytes.`,
            `Tools alternated, median of ${rounds}; every image's digest in the mirror checked after each run. CPU: the tools' own processes (user + system).`,
            `kfstack at its defaults (adaptive transfers, cap 16). Peers built from their Go modules; skopeo ${skopeoVersion()} from Debian.`,
            `${os.cpus().length} cores, measured ${new Date().toISOString().slice(0, 10)}.`,
            ``,
            ...rows,
            ...verdicts,
            ``,
        ].join("\n");
        process.stdout.write(text + "\n");
        if (process.argv.includes("--write")) writeSection("Filling the mirror", text);
    } finally {
        await source?.stop();
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
