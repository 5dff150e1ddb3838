/** Where a release comes from: its manifests checkout and the app catalog its example lists. */
export * from "./manifests";
export * from "./catalog";
export * from "./kustomization";
