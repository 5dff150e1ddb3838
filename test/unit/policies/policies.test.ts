import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawn, ChildProcess } from "child_process";
import * as aws from "@pulumi/aws";
import { mirrorOnlyImages, mirrorOnlyCodeDefaults, pinnedImages, awsPartition, ecrRepositoryHygiene, dataKept } from "../../../policies/policies";
import { K8sObject, typeToken } from "../../../lib/core";
import { dataEntries, objectIndex } from "../../../lib/plan";
import { ECR_TAG_MUTABILITY } from "../../../lib/aws";
import { packArgs } from "../../../policies/pack";
import { violations, stackViolations, UNKNOWN_STRING, FakeResource } from "../../support/policies";
import { ROOT } from "../../../harness/paths";
import { tempDir } from "../../support/helpers";

const MIRROR = "registry.local:5000/kubeflow";
const CONFIG = { allowedMirrors: [MIRROR] };
const M = (ref: string) => `${MIRROR}/${ref}`;
const DIGEST = "sha256:" + "ab".repeat(32);

const pod = (spec: object) => ({ template: { spec } });
const deployment = (spec: object, name = "d"): FakeResource => ({
    type: "kubernetes:apps/v1:Deployment",
    props: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace: "kubeflow" }, spec: pod(spec) },
});
const cr = (apiVersion: string, kind: string, spec: object): FakeResource => ({
    type: `kubernetes:${apiVersion}:${kind}`,
    props: { apiVersion, kind, metadata: { name: "x", namespace: "ns" }, spec },
});
const configMap = (data: Record<string, string>, name = "cm"): FakeResource => ({
    type: "kubernetes:core/v1:ConfigMap",
    props: { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns" }, data },
});
const containers = (image: string, extra: object = {}) => ({ containers: [{ name: "c", image, ...extra }] });

/** The evasion corpus: each a small object and the reference the policy must name (or null: silent). */
const corpus: [string, FakeResource, string | null][] = [
    // Pod specs at any depth, in any kind.
    [
        "initContainers",
        deployment({ initContainers: [{ name: "i", image: "busybox:1.28" }], ...containers(M("docker.io/library/a:1")) }),
        "docker.io/library/busybox:1.28",
    ],
    [
        "ephemeralContainers",
        deployment({ ephemeralContainers: [{ name: "e", image: "gcr.io/x/debug:1" }], ...containers(M("docker.io/library/a:1")) }),
        "gcr.io/x/debug:1",
    ],
    ["CronJob job template", cr("batch/v1", "CronJob", { jobTemplate: { spec: pod(containers("quay.io/a/job:1")) } }), "quay.io/a/job:1"],
    [
        "Argo WorkflowTemplate container",
        cr("argoproj.io/v1alpha1", "WorkflowTemplate", { templates: [{ name: "s", container: { image: "python:3.7" } }] }),
        "docker.io/library/python:3.7",
    ],
    [
        "Argo script template",
        cr("argoproj.io/v1alpha1", "WorkflowTemplate", { templates: [{ name: "s", script: { image: "alpine:3", source: "echo" } }] }),
        "docker.io/library/alpine:3",
    ],
    [
        "Notebook",
        cr("kubeflow.org/v1", "Notebook", pod(containers("kubeflownotebookswg/jupyter-scipy:v1.9.2"))),
        "docker.io/kubeflownotebookswg/jupyter-scipy:v1.9.2",
    ],
    [
        "PyTorchJob",
        cr("kubeflow.org/v1", "PyTorchJob", {
            pytorchReplicaSpecs: { Master: { template: { spec: containers("docker.io/kubeflowkatib/pytorch-mnist-cpu:v0.17.0") } } },
        }),
        "pytorch-mnist-cpu",
    ],
    [
        "InferenceService",
        cr("serving.kserve.io/v1beta1", "InferenceService", {
            predictor: { containers: [{ name: "kserve-container", image: "kserve/sklearnserver:v0.13.1" }] },
        }),
        "docker.io/kserve/sklearnserver:v0.13.1",
    ],
    [
        "Knative Service",
        cr("serving.knative.dev/v1", "Service", { template: { spec: containers("gcr.io/knative-samples/helloworld-go") } }),
        "gcr.io/knative-samples/helloworld-go:latest",
    ],
    [
        "ClusterServingRuntime",
        cr("serving.kserve.io/v1alpha1", "ClusterServingRuntime", {
            containers: [{ name: "kserve-container", image: "nvcr.io/nvidia/tritonserver:23.05-py3" }],
        }),
        "nvcr.io/nvidia/tritonserver:23.05-py3",
    ],
    // Payloads.
    ["ConfigMap JSON", configMap({ agent: '{\n  "image": "kserve/agent:v0.13.1"\n}' }), "docker.io/kserve/agent:v0.13.1"],
    [
        "ConfigMap YAML",
        configMap({
            "katib-config.yaml": "runtime:\n  suggestions:\n  - algorithmName: random\n    image: docker.io/kubeflowkatib/suggestion-hyperopt:v0.17.0\n",
        }),
        "suggestion-hyperopt",
    ],
    [
        "KServe image + defaultImageVersion",
        configMap({ explainers: JSON.stringify({ art: { image: "kserve/art-explainer", defaultImageVersion: "v0.13.1" } }) }),
        "docker.io/kserve/art-explainer:v0.13.1",
    ],
    [
        "Knative queue-sidecar-image key",
        configMap({ "queue-sidecar-image": `gcr.io/knative-releases/knative.dev/serving/cmd/queue@${DIGEST}` }),
        "cmd/queue@sha256",
    ],
    [
        "notebook spawner options",
        configMap({
            "spawner_ui_config.yaml": `spawnerFormDefaults:\n  image:\n    value: ${M("docker.io/kubeflownotebookswg/jupyter-scipy:v1.9.2")}\n    options:\n    - kubeflownotebookswg/jupyter-pytorch-full:v1.9.2\n`,
        }),
        "jupyter-pytorch-full",
    ],
    [
        "template text (Istio injector)",
        configMap({
            config: "templates:\n  grpc: |\n    spec:\n      initContainers:\n      - name: x\n        image: busybox:1.28\n      {{ if .Values.x }}{{ end }}\n",
        }),
        "docker.io/library/busybox:1.28",
    ],
    [
        "Istio injector variant (distroless)",
        configMap({ values: JSON.stringify({ global: { hub: "gcr.io/istio-release", tag: "1.26.1", variant: "distroless", proxy: { image: "proxyv2" } } }) }),
        "gcr.io/istio-release/proxyv2:1.26.1-distroless",
    ],
    [
        "image volume reference",
        deployment({ volumes: [{ name: "model", image: { reference: "quay.io/org/model:v1" } }], ...containers(M("docker.io/library/a:1")) }),
        "quay.io/org/model:v1",
    ],
    [
        "Istio injector hub/tag",
        configMap({ values: JSON.stringify({ global: { hub: "docker.io/istio", tag: "1.22.1", proxy: { image: "proxyv2" } } }) }),
        "docker.io/istio/proxyv2:1.22.1",
    ],
    [
        "Secret stringData",
        {
            type: "kubernetes:core/v1:Secret",
            props: {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: "s" },
                stringData: { "c.yaml": "executor:\n  image: gcr.io/ml-pipeline/argoexec:v3\n" },
            },
        },
        "argoexec:v3",
    ],
    [
        "Secret base64 data",
        {
            type: "kubernetes:core/v1:Secret",
            props: {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: "s" },
                data: { "c.yaml": Buffer.from("executor:\n  image: gcr.io/ml-pipeline/argoexec:v4\n").toString("base64") },
            },
        },
        "argoexec:v4",
    ],
    // Args and env.
    [
        "env *_IMAGE short name",
        deployment(containers(M("docker.io/library/a:1"), { env: [{ name: "VOLUME_VIEWER_IMAGE", value: "filebrowser/filebrowser:v2.25.0" }] })),
        "docker.io/filebrowser/filebrowser:v2.25.0",
    ],
    [
        "args --executor-image X",
        deployment(containers(M("docker.io/library/a:1"), { args: ["--executor-image", "gcr.io/ml-pipeline/argoexec:v3.4.17"] })),
        "argoexec:v3.4.17",
    ],
    [
        "args --image=X in a shell line",
        deployment(containers(M("docker.io/library/a:1"), { command: ["sh", "-c", "run --launcher-image=gcr.io/ml-pipeline/kfp-launcher:2.3.0"] })),
        "kfp-launcher:2.3.0",
    ],
    // Reference forms.
    ["digest only", deployment(containers(`gcr.io/a/b@${DIGEST}`)), `gcr.io/a/b@${DIGEST}`],
    ["tag and digest", deployment(containers(`quay.io/a/b:v1@${DIGEST}`)), `quay.io/a/b:v1@${DIGEST}`],
    ["prefix boundary: mirror/kubeflow-evil", deployment(containers("registry.local:5000/kubeflow-evil/docker.io/a:1")), "kubeflow-evil"],
    [
        "host boundary: mirror host as a prefix of another host",
        deployment(containers("registry.local.evil.io/kubeflow/docker.io/a:1")),
        "registry.local.evil.io",
    ],
    ["another port on the mirror host", deployment(containers("registry.local:5001/kubeflow/docker.io/a:1")), "registry.local:5001"],
    ["the mirror host without its port", deployment(containers("registry.local/kubeflow/docker.io/a:1")), "registry.local/kubeflow"],
    ["a registry with a port that is not the mirror", deployment(containers("localhost:5000/a:1")), "localhost:5000/a:1"],
    ["upper case repository (invalid, so unverifiable)", deployment(containers("registry.local:5000/kubeflow/Docker.io/a:1")), "not a valid image reference"],
    ["leading white space", deployment(containers(" gcr.io/a/b:1")), "gcr.io/a/b:1"],
    ["short Docker Hub name", deployment(containers("busybox")), "docker.io/library/busybox:latest"],
    [
        "ConfigGroup YAML",
        {
            type: "kubernetes:yaml/v2:ConfigGroup",
            props: { yaml: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: ghcr.io/dexidp/dex:v2.39.1\n" },
        },
        "ghcr.io/dexidp/dex:v2.39.1",
    ],
    ["an image unknown during preview", deployment(containers(UNKNOWN_STRING)), "unknown during preview"],
    // Good cases: silent.
    [
        "mirrored pod spec with init containers",
        deployment({
            initContainers: [{ name: "i", image: M("docker.io/library/busybox:1.28"), imagePullPolicy: "IfNotPresent" }],
            ...containers(M("gcr.io/ml-pipeline/frontend:2.3.0")),
        }),
        null,
    ],
    [
        "mirrored digest and tag+digest",
        deployment({
            containers: [
                { name: "a", image: M(`gcr.io/a/b@${DIGEST}`) },
                { name: "b", image: M(`quay.io/a/b:v1@${DIGEST}`) },
            ],
        }),
        null,
    ],
    [
        "mirrored ConfigMap JSON and hub",
        configMap({
            agent: JSON.stringify({ image: M("docker.io/kserve/agent:v0.13.1") }),
            values: JSON.stringify({ global: { hub: M("docker.io/istio"), tag: "1.22.1", proxy: { image: "proxyv2" } } }),
        }),
        null,
    ],
    ["upper-case mirror host (hosts are case-insensitive)", deployment(containers("REGISTRY.local:5000/kubeflow/docker.io/a:1")), null],
    ["mirrored host-with-port source", deployment(containers(M("localhost_5000/a:1"))), null],
    ["ConfigMap without images", configMap({ APP_SECURE_COOKIES: "false", "config.yaml": "a: 1\nimagePullPolicy: Always\n" }), null],
    [
        "values filled in at run time",
        cr("argoproj.io/v1alpha1", "WorkflowTemplate", { templates: [{ name: "s", container: { image: "{{inputs.parameters.image}}" } }] }),
        null,
    ],
];

