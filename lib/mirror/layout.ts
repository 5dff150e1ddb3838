/**
 * Air-gapped transfer: `export` writes every image into one OCI image layout
 * (https://github.com/opencontainers/image-spec/blob/main/image-layout.md) on a connected
 * machine; `import` pushes it into the mirror inside the air gap.
 *
 * The layout is written by kfstack from the registry API, not by `skopeo copy ... oci:`:
 * skopeo's OCI destination converts Docker manifests to OCI ones, which changes their
 * digests, and with --preserve-digests it refuses them (most of Kubeflow's images are
 * Docker-typed). Stored byte for byte, every manifest keeps its digest. Each image is named
 * in `index.json` by its source reference (`org.opencontainers.image.ref.name`); every
 * blob is checked against its digest as it is written, and `checksums.sha256` lists every
 * file for `sha256sum -c` after the transfer. A blob already in the folder is not fetched
 * again, an image already in `index.json` not again either: an interrupted export resumes.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import { countOf } from "../core/text";
import * as path from "path";
import { pipeline } from "stream/promises";
import { Readable, Transform } from "stream";
import { InputError } from "../core/errors";
import { hashFile, writeFileAtomic } from "../core/files";
import { InterruptedError, removeTemporary, trackTemporary } from "../core/interrupt";
import { isLocalWriteFailure, makeDirs, writeFailure } from "../core/outputPath";
import { Mirror } from "../rewrite/mirror";
import { parseReference } from "../images/reference";
import { writeTempAuthFile } from "./auth";
import { Clients, RegistryAccess, retryReporter } from "./clients";
import { DEFAULT_COPY_JOBS } from "./defaults";
import { pairsOf, splitName, targetString, uniqueReferences } from "./naming";
import { formatBytes, ImageResult, RunSummary, summarise } from "./results";
import { parallel } from "./scheduler";
import { RegistryError } from "./registry";
import { withRetries, RetryPolicy } from "./retry";
import { skopeoBinary, skopeoCopy } from "./skopeo";

export const REF_NAME = "org.opencontainers.image.ref.name";
export const CHECKSUMS = "checksums.sha256";

interface Descriptor {
    mediaType: string;
    digest: string;
    size: number;
    annotations?: Record<string, string>;
}

interface Index {
    schemaVersion: 2;
    mediaType?: string;
    manifests: Descriptor[];
}

function blobPath(dir: string, digest: string): string {
    const [algorithm, hex] = digest.split(":");
    return path.join(dir, "blobs", algorithm, hex);
}

function readIndex(dir: string): Index {
    const file = path.join(dir, "index.json");
    if (!fs.existsSync(file)) return { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [] };
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as Index;
    } catch (e) {
        throw new InputError(`${file}: not a valid OCI index (${(e as Error).message})`, file);
    }
}

/** One image of a layout: its top manifest's descriptor and every blob it reaches (its manifests included). */
export interface LayoutImage {
    readonly digest: string;
    readonly mediaType: string;
    readonly size: number;
    readonly blobs: readonly string[];
}

/** What an older layout (an earlier bundle's) holds: an export on top of it fetches only what it lacks. */
export interface LayoutBase {
    /** Source reference → the digest it had and every blob it reaches (its manifests included). */
    readonly images: ReadonlyMap<string, LayoutImage>;
    /** Every blob digest the older layout holds. */
    readonly blobs: ReadonlySet<string>;
}

export interface ExportOptions extends RegistryAccess {
    /**
     * Images fetched at the same time.
     * @default 4
     */
    readonly jobs?: number;
    readonly progress?: (line: string) => void;
    /**
     * An older layout the new one is a delta on: a blob it holds is not fetched, an image it holds
     * with the source's current digest not at all (only its digest is asked). The layout's
     * index.json and checksums still name every image and blob, as a full export's do.
     * @default none (a full export)
     */
    readonly base?: LayoutBase;
    /**
     * Fetch each image from this registry, where it is already mirrored under kfstack's naming (a
     * connected-side mirror), instead of from its own registry; the layout still names it by its source.
     * @default each image's own registry
     */
    readonly from?: Mirror;
}

