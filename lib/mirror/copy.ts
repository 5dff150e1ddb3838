/**
 * The copy engine: every image of a list into the mirror, byte for byte, with skopeo.
 *
 * Per image: the source digest (the reference's own, else HEAD at the source); the mirror's
 * digest at the mirrored reference (HEAD) — equal means nothing to copy; else the image's
 * blobs are listed, blobs the run already put in another mirror repository are mounted
 * (no bytes move), skopeo copies the rest pinned to the source digest, and the mirror's
 * digest is read back: it must equal the source digest, or the image failed.
 *
 * Around it: bounded parallel jobs, but never two jobs uploading the same blob at once (so
 * a layer shared by images crosses the wire once); retries with back-off and jitter on
 * 429/5xx/resets/time-outs; a journal so an interrupted run resumes without asking the
 * source again; progress and a summary on stderr.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { cachePath } from "../core/cache";
import { ImageReference, parseReference } from "../images/reference";
import { Mirror, mirrorName } from "../rewrite/mirror";
import { AuthMap, writeTempAuthFile } from "./auth";
import { Endpoint, imageBlobs, RegistryClient } from "./registry";
import { RetryPolicy, withRetries } from "./retry";
import { skopeoBinary, skopeoCopy } from "./skopeo";
import { DEFAULT_COPY_JOBS } from "./defaults";

/** One image's outcome. */
export interface ImageResult {
    /** The source reference, normalised. */
    readonly source: string;
    /** Where it is served in the mirror. */
    readonly target: string;
    /** `copied` now, `present` already (same digest), `failed` (see reason). */
    readonly status: "copied" | "present" | "failed";
    /** The source digest the mirror holds (or should hold). */
    readonly digest?: string;
    readonly reason?: string;
    /** Size of the image's blobs (all platforms), when copied. */
    readonly bytes?: number;
}

export interface RunSummary {
    readonly results: ImageResult[];
    readonly copied: number;
    readonly present: number;
    readonly failed: number;
    readonly bytes: number;
    readonly seconds: number;
    /** Images whose source digest came from the journal of an interrupted run. */
    readonly resumed: number;
}

/** How to reach the registries and how hard to try. */
export interface RegistryAccess {
    /**
     * Plain HTTP to the mirror (a lab registry without TLS).
     * @default false
     */
    readonly plainHttp?: boolean;
    /**
     * Plain HTTP to the source registries.
     * @default false
     */
    readonly sourcePlainHttp?: boolean;
    /** Credentials per registry host. */
    readonly auths?: AuthMap;
    /** Retries of each request and each copy. */
    readonly retry?: RetryPolicy;
    /**
     * Time-out of one registry request, in milliseconds.
     * @default 30000
     */
    readonly requestTimeoutMs?: number;
}

export interface CopyOptions extends RegistryAccess {
    /**
     * Images copied at the same time.
     * @default 4
     */
    readonly jobs?: number;
    /**
     * A copy attempt making no end within this time is killed and retried, in milliseconds.
     * @default 600000
     */
    readonly attemptTimeoutMs?: number;
    /**
     * The journal file; `false` for none.
     * @default .kfstack-cache/mirror/<hash of mirror and list>.jsonl
     */
    readonly journal?: string | false;
    /** Progress lines (stderr in the CLI). */
    readonly progress?: (line: string) => void;
    readonly signal?: AbortSignal;
}

/** A source reference and its place in the mirror. */
export interface Pair {
    readonly source: ImageReference;
    /** `<mirror>/<host>/<path>`. */
    readonly targetName: string;
    /** The tag, else the digest: what the mirror is asked for. */
    readonly targetReference: string;
}

/** Source → mirror pairs, by the naming rule; duplicates (same normalised reference) once. */
export function pairsOf(references: string[], mirror: Mirror): Pair[] {
    return uniqueReferences(references).map((source) => ({ source, targetName: mirrorName(source, mirror), targetReference: targetReferenceOf(source) }));
}

/** The references parsed, each normalised reference once, in first-seen order. */
export function uniqueReferences(references: readonly string[]): ImageReference[] {
    const seen = new Map<string, ImageReference>();
    for (const r of references) {
        const ref = parseReference(r);
        if (!seen.has(ref.normalized)) seen.set(ref.normalized, ref);
    }
    return [...seen.values()];
}

