/** Filling the mirror: the registry API client, the copy engine (its own streaming copier, adaptive per registry), skopeo for layout imports, air-gap export/import. */
export * from "./retry";
export * from "./registry";
export * from "./auth";
export * from "./skopeo";
export * from "./naming";
export * from "./clients";
export * from "./journal";
export * from "./results";
export * from "./scheduler";
export * from "./adaptive";
export * from "./verify";
export * from "./copy";
export * from "./layout";
export * from "./resource";
export * from "./defaults";
