/**
 * The folder `kfstack render` writes. Everything is computed in memory first, written to
 * a staging folder beside the target, and swapped in only once complete; a failure leaves
 * the old folder as it was and no staging folder behind. A manifest (`.kfstack-render`)
 * lists the files kfstack wrote: only those are ever replaced; any other file in the
 * folder makes the render refuse, naming it.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError, KfstackError } from "../core/errors";
import { removeTemporary, throwIfStopped, trackTemporary } from "../core/interrupt";
import { checkOutputPath, makeDirs, writeFailure } from "../core/outputPath";
import { WORKLOADS, K8sObject } from "../core/objects";
import { dumpDocument } from "../core/yaml";
import { PreparedPlatform, mirrorPlan } from "../plan";
import { Mirror, mirrorString } from "../rewrite/mirror";
import { applyScript } from "./applyScript";

/** The manifest kfstack keeps in a render folder: a header line, then one file name per line. */
export const MANIFEST = ".kfstack-render";
const MANIFEST_HEADER = "# Written by kfstack render: the files below are replaced by the next render; other files make it stop.";
/** One file of a render. */
export interface RenderFile {
    readonly name: string;
    readonly text: string;
    readonly mode?: number;
}

/** What a render writes besides the apps. */
export interface RenderExtras {
    /** On-prem storage (`00-storage.yaml`, applied first: classes and volumes before the claims). @default [] */
    readonly storage?: readonly K8sObject[];
    /** The run-time mirror rule (`mirror-admission.yaml`, applied last: it guards what comes after the install). @default [] */
    readonly admission?: readonly K8sObject[];
    /** Source images of the extras (the storage provisioner's), for images.txt and mirror-plan.tsv. @default [] */
    readonly sourceImages?: readonly string[];
}

/**
 * The files of a render, in the order they are listed: the storage, one YAML per app (CRDs
 * apart), the run-time mirror rule, apply.sh, images.txt, mirror-plan.tsv.
 */
export function renderFiles(prepared: PreparedPlatform, mirror: Mirror, extras: RenderExtras = {}): RenderFile[] {
    const admission = extras.admission ?? [];
    const storage = extras.storage ?? [];
    const width = String(prepared.apps.length).length;
    const files: RenderFile[] = [];
    const steps: string[] = [];
    const yaml = (name: string, header: string, objects: K8sObject[]) =>
        files.push({ name, text: header + objects.map((o) => "---\n" + dumpDocument(o)).join("") });
    if (storage.length > 0) {
        yaml("00-storage.yaml", `# kfstack render: on-prem storage (static class, pre-bound volumes, dynamic provisioner), ${storage.length} objects\n`, [
            ...storage,
        ]);
        steps.push("apply 00-storage.yaml");
        for (const w of storage.filter((o) => WORKLOADS.has(o.kind)))
            steps.push(`rollout ${w.kind.toLowerCase()}/${w.metadata.name} ${w.metadata.namespace ?? "default"}`);
    }
    prepared.apps.forEach((app, i) => {
        const base = `${String(i + 1).padStart(width, "0")}-${app.name}`;
        const header = `# kfstack render: app ${app.name}, ${app.objects.length} objects, after: ${app.dependsOn.join(", ") || "-"}\n# manifests sha256: ${app.digest}\n`;
        // An app's CRDs get a file of their own, applied and established before the objects
        // that use them: one kubectl call cannot map a kind whose CRD it is creating.
        const crds = app.objects.filter((o) => o.kind === "CustomResourceDefinition");
        const rest = app.objects.filter((o) => o.kind !== "CustomResourceDefinition");
        if (crds.length > 0) {
            yaml(`${base}.crds.yaml`, header, crds);
            steps.push(`apply ${base}.crds.yaml`, `established ${base}.crds.yaml`);
        }
        if (rest.length > 0) {
            yaml(`${base}.yaml`, header, rest);
            steps.push(`apply ${base}.yaml`);
            for (const w of rest.filter((o) => WORKLOADS.has(o.kind)))
                steps.push(`rollout ${w.kind.toLowerCase()}/${w.metadata.name} ${w.metadata.namespace ?? "default"}`);
        }
    });
    if (admission.length > 0) {
        yaml(
            "mirror-admission.yaml",
            `# kfstack render: mirror-only admission (ValidatingAdmissionPolicy, Kubernetes >= 1.30), ${admission.length} objects\n`,
            [...admission],
        );
        steps.push("apply mirror-admission.yaml");
    }
    files.push({ name: "apply.sh", text: applyScript(steps), mode: 0o755 });
    files.push({
        name: "images.txt",
        text: [...new Set([...prepared.apps.flatMap((a) => a.images), ...(extras.sourceImages ?? []).map((i) => mirrorString(i, mirror))])]
            .sort()
            .map((i) => i + "\n")
            .join(""),
    });
    // source <TAB> mirror reference <TAB> ECR repository: what to copy where before applying.
    const plan = mirrorPlan([...prepared.apps.flatMap((a) => a.sourceImages), ...(extras.sourceImages ?? [])], mirror);
    files.push({ name: "mirror-plan.tsv", text: plan.map((r) => r.join("\t") + "\n").join("") });
    return files;
}

