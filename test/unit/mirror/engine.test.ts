/** The copy engine's pure parts: failure classification, back-off, naming in the mirror. */
import * as assert from "assert";
import { backoffMs, classifyFailure, pairsOf, targetString, withRetries } from "../../../lib/mirror";
import { parseMirror } from "../../../lib/rewrite";

describe("copy engine rules", () => {
    it("retries what may pass next time, and nothing else", () => {
        const retry = (s: string) => classifyFailure(`time="x" level=fatal msg="${s}"`).retryable;
        assert.equal(retry("reading blob sha256:1: received unexpected HTTP status: 503 Service Unavailable"), true);
        assert.equal(retry("writing blob: toomanyrequests: too many requests"), true);
        assert.equal(retry('Head "http://r/v2/x/blobs/sha256:1": EOF'), true);
        assert.equal(retry("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"), true);
        assert.equal(
            retry(
                'Manifest list must be converted to type \\"x\\" to be written to destination, but we cannot modify it: \\"Instructed to preserve digests\\"',
            ),
            true,
        );
        assert.equal(retry("reading manifest v9 in r/x: manifest unknown: manifest unknown"), false);
        assert.equal(retry("initializing source docker://r/x:1: unauthorized: authentication required"), false);
        const digest = classifyFailure(
            'level=fatal msg="writing blob: Digest did not match, expected sha256:' + "a".repeat(64) + ", got sha256:" + "b".repeat(64) + '"',
        );
        assert.equal(digest.retryable, false);
        assert.match(digest.reason, /source blob does not match its digest/);
    });

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

    it("names images in the mirror by the rule; a digest alone is stored under a sha256- tag", () => {
        const m = parseMirror("registry.local:5000/kf");
        const pairs = pairsOf(["quay.io/a/b:1", "busybox", `gcr.io/x/y@sha256:${"c".repeat(64)}`, "docker.io/library/busybox:latest"], m);
        assert.deepEqual(pairs.map(targetString), [
            "registry.local:5000/kf/quay.io/a/b:1",
            "registry.local:5000/kf/docker.io/library/busybox:latest",
            `registry.local:5000/kf/gcr.io/x/y:sha256-${"c".repeat(64)}`,
        ]);
    });
});
