export * from "./keptData";
export * from "./stackUpgrade";
