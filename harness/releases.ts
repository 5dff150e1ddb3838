/**
 * Releases as a connected side sees them, for the bundle's test and benchmark: the dev stack on a
 * release tree, and images in the shape of its plan in a registry — its repositories and tags,
 * under kfstack's naming below a prefix (a connected-side mirror to fetch from). An image keeps
 * its content from one release to the next when its reference does; a base layer per repository
 * is kept across tags. References pinned by digest are left out: no registry here can serve a
 * real digest.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as jsyaml from "js-yaml";
import { ROOT } from "./paths";
import { pushImage, Registry } from "./registry";
import { parseSettings, readStackFile } from "../lib/config";
import { preparePlatform } from "../lib/plan";
import { planExtras } from "../lib/check";
import { parseReference } from "../lib/images";
import { pairsOf, parallel, splitName } from "../lib/mirror";
import { parseMirror } from "../lib/rewrite";

/**
 * The dev stack (Pulumi.dev.yaml) on `tree`, written as `<dir>/Pulumi.dev.yaml`; `nodeless`: for a
 * control plane without nodes, as the engine e2e suite runs it (no waits for pods, webhooks no
 * pod serves ignored, volumes not protected).
 */
export function devStackOn(dir: string, tree: string, nodeless: boolean): string {
    const dev = jsyaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> };
    const config: Record<string, unknown> = { ...dev.config, "kfstack:manifests": { path: tree } };
    if (nodeless) {
        config["kfstack:transforms"] = { ...dev.config["kfstack:transforms"], webhookFailurePolicy: "Ignore" };
        config["kfstack:storage"] = { ...dev.config["kfstack:storage"], protect: false };
        config["kfstack:skipAwait"] = true;
    }
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "Pulumi.dev.yaml");
    fs.writeFileSync(file, jsyaml.dump({ config }));
    return file;
}

/** Incompressible bytes from a seed, fast (AES-CTR), stored as a gzip member so images stay valid. */
export function randomLayer(seed: string, size: number): Buffer {
    const key = crypto.createHash("sha256").update(seed).digest();
    const c = crypto.createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
    return zlib.gzipSync(Buffer.concat([c.update(Buffer.alloc(size)), c.final()]), { level: 0 });
}

export interface ReleaseImages {
    /** The image list (one reference per line), for `--images`. */
    readonly file: string;
    readonly refs: string[];
    /** References pinned by digest in the plan, left out. */
    readonly pinned: number;
}

/**
 * Pushes the images of each stack's plan into `registry` under `<registry>/<prefix>` (kfstack's
 * naming), each once across stacks, and writes each list into `work`.
 */
export async function seedReleaseImages(
    registry: Registry,
    prefix: string,
    stacks: Record<string, string>,
    sizes: { readonly base: number; readonly own: number },
    work: string,
): Promise<Record<string, ReleaseImages>> {
    const upstream = parseMirror(`${registry.host}/${prefix}`);
    const client = registry.client();
    const pushed = new Set<string>();
    const out: Record<string, ReleaseImages> = {};
    for (const [release, stack] of Object.entries(stacks)) {
        const settings = parseSettings(readStackFile(stack), path.dirname(stack));
        const planned = new Set(planExtras(settings, await preparePlatform(settings)).sourceImages.map((r) => parseReference(r).normalized));
        const refs = [...planned].filter((r) => !parseReference(r).digest).sort();
        await parallel(
            refs.filter((r) => !pushed.has(r)),
            4,
            async (ref) => {
                pushed.add(ref);
                const { repository } = splitName(pairsOf([ref], upstream)[0].targetName);
                const layers = [randomLayer(`base ${repository}`, sizes.base), randomLayer(`own ${ref}`, sizes.own)];
                await pushImage(client, repository, parseReference(ref).tag ?? "latest", [{ architecture: "amd64", layers }], "docker");
            },
        );
        const file = path.join(work, `images-${release}.txt`);
        fs.writeFileSync(file, refs.join("\n") + "\n");
        out[release] = { file, refs, pinned: planned.size - refs.length };
    }
    return out;
}