/**
 * What the mirror stores an image under: its tag; for a reference by digest alone, the tag
 * `sha256-<hex>`. The manifests still pull by digest, but a tagged manifest survives what
 * removes untagged ones (ECR lifecycle rules for untagged images, `registry garbage-collect
 * --delete-untagged`, Harbor's tag retention).
 */
export function targetReferenceOf(source: ImageReference): string {
    if (source.tag) return source.tag;
    if (source.digest) return source.digest.replace(":", "-");
    return "latest";
}

export function targetString(p: Pair): string {
    const sep = p.targetReference.includes(":") ? "@" : ":";
    return `${p.targetName}${sep}${p.targetReference}`;
}

/** Splits `host/repo` into the host and the repository path. */
export function splitName(name: string): { host: string; repository: string } {
    const slash = name.indexOf("/");
    return { host: name.slice(0, slash), repository: name.slice(slash + 1) };
}

/** Registry clients, one per host, sharing tokens; the mirror's (if any) speaks `plainHttp`, the others `sourcePlainHttp`. */
export class Clients {
    private readonly clients = new Map<string, RegistryClient>();
    constructor(
        private readonly access: RegistryAccess,
        private readonly mirrorHost: string | undefined,
        private readonly onRetry?: (what: string, e: unknown) => void,
    ) {}
    for(host: string): RegistryClient {
        let c = this.clients.get(host);
        if (!c) {
            const endpoint: Endpoint = {
                host,
                plainHttp: host === this.mirrorHost ? this.access.plainHttp : this.access.sourcePlainHttp,
                credentials: this.access.auths?.get(host),
            };
            c = new RegistryClient(endpoint, { timeoutMs: this.access.requestTimeoutMs, retry: this.access.retry, onRetry: this.onRetry });
            this.clients.set(host, c);
        }
        return c;
    }
}

interface JournalEntry {
    readonly source: string;
    readonly digest: string;
    readonly status: "done" | "failed";
}

/** The journal of a run: source digests and finished images, one JSON line each. */
export class Journal {
    readonly entries = new Map<string, JournalEntry>();
    constructor(readonly file: string | undefined) {
        if (!file || !fs.existsSync(file)) return;
        for (const line of fs.readFileSync(file, "utf8").split("\n")) {
            if (!line.trim()) continue;
            try {
                const e = JSON.parse(line) as JournalEntry;
                if (e.source && e.digest) this.entries.set(e.source, e);
            } catch {
                // A line cut short by a kill: the image is simply not known to be done.
            }
        }
    }
    record(e: JournalEntry): void {
        this.entries.set(e.source, e);
        if (!this.file) return;
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
        fs.appendFileSync(this.file, JSON.stringify(e) + "\n");
    }
    finish(): void {
        if (this.file) fs.rmSync(this.file, { force: true });
    }
}

export function defaultJournal(mirror: Mirror, pairs: Pair[]): string {
    const h = crypto.createHash("sha256").update(mirror.location).update("\0");
    for (const p of pairs.map((x) => x.source.normalized).sort()) h.update(p + "\n");
    return cachePath("mirror", `copy-${h.digest("hex").slice(0, 16)}.jsonl`);
}

export function formatBytes(n: number): string {
    if (n < 1024) return `${n} B`;
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let v = n / 1024;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
    }
    return `${v.toFixed(1)} ${units[i]}`;
}

