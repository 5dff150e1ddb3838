/**
 * `kfstack diff OLD_MANIFESTS NEW_MANIFESTS [--mirror REGISTRY[/PREFIX]] [--json]`: what an
 * upgrade changes, per app, rendered from both release trees (no cluster). Exit 0 with the
 * report (an upgrade always differs); 2 for bad input.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError, UsageError } from "../core/errors";
import { parseSettings } from "../config";
import { diffPlatforms, formatDiff, formatMarks, objectMarks, preparePlatform } from "../plan";
import { Outcome, Parsed } from "./args";

/** Without --mirror, the objects are compared as rewritten to this placeholder (images compare by source). */
const PLACEHOLDER = "mirror.invalid/kfstack-diff";

export async function diffCommand(p: Parsed, live: { progress: (l: string) => void }): Promise<Outcome> {
    if (p.positional.length !== 2)
        throw new UsageError(`'kfstack diff' compares two release trees: kfstack diff OLD_MANIFESTS NEW_MANIFESTS (got ${p.positional.length} argument(s))`);
    const [oldDir, newDir] = p.positional.map((d) => path.resolve(d));
    for (const d of [oldDir, newDir]) {
        if (!fs.existsSync(path.join(d, "example", "kustomization.yaml"))) {
            throw new InputError(`${d} is not a kubeflow/manifests tree (no example/kustomization.yaml); give the folders of two releases`, d);
        }
    }
    const mirror = p.flags.get("--mirror")?.[0] ?? PLACEHOLDER;
    const kustomize = p.flags.get("--kustomize")?.[0];
    // Both settings first: bad input is reported before any progress line.
    const settingsOf = (dir: string) =>
        parseSettings({ manifests: { path: dir }, mirror: { registry: mirror }, ...(kustomize ? { kustomize: { binary: kustomize } } : {}) }, process.cwd());
    const [oldS, newS] = [settingsOf(oldDir), settingsOf(newDir)];
    live.progress(`kfstack diff: rendering ${oldDir}`);
    const oldP = await preparePlatform(oldS);
    live.progress(`kfstack diff: rendering ${newDir}`);
    const newP = await preparePlatform(newS);
    const d = diffPlatforms(oldP, newP);
    // Per object: in place, replaced (the field), deleted, moved between apps, data at risk.
    const objects = objectMarks(oldP.apps, newP.apps);
    const stdout = p.switches.has("--json") ? JSON.stringify({ ...d, objects }, null, 2) + "\n" : formatDiff(d) + formatMarks(objects);
    const changedApps = Object.values(d.apps).filter((a) => a.status !== "same").length;
    return { stdout, stderr: `kfstack diff: ${changedApps} app(s) changed; ${d.images.added.length} image(s) to mirror before the upgrade\n`, code: 0 };
}
