/**
 * Integration: the real kubeflow/manifests v1.9.1 render (../shared), through the CLI as a process.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { RENDERED_191, ROOT } from "../../harness/paths";
import { runCli, publicHostsOutside, needShared } from "../support/helpers";
import { inventoryOf } from "../../lib/images";
import { parseReference } from "../../lib/images";
import { describeObject } from "../../lib/core";

const MIRROR = "registry.local:5000/kf";

function expected(): { image: string; object: string; path: string }[] {
    return fs
        .readFileSync(path.join(ROOT, "test", "integration", "fixtures", "kubeflow-v1.9.1-images.tsv"), "utf8")
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => {
            const [image, object, p] = l.split("\t");
            return { image, object, path: p };
        });
}

describe("kubeflow/manifests v1.9.1 render", function () {
    before(function () {
        needShared(this);
    });

    const text = fs.readFileSync(RENDERED_191, "utf8");
    let rewritten = "";

    it("kfstack images prints exactly the 89 images of the expected list", () => {
        const r = runCli(["images", RENDERED_191]);
        assert.strictEqual(r.status, 0, r.stderr);
        const got = r.stdout.trim().split("\n");
        const want = expected().map((e) => e.image);
        assert.strictEqual(want.length, 89);
        assert.deepStrictEqual(got, [...want].sort());
    });

    it("each expected image is at the place the list names, and its text is in the data", () => {
        const inv = inventoryOf(text, RENDERED_191);
        for (const e of expected()) {
            const here = inv.findings.filter((f) => f.reference === e.image && describeObject(f.object) === e.object && f.path === e.path);
            assert.ok(here.length > 0, `${e.image} at ${e.object} ${e.path}`);
            // The written form (short names keep no docker.io/library) occurs in the source text.
            assert.ok(
                here.some((f) => text.includes(f.kind === "hub" ? "proxyv2" : f.kind === "versioned" ? f.raw.split(":")[0] : f.raw)),
                e.image,
            );
        }
    });

    it("matches the facts measured on the data: registries, digests, code defaults", () => {
        const images = expected().map((e) => parseReference(e.image));
        const byRegistry: Record<string, number> = {};
        for (const i of images) byRegistry[i.registry] = (byRegistry[i.registry] ?? 0) + 1;
        assert.deepStrictEqual(byRegistry, { "docker.io": 58, "gcr.io": 24, "quay.io": 5, "ghcr.io": 1, "nvcr.io": 1 });
        const digests = images.filter((i) => i.digest);
        assert.strictEqual(digests.length, 7);
        assert.ok(digests.every((i) => i.name.startsWith("gcr.io/knative-releases/")));
        const code = inventoryOf(text, RENDERED_191).findings.filter((f) => f.kind === "code-default");
        assert.deepStrictEqual(code.map((f) => `${f.envVar}=${f.raw}`).sort(), [
            "FRONTEND_IMAGE=gcr.io/ml-pipeline/frontend",
            "VISUALIZATION_SERVER_IMAGE=gcr.io/ml-pipeline/visualization-server",
        ]);
    });

    it("finds everything `grep image:` finds, and what it misses is at places grep cannot see", () => {
        const grepped = new Set<string>();
        for (const m of text.matchAll(/image:\s*["']?([^\s"']+)/g)) {
            try {
                grepped.add(parseReference(m[1]).normalized);
            } catch {
                /* descriptions, templates: not images */
            }
        }
        const inv = inventoryOf(text, RENDERED_191);
        const ours = new Set(expected().map((e) => e.image));
        assert.deepStrictEqual(
            [...grepped].filter((g) => !ours.has(g) && !/:latest$/.test(g)),
            [],
            "every tagged image grep finds is ours",
        );
        const missed = [...ours].filter((o) => !grepped.has(o));
        assert.ok(missed.length >= 16, `grep misses ${missed.length}`);
        for (const image of missed) {
            const kinds = new Set(inv.findings.filter((f) => f.reference === image).map((f) => f.kind));
            assert.ok(!kinds.has("container"), `${image} is in no pod spec, so grep could not see it as one`);
        }
        for (const place of ["env", "arg", "field", "template"]) {
            assert.ok(
                missed.some((m) => inv.findings.some((f) => f.reference === m && f.kind === place)),
                `grep misses an image held in ${place}`,
            );
        }
    });

    it("kfstack rewrite leaves no reference outside the mirror (own discovery and a text scan)", () => {
        const r = runCli(["rewrite", "--mirror", MIRROR, RENDERED_191]);
        assert.strictEqual(r.status, 0, r.stderr);
        rewritten = r.stdout;
        const inv = inventoryOf(rewritten, "rewritten");
        const outside = inv.findings.filter((f) => !f.ref || !f.ref.name.startsWith(MIRROR + "/"));
        assert.deepStrictEqual(
            outside.map((f) => `${describeObject(f.object)} ${f.path} ${f.reference}`),
            [],
        );
        assert.deepStrictEqual(publicHostsOutside(rewritten, MIRROR), []);
        assert.ok(publicHostsOutside(text, MIRROR).length > 50, "the scan does see public hosts in the original");
        // The mirrored list is the original list, one for one.
        const after = runCli(["images", "-"], rewritten).stdout.trim().split("\n");
        assert.deepStrictEqual(
            after,
            expected()
                .map((e) => e.image.replace(/^([^/]+)\//, (_, h: string) => `${MIRROR}/${h.replace(":", "_")}/`))
                .sort(),
        );
    });

    it("kfstack rewrite is idempotent: rewriting the rewritten stream changes nothing", () => {
        const again = runCli(["rewrite", "--mirror", MIRROR, "-"], rewritten);
        assert.strictEqual(again.status, 0, again.stderr);
        assert.ok(again.stdout === rewritten, "byte for byte");
    });

    it("kfstack rewrite changes only image strings: same objects, same count", () => {
        const before = inventoryOf(text, "a").documents;
        const after = inventoryOf(rewritten, "b").documents;
        assert.strictEqual(after.length, before.length);
        assert.strictEqual(before.length, 569);
        let changed = 0;
        for (let i = 0; i < before.length; i++) {
            const b = before[i].value as any;
            const a = after[i].value as any;
            assert.deepStrictEqual(
                [a.apiVersion, a.kind, a.metadata?.namespace, a.metadata?.name],
                [b.apiVersion, b.kind, b.metadata?.namespace, b.metadata?.name],
            );
            if (before[i].text !== after[i].text) changed++;
            else continue;
            // Masking every image-ish string must give back the original object, except the env vars kfstack adds.
            const mask = (s: string) => s.replace(new RegExp(`${MIRROR.replace(/[.]/g, "\\.")}/[a-z0-9._-]+/(library/)?`, "g"), "");
            const strip = (o: any): any =>
                JSON.parse(
                    JSON.stringify(o, (_k, v) =>
                        typeof v === "string" ? mask(v).replace(/(^|[\s"'=:])(docker\.io\/(library\/)?|gcr\.io\/|quay\.io\/|ghcr\.io\/|nvcr\.io\/)/g, "$1") : v,
                    ),
                );
            const envAdded = (o: any) =>
                JSON.parse(
                    JSON.stringify(o, (k, v) =>
                        k === "env" && Array.isArray(v) ? v.filter((e: any) => !/^(FRONTEND|VISUALIZATION_SERVER)_IMAGE$/.test(e.name)) : v,
                    ),
                );
            assert.deepStrictEqual(envAdded(strip(a)), envAdded(strip(b)), `${b.kind} ${b.metadata?.name}`);
        }
        assert.ok(changed > 50 && changed < 100, `${changed} documents changed`);
    });

    it("kfstack check fails the original and passes the rewritten stream", () => {
        const original = runCli(["check", "--mirror", MIRROR, RENDERED_191]);
        assert.strictEqual(original.status, 1);
        assert.match(original.stdout, /FRONTEND_IMAGE/);
        assert.match(original.stdout, /ConfigMap kubeflow\/inferenceservice-config at data\.agent\(json\)\.image: docker\.io\/kserve\/agent:v0\.13\.1/);
        const clean = runCli(["check", "--mirror", MIRROR, "-"], rewritten);
        assert.strictEqual(clean.status, 0, clean.stdout);
        assert.strictEqual(clean.stdout, "");
    });
});