describe("policy mirror-only-images: the evasion corpus", () => {
    const policy = mirrorOnlyImages("mandatory");
    assert.ok(corpus.filter(([, , want]) => want !== null).length >= 30);
    for (const [what, resource, want] of corpus) {
        it(want === null ? `is silent on ${what}` : `reports ${what}`, async () => {
            const v = await violations(policy, resource, CONFIG);
            assert.ok(v !== undefined, "applies to Kubernetes resources");
            if (want === null) assert.deepStrictEqual(v, []);
            else {
                assert.ok(v.length > 0, "reported");
                assert.ok(
                    v.some((m) => m.includes(want)),
                    `a message names ${want}: ${v.join(" | ")}`,
                );
                assert.ok(
                    v.every((m) => / at [\w.[\]"()-]/.test(m) && /(use |write |build )/.test(m)),
                    `messages name the path and the fix: ${v.join(" | ")}`,
                );
            }
        });
    }

    it("does not apply to other resources, and refuses to run without allowed mirrors", async () => {
        assert.strictEqual(await violations(policy, { type: aws.ecr.Repository, props: {} }, CONFIG), undefined);
        const none = await violations(policy, deployment(containers(M("docker.io/a:1"))), {});
        assert.match((none as string[])[0], /no allowed mirrors are configured/);
        const bad = await violations(policy, deployment(containers(M("docker.io/a:1"))), { allowedMirrors: ["https://x"] });
        assert.match((bad as string[])[0], /allowedMirrors: invalid mirror/);
    });

    it("allows any of several mirrors", async () => {
        assert.deepStrictEqual(
            await violations(policy, deployment(containers("other.example.com/kf/x:1")), { allowedMirrors: [MIRROR, "other.example.com/kf"] }),
            [],
        );
    });
});

describe("policy mirror-only-code-defaults", () => {
    const code = 'import os\nimage = os.environ.get("FRONTEND_IMAGE", "gcr.io/ml-pipeline/frontend")\n';
    const controller = (env: object[]): FakeResource => ({
        type: "kubernetes:apps/v1:Deployment",
        name: "ctl",
        props: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "ctl", namespace: "ns" },
            spec: pod({
                volumes: [{ name: "hooks", configMap: { name: "code" } }],
                containers: [{ name: "c", image: M("docker.io/library/python:3.7"), env, volumeMounts: [{ name: "hooks", mountPath: "/hooks" }] }],
            }),
        },
    });
    it("reports the container that runs the code without the env var, naming the Deployment's URN", async () => {
        const v = await stackViolations(mirrorOnlyCodeDefaults(), [configMap({ "sync.py": code }, "code"), controller([])], CONFIG);
        assert.strictEqual(v.length, 1);
        assert.match(
            v[0].message,
            /Deployment ns\/ctl container "c": .* unless FRONTEND_IMAGE is set; set env FRONTEND_IMAGE=registry\.local:5000\/kubeflow\/gcr\.io\/ml-pipeline\/frontend/,
        );
        assert.match(v[0].urn as string, /::ctl$/);
    });
    it("is silent when the env var is set (its value is then checked by mirror-only-images)", async () => {
        assert.deepStrictEqual(
            await stackViolations(
                mirrorOnlyCodeDefaults(),
                [configMap({ "sync.py": code }, "code"), controller([{ name: "FRONTEND_IMAGE", value: M("gcr.io/ml-pipeline/frontend") }])],
                CONFIG,
            ),
            [],
        );
    });
});

