/** The rules behind `kfstack check` and the policy pack: one implementation, two front ends. */
export * from "./rules";
export * from "./admission";
export * from "./doctor";
export * from "./extras";
