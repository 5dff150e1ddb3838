/**
 * The copy engine: every image of a list into the mirror, byte for byte, with skopeo.
 *
 * `copyImages` in six steps per image: (1) pair it with its mirror name and look it up in the
 * journal of an interrupted run; (2) its source digest (the reference's own, the journal's,
 * else HEAD at the source); (3) the mirror's digest at the mirrored reference (HEAD): equal
 * means nothing to copy; (4) the image's blobs listed; (5) scheduled so that no blob is sent
 * twice: blobs the run already put in another mirror repository are mounted, skopeo copies
 * the rest pinned to the source digest; (6) the mirror's digest read back: it must equal the
 * source digest, or the image failed; the journal records it done.
 *
 * Around it: bounded parallel jobs, retries with back-off and jitter on 429/5xx/resets/
 * time-outs (./retry), progress and a summary on stderr.
 */
import { Mirror } from "../rewrite/mirror";
import { stopSignal } from "../core/interrupt";
import { countOf, oneLine } from "../core/text";
import { writeTempAuthFile } from "./auth";
import { Clients, RegistryAccess, retryReporter } from "./clients";
import { DEFAULT_COPY_JOBS } from "./defaults";
import { defaultJournal, Journal } from "./journal";
import { Pair, pairsOf, splitName, targetString } from "./naming";
import { imageBlobs, RegistryClient } from "./registry";
import { formatBytes, ImageResult, messageOf, RunSummary, summarise } from "./results";
import { withRetries } from "./retry";
import { BlobScheduler, parallel } from "./scheduler";
import { skopeoBinary, skopeoCopy } from "./skopeo";
import { mirrorDigestOf, sourceDigestOf } from "./verify";

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
}

/** One image that needs copying. */
interface Work {
    readonly pair: Pair;
    readonly digest: string;
    readonly repository: string;
    readonly blobs: Map<string, number>;
}

/** Progress lines and the results, in one place so every line carries the running totals. */
class Progress {
    readonly results = new Map<string, ImageResult>();
    bytes = 0;
    private done = 0;
    constructor(
        private readonly total: number,
        private readonly started: number,
        private readonly say: (line: string) => void,
    ) {}
    report(given: ImageResult, extra = ""): void {
        // One line per image whatever a tool's error holds: scripts read the report line by line.
        const r = given.reason !== undefined ? { ...given, reason: oneLine(given.reason) } : given;
        this.results.set(r.source, r);
        this.done++;
        const counts = { copied: 0, present: 0, failed: 0 };
        for (const x of this.results.values()) counts[x.status]++;
        const rate = this.bytes / Math.max((Date.now() - this.started) / 1000, 0.001);
        const word = r.status === "failed" ? `FAILED ${r.source}: ${r.reason}` : `${r.status} ${r.source}${extra}`;
        this.say(
            `[${this.done}/${this.total}] ${word} — ${counts.copied} copied, ${counts.present} present, ${counts.failed} failed, ${formatBytes(this.bytes)}, ${formatBytes(rate)}/s`,
        );
    }
}

