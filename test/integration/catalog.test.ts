import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { readCatalog, readExample } from "../../lib/source";
import { selectApps } from "../../lib/plan";
import { parseSettings, ConfigError } from "../../lib/config";
import { TREE_191 } from "../../harness/paths";
import { tempDir } from "../support/helpers";

import { needShared } from "../support/helpers";

describe("the v1.9.1 release's catalog", () => {
    before(function () {
        needShared(this);
    });

    it("reads the apps of a release from its example kustomization", () => {
        const apps = readCatalog(TREE_191);
        assert.strictEqual(apps.length, 28);
        assert.strictEqual(new Set(apps.map((a) => a.name)).size, 28, "names are unique");
        assert.ok(apps.every((a) => fs.existsSync(path.join(a.path, "kustomization.yaml"))));
        assert.deepStrictEqual(
            apps.slice(0, 3).map((a) => a.name),
            ["cert-manager", "kubeflow-issuer", "istio-crds"],
        );
    });

    it("reports unknown app names in the config together, naming each key", () => {
        const settings = parseSettings(
            { manifests: { path: TREE_191 }, mirror: { registry: "r.io" }, apps: { enabled: ["pipeline", "nope"], disabled: ["zzz"] } },
            "/",
        );
        assert.throws(
            () => selectApps(readCatalog(TREE_191), settings),
            (e: unknown) =>
                e instanceof ConfigError &&
                e.problems.length === 2 &&
                /kfstack:apps\.enabled\[1\] is "nope"/.test(e.message) &&
                /kfstack:apps\.disabled\[0\] is "zzz"/.test(e.message),
        );
        const only = parseSettings(
            { manifests: { path: TREE_191 }, mirror: { registry: "r.io" }, apps: { enabled: ["cert-manager", "pipeline"], disabled: ["pipeline"] } },
            "/",
        );
        assert.deepStrictEqual(
            selectApps(readCatalog(TREE_191), only).map((a) => a.name),
            ["cert-manager"],
        );
    });
    it("lists the fields an example applies to all its apps, and none for v1.9.1's", () => {
        assert.deepStrictEqual(readExample(TREE_191).wideFields, [], "v1.9.1's components are commented out; sortOptions only orders");
        const dir = tempDir("example-fields");
        fs.mkdirSync(path.join(dir, "example"));
        fs.writeFileSync(
            path.join(dir, "example", "kustomization.yaml"),
            "resources: [../apps/a/base]\nsortOptions: {order: legacy}\ncomponents: [../pss]\npatches: []\nnamespace: ''\nlabels:\n- pairs: {a: b}\n",
        );
        assert.deepStrictEqual(readExample(dir).wideFields, ["components", "labels"]);
    });
});
