/**
 * Generality: apps of the v1.9.1 tree that its example does not install (kfp-tekton,
 * BentoML, Seldon, KubeRay, Spark, Model Registry), rendered with real kustomize and
 * run through the same inventory, rewrite and check; and shapes of older releases.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { render } from "../../lib/render";
import { inventoryOf, imageList } from "../../lib/images";
import { rewriteStream } from "../../lib/rewrite";
import { parseMirror } from "../../lib/rewrite";
import { mirrorOnlyViolations } from "../../lib/check";
import { TREE_191 } from "../../harness/paths";
import { publicHostsOutside, tempDir, needShared } from "../support/helpers";

const MIRROR = parseMirror("mirror.local:5000/kf");
const APPS = [
    "apps/kfp-tekton/upstream/env/platform-agnostic-multi-user",
    "contrib/bentoml/bentoml-yatai-stack/default",
    "contrib/seldon/seldon-core-operator/base",
    "contrib/ray/kuberay-operator/base",
    "contrib/spark/spark-operator/base",
    "apps/model-registry/upstream/overlays/db",
];

describe("apps beyond the example (real kustomize renders)", function () {
    before(function () {
        needShared(this);
    });

    this.timeout(120000);
    const cacheDir = tempDir("other-cache");
    for (const app of APPS) {
        it(`${app}: every image found, valid, and under the mirror after rewrite`, async function () {
            if (!fs.existsSync(path.join(TREE_191, app))) this.skip();
            const text = (await render(path.join(TREE_191, app), app, { cacheDir })).text;
            const inv = inventoryOf(text, app);
            assert.deepStrictEqual(
                inv.findings.filter((f) => f.error).map((f) => `${f.path}: ${f.raw}`),
                [],
                "no invalid references",
            );
            const images = imageList(inv.findings);
            assert.ok(images.length > 0, "has images");
            const out = rewriteStream(text, app, MIRROR);
            const after = inventoryOf(out.text, app);
            assert.deepStrictEqual(
                mirrorOnlyViolations(after.findings, [MIRROR]).map((v) => v.message),
                [],
            );
            assert.deepStrictEqual(publicHostsOutside(out.text, MIRROR.location), []);
            assert.strictEqual(imageList(after.findings).length, images.length, "one mirrored image per source image");
        });
    }
});
