/** lib/mirror/naming: where each image goes in the mirror. */
import * as assert from "assert";
import { pairsOf, targetString } from "../../../lib/mirror";
import { parseMirror } from "../../../lib/rewrite";

describe("naming in the mirror", () => {
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
