/** Kubeflow as Pulumi components: one KubeflowApp per app, composed by KubeflowPlatform. */
export * from "./app";
export * from "./platform";
