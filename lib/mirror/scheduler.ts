/**
 * Running copies side by side without sending any blob twice.
 *
 * Images share layers (a base image under twenty Kubeflow components). Two copies running at
 * once would both upload a shared layer the mirror does not have yet, so a copy waits while
 * another running copy holds one of its blobs not yet in the mirror; once that copy is done
 * the blob is in the mirror and the waiting copy mounts it instead (no bytes move).
 */
import { stopSignal } from "../core/interrupt";

/** A copy to schedule: the mirror repository it fills and the blobs (digest → size) it needs. */
export interface BlobWork {
    readonly repository: string;
    readonly blobs: ReadonlyMap<string, number>;
}

export class BlobScheduler<W extends BlobWork> {
    /** blob → a mirror repository that has it (from this run). */
    private readonly holders = new Map<string, string>();
    /** Blobs a running copy is uploading. */
    private readonly inFlight = new Set<string>();
    private readonly queue: W[] = [];
    private running = 0;
    private closed = false;
    private onIdle: () => void = () => undefined;
    private readonly idle = new Promise<void>((resolve) => (this.onIdle = resolve));

    /**
     * @param jobs copies at the same time
     * @param copy runs one copy; resolves true when the mirror then holds all its blobs in
     *   `repository`, false when it failed (it must not reject)
     */
    constructor(
        private readonly jobs: number,
        private readonly copy: (work: W) => Promise<boolean>,
    ) {}

    /** A mirror repository this run put the blob in, if any: mount from there. */
    holderOf(blob: string): string | undefined {
        return this.holders.get(blob);
    }

    /** Queues a copy; it starts as soon as a slot is free and none of its blobs is in flight. */
    add(work: W): void {
        this.queue.push(work);
        this.pump();
    }

    /** Nothing more will be added: resolves once every queued copy has run. */
    drain(): Promise<void> {
        this.closed = true;
        this.pump();
        return this.idle;
    }

    /** Drops the copies not started (an interrupt); running ones finish. */
    cancel(): void {
        this.queue.length = 0;
        this.pump();
    }

    private blocked(work: W): boolean {
        for (const b of work.blobs.keys()) if (this.inFlight.has(b) && !this.holders.has(b)) return true;
        return false;
    }

    private pump(): void {
        while (this.running < this.jobs) {
            const i = this.queue.findIndex((w) => !this.blocked(w));
            if (i < 0) break;
            const work = this.queue.splice(i, 1)[0];
            const mine = [...work.blobs.keys()].filter((b) => !this.holders.has(b) && !this.inFlight.has(b));
            mine.forEach((b) => this.inFlight.add(b));
            this.running++;
            void this.copy(work)
                .catch(() => false)
                .then((ok) => {
                    if (ok) for (const b of work.blobs.keys()) if (!this.holders.has(b)) this.holders.set(b, work.repository);
                    mine.forEach((b) => this.inFlight.delete(b));
                    this.running--;
                    this.pump();
                });
        }
        if (this.closed && this.running === 0 && this.queue.length === 0) this.onIdle();
    }
}

/** Runs `fn` over the items with at most `limit` at once; takes no new item once the run is stopped. */
export async function parallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let i = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (i < items.length && !stopSignal.aborted) await fn(items[i++]);
    });
    await Promise.all(workers);
}
