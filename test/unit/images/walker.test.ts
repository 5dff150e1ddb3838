/** lib/images/walker: where images are found in an object, payloads and code defaults included. */
import * as assert from "assert";
import * as jsyaml from "js-yaml";
import { findImages, walkObject, isImageKey, Finding, hubScopeOf } from "../../../lib/images";
import { mirrorMapper, rewriteStream } from "../../../lib/rewrite";
import { inventoryOf, unsetCodeDefaults } from "../../../lib/images";
import { parseMirror } from "../../../lib/rewrite";

const mirror = parseMirror("mirror.local:5000/kf");
const refs = (fs: Finding[]) =>
    fs
        .filter((f) => f.kind !== "code-default")
        .map((f) => f.reference)
        .sort();
const at = (fs: Finding[]) => fs.map((f) => `${f.kind} ${f.path} ${f.reference}`).sort();

function configMap(data: Record<string, string>, name = "cm"): object {
    return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns" }, data };
}

describe("discovery", () => {
    it("finds containers, initContainers and ephemeralContainers at any depth of any kind", () => {
        const obj = {
            apiVersion: "kubeflow.org/v1",
            kind: "PyTorchJob",
            metadata: { name: "j" },
            spec: {
                pytorchReplicaSpecs: {
                    Master: {
                        template: {
                            spec: {
                                initContainers: [{ name: "i", image: "busybox:1.28" }],
                                containers: [{ name: "c", image: "docker.io/kubeflowkatib/pytorch-mnist-cpu:v0.17.0" }],
                                ephemeralContainers: [{ name: "e", image: "gcr.io/x/debug@sha256:" + "a".repeat(64) }],
                            },
                        },
                    },
                },
            },
        };
        assert.deepStrictEqual(at(findImages(obj)), [
            `container spec.pytorchReplicaSpecs.Master.template.spec.containers[0].image docker.io/kubeflowkatib/pytorch-mnist-cpu:v0.17.0`,
            `container spec.pytorchReplicaSpecs.Master.template.spec.ephemeralContainers[0].image gcr.io/x/debug@sha256:${"a".repeat(64)}`,
            `container spec.pytorchReplicaSpecs.Master.template.spec.initContainers[0].image docker.io/library/busybox:1.28`,
        ]);
    });

    it("finds CronJob job templates, Argo templates and Knative services", () => {
        const cron = {
            kind: "CronJob",
            metadata: { name: "c" },
            spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "a", image: "alpine:3" }] } } } } },
        };
        const argo = {
            kind: "WorkflowTemplate",
            metadata: { name: "w" },
            spec: {
                templates: [
                    { name: "s", container: { image: "python:3.7" } },
                    { name: "t", script: { image: "quay.io/a/b:1", source: "print(1)" } },
                ],
            },
        };
        const ksvc = {
            kind: "Service",
            apiVersion: "serving.knative.dev/v1",
            metadata: { name: "k" },
            spec: { template: { spec: { containers: [{ image: "gcr.io/knative-samples/helloworld-go" }] } } },
        };
        assert.deepStrictEqual(refs(findImages(cron)), ["docker.io/library/alpine:3"]);
        assert.deepStrictEqual(refs(findImages(argo)), ["docker.io/library/python:3.7", "quay.io/a/b:1"]);
        assert.deepStrictEqual(refs(findImages(ksvc)), ["gcr.io/knative-samples/helloworld-go:latest"]);
    });

    it("treats an untagged value under an image-named key as :latest", () => {
        const f = findImages(configMap({ cacheImage: "gcr.io/google-containers/busybox" }));
        assert.deepStrictEqual(at(f), ["field data.cacheImage gcr.io/google-containers/busybox:latest"]);
    });

    it("recognises image-named keys by their words, not imagePullPolicy or defaultImageVersion", () => {
        for (const yes of ["image", "cacheImage", "FRONTEND_IMAGE", "queue-sidecar-image", "imageGroupOne", "images", "executor.image"])
            assert.ok(isImageKey(yes), yes);
        for (const no of ["imagePullPolicy", "imagePullSecrets", "defaultImageVersion", "imageTag", "images_dir_size", "imagine"])
            assert.ok(!isImageKey(no), no);
    });

    it("does not take settings for images where only the key's name suggests one", () => {
        const f = findImages({
            kind: "Secret",
            metadata: { name: "s" },
            stringData: {
                ADD_NAMESPACE_PREFIX_TO_IMAGE_NAME: "false",
                IMAGE: "true",
                IMAGE_COUNT_IMAGE: "3",
                BUILDER_IMAGE: "quay.io/bentoml/builder:1",
                IMAGE_MODE: "fast",
                IMAGE_EXTRA_ARGS: "--a=b c",
            },
        });
        assert.deepStrictEqual(refs(f), ["quay.io/bentoml/builder:1"]);
        assert.ok(
            f.every((x) => !x.error),
            "nothing invalid is reported where a key only suggests an image",
        );
    });

    it("reads keys that name an image after the word (INTERNAL_IMAGES_KANIKO), when the value looks like one", () => {
        const f = findImages({
            kind: "Secret",
            metadata: { name: "s" },
            stringData: { INTERNAL_IMAGES_KANIKO: "quay.io/bentoml/kaniko:debug", INTERNAL_IMAGES_REGISTRY: "quay.io/bentoml", IMAGES_BUILDER_ENABLED: "true" },
        });
        assert.deepStrictEqual(refs(f), ["quay.io/bentoml/kaniko:debug"]);
    });

    it("reads the notebook spawner's image.value / options and imageGroupOne lists", () => {
        const spawner =
            "spawnerFormDefaults:\n  image:\n    value: kubeflownotebookswg/jupyter-scipy:v1.9.2\n    options:\n    - kubeflownotebookswg/jupyter-scipy:v1.9.2\n    - kubeflownotebookswg/jupyter-pytorch-full:v1.9.2\n    readOnly: false\n  imageGroupOne:\n    value: kubeflownotebookswg/codeserver-python:v1.9.2\n    options:\n    - kubeflownotebookswg/codeserver-python:v1.9.2\n  imagePullPolicy:\n    value: IfNotPresent\n";
        const f = findImages(configMap({ "spawner_ui_config.yaml": spawner }));
        assert.deepStrictEqual(
            [...new Set(refs(f))],
            [
                "docker.io/kubeflownotebookswg/codeserver-python:v1.9.2",
                "docker.io/kubeflownotebookswg/jupyter-pytorch-full:v1.9.2",
                "docker.io/kubeflownotebookswg/jupyter-scipy:v1.9.2",
            ],
        );
        assert.ok(f.some((x) => x.path === `data["spawner_ui_config.yaml"](yaml).spawnerFormDefaults.image.options[1]`));
    });

    it("gives an image with defaultImageVersion siblings one image per version (KServe)", () => {
        const json = JSON.stringify({ xgboost: { image: "kserve/xgbserver", defaultImageVersion: "v0.13.1", defaultGpuImageVersion: "v0.13.1-gpu" } }, null, 4);
        const f = findImages(configMap({ predictors: json }));
        assert.deepStrictEqual(refs(f), ["docker.io/kserve/xgbserver:v0.13.1", "docker.io/kserve/xgbserver:v0.13.1-gpu"]);
        assert.ok(f.every((x) => x.kind === "versioned"));
    });

    it("finds images in ConfigMap JSON and YAML payloads (parsed, at any depth)", () => {
        const f = findImages(
            configMap({
                agent: '{\n  "image": "kserve/agent:v0.13.1",\n  "memoryRequest": "100Mi"\n}',
                "katib-config.yaml": "runtime:\n  suggestions:\n  - algorithmName: random\n    image: docker.io/kubeflowkatib/suggestion-hyperopt:v0.17.0\n",
            }),
        );
        assert.deepStrictEqual(at(f), [
            "field data.agent(json).image docker.io/kserve/agent:v0.13.1",
            `field data["katib-config.yaml"](yaml).runtime.suggestions[0].image docker.io/kubeflowkatib/suggestion-hyperopt:v0.17.0`,
        ]);
    });

    it("finds images in Secret stringData and base64 data", () => {
        const payload = "executor:\n  image: gcr.io/ml-pipeline/argoexec:v3\n";
        const secret = {
            kind: "Secret",
            metadata: { name: "s" },
            stringData: { a: payload },
            data: { b: Buffer.from(payload.replace("v3", "v4")).toString("base64"), c: "AAEC" },
        };
        assert.deepStrictEqual(refs(findImages(secret)), ["gcr.io/ml-pipeline/argoexec:v3", "gcr.io/ml-pipeline/argoexec:v4"]);
        const copy = structuredClone(secret);
        walkObject(copy, mirrorMapper(mirror));
        const decoded = Buffer.from((copy.data as any).b, "base64").toString("utf8");
        assert.strictEqual(decoded, "executor:\n  image: mirror.local:5000/kf/gcr.io/ml-pipeline/argoexec:v4\n");
        assert.strictEqual((copy.data as any).c, "AAEC", "binary data is left alone");
    });

    it("scans payloads that do not parse (Go templates) for image: lines", () => {
        const template =
            'spec:\n  initContainers:\n  - name: grpc-bootstrap-init\n    image: busybox:1.28\n  {{- if .Values.x }}\n  - image: "{{ .Values.global.hub }}/proxyv2"\n  {{ end }}\n';
        const f = findImages(configMap({ config: "templates:\n  grpc: |\n" + template.replace(/^/gm, "    ") }));
        assert.deepStrictEqual(at(f), ["template data.config(yaml).templates.grpc(text):line 4 docker.io/library/busybox:1.28"]);
    });

    it("reads --image flags in args, in both forms and inside shell command lines", () => {
        const obj = {
            kind: "Deployment",
            metadata: { name: "d" },
            spec: {
                template: {
                    spec: {
                        containers: [
                            {
                                name: "c",
                                image: "gcr.io/ml-pipeline/workflow-controller:v3",
                                args: [
                                    "--configmap",
                                    "workflow-controller-configmap",
                                    "--executor-image",
                                    "gcr.io/ml-pipeline/argoexec:v3",
                                    "--acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:v1.14.5",
                                    "--image-pull-policy=Always",
                                ],
                                command: ["sh", "-c", "exec run --launcher-image=gcr.io/ml-pipeline/kfp-launcher:2.3.0 --v=2"],
                            },
                        ],
                    },
                },
            },
        };
        assert.deepStrictEqual(refs(findImages(obj)), [
            "gcr.io/ml-pipeline/argoexec:v3",
            "gcr.io/ml-pipeline/kfp-launcher:2.3.0",
            "gcr.io/ml-pipeline/workflow-controller:v3",
            "quay.io/jetstack/cert-manager-acmesolver:v1.14.5",
        ]);
        walkObject(obj, mirrorMapper(mirror));
        const c = obj.spec.template.spec.containers[0];
        assert.strictEqual(c.args[3], "mirror.local:5000/kf/gcr.io/ml-pipeline/argoexec:v3");
        assert.strictEqual(c.args[4], "--acme-http01-solver-image=mirror.local:5000/kf/quay.io/jetstack/cert-manager-acmesolver:v1.14.5");
        assert.strictEqual(c.args[5], "--image-pull-policy=Always");
        assert.strictEqual(c.command[2], "exec run --launcher-image=mirror.local:5000/kf/gcr.io/ml-pipeline/kfp-launcher:2.3.0 --v=2");
    });

    it("reads env values of image-named variables, short names included", () => {
        const obj = {
            kind: "Deployment",
            metadata: { name: "d" },
            spec: {
                template: {
                    spec: {
                        containers: [
                            {
                                name: "c",
                                image: "a:1",
                                env: [
                                    { name: "VOLUME_VIEWER_IMAGE", value: "filebrowser/filebrowser:v2.25.0" },
                                    { name: "V2_DRIVER_IMAGE", value: "gcr.io/ml-pipeline/kfp-driver:2.3.0" },
                                    { name: "IMAGE_PULL_POLICY", value: "Always" },
                                    { name: "TAG", value: "v1" },
                                ],
                            },
                        ],
                    },
                },
            },
        };
        assert.deepStrictEqual(
            refs(findImages(obj)).filter((r) => !r.endsWith("/a:1")),
            ["docker.io/filebrowser/filebrowser:v2.25.0", "gcr.io/ml-pipeline/kfp-driver:2.3.0"],
        );
    });

    it("assembles Istio's proxy image from the injector's hub and tag, and rewrites the hub", () => {
        const values = JSON.stringify(
            {
                global: { hub: "docker.io/istio", tag: "1.22.1", imagePullPolicy: "", proxy: { image: "proxyv2" }, proxy_init: { image: "proxyv2" } },
                pilot: { image: "pilot" },
            },
            null,
            2,
        );
        const cm = configMap({ values });
        const f = findImages(cm);
        assert.deepStrictEqual([...new Set(refs(f))], ["docker.io/istio/pilot:1.22.1", "docker.io/istio/proxyv2:1.22.1"]);
        assert.ok(f.every((x) => x.kind === "hub"));
        walkObject(cm, mirrorMapper(mirror));
        const after = JSON.parse((cm as any).data.values);
        assert.strictEqual(after.global.hub, "mirror.local:5000/kf/docker.io/istio");
        assert.strictEqual(after.global.proxy.image, "proxyv2");
        assert.deepStrictEqual(
            [...new Set(refs(findImages(cm)))],
            ["mirror.local:5000/kf/docker.io/istio/pilot:1.22.1", "mirror.local:5000/kf/docker.io/istio/proxyv2:1.22.1"],
        );
    });

    it("reads image volumes: volumes[].image.reference in any pod spec", () => {
        const pod = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "p" },
            spec: {
                containers: [{ name: "c", image: "a:1" }],
                volumes: [
                    { name: "m", image: { reference: "quay.io/org/model:v1", pullPolicy: "IfNotPresent" } },
                    { name: "e", emptyDir: {} },
                ],
            },
        };
        const f = findImages(pod);
        assert.deepStrictEqual(refs(f), ["docker.io/library/a:1", "quay.io/org/model:v1"]);
        assert.strictEqual(f.find((x) => x.raw === "quay.io/org/model:v1")?.path, "spec.volumes[0].image.reference");
        walkObject(pod, mirrorMapper(mirror));
        assert.strictEqual((pod.spec.volumes[0].image as { reference: string }).reference, "mirror.local:5000/kf/quay.io/org/model:v1");
    });

    it("appends Istio's image variant to the tag, for the scope or one image", () => {
        const values = {
            global: { hub: "gcr.io/istio-release", tag: "1.26.1", variant: "distroless", proxy: { image: "proxyv2" } },
            pilot: { image: "pilot", variant: "debug" },
            cni: { image: "install-cni", variant: "default" },
        };
        assert.deepStrictEqual(refs(findImages(configMap({ values: JSON.stringify(values) }))).sort(), [
            "gcr.io/istio-release/install-cni:1.26.1",
            "gcr.io/istio-release/pilot:1.26.1-debug",
            "gcr.io/istio-release/proxyv2:1.26.1-distroless",
        ]);
        const plain = { global: { hub: "docker.io/istio", tag: "1.22.1", variant: "", proxy: { image: "proxyv2" } } };
        assert.deepStrictEqual(refs(findImages(configMap({ values: JSON.stringify(plain) }))), ["docker.io/istio/proxyv2:1.22.1"]);
    });

    it("records images known only to a controller's code, and the containers that do not override them", () => {
        const code = 'import os\nimage = os.environ.get("FRONTEND_IMAGE", "gcr.io/ml-pipeline/frontend")\nport = os.environ.get("CONTROLLER_PORT", "8080")\n';
        const stream = [
            configMap({ "sync.py": code }, "code"),
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "ctl", namespace: "ns" },
                spec: {
                    template: {
                        spec: {
                            volumes: [{ name: "hooks", configMap: { name: "code" } }],
                            containers: [
                                { name: "c", image: "python:3.7", volumeMounts: [{ name: "hooks", mountPath: "/hooks" }] },
                                { name: "side", image: "b:1" },
                            ],
                        },
                    },
                },
            },
        ]
            .map((o) => jsyaml.dump(o))
            .join("---\n");
        const inv = inventoryOf(stream, "t.yaml");
        const cd = inv.findings.filter((f) => f.kind === "code-default");
        assert.deepStrictEqual(
            cd.map((f) => [f.envVar, f.raw]),
            [["FRONTEND_IMAGE", "gcr.io/ml-pipeline/frontend"]],
        );
        assert.deepStrictEqual(
            unsetCodeDefaults(inv.documents, inv.findings).map((u) => u.container.name),
            ["c"],
        );
        const out = rewriteStream(stream, "t.yaml", mirror);
        const deployment = jsyaml.loadAll(out.text)[1] as any;
        assert.deepStrictEqual(deployment.spec.template.spec.containers[0].env, [
            { name: "FRONTEND_IMAGE", value: "mirror.local:5000/kf/gcr.io/ml-pipeline/frontend" },
        ]);
        assert.strictEqual(deployment.spec.template.spec.containers[1].env, undefined, "only the container that runs the code");
        const again = inventoryOf(out.text, "out.yaml");
        assert.deepStrictEqual(unsetCodeDefaults(again.documents, again.findings), []);
    });

    it("skips CRD schemas and values filled in at run time, and reports invalid references", () => {
        const crd = {
            kind: "CustomResourceDefinition",
            metadata: { name: "x" },
            spec: { versions: [{ schema: { openAPIV3Schema: { properties: { image: { type: "string", default: "Not An Image" } } } } }] },
        };
        assert.deepStrictEqual(findImages(crd), []);
        const templated = { kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ image: "{{inputs.parameters.image}}" }, { image: "$(IMAGE)" }] } };
        assert.deepStrictEqual(findImages(templated), []);
        // The kubelet pulls a container's image: missing, empty or not a string is invalid, never skipped.
        const wrong = [undefined, "", "  ", 123, ["a:1"], { name: "a" }, null];
        for (const image of wrong) {
            const found = findImages({ kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image }] } });
            assert.strictEqual(found.length, 1, JSON.stringify(image));
            assert.strictEqual(found[0].path, "spec.containers[0].image");
            assert.match(found[0].error as string, /no image|empty|not a string/, JSON.stringify(image));
        }
        const bad = findImages({ kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ image: "Docker.io/Bad Image" }] } });
        assert.strictEqual(bad.length, 1);
        assert.match(bad[0].error as string, /white space/);
    });
});

