/** The on-prem storage plan for a platform: what `OnPremStorage` registers and `kfstack render` writes. */
import { dumpDocument, K8sObject } from "../core";
import { Mirror, rewriteStream } from "../rewrite";
import { imageList } from "../images";
import { dynamicClassName, dynamicProvisioner } from "./provisioners";
import { Claim, claimsOf, persistentVolumes, servedClaims, StorageSettings, staticStorageClass } from "./storage";

export interface StoragePlan {
    /** Every claim of the enabled apps. */
    readonly claims: Claim[];
    /** The static class, then one pre-bound PersistentVolume per served claim. */
    readonly staticClass: K8sObject;
    readonly volumes: K8sObject[];
    /** The dynamic provisioner's objects, every image under the mirror. */
    readonly provisioner: K8sObject[];
    readonly dynamicClass?: string;
    /** The provisioner's images as its project publishes them (what the mirror must hold). */
    readonly sourceImages: string[];
}

/** Plans the storage of the platform's objects (the apps' final objects, transforms applied). */
export function planStorage(objects: readonly K8sObject[], settings: StorageSettings, mirror: Mirror): StoragePlan {
    const claims = claimsOf(objects);
    const raw = dynamicProvisioner(settings);
    const rewritten = raw.length === 0 ? undefined : rewriteStream(raw.map((o) => "---\n" + dumpDocument(o)).join(""), "storage provisioner", mirror);
    const provisioner = (rewritten?.values ?? []) as K8sObject[];
    return {
        claims,
        staticClass: staticStorageClass(settings),
        volumes: persistentVolumes(servedClaims(claims, settings.staticClass), settings),
        provisioner,
        dynamicClass: dynamicClassName(settings),
        sourceImages: rewritten ? imageList(rewritten.findings) : [],
    };
}

/** `namespace/claim` → the name of the PersistentVolume pre-bound to it. */
export function volumesByClaim(volumes: readonly K8sObject[]): Record<string, string> {
    return Object.fromEntries(
        volumes.map((v) => {
            const ref = (v.spec as { claimRef: { namespace: string; name: string } }).claimRef;
            return [`${ref.namespace}/${ref.name}`, v.metadata.name];
        }),
    );
}
