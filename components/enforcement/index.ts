/** Run-time enforcement: the mirror rule evaluated by the API server itself. */
export * from "./mirrorAdmission";
