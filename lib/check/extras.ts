/**
 * What the stack creates besides the apps — the mirror-only admission policies and the on-prem
 * storage — planned once for `pulumi up` (index.ts), `kfstack render` and `kfstack doctor`, so
 * the three cannot disagree on what is applied or which images the mirror must hold. It sits at
 * the last stage because it composes them all: the apps (plan), the storage (onprem) and the
 * run-time form of the mirror rule (admission, here).
 */
import { K8sObject } from "../core/objects";
import { Mirror } from "../rewrite/mirror";
import { planStorage, StoragePlan } from "../onprem/plan";
import { StorageSettings } from "../onprem/storage";
import { PreparedPlatform } from "../plan/platform";
import { admissionObjects, AdmissionConfig } from "./admission";

/** The name of the admission policies and bindings (`<name>-pods`, `-workloads`, `-cronjobs`). */
export const ADMISSION_NAME = "kfstack-mirror-only";

export interface PlatformExtras {
    /** The admission policies and bindings; [] when `kfstack:admission.enabled` is false. */
    readonly admission: K8sObject[];
    /** The on-prem storage, when `kfstack:storage` is set. */
    readonly storage?: StoragePlan;
    /** The storage's objects in apply order: namespaces, the static class, the volumes, the provisioner. */
    readonly storageObjects: K8sObject[];
    /** Every source image the stack pulls: the apps' and the storage provisioner's. */
    readonly sourceImages: string[];
    /** Every Kubernetes object the stack registers: the apps', the admission's, the storage's. */
    readonly objectCount: number;
}

/** What the extras read: the stack settings (lib/config `Settings`) are one. */
export interface ExtrasInput {
    readonly mirror: Mirror;
    readonly admission: AdmissionConfig;
    /** On-prem storage, when configured. */
    readonly storage?: StorageSettings;
}

export function planExtras(settings: ExtrasInput, prepared: PreparedPlatform): PlatformExtras {
    const appObjects = prepared.apps.flatMap((a) => a.objects);
    const admission = settings.admission.enabled ? admissionObjects(ADMISSION_NAME, [settings.mirror], settings.admission) : [];
    const storage = settings.storage ? planStorage(appObjects, settings.storage, settings.mirror) : undefined;
    const storageObjects = storage
        ? [
              ...storage.provisioner.filter((o) => o.kind === "Namespace"),
              storage.staticClass,
              ...storage.volumes,
              ...storage.provisioner.filter((o) => o.kind !== "Namespace"),
          ]
        : [];
    return {
        admission,
        storage,
        storageObjects,
        sourceImages: [...prepared.apps.flatMap((a) => a.sourceImages), ...(storage?.sourceImages ?? [])],
        objectCount: appObjects.length + admission.length + storageObjects.length,
    };
}
