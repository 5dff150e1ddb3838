/**
 * Real OCI registries for tests and benchmarks: Debian's `docker-registry` (distribution
 * 2.8) started on 127.0.0.1 with its own storage folder, optionally behind htpasswd, and
 * stopped after; plus test images made here (tar layers, OCI or Docker manifests, indexes)
 * and pushed through the registry API.
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { spawn, spawnSync, ChildProcess } from "child_process";
import { freePort, stopProcess } from "./processes";
import { MEDIA, RegistryClient, sha256Digest, Credentials } from "../lib/mirror/registry";

export function registryBinary(): string | undefined {
    const r = spawnSync("sh", ["-c", "command -v docker-registry"], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

export function skopeoPresent(): boolean {
    return spawnSync("sh", ["-c", "command -v skopeo"]).status === 0;
}

export interface Registry {
    /** `127.0.0.1:PORT`. */
    readonly host: string;
    readonly port: number;
    /** Where the registry keeps blobs and manifests (tests corrupt blobs here). */
    readonly storage: string;
    readonly credentials?: Credentials;
    client(): RegistryClient;
    /** The file holding a blob's bytes in the registry's storage. */
    blobFile(digest: string): string;
    /** What the registry logged (every request, with `accessLog`). */
    accessLog(): string;
    stop(): Promise<void>;
}

export interface RegistryOptions {
    /** Require these credentials (htpasswd, bcrypt). */
    readonly credentials?: Credentials;
    /** Serve TLS with this certificate and key (PEM files). @default plain HTTP */
    readonly tls?: { readonly cert: string; readonly key: string };
    /** Serve the blobs and manifests of this folder (another registry's `storage`, stopped). @default a new one */
    readonly storage?: string;
    /** Log every request (read them with `accessLog()`). @default false */
    readonly accessLog?: boolean;
}

