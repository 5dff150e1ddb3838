/**
 * The copy engine: every image of a list into the mirror, byte for byte, through kfstack's own
 * registry client (every platform, every manifest stored as the source serves it, so the
 * digests the manifests name stay valid).
 *
 * Per image: (1) its source digest (the reference's own, the journal's, else HEAD at the
 * source) and the mirror's digest at the mirrored reference, asked at once: equal means
 * nothing to do; (2) its manifests (GET by digest, each checked against its digest); (3) its
 * blobs, each placed once per run: a blob another mirror repository got in this run is
 * mounted (no bytes move), one the mirror already holds is skipped (HEAD), the rest are
 * streamed from the source into the mirror, hashed on the way and held back at the last
 * chunk unless they match their digest; (4) its manifests stored, children first, the
 * mirror's answer (`Docker-Content-Digest`) checked against the source digest — the copy's
 * verification, with no read-back unless a registry does not answer one; the journal
 * records the image done.
 *
 * Images are worked on many at a time (their requests are small); how many blob transfers
 * run at once adapts per registry (./adaptive), `--jobs` caps it. Connections are kept alive.
 * Around it: retries with back-off and jitter on 429/5xx/resets/time-outs (./retry), progress
 * with the bytes sent, mounted and skipped told apart, and a summary.
 */
import * as crypto from "crypto";
import { IncomingMessage } from "http";
import { Transform, TransformCallback } from "stream";
import { Mirror } from "../rewrite/mirror";
import { stopSignal } from "../core/interrupt";
import { countOf, oneLine } from "../core/text";
import { AdaptiveLimit, HostLimits } from "./adaptive";
import { Clients, RegistryAccess, retryReporter } from "./clients";
import { DEFAULT_TRANSFER_CAP } from "./defaults";
import { defaultJournal, Journal } from "./journal";
import { Pair, pairsOf, splitName, targetString } from "./naming";
import { BlobDigestError, isIndexType, ManifestInfo, RegistryClient, RegistryError } from "./registry";
import { formatBytes, ImageResult, messageOf, RunSummary, summarise } from "./results";
import { withRetries } from "./retry";
import { Gate, parallel } from "./scheduler";
import { mirrorDigestOf, sourceDigestOf } from "./verify";

export interface CopyOptions extends RegistryAccess {
    /**
     * The most blob transfers at once per registry; below it the number adapts to the link.
     * @default 16
     */
    readonly jobs?: number;
    /**
     * The journal file; `false` for none.
     * @default .kfstack-cache/mirror/<hash of mirror and list>.jsonl
     */
    readonly journal?: string | false;
    /** Progress lines (stderr in the CLI). */
    readonly progress?: (line: string) => void;
}

/** A progress line at least this often while blobs move. */
const HEARTBEAT_MS = 15_000;

/** An image found to need a copy, with its source digest. */
interface Work {
    readonly pair: Pair;
    readonly digest: string;
}

/** How each blob of an image got into the mirror. */
type Placement = "sent" | "mounted" | "present";

/** What moved for one image, or the whole run. */
interface Moved {
    sent: number;
    mounted: number;
    present: number;
}

