/** The air-gap bundle: everything `pulumi up` of a stack needs, made on a connected machine, verified and installed inside. */
export * from "./files";
export * from "./manifest";
export * from "./npm";
export * from "./plugins";
export * from "./create";
export * from "./install";
export * from "./tar";
