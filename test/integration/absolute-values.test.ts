/**
 * Kustomizations of newer releases hold values that are valid paths on any machine (a
 * replacement's `delimiter: /`). kfstack follows only the fields kustomize reads, relative to
 * the kustomization, so such a value is never walked as an input. Built from v1.9.1 in a temp dir.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { closure } from "../../lib/render";
import { needShared, runCli, tempDir, TREE_191 } from "../support/helpers";

describe("a release whose kustomizations hold absolute-looking values", () => {
    before(function () {
        needShared(this);
    });

    it("renders: `delimiter: /` and an absolute path in other fields are not inputs", () => {
        const dir = tempDir("absolute");
        const tree = path.join(dir, "v1.9.1");
        fs.cpSync(TREE_191, tree, { recursive: true });
        const file = path.join(tree, "common", "oauth2-proxy", "base", "kustomization.yaml");
        const k = jsyaml.load(fs.readFileSync(file, "utf8")) as any;
        k.replacements[0].targets[0].options.delimiter = "/";
        // A field kustomize does not read as a path, holding one that exists everywhere.
        k.commonAnnotations = { "example.com/home": "/" };
        fs.writeFileSync(file, jsyaml.dump(k));
        const inputs = closure(path.dirname(file)).files;
        assert.ok(
            inputs.every((f) => f.startsWith(tree + path.sep)),
            "every input is inside the release",
        );
        const stack = path.join(dir, "Pulumi.t.yaml");
        fs.writeFileSync(
            stack,
            jsyaml.dump({
                config: { "kfstack:manifests": { path: tree }, "kfstack:mirror": { registry: "r.local/kf" }, "kfstack:apps": { enabled: ["oauth2-proxy"] } },
            }),
        );
        const r = runCli(["render", "--config", stack, "--out", path.join(dir, "out")]);
        assert.strictEqual(r.status, 0, r.stderr);
        const rendered = fs.readFileSync(path.join(dir, "out", "1-oauth2-proxy.yaml"), "utf8");
        assert.match(rendered, /example\.com\/home: \//, "the annotation is rendered as a value");
    });
});
