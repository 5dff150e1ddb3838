/** Rendering with real kustomize: inputs, cache, remote bases, example-wide fields, all apps. */
export * from "./kustomize";
export * from "./example";
export * from "./apps";
