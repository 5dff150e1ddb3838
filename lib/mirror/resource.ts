/**
 * The life cycle of one mirrored image as a Pulumi resource (the `MirroredImage` dynamic
 * provider calls these; they need no Pulumi): create copies and verifies; read reports the
 * digest the mirror serves now, so a tag moved or an image deleted in the mirror is drift
 * that `pulumi preview --refresh` shows and `up` repairs; a new source reference replaces;
 * delete leaves the image in the registry unless asked.
 */
import { parseMirror } from "../rewrite/mirror";
import { parseReference } from "../images/reference";
import { AuthMap } from "./auth";
import { Clients, STACK_PLAIN_HTTP } from "./clients";
import { copyImages } from "./copy";
import { pairsOf, splitName, targetString } from "./naming";
import { Credentials } from "./registry";
import { DEFAULT_COPY_JOBS } from "./defaults";
import { Gate } from "./scheduler";

/** The resource's inputs. */
export interface MirroredImageProps {
    /** The source reference, as the release names it. */
    readonly source: string;
    /** The mirror, `REGISTRY[/PREFIX]`. */
    readonly mirror: string;
    readonly plainHttp?: boolean;
    readonly sourcePlainHttp?: boolean;
    /** Credentials per registry host (a Pulumi secret). */
    readonly auths?: Record<string, Credentials>;
    /** Delete the image from the mirror on `pulumi destroy`. */
    readonly deleteFromMirror?: boolean;
    /**
     * At most this many images copied at once by the provider process (`kfstack:mirror.jobs`).
     * Not part of the image: a change never updates or replaces it.
     * @default 4
     */
    readonly copySlots?: number;
}

/** The resource's outputs. */
export interface MirroredImageState extends MirroredImageProps {
    /** Where the image is served: the mirrored reference. */
    readonly target: string;
    /** The source digest the mirror must serve. */
    readonly digest: string;
    /** The digest the mirror served when last read ('' when it has none). */
    readonly mirrorDigest: string;
}

function authMap(p: MirroredImageProps): AuthMap {
    return new Map(Object.entries(p.auths ?? {}));
}

/**
 * Copies at once in one provider process: Pulumi creates resources in parallel, and each
 * resource says the stack's limit (`copySlots`); the latest one asked for holds.
 */
const copySlots = new Gate(DEFAULT_COPY_JOBS);
/** Sets the limit; waiting copies start at once when it grew. */
export function setCopySlots(n: number): void {
    copySlots.resize(Math.max(1, Math.floor(n)));
}
/** How many copies run now and wait (for tests). */
export function copySlotUse(): { running: number; waiting: number; limit: number } {
    return { running: copySlots.running, waiting: copySlots.queued, limit: copySlots.size };
}

/** Runs `fn` under the provider process's copy limit (`copySlots`). */
export function underCopyLimit<T>(slots: number | undefined, fn: () => Promise<T>): Promise<T> {
    if (slots !== undefined && slots !== copySlots.size) setCopySlots(slots);
    return copySlots.run(fn);
}

/** Copies (when the mirror does not already serve the source digest) and verifies. */
export async function mirrorImage(p: MirroredImageProps): Promise<MirroredImageState> {
    const mirror = parseMirror(p.mirror);
    const summary = await underCopyLimit(p.copySlots, () =>
        copyImages([p.source], mirror, { plainHttp: p.plainHttp, sourcePlainHttp: p.sourcePlainHttp, auths: authMap(p), journal: false }),
    );
    const r = summary.results[0];
    if (!r || r.status === "failed" || !r.digest) throw new Error(`mirroring ${p.source} into ${p.mirror} failed: ${r?.reason ?? "no result"}`);
    return { ...p, target: r.target, digest: r.digest, mirrorDigest: r.digest };
}

/** The digest the mirror serves now at the image's place ('' when none). */
export async function readMirrorDigest(p: MirroredImageProps): Promise<string> {
    const mirror = parseMirror(p.mirror);
    const [pair] = pairsOf([p.source], mirror);
    const clients = new Clients(
        { plainHttp: p.plainHttp, sourcePlainHttp: p.sourcePlainHttp, auths: authMap(p), plainHttpSwitches: STACK_PLAIN_HTTP },
        mirror.host,
    );
    const repo = splitName(pair.targetName).repository;
    const info = await clients.for(mirror.host).headManifest(repo, pair.targetReference);
    return info?.digest ?? "";
}

/** What a change of inputs, or a mirror that drifted, asks of the engine. */
export function diffImage(olds: MirroredImageState, news: MirroredImageProps): { changes: boolean; replaces: string[] } {
    const replaces: string[] = [];
    if (parseReference(olds.source).normalized !== parseReference(news.source).normalized) replaces.push("source");
    if (parseMirror(olds.mirror).location !== parseMirror(news.mirror).location) replaces.push("mirror");
    const drifted = olds.mirrorDigest !== olds.digest;
    const settings = olds.plainHttp !== news.plainHttp || olds.sourcePlainHttp !== news.sourcePlainHttp || olds.deleteFromMirror !== news.deleteFromMirror;
    const auths = JSON.stringify(olds.auths ?? {}) !== JSON.stringify(news.auths ?? {});
    return { changes: replaces.length > 0 || drifted || settings || auths, replaces };
}

/** Deletes the manifest from the mirror, when the resource says so. */
export async function deleteImage(s: MirroredImageState): Promise<void> {
    if (!s.deleteFromMirror) return;
    const mirror = parseMirror(s.mirror);
    const [pair] = pairsOf([s.source], mirror);
    const clients = new Clients({ plainHttp: s.plainHttp, auths: authMap(s), plainHttpSwitches: STACK_PLAIN_HTTP }, mirror.host);
    await clients
        .for(mirror.host)
        .deleteManifest(splitName(pair.targetName).repository, s.digest)
        .catch((e: Error) => {
            if (!/HTTP 404/.test(e.message)) throw e;
        });
}

/** The mirrored reference of a source (the resource's id). */
export function mirroredTarget(source: string, mirror: string): string {
    return targetString(pairsOf([source], parseMirror(mirror))[0]);
}
