/** The mirror naming rule and the rewrite of manifests to the mirror. */
export * from "./mirror";
export * from "./rewrite";
