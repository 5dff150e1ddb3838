/** Filling the mirror: the registry API client, skopeo as the copier, the copy engine, air-gap export/import. */
export * from "./retry";
export * from "./registry";
export * from "./auth";
export * from "./skopeo";
export * from "./naming";
export * from "./clients";
export * from "./journal";
export * from "./results";
export * from "./scheduler";
export * from "./verify";
export * from "./copy";
export * from "./layout";
export * from "./resource";
export * from "./defaults";
