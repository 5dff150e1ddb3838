import * as pulumi from "@pulumi/pulumi";
import { K8sObject, objectKey } from "../../lib/core";
import {
    dataEntries,
    ObjectIndex,
    PreparedPlatform,
    Registered,
    UpgradePlan,
    UpgradeSettings,
    checkUpgrade,
    objectIndex,
    planUpgrade,
    readObjectIndex,
    withKept,
} from "../../lib/plan";
import { KubeflowApp, KubeflowPlatform } from "../kubeflow";
import { OnPremStorage } from "../onprem";
import { MirrorAdmission } from "../enforcement";
import { KeptData } from "./keptData";

/** The names the program gives its Kubernetes components (resource names are prefixed with them). */
export interface ComponentNames {
    readonly platform: string;
    readonly storage: string;
    readonly admission: string;
    readonly kept: string;
}

export interface StackUpgradeArgs {
    readonly prepared: PreparedPlatform;
    readonly extras: { readonly admission: readonly K8sObject[]; readonly storageObjects: readonly K8sObject[] };
    readonly settings: { readonly upgrade: UpgradeSettings; readonly storage?: { readonly protect: boolean } };
    readonly names: ComponentNames;
}

export interface StackUpgrade {
    readonly plan: UpgradePlan;
    /** What this `up` registers: the stack output `objectIndex`. */
    readonly index: ObjectIndex;
    /** The stack was made by a kfstack that named objects by app. */
    readonly namedByApp: boolean;
    /** The data objects of the stack's last index (`dataEntries`), for the policy pack. */
    readonly before?: ObjectIndex;
}

/** What each component registers, with the owner its resources' URNs say (see lib/plan/upgrade). */
export function registeredObjects(args: Omit<StackUpgradeArgs, "settings"> & { readonly protectVolumes: boolean }): Registered[] {
    const { names } = args;
    const app = { chain: `${KubeflowPlatform.TYPE}$${KubeflowApp.TYPE}`, scope: names.platform };
    return [
        ...args.prepared.apps.flatMap((a) => a.objects.map((object) => ({ object, owner: app, app: a.name }))),
        ...args.extras.storageObjects.map((object) => ({
            object,
            owner: { chain: OnPremStorage.TYPE, scope: names.storage },
            protect: args.protectVolumes && object.kind === "PersistentVolume",
        })),
        ...args.extras.admission.map((object) => ({ object, owner: { chain: MirrorAdmission.TYPE, scope: names.admission } })),
    ];
}

/**
 * The upgrade from what the stack holds to what this program registers: the stack's own last
 * `objectIndex` output (a StackReference to itself: the state of its last update), planned by
 * `planUpgrade`; each note logged (kept data as a warning), problems thrown before anything is
 * registered.
 */
export async function planStackUpgrade(args: StackUpgradeArgs): Promise<StackUpgrade> {
    const self = new pulumi.StackReference(`${args.names.platform}-previous`, {
        name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    });
    const [indexOutput, digestsOutput] = await Promise.all([self.getOutputDetails("objectIndex"), self.getOutputDetails("appDigests")]);
    const previous = readObjectIndex(indexOutput.value);
    const registered = registeredObjects({ ...args, protectVolumes: args.settings.storage?.protect ?? false });
    const plan = planUpgrade(previous, registered, args.settings.upgrade);
    for (const note of plan.notes) (note.includes("kept in the cluster") || note.includes("unprotects") ? pulumi.log.warn : pulumi.log.info)(note);
    checkUpgrade(plan);
    const withVersions = registered.map((r) => {
        const keptVersions = plan.objects.get(objectKey(r.object))?.keepVersions;
        return keptVersions ? { ...r, keptVersions } : r;
    });
    const index = withKept(objectIndex(withVersions), plan.kept, { chain: KeptData.TYPE, scope: args.names.kept });
    return { plan, index, namedByApp: !previous && digestsOutput.value !== undefined, before: dataEntries(previous) };
}
