/**
 * The kfstack Pulumi program: Kubeflow from a kubeflow/manifests release, every
 * image from the mirror, every app its own typed component in install order.
 * Stack config: see docs/config.md and Pulumi.dev.yaml.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as aws from "@pulumi/aws";
import { KfstackError } from "./lib/core";
import { preparePlatform, pulumiAnnotations } from "./lib/plan";
import { ADMISSION_NAME, planExtras } from "./lib/check";
import { readStackConfig } from "./components/stackConfig";
import { KubeflowPlatform } from "./components/kubeflow";
import { checkEcrMirrorHost, EcrMirror, RegistryMirror } from "./components/mirror";
import { EksCluster, KubeflowIrsa } from "./components/aws";
import { usableZones } from "./lib/aws";
import { MirrorAdmission } from "./components/enforcement";
import { OnPremStorage } from "./components/onprem";

export = async () => {
    try {
        // Pulumi runs the program from the project folder: relative paths in the config are relative to it.
        const { settings, users, mirrorPassword } = readStackConfig(process.cwd());
        const prepared = await preparePlatform(settings);
        const fill = settings.mirrorFill;
        // Besides the apps: the mirror-only admission and the on-prem storage (one plan for up, render and doctor).
        const extras = planExtras(settings, prepared);
        const sourceImages = extras.sourceImages;
        const common = {
            sourceImages,
            engine: fill.engine,
            plainHttp: fill.plainHttp,
            sourcePlainHttp: fill.sourcePlainHttp,
            deleteImages: fill.deleteImages,
            jobs: fill.jobs,
        };
        // A wrong ECR host is bad input, found before anything is registered.
        if (fill.type === "ecr") await checkEcrMirrorHost(settings.mirror.location);
        // The mirror is filled first; each app waits for its own images (kfstack:mirror.type).
        const mirror =
            fill.type === "ecr"
                ? new EcrMirror("mirror", { ...common, registry: settings.mirror.location, protect: fill.protect })
                : fill.type === "registry"
                  ? new RegistryMirror("mirror", { ...common, registry: settings.mirror.location, username: fill.username, password: mirrorPassword })
                  : undefined;
        // kfstack:cluster.type eks: the cluster is part of the stack and the platform goes onto it;
        // onprem: the ambient kubeconfig's cluster.
        let eks: EksCluster | undefined;
        if (settings.eks) {
            const zones = settings.eks.subnetIds ? [] : usableZones((await aws.getAvailabilityZones({ state: "available" })).names, settings.eks.excludeAzs);
            eks = new EksCluster("eks", { ...settings.eks, availabilityZones: zones });
        }
        const provider = eks?.provider ?? new k8s.Provider("k8s", {});
        const platform = new KubeflowPlatform(
            "kubeflow",
            { prepared, users, annotations: pulumiAnnotations(settings), mirroredImages: mirror?.images },
            { providers: { kubernetes: provider } },
        );
        // On-prem storage derived from the release (a pre-bound volume per claim, a dynamic default class).
        const storage =
            extras.storage && settings.storage
                ? new OnPremStorage(
                      "storage",
                      { plan: extras.storage, protect: settings.storage.protect, annotations: pulumiAnnotations(settings) },
                      { providers: { kubernetes: provider } },
                  )
                : undefined;
        // Mirror-only at run time too: pods Kubeflow's controllers create later from data.
        if (extras.admission.length > 0) {
            new MirrorAdmission(
                ADMISSION_NAME,
                { objects: extras.admission, annotations: pulumiAnnotations(settings) },
                { providers: { kubernetes: provider } },
            );
        }
        const irsa =
            eks && settings.eks
                ? new KubeflowIrsa(
                      "irsa",
                      {
                          clusterName: eks.clusterName,
                          oidcIssuer: eks.oidcIssuer,
                          adminPolicies: settings.eks.kfAdminPolicies,
                          userPolicies: settings.eks.kfUserPolicies,
                          // The service accounts live in the platform's kubeflow namespace.
                          serviceAccountsAfter: platform.done,
                      },
                      { providers: { kubernetes: provider } },
                  )
                : undefined;
        return {
            mirror: settings.mirror.location,
            mirroredImageCount: mirror?.images.size ?? 0,
            ...(eks ? { cluster: eks.clusterName, oidcIssuer: eks.oidcIssuer, kubeconfig: eks.kubeconfig } : {}),
            ...(irsa ? { kfAdminRoleArn: irsa.adminRoleArn, kfUserRoleArn: irsa.userRoleArn } : {}),
            apps: prepared.apps.map((a) => a.name),
            appDigests: platform.appDigests,
            images: platform.images,
            // Every Kubernetes object kfstack registers: the platform's, the admission's, the storage's.
            objectCount: extras.objectCount,
            ...(storage ? { volumes: storage.volumes } : {}),
        } as Record<string, pulumi.Input<unknown>>;
    } catch (e) {
        // A problem the user can fix: one message, no stack trace.
        if (e instanceof KfstackError) throw new pulumi.RunError(e.message);
        throw e;
    }
};