describe("policy pinned-images", () => {
    it("reports :latest and untagged images, not tags or digests", async () => {
        const p = pinnedImages("advisory");
        assert.match((await violations(p, deployment(containers(M("docker.io/a/b"))), {}))![0], /not pinned \(no tag, so :latest\)/);
        assert.match((await violations(p, deployment(containers(M("docker.io/a/b:latest"))), {}))![0], /not pinned \(:latest\)/);
        assert.deepStrictEqual(
            await violations(
                p,
                deployment({
                    containers: [
                        { name: "a", image: M("a/b:1.0") },
                        { name: "b", image: M(`a/c@${DIGEST}`) },
                    ],
                }),
                {},
            ),
            [],
        );
    });
});

describe("policy aws-partition", () => {
    const p = awsPartition("mandatory");
    const china = { region: "cn-northwest-1" };
    const role = (arn: string): FakeResource => ({
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        props: { role: "kf-admin", policyArn: arn },
        provider: china,
    });
    it("reports arn:aws: on an aws-cn stack, not arn:aws-cn:", async () => {
        const v = await violations(p, role("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"));
        assert.strictEqual(v!.length, 1);
        assert.match(
            v![0],
            /policyArn: .* partition aws, but this stack is in aws-cn \(cn-northwest-1\); build ARNs from aws\.getPartitionOutput\(\)\.partition/,
        );
        assert.deepStrictEqual(await violations(p, role("arn:aws-cn:iam::aws:policy/AmazonEKSClusterPolicy")), []);
    });
    it("reports ECR hosts outside the partition, in AWS and Kubernetes inputs", async () => {
        const wrong = "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com/kubeflow/docker.io/a:1";
        const right = "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/kubeflow/docker.io/a:1";
        const k8sPod = (image: string) => ({ ...deployment(containers(image)), provider: china });
        assert.match((await violations(p, k8sPod(wrong)))![0], /ECR host .* not in partition aws-cn .*\.amazonaws\.com\.cn/);
        assert.deepStrictEqual(await violations(p, k8sPod(right)), []);
        assert.match((await violations(p, k8sPod("123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1")))![0], /not in partition aws-cn/);
    });
    it("takes the region from the policy config, and is silent on the aws partition", async () => {
        assert.strictEqual((await violations(p, { type: "aws:iam/role:Role", props: { arn: "arn:aws:iam::1:role/x" } }, { region: "cn-north-1" }))!.length, 1);
        assert.deepStrictEqual(
            await violations(p, { type: "aws:iam/role:Role", props: { arn: "arn:aws:iam::1:role/x" }, provider: { region: "us-east-1" } }),
            [],
        );
        assert.strictEqual(await violations(p, { type: "aws:iam/role:Role", props: {} }), undefined, "not applicable without a region");
    });
});

