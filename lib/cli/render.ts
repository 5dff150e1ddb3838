/**
 * `kfstack render`: the exact final manifests of each Kubeflow app, one file per app, in
 * install order, without a cluster — what `pulumi up` would apply, for GitOps users and
 * for review.
 */
import * as path from "path";
import { UsageError } from "../core/errors";
import { parseSettings, readStackFile, Settings } from "../config";
import { preparePlatform } from "../plan";
import { planExtras } from "../check";
import { Outcome, Parsed } from "./args";
import { checkRenderTarget, renderFiles, writeRenderFolder } from "./renderFolder";

/** Settings for a render from flags and/or a stack file; flags win. */
export function renderSettings(flags: ReadonlyMap<string, string[]>): { settings: Settings; hadUsers: boolean } {
    const one = (k: string) => flags.get(k)?.[0];
    let raw: Record<string, unknown> = {};
    let baseDir = process.cwd();
    const configFile = one("--config");
    if (configFile) {
        raw = readStackFile(configFile);
        baseDir = path.dirname(path.resolve(configFile));
    }
    const manifests = one("--manifests");
    if (manifests) raw.manifests = { path: path.resolve(manifests) };
    const mirror = one("--mirror");
    if (mirror) raw.mirror = { ...((raw.mirror as object) ?? {}), registry: mirror };
    const kustomize = one("--kustomize");
    if (kustomize) raw.kustomize = { ...((raw.kustomize as object) ?? {}), binary: kustomize };
    // Validated whole (users included); passwords are secrets only the Pulumi engine can
    // decrypt, so render leaves Dex's users as released.
    const settings = parseSettings(raw, baseDir);
    return { settings: { ...settings, users: [] }, hadUsers: settings.users.length > 0 };
}

/** `kfstack render (--manifests DIR --mirror REGISTRY[/PREFIX] | --config FILE) --out DIR` */
export async function renderCommand(p: Parsed): Promise<Outcome> {
    if (p.positional.length > 0) throw new UsageError(`'kfstack render' takes no FILE (got ${p.positional.join(" ")})`);
    if ((p.flags.get("--mirror") ?? []).length > 1) throw new UsageError("'kfstack render' takes one --mirror", "--mirror");
    const out = p.flags.get("--out")?.[0];
    if (!out) throw new UsageError("'kfstack render' needs --out DIR", "--out");
    if (!p.flags.has("--config") && !p.flags.has("--manifests")) {
        throw new UsageError("'kfstack render' needs --manifests DIR (a kubeflow/manifests checkout) or --config Pulumi.<stack>.yaml");
    }
    const { settings, hadUsers } = renderSettings(p.flags);
    checkRenderTarget(out); // before the minutes of rendering, not after
    const prepared = await preparePlatform(settings);
    const extras = planExtras(settings, prepared);
    const files = renderFiles(prepared, settings.mirror, {
        admission: extras.admission,
        storage: extras.storageObjects,
        sourceImages: extras.storage?.sourceImages,
    });
    writeRenderFolder(files, out);
    const objects = prepared.apps.reduce((n, a) => n + a.objects.length, 0);
    const yamlFiles = files.filter((f) => f.name.endsWith(".yaml"));
    const notes = [
        ...prepared.warnings.map((w) => `kfstack: warning: ${w}`),
        ...(hadUsers ? ["kfstack: note: Dex users from the stack config are applied by `pulumi up` only (their passwords are secrets)"] : []),
        `kfstack: wrote ${prepared.apps.length} apps (${yamlFiles.length} files), ${objects} objects to ${out}; apply with ${path.join(out, "apply.sh")} (images under ${settings.mirror.location}: copy them there first, ${path.join(out, "mirror-plan.tsv")})`,
    ];
    return { stdout: yamlFiles.map((f) => path.join(out, f.name) + "\n").join(""), stderr: notes.join("\n") + "\n", code: 0 };
}
