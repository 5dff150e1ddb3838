/** On-prem (kubespray) clusters: storage derived from the release, node settings for the mirror. */
export * from "./storage";
export * from "./provisioners";
export * from "./plan";
export * from "./kubespray";
