/** On-prem (kubespray) clusters as Pulumi components. */
export * from "./storage";