describe("Istio hub and tag scopes", () => {
    const holder = (o: Record<string, unknown>) => o;

    it("an empty hub or tag takes the one from further out, as Istio's charts do", () => {
        const global = { hub: "docker.io/istio", tag: "1.26.1" };
        const root = holder({ hub: "", tag: "", global });
        const scope = hubScopeOf(root, undefined, "");
        assert.strictEqual(scope?.hub, "docker.io/istio");
        assert.strictEqual(scope?.tag, "1.26.1");
        assert.strictEqual(scope?.holder, global, "the hub is rewritten where it is set");
        assert.strictEqual(scope?.path, "global.hub");
    });

    it("resolves hub, tag and variant each on its own: own, else global, else the parent's", () => {
        const parent = hubScopeOf(holder({ global: { hub: "gcr.io/istio-release", tag: "1.22.1" } }), undefined, "");
        const ownTag = hubScopeOf(holder({ tag: "1.22.2", image: "proxyv2" }), parent, "pilot");
        assert.strictEqual(ownTag?.hub, "gcr.io/istio-release");
        assert.strictEqual(ownTag?.tag, "1.22.2");
        assert.strictEqual(ownTag?.refs, parent?.refs, "the images count towards the hub they use");
        const ownHub = hubScopeOf(holder({ hub: "quay.io/x", tag: "" }), parent, "cni");
        assert.strictEqual(ownHub?.hub, "quay.io/x");
        assert.strictEqual(ownHub?.tag, "1.22.1", "an empty tag is the parent's");
        assert.notStrictEqual(ownHub?.refs, parent?.refs);
        assert.strictEqual(hubScopeOf(holder({ hub: "", tag: "" }), parent, "x"), parent, "nothing set: the parent's scope itself");
        assert.strictEqual(hubScopeOf(holder({ tag: "1" }), undefined, "x"), undefined, "a tag with no hub anywhere completes nothing");
        assert.strictEqual(hubScopeOf(holder({ variant: "distroless" }), parent, "x")?.variant, "distroless");
    });

    it("finds no false docker.io/library image in values whose top-level hub and tag are empty", () => {
        const values = { hub: "", tag: "", global: { hub: "docker.io/istio", tag: "1.26.1" }, pilot: { image: "pilot" }, proxy: { image: "proxyv2" } };
        const refs = findImages(configMap({ values: JSON.stringify(values) })).map((f) => f.reference);
        assert.deepStrictEqual(refs.sort(), ["docker.io/istio/pilot:1.26.1", "docker.io/istio/proxyv2:1.26.1"]);
        const out = configMap({ values: JSON.stringify(values) });
        walkObject(out, mirrorMapper(mirror));
        const rewritten = JSON.parse((out as any).data.values);
        assert.strictEqual(rewritten.global.hub, "mirror.local:5000/kf/docker.io/istio");
        assert.strictEqual(rewritten.hub, "", "the empty hub stays empty");
    });
});
