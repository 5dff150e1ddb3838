import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { runCli, tempDir } from "../../support/helpers";
import { run } from "../../../lib/cli/main";

const POD =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\nspec:\n  containers:\n  - name: a\n    image: busybox:1.28\n  - name: b\n    image: gcr.io/x/y:1\n";

describe("kfstack CLI contract", () => {
    it("images: one normalised reference per line, sorted and unique, from a file or stdin", () => {
        const dir = tempDir("cli");
        const file = path.join(dir, "in.yaml");
        fs.writeFileSync(file, POD + "---\n" + POD.replace("name: p", "name: q"));
        const fromFile = runCli(["images", file]);
        assert.strictEqual(fromFile.status, 0, fromFile.stderr);
        assert.strictEqual(fromFile.stdout, "docker.io/library/busybox:1.28\ngcr.io/x/y:1\n");
        const fromStdin = runCli(["images", "-"], POD);
        assert.strictEqual(fromStdin.stdout, fromFile.stdout);
        assert.strictEqual(runCli(["images"], POD).stdout, fromFile.stdout);
    });

    it("rewrite: the same stream with the references under the mirror", () => {
        const r = runCli(["rewrite", "--mirror", "registry.local:5000/kf"], POD);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(
            r.stdout,
            POD.replace("busybox:1.28", "registry.local:5000/kf/docker.io/library/busybox:1.28").replace("gcr.io/x/y:1", "registry.local:5000/kf/gcr.io/x/y:1"),
        );
    });

    it("check: lists each reference outside the mirror with object and path, exit 1; exit 0 when clean", () => {
        const bad = runCli(["check", "--mirror", "registry.local:5000/kf"], POD);
        assert.strictEqual(bad.status, 1);
        const lines = bad.stdout.trim().split("\n");
        assert.strictEqual(lines.length, 2);
        assert.match(lines[0], /^Pod ns\/p at spec\.containers\[0\]\.image: docker\.io\/library\/busybox:1\.28 is not served from registry\.local:5000\/kf/);
        const rewritten = runCli(["rewrite", "--mirror", "registry.local:5000/kf"], POD).stdout;
        const good = runCli(["check", "--mirror", "registry.local:5000/kf"], rewritten);
        assert.strictEqual(good.status, 0, good.stdout);
        assert.strictEqual(good.stdout, "");
        // More than one allowed mirror.
        const two = runCli(["check", "--mirror", "other.io", "--mirror", "registry.local:5000/kf"], rewritten);
        assert.strictEqual(two.status, 0);
    });

    it("plan: source, mirror reference and ECR repository per image", () => {
        const r = runCli(["plan", "--mirror", "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/kf"], POD);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(
            r.stdout
                .trim()
                .split("\n")
                .map((l) => l.split("\t")),
            [
                [
                    "docker.io/library/busybox:1.28",
                    "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/kf/docker.io/library/busybox:1.28",
                    "kf/docker.io/library/busybox",
                ],
                ["gcr.io/x/y:1", "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/kf/gcr.io/x/y:1", "kf/gcr.io/x/y"],
            ],
        );
    });

    const badInputs: [string, string[], string | undefined, RegExp][] = [
        ["invalid YAML", ["images", "-"], "kind: Pod\nmetadata: {name: [\n", /<stdin>:\d+:\d+: invalid YAML/],
        ["an unreadable file", ["images", "/nonexistent/x.yaml"], undefined, /\/nonexistent\/x\.yaml: cannot read the YAML stream: no such file/],
        ["a directory", ["images", "/tmp"], undefined, /\/tmp: cannot read the YAML stream: is a directory/],
        ["a bad mirror value", ["rewrite", "--mirror", "kubeflow"], POD, /invalid mirror "kubeflow".*REGISTRY\[\/PREFIX\]/],
        ["a mirror with a scheme", ["check", "--mirror", "https://r.io"], POD, /drop the URL scheme/],
        ["a missing mirror", ["rewrite"], POD, /needs --mirror/],
        [
            "an invalid reference",
            ["rewrite", "--mirror", "r.io"],
            POD.replace("busybox:1.28", "BusyBox:1.28"),
            /<stdin>:1: Pod ns\/p spec\.containers\[0\]\.image: invalid image reference "BusyBox:1\.28": .*upper case/s,
        ],
        ["an unknown command", ["imagez"], POD, /unknown command "imagez"/],
        ["an unknown option", ["images", "--frobnicate"], POD, /unknown option --frobnicate/],
    ];
    for (const [what, args, input, message] of badInputs) {
        it(`bad input: ${what} → one error naming it, exit 2, nothing on stdout`, () => {
            const r = runCli(args, input);
            assert.strictEqual(r.status, 2, r.stderr);
            assert.strictEqual(r.stdout, "");
            assert.match(r.stderr, message);
        });
    }

    it("writes nothing when one document of many is bad", async () => {
        const stream = POD + "---\n" + POD.replace("busybox:1.28", "busybox:1.28 bad");
        const r = await run(["rewrite", "--mirror", "r.io"], () => stream);
        assert.strictEqual(r.code, 2);
        assert.strictEqual(r.stdout, "");
        assert.match(r.stderr, /white space/);
    });
});
