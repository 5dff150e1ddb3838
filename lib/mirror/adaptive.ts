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
import { Gate } from "./scheduler";

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
    private readonly gate: Gate;
    private slowStart = true;
    private best = 0;
    private roundStart: number;
    private roundBytes = 0;
    private roundDone = 0;
    private readonly now: () => number;
    /** The highest limit reached. */
    peak: number;

    constructor(private readonly options: AdaptiveOptions) {
        this.now = options.now ?? Date.now;
        this.gate = new Gate(Math.max(1, Math.min(options.max, options.initial ?? 4)));
        this.peak = this.gate.size;
        this.roundStart = this.now();
    }

    get limit(): number {
        return this.gate.size;
    }

    get running(): number {
        return this.gate.running;
    }

    /** Waits for a free place (first come, first served). */
    async acquire(): Promise<Slot> {
        const release = await this.gate.acquire();
        let ended = false;
        const end = (): boolean => {
            if (ended) return false;
            ended = true;
            return true;
        };
        return {
            done: (bytes) => {
                if (!end()) return;
                this.roundBytes += bytes;
                this.roundDone++;
                if (this.roundDone >= this.limit) this.endRound();
                release();
            },
            failed: (congested) => {
                if (!end()) return;
                if (congested) this.backOff();
                release();
            },
        };
    }

    private set(limit: number): void {
        const next = Math.max(1, Math.min(this.options.max, limit));
        if (next === this.limit) return;
        this.gate.resize(next);
        this.peak = Math.max(this.peak, next);
    }

    private endRound(): void {
        const elapsed = Math.max(1, this.now() - this.roundStart);
        const rate = this.roundBytes / elapsed;
        if (this.slowStart) {
            if (rate >= this.best * 1.1) this.set(this.limit * 2);
            else this.slowStart = false;
        } else if (rate >= this.best * 1.05) {
            this.set(this.limit + 1);
        } else if (rate < this.best * 0.6) {
            this.set(this.limit - 1);
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
        this.set(Math.floor(this.limit / 2));
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
}
