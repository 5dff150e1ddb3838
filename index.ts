/**
 * The kfstack Pulumi program: Kubeflow from a kubeflow/manifests release, every
 * image from the mirror, every app its own typed component in install order.
 * Stack config: see README ("Stack config") and Pulumi.dev.yaml.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { readStackConfig } from "./components/config";
import { KubeflowPlatform } from "./components/kubeflowPlatform";
import { preparePlatform } from "./lib/platform";

export = async () => {
    // Pulumi runs the program from the project folder: relative paths in the config are relative to it.
    const { settings, users } = readStackConfig(process.cwd());
    const prepared = await preparePlatform(settings);
    const provider = new k8s.Provider("k8s", {});
    const platform = new KubeflowPlatform("kubeflow", { prepared, provider, users, skipAwait: settings.skipAwait });
    return {
        mirror: settings.mirror.location,
        apps: prepared.apps.map((a) => a.name),
        appDigests: platform.appDigests,
        images: platform.images,
        objectCount: prepared.apps.reduce((n, a) => n + a.objects.length, 0),
    } as Record<string, pulumi.Input<unknown>>;
};