describe("policy ecr-repository-hygiene", () => {
    const p = ecrRepositoryHygiene("advisory");
    it("wants scan on push and no force delete, and accepts the mirror's mutable tags", async () => {
        const v = await violations(p, { type: aws.ecr.Repository, props: { name: "kubeflow/docker.io/a", forceDelete: true } });
        assert.strictEqual(v!.length, 2);
        assert.match(v!.join("\n"), /scanOnPush[\s\S]*forceDelete/);
        for (const imageTagMutability of [ECR_TAG_MUTABILITY, "IMMUTABLE"])
            assert.deepStrictEqual(
                await violations(p, { type: aws.ecr.Repository, props: { imageTagMutability, imageScanningConfiguration: { scanOnPush: true } } }),
                [],
            );
        assert.strictEqual(await violations(p, deployment(containers("a:1"))), undefined);
    });
});

describe("policy data-kept", () => {
    const claim = (mode: string): K8sObject => ({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data", namespace: "kubeflow" },
        spec: { accessModes: [mode], resources: { requests: { storage: "20Gi" } } },
    });
    const crd: K8sObject = {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "widgets.example.com" },
        spec: { group: "example.com", scope: "Namespaced", names: { kind: "Widget" }, versions: [] },
    };
    const owner = { chain: "kfstack:kubeflow:Platform$kfstack:kubeflow:App", scope: "kubeflow" };
    const index = objectIndex([claim("ReadWriteOnce"), crd].map((object) => ({ object, owner, app: "a" })));
    // The KeptData component's outputs: the allowances and the last index's data objects.
    const allow = (deleteData: string[] = [], replaceData: string[] = [], before = dataEntries(index)): FakeResource => ({
        type: "kfstack:upgrade:KeptData",
        name: "kept-data",
        props: { names: [], allow: { deleteData, replaceData }, ...(before ? { before } : {}) },
    });
    const k8s = (o: K8sObject): FakeResource => ({ type: typeToken(o.apiVersion, o.kind), name: o.metadata.name, props: o as Record<string, unknown> });
    const kept = (o: K8sObject): FakeResource =>
        k8s({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace } });

    it("reports a data object the update would delete without an allowance; a kept one, an allowed one or a new stack pass", async () => {
        const messages = async (rs: FakeResource[]) => (await stackViolations(dataKept(), rs)).map((v) => v.message);
        assert.deepStrictEqual(await messages([allow(), k8s(claim("ReadWriteOnce")), k8s(crd)]), []);
        assert.deepStrictEqual(await messages([allow(), k8s(claim("ReadWriteOnce")), kept(crd)]), [], "kept by identity alone");
        const lost = await messages([allow(), k8s(claim("ReadWriteMany"))]);
        assert.strictEqual(lost.length, 1, lost.join("\n"));
        assert.match(
            lost[0],
            /^CustomResourceDefinition\/widgets\.example\.com would be deleted, and every Widget object .* not allowed by kfstack:upgrade\.deleteData/,
        );
        assert.deepStrictEqual(
            await messages([allow(["CustomResourceDefinition/widgets.example.com"], ["PersistentVolumeClaim/kubeflow/data"]), k8s(claim("ReadWriteMany"))]),
            [],
        );
        const newStack: FakeResource = {
            type: "kfstack:upgrade:KeptData",
            name: "kept-data",
            props: { names: [], allow: { deleteData: [], replaceData: [] } },
        };
        assert.deepStrictEqual(await messages([newStack, k8s(claim("ReadWriteMany"))]), [], "no index: a new stack, nothing to lose");
    });
});

