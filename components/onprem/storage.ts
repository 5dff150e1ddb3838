import * as pulumi from "@pulumi/pulumi";
import { K8sObject } from "../../lib/core";
import { StoragePlan, volumesByClaim } from "../../lib/onprem";
import { ObjectPlan, objectResourceName, withAnnotations } from "../../lib/plan";
import { objectKey } from "../../lib/core";
import { KubeObject, forUpgrade } from "../kubernetes";

export interface OnPremStorageArgs {
    /** What to create: `planStorage(platform objects, settings.storage, mirror)`. */
    readonly plan: StoragePlan;
    /** `protect` the PersistentVolumes. @default true */
    readonly protect?: boolean;
    /** Annotations for every object (`pulumiAnnotations(settings)`). @default {} */
    readonly annotations?: Readonly<Record<string, string>>;
    /** What the upgrade does to each object besides applying it, by object key (`planUpgrade`). @default none */
    readonly upgrade?: ReadonlyMap<string, ObjectPlan>;
}

/**
 * On-prem storage for Kubeflow (kubespray clusters): the static class, one PersistentVolume
 * pre-bound to each claim of the enabled apps, and the dynamic provisioner (its images
 * mirrored) whose class is the cluster's default. The provider comes through `parent`.
 */
export class OnPremStorage extends pulumi.ComponentResource {
    static readonly TYPE = "kfstack:onprem:Storage";
    /** `namespace/claim` → the PersistentVolume bound to it. */
    public readonly volumes: pulumi.Output<Record<string, string>>;
    public readonly defaultClass: pulumi.Output<string | undefined>;
    /** How many Kubernetes objects it registers. */
    public readonly objectCount: number;

    constructor(name: string, args: OnPremStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super(OnPremStorage.TYPE, name, {}, opts);
        const ann = args.annotations ?? {};
        const register = (o: K8sObject, extra: pulumi.CustomResourceOptions = {}): KubeObject => {
            const resourceName = objectResourceName(name, o);
            // Stacks made before one naming rule named these objects with their kind too; the
            // alias keeps them (a protected volume must never be planned as delete + create).
            const before = objectResourceName(`${name}-${o.kind}`, o);
            const { inputs, aliases } = forUpgrade(withAnnotations(o, ann), args.upgrade?.get(objectKey(o)));
            return new KubeObject(resourceName, inputs, o.apiVersion, o.kind, { parent: this, aliases: [...aliases, { name: before }], ...extra });
        };
        const staticClass = register(args.plan.staticClass);
        for (const pv of args.plan.volumes) register(pv, { dependsOn: [staticClass], protect: args.protect ?? true });
        // The provisioner's Namespace before what lives in it.
        const namespaces = new Map<string, KubeObject>();
        for (const o of args.plan.provisioner.filter((x) => x.kind === "Namespace")) namespaces.set(o.metadata.name, register(o));
        for (const o of args.plan.provisioner.filter((x) => x.kind !== "Namespace")) {
            const ns = o.metadata.namespace ? namespaces.get(o.metadata.namespace) : undefined;
            register(o, { dependsOn: ns ? [ns] : [] });
        }
        this.volumes = pulumi.output(volumesByClaim(args.plan.volumes));
        this.defaultClass = pulumi.output(args.plan.dynamicClass);
        this.objectCount = 1 + args.plan.volumes.length + args.plan.provisioner.length;
        this.registerOutputs({ volumes: this.volumes, defaultClass: this.defaultClass });
    }
}
