import * as pulumi from "@pulumi/pulumi";
import { K8sObject } from "../../lib/core";
import { ObjectPlan, objectResourceName, withAnnotations } from "../../lib/plan";
import { objectKey } from "../../lib/core";
import { KubeObject, forUpgrade } from "../kubernetes";

export interface MirrorAdmissionArgs {
    /** The policies and bindings: `planExtras(settings, prepared).admission` (`admissionObjects`). */
    readonly objects: readonly K8sObject[];
    /** Annotations for every object (`pulumiAnnotations(settings)`). @default {} */
    readonly annotations?: Readonly<Record<string, string>>;
    /** What the upgrade does to each object besides applying it, by object key (`planUpgrade`). @default none */
    readonly upgrade?: ReadonlyMap<string, ObjectPlan>;
}

/**
 * Mirror-only at run time: ValidatingAdmissionPolicies and bindings (Kubernetes ≥ 1.30) that
 * the API server evaluates for every pod and workload, also those Kubeflow's controllers
 * create later from data. Each binding after its policy; the provider comes through `parent`
 * (`providers` in the options).
 */
export class MirrorAdmission extends pulumi.ComponentResource {
    static readonly TYPE = "kfstack:enforcement:MirrorAdmission";
    public readonly policyNames: pulumi.Output<string[]>;

    constructor(name: string, args: MirrorAdmissionArgs, opts?: pulumi.ComponentResourceOptions) {
        super(MirrorAdmission.TYPE, name, {}, opts);
        const policies = new Map<string, KubeObject>();
        for (const o of args.objects) {
            const isPolicy = o.kind === "ValidatingAdmissionPolicy";
            const policy = isPolicy ? undefined : policies.get((o.spec as { policyName: string }).policyName);
            // Stacks made before one naming rule named these `<object>-policy`/`-binding`; the alias keeps them.
            const before = `${o.metadata.name}-${isPolicy ? "policy" : "binding"}`;
            const { inputs, aliases } = forUpgrade(withAnnotations(o, args.annotations ?? {}), args.upgrade?.get(objectKey(o)));
            const r = new KubeObject(objectResourceName(name, o), inputs, o.apiVersion, o.kind, {
                parent: this,
                aliases: [...aliases, { name: before }],
                dependsOn: policy ? [policy] : [],
            });
            if (isPolicy) policies.set(o.metadata.name, r);
        }
        this.policyNames = pulumi.output([...policies.keys()]);
        this.registerOutputs({ policyNames: this.policyNames });
    }
}
