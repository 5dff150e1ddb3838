import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { preparePlatform, manifestsDir } from "../lib/platform";
import { parseSettings, ConfigError } from "../lib/settings";
import { useMocks } from "./mocks";
import { devConfig } from "./stacks";
import { tempDir } from "./helpers";

/** A tiny release: example/ with two apps, one defining a CRD the other uses. */
function release(dir: string): void {
    const files: Record<string, string> = {
        "example/kustomization.yaml": "resources:\n- ../common/widgets/base\n- ../apps/gadget/upstream/overlays/kubeflow\n",
        "common/widgets/base/kustomization.yaml": "resources:\n- crd.yaml\n",
        "common/widgets/base/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n",
        "apps/gadget/upstream/overlays/kubeflow/kustomization.yaml": "resources:\n- app.yaml\n",
        "apps/gadget/upstream/overlays/kubeflow/app.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: kubeflow\nspec:\n  image: quay.io/example/widget:1.0\n",
    };
    for (const [p, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        fs.writeFileSync(path.join(dir, p), text);
    }
}

describe("platform preparation", function () {
    this.timeout(60000);
    const cwd = process.cwd();
    let work: string;
    before(() => { work = tempDir("platform"); process.chdir(work); });
    after(() => process.chdir(cwd));

    it("takes the manifests from git URL + ref, cloned once (a local repository here, no network)", async () => {
        const repo = path.join(work, "manifests-repo");
        release(repo);
        const git = (...args: string[]) => assert.strictEqual(spawnSync("git", args, { cwd: repo, encoding: "utf8" }).status, 0, args.join(" "));
        git("init", "-q");
        git("add", ".");
        git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "release");
        git("tag", "v9.9.9");
        const settings = parseSettings({ manifests: { git: `file://${repo}`, ref: "v9.9.9" }, mirror: { registry: "mirror.local/kf" }, kustomize: { cacheDir: path.join(work, "cache") } }, work);
        const prepared = await preparePlatform(settings);
        assert.deepStrictEqual(prepared.apps.map((a) => a.name), ["widgets", "gadget"]);
        assert.deepStrictEqual(prepared.apps[1].dependsOn, ["widgets"], "the CRD's app first");
        assert.deepStrictEqual(prepared.apps[1].images, ["mirror.local/kf/quay.io/example/widget:1.0"]);
        assert.strictEqual(manifestsDir(settings), manifestsDir(settings), "cloned once, then reused");
        const bad = parseSettings({ manifests: { git: `file://${repo}`, ref: "v0.0.0-missing" }, mirror: { registry: "mirror.local/kf" } }, work);
        assert.throws(() => manifestsDir(bad), /kfstack:manifests\.git: cannot clone .* at v0\.0\.0-missing/);
    });

    it("the Pulumi program stops on bad stack config with every problem, naming the keys", async () => {
        useMocks(devConfig({ "kfstack:mirror": { registry: "kubeflow" }, "kfstack:transforms": { imagePullPolicy: "Sometimes" } }));
        const program = require("../index") as () => Promise<unknown>;
        await assert.rejects(program(), (e: unknown) => e instanceof ConfigError
            && /kfstack:mirror\.registry: invalid mirror "kubeflow"/.test(e.message)
            && /kfstack:transforms\.imagePullPolicy is "Sometimes"; use one of IfNotPresent, Always, Never/.test(e.message));
    });
});