/** Progress lines and the results, in one place so every line carries the running totals. */
class Progress {
    readonly results = new Map<string, ImageResult>();
    /** Bytes of blobs streamed into the mirror so far (counted as they go). */
    sent = 0;
    mounted = 0;
    present = 0;
    private done = 0;
    private lastLine = Date.now();
    constructor(
        private readonly total: number,
        private readonly started: number,
        private readonly say: (line: string) => void,
    ) {}
    /** A line when none came for a while (a big image on a slow link): the run is alive, and how fast. */
    heartbeat(quietMs: number, inFlight: () => string): void {
        if (Date.now() - this.lastLine < quietMs) return;
        this.lastLine = Date.now();
        const rate = this.sent / Math.max((Date.now() - this.started) / 1000, 0.001);
        this.say(`[${this.done}/${this.total}] still copying: ${inFlight()}; ${formatBytes(this.sent)} sent, ${formatBytes(rate)}/s`);
    }
    report(given: ImageResult, extra = ""): void {
        this.lastLine = Date.now();
        // One line per image whatever a registry's error holds: scripts read the report line by line.
        const r = given.reason !== undefined ? { ...given, reason: oneLine(given.reason) } : given;
        this.results.set(r.source, r);
        this.done++;
        const counts = { copied: 0, present: 0, failed: 0 };
        for (const x of this.results.values()) counts[x.status]++;
        const rate = this.sent / Math.max((Date.now() - this.started) / 1000, 0.001);
        const word = r.status === "failed" ? `FAILED ${r.source}: ${r.reason}` : `${r.status} ${r.source}${extra}`;
        this.say(
            `[${this.done}/${this.total}] ${word} — ${counts.copied} copied, ${counts.present} present, ${counts.failed} failed, ${formatBytes(this.sent)} sent, ${formatBytes(rate)}/s`,
        );
    }
}

/** Copies every image into the mirror; never throws for one image's failure (see results). */
export async function copyImages(references: string[], mirror: Mirror, options: CopyOptions = {}): Promise<RunSummary> {
    const started = Date.now();
    const say = options.progress ?? (() => undefined);
    const cap = Math.max(1, options.jobs ?? DEFAULT_TRANSFER_CAP);
    const clients = new Clients(options, mirror.host, retryReporter(say));

    const pairs = pairsOf(references, mirror);
    const journal =
        options.journal === false
            ? new Journal(undefined)
            : options.journal !== undefined
              ? new Journal(options.journal)
              : new Journal(defaultJournal(mirror, pairs), true);
    if (journal.entries.size > 0) {
        const done = [...journal.entries.values()].filter((e) => e.status === "done").length;
        say(
            `resuming an interrupted run from ${journal.file}: ${done} of ${countOf(pairs.length, "image")} done` +
                (journal.entries.size > done ? `, the source digest of ${journal.entries.size - done} more known` : ""),
        );
    }
    const progress = new Progress(pairs.length, started, say);
    // Images are looked up ahead (two HEADs each) and copied as they are found to need it;
    // many are open at once (their manifest requests are small): the adaptive limits hold the
    // transfers back. Twice the cap keeps every transfer place fed.
    const imagesAtOnce = Math.max(4, 2 * cap);
    const run = new CopyRun(clients, clients.for(mirror.host), new HostLimits({ max: cap }), new Gate(imagesAtOnce), journal, progress, options, say);
    const copies: Promise<void>[] = [];
    const beat = setInterval(() => progress.heartbeat(HEARTBEAT_MS, () => run.inFlight()), 1000);
    beat.unref();
    try {
        await parallel(pairs, imagesAtOnce, async (p) => {
            const work = await run.lookup(p);
            if (work) copies.push(run.copy(work));
        });
        await Promise.all(copies);
    } finally {
        clearInterval(beat);
    }

    const list = pairs.map((p) => progress.results.get(p.source.normalized)).filter((r): r is ImageResult => r !== undefined);
    const summary = summarise(list, progress.sent, started, run.resumed, { mounted: progress.mounted, present: progress.present });
    if (summary.failed === 0 && list.length === pairs.length) journal.finish();
    return summary;
}

/** A manifest of the image: its digest, type and bytes, and the blobs it names (digest → size). */
interface ManifestNode {
    readonly info: ManifestInfo & { body: Buffer };
    readonly children: ManifestNode[];
    readonly blobs: Map<string, number>;
}

/** Whether a failure says the registry or the link is full (so fewer transfers should run). */
function congested(e: unknown): boolean {
    return e instanceof RegistryError && e.retryable;
}

class CopyRun {
    resumed = 0;
    /** `repository@digest` → the placement of that blob in that mirror repository in this run. */
    private readonly inRepository = new Map<string, Promise<Placement>>();
    /** blob → the mirror repository that holds it once its upload in this run ends. */
    private readonly holders = new Map<string, Promise<string>>();

