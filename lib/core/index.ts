/** The ground every stage stands on: errors, Kubernetes objects, YAML, text edits, the cache. */
export * from "./errors";
export * from "./objects";
export * from "./yaml";
export * from "./text";
export * from "./cache";
export * from "./configKeys";
export * from "./credentials";
export * from "./packageRoot";
export * from "./interrupt";
export * from "./outputPath";
export * from "./files";
