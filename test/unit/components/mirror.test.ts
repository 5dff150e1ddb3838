/**
 * The mirror components under mocks, in aws-cn and aws (nothing hard-coded to one
 * partition): ECR repositories by the naming rule, their settings, one MirroredImage per
 * image after its repository, secrets kept secret, and every app waiting for its images.
 */
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { useMocks, recordRegistrations, settle, promise, awsMocks } from "../../../harness/mocks";
import { EcrMirror, RegistryMirror, dockerPathProblem } from "../../../components/mirror";
import { KubeflowPlatform } from "../../../components/kubeflow";
import { ecrHostProblem, ecrLifecyclePolicy, ecrRepositoriesFor } from "../../../lib/aws";
import { parseMirror } from "../../../lib/rewrite";
import { copySlotUse, diffImage, setCopySlots, underCopyLimit } from "../../../lib/mirror";
import { manifestDigest, PreparedPlatform } from "../../../lib/plan";
import { K8sObject } from "../../../lib/core";

const SOURCES = [
    "docker.io/kubeflownotebookswg/jupyter-web-app:v1.9.0",
    "ghcr.io/dexidp/dex:v2.39.1",
    "gcr.io/ml-pipeline/api-server:2.2.0",
    "gcr.io/ml-pipeline/frontend:2.2.0",
    "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + "a".repeat(64),
    "ghcr.io/dexidp/dex:v2.39.1", // twice: one repository, one image
];

