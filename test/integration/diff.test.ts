/**
 * `kfstack diff` between kubeflow/manifests v1.9.1 and a tree built here from a copy of it
 * with known changes: an image bumped, an object added to one app, one removed, a CRD schema
 * changed, an app moved to another path. It must report exactly those, in text and JSON.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { needShared, runCliAsync, tempDir, TREE_191 } from "../support/helpers";

describe("kfstack diff between two releases", function () {
    this.timeout(300_000);
    let work: string;
    let next: string;

    before(function () {
        needShared(this);
        work = tempDir("diff");
        next = path.join(work, "next");
        fs.cpSync(TREE_191, next, { recursive: true });
        const edit = (file: string, from: string | RegExp, to: string) => {
            const f = path.join(next, file);
            const text = fs.readFileSync(f, "utf8");
            assert.ok(typeof from === "string" ? text.includes(from) : from.test(text), `${file} has ${from}`);
            fs.writeFileSync(f, text.replace(from, to));
        };
        // An image bumped.
        edit("apps/pvcviewer-controller/upstream/base/kustomization.yaml", "newTag: v1.9.2", "newTag: v1.9.3");
        // An object added to one app, one removed from it, a CRD's schema changed.
        fs.appendFileSync(
            path.join(next, "apps/training-operator/upstream/base/crds/kubeflow.org_tfjobs.yaml"),
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kfstack-diff-added\ndata:\n  a: b\n",
        );
        edit("apps/training-operator/upstream/base/crds/kustomization.yaml", "  - kubeflow.org_xgboostjobs.yaml\n", "");
        edit(
            "apps/training-operator/upstream/base/crds/kubeflow.org_pytorchjobs.yaml",
            "        description: PyTorchJob Represents a PyTorchJob resource.\n        properties:\n",
            "        description: PyTorchJob Represents a PyTorchJob resource.\n        properties:\n          kfstackAdded:\n            type: string\n",
        );
        // An app moved to another path (as releases moved apps/ to applications/).
        fs.mkdirSync(path.join(next, "applications"), { recursive: true });
        fs.renameSync(path.join(next, "apps/centraldashboard"), path.join(next, "applications/centraldashboard"));
        edit("example/kustomization.yaml", "../apps/centraldashboard/", "../applications/centraldashboard/");
    });
    after(() => work && fs.rmSync(work, { recursive: true, force: true }));

    it("reports exactly the changes made, in JSON", async () => {
        const r = await runCliAsync(["diff", TREE_191, next, "--json"], { cwd: work }).done;
        assert.equal(r.status, 0, r.stderr);
        const d = JSON.parse(r.stdout);
        const changed = Object.entries(d.apps as Record<string, any>).filter(([, a]) => a.status !== "same");
        assert.deepEqual(
            changed.map(([n]) => n),
            ["pvcviewer-controller", "training-operator"],
            "the moved app is the same app, unchanged",
        );
        assert.equal(d.apps.centraldashboard.status, "same");
        const pvc = d.apps["pvcviewer-controller"];
        assert.deepEqual(pvc.added, []);
        assert.deepEqual(pvc.removed, []);
        assert.equal(pvc.changed.length, 1);
        assert.match(pvc.changed[0].object, /^apps\/v1\/Deployment\/kubeflow\/pvcviewer-controller-manager$/);
        assert.ok(
            pvc.changed[0].paths.every((p: string) => /containers\[\d+\]\.image$/.test(p)),
            pvc.changed[0].paths.join(","),
        );
        assert.deepEqual(pvc.images, {
            added: ["docker.io/kubeflownotebookswg/pvcviewer-controller:v1.9.3"],
            removed: ["docker.io/kubeflownotebookswg/pvcviewer-controller:v1.9.2"],
        });
        const to = d.apps["training-operator"];
        assert.equal(to.added.length, 1);
        assert.match(to.added[0], /^v1\/ConfigMap\/kubeflow\/kfstack-diff-added$/);
        assert.deepEqual(to.removed, ["apiextensions.k8s.io/v1/CustomResourceDefinition//xgboostjobs.kubeflow.org"]);
        assert.deepEqual(to.crdSchemaChanged, ["apiextensions.k8s.io/v1/CustomResourceDefinition//pytorchjobs.kubeflow.org"]);
        assert.deepEqual(
            to.changed.map((c: { object: string }) => c.object),
            ["apiextensions.k8s.io/v1/CustomResourceDefinition//pytorchjobs.kubeflow.org"],
        );
        assert.deepEqual(d.images, {
            added: ["docker.io/kubeflownotebookswg/pvcviewer-controller:v1.9.3"],
            removed: ["docker.io/kubeflownotebookswg/pvcviewer-controller:v1.9.2"],
        });
        // Per object: what the upgrade's `up` does to it; the dropped CRD is data, kept unless allowed.
        const marks = Object.fromEntries((d.objects as { object: string; mark: string }[]).map((m) => [m.object, m]));
        assert.deepEqual(Object.keys(marks).sort(), [
            "apiextensions.k8s.io/v1/CustomResourceDefinition//pytorchjobs.kubeflow.org",
            "apiextensions.k8s.io/v1/CustomResourceDefinition//xgboostjobs.kubeflow.org",
            "apps/v1/Deployment/kubeflow/pvcviewer-controller-manager",
            "v1/ConfigMap/kubeflow/kfstack-diff-added",
        ]);
        assert.equal(marks["apps/v1/Deployment/kubeflow/pvcviewer-controller-manager"].mark, "updated");
        assert.equal(marks["v1/ConfigMap/kubeflow/kfstack-diff-added"].mark, "created");
        assert.deepEqual(marks["apiextensions.k8s.io/v1/CustomResourceDefinition//xgboostjobs.kubeflow.org"], {
            object: "apiextensions.k8s.io/v1/CustomResourceDefinition//xgboostjobs.kubeflow.org",
            mark: "kept",
            data: {
                name: "CustomResourceDefinition/xgboostjobs.kubeflow.org",
                holds: "every XGBoostJob object in the cluster (deleting a CRD deletes them all)",
            },
        });
    });

    it("the same in text; identical trees: nothing changed", async () => {
        const r = await runCliAsync(["diff", TREE_191, next], { cwd: work }).done;
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^app pvcviewer-controller: 0 added, 0 removed, 1 changed$/m);
        assert.match(r.stdout, /^app training-operator: 1 added, 1 removed, 1 changed$/m);
        assert.match(r.stdout, /^ {2}! CRD schema changed: apiextensions\.k8s\.io\/v1\/CustomResourceDefinition\/\/pytorchjobs\.kubeflow\.org$/m);
        assert.match(r.stdout, /^images to mirror before the upgrade \(1\):\n {2}docker\.io\/kubeflownotebookswg\/pvcviewer-controller:v1\.9\.3$/m);
        assert.match(
            r.stdout,
            /^ {2}DATA: kept \(not in the new release\): CustomResourceDefinition xgboostjobs\.kubeflow\.org — .*kfstack:upgrade\.deleteData/m,
        );
        assert.match(r.stdout, /^ {2}1 created, 2 updated in place, 0 replaced, 0 deleted, 0 moved between apps, 1 with data at risk$/m);
        const same = await runCliAsync(["diff", TREE_191, TREE_191, "--json"], { cwd: work }).done;
        const d = JSON.parse(same.stdout);
        assert.ok(Object.values(d.apps as Record<string, { status: string }>).every((a) => a.status === "same"));
        assert.deepEqual(d.images, { added: [], removed: [] });
        const bad = await runCliAsync(["diff", TREE_191, work], { cwd: work }).done;
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /is not a kubeflow\/manifests tree/);
    });
});
