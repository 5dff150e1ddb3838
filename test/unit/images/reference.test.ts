import * as assert from "assert";
import { parseReference, InvalidReferenceError, tryParseReference } from "../../../lib/images";

describe("image reference grammar", () => {
    const normalises: [string, string][] = [
        ["busybox", "docker.io/library/busybox:latest"],
        ["busybox:1.28", "docker.io/library/busybox:1.28"],
        ["library/busybox:1.28", "docker.io/library/busybox:1.28"],
        ["docker.io/busybox", "docker.io/library/busybox:latest"],
        ["index.docker.io/library/busybox:1", "docker.io/library/busybox:1"],
        ["filebrowser/filebrowser:v2.25.0", "docker.io/filebrowser/filebrowser:v2.25.0"],
        ["gcr.io/ml-pipeline/frontend:2.3.0", "gcr.io/ml-pipeline/frontend:2.3.0"],
        ["localhost:5000/team/app:v1", "localhost:5000/team/app:v1"],
        ["localhost/app", "localhost/app:latest"],
        ["REGISTRY.Example.com:443/a/b:c", "registry.example.com:443/a/b:c"],
        ["10.0.0.1:5000/a", "10.0.0.1:5000/a:latest"],
        ["[::1]:5000/a:b", "[::1]:5000/a:b"],
        ["a__b/c-d/e---f:Tag_1.2-x", "docker.io/a__b/c-d/e---f:Tag_1.2-x"],
        [
            "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + "a".repeat(64),
            "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + "a".repeat(64),
        ],
        ["quay.io/a/b:v1@sha256:" + "0".repeat(64), "quay.io/a/b:v1@sha256:" + "0".repeat(64)],
    ];
    for (const [input, expected] of normalises) {
        it(`normalises ${input}`, () => assert.strictEqual(parseReference(input).normalized, expected));
    }

    it("splits registry, repository, tag and digest", () => {
        const r = parseReference("localhost:5000/team/app:v1@sha256:" + "b".repeat(64));
        assert.deepStrictEqual([r.registry, r.repository, r.tag, r.digest], ["localhost:5000", "team/app", "v1", "sha256:" + "b".repeat(64)]);
        const d = parseReference("busybox@sha256:" + "c".repeat(64));
        assert.strictEqual(d.tag, undefined, "a digest-only reference gets no :latest");
        assert.strictEqual(d.normalized, "docker.io/library/busybox@sha256:" + "c".repeat(64));
    });

    const invalid: [string, RegExp][] = [
        ["", /empty/],
        ["Busybox", /upper case/],
        ["docker.io/Kubeflow/app:v1", /upper case/],
        ["busybox:", /tag ""/],
        ["busybox:-x", /tag/],
        ["busybox:" + "a".repeat(129), /tag/],
        ["a//b", /empty path component/],
        ["a/b/", /empty path component/],
        ["gcr.io/a b", /white space/],
        [" busybox", /white space/],
        ["busybox@sha256:abc", /digest/],
        ["busybox@sha256:" + "a".repeat(63), /64 hex digits/],
        ["busybox@sha256:" + "A".repeat(64), /lower case/],
        ["gcr.io:port/a", /port/],
        ["-bad.io/a", /invalid component/],
        ["a/b_-c", /repository component/],
        ["gcr.io/" + "a".repeat(260), /limit is 255/],
    ];
    for (const [input, reason] of invalid) {
        it(`rejects ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + "…" : input)} with the reason`, () => {
            assert.throws(
                () => parseReference(input),
                (e: unknown) => e instanceof InvalidReferenceError && reason.test(e.reason) && e.message.includes("invalid image reference"),
            );
            assert.match(tryParseReference(input).error as string, reason);
        });
    }
});
