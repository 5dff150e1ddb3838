/**
 * Integration: `kfstack render` on the real kubeflow/manifests v1.9.1 tree with real kustomize.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { runCli, tempDir, publicHostsOutside, needShared } from "../support/helpers";
import { RENDERED_191, TREE_191 } from "../../harness/paths";
import { rewriteStream } from "../../lib/rewrite";
import { inventoryOf } from "../../lib/images";
import { parseMirror } from "../../lib/rewrite";
import { objectKey, K8sObject, withServerScope } from "../../lib/core";

const MIRROR = "registry.local:5000/kf";
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
const id = (o: Obj) => objectKey(o as K8sObject);

function writeStack(dir: string, config: Record<string, unknown>): string {
    const file = path.join(dir, "Pulumi.test.yaml");
    fs.writeFileSync(file, jsyaml.dump({ config }));
    return file;
}

describe("kfstack render (kubeflow v1.9.1, real kustomize)", function () {
    before(function () {
        needShared(this);
    });

    this.timeout(300000);
    const cwd = process.cwd();
    let work: string;
    before(() => {
        work = tempDir("render");
        process.chdir(work); // the render cache goes to <cwd>/.kfstack-cache
    });
    after(() => process.chdir(cwd));

    it("writes one file per app whose union is the example render after rewrite, 0 images outside the mirror", () => {
        const out = path.join(work, "out");
        const r = runCli(["render", "--manifests", TREE_191, "--mirror", MIRROR, "--out", out]);
        assert.strictEqual(r.status, 0, r.stderr);
        const files = fs
            .readdirSync(out)
            .filter((f) => f.endsWith(".yaml"))
            .sort();
        const apps = new Set(files.filter((f) => f !== "mirror-admission.yaml").map((f) => f.replace(/(\.crds)?\.yaml$/, "")));
        assert.strictEqual(apps.size, 28, [...apps].join(","));
        assert.deepStrictEqual(
            r.stdout.trim().split("\n"),
            files.map((f) => path.join(out, f)),
        );
        assert.deepStrictEqual(files.slice(0, 2), ["01-cert-manager.crds.yaml", "01-cert-manager.yaml"], "an app's CRDs in a file before its objects");
        for (const f of files) {
            const kinds = (jsyaml.loadAll(fs.readFileSync(path.join(out, f), "utf8")) as Obj[]).map((d) => d.kind);
            assert.strictEqual(
                kinds.every((k) => k === "CustomResourceDefinition"),
                f.endsWith(".crds.yaml"),
                f,
            );
        }
        const script = fs.readFileSync(path.join(out, "apply.sh"), "utf8");
        const applied = [...script.matchAll(/kubectl apply --server-side --force-conflicts -f "([^"]+)"/g)].map((m) => m[1]);
        assert.deepStrictEqual(applied, files, "apply.sh applies every file, in order");
        assert.equal(files[files.length - 1], "mirror-admission.yaml", "the run-time mirror rule is applied last");
        const admission = jsyaml.loadAll(fs.readFileSync(path.join(out, "mirror-admission.yaml"), "utf8")) as Obj[];
        assert.deepStrictEqual(admission.map((d) => d.kind).sort(), [
            ...Array(3).fill("ValidatingAdmissionPolicy"),
            ...Array(3).fill("ValidatingAdmissionPolicyBinding"),
        ]);
        files.splice(files.indexOf("mirror-admission.yaml"), 1);
        const rendered = new Map<string, Obj>();
        let text = "";
        for (const f of files) {
            const t = fs.readFileSync(path.join(out, f), "utf8");
            text += t;
            for (const d of jsyaml.loadAll(t) as Obj[])
                if (d) {
                    assert.ok(!rendered.has(id(d)), `${id(d)} written once`);
                    rendered.set(id(d), d);
                }
        }
        const expected = new Map<string, Obj>();
        const rewritten = rewriteStream(fs.readFileSync(RENDERED_191, "utf8"), "example", parseMirror(MIRROR)).text;
        // Identities as the API server has them: no namespace on cluster-scoped objects (withServerScope).
        const docs = (jsyaml.loadAll(rewritten) as Obj[]).filter(Boolean);
        withServerScope(docs as unknown as K8sObject[]);
        for (const d of docs) expected.set(id(d), d);
        // Knative must not resolve tags against the mirror (transforms.knativeSkipTagResolving, on by default).
        const deployment = expected.get("v1/ConfigMap/knative-serving/config-deployment") as Obj & { data: Record<string, string> };
        deployment.data["registries-skipping-tag-resolving"] = `kind.local,ko.local,dev.local,${parseMirror(MIRROR).host}`;
        assert.strictEqual(rendered.size, expected.size);
        for (const [k, v] of expected) assert.deepStrictEqual(rendered.get(k), v, k);
        const inv = inventoryOf(text, "render");
        assert.deepStrictEqual(
            inv.findings.filter((f) => !f.ref || !f.ref.name.startsWith(MIRROR + "/")).map((f) => f.reference),
            [],
        );
        assert.deepStrictEqual(publicHostsOutside(text, MIRROR), []);
        const images = fs.readFileSync(path.join(out, "images.txt"), "utf8").trim().split("\n");
        assert.strictEqual(images.length, 89);
        const plan = fs
            .readFileSync(path.join(out, "mirror-plan.tsv"), "utf8")
            .trim()
            .split("\n")
            .map((l) => l.split("\t"));
        assert.strictEqual(plan.length, 89);
        assert.deepStrictEqual(plan.map((r) => r[1]).sort(), images, "each source image has its mirror reference");
        assert.ok(
            plan.every((r) => !r[0].startsWith(MIRROR) && r[2].startsWith("kf/")),
            "sources are public, ECR repositories are under the prefix",
        );
    });

    it("renders the same from the dev stack file, with its transforms", () => {
        const out = path.join(work, "dev");
        const stack = jsyaml.load(fs.readFileSync(path.join(cwd, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, any> };
        stack.config["kfstack:manifests"] = { path: TREE_191 };
        const file = writeStack(work, stack.config);
        const r = runCli(["render", "--config", file, "--out", out]);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /Dex users .*pulumi up/);
        const all = fs
            .readdirSync(out)
            .filter((f) => f.endsWith(".yaml"))
            .map((f) => fs.readFileSync(path.join(out, f), "utf8"))
            .join("");
        const gateway = (jsyaml.loadAll(all) as any[]).find((d) => d?.kind === "Service" && d.metadata.name === "istio-ingressgateway");
        assert.strictEqual(gateway.spec.type, "NodePort");
        assert.ok(fs.readdirSync(out).some((f) => /-user-profiles\.yaml$/.test(f)));
        // A second render replaces the folder it wrote.
        assert.strictEqual(runCli(["render", "--config", file, "--out", out]).status, 0);
    });

    const bad: [string, Record<string, unknown>, RegExp][] = [
        [
            "an unknown app",
            { "kfstack:apps": { disabled: ["pipelines-typo"] } },
            /kfstack:apps\.disabled\[0\] is "pipelines-typo", not an app of this release; apps: .*pipeline/,
        ],
        [
            "a missing manifests path",
            { "kfstack:manifests": { path: "/nonexistent/manifests" } },
            /manifests directory \/nonexistent\/manifests does not exist; set kfstack:manifests\.path/,
        ],
        [
            "a path that is not a kustomization",
            { "kfstack:apps": { extra: [{ name: "mine", path: "/tmp" }] } },
            /app mine \(kfstack:apps\.extra\[0\]\.path \/tmp\): \/tmp is not a kustomization/,
        ],
        [
            "several problems at once",
            { "kfstack:mirror": { registy: "r.io" }, "kfstack:cluster": { type: "gke" } },
            /2 problems[\s\S]*kfstack:mirror\.registy is not a setting of kfstack:mirror; did you mean kfstack:mirror\.registry\?[\s\S]*kfstack:cluster\.type is "gke"; use one of onprem, eks/,
        ],
    ];
    for (const [what, config, message] of bad) {
        it(`refuses ${what}: one error naming the key, exit 2, nothing written`, () => {
            const base = { "kfstack:manifests": { path: TREE_191 }, "kfstack:mirror": { registry: MIRROR } };
            const file = writeStack(work, { ...base, ...config });
            const out = path.join(work, `bad-${Math.random().toString(36).slice(2)}`);
            const r = runCli(["render", "--config", file, "--out", out]);
            assert.strictEqual(r.status, 2, r.stderr);
            assert.strictEqual(r.stdout, "");
            assert.match(r.stderr, message);
            assert.ok(!fs.existsSync(out), "no output folder");
        });
    }

    it("refuses to replace a folder it did not write", () => {
        const out = path.join(work, "mine");
        fs.mkdirSync(out);
        fs.writeFileSync(path.join(out, "keep.txt"), "mine");
        const r = runCli(["render", "--manifests", TREE_191, "--mirror", MIRROR, "--out", out]);
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /holds files kfstack did not write \(keep\.txt\); nothing was changed/);
        assert.deepStrictEqual(fs.readdirSync(out), ["keep.txt"]);
    });
});