for (const [partition, region, suffix] of [
    ["aws-cn", "cn-northwest-1", "amazonaws.com.cn"],
    ["aws", "us-west-2", "amazonaws.com"],
] as const) {
    describe(`EcrMirror in ${partition}`, () => {
        it(`creates a repository per source repository and copies each image after its repository (${suffix})`, async () => {
            const mocks = useMocks({}, awsMocks(partition, region).invokes, "unit");
            const registrations = recordRegistrations();
            const registry = `123456789012.dkr.ecr.${region}.${suffix}/kubeflow`;
            const mirror = new EcrMirror("mirror", { registry, sourceImages: SOURCES, protect: true });
            assert.equal(await promise(mirror.registryHost), `123456789012.dkr.ecr.${region}.${suffix}`);
            await settle();
            const repos = mocks.resources.filter((r) => r.type === "aws:ecr/repository:Repository");
            const expected = ecrRepositoriesFor(SOURCES, parseMirror(registry));
            assert.deepEqual(
                repos.map((r) => r.inputs.name),
                expected,
            );
            assert.deepEqual(expected, [
                "kubeflow/docker.io/kubeflownotebookswg/jupyter-web-app",
                "kubeflow/gcr.io/knative-releases/knative.dev/serving/cmd/queue",
                "kubeflow/gcr.io/ml-pipeline/api-server",
                "kubeflow/gcr.io/ml-pipeline/frontend",
                "kubeflow/ghcr.io/dexidp/dex",
            ]);
            for (const r of repos) {
                assert.equal(r.inputs.imageScanningConfiguration.scanOnPush, true);
                assert.deepEqual(r.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
                assert.equal(r.inputs.forceDelete, false);
            }
            assert.ok(registrations.filter((r) => r.type === "aws:ecr/repository:Repository").every((r) => r.protect));
            const policies = mocks.resources.filter((r) => r.type === "aws:ecr/lifecyclePolicy:LifecyclePolicy");
            assert.equal(policies.length, repos.length);
            const rule = JSON.parse(policies[0].inputs.policy).rules[0];
            assert.equal(rule.selection.tagStatus, "untagged", "only untagged images expire: every image the platform pulls is tagged");
            const images = mocks.resources.filter((r) => r.type.endsWith("kfstack:MirroredImage"));
            assert.equal(images.length, 5, "one resource per unique image");
            for (const img of images) {
                assert.equal(img.inputs.mirror, registry);
                assert.deepEqual(Object.keys(img.inputs.auths), [`123456789012.dkr.ecr.${region}.${suffix}`]);
                assert.equal(img.inputs.auths[`123456789012.dkr.ecr.${region}.${suffix}`].password, "ecr-token-secret");
                assert.ok(img.secret, "the ECR token is a secret in the state");
            }
            const urn = (name: string) => registrations.find((r) => r.name === name)?.urn;
            const dex = registrations.find((r) => r.name === "mirror-ghcr.io/dexidp/dex:v2.39.1");
            assert.ok(dex?.dependencies.includes(urn("mirror-kubeflow/ghcr.io/dexidp/dex") as string), "the image waits for its repository");
            assert.ok(
                !JSON.stringify(mocks.resources.map((r) => [r.type, r.inputs])).includes(partition === "aws-cn" ? ".amazonaws.com/" : ".amazonaws.com.cn"),
            );
        });
    });
}

describe("mirror helpers", () => {
    it("ECR: the configured host must be this account's registry; untagged-only lifecycle", () => {
        assert.equal(ecrHostProblem("1.dkr.ecr.cn-northwest-1.amazonaws.com.cn", "1.dkr.ecr.cn-northwest-1.amazonaws.com.cn"), undefined);
        assert.match(
            ecrHostProblem("1.dkr.ecr.cn-northwest-1.amazonaws.com", "1.dkr.ecr.cn-northwest-1.amazonaws.com.cn") ?? "",
            /set kfstack:mirror\.registry to 1\.dkr\.ecr\.cn-northwest-1\.amazonaws\.com\.cn/,
        );
        assert.equal(JSON.parse(ecrLifecyclePolicy(30)).rules[0].selection.countNumber, 30);
    });

    it("the Docker path refuses digest-pinned references, naming one and the fix", () => {
        assert.equal(dockerPathProblem(["quay.io/a/b:1"]), undefined);
        assert.match(dockerPathProblem(SOURCES)?.message ?? "", /cannot mirror 1 digest-pinned image\(s\).*use kfstack:mirror\.engine skopeo/);
    });

    it("MirroredImage diff: a new source replaces, a drifted mirror updates, nothing else changes", () => {
        const olds = { source: "quay.io/a/b:1", mirror: "m.local/kf", target: "m.local/kf/quay.io/a/b:1", digest: "sha256:1", mirrorDigest: "sha256:1" };
        assert.deepEqual(diffImage(olds, { source: "quay.io/a/b:1", mirror: "m.local/kf" }), { changes: false, replaces: [] });
        assert.deepEqual(diffImage(olds, { source: "quay.io/a/b:2", mirror: "m.local/kf" }), { changes: true, replaces: ["source"] });
        assert.deepEqual(
            diffImage({ ...olds, mirrorDigest: "" }, { source: "quay.io/a/b:1", mirror: "m.local/kf" }),
            { changes: true, replaces: [] },
            "deleted in the mirror",
        );
        assert.deepEqual(
            diffImage({ ...olds, mirrorDigest: "sha256:9" }, { source: "quay.io/a/b:1", mirror: "m.local/kf" }).changes,
            true,
            "tag moved in the mirror",
        );
    });
});

describe("RegistryMirror and the platform", () => {
    it("keeps the mirror password secret and makes every app wait for its own images", async () => {
        const mocks = useMocks({}, {}, "unit");
        const registrations = recordRegistrations();
        const mirror = new RegistryMirror("mirror", {
            registry: "harbor.lab:8443/kf",
            sourceImages: ["quay.io/a/one:1", "quay.io/a/two:2"],
            username: "robot",
            password: "pw",
        });
        const deploy = (name: string, image: string): K8sObject =>
            ({
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name, namespace: "kubeflow" },
                spec: { template: { spec: { containers: [{ name, image }] } } },
            }) as any;
        const app = (name: string, objects: K8sObject[], sourceImages: string[]) => ({
            name,
            objects,
            dependsOn: [],
            images: [],
            sourceImages,
            digest: manifestDigest(objects),
            cached: true,
        });
        const prepared: PreparedPlatform = {
            apps: [
                app("one", [deploy("one", "harbor.lab:8443/kf/quay.io/a/one:1")], ["quay.io/a/one:1"]),
                app("two", [deploy("two", "harbor.lab:8443/kf/quay.io/a/two:2")], ["quay.io/a/two:2"]),
            ],
            warnings: [],
            transforms: new Map(),
        };
        const provider = new k8s.Provider("k8s", {});
        const platform = new KubeflowPlatform("kf", { prepared, mirroredImages: mirror.images }, { providers: { kubernetes: provider } });
        await promise(platform.appDigests);
        await settle();
        const images = mocks.resources.filter((r) => r.type.endsWith("kfstack:MirroredImage"));
        assert.equal(images.length, 2);
        assert.ok(images.every((i) => i.secret && i.inputs.auths["harbor.lab:8443"].password === "pw"));
        const urn = (name: string) => registrations.find((r) => r.name === name)?.urn as string;
        const deps = (name: string) => registrations.find((r) => r.name === name)?.dependencies ?? [];
        assert.ok(deps("kf-kubeflow/one").includes(urn("mirror-quay.io/a/one:1")), "app one waits for its image");
        assert.ok(!deps("kf-kubeflow/one").includes(urn("mirror-quay.io/a/two:2")), "and not for another app's");
        assert.ok(deps("kf-kubeflow/two").includes(urn("mirror-quay.io/a/two:2")));
    });

    it("the Docker path: pull, tag, push per image through a Docker host, credentials secret", async () => {
        const mocks = useMocks({}, {}, "unit");
        const mirror = new RegistryMirror("mirror", {
            registry: "harbor.lab:8443/kf",
            sourceImages: ["quay.io/a/one:1", "gcr.io/b/two:2"],
            engine: "docker",
            username: "robot",
            password: "pw",
        });
        await settle();
        const of = (t: string) => mocks.resources.filter((r) => r.type === t);
        assert.equal(of("docker:index/remoteImage:RemoteImage").length, 2);
        assert.deepEqual(
            of("docker:index/tag:Tag")
                .map((r) => r.inputs.targetImage)
                .sort(),
            ["harbor.lab:8443/kf/gcr.io/b/two:2", "harbor.lab:8443/kf/quay.io/a/one:1"],
        );
        assert.ok(of("docker:index/registryImage:RegistryImage").every((r) => r.inputs.keepRemotely === true));
        const provider = of("pulumi:providers:docker")[0];
        assert.ok(provider?.secret, "the registry password is a secret");
        assert.equal(mirror.images.size, 2);
        assert.throws(
            () => new RegistryMirror("pinned", { registry: "harbor.lab:8443/kf", sourceImages: [`quay.io/a/c@sha256:${"b".repeat(64)}`], engine: "docker" }),
            /digest-pinned/,
        );
    });

    it("kfstack:mirror.jobs reaches every MirroredImage as its copy limit, and a change of it is no change to the image", async () => {
        const mocks = useMocks({}, {}, "unit");
        new RegistryMirror("mirror", { registry: "harbor.lab:8443/kf", sourceImages: ["quay.io/a/one:1", "quay.io/a/two:2"], jobs: 7 });
        await settle();
        const images = mocks.resources.filter((r) => r.type.endsWith("kfstack:MirroredImage"));
        assert.deepEqual(
            images.map((i) => i.inputs.copySlots),
            [7, 7],
        );
        const state = { source: "quay.io/a/one:1", mirror: "harbor.lab:8443/kf", target: "t", digest: "d", mirrorDigest: "d", copySlots: 7 };
        assert.deepEqual(diffImage(state, { ...state, copySlots: 2 }), { changes: false, replaces: [] });
    });
});

describe("the MirroredImage provider's copy limit", () => {
    it("never runs more copies at once than the resources' copySlots, and frees waiting copies when the limit grows", async () => {
        let running = 0;
        let peak = 0;
        const release: (() => void)[] = [];
        const copy = () =>
            new Promise<void>((done) => {
                running++;
                peak = Math.max(peak, running);
                release.push(() => {
                    running--;
                    done();
                });
            });
        const tick = () => new Promise((r) => setImmediate(r));
        const all = Array.from({ length: 6 }, () => underCopyLimit(2, copy));
        await tick();
        assert.equal(running, 2);
        assert.deepEqual(copySlotUse(), { running: 2, waiting: 4, limit: 2 });
        release.shift()!();
        await tick();
        assert.equal(running, 2, "a finished copy hands its slot to a waiting one");
        const more = underCopyLimit(3, copy);
        await tick();
        assert.equal(running, 3, "the grown limit (3) starts one waiting copy; the new one waits its turn");
        while (release.length > 0) {
            release.shift()!();
            await tick();
            await tick();
        }
        await Promise.all([...all, more]);
        assert.equal(peak, 3);
        assert.deepEqual(copySlotUse(), { running: 0, waiting: 0, limit: 3 });
        setCopySlots(4);
    });
});
