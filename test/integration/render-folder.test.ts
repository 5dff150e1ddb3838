/**
 * `kfstack render --out`: only files kfstack wrote are ever replaced, a symlinked folder stays
 * a link, a failed write (a full disk) leaves the earlier render and no staging folder, and a
 * reader that closes the pipe ends the CLI quietly. A tiny release, rendered with real kustomize.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { CLI } from "../../harness/paths";
import { runCli, smallDisk, tempDir, tinyRelease as release } from "../support/helpers";

const render = (rel: string, out: string, cwd: string) =>
    spawnSync(process.execPath, [CLI, "render", "--manifests", rel, "--mirror", "r.local:5000/kf", "--out", out], { cwd, encoding: "utf8" });

describe("kfstack render: the output folder", () => {
    it("re-renders into its own earlier render, replacing only the files it listed", () => {
        const dir = tempDir("rf");
        const rel = release(dir);
        const out = path.join(dir, "out");
        const first = render(rel, out, dir);
        assert.strictEqual(first.status, 0, first.stderr);
        const manifest = fs
            .readFileSync(path.join(out, ".kfstack-render"), "utf8")
            .split("\n")
            .filter((l) => l && !l.startsWith("#"));
        assert.deepStrictEqual(
            manifest.sort(),
            fs
                .readdirSync(out)
                .filter((f) => f !== ".kfstack-render")
                .sort(),
            "the manifest lists what was written",
        );
        fs.writeFileSync(path.join(out, "1-hello.yaml"), "edited by hand");
        const second = render(rel, out, dir);
        assert.strictEqual(second.status, 0, second.stderr);
        assert.notStrictEqual(fs.readFileSync(path.join(out, "1-hello.yaml"), "utf8"), "edited by hand", "its own file is replaced");
        // A file of the user's: the render refuses, and nothing changes.
        fs.writeFileSync(path.join(out, "NOTES.md"), "mine");
        const before = fs.readdirSync(out).sort();
        const third = render(rel, out, dir);
        assert.strictEqual(third.status, 2);
        assert.match(third.stderr, /holds files kfstack did not write \(NOTES\.md\)/);
        assert.deepStrictEqual(fs.readdirSync(out).sort(), before);
        assert.strictEqual(fs.readFileSync(path.join(out, "NOTES.md"), "utf8"), "mine");
        assert.deepStrictEqual(
            fs.readdirSync(dir).filter((f) => f.includes(".kfstack-") && f !== ".kfstack-cache"),
            [],
            "no staging folder left",
        );
    });

    it("renders through a symlinked --out into the folder it points at; the link stays a link", () => {
        const dir = tempDir("rf");
        const rel = release(dir);
        const real = path.join(dir, "real");
        fs.mkdirSync(real);
        fs.symlinkSync(real, path.join(dir, "link"));
        for (let i = 0; i < 2; i++) {
            const r = render(rel, path.join(dir, "link"), dir);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.ok(fs.lstatSync(path.join(dir, "link")).isSymbolicLink(), "still a link");
            assert.ok(fs.existsSync(path.join(real, "apply.sh")), "the render is in the linked folder");
        }
    });

    it("on a full disk: exit 2 naming --out, the earlier render intact, no staging folder", function () {
        // A 64 KiB file system: the first render fits, the second (a 200 KiB ConfigMap) does not.
        const { dir, mount, unmount } = smallDisk(this);
        try {
            const out = path.join(mount, "out");
            assert.strictEqual(render(release(path.join(dir, "a"), 100), out, dir).status, 0);
            const before = fs.readFileSync(path.join(out, "1-hello.yaml"), "utf8");
            const r = render(release(path.join(dir, "b"), 200 * 1024), out, dir);
            assert.strictEqual(r.status, 2, r.stderr);
            assert.strictEqual(r.stdout, "");
            assert.match(r.stderr, /^kfstack: --out .*small\/out: cannot write the render: no space left on the device/);
            assert.strictEqual(fs.readFileSync(path.join(out, "1-hello.yaml"), "utf8"), before, "the earlier render is intact");
            assert.deepStrictEqual(fs.readdirSync(mount), ["out"], "no staging folder left");
        } finally {
            unmount();
        }
    });

    it("ends quietly when the reader closes the pipe (`kfstack rewrite ... | head -1`)", () => {
        const dir = tempDir("pipe");
        const file = path.join(dir, "big.yaml");
        const doc = (i: number) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}}\nspec:\n  containers:\n  - {name: a, image: "gcr.io/a/b:${i}"}\n`;
        fs.writeFileSync(file, Array.from({ length: 20000 }, (_, i) => doc(i)).join("---\n"));
        const r = spawnSync(
            "bash",
            ["-c", `set -o pipefail; "${process.execPath}" "${CLI}" rewrite --mirror r.io "${file}" | head -1; echo "status=\${PIPESTATUS[0]}" >&2`],
            {
                encoding: "utf8",
            },
        );
        assert.strictEqual(r.stdout, "apiVersion: v1\n");
        assert.strictEqual(r.stderr, "status=0\n", "no message, exit 0");
    });

    it("warns of a payload it cannot read on images/rewrite, and check fails on it", () => {
        const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: kf}\ndata:\n  config.json: \'{"image": "gcr.io/a/b:1" "tag": 1}\'\n';
        const secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: kf}\ndata:\n  values: not*base64\n";
        const stream = cm + "---\n" + secret;
        const images = runCli(["images", "-"], stream);
        assert.strictEqual(images.status, 0);
        assert.strictEqual(images.stdout, "");
        assert.match(images.stderr, /warning: <stdin>:1: ConfigMap kf\/c data\["config\.json"\]: the value looks like JSON but does not parse/);
        assert.match(images.stderr, /warning: <stdin>:6: Secret kf\/s data\.values: the value is not base64/);
        const rewrite = runCli(["rewrite", "--mirror", "r.io"], stream);
        assert.strictEqual(rewrite.status, 0);
        assert.strictEqual(rewrite.stdout, stream, "left as it was");
        assert.strictEqual(rewrite.stderr.split("\n").filter(Boolean).length, 2);
        const check = runCli(["check", "--mirror", "r.io"], stream);
        assert.strictEqual(check.status, 1, "it cannot vouch for what it cannot read");
        assert.strictEqual(check.stdout.split("\n").filter(Boolean).length, 2);
        assert.match(check.stdout, /ConfigMap kf\/c data\["config\.json"\]: the value looks like JSON but does not parse/);
    });
});
