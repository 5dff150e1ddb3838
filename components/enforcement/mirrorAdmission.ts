import * as pulumi from "@pulumi/pulumi";
import { admissionObjects, AdmissionSettings } from "../../lib/check";
import { Mirror } from "../../lib/rewrite";
import { KubeObject, withAnnotations } from "../kubeflow/app";

export interface MirrorAdmissionArgs {
    /** The mirrors images must come from (the stack's `kfstack:mirror.registry`). */
    readonly mirrors: readonly Mirror[];
    /** `Deny`, or `Warn`/`Audit`. @default ["Deny"] */
    readonly actions?: AdmissionSettings["actions"];
    /** @default ["kube-system", "kube-public", "kube-node-lease"] */
    readonly exemptNamespaces?: string[];
    /** Annotations for every object (`pulumiAnnotations(settings)`). @default {} */
    readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * Mirror-only at run time: ValidatingAdmissionPolicies and bindings (Kubernetes ≥ 1.30) that
 * the API server evaluates for every pod and workload, also those Kubeflow's controllers
 * create later from data. The provider comes through `parent` (`providers` in the options).
 */
export class MirrorAdmission extends pulumi.ComponentResource {
    public readonly policyNames: pulumi.Output<string[]>;
    /** How many Kubernetes objects it registers. */
    public readonly objectCount: number;

    constructor(name: string, args: MirrorAdmissionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kfstack:enforcement:MirrorAdmission", name, {}, opts);
        const objects = admissionObjects(name, args.mirrors, {
            actions: args.actions ?? ["Deny"],
            exemptNamespaces: args.exemptNamespaces ?? ["kube-system", "kube-public", "kube-node-lease"],
        });
        const policies = new Map<string, KubeObject>();
        for (const o of objects) {
            const withAnn = withAnnotations(o, args.annotations ?? {});
            const policy = o.kind === "ValidatingAdmissionPolicyBinding" ? policies.get((o.spec as { policyName: string }).policyName) : undefined;
            const r = new KubeObject(`${o.metadata.name}-${o.kind === "ValidatingAdmissionPolicy" ? "policy" : "binding"}`, withAnn, o.apiVersion, o.kind, {
                parent: this,
                dependsOn: policy ? [policy] : [],
            });
            if (o.kind === "ValidatingAdmissionPolicy") policies.set(o.metadata.name, r);
        }
        this.policyNames = pulumi.output([...policies.keys()]);
        this.objectCount = objects.length;
        this.registerOutputs({ policyNames: this.policyNames });
    }
}
