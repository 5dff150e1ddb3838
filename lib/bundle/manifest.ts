/**
 * `bundle.json`: what a bundle holds (the release, every image with its digest and blobs, every
 * plugin and tool with its version and checksum, every file with its checksum and size) and,
 * for a delta, the bundle it is a delta on. `checksums.sha256` lists the same files for
 * `sha256sum -c`. Read on the installing side as untrusted input: every field checked.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../core/errors";
import { isSafeName } from "./files";

export const MANIFEST = "bundle.json";
export const CHECKSUMS = "checksums.sha256";
/** The folder `bundle install` writes into, inside the bundle: never part of a bundle itself. */
export const INSTALLED = "install";
/** Written first by `bundle create` and removed last: a folder holding it is a bundle still being made. */
export const UNFINISHED = ".kfstack-bundle-unfinished";
export const FORMAT = 1;

/** The platform this process runs on, as bundles name theirs (`linux-x64`). */
export function thisPlatform(): string {
    return `${process.platform}-${process.arch}`;
}

export interface BundleImage {
    readonly source: string;
    readonly digest: string;
    readonly mediaType: string;
    readonly size: number;
    /** Every blob the image reaches, its manifests included. */
    readonly blobs: readonly string[];
}

/** A Pulumi plugin, as `pulumi plugin install --file` would install it. */
export interface BundlePlugin {
    readonly kind: "resource";
    readonly name: string;
    readonly version: string;
    /** The binary in the bundle (`plugins/resource-kubernetes-v4.25.0/pulumi-resource-kubernetes`). */
    readonly file: string;
    readonly sha256: string;
    readonly size: number;
}

/** A program the install or `pulumi up` runs: kustomize, the Pulumi CLI and the plugins it ships with. */
export interface BundleTool {
    readonly name: string;
    readonly version: string;
    readonly file: string;
    readonly sha256: string;
    readonly size: number;
}

export interface BundleManifest {
    readonly format: typeof FORMAT;
    /** The kfstack version that made it. */
    readonly kfstack: string;
    readonly created: string;
    /** The stack (`dev` for Pulumi.dev.yaml). */
    readonly stack: string;
    /** The manifests release (`v1.9.1`) and its folder in the bundle. */
    readonly release: { readonly name: string; readonly dir: string };
    /** Remote kustomize base URL → its folder (or file) in the bundle. */
    readonly remotes: Readonly<Record<string, string>>;
    /** Each extra app (`kfstack:apps.extra`) → its folder in the bundle. */
    readonly extras: Readonly<Record<string, string>>;
    /** The mirror the stack named when the bundle was made (install may name another). */
    readonly mirror: string;
    readonly platform: string;
    readonly images: readonly BundleImage[];
    readonly plugins: readonly BundlePlugin[];
    readonly tools: readonly BundleTool[];
    /** Every file of the whole bundle but bundle.json and checksums.sha256: name → [sha256, size]. */
    readonly files: Readonly<Record<string, readonly [string, number]>>;
    /** For a delta: the bundle it builds on (the sha256 of its bundle.json); its files are not shipped again. */
    readonly base?: { readonly sha256: string; readonly release: string; readonly created: string };
    readonly sizes: {
        /** Bytes of the whole bundle. */
        readonly total: number;
        /** Bytes shipped in this folder (the whole bundle, or a delta's share). */
        readonly shipped: number;
        /** Bytes per part (images, plugins, tools, project, npm, manifests), whole. */
        readonly parts: Readonly<Record<string, number>>;
    };
}

const HEX64 = /^[0-9a-f]{64}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

function damaged(file: string, what: string): InputError {
    return new InputError(
        `${file} is damaged or not a kfstack bundle's (${what}); nothing was changed: copy the bundle again, or make it again with 'kfstack bundle create'`,
        file,
    );
}

