/**
 * The kfstack Pulumi program: Kubeflow from a kubeflow/manifests release, every
 * image from the mirror, every app its own typed component in install order.
 * Stack config: see docs/config.md and Pulumi.dev.yaml.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as aws from "@pulumi/aws";
import { KfstackError } from "./lib/core";
import { KUBERNETES_PROVIDER_SETTINGS, preparePlatform, pulumiAnnotations } from "./lib/plan";
import { ADMISSION_NAME, planExtras } from "./lib/check";
import { readStackConfig } from "./components/stackConfig";
import { KubeflowPlatform } from "./components/kubeflow";
import { checkEcrMirrorHost, EcrMirror, RegistryMirror } from "./components/mirror";
import { EksCluster, KubeflowIrsa } from "./components/aws";
import { usableZones } from "./lib/aws";
import { MirrorAdmission } from "./components/enforcement";
import { OnPremStorage } from "./components/onprem";
import { KeptData, planStackUpgrade } from "./components/upgrade";

/** The Kubernetes components' names: their objects' resource names start with them, and an upgrade finds objects by them. */
const COMPONENT_NAMES = { platform: "kubeflow", storage: "storage", admission: ADMISSION_NAME, kept: "kept-data" } as const;

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
        const provider = eks?.provider ?? new k8s.Provider("k8s", { ...KUBERNETES_PROVIDER_SETTINGS });
        // The upgrade from what the stack holds (its objectIndex output) to this release: moves,
        // replacements, data kept or refused — refused before anything is registered.
        const upgrade = await planStackUpgrade({ prepared, extras, settings, names: COMPONENT_NAMES });
        const platform = new KubeflowPlatform(
            COMPONENT_NAMES.platform,
            {
                prepared,
                users,
                annotations: pulumiAnnotations(settings),
                mirroredImages: mirror?.images,
                upgrade: upgrade.plan.objects,
                namedByApp: upgrade.namedByApp,
            },
            { providers: { kubernetes: provider } },
        );
        // On-prem storage derived from the release (a pre-bound volume per claim, a dynamic default class).
        const storage =
            extras.storage && settings.storage
                ? new OnPremStorage(
                      COMPONENT_NAMES.storage,
                      { plan: extras.storage, protect: settings.storage.protect, annotations: pulumiAnnotations(settings), upgrade: upgrade.plan.objects },
                      { providers: { kubernetes: provider } },
                  )
                : undefined;
        // Mirror-only at run time too: pods Kubeflow's controllers create later from data.
        if (extras.admission.length > 0) {
            new MirrorAdmission(
                COMPONENT_NAMES.admission,
                { objects: extras.admission, annotations: pulumiAnnotations(settings), upgrade: upgrade.plan.objects },
                { providers: { kubernetes: provider } },
            );
        }
        // Data objects this release no longer has, kept as they are unless kfstack:upgrade.deleteData names them.
        // (Always registered: its inputs carry kfstack:upgrade.* to the policy pack's data-kept.)
        const kept = new KeptData(
            COMPONENT_NAMES.kept,
            { kept: upgrade.plan.kept, allow: settings.upgrade, before: upgrade.before },
            { providers: { kubernetes: provider } },
        );
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
            ...(upgrade.plan.kept.length > 0 ? { keptData: kept.names } : {}),
            // What this up registered: the next up plans its upgrade from it (lib/plan/upgrade).
            // Kept as a secret for its display, not its content: a preview would otherwise list
            // every changed entry of ~600 in the PR's diff; it is the state's, not the reader's.
            objectIndex: pulumi.secret(upgrade.index),
        } as Record<string, pulumi.Input<unknown>>;
    } catch (e) {
        // A problem the user can fix: one message, no stack trace.
        if (e instanceof KfstackError) throw new pulumi.RunError(e.message);
        throw e;
    }
};
