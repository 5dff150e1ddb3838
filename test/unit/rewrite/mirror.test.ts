import * as assert from "assert";
import { parseMirror, mirrorString, isUnderMirror, ecrRepositoryName, ecrRepositoryProblem, InvalidMirrorError, hostComponent } from "../../../lib/rewrite";
import { parseReference } from "../../../lib/images";

describe("mirror naming rule", () => {
    const m = parseMirror("registry.local:5000/kf");

    it("keeps the source host as the first path component, tag and digest as written", () => {
        assert.strictEqual(mirrorString("gcr.io/ml-pipeline/frontend:2.3.0", m), "registry.local:5000/kf/gcr.io/ml-pipeline/frontend:2.3.0");
        assert.strictEqual(mirrorString("busybox:1.28", m), "registry.local:5000/kf/docker.io/library/busybox:1.28");
        assert.strictEqual(mirrorString("gcr.io/google-containers/busybox", m), "registry.local:5000/kf/gcr.io/google-containers/busybox", "no tag is added");
        const digest = "sha256:" + "1".repeat(64);
        assert.strictEqual(mirrorString(`gcr.io/a/b@${digest}`, m), `registry.local:5000/kf/gcr.io/a/b@${digest}`);
        assert.strictEqual(mirrorString(`quay.io/a/b:v1@${digest}`, m), `registry.local:5000/kf/quay.io/a/b:v1@${digest}`);
    });

    it("gives a host with a port a valid, collision-free path component", () => {
        assert.strictEqual(hostComponent("localhost:5000"), "localhost_5000");
        assert.strictEqual(mirrorString("localhost:5000/a:1", m), "registry.local:5000/kf/localhost_5000/a:1");
        assert.notStrictEqual(mirrorString("localhost:5000/a:1", m), mirrorString("localhost-5000/a:1", m));
        // The mirrored reference is itself valid, so it can be parsed and pulled.
        assert.doesNotThrow(() => parseReference(mirrorString("localhost:5000/a:1", m)));
    });

    it("maps the same path on different hosts to different repositories", () => {
        assert.notStrictEqual(mirrorString("gcr.io/a/b:1", m), mirrorString("quay.io/a/b:1", m));
        assert.notStrictEqual(mirrorString("a/b:1", m), mirrorString("ghcr.io/a/b:1", m));
    });

    it("is idempotent", () => {
        const once = mirrorString("quay.io/jetstack/cert-manager-webhook:v1.14.5", m);
        assert.strictEqual(mirrorString(once, m), once);
    });

    it("matches mirror prefixes on a path boundary only", () => {
        assert.ok(isUnderMirror(parseReference("registry.local:5000/kf/x/y:1"), m));
        assert.ok(!isUnderMirror(parseReference("registry.local:5000/kf-evil/x:1"), m));
        assert.ok(!isUnderMirror(parseReference("registry.local:5000/x:1"), m));
        const host = parseMirror("mirror.example.com");
        assert.ok(!isUnderMirror(parseReference("mirror.example.com.evil.io/x:1"), host));
        assert.ok(isUnderMirror(parseReference("MIRROR.example.com/x:1"), host), "hosts compare case-insensitively");
    });

    it("rejects mirror values that are not REGISTRY[/PREFIX]", () => {
        for (const bad of ["", "kubeflow", "https://r.io/x", "r.io/Kf", "r.io/a//b", "r.io:x", "r.io/a b", "r.io/a@sha256:00"]) {
            assert.throws(() => parseMirror(bad), InvalidMirrorError, bad);
        }
        assert.strictEqual(parseMirror("r.io/kf/").location, "r.io/kf");
        assert.strictEqual(parseMirror("localhost:5000").location, "localhost:5000");
    });

    it("names ECR repositories and checks them against ECR's rules", () => {
        const ecr = parseMirror("123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/kubeflow");
        assert.strictEqual(ecrRepositoryName(parseReference("busybox:1.28"), ecr), "kubeflow/docker.io/library/busybox");
        assert.strictEqual(ecrRepositoryName(parseReference("localhost:5000/a"), ecr), "kubeflow/localhost_5000/a");
        assert.match(ecrRepositoryProblem("a") as string, /minimum of 2/);
        assert.match(ecrRepositoryProblem("a/" + "b".repeat(300)) as string, /limit of 256/);
        assert.match(ecrRepositoryProblem("a__b") as string, /grammar/);
        assert.throws(() => ecrRepositoryName(parseReference("a__b/c"), ecr), /grammar/, "a valid OCI name can still be an invalid ECR name");
    });
});
