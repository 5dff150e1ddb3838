/**
 * The kfstack policy pack (CrossGuard). Run it with
 *   pulumi preview --policy-pack policies --policy-pack-config policies/config.dev.json
 * Levels are set in pack.ts; tunables (the allowed mirrors) come from the pack config.
 * Constructing the PolicyPack starts its gRPC server: this file is only the entry point.
 */
import { PolicyPack } from "@pulumi/policy";
import { packArgs } from "./pack";

new PolicyPack("kfstack", packArgs());
