/** The stack settings: the schema (every setting declared once), its validation, the stack file reader, the reference. */
export * from "./settings";
export * from "./stackFile";
export * from "./reference";
export { SCHEMA, EKS_DEFAULTS, defaultsOf } from "./schema";