    constructor(
        private readonly clients: Clients,
        private readonly mirror: RegistryClient,
        private readonly limits: HostLimits,
        /** Images being copied at once. */
        private readonly open: Gate,
        private readonly journal: Journal,
        private readonly progress: Progress,
        private readonly options: CopyOptions,
        private readonly say: (line: string) => void,
    ) {}

    /** Step (1): the image's source digest; undefined when nothing is to copy (present, or failed: reported). */
    async lookup(p: Pair): Promise<Work | undefined> {
        if (stopSignal.aborted) return undefined;
        const source = p.source.normalized;
        const target = targetString(p);
        try {
            // Both digests at once: one round trip decides a re-run. The source's answer comes
            // first in the report: an image the source lacks is that, whatever the mirror says.
            const [src, have] = await Promise.allSettled([sourceDigestOf(this.clients, p, this.journal), mirrorDigestOf(this.clients, p)]);
            if (src.status === "rejected") throw src.reason;
            if (src.value.fromJournal) this.resumed++;
            const digest = src.value.digest;
            if (!digest) return void this.progress.report({ source, target, status: "failed", reason: src.value.reason });
            if (have.status === "rejected") throw have.reason;
            if (have.value === digest) {
                this.journal.record({ source, digest, status: "done" });
                return void this.progress.report({ source, target, status: "present", digest });
            }
            // Recorded before any copy, so a resumed run copies the same bytes even if the tag moved since.
            if (!this.journal.entries.has(source)) this.journal.record({ source, digest, status: "failed" });
            return { pair: p, digest };
        } catch (e) {
            if (!stopSignal.aborted) this.progress.report({ source, target, status: "failed", reason: messageOf(e) });
            return undefined;
        }
    }

    /** Steps (2) to (4) for one image. */
    copy(work: Work): Promise<void> {
        return this.open.run(() => (stopSignal.aborted ? Promise.resolve() : this.copyImage(work)));
    }

    /** What is in flight, for the heartbeat line. */
    inFlight(): string {
        const limit = this.limits.for(this.mirror.endpoint.host);
        return `${countOf(this.open.running, "image")}, ${countOf(limit.running, "blob transfer")} into the mirror (${limit.limit} at most now)`;
    }

