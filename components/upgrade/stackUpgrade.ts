import * as pulumi from "@pulumi/pulumi";
import { K8sObject } from "../../lib/core";
import { sessionFor } from "../../lib/cli/audit";
import {
    dataEntries,
    KeptObject,
    liveObjectsQuery,
    ObjectIndex,
    PreparedPlatform,
    Registered,
    UpgradePlan,
    UpgradeSettings,
    checkUpgrade,
    objectIndex,
    planUpgrade,
    readObjectIndex,
    nextIndex,
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
    readonly settings: { readonly upgrade: UpgradeSettings; readonly storage?: { readonly protect: boolean }; readonly cluster: string };
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
    // Written as a secret (index.ts says why); an index written in plain text reads as well.
    const previous = readObjectIndex(indexOutput.secretValue ?? indexOutput.value);
    const registered = registeredObjects({ ...args, protectVolumes: args.settings.storage?.protect ?? false });
    const now = objectIndex(registered);
    const first = planUpgrade(previous, registered, args.settings.upgrade, { index: now });
    // On-prem the provider talks to the ambient kubeconfig's cluster: ask it how many objects each
    // kept CRD holds (an EKS stack's cluster is an output of this very program: not asked).
    const live = args.settings.cluster === "onprem" ? await liveObjects(first.kept) : new Map<string, number>();
    const plan = live.size > 0 ? planUpgrade(previous, registered, args.settings.upgrade, { index: now, live }) : first;
    for (const note of plan.notes) (note.includes("kept in the cluster") || note.includes("unprotects") ? pulumi.log.warn : pulumi.log.info)(note);
    checkUpgrade(plan);
    const index = nextIndex(now, plan, { chain: KeptData.TYPE, scope: args.names.kept });
    return { plan, index, namedByApp: !previous && digestsOutput.value !== undefined, before: dataEntries(previous) };
}

/** How many objects each kept CRD holds now, by key; a CRD the cluster cannot tell of (unreachable, not served) is left out. */
async function liveObjects(kept: readonly KeptObject[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const queries = kept
        .map((k) => [k.key, liveObjectsQuery(k)] as const)
        .filter((q): q is readonly [string, { group: string; version: string; plural: string }] => !!q[1]);
    if (queries.length === 0) return counts;
    let api: ReturnType<typeof sessionFor>;
    try {
        api = sessionFor(undefined, undefined, 5000);
    } catch {
        return counts; // no kubeconfig here: the preview names what the CRDs hold without a count
    }
    const custom = api.kc.makeApiClient(api.k8s.CustomObjectsApi);
    await Promise.all(
        queries.map(async ([key, q]) => {
            try {
                // One object and the server's count of the rest: never the whole list.
                const list = (await api.call(`/apis/${q.group}/${q.version}/${q.plural}`, () =>
                    custom.listClusterCustomObject({ group: q.group, version: q.version, plural: q.plural, limit: 1 }),
                )) as { items?: unknown[]; metadata?: { remainingItemCount?: number } };
                counts.set(key, (list.items?.length ?? 0) + (list.metadata?.remainingItemCount ?? 0));
            } catch {
                // Not served any more, or the cluster is not reachable from here: no count.
            }
        }),
    );
    return counts;
}