/** Copies every image into the mirror; never throws for one image's failure (see results). */
export async function copyImages(references: string[], mirror: Mirror, options: CopyOptions = {}): Promise<RunSummary> {
    skopeoBinary();
    const started = Date.now();
    const say = options.progress ?? (() => undefined);
    const jobs = Math.max(1, options.jobs ?? DEFAULT_COPY_JOBS);
    const clients = new Clients(options, mirror.host, retryReporter(say));

    // (1) The pairs, and what an interrupted run already learnt.
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
    let resumed = 0;

    const auth = writeTempAuthFile(options.auths ?? new Map());
    const mirrorClient = clients.for(mirror.host);
    const scheduler: BlobScheduler<Work> = new BlobScheduler<Work>(jobs, (w) =>
        copyOne(w, { options, auth: auth.path, clients, mirrorClient, scheduler, journal, progress, say }),
    );
    // A stopped run (lib/core/interrupt) drops the copies not started; running ones are killed.
    const cancel = (): void => scheduler.cancel();
    stopSignal.addEventListener("abort", cancel);
    try {
        // Images are looked up in parallel and each one found to need a copy is scheduled at
        // once: copies start while other images are still being looked up.
        await parallel(pairs, jobs, async (p) => {
            if (stopSignal.aborted) return;
            const source = p.source.normalized;
            const target = targetString(p);
            try {
                // (2) The source digest.
                const src = await sourceDigestOf(clients, p, journal);
                if (src.fromJournal) resumed++;
                if (!src.digest) return progress.report({ source, target, status: "failed", reason: src.reason });
                // (3) Already in the mirror with that digest?
                if ((await mirrorDigestOf(clients, p)) === src.digest) {
                    journal.record({ source, digest: src.digest, status: "done" });
                    return progress.report({ source, target, status: "present", digest: src.digest });
                }
                // Recorded before any copy, so a resumed run copies the same bytes even if the tag moved since.
                if (!journal.entries.has(source)) journal.record({ source, digest: src.digest, status: "failed" });
                // (4) Its blobs, then (5) scheduled.
                const blobs = await imageBlobs(clients.for(p.source.registry), p.source.repository, src.digest);
                if (!stopSignal.aborted) scheduler.add({ pair: p, digest: src.digest, repository: splitName(p.targetName).repository, blobs });
            } catch (e) {
                progress.report({ source, target, status: "failed", reason: messageOf(e) });
            }
        });
        await scheduler.drain();
    } finally {
        stopSignal.removeEventListener("abort", cancel);
        auth.remove();
    }

    const list = pairs.map((p) => progress.results.get(p.source.normalized)).filter((r): r is ImageResult => r !== undefined);
    const summary = summarise(list, progress.bytes, started, resumed);
    if (summary.failed === 0 && list.length === pairs.length) journal.finish();
    return summary;
}

interface CopyContext {
    readonly options: CopyOptions;
    readonly auth: string | undefined;
    readonly clients: Clients;
    readonly mirrorClient: RegistryClient;
    readonly scheduler: BlobScheduler<Work>;
    readonly journal: Journal;
    readonly progress: Progress;
    readonly say: (line: string) => void;
}

/** Steps (5) and (6) for one image; true when the mirror now serves it with the source digest. */
async function copyOne(w: Work, c: CopyContext): Promise<boolean> {
    const p = w.pair;
    const source = p.source.normalized;
    const target = targetString(p);
    const t0 = Date.now();
    try {
        // Blobs another repository of the mirror received in this run are mounted, not sent.
        for (const blob of w.blobs.keys()) {
            const from = c.scheduler.holderOf(blob);
            if (from && from !== w.repository) await c.mirrorClient.mountBlob(w.repository, blob, from).catch(() => false);
        }
        await withRetries(
            () =>
                skopeoCopy(
                    { kind: "docker", reference: `${p.source.name}@${w.digest}`, plainHttp: !!c.options.sourcePlainHttp },
                    { kind: "docker", reference: target, plainHttp: !!c.options.plainHttp },
                    { authFile: c.auth, timeoutMs: c.options.attemptTimeoutMs },
                ),
            c.options.retry,
            (e, attempt, wait) => c.say(`retry ${attempt + 1} of ${source} in ${(wait / 1000).toFixed(1)} s: ${messageOf(e)}`),
        );
        // (6) Read back: the mirror must serve the source digest.
        const have = await mirrorDigestOf(c.clients, p);
        if (have !== w.digest) throw new Error(`after the copy the mirror serves ${have ?? "nothing"} at ${target}, not the source digest ${w.digest}`);
        const size = [...w.blobs.values()].reduce((a, b) => a + b, 0);
        c.progress.bytes += size;
        c.journal.record({ source, digest: w.digest, status: "done" });
        c.progress.report(
            { source, target, status: "copied", digest: w.digest, bytes: size },
            ` (${formatBytes(size)}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
        );
        return true;
    } catch (e) {
        c.progress.report({ source, target, status: "failed", digest: w.digest, reason: messageOf(e) });
        return false;
    }
}
