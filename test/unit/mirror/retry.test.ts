/** lib/mirror/retry: back-off and which failures are retried. */
import * as assert from "assert";
import { backoffMs, withRetries } from "../../../lib/mirror";

describe("retries", () => {
    it("backs off exponentially with full jitter, capped", async () => {
        assert.equal(
            backoffMs(0, { baseMs: 100 }, () => 0.999),
            99,
        );
        assert.equal(
            backoffMs(3, { baseMs: 100 }, () => 0.5),
            400,
        );
        assert.equal(
            backoffMs(20, { baseMs: 100, capMs: 1000 }, () => 0.5),
            500,
        );
        let calls = 0;
        const fatal = Object.assign(new Error("no"), { retryable: false });
        await assert.rejects(
            withRetries(async () => (calls++, Promise.reject(fatal)), { attempts: 5, baseMs: 1 }),
            /no/,
        );
        assert.equal(calls, 1, "a failure that is not retryable is not retried");
        calls = 0;
        const flaky = Object.assign(new Error("503"), { retryable: true });
        assert.equal(await withRetries(async () => (++calls < 3 ? Promise.reject(flaky) : "ok"), { attempts: 5, baseMs: 1 }), "ok");
        assert.equal(calls, 3);
    });
});
