/** Stack configs for tests and benchmarks, as the engine hands them to the program. */
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import * as auto from "@pulumi/pulumi/automation";
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
 * The dev stack for a control plane without nodes, as the e2e suite and the benchmark run it: no
 * waits for pods (`skipAwait`), webhooks that no pod serves ignored, and volumes not protected
 * (a test stack must be destroyable; people's volumes are protected by default).
 */
export function nodelessDevConfig(): Record<string, string> {
    const dev = devConfig();
    return {
        ...dev,
        "kfstack:transforms": JSON.stringify({ ...JSON.parse(dev["kfstack:transforms"]), webhookFailurePolicy: "Ignore" }),
        "kfstack:storage": JSON.stringify({ ...JSON.parse(dev["kfstack:storage"]), protect: false }),
        "kfstack:skipAwait": "true",
    };
}

/** A stack config for the Automation API: each value as given, the users (with their passwords) secret. */
export function engineConfig(config: Record<string, string>): Record<string, auto.ConfigValue> {
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v, secret: k === "kfstack:users" }]));
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
