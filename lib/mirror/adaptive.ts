/**
 * How many blob transfers run at once against one registry, found while the run goes, so the
 * default fits a loopback registry, a LAN and a slow far link alike without tuning.
 *
 * The rule is TCP's, on transfers instead of packets: start with a few; after each round (as
 * many transfers finished as the limit allows) compare the round's throughput with the best
 * so far: while doubling pays, double (slow start); after that, one more while it still pays,
 * one fewer when throughput fell well below the best (the registry or the machine is
 * saturated and transfers only queue); a 429, a 5xx or a time-out halves the limit at once
 * (the registry or the link says it is full). The best decays a little each round, so a
 * link that gets faster is probed again. `max` (`--jobs`) is a cap, never exceeded.
 */

export interface AdaptiveOptions {
    /**
     * Transfers at the start.
     * @default 4, or max when lower
     */
    readonly initial?: number;
    /** The cap (`--jobs`). */
    readonly max: number;
    /** The clock, in milliseconds (tests give their own). @default Date.now */
    readonly now?: () => number;
}

/** A taken place: say how it ended. */
export interface Slot {
    /** The transfer moved `bytes`. */
    done(bytes: number): void;
    /** The transfer failed; `congested` for 429, 5xx, resets and time-outs. */
    failed(congested: boolean): void;
}

export class AdaptiveLimit {
    private current: number;
    private active = 0;
    private readonly waiting: (() => void)[] = [];
    private slowStart = true;
    private best = 0;
    private roundStart: number;
    private roundBytes = 0;
    private roundDone = 0;
    private readonly now: () => number;
    /** The limit after each change, for the run's report. */
    readonly changes: number[] = [];
    /** The highest limit reached. */
    peak: number;

    constructor(private readonly options: AdaptiveOptions) {
        this.now = options.now ?? Date.now;
        this.current = Math.max(1, Math.min(options.max, options.initial ?? 4));
        this.peak = this.current;
        this.roundStart = this.now();
    }

    get limit(): number {
        return this.current;
    }

    get running(): number {
        return this.active;
    }

    /** Waits for a free place (first come, first served). */
    acquire(): Promise<Slot> {
        if (this.active < this.current) return Promise.resolve(this.take());
        return new Promise((resolve) => this.waiting.push(() => resolve(this.take())));
    }

    private take(): Slot {
        this.active++;
        let ended = false;
        const end = (): void => {
            if (ended) return;
            ended = true;
            this.active--;
            this.wake();
        };
        return {
            done: (bytes) => {
                if (ended) return;
                this.roundBytes += bytes;
                this.roundDone++;
                if (this.roundDone >= this.current) this.endRound();
                end();
            },
            failed: (congested) => {
                if (ended) return;
                if (congested) this.backOff();
                end();
            },
        };
    }

    private wake(): void {
        while (this.active < this.current && this.waiting.length > 0) this.waiting.shift()!();
    }

    private set(limit: number): void {
        const next = Math.max(1, Math.min(this.options.max, limit));
        if (next === this.current) return;
        this.current = next;
        this.peak = Math.max(this.peak, next);
        this.changes.push(next);
        this.wake();
    }

    private endRound(): void {
        const elapsed = Math.max(1, this.now() - this.roundStart);
        const rate = this.roundBytes / elapsed;
        if (this.slowStart) {
            if (rate >= this.best * 1.1) this.set(this.current * 2);
            else this.slowStart = false;
        } else if (rate >= this.best * 1.05) {
            this.set(this.current + 1);
        } else if (rate < this.best * 0.6) {
            this.set(this.current - 1);
        }
        this.best = Math.max(rate, this.best * 0.97);
        this.roundStart = this.now();
        this.roundBytes = 0;
        this.roundDone = 0;
    }

    /** A congestion signal: half as many, and no more doubling. */
    backOff(): void {
        this.slowStart = false;
        this.best *= 0.5;
        this.set(Math.floor(this.current / 2));
        this.roundStart = this.now();
        this.roundBytes = 0;
        this.roundDone = 0;
    }
}

/** One adaptive limit per registry host. */
export class HostLimits {
    private readonly limits = new Map<string, AdaptiveLimit>();
    constructor(private readonly options: AdaptiveOptions) {}
    for(host: string): AdaptiveLimit {
        let l = this.limits.get(host);
        if (!l) this.limits.set(host, (l = new AdaptiveLimit(this.options)));
        return l;
    }
    /** Each host's highest limit, for the summary. */
    peaks(): Map<string, number> {
        return new Map([...this.limits].map(([h, l]) => [h, l.peak]));
    }
}
