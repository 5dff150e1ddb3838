import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { preparePlatform } from "../../lib/plan";
import { manifestsDir } from "../../lib/source";
import { parseSettings } from "../../lib/config";
import { useMocks } from "../../harness/mocks";
import { devConfig } from "../../harness/stacks";
import { tempDir, needShared } from "../support/helpers";
import { TREE_191 } from "../../harness/paths";
import { rewriteStream } from "../../lib/rewrite";

/** A tiny release: example/ with two apps, one defining a CRD the other uses. */
function release(dir: string): void {
    const files: Record<string, string> = {
        "example/kustomization.yaml": "resources:\n- ../common/widgets/base\n- ../apps/gadget/upstream/overlays/kubeflow\n",
        "common/widgets/base/kustomization.yaml": "resources:\n- crd.yaml\n",
        "common/widgets/base/crd.yaml":
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n",
        "apps/gadget/upstream/overlays/kubeflow/kustomization.yaml": "resources:\n- app.yaml\n",
        "apps/gadget/upstream/overlays/kubeflow/app.yaml":
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: kubeflow\nspec:\n  image: quay.io/example/widget:1.0\n",
    };
    for (const [p, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        fs.writeFileSync(path.join(dir, p), text);
    }
}

describe("platform preparation", function () {
    before(function () {
        needShared(this);
    });

    this.timeout(60000);
    const cwd = process.cwd();
    let work: string;
    before(() => {
        work = tempDir("platform");
        process.chdir(work);
    });
    after(() => process.chdir(cwd));

    it("takes the manifests from git URL + ref, cloned once (a local repository here, no network)", async () => {
        const repo = path.join(work, "manifests-repo");
        release(repo);
        const git = (...args: string[]) => assert.strictEqual(spawnSync("git", args, { cwd: repo, encoding: "utf8" }).status, 0, args.join(" "));
        git("init", "-q");
        git("add", ".");
        git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "release");
        git("tag", "v9.9.9");
        const settings = parseSettings(
            { manifests: { git: `file://${repo}`, ref: "v9.9.9" }, mirror: { registry: "mirror.local/kf" }, kustomize: { cacheDir: path.join(work, "cache") } },
            work,
        );
        const prepared = await preparePlatform(settings);
        assert.deepStrictEqual(
            prepared.apps.map((a) => a.name),
            ["widgets", "gadget"],
        );
        assert.deepStrictEqual(prepared.apps[1].dependsOn, ["widgets"], "the CRD's app first");
        assert.deepStrictEqual(prepared.apps[1].images, ["mirror.local/kf/quay.io/example/widget:1.0"]);
        assert.strictEqual(manifestsDir(settings), manifestsDir(settings), "cloned once, then reused");
        const bad = parseSettings({ manifests: { git: `file://${repo}`, ref: "v0.0.0-missing" }, mirror: { registry: "mirror.local/kf" } }, work);
        assert.throws(() => manifestsDir(bad), /kfstack:manifests\.git: cannot clone .* at v0\.0\.0-missing/);
    });

    it("applies what the example applies to all apps (its Pod Security component, labels), app by app", async function () {
        // The v1.9.1 example offers Pod Security Standards as `components` to uncomment: a release
        // of two real v1.9.1 apps plus a disabled one, whose example uncomments the dynamic one.
        const rel = path.join(work, "pss-release");
        const up = path.relative(path.join(rel, "example"), TREE_191);
        const apps = ["common/kubeflow-namespace/base", "apps/profiles/upstream/overlays/kubeflow", "apps/pvcviewer-controller/upstream/base"];
        const example = (extra: string) => {
            fs.mkdirSync(path.join(rel, "example"), { recursive: true });
            fs.writeFileSync(
                path.join(rel, "example", "kustomization.yaml"),
                [
                    "resources:",
                    ...apps.map((a) => `- ${up}/${a}`),
                    "components:",
                    `- ${up}/contrib/security/PSS/dynamic/baseline`,
                    "labels:",
                    "- pairs: {example.com/installed-by: example}",
                    extra,
                    "",
                ].join("\n"),
            );
        };
        example("");
        const settings = parseSettings(
            {
                manifests: { path: rel },
                mirror: { registry: "mirror.local/kf" },
                apps: { disabled: ["pvcviewer-controller"] },
                kustomize: { cacheDir: path.join(work, "cache") },
            },
            work,
        );
        const prepared = await preparePlatform(settings);
        assert.deepStrictEqual(
            prepared.apps.map((a) => a.name),
            ["kubeflow-namespace", "profiles"],
        );
        const kustomize = (dir: string) => {
            const r = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 << 20 });
            assert.strictEqual(r.status, 0, r.stderr);
            // As kfstack installs them: images under the mirror.
            return (rewriteStream(r.stdout, dir, settings.mirror).values as any[]).filter(Boolean);
        };
        const key = (o: any) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
        const disabled = new Set(kustomize(path.join(TREE_191, apps[2])).map(key));
        const expected = kustomize(path.join(rel, "example")).filter((o) => !disabled.has(key(o)));
        const objects = prepared.apps.flatMap((a) => a.objects) as any[];
        assert.ok(
            objects.every((o) => o.metadata.labels?.["example.com/installed-by"] === "example"),
            "the example's labels reach every app",
        );
        const labels = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("namespace-labels-data-"));
        assert.match(
            labels.data["namespace-labels.yaml"],
            /pod-security\.kubernetes\.io\/enforce: ["']?baseline/,
            "the component's ConfigMap merge, under its new hash name",
        );
        const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "profiles-deployment");
        assert.ok(JSON.stringify(deployment.spec.template.spec.volumes).includes(labels.metadata.name), "and the Deployment mounts it by that name");
        assert.deepStrictEqual(objects.map(key).sort(), expected.map(key).sort(), "the objects of `kubectl kustomize example`, but the disabled app's");
        for (const o of expected)
            assert.deepStrictEqual(
                objects.find((x) => key(x) === key(o)),
                o,
                key(o),
            );
        example("configMapGenerator:\n- {name: stray, namespace: kubeflow, literals: [a=b]}");
        await assert.rejects(
            preparePlatform(settings),
            /adds 1 object\(s\) that no app renders \(v1\/ConfigMap\/kubeflow\/stray-[a-z0-9]+\).*kfstack:apps\.extra/,
        );
    });

    it("the Pulumi program stops on bad stack config with every problem, naming the keys, as one message (a RunError: no stack trace)", async () => {
        useMocks(devConfig({ "kfstack:mirror": { registry: "kubeflow" }, "kfstack:transforms": { imagePullPolicy: "Sometimes" } }));
        const program = require("../../index") as () => Promise<unknown>;
        await assert.rejects(
            program(),
            (e: unknown) =>
                e instanceof pulumi.RunError &&
                /kfstack:mirror\.registry: invalid mirror "kubeflow"/.test(e.message) &&
                /kfstack:transforms\.imagePullPolicy is "Sometimes"; use one of IfNotPresent, Always, Never/.test(e.message),
        );
    });
});
