/** What every component registers Kubernetes objects with. */
export * from "./kubeObject";
