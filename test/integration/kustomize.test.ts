import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { render, closure } from "../../lib/render";
import { isRemote } from "../../lib/source";
import { tempDir } from "../support/helpers";

function tree(files: Record<string, string>): string {
    const dir = tempDir("kz");
    for (const [p, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        fs.writeFileSync(path.join(dir, p), text);
    }
    return dir;
}

const CM = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: "${value}"\n`;

describe("kustomize rendering", function () {
    this.timeout(60000);

    it("walks every input a kustomization can read: resources, bases, patches, generator files", () => {
        const dir = tree({
            "base/kustomization.yaml": "resources:\n- cm.yaml\n",
            "base/cm.yaml": CM("a", "1"),
            "app/kustomization.yaml":
                "resources:\n- ../base\npatches:\n- path: patch.yaml\nconfigMapGenerator:\n- name: gen\n  files:\n  - conf=files/conf.txt\n",
            "app/patch.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: "2"\n',
            "app/files/conf.txt": "x=1\n",
            "unrelated.yaml": CM("z", "0"),
        });
        const c = closure(path.join(dir, "app"));
        const rel = c.files.map((f) => path.relative(fs.realpathSync(dir), f)).sort();
        assert.deepStrictEqual(rel, ["app/files/conf.txt", "app/kustomization.yaml", "app/patch.yaml", "base/cm.yaml", "base/kustomization.yaml"]);
        assert.deepStrictEqual(c.remotes, []);
    });

    it("caches a render by its inputs: unchanged inputs are not rendered again, a changed one is", async () => {
        const dir = tree({ "app/kustomization.yaml": "resources:\n- cm.yaml\n", "app/cm.yaml": CM("a", "1") });
        const cacheDir = tempDir("cache");
        const first = await render(path.join(dir, "app"), "app", { cacheDir });
        assert.strictEqual(first.cached, false);
        assert.strictEqual((jsyaml.load(first.text) as any).data.k, "1");
        const second = await render(path.join(dir, "app"), "app", { cacheDir });
        assert.strictEqual(second.cached, true);
        assert.strictEqual(second.text, first.text);
        fs.writeFileSync(path.join(dir, "app/cm.yaml"), CM("a", "2"));
        const third = await render(path.join(dir, "app"), "app", { cacheDir });
        assert.strictEqual(third.cached, false);
        assert.notStrictEqual(third.key, first.key);
        assert.strictEqual((jsyaml.load(third.text) as any).data.k, "2");
    });

    it("uses the configured binary, and names it when it cannot run", async () => {
        const dir = tree({ "app/kustomization.yaml": "resources:\n- cm.yaml\n", "app/cm.yaml": CM("a", "1") });
        const viaKubectl = await render(path.join(dir, "app"), "app", { binary: "kubectl", cacheDir: false });
        assert.match(viaKubectl.text, /name: a/);
        await assert.rejects(
            render(path.join(dir, "app"), "app", { binary: "/nonexistent/kustomize", cacheDir: false }),
            /kustomize binary "\/nonexistent\/kustomize" cannot be run; set kfstack:kustomize\.binary/,
        );
    });

    it("reports a failed render with kustomize's error, naming the app", async () => {
        const dir = tree({ "app/kustomization.yaml": "resources:\n- missing.yaml\n" });
        await assert.rejects(render(path.join(dir, "app"), "app broken", { cacheDir: false }), /app broken: .*kustomize.*failed: .*missing\.yaml/);
    });

    it("names an unmapped remote base, and renders a mapped one from its local checkout", async () => {
        const url = "https://github.com/example/manifests//base?ref=v1.0.0";
        assert.ok(isRemote(url) && isRemote("github.com/example/x") && !isRemote("../base"));
        const dir = tree({
            "app/kustomization.yaml": `resources:\n- ${url}\n- cm.yaml\n`,
            "app/cm.yaml": CM("local", "1"),
            "checkout/base/kustomization.yaml": "resources:\n- remote.yaml\n",
            "checkout/base/remote.yaml": CM("from-remote", "1"),
        });
        await assert.rejects(
            render(path.join(dir, "app"), "app x", { cacheDir: false }),
            (e: Error) =>
                e.message.includes("app x: remote kustomize bases cannot be fetched offline") &&
                e.message.includes(url) &&
                e.message.includes("kfstack:kustomize.remotes"),
        );
        const out = await render(path.join(dir, "app"), "app x", { cacheDir: false, remotes: { [url]: path.join(dir, "checkout/base") } });
        const names = (jsyaml.loadAll(out.text) as any[]).map((d) => d.metadata.name).sort();
        assert.deepStrictEqual(names, ["from-remote", "local"]);
    });

    it("renders a remote file (a release's manifests.yaml) from a local copy, and again when the copy changes", async () => {
        // As the Trainer's third-party JobSet in newer releases: a release asset URL, patched locally.
        const url = "https://github.com/example/jobset/releases/download/v0.8.2/manifests.yaml";
        const dir = tree({
            "app/kustomization.yaml": `resources:\n  - ${url}\npatches:\n  - path: drop-ns.yaml\n    target: {kind: Namespace}\n`,
            "app/drop-ns.yaml": "$patch: delete\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n",
            "copies/manifests.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: jobset-system}\n---\n" + CM("jobset-config", "1"),
        });
        const options = { cacheDir: path.join(dir, "cache"), remotes: { [url]: path.join(dir, "copies/manifests.yaml") } };
        const first = await render(path.join(dir, "app"), "app jobset", options);
        assert.deepStrictEqual(
            (jsyaml.loadAll(first.text) as any[]).map((d) => `${d.kind}/${d.metadata.name}`),
            ["ConfigMap/jobset-config"],
            "the copy, with the app's patch",
        );
        assert.strictEqual((await render(path.join(dir, "app"), "app jobset", options)).cached, true);
        fs.writeFileSync(path.join(dir, "copies/manifests.yaml"), CM("jobset-config", "2"));
        const changed = await render(path.join(dir, "app"), "app jobset", options);
        assert.strictEqual(changed.cached, false, "a changed copy is a changed input");
        assert.strictEqual((jsyaml.load(changed.text) as any).data.k, "2");
    });
});
