/** From rendered apps to what gets applied: transforms, order, Dex users, the mirror plan, the platform. */
export * from "./transforms";
export * from "./order";
export * from "./dex";
export * from "./mirrorPlan";
export * from "./platform";
export * from "./diff";
export * from "./registration";
export * from "./upgrade";
