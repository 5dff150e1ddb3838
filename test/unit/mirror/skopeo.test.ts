/** lib/mirror/skopeo: which of skopeo's failures are worth another attempt. */
import * as assert from "assert";
import { classifyFailure } from "../../../lib/mirror";

describe("skopeo failures", () => {
    it("retries what may pass next time, and nothing else", () => {
        const retry = (s: string) => classifyFailure(`time="x" level=fatal msg="${s}"`).retryable;
        assert.equal(retry("reading blob sha256:1: received unexpected HTTP status: 503 Service Unavailable"), true);
        assert.equal(retry("writing blob: toomanyrequests: too many requests"), true);
        assert.equal(retry('Head "http://r/v2/x/blobs/sha256:1": EOF'), true);
        assert.equal(retry("read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"), true);
        // The peer dropped an upload under a write (seen in CI under the fault proxy).
        assert.equal(retry('writing blob: Patch "http://r/v2/m/x/blobs/uploads/1": readfrom tcp 1->2: write tcp 1->2: use of closed network connection'), true);
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
});
