/**
 * The prod stack (Pulumi.prod.yaml) as the whole program under mocks: EKS, ECR as the mirror
 * and kubeflow/manifests v1.9.1 on the cluster's provider — in aws-cn, and moved to us-west-2
 * to prove nothing is hard-coded to one partition.
 */
import * as assert from "assert";
import { useMocks, recordRegistrations, settle, promise, awsMocks, MOCK_OIDC_ID } from "../../harness/mocks";
import { prodConfig } from "../../harness/stacks";
import { needShared, tempDir } from "../support/helpers";

for (const [partition, region, suffix] of [
    ["aws-cn", "cn-northwest-1", "amazonaws.com.cn"],
    ["aws", "us-west-2", "amazonaws.com"],
] as const) {
    describe(`the prod stack in ${partition} (${region}), whole program under mocks`, function () {
        this.timeout(120_000);
        before(function () {
            needShared(this);
        });

        it("builds the cluster, the ECR mirror and the platform on the cluster's provider, partition-correct", async () => {
            const m = awsMocks(partition, region);
            const mocks = useMocks(prodConfig(region, { "kfstack:kustomize": { cacheDir: tempDir("cache") } }), m.invokes, "prod", false, m.outputs);
            const registrations = recordRegistrations();
            const program = require("../../index") as () => Promise<Record<string, unknown>>;
            const result = await program();
            const outputs = Object.fromEntries(await Promise.all(Object.entries(result).map(async ([k, v]) => [k, await promise(v as any)])));
            await settle();
            const everything = JSON.stringify(mocks.resources.map((r) => [r.type, r.inputs]));
            if (partition === "aws-cn") assert.ok(!everything.includes("arn:aws:"), "no arn:aws: anywhere in China");
            else assert.ok(!everything.includes("amazonaws.com.cn") && !everything.includes("arn:aws-cn"), "nothing of China elsewhere");
            assert.equal(outputs.cluster, "kubeflow");
            assert.equal(outputs.oidcIssuer, `https://oidc.eks.${region}.${suffix}/id/${MOCK_OIDC_ID}`);
            assert.equal(outputs.mirror, `123456789012.dkr.ecr.${region}.${suffix}/kubeflow`);
            assert.equal(outputs.mirroredImageCount, 89, "one MirroredImage per image of v1.9.1");
            const repos = mocks.resources.filter((r) => r.type === "aws:ecr/repository:Repository");
            assert.ok(repos.length > 50 && repos.every((r) => r.inputs.name.startsWith("kubeflow/")));
            // Every Kubeflow object goes to the EKS cluster, every image from the ECR mirror.
            const objects = mocks.kubernetes();
            assert.ok(objects.length > 570);
            assert.ok(
                objects.every((r) => r.provider?.includes("pulumi:providers:kubernetes::eks-k8s")),
                "the platform uses the cluster's provider",
            );
            const gateway = objects.find((r) => r.inputs.kind === "Service" && r.inputs.metadata.name === "istio-ingressgateway");
            assert.equal(gateway?.inputs.spec.type, "LoadBalancer");
            const images = (outputs.images as string[]) ?? [];
            assert.ok(images.length === 89 && images.every((i) => i.startsWith(`123456789012.dkr.ecr.${region}.${suffix}/kubeflow/`)));
            // The IRSA service accounts come after the platform (their namespace is the platform's).
            const sa = registrations.find((r) => r.name === "irsa-kf-admin" && r.type === "kubernetes:core/v1:ServiceAccount");
            const ns = registrations.find((r) => r.type === "kubernetes:core/v1:Namespace" && r.name.endsWith("-kubeflow"));
            assert.ok(sa && ns, "kf-admin service account and the kubeflow Namespace");
            // Through the closing objects of the last apps, which wait for the rest of the platform.
            const byUrn = new Map(registrations.map((r) => [r.urn, r]));
            const behind = new Set<string>();
            const walk = (urn: string) => {
                if (behind.has(urn)) return;
                behind.add(urn);
                for (const d of byUrn.get(urn)?.dependencies ?? []) walk(d);
            };
            walk(sa.urn);
            assert.ok(behind.has(ns.urn), "the service account waits for the platform's kubeflow namespace");
            assert.ok(sa.dependencies.length < 10, `the service account names a few objects, not each of the platform's (${sa.dependencies.length})`);
            assert.equal(mocks.resources.find((r) => r.name === "irsa-kf-user" && r.type === "aws:iam/role:Role")?.inputs.name, `kf-user-${region}-kubeflow`);
            const group = mocks.resources.find((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
            assert.deepEqual(group?.inputs.scalingConfig, { desiredSize: 4, minSize: 1, maxSize: 6 });
        });

        it("a mirror host of another region or partition: one line naming the key, before any resource", async () => {
            const m = awsMocks(partition, region);
            const elsewhere =
                partition === "aws-cn" ? "123456789012.dkr.ecr.us-east-1.amazonaws.com/kubeflow" : "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/kubeflow";
            const config = prodConfig(region, { "kfstack:kustomize": { cacheDir: tempDir("cache") } });
            config["kfstack:mirror"] = JSON.stringify({ ...JSON.parse(config["kfstack:mirror"]), registry: elsewhere });
            const mocks = useMocks(config, m.invokes, "prod", false, m.outputs);
            const program = require("../../index") as () => Promise<Record<string, unknown>>;
            await assert.rejects(program(), (e: Error) => {
                assert.equal(e.constructor.name, "RunError");
                assert.match(e.message, /kfstack:mirror\.registry/);
                assert.ok(!e.message.includes("\n") && !e.message.includes("serializing"), e.message);
                return true;
            });
            await settle();
            assert.equal(mocks.resources.length, 0, "nothing registered");
        });
    });
}