function message(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

/** Resolves the source digest: the reference's own, the journal's, or the source registry's. */
async function sourceDigest(clients: Clients, p: Pair, journal: Journal): Promise<{ digest?: string; reason?: string; fromJournal: boolean }> {
    if (p.source.digest) return { digest: p.source.digest, fromJournal: false };
    const known = journal.entries.get(p.source.normalized);
    if (known) return { digest: known.digest, fromJournal: true };
    const info = await clients.for(p.source.registry).headManifest(p.source.repository, p.source.tag ?? "latest");
    if (!info)
        return { reason: `not found at the source (${p.source.registry} has no ${p.source.repository}:${p.source.tag ?? "latest"})`, fromJournal: false };
    return { digest: info.digest, fromJournal: false };
}

/** Copies every image into the mirror; never throws for one image's failure (see results). */
export async function copyImages(references: string[], mirror: Mirror, options: CopyOptions = {}): Promise<RunSummary> {
    skopeoBinary();
    const started = Date.now();
    const pairs = pairsOf(references, mirror);
    const say = options.progress ?? (() => undefined);
    const retries = { count: 0 };
    const clients = new Clients(options, mirror.host, () => retries.count++);
    const journal = new Journal(options.journal === false ? undefined : (options.journal ?? defaultJournal(mirror, pairs)));
    const resumedFrom = journal.entries.size;
    if (resumedFrom > 0) say(`resuming an interrupted run: ${resumedFrom} of ${pairs.length} images known from ${journal.file}`);
    const jobs = Math.max(1, options.jobs ?? DEFAULT_COPY_JOBS);
    const results = new Map<string, ImageResult>();
    let resumed = 0;
    let bytes = 0;
    let done = 0;
    const total = pairs.length;
    const report = (r: ImageResult, extra = ""): void => {
        results.set(r.source, r);
        done++;
        const counts = [...results.values()].reduce((a, x) => ((a[x.status] = (a[x.status] ?? 0) + 1), a), {} as Record<string, number>);
        const secs = (Date.now() - started) / 1000;
        const word = r.status === "failed" ? `FAILED ${r.source}: ${r.reason}` : `${r.status} ${r.source}${extra}`;
        say(
            `[${done}/${total}] ${word} — ${counts.copied ?? 0} copied, ${counts.present ?? 0} present, ${counts.failed ?? 0} failed, ${formatBytes(bytes)}, ${formatBytes(bytes / Math.max(secs, 0.001))}/s`,
        );
    };

    // What needs copying (HEAD at both ends) is found in parallel, and each image found to need
    // a copy is scheduled at once: the copies start while other images are still being looked up.
    // A copy may not start while another running copy holds one of its blobs not yet in the
    // mirror: the second would upload the same bytes again.
    interface Work {
        pair: Pair;
        digest: string;
        blobs: Map<string, number>;
    }
    const auth = writeTempAuthFile(options.auths ?? new Map());
    const where = new Map<string, string>(); // blob -> a mirror repository that has it
    const busy = new Set<string>();
    const mirrorClient = clients.for(mirror.host);
    const pending: Work[] = [];
    let running = 0;
    let lookedUp = false;
    let resolveAll: () => void = () => undefined;
    const allDone = new Promise<void>((r) => (resolveAll = r));
    const next = (): void => {
        if (options.signal?.aborted) pending.length = 0;
        while (running < jobs) {
            const i = pending.findIndex((w) => ![...w.blobs.keys()].some((b) => busy.has(b) && !where.has(b)));
            if (i < 0) break;
            const w = pending.splice(i, 1)[0];
            const mine = [...w.blobs.keys()].filter((b) => !where.has(b) && !busy.has(b));
            mine.forEach((b) => busy.add(b));
            running++;
            copyOne(w)
                .finally(() => {
                    mine.forEach((b) => busy.delete(b));
                    running--;
                    next();
                })
                .catch(() => undefined);
        }
        if (lookedUp && running === 0 && (pending.length === 0 || options.signal?.aborted)) resolveAll();
    };
    try {
        await parallel(pairs, jobs, async (p) => {
            if (options.signal?.aborted) return;
            const target = targetString(p);
            try {
                const src = await sourceDigest(clients, p, journal);
                if (src.fromJournal) resumed++;
                if (!src.digest) return report({ source: p.source.normalized, target, status: "failed", reason: src.reason });
                const { host, repository } = splitName(p.targetName);
                const have = await clients.for(host).headManifest(repository, p.targetReference);
                if (have?.digest === src.digest) {
                    journal.record({ source: p.source.normalized, digest: src.digest, status: "done" });
                    return report({ source: p.source.normalized, target, status: "present", digest: src.digest });
                }
                // Before any copy, so a resumed run copies the same bytes even if the tag moved since.
                if (!journal.entries.has(p.source.normalized)) journal.record({ source: p.source.normalized, digest: src.digest, status: "failed" });
                const blobs = await imageBlobs(clients.for(p.source.registry), p.source.repository, src.digest);
                pending.push({ pair: p, digest: src.digest, blobs });
                next();
            } catch (e) {
                report({ source: p.source.normalized, target, status: "failed", reason: message(e) });
            }
        });
        lookedUp = true;
        next();
        await allDone;
    } finally {
        auth.remove();
    }

    async function copyOne(w: Work): Promise<void> {
        const p = w.pair;
        const target = targetString(p);
        const { host, repository } = splitName(p.targetName);
        const t0 = Date.now();
        try {
            // Blobs another repository of the mirror received in this run are mounted, not sent.
            for (const [blob] of w.blobs) {
                const from = where.get(blob);
                if (from && from !== repository) await mirrorClient.mountBlob(repository, blob, from).catch(() => false);
            }
            await withRetries(
                () =>
                    skopeoCopy(
                        { kind: "docker", reference: `${p.source.name}@${w.digest}`, plainHttp: !!options.sourcePlainHttp },
                        { kind: "docker", reference: target, plainHttp: !!options.plainHttp },
                        { authFile: auth.path, timeoutMs: options.attemptTimeoutMs, signal: options.signal },
                    ),
                options.retry,
                (e, attempt, wait) => {
                    retries.count++;
                    say(`retry ${attempt + 1} of ${p.source.normalized} in ${(wait / 1000).toFixed(1)} s: ${message(e)}`);
                },
                options.signal,
            );
            const have = await clients.for(host).headManifest(repository, p.targetReference);
            if (have?.digest !== w.digest) {
                throw new Error(`after the copy the mirror serves ${have ? have.digest : "nothing"} at ${target}, not the source digest ${w.digest}`);
            }
            for (const b of w.blobs.keys()) if (!where.has(b)) where.set(b, repository);
            const size = [...w.blobs.values()].reduce((a, b) => a + b, 0);
            bytes += size;
            journal.record({ source: p.source.normalized, digest: w.digest, status: "done" });
            report(
                { source: p.source.normalized, target, status: "copied", digest: w.digest, bytes: size },
                ` (${formatBytes(size)}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
            );
        } catch (e) {
            report({ source: p.source.normalized, target, status: "failed", digest: w.digest, reason: message(e) });
        }
    }

    const list = pairs.map((p) => results.get(p.source.normalized)).filter((r): r is ImageResult => r !== undefined);
    const summary = summarise(list, bytes, started, resumed);
    if (summary.failed === 0 && list.length === pairs.length) journal.finish();
    return summary;
}

/** A run's summary from its results. */
export function summarise(results: ImageResult[], bytes: number, started: number, resumed: number): RunSummary {
    return {
        results,
        copied: results.filter((r) => r.status === "copied").length,
        present: results.filter((r) => r.status === "present").length,
        failed: results.filter((r) => r.status === "failed").length,
        bytes,
        seconds: (Date.now() - started) / 1000,
        resumed,
    };
}

/** Runs `fn` over the items with at most `limit` at once. */
export async function parallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let i = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (i < items.length) await fn(items[i++]);
    });
    await Promise.all(workers);
}

/** One image's state in the mirror. */
export interface VerifyResult {
    readonly source: string;
    readonly target: string;
    readonly status: "present" | "missing" | "differs" | "failed";
    readonly sourceDigest?: string;
    readonly mirrorDigest?: string;
    readonly reason?: string;
}

/** Whether each image is in the mirror with its source digest (HEAD at both ends). */
export async function verifyImages(references: string[], mirror: Mirror, options: RegistryAccess & { jobs?: number } = {}): Promise<VerifyResult[]> {
    const pairs = pairsOf(references, mirror);
    const clients = new Clients(options, mirror.host);
    const out = new Map<string, VerifyResult>();
    const none = new Journal(undefined);
    await parallel(pairs, Math.max(1, options.jobs ?? 8), async (p) => {
        const target = targetString(p);
        const source = p.source.normalized;
        try {
            const src = await sourceDigest(clients, p, none);
            if (!src.digest) return void out.set(source, { source, target, status: "failed", reason: src.reason });
            const { host, repository } = splitName(p.targetName);
            const have = await clients.for(host).headManifest(repository, p.targetReference);
            const status = !have ? "missing" : have.digest === src.digest ? "present" : "differs";
            out.set(source, { source, target, status, sourceDigest: src.digest, mirrorDigest: have?.digest });
        } catch (e) {
            out.set(source, { source, target, status: "failed", reason: message(e) });
        }
    });
    return pairs.map((p) => out.get(p.source.normalized) as VerifyResult);
}