describe("the policy pack", function () {
    this.timeout(60000);
    it("declares every policy with its level", () => {
        const levels = Object.fromEntries(packArgs().policies.map((p) => [p.name, p.enforcementLevel]));
        assert.deepStrictEqual(levels, {
            "mirror-only-images": "mandatory",
            "mirror-only-code-defaults": "mandatory",
            "pinned-images": "advisory",
            "aws-partition": "mandatory",
            "ecr-repository-hygiene": "advisory",
            "data-kept": "mandatory",
        });
    });

    it("loads from a copy of its folder alone (as `pulumi policy publish` uploads it) and answers GetAnalyzerInfo and Analyze over gRPC", async () => {
        // Only what the pack's folder holds after `npm run build`: no lib/ beside it.
        const pack = path.join(tempDir("pack"), "policies");
        fs.mkdirSync(pack);
        for (const f of ["package.json", "PulumiPolicy.yaml", "dist"]) fs.cpSync(path.join(ROOT, "policies", f), path.join(pack, f), { recursive: true });
        // The policy runtime installs the pack's dependencies (@pulumi/*) there; here they are linked.
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(pack, "node_modules"));
        assert.ok(!fs.readFileSync(path.join(pack, "dist", "index.js"), "utf8").includes("../lib/"), "the shared rules are bundled in");
        const grpc = require("@grpc/grpc-js");
        const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
        const messages = require("@pulumi/pulumi/proto/analyzer_pb");
        const empty = require("google-protobuf/google/protobuf/empty_pb");
        const structpb = require("google-protobuf/google/protobuf/struct_pb");
        // As the policy host runs it: `node <pack folder>` (package.json `main`), in that folder.
        const child: ChildProcess = spawn(process.execPath, [pack], { cwd: pack, stdio: ["ignore", "pipe", "pipe"] });
        try {
            const port = await new Promise<string>((resolve, reject) => {
                child.stdout!.once("data", (b: Buffer) => resolve(b.toString().trim()));
                child.once("exit", (code) => reject(new Error(`pack exited with ${code}`)));
            });
            assert.match(port, /^\d+$/);
            const client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
            const info: any = await new Promise((resolve, reject) =>
                client.getAnalyzerInfo(new empty.Empty(), (e: Error, r: unknown) => (e ? reject(e) : resolve(r))),
            );
            assert.strictEqual(info.getName(), "kfstack");
            const levelNames: Record<number, string> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
            const declared = Object.fromEntries(info.getPoliciesList().map((p: any) => [p.getName(), levelNames[p.getEnforcementlevel()]]));
            assert.deepStrictEqual(declared, Object.fromEntries(packArgs().policies.map((p) => [p.name, p.enforcementLevel])));
            // Configure the allowed mirror, then analyze a Deployment with a public image.
            const configure = new messages.ConfigureAnalyzerRequest();
            const pc = new messages.PolicyConfig();
            pc.setEnforcementlevel(1);
            pc.setProperties(structpb.Struct.fromJavaScript({ allowedMirrors: [MIRROR] }));
            configure.getPolicyconfigMap().set("mirror-only-images", pc);
            await new Promise((resolve, reject) => client.configure(configure, (e: Error, r: unknown) => (e ? reject(e) : resolve(r))));
            const req = new messages.AnalyzeRequest();
            req.setType("kubernetes:apps/v1:Deployment");
            req.setName("web");
            req.setUrn("urn:pulumi:dev::kfstack::kubernetes:apps/v1:Deployment::web");
            req.setOptions(new messages.AnalyzerResourceOptions());
            req.setProperties(structpb.Struct.fromJavaScript(deployment(containers("gcr.io/ml-pipeline/frontend:2.3.0")).props as any));
            const res: any = await new Promise((resolve, reject) => client.analyze(req, (e: Error, r: unknown) => (e ? reject(e) : resolve(r))));
            const diags = res.getDiagnosticsList().map((d: any) => [d.getPolicyname(), levelNames[d.getEnforcementlevel()], d.getMessage()]);
            const mandatory = diags.filter((d: string[]) => d[0] === "mirror-only-images");
            assert.strictEqual(mandatory.length, 1, JSON.stringify(diags));
            assert.strictEqual(mandatory[0][1], "mandatory");
            assert.match(mandatory[0][2], /gcr\.io\/ml-pipeline\/frontend:2\.3\.0 is not served from registry\.local:5000\/kubeflow/);
            client.close();
        } finally {
            child.kill();
        }
    });
});
