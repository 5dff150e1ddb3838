/** Bounded parallel work over a list, stopped with the run. */
import { stopSignal } from "../core/interrupt";

/** Runs `fn` over the items with at most `limit` at once; takes no new item once the run is stopped. */
export async function parallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let i = 0;
    const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
        while (i < items.length && !stopSignal.aborted) await fn(items[i++]);
    });
    await Promise.all(workers);
}
