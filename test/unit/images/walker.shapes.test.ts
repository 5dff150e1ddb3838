/**
 * Generality: apps of the v1.9.1 tree that its example does not install (kfp-tekton,
 * BentoML, Seldon, KubeRay, Spark, Model Registry), rendered with real kustomize and
 * run through the same inventory, rewrite and check; and shapes of older releases.
 */
import * as assert from "assert";
import { imageList } from "../../../lib/images";
import { findImages } from "../../../lib/images";

describe("shapes of older and newer releases", () => {
    const cm = (data: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data });
    const refs = (o: object) => imageList(findImages(o));

    it("Katib 1.4's per-algorithm JSON config", () => {
        const data = {
            suggestion: JSON.stringify({ random: { image: "docker.io/kubeflowkatib/suggestion-hyperopt:v0.12.0" } }),
            "metrics-collector-sidecar": JSON.stringify({ StdOut: { image: "docker.io/kubeflowkatib/file-metrics-collector:v0.12.0" } }),
        };
        assert.deepStrictEqual(refs(cm(data)), [
            "docker.io/kubeflowkatib/file-metrics-collector:v0.12.0",
            "docker.io/kubeflowkatib/suggestion-hyperopt:v0.12.0",
        ]);
    });

    it("KServe/KFServing predictors with CPU and GPU versions", () => {
        const data = {
            predictors: JSON.stringify({ tensorflow: { image: "tensorflow/serving", defaultImageVersion: "1.14.0", defaultGpuImageVersion: "1.14.0-gpu" } }),
        };
        assert.deepStrictEqual(refs(cm(data)), ["docker.io/tensorflow/serving:1.14.0", "docker.io/tensorflow/serving:1.14.0-gpu"]);
    });

    it("Knative's older queueSidecarImage key and Tekton's single-dash image flags", () => {
        assert.deepStrictEqual(refs(cm({ queueSidecarImage: "gcr.io/knative-releases/knative.dev/serving/cmd/queue@sha256:" + "1".repeat(64) })).length, 1);
        const tekton = {
            kind: "Deployment",
            metadata: { name: "tekton-pipelines-controller" },
            spec: {
                template: {
                    spec: {
                        containers: [
                            {
                                name: "c",
                                image: "gcr.io/tekton-releases/controller:v0.53.0",
                                args: [
                                    "-entrypoint-image",
                                    "gcr.io/tekton-releases/entrypoint:v0.53.0",
                                    "-nop-image",
                                    "gcr.io/tekton-releases/nop:v0.53.0",
                                    "-shell-image",
                                    "cgr.dev/chainguard/busybox@sha256:" + "2".repeat(64),
                                ],
                            },
                        ],
                    },
                },
            },
        };
        assert.deepStrictEqual(refs(tekton), [
            "cgr.dev/chainguard/busybox@sha256:" + "2".repeat(64),
            "gcr.io/tekton-releases/controller:v0.53.0",
            "gcr.io/tekton-releases/entrypoint:v0.53.0",
            "gcr.io/tekton-releases/nop:v0.53.0",
        ]);
    });

    it("KFP 2.x driver and launcher images passed as env, Trainer runtimes at depth", () => {
        const api = {
            kind: "Deployment",
            metadata: { name: "ml-pipeline" },
            spec: {
                template: {
                    spec: {
                        containers: [
                            {
                                name: "c",
                                image: "ghcr.io/kubeflow/kfp-api-server:2.5.0",
                                env: [
                                    { name: "V2_DRIVER_IMAGE", value: "ghcr.io/kubeflow/kfp-driver:2.5.0" },
                                    { name: "V2_LAUNCHER_IMAGE", value: "ghcr.io/kubeflow/kfp-launcher:2.5.0" },
                                ],
                            },
                        ],
                    },
                },
            },
        };
        assert.strictEqual(refs(api).length, 3);
        const runtime = {
            apiVersion: "trainer.kubeflow.org/v1alpha1",
            kind: "ClusterTrainingRuntime",
            metadata: { name: "torch" },
            spec: {
                template: {
                    spec: {
                        replicatedJobs: [
                            {
                                name: "node",
                                template: {
                                    spec: { template: { spec: { containers: [{ name: "node", image: "pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime" }] } } },
                                },
                            },
                        ],
                    },
                },
            },
        };
        assert.deepStrictEqual(refs(runtime), ["docker.io/pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime"]);
    });
});