/** Starts a registry on a free 127.0.0.1 port; resolves when /v2/ answers. */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
    const bin = registryBinary();
    if (!bin) throw new Error("docker-registry is not installed (Debian package docker-registry; scripts/setup.sh installs it)");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-registry-"));
    const port = await freePort();
    const storage = options.storage ?? path.join(dir, "data");
    const lines = [
        "version: 0.1",
        "log:",
        `  level: ${options.accessLog ? "info" : "error"}`,
        "  accesslog:",
        `    disabled: ${!options.accessLog}`,
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${storage}`,
        "  delete:",
        "    enabled: true",
        "http:",
        `  addr: 127.0.0.1:${port}`,
        "  secret: kfstack-test-registry",
        ...(options.tls ? ["  tls:", `    certificate: ${options.tls.cert}`, `    key: ${options.tls.key}`] : []),
    ];
    if (options.credentials) {
        const htpasswd = path.join(dir, "htpasswd");
        const r = spawnSync("htpasswd", ["-Bbn", options.credentials.username, options.credentials.password], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`htpasswd failed (Debian package apache2-utils): ${r.stderr}`);
        fs.writeFileSync(htpasswd, r.stdout, { mode: 0o600 });
        lines.push("auth:", "  htpasswd:", "    realm: kfstack-test", `    path: ${htpasswd}`);
    }
    const config = path.join(dir, "config.yml");
    fs.writeFileSync(config, lines.join("\n") + "\n");
    const log = fs.openSync(path.join(dir, "log"), "w");
    const child: ChildProcess = spawn(bin, ["serve", config], { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    const host = `127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    for (;;) {
        // Up when it accepts connections (with TLS, without trusting its certificate here).
        const ok = options.tls
            ? await new Promise<boolean>((resolve) => {
                  const s = net.connect(port, "127.0.0.1", () => {
                      s.destroy();
                      resolve(true);
                  });
                  s.on("error", () => resolve(false));
              })
            : await fetch(`http://${host}/v2/`)
                  .then((r) => r.status === 200 || r.status === 401)
                  .catch(() => false);
        if (ok) break;
        if (Date.now() > deadline || child.exitCode !== null) {
            child.kill("SIGKILL");
            throw new Error(`docker-registry did not start on ${host}: ${fs.readFileSync(path.join(dir, "log"), "utf8")}`);
        }
        await new Promise((r) => setTimeout(r, 50));
    }
    return {
        host,
        port,
        storage,
        credentials: options.credentials,
        client: () => new RegistryClient({ host, plainHttp: true, credentials: options.credentials }, { retry: { attempts: 1 } }),
        blobFile: (digest) => {
            const hex = digest.replace(/^sha256:/, "");
            return path.join(storage, "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
        },
        accessLog: () => fs.readFileSync(path.join(dir, "log"), "utf8"),
        stop: async () => {
            await stopProcess(child, 3000);
            // Storage handed in belongs to the caller.
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** A POSIX tar archive of the given files (ustar headers, fixed times: the same bytes every run). */
export function tarOf(files: Record<string, Buffer | string>): Buffer {
    const blocks: Buffer[] = [];
    for (const [name, content] of Object.entries(files)) {
        const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
        const header = Buffer.alloc(512);
        header.write(name, 0, 100, "utf8");
        // Programs under bin/ are executable (an image that runs in a real container).
        header.write(name.startsWith("bin/") ? "0000755\0" : "0000644\0", 100);
        header.write("0000000\0", 108);
        header.write("0000000\0", 116);
        header.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
        header.write("00000000000\0", 136);
        header.write("        ", 148);
        header.write("0", 156);
        header.write("ustar\0", 257);
        header.write("00", 263);
        let sum = 0;
        for (const b of header) sum += b;
        header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
        blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
    blocks.push(Buffer.alloc(1024));
    return Buffer.concat(blocks);
}

/** A gzipped layer holding the files (deterministic: no name, no time in the gzip header). */
export function layerOf(files: Record<string, Buffer | string>): Buffer {
    return zlib.gzipSync(tarOf(files), { level: 1 });
}

export interface PlatformImage {
    readonly architecture: string;
    readonly os?: string;
    /** Layer contents, gzipped tar; the same bytes in two images make a shared layer. */
    readonly layers: Buffer[];
    /** What the image runs (its config's Entrypoint). @default ["/bin/true"] as Cmd */
    readonly command?: string[];
}

export type ManifestFlavour = "oci" | "docker";

/** Pushes one single-platform image; returns the manifest's digest and the bytes of its blobs. */
export async function pushPlatformImage(
    client: RegistryClient,
    repository: string,
    reference: string | undefined,
    image: PlatformImage,
    flavour: ManifestFlavour = "oci",
): Promise<{ digest: string; size: number; mediaType: string }> {
    const diffIds = image.layers.map((l) => sha256Digest(zlib.gunzipSync(l)));
    const config = Buffer.from(
        JSON.stringify({
            architecture: image.architecture,
            os: image.os ?? "linux",
            rootfs: { type: "layers", diff_ids: diffIds },
            config: image.command ? { Entrypoint: image.command } : { Cmd: ["/bin/true"] },
        }),
    );
    const configDigest = await client.pushBlob(repository, config);
    const layers = [];
    for (const l of image.layers) layers.push({ digest: await client.pushBlob(repository, l), size: l.length });
    const oci = flavour === "oci";
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: oci ? MEDIA.ociManifest : MEDIA.dockerManifest,
            config: {
                mediaType: oci ? "application/vnd.oci.image.config.v1+json" : "application/vnd.docker.container.image.v1+json",
                digest: configDigest,
                size: config.length,
            },
            layers: layers.map((l) => ({
                mediaType: oci ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.docker.image.rootfs.diff.tar.gzip",
                ...l,
            })),
        }),
    );
    const mediaType = oci ? MEDIA.ociManifest : MEDIA.dockerManifest;
    const digest = await client.putManifest(repository, reference ?? sha256Digest(manifest), manifest, mediaType);
    return { digest, size: manifest.length, mediaType };
}

/** Pushes an image: one platform, or an index over several; returns the top manifest's digest. */
export async function pushImage(
    client: RegistryClient,
    repository: string,
    tag: string | undefined,
    platforms: PlatformImage[],
    flavour: ManifestFlavour = "oci",
): Promise<string> {
    if (platforms.length === 1) return (await pushPlatformImage(client, repository, tag, platforms[0], flavour)).digest;
    const children = [];
    for (const p of platforms) children.push({ ...(await pushPlatformImage(client, repository, undefined, p, flavour)), p });
    const oci = flavour === "oci";
    const index = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: oci ? MEDIA.ociIndex : MEDIA.dockerList,
            manifests: children.map((c) => ({
                mediaType: c.mediaType,
                digest: c.digest,
                size: c.size,
                platform: { architecture: c.p.architecture, os: c.p.os ?? "linux" },
            })),
        }),
    );
    return client.putManifest(repository, tag ?? sha256Digest(index), index, oci ? MEDIA.ociIndex : MEDIA.dockerList);
}

/** A small layer whose bytes depend only on `seed` (and `size`, in bytes of payload). */
export function seededLayer(seed: string, size = 2048): Buffer {
    const chunks: Buffer[] = [];
    let h = Buffer.from(seed);
    let total = 0;
    while (total < size) {
        h = Buffer.from(sha256Digest(h).slice(7), "hex");
        chunks.push(h);
        total += h.length;
    }
    return layerOf({ [`data/${seed.replace(/[^a-z0-9]/gi, "_")}`]: Buffer.concat(chunks).subarray(0, size) });
}