/** Files an earlier kfstack render wrote, from its manifest (older renders listed none: their names). */
function writtenBefore(dir: string, entries: string[]): Set<string> {
    const text = fs.readFileSync(path.join(dir, MANIFEST), "utf8");
    const listed = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#") && !l.startsWith("Written by"));
    if (listed.length > 0) return new Set([MANIFEST, ...listed]);
    return new Set([MANIFEST, ...entries.filter((e) => /^\d+-.+\.yaml$|^(apply\.sh|images\.txt|mirror-plan\.tsv)$/.test(e))]);
}

/** The error for a failed write, naming --out and what to do. */
function writeError(out: string, e: unknown): InputError {
    return writeFailure(`--out ${out}`, e, "cannot write the render");
}

/** Checks `--out` before anything is rendered or written; returns the folder to write (a symlink's target). */
export function checkRenderTarget(out: string): { target: string; exists: boolean } {
    let target = checkOutputPath(out, "folder", `--out ${out}`, "cannot write the render");
    // Render into the folder a link points at; the link stays.
    if (fs.existsSync(target)) target = fs.realpathSync(target);
    const st = fs.statSync(target, { throwIfNoEntry: false });
    // The render is staged beside the folder and swapped in: its parent must take a new entry.
    if (st) {
        try {
            fs.accessSync(path.dirname(target), fs.constants.W_OK | fs.constants.X_OK);
        } catch {
            throw new InputError(
                `--out ${out}: its parent folder ${path.dirname(target)} is not writable, and kfstack writes the render beside the folder and swaps it in whole; render into a folder whose parent you can write to`,
                "--out",
            );
        }
    }
    if (st) {
        const entries = fs.readdirSync(target);
        const ours = entries.includes(MANIFEST) ? writtenBefore(target, entries) : new Set<string>();
        const foreign = entries.filter((e) => !ours.has(e));
        if (foreign.length > 0) {
            const names = foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? `, ... (${foreign.length} in all)` : "");
            throw new InputError(
                `--out ${out}: holds files kfstack did not write (${names}); nothing was changed: move them out, or choose an empty or new folder`,
                "--out",
            );
        }
    }
    return { target, exists: st !== undefined };
}

/** Writes the files into `out` as one step: staged beside it, then swapped in. */
export function writeRenderFolder(files: readonly RenderFile[], out: string): void {
    const { target, exists } = checkRenderTarget(out);
    const parent = path.dirname(target);
    let staging: string | undefined;
    let made: string | undefined;
    try {
        makeDirs(parent);
        throwIfStopped("rendering");
        staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.kfstack-`));
        made = staging;
        trackTemporary(made);
        for (const f of files) fs.writeFileSync(path.join(staging, f.name), f.text, { mode: f.mode ?? 0o644 });
        fs.writeFileSync(path.join(staging, MANIFEST), [MANIFEST_HEADER, ...files.map((f) => f.name), ""].join("\n"));
        fs.chmodSync(staging, 0o755);
        // The last moment to stop: after this the render is swapped in whole.
        throwIfStopped("rendering");
        if (!exists) {
            fs.renameSync(staging, target);
            staging = undefined;
            return;
        }
        const old = `${staging}.old`;
        try {
            fs.renameSync(target, old);
        } catch {
            // A mount point or a folder that cannot be moved: replace its files one by one.
            for (const e of fs.readdirSync(target)) fs.rmSync(path.join(target, e), { force: true });
            for (const f of fs.readdirSync(staging)) fs.renameSync(path.join(staging, f), path.join(target, f));
            fs.rmdirSync(staging);
            staging = undefined;
            return;
        }
        try {
            fs.renameSync(staging, target);
        } catch (e) {
            fs.renameSync(old, target); // put the earlier render back
            throw e;
        }
        staging = undefined;
        fs.rmSync(old, { recursive: true, force: true });
    } catch (e) {
        if (e instanceof KfstackError) throw e;
        throw writeError(out, e);
    } finally {
        // Renamed into place, the staging name is gone and this removes nothing.
        if (made) removeTemporary(made);
    }
}