/** Reads and checks a bundle.json (untrusted): every field of the right type, every file name safe. */
export function readManifest(file: string): BundleManifest {
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!st) throw new InputError(`${file}: no such file; name a bundle folder or its ${MANIFEST}`, file);
    if (!st.isFile()) throw damaged(file, "not a regular file");
    if (st.size > 64 << 20) throw damaged(file, `${st.size} bytes, more than any bundle manifest`);
    let m: Record<string, unknown>;
    try {
        m = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
        throw damaged(file, "not JSON");
    }
    const fail = (what: string) => damaged(file, what);
    if (typeof m !== "object" || m === null) throw fail("not an object");
    if (m.format !== FORMAT) throw fail(`format ${JSON.stringify(m.format)}; this kfstack reads format ${FORMAT}`);
    for (const k of ["kfstack", "created", "stack", "mirror", "platform"]) if (typeof m[k] !== "string") throw fail(`${k} is not a string`);
    if (!/^[A-Za-z0-9_.-]+$/.test(m.stack as string)) throw fail("the stack name is not a name");
    const release = m.release as BundleManifest["release"];
    if (typeof release !== "object" || release === null || typeof release.name !== "string" || typeof release.dir !== "string" || !isSafeName(release.dir))
        throw fail("release is not {name, dir}");
    const files = m.files as Record<string, unknown>;
    if (typeof files !== "object" || files === null) throw fail("files is not a map");
    for (const [name, v] of Object.entries(files)) {
        if (!isSafeName(name) || name === MANIFEST || name === CHECKSUMS || name.split("/")[0] === INSTALLED)
            throw fail(`a file name ${JSON.stringify(name.slice(0, 200))} that is not a bundle file`);
        if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "string" || !HEX64.test(v[0]) || !Number.isSafeInteger(v[1]) || v[1] < 0)
            throw fail(`${name} has no [sha256, size]`);
    }
    const remotes = m.remotes as Record<string, unknown>;
    if (typeof remotes !== "object" || remotes === null || Object.values(remotes).some((d) => typeof d !== "string" || !isSafeName(d)))
        throw fail("remotes is not a map of URL → folder");
    const extras = m.extras as Record<string, unknown>;
    if (typeof extras !== "object" || extras === null || Object.values(extras).some((d) => typeof d !== "string" || !isSafeName(d)))
        throw fail("extras is not a map of app → folder");
    if (!Array.isArray(m.images)) throw fail("images is not a list");
    for (const i of m.images as BundleImage[]) {
        if (
            typeof i?.source !== "string" ||
            !DIGEST.test(i.digest) ||
            typeof i.mediaType !== "string" ||
            !Number.isSafeInteger(i.size) ||
            !Array.isArray(i.blobs) ||
            i.blobs.some((b) => !DIGEST.test(b))
        )
            throw fail("an image entry is not {source, digest, mediaType, size, blobs}");
    }
    for (const [list, kindOk] of [
        [m.plugins, (p: BundlePlugin) => p.kind === "resource" && /^[a-z0-9-]+$/.test(p.name)],
        [m.tools, (t: BundleTool) => /^[A-Za-z0-9_.-]+$/.test(t.name)],
    ] as [unknown, (x: never) => boolean][]) {
        if (!Array.isArray(list)) throw fail("plugins or tools is not a list");
        for (const p of list as (BundlePlugin & BundleTool)[]) {
            if (
                typeof p !== "object" ||
                p === null ||
                !kindOk(p as never) ||
                typeof p.version !== "string" ||
                typeof p.file !== "string" ||
                !isSafeName(p.file) ||
                !HEX64.test(p.sha256)
            )
                throw fail("a plugin or tool entry is not {name, version, file, sha256}");
            const listed = files[p.file] as [string, number] | undefined;
            if (!listed || listed[0] !== p.sha256) throw fail(`${p.file} (${p.name} ${p.version}) is not among the files with its checksum`);
        }
    }
    const base = m.base as BundleManifest["base"];
    if (base !== undefined && (typeof base !== "object" || base === null || !HEX64.test(base.sha256) || typeof base.release !== "string"))
        throw fail("base is not {sha256, release}");
    return m as unknown as BundleManifest;
}

/** The manifest of a bundle given as its folder or its bundle.json. */
export function manifestOf(where: string): { manifest: BundleManifest; file: string; dir?: string } {
    const st = fs.statSync(where, { throwIfNoEntry: false });
    if (!st) throw new InputError(`${where}: no such file or folder; name an earlier bundle's folder or its ${MANIFEST}`, where);
    if (st.isDirectory()) {
        const file = path.join(where, MANIFEST);
        if (fs.existsSync(path.join(where, UNFINISHED)) || !fs.existsSync(file))
            throw new InputError(`${where} is not a finished bundle (no ${MANIFEST}); finish it with 'kfstack bundle create' again`, where);
        return { manifest: readManifest(file), file, dir: path.resolve(where) };
    }
    return { manifest: readManifest(where), file: where };
}

/** `checksums.sha256`'s text: one `<sha256>  <name>` line per file, sorted by name. */
export function checksumsText(files: Readonly<Record<string, readonly [string, number]>>): string {
    return (
        Object.keys(files)
            .sort()
            .map((f) => `${files[f][0]}  ${f}`)
            .join("\n") + "\n"
    );
}
