/** lib/rewrite/rewrite: a stream rewritten to the mirror keeps every byte but the images. */
import * as assert from "assert";
import * as jsyaml from "js-yaml";
import { walkObject } from "../../../lib/images";
import { mirrorMapper, parseMirror, rewriteStream } from "../../../lib/rewrite";

const mirror = parseMirror("mirror.local:5000/kf");

function configMap(data: Record<string, string>, name = "cm"): object {
    return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns" }, data };
}

describe("payload round trip", () => {
    it("keeps a JSON payload JSON, with everything but the image unchanged", () => {
        const json =
            '{\n    "agent": {\n        "image" : "kserve/agent:v0.13.1",\n        "memoryRequest": "100Mi",\n        "big": 12345678901234567890\n    }\n}';
        const cm = configMap({ agent: json });
        walkObject(cm, mirrorMapper(mirror));
        const out = (cm as any).data.agent as string;
        assert.strictEqual(out, json.replace("kserve/agent:v0.13.1", "mirror.local:5000/kf/docker.io/kserve/agent:v0.13.1"), "only the image bytes change");
    });

    it("keeps a YAML payload YAML, comments included", () => {
        const yaml =
            "# katib\nruntime:\n  metricsCollectors:\n  - kind: File  # file collector\n    image: docker.io/kubeflowkatib/file-metrics-collector:v0.17.0\n";
        const cm = configMap({ "katib-config.yaml": yaml });
        walkObject(cm, mirrorMapper(mirror));
        assert.strictEqual((cm as any).data["katib-config.yaml"], yaml.replace("docker.io/kubeflowkatib", "mirror.local:5000/kf/docker.io/kubeflowkatib"));
    });

    it("writes untouched documents back byte for byte and keeps the document count", () => {
        const stream =
            '# leading comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: \'1\'}\n---\n# image doc\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p   # keep me\nspec:\n  containers:\n  - name: c\n    image: "busybox:1.28"\n---\n---\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  c: |\n    {"image": "quay.io/a/b:1"}\n';
        const out = rewriteStream(stream, "s.yaml", mirror);
        assert.strictEqual(
            out.text,
            stream
                .replace('"busybox:1.28"', '"mirror.local:5000/kf/docker.io/library/busybox:1.28"')
                .replace("quay.io/a/b:1", "mirror.local:5000/kf/quay.io/a/b:1"),
        );
        assert.strictEqual(out.reserialised, 0);
        assert.strictEqual(jsyaml.loadAll(out.text).filter((d) => d !== null).length, 3);
    });

    it("serialises a document again when an equal string that is no image would change", () => {
        // The label equals the image text; patching tokens would change it too, so the document is serialised.
        const stream = "kind: Pod\nmetadata:\n  name: p\n  labels: {from: 'quay.io/a/b:1'}\nspec:\n  containers:\n  - image: quay.io/a/b:1\n";
        const out = rewriteStream(stream, "s.yaml", mirror);
        const doc = jsyaml.load(out.text) as any;
        assert.strictEqual(doc.metadata.labels.from, "quay.io/a/b:1");
        assert.strictEqual(doc.spec.containers[0].image, "mirror.local:5000/kf/quay.io/a/b:1");
        assert.strictEqual(out.reserialised, 1);
    });
});
