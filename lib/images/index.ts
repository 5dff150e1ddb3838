/**
 * Image discovery: the reference grammar, the key rules, payload codecs, the walker that
 * finds every image of an object by shape, code defaults, and the inventory of a stream.
 */
export * from "./reference";
export * from "./keys";
export * from "./payloads";
export * from "./walker";
export * from "./codeDefaults";
export * from "./inventory";
