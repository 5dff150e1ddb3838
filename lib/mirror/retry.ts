/**
 * Retries with exponential backoff and full jitter (the AWS Architecture Blog's
 * "Exponential Backoff And Jitter": sleep = random(0, min(cap, base * 2^attempt))), so
 * many parallel jobs that hit the same 429 do not come back in lock step.
 */
import { stopSignal, throwIfStopped } from "../core/interrupt";

/** How often and how long to retry. */
export interface RetryPolicy {
    /**
     * Attempts in all, the first one included.
     * @default 6
     */
    readonly attempts?: number;
    /**
     * The first back-off ceiling, in milliseconds; doubled per attempt.
     * @default 500
     */
    readonly baseMs?: number;
    /**
     * The largest back-off, in milliseconds.
     * @default 30000
     */
    readonly capMs?: number;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 6, baseMs: 500, capMs: 30_000 };

/** An error that says whether trying again may help. */
export interface Classified {
    readonly retryable: boolean;
}

function isRetryable(e: unknown): boolean {
    return typeof e === "object" && e !== null && (e as Classified).retryable === true;
}

/** The back-off before attempt `attempt + 1` (attempt counts from 0). */
export function backoffMs(attempt: number, policy: RetryPolicy = {}, random: () => number = Math.random): number {
    const p = { ...DEFAULT_RETRY, ...policy };
    const ceiling = Math.min(p.capMs, p.baseMs * 2 ** attempt);
    return Math.floor(random() * ceiling);
}

/**
 * Runs `fn` until it succeeds, throws an error that is not retryable, or the attempts run out
 * (the last error is thrown). `onRetry` hears of each retry (for progress and logs).
 */
export async function withRetries<T>(
    fn: (attempt: number) => Promise<T>,
    policy: RetryPolicy = {},
    onRetry?: (error: unknown, attempt: number, waitMs: number) => void,
): Promise<T> {
    const p = { ...DEFAULT_RETRY, ...policy };
    for (let attempt = 0; ; attempt++) {
        throwIfStopped();
        try {
            return await fn(attempt);
        } catch (e) {
            // A stopped run is no failure to retry: its requests were aborted on purpose.
            throwIfStopped();
            if (!isRetryable(e) || attempt + 1 >= p.attempts) throw e;
            const wait = backoffMs(attempt, p);
            onRetry?.(e, attempt, wait);
            await sleep(wait, stopSignal);
        }
    }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = setTimeout(done, ms);
        function done(): void {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
    });
}
