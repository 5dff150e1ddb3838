/** The image mirror as Pulumi components: ECR in AWS (China too), any OCI registry on-prem. */
export * from "./mirroredImage";
export * from "./fill";
export * from "./registryMirror";
export * from "./ecrMirror";
