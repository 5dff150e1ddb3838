/** Bounded parallel work: over a list (stopped with the run), and a gate of places whose number may change. */
import { stopSignal } from "../core/interrupt";

/** Runs `fn` over the items with at most `limit` at once; takes no new item once the run is stopped. */
export async function parallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let i = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (i < items.length && !stopSignal.aborted) await fn(items[i++]);
    });
    await Promise.all(workers);
}

/**
 * At most `size` holders at once, first come first served; the size may change while it is in
 * use (a larger one lets waiters in at once, a smaller one lets the running finish).
 */
export class Gate {
    private active = 0;
    private readonly waiting: (() => void)[] = [];
    constructor(private current: number) {}

    get size(): number {
        return this.current;
    }
    get running(): number {
        return this.active;
    }
    get queued(): number {
        return this.waiting.length;
    }

    resize(size: number): void {
        this.current = size;
        while (this.active < this.current && this.waiting.length > 0) {
            this.active++;
            this.waiting.shift()!();
        }
    }

    /** Waits for a place; the function returned gives it back (once). */
    async acquire(): Promise<() => void> {
        // A place given back goes straight to the next waiter, so none slips in between.
        if (this.active < this.current) this.active++;
        else await new Promise<void>((r) => this.waiting.push(r));
        let given = false;
        return () => {
            if (given) return;
            given = true;
            const next = this.active <= this.current ? this.waiting.shift() : undefined;
            if (next) next();
            else this.active--;
        };
    }

    /** Runs `task` in a place. */
    async run<T>(task: () => Promise<T>): Promise<T> {
        const release = await this.acquire();
        try {
            return await task();
        } finally {
            release();
        }
    }
}
