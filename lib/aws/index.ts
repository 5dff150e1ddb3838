/** AWS facts kfstack relies on: partitions and their DNS suffixes. */
export * from "./partition";
export * from "./ecr";
export * from "./principals";
export * from "./eks";
