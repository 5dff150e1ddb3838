/** lib/render/kustomize: which renderer runs, and what a render's inputs are. */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../support/helpers";
import { closure, kustomizationPaths } from "../../../lib/render";

describe("kustomize renderer", () => {
    it("the built code finds the kustomize scripts/setup.sh built, with neither kustomize nor kubectl on PATH", function () {
        const local = path.join(ROOT, ".tools", "bin", "kustomize");
        if (!fs.existsSync(local)) {
            if (process.env.CI) throw new Error(`${local} is missing; .ci/run builds it with scripts/setup.sh`);
            this.skip();
        }
        // Run from this file's own build (dist/lib/render when the suite runs from dist).
        const module = path.resolve(__dirname, "..", "..", "..", "lib", "render", "kustomize");
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-nopath-"));
        try {
            const r = spawnSync(process.execPath, ["-e", `process.stdout.write(require(${JSON.stringify(module)}).resolveRenderer().command)`], {
                encoding: "utf8",
                env: { ...process.env, PATH: empty },
            });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, local);
        } finally {
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });

    it("a render's inputs are the kustomization's files, bases and patches, and nothing else of the folder", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-closure-"));
        try {
            fs.mkdirSync(path.join(dir, "base"));
            fs.writeFileSync(path.join(dir, "base", "kustomization.yaml"), "resources: [cm.yaml]\n");
            fs.writeFileSync(path.join(dir, "base", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
            fs.mkdirSync(path.join(dir, "app"));
            fs.writeFileSync(path.join(dir, "app", "kustomization.yaml"), "resources: [../base]\npatches: [{path: p.yaml}]\n");
            fs.writeFileSync(path.join(dir, "app", "p.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n");
            fs.writeFileSync(path.join(dir, "app", "notes.md"), "not an input\n");
            assert.deepEqual(kustomizationPaths({ resources: ["../base"], patches: [{ path: "p.yaml" }] }).sort(), ["../base", "p.yaml"]);
            const files = closure(path.join(dir, "app"))
                .files.map((f) => path.relative(dir, f))
                .sort();
            assert.deepEqual(files, ["app/kustomization.yaml", "app/p.yaml", "base/cm.yaml", "base/kustomization.yaml"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
