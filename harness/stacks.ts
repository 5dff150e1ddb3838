/** Stack configs for tests and benchmarks, as the engine hands them to the program. */
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { ROOT, TREE_191 } from "./paths";

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
