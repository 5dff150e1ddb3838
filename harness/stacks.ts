/** Stack configs for tests and benchmarks, as the engine hands them to the program. */
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { ROOT, TREE_191 } from "./paths";
import { partitionOfRegion } from "../lib/aws";

export const PASSWORD = "correct horse battery staple";

/** The dev stack's config as the engine hands it to the program (objects JSON-encoded). */
export function devConfig(overrides: Record<string, unknown> = {}): Record<string, string> {
    const stack = jsyaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const config: Record<string, unknown> = { ...stack.config, ...overrides };
    config["kfstack:manifests"] = { path: TREE_191 };
    const users = config["kfstack:users"] as { email: string }[];
    config["kfstack:users"] = users.map((u) => ({ ...u, password: PASSWORD }));
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/**
 * The prod stack's config (Pulumi.prod.yaml: EKS in cn-northwest-1, ECR as the mirror) as the
 * engine hands it to the program; `region` moves it to another region and partition (the
 * mirror host with it), to prove nothing is China-only or global-only.
 */
export function prodConfig(region = "cn-northwest-1", overrides: Record<string, unknown> = {}): Record<string, string> {
    const stack = jsyaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> };
    const config: Record<string, unknown> = { ...stack.config, ...overrides };
    config["kfstack:manifests"] = { path: TREE_191 };
    config["aws:region"] = region;
    const suffix = partitionOfRegion(region).dnsSuffix;
    const mirror = config["kfstack:mirror"] as Record<string, unknown>;
    config["kfstack:mirror"] = { ...mirror, registry: `123456789012.dkr.ecr.${region}.${suffix}/kubeflow` };
    const users = config["kfstack:users"] as { email: string }[];
    config["kfstack:users"] = users.map((u) => ({ ...u, password: PASSWORD }));
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}
