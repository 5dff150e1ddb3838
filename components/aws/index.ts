/** AWS as Pulumi components: the EKS cluster (China too) and IRSA for Kubeflow. */
export * from "./eksCluster";
export * from "./kubeflowIrsa";
