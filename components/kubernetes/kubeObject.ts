import * as pulumi from "@pulumi/pulumi";
import { typeToken } from "../../lib/core";
import { ObjectPlan, unservedVersion } from "../../lib/plan";

/**
 * One Kubernetes object of any kind, registered with the kubernetes provider; every component
 * registers its objects with it. (`k8s.apiextensions.CustomResource` would name the core group
 * `v1`, which the provider does not know, so the token comes from `typeToken`.)
 */
export class KubeObject extends pulumi.CustomResource {
    /** `object`'s top-level fields are the inputs; a field may be an Output (the props object itself may not). */
    constructor(name: string, object: Record<string, pulumi.Input<any>>, apiVersion: string, kind: string, opts?: pulumi.CustomResourceOptions) {
        const secret = kind === "Secret" && apiVersion === "v1" ? { additionalSecretOutputs: ["data", "stringData"] } : {};
        super(typeToken(apiVersion, kind), name, object, pulumi.mergeOptions(opts, secret));
    }
}

/** The annotation that carries a value unknown at preview (see `forUpgrade`); absent from what `up` applies. */
export const PREVIEW_ONLY_ANNOTATION = "kfstack.io/upgrade-not-dry-run";

/**
 * An object's inputs and options for its part in an upgrade (`planUpgrade`):
 * - a CRD that loses versions: they stay, not served (`unservedVersion`);
 * - moved from another component: an alias to where it was (only the parent's type chain and
 *   the name make a URN, so a fake parent name serves);
 * - replaced, or a custom resource of a CRD whose schema changes in the same update: at preview
 *   one annotation's value is unknown, so the provider skips its server-side dry run (it would
 *   dry-run the create of a replacement against the live object, or a custom resource against the
 *   old schema, and fail the preview). `up` applies the object without it.
 */
export function forUpgrade<T extends Record<string, any>>(inputs: T, plan: ObjectPlan | undefined): { inputs: T; aliases: pulumi.Alias[] } {
    const aliases: pulumi.Alias[] = plan?.from
        ? [{ name: plan.from.name, parent: `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${plan.from.chain}::kfstack` }]
        : [];
    if (plan?.keepVersions) {
        const spec = (inputs.spec ?? {}) as Record<string, any>;
        inputs = { ...inputs, spec: { ...spec, versions: [...(spec.versions ?? []), ...plan.keepVersions.map(unservedVersion)] } };
    }
    if (!plan?.unknownInPreview || !pulumi.runtime.isDryRun()) return { inputs, aliases };
    const metadata = (inputs.metadata ?? {}) as Record<string, any>;
    const annotations = { ...(metadata.annotations ?? {}), [PREVIEW_ONLY_ANNOTATION]: pulumi.output(pulumi.unknown as unknown as string) };
    return { inputs: { ...inputs, metadata: { ...metadata, annotations } }, aliases };
}
