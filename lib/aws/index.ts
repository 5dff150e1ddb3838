/** AWS facts kfstack relies on: partitions and their DNS suffixes. */
export * from "./partition";
export * from "./ecr";
