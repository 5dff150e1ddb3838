/** The stack settings: key names, the schema and its validation, the stack file reader. */
export * from "./settings";
export * from "./stackFile";
export * from "./reference";
