/** lib/mirror/adaptive: how many transfers run at once, found from the throughput a round gives. */
import * as assert from "assert";
import { AdaptiveLimit, HostLimits } from "../../../lib/mirror";

/**
 * A simulated link: a round of `n` transfers of `size` bytes takes `latency` ms plus the time
 * `n * size` bytes need at `rate` bytes/ms, once `n` runs at once. Returns the limit after `rounds`.
 */
async function drive(limit: AdaptiveLimit, clock: { t: number }, link: { latency: number; rate: number; size: number }, rounds: number): Promise<number[]> {
    const seen: number[] = [];
    for (let r = 0; r < rounds; r++) {
        const n = limit.limit;
        const slots = await Promise.all(Array.from({ length: n }, () => limit.acquire()));
        clock.t += link.latency + (n * link.size) / link.rate;
        slots.forEach((s) => s.done(link.size));
        seen.push(limit.limit);
    }
    return seen;
}

describe("adaptive transfer limit", () => {
    it("grows while throughput grows: a far link (latency-bound) is filled up to the cap", async () => {
        const clock = { t: 0 };
        const limit = new AdaptiveLimit({ max: 16, now: () => clock.t });
        // 100 ms per transfer, 10 MB/s: one 100 KB transfer per round trip leaves the link idle.
        const seen = await drive(limit, clock, { latency: 100, rate: 10_000, size: 100_000 }, 12);
        assert.equal(seen[seen.length - 1], 16, seen.join(","));
        assert.equal(limit.peak, 16);
    });

    it("stops growing once the link is full (bandwidth-bound): no more than pays", async () => {
        const clock = { t: 0 };
        const limit = new AdaptiveLimit({ max: 64, now: () => clock.t });
        // 1 ms latency, 5 MB transfers at 100 MB/s: one transfer already fills the link.
        const seen = await drive(limit, clock, { latency: 1, rate: 100_000, size: 5_000_000 }, 20);
        assert.ok(Math.max(...seen) <= 16, `it stopped doubling when throughput stopped growing: ${seen.join(",")}`);
        assert.ok(seen[seen.length - 1] < 64, seen.join(","));
    });

    it("halves on congestion (429, 5xx, time-outs) and never goes below one or above the cap", async () => {
        const clock = { t: 0 };
        const limit = new AdaptiveLimit({ max: 8, initial: 8, now: () => clock.t });
        const slot = await limit.acquire();
        slot.failed(true);
        assert.equal(limit.limit, 4);
        for (let i = 0; i < 5; i++) limit.backOff();
        assert.equal(limit.limit, 1);
        const other = await limit.acquire();
        other.failed(false);
        assert.equal(limit.limit, 1, "a failure that is not congestion changes nothing");
        assert.equal(new AdaptiveLimit({ max: 2 }).limit, 2, "the cap bounds the start too");
    });

    it("waiters are served first come, first served, and never more than the limit run", async () => {
        const limit = new AdaptiveLimit({ max: 2, initial: 2 });
        const order: number[] = [];
        const a = await limit.acquire();
        const b = await limit.acquire();
        const waiting = [1, 2, 3].map((i) =>
            limit.acquire().then((s) => {
                order.push(i);
                return s;
            }),
        );
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(order, [], "none starts while two run");
        assert.equal(limit.running, 2);
        a.done(1);
        const first = await waiting[0];
        assert.deepEqual(order, [1]);
        b.done(1);
        first.done(1);
        (await waiting[1]).done(1);
        (await waiting[2]).done(1);
        assert.deepEqual(order, [1, 2, 3]);
        assert.equal(limit.running, 0);
    });

    it("one limit per registry host", () => {
        const limits = new HostLimits({ max: 8 });
        assert.equal(limits.for("a:5000"), limits.for("a:5000"));
        assert.notEqual(limits.for("a:5000"), limits.for("b:5000"));
        limits.for("a:5000").backOff();
        assert.equal(limits.for("b:5000").limit, 4);
        assert.equal(limits.for("a:5000").limit, 2);
    });
});
