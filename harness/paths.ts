/** Where things are, for tests, benchmarks and the engine harness (all compiled to dist/<folder>/). */
import * as fs from "fs";
import * as path from "path";

/** The project root. */
export const ROOT = path.resolve(__dirname, "..", "..");
/** kubeflow/manifests test data, beside the project (never copied into it). */
export const SHARED = path.resolve(ROOT, "..", "shared", "kubeflow-manifests");
export const RENDERED_191 = path.join(SHARED, "v1.9.1.rendered.yaml");
export const TREE_191 = path.join(SHARED, "v1.9.1");
/** The built CLI. */
export const CLI = path.join(ROOT, "dist", "lib", "cli", "main.js");
/** Engine pieces built from Go modules by scripts/build-engine.sh. */
export const ENGINE_BIN = path.join(ROOT, ".engine", "bin");

/** True when ../shared holds the kubeflow/manifests data (CI has it; a contributor may not). */
export function sharedPresent(): boolean {
    return fs.existsSync(TREE_191) && fs.existsSync(RENDERED_191);
}
