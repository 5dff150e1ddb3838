/** The release's manifests: a local checkout, or a git clone made once into the cache. */
import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import { InputError } from "../core/errors";
import { cachePath } from "../core/cache";
import { configKey } from "../core/configKeys";

/** Where a release comes from (`kfstack:manifests`): a local tree, or a git URL and ref; the example to install. */
export interface ManifestsSource {
    readonly path?: string;
    readonly git?: string;
    readonly ref?: string;
    readonly example: string;
}

/** Where the release's manifests are: a local path, or a git checkout made once into the cache. */
export function manifestsDir(settings: { readonly manifests: ManifestsSource }): string {
    if (settings.manifests.path) return settings.manifests.path;
    const { git, ref } = settings.manifests;
    const dir = cachePath("manifests", crypto.createHash("sha256").update(`${git}@${ref}`).digest("hex").slice(0, 16));
    if (fs.existsSync(path.join(dir, ".git"))) return dir;
    const r = spawnSync("git", ["clone", "--quiet", "--depth", "1", "--branch", String(ref), String(git), dir], { encoding: "utf8" });
    if (r.status !== 0) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw new InputError(
            `${configKey("manifests", "git")}: cannot clone ${git} at ${ref}: ${(r.stderr || r.error?.message || "").trim().split("\n").pop()}; without network, set ${configKey("manifests", "path")} to a local checkout`,
            configKey("manifests", "git"),
        );
    }
    return dir;
}