/** Exports the images into an OCI layout at `dir` (created, or resumed when it is one). */
export async function exportImages(references: string[], dir: string, options: ExportOptions = {}): Promise<RunSummary> {
    const started = Date.now();
    const say = options.progress ?? (() => undefined);
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new InputError(`--out ${dir} is a file; name a folder (created when missing)`, dir);
    if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0 && !fs.existsSync(path.join(dir, "oci-layout"))) {
        throw new InputError(`--out ${dir} is a folder that is neither empty nor an OCI layout kfstack wrote; name an empty or new folder`, dir);
    }
    const newLayout = !fs.existsSync(path.join(dir, "oci-layout"));
    const newFolder = !fs.existsSync(dir);
    try {
        makeDirs(path.join(dir, "blobs", "sha256"));
        writeFileAtomic(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    } catch (e) {
        throw writeFailure(`--out ${dir}`, e, "cannot write the layout");
    }
    const sources = uniqueReferences(references);
    const clients = new Clients(options, undefined, retryReporter(say));
    const index = readIndex(dir);
    const named = new Map(index.manifests.map((d) => [d.annotations?.[REF_NAME] ?? "", d]));
    const inflight = new Map<string, Promise<void>>();
    const results: ImageResult[] = [];
    let bytes = 0;
    let done = 0;

    const fetchBlob = (repository: string, registry: string, digest: string, size: number): Promise<void> => {
        const file = blobPath(dir, digest);
        if (options.base?.blobs.has(digest)) return Promise.resolve();
        if (fs.existsSync(file) && fs.statSync(file).size === size) return Promise.resolve();
        let p = inflight.get(digest);
        if (!p) {
            p = withRetries(async () => {
                const res = await clients.for(registry).getBlob(repository, digest);
                const tmp = `${file}.part-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
                const h = crypto.createHash("sha256");
                const hasher = new Transform({
                    transform(chunk: Buffer, _enc, cb) {
                        h.update(chunk);
                        cb(null, chunk);
                    },
                });
                try {
                    await pipeline(Readable.fromWeb(res.body as import("stream/web").ReadableStream), hasher, fs.createWriteStream(tmp));
                } catch (e) {
                    fs.rmSync(tmp, { force: true });
                    // A full disk or a folder gone read-only is no network error: no retry cures it.
                    if (isLocalWriteFailure(e)) throw writeFailure(`--out ${dir}`, e, "cannot write the layout");
                    throw new RegistryError(`GET blob ${digest} from ${registry}: ${(e as Error).message}`, true);
                }
                const got = "sha256:" + h.digest("hex");
                if (got !== digest) {
                    fs.rmSync(tmp, { force: true });
                    throw new RegistryError(
                        `a source blob does not match its digest (expected ${digest}, got ${got}): the source registry serves corrupt data`,
                        false,
                    );
                }
                fs.renameSync(tmp, file);
                bytes += size;
            }, options.retry).finally(() => inflight.delete(digest));
            inflight.set(digest, p);
        }
        return p;
    };

    await parallel(sources, Math.max(1, options.jobs ?? DEFAULT_COPY_JOBS), async (ref) => {
        const source = ref.normalized;
        const at = options.from ? splitName(pairsOf([source], options.from)[0].targetName) : { host: ref.registry, repository: ref.repository };
        const client = clients.for(at.host);
        const repo = at.repository;
        try {
            const known = named.get(source);
            const inBase = options.base?.images.get(source);
            const baseDigest = inBase && (ref.digest ?? (await client.headManifest(repo, ref.tag ?? "latest"))?.digest);
            if (
                known &&
                (fs.existsSync(blobPath(dir, known.digest)) || known.digest === baseDigest) &&
                (ref.digest === undefined || ref.digest === known.digest)
            ) {
                results.push({ source, target: dir, status: "present", digest: known.digest });
            } else if (inBase && baseDigest === inBase.digest) {
                // Unchanged since the older layout: named in the index, nothing fetched.
                named.set(source, { mediaType: inBase.mediaType, digest: inBase.digest, size: inBase.size, annotations: { [REF_NAME]: source } });
                index.manifests = sortedManifests(named);
                writeFileAtomic(path.join(dir, "index.json"), JSON.stringify(index, null, 2));
                results.push({ source, target: dir, status: "present", digest: inBase.digest });
            } else {
                const top = await client.getManifest(repo, ref.digest ?? ref.tag ?? "latest");
                if (!top?.body) throw new RegistryError(`not found at the source (${at.host} has no ${repo}:${ref.tag ?? ref.digest})`, false);
                const writeManifest = async (body: Buffer, digest: string): Promise<void> => {
                    const doc = JSON.parse(body.toString("utf8")) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
                    for (const child of doc.manifests ?? []) {
                        const m = await client.getManifest(repo, child.digest);
                        if (!m?.body) throw new RegistryError(`${source}: the index names ${child.digest}, which the source does not have`, false);
                        await writeManifest(m.body, m.digest);
                    }
                    const blobs = [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])];
                    await Promise.all(blobs.map((b) => fetchBlob(repo, at.host, b.digest, b.size)));
                    // The manifest last: a manifest in the folder means its blobs are all there.
                    writeFileAtomic(blobPath(dir, digest), body);
                };
                await writeManifest(top.body, top.digest);
                named.set(source, { mediaType: top.mediaType, digest: top.digest, size: top.size, annotations: { [REF_NAME]: source } });
                index.manifests = sortedManifests(named);
                writeFileAtomic(path.join(dir, "index.json"), JSON.stringify(index, null, 2));
                results.push({ source, target: dir, status: "copied", digest: top.digest });
            }
        } catch (e) {
            if (e instanceof InterruptedError) return;
            if (e instanceof InputError) throw e;
            if (isLocalWriteFailure(e)) throw writeFailure(`--out ${dir}`, e, "cannot write the layout");
            results.push({ source, target: dir, status: "failed", reason: (e as Error).message });
        }
        done++;
        const last = results[results.length - 1];
        say(
            `[${done}/${sources.length}] ${last.status === "failed" ? `FAILED ${source}: ${last.reason}` : `${last.status} ${source}`} — ${formatBytes(bytes)}`,
        );
    });
    if (index.manifests.length > 0) await writeChecksums(dir, options.base);
    else if (newLayout) {
        // Nothing exported: leave the place as it was, not an empty layout that looks like a bundle.
        for (const f of ["oci-layout", "blobs", "index.json"]) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
        if (newFolder) fs.rmSync(dir, { recursive: true, force: true });
    }
    const order = new Map(sources.map((r, i) => [r.normalized, i]));
    results.sort((a, b) => (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0));
    return summarise(results, bytes, started, 0);
}

/** The index's entries in one order (by name), whatever order the images finished in: the same images give the same index.json. */
function sortedManifests(named: Map<string, Descriptor>): Descriptor[] {
    return [...named.entries()]
        .filter(([k]) => k)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, d]) => d);
}

/**
 * Every blob each image of a layout reaches (its manifests included), read from the layout's
 * manifests; an image or manifest the layout does not hold itself comes from `base`.
 */
export function layoutImages(dir: string, base?: LayoutBase): Map<string, LayoutImage> {
    const out = new Map<string, LayoutImage>();
    for (const d of readIndex(dir).manifests) {
        const source = d.annotations?.[REF_NAME];
        if (!source) continue;
        const blobs = new Set<string>();
        const visit = (digest: string): boolean => {
            const file = blobPath(dir, digest);
            if (!fs.existsSync(file)) return false;
            blobs.add(digest);
            const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
            for (const child of doc.manifests ?? []) if (!visit(child.digest)) return false;
            for (const b of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) blobs.add(b.digest);
            return true;
        };
        const fromBase = base?.images.get(source);
        if (!visit(d.digest)) {
            if (!fromBase || fromBase.digest !== d.digest)
                throw new InputError(`${dir}: ${source} (${d.digest}) is neither in the layout nor in its base; export it again`, dir);
            out.set(source, { digest: d.digest, mediaType: d.mediaType, size: d.size, blobs: [...fromBase.blobs].sort() });
        } else out.set(source, { digest: d.digest, mediaType: d.mediaType, size: d.size, blobs: [...blobs].sort() });
    }
    return out;
}

/** `checksums.sha256`: every blob the index reaches (named by its verified digest; held by `base` when not here) and index.json. */
async function writeChecksums(dir: string, base?: LayoutBase): Promise<void> {
    const lines: string[] = [];
    const blobs = path.join(dir, "blobs", "sha256");
    for (const hex of fs.readdirSync(blobs)) if (hex.includes(".part-") || hex.includes(".tmp-")) fs.rmSync(path.join(blobs, hex), { force: true });
    const reached = new Set([...layoutImages(dir, base).values()].flatMap((i) => i.blobs));
    for (const digest of [...reached].sort()) lines.push(`${digest.slice(7)}  blobs/sha256/${digest.slice(7)}`);
    lines.push(`${(await hashFile(path.join(dir, "index.json"))).sha256}  index.json`);
    writeFileAtomic(path.join(dir, CHECKSUMS), lines.join("\n") + "\n");
}

export interface ImportOptions extends RegistryAccess {
    /**
     * Every file's content was checked against its checksum just before (a bundle's install):
     * the layout's structure is checked, its blobs are not hashed a second time.
     * @default false
     */
    readonly contentChecked?: boolean;
    /** @default 4 */
    readonly jobs?: number;
    readonly attemptTimeoutMs?: number;
    readonly progress?: (line: string) => void;
    readonly retry?: RetryPolicy;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** The largest index.json or manifest read into memory: far above any real one. */
const MAX_DOCUMENT_BYTES = 8 << 20;

/** A layout's problem: the bundle is damaged or not kfstack's; it names the file and the fix. */
function damaged(dir: string, what: string): InputError {
    return new InputError(
        `${dir} is damaged or not an export (${what}); nothing was pushed: copy it again from the connected side, or export it again with 'kfstack mirror export'`,
        dir,
    );
}

/** A regular file inside the layout (no link, nothing outside), read whole when small. */
function regularFile(dir: string, rel: string): fs.Stats {
    const st = fs.lstatSync(path.join(dir, rel), { throwIfNoEntry: false });
    if (!st) throw damaged(dir, `${rel} is missing`);
    if (st.isSymbolicLink()) throw damaged(dir, `${rel} is a symbolic link; an export holds regular files only`);
    if (!st.isFile()) throw damaged(dir, `${rel} is not a regular file`);
    return st;
}

function readDocument(dir: string, rel: string): unknown {
    const st = regularFile(dir, rel);
    if (st.size > MAX_DOCUMENT_BYTES) throw damaged(dir, `${rel} is ${st.size} bytes, more than any manifest or index`);
    try {
        return JSON.parse(fs.readFileSync(path.join(dir, rel), "utf8"));
    } catch {
        throw damaged(dir, `${rel} is not JSON`);
    }
}

function descriptorOf(dir: string, where: string, d: unknown): Descriptor {
    const x = d as Partial<Descriptor> | null;
    if (
        typeof x !== "object" ||
        x === null ||
        typeof x.mediaType !== "string" ||
        typeof x.digest !== "string" ||
        !DIGEST.test(x.digest) ||
        !Number.isSafeInteger(x.size) ||
        (x.size as number) < 0
    ) {
        throw damaged(dir, `${where} has a descriptor that is not {mediaType, digest sha256:<64 hex>, size}`);
    }
    return x as Descriptor;
}

/** What a checked layout holds: each image, and every blob (digest → size) each one reaches. */
export interface CheckedLayout {
    readonly images: Map<string, Descriptor>;
    readonly blobsOf: Map<string, Map<string, number>>;
}

/**
 * Checks an exported layout as untrusted input before anything is pushed: `index.json` is an
 * index of descriptors naming images; every file it reaches (manifests, configs, layers) is a
 * regular file inside the layout with the size its descriptor gives, listed in
 * `checksums.sha256` and matching its digest; the checksums name only the layout's own files;
 * no link, no path outside, no unbounded read. Every problem is one InputError naming the file.
 */
export async function checkLayout(dir: string, options: { readonly contentChecked?: boolean } = {}): Promise<CheckedLayout> {
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory())
        throw new InputError(`${dir}: no such folder; name the folder 'kfstack mirror export' wrote`, dir);
    if (!fs.existsSync(path.join(dir, "oci-layout")) || !fs.existsSync(path.join(dir, "index.json"))) {
        throw new InputError(`${dir} is not an OCI layout written by 'kfstack mirror export' (no oci-layout or index.json)`, dir);
    }
    // The checksums: only index.json and blobs/sha256/<hex>, each once.
    const sums = new Map<string, string>();
    const sumsStat = regularFile(dir, CHECKSUMS);
    if (sumsStat.size > MAX_DOCUMENT_BYTES) throw damaged(dir, `${CHECKSUMS} is ${sumsStat.size} bytes`);
    for (const line of fs.readFileSync(path.join(dir, CHECKSUMS), "utf8").split("\n")) {
        if (!line.trim()) continue;
        const m = /^([0-9a-f]{64}) {2}(index\.json|blobs\/sha256\/[0-9a-f]{64})$/.exec(line);
        if (!m) throw damaged(dir, `${CHECKSUMS} has a line that names no file of the layout: ${JSON.stringify(line.slice(0, 100))}`);
        sums.set(m[2], m[1]);
    }
    const indexSum = sums.get("index.json");
    if (!indexSum) throw damaged(dir, `${CHECKSUMS} does not list index.json`);
    if ((await hashFile(path.join(dir, "index.json"))).sha256 !== indexSum) throw damaged(dir, "index.json does not match its checksum");
    const index = readDocument(dir, "index.json") as Partial<Index> | null;
    if (typeof index !== "object" || index === null || !Array.isArray(index.manifests)) throw damaged(dir, "index.json has no manifests list");

    const checked = new Map<string, Promise<void>>();
    const checkBlob = (d: Descriptor): Promise<void> => {
        let p = checked.get(d.digest);
        if (!p) {
            p = (async () => {
                const rel = `blobs/sha256/${d.digest.slice(7)}`;
                const st = regularFile(dir, rel);
                if (st.size !== d.size) throw damaged(dir, `${rel} is ${st.size} bytes, its descriptor says ${d.size}`);
                if (sums.get(rel) !== d.digest.slice(7)) throw damaged(dir, `${rel} is not listed in ${CHECKSUMS}`);
                if (!options.contentChecked && `sha256:${(await hashFile(path.join(dir, rel))).sha256}` !== d.digest)
                    throw damaged(dir, `${rel} does not match its digest`);
            })();
            checked.set(d.digest, p);
        }
        return p;
    };
    const images = new Map<string, Descriptor>();
    const blobsOf = new Map<string, Map<string, number>>();
    for (const [i, raw] of index.manifests.entries()) {
        const top = descriptorOf(dir, `index.json manifests[${i}]`, raw);
        const name = top.annotations?.[REF_NAME];
        if (typeof name !== "string") continue;
        let source: string;
        try {
            source = parseReference(name).normalized;
        } catch {
            throw damaged(dir, `index.json names an image ${JSON.stringify(name.slice(0, 200))} that is not an image reference`);
        }
        const blobs = new Map<string, number>();
        const visit = async (d: Descriptor, depth: number): Promise<void> => {
            if (depth > 4) throw damaged(dir, `${source}: manifests nested deeper than an index of images`);
            await checkBlob(d);
            blobs.set(d.digest, d.size);
            const doc = readDocument(dir, `blobs/sha256/${d.digest.slice(7)}`) as { manifests?: unknown[]; config?: unknown; layers?: unknown[] } | null;
            if (typeof doc !== "object" || doc === null) throw damaged(dir, `${source}: manifest ${d.digest} is not an object`);
            for (const [j, child] of (Array.isArray(doc.manifests) ? doc.manifests : []).entries())
                await visit(descriptorOf(dir, `${d.digest} manifests[${j}]`, child), depth + 1);
            const parts = [...(doc.config !== undefined ? [doc.config] : []), ...(Array.isArray(doc.layers) ? doc.layers : [])];
            for (const [j, part] of parts.entries()) {
                const b = descriptorOf(dir, `${d.digest} blob ${j}`, part);
                await checkBlob(b);
                blobs.set(b.digest, b.size);
            }
        };
        await visit(top, 0);
        images.set(source, top);
        blobsOf.set(source, blobs);
    }
    if (images.size === 0) throw damaged(dir, "index.json names no image");
    return { images, blobsOf };
}

/**
 * The `dir:` transport's layout of one image (containers/image, directory transport 1.1):
 * `manifest.json`, `<hex>.manifest.json` per platform of an index, and each blob as `<hex>`,
 * here a symbolic link into the OCI layout.
 */
export function dirLayoutOf(layout: string, top: Descriptor, into: string): string {
    fs.mkdirSync(into, { recursive: true });
    fs.writeFileSync(path.join(into, "version"), "Directory Transport Version: 1.1\n");
    const read = (digest: string): Buffer => {
        const f = blobPath(layout, digest);
        if (!fs.existsSync(f)) throw new InputError(`${layout} lacks blob ${digest}; export it again`, layout);
        return fs.readFileSync(f);
    };
    const link = (digest: string): void => {
        const target = blobPath(layout, digest);
        if (!fs.existsSync(target)) throw new InputError(`${layout} lacks blob ${digest}; export it again`, layout);
        const at = path.join(into, digest.split(":")[1]);
        if (!fs.existsSync(at)) fs.symlinkSync(path.resolve(target), at);
    };
    const visit = (body: Buffer): void => {
        const doc = JSON.parse(body.toString("utf8")) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
        for (const child of doc.manifests ?? []) {
            const b = read(child.digest);
            fs.writeFileSync(path.join(into, `${child.digest.split(":")[1]}.manifest.json`), b);
            visit(b);
        }
        if (doc.config) link(doc.config.digest);
        for (const l of doc.layers ?? []) link(l.digest);
    };
    const body = read(top.digest);
    fs.writeFileSync(path.join(into, "manifest.json"), body);
    visit(body);
    return into;
}

/** Pushes every image of an exported layout into the mirror with skopeo, digests kept. */
export async function importLayout(dir: string, mirror: Mirror, options: ImportOptions = {}): Promise<RunSummary> {
    const started = Date.now();
    const say = options.progress ?? (() => undefined);
    // The bundle first: a damaged one is found wherever it is checked, skopeo or not.
    const { images, blobsOf } = await checkLayout(dir, { contentChecked: options.contentChecked });
    skopeoBinary();
    say(`${dir}: ${countOf(images.size, "image")}, every file checked against its digest`);
    const clients = new Clients(options, mirror.host, retryReporter(say));
    const auth = writeTempAuthFile(options.auths ?? new Map());
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-import-"));
    trackTemporary(work);
    const results: ImageResult[] = [];
    const counted = new Set<string>();
    let bytes = 0;
    let done = 0;
    try {
        const entries = [...images.entries()];
        await parallel(entries, Math.max(1, options.jobs ?? DEFAULT_COPY_JOBS), async ([source, d]) => {
            const [pair] = pairsOf([source], mirror);
            const target = targetString(pair);
            const { repository } = splitName(pair.targetName);
            try {
                const have = await clients.for(mirror.host).headManifest(repository, pair.targetReference);
                if (have?.digest === d.digest) {
                    results.push({ source, target, status: "present", digest: d.digest });
                } else {
                    // skopeo's OCI source takes OCI-typed manifests only, and most images are
                    // Docker-typed; its `dir:` transport takes any, so each image is laid out
                    // for it: manifests copied, blobs linked to the layout's (no bytes copied).
                    const one = dirLayoutOf(dir, d, path.join(work, crypto.createHash("sha256").update(source).digest("hex").slice(0, 16)));
                    await withRetries(
                        () =>
                            skopeoCopy(
                                { kind: "dir", dir: one },
                                { kind: "docker", reference: target, plainHttp: !!options.plainHttp },
                                { authFile: auth.path, timeoutMs: options.attemptTimeoutMs },
                            ),
                        options.retry,
                        (e) => say(`retry ${source}: ${(e as Error).message}`),
                    );
                    const after = await clients.for(mirror.host).headManifest(repository, pair.targetReference);
                    if (after?.digest !== d.digest)
                        throw new Error(`after the push the mirror serves ${after?.digest ?? "nothing"} at ${target}, not ${d.digest}`);
                    // Each blob once: another image of the run that shares it had it pushed already.
                    for (const [digest, size] of blobsOf.get(source) ?? []) {
                        if (counted.has(digest)) continue;
                        counted.add(digest);
                        bytes += size;
                    }
                    results.push({ source, target, status: "copied", digest: d.digest });
                }
            } catch (e) {
                if (e instanceof InterruptedError) return;
                results.push({ source, target, status: "failed", digest: d.digest, reason: (e as Error).message });
            }
            done++;
            const last = results[results.length - 1];
            say(`[${done}/${entries.length}] ${last.status === "failed" ? `FAILED ${source}: ${last.reason}` : `${last.status} ${source}`}`);
        });
    } finally {
        auth.remove();
        removeTemporary(work);
    }
    results.sort((a, b) => a.source.localeCompare(b.source));
    return summarise(results, bytes, started, 0);
}
