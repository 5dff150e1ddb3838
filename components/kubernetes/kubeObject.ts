import * as pulumi from "@pulumi/pulumi";
import { typeToken } from "../../lib/core";

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
