/** How a release tree names its kustomizations and remote bases: what a source checkout is read by. */
import * as fs from "fs";
import * as path from "path";

export const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** Finds the kustomization file of a directory, if any. */
export function kustomizationFile(dir: string): string | undefined {
    for (const name of KUSTOMIZATION_FILES) {
        const p = path.join(dir, name);
        if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
    }
    return undefined;
}

/** True when a kustomization entry is a remote base rather than a local path. */
export function isRemote(entry: string): boolean {
    return /^(https?|git|ssh|file):\/\//.test(entry) || /^git@/.test(entry) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(entry);
}