    private async copyImage({ pair: p, digest }: Work): Promise<void> {
        const source = p.source.normalized;
        const target = targetString(p);
        const repository = splitName(p.targetName).repository;
        const t0 = Date.now();
        try {
            // (2) The manifests, (3) the blobs.
            const from = this.clients.for(p.source.registry);
            const top = await manifestTree(from, p.source.repository, digest);
            const blobs = new Map<string, number>();
            const collect = (n: ManifestNode): void => {
                n.blobs.forEach((size, d) => blobs.set(d, size));
                n.children.forEach(collect);
            };
            collect(top);
            const moved: Moved = { sent: 0, mounted: 0, present: 0 };
            await Promise.all(
                [...blobs].map(async ([blob, size]) => {
                    const how = await this.place(blob, size, from, p.source.repository, repository);
                    const known = Math.max(0, size);
                    moved[how] += known;
                    if (how !== "sent") this.progress[how] += known;
                }),
            );
            // (4) The manifests, children first; the registry's answers are the verification.
            const confirmed = await this.store(repository, top, p.targetReference);
            if (!confirmed) {
                const now = await mirrorDigestOf(this.clients, p);
                if (now !== digest) throw new Error(`after the copy the mirror serves ${now ?? "nothing"} at ${target}, not the source digest ${digest}`);
            }
            this.journal.record({ source, digest, status: "done" });
            const parts = [`${formatBytes(moved.sent)} sent`];
            if (moved.mounted) parts.push(`${formatBytes(moved.mounted)} mounted`);
            if (moved.present) parts.push(`${formatBytes(moved.present)} already in the mirror`);
            this.progress.report(
                { source, target, status: "copied", digest, bytes: moved.sent },
                ` (${parts.join(", ")}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
            );
        } catch (e) {
            if (stopSignal.aborted) return;
            this.progress.report({ source, target, status: "failed", digest, reason: messageOf(e) });
        }
    }

    /** Stores the tree's manifests (children by digest, the top under `reference`); true when the mirror confirmed every digest. */
    private async store(repository: string, node: ManifestNode, reference: string): Promise<boolean> {
        const children = await Promise.all(node.children.map((c) => this.store(repository, c, c.info.digest)));
        const r = await this.mirror.storeManifest(repository, reference, node.info.body, node.info.mediaType);
        return r.confirmed && children.every((c) => c);
    }

    /** Puts one blob into a mirror repository, once per run whatever number of images need it. */
    private place(blob: string, size: number, from: RegistryClient, fromRepository: string, repository: string): Promise<Placement> {
        const key = `${repository}@${blob}`;
        const earlier = this.inRepository.get(key);
        if (earlier) return earlier.then(() => "present" as const);
        const job = this.placeAnew(blob, size, from, fromRepository, repository);
        this.inRepository.set(key, job);
        // A failed placement may be tried again by the next image that needs the blob.
        job.catch(() => this.inRepository.get(key) === job && this.inRepository.delete(key));
        return job;
    }

    private placeAnew(blob: string, size: number, from: RegistryClient, fromRepository: string, repository: string): Promise<Placement> {
        const first = this.holders.get(blob);
        if (!first) {
            // The first image to need this blob uploads it; the others mount it from here.
            const mine = this.upload(blob, size, from, fromRepository, repository);
            const held = mine.then(() => repository);
            held.catch(() => this.holders.get(blob) === held && this.holders.delete(blob));
            this.holders.set(blob, held);
            return mine;
        }
        return (async (): Promise<Placement> => {
            const at = await first.catch(() => undefined);
            if (at === undefined) return this.placeAnew(blob, size, from, fromRepository, repository);
            if (at !== repository && (await this.mirror.mountBlob(repository, blob, at).catch(() => false))) return "mounted";
            return this.upload(blob, size, from, fromRepository, repository);
        })();
    }

    /** Streams a blob the mirror repository lacks from the source; "present" when it has it. */
    private async upload(blob: string, size: number, from: RegistryClient, fromRepository: string, repository: string): Promise<Placement> {
        // A blob the mirror holds from an earlier run is not sent again.
        if (await this.mirror.blobExists(repository, blob)) return "present";
        const limits = [this.limits.for(from.endpoint.host), this.limits.for(this.mirror.endpoint.host)];
        await withRetries(
            () => this.transfer(blob, size, from, fromRepository, repository, limits),
            this.options.retry,
            (e, attempt, wait) =>
                this.say(`retry ${attempt + 1} of blob ${blob.slice(0, 19)} into ${repository} in ${(wait / 1000).toFixed(1)} s: ${messageOf(e)}`),
        );
        return "sent";
    }

    /** One attempt: GET at the source and POST at the mirror at once, then the bytes streamed into the PUT. */
    private async transfer(
        blob: string,
        size: number,
        from: RegistryClient,
        fromRepository: string,
        repository: string,
        limits: AdaptiveLimit[],
    ): Promise<void> {
        // Taken in one order (source, then mirror) by every transfer: no two wait on each other.
        const slots = [];
        for (const l of limits) slots.push(await l.acquire());
        let moved = 0;
        let body: IncomingMessage | undefined;
        try {
            const [upload, res] = await Promise.allSettled([
                this.mirror.startUpload(repository, blob),
                from.exchange("GET", `/v2/${fromRepository}/blobs/${blob}`, { scope: `repository:${fromRepository}:pull` }),
            ]);
            if (res.status === "rejected") throw res.reason;
            if (upload.status === "rejected") {
                res.value.destroy();
                throw upload.reason;
            }
            body = res.value;
            if (body.statusCode !== 200) {
                body.resume();
                throw new RegistryError(`${from.endpoint.host}: GET blob ${fromRepository}@${blob}: HTTP ${body.statusCode}`, false, body.statusCode);
            }
            const length = Number(body.headers["content-length"] ?? size);
            const check = new DigestCheck(blob, length, (n) => {
                moved += n;
                this.progress.sent += n;
            });
            const source = body;
            source.on("error", (e) => check.destroy(e));
            const put = await this.mirror.exchange("PUT", upload.value, {
                scope: `repository:${repository}:pull,push`,
                headers: { "content-type": "application/octet-stream", "content-length": String(length) },
                body: source.pipe(check),
            });
            const text = await readText(put);
            if (put.statusCode !== 201) {
                throw new RegistryError(
                    `${this.mirror.endpoint.host}: upload of ${blob} to ${repository}: HTTP ${put.statusCode} ${oneLine(text).slice(0, 200)}`,
                    put.statusCode === 429 || (put.statusCode ?? 0) >= 500,
                    put.statusCode,
                );
            }
            const stored = put.headers["docker-content-digest"];
            if (stored && stored !== blob) throw new RegistryError(`${this.mirror.endpoint.host}: ${repository} stored ${blob} as ${String(stored)}`, false);
            slots.forEach((s) => s.done(moved));
        } catch (e) {
            // The source's connection is dropped with the attempt (a stalled or refused upload).
            if (body && !body.complete) body.destroy();
            // Bytes of a failed attempt were sent all the same, but will be sent again: count them once.
            this.progress.sent -= moved;
            slots.forEach((s) => s.failed(congested(e)));
            throw e;
        }
    }
}

/** An image's manifests from the source, every one checked against its digest. */
async function manifestTree(client: RegistryClient, repository: string, digest: string): Promise<ManifestNode> {
    const info = await client.getManifest(repository, digest);
    if (!info?.body) throw new RegistryError(`${client.endpoint.host}/${repository}@${digest}: manifest unknown`, false, 404);
    const doc = JSON.parse(info.body.toString("utf8")) as {
        mediaType?: string;
        manifests?: { digest: string }[];
        config?: { digest: string; size: number };
        layers?: { digest: string; size: number }[];
        fsLayers?: { blobSum: string }[];
    };
    const blobs = new Map<string, number>();
    if (doc.config) blobs.set(doc.config.digest, doc.config.size);
    for (const l of doc.layers ?? []) blobs.set(l.digest, l.size);
    for (const l of doc.fsLayers ?? []) if (!blobs.has(l.blobSum)) blobs.set(l.blobSum, -1);
    const children =
        isIndexType(info.mediaType) || doc.manifests ? await Promise.all((doc.manifests ?? []).map((m) => manifestTree(client, repository, m.digest))) : [];
    return { info: info as ManifestInfo & { body: Buffer }, children, blobs };
}

/**
 * Hashes a blob on its way into the mirror and holds its last chunk back until the whole of it
 * matches its digest and length: a corrupt source blob makes the upload fail unfinished, so the
 * mirror never stores it (whatever checks the mirror makes itself).
 */
class DigestCheck extends Transform {
    private readonly hash = crypto.createHash("sha256");
    private held: Buffer | undefined;
    private seen = 0;
    constructor(
        private readonly digest: string,
        private readonly length: number,
        private readonly onBytes: (n: number) => void,
    ) {
        super();
    }
    _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
        this.hash.update(chunk);
        this.seen += chunk.length;
        if (this.held) {
            this.onBytes(this.held.length);
            this.push(this.held);
        }
        this.held = chunk;
        done();
    }
    _flush(done: TransformCallback): void {
        const got = "sha256:" + this.hash.digest("hex");
        if (got !== this.digest || (this.length >= 0 && this.seen !== this.length)) {
            return done(
                new BlobDigestError(
                    `a source blob does not match its digest (expected ${this.digest}, got ${got}${this.seen !== this.length ? `, ${this.seen} of ${this.length} bytes` : ""}): the source registry serves corrupt data`,
                ),
            );
        }
        if (this.held) {
            this.onBytes(this.held.length);
            this.push(this.held);
        }
        done();
    }
}

function readText(res: NodeJS.ReadableStream): Promise<string> {
    return new Promise((resolve, reject) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
            if (text.length < 4096) text += c;
        });
        res.on("end", () => resolve(text));
        res.on("error", reject);
    });
}
