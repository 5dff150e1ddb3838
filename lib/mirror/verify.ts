/** The two digests every mirror check compares, and `verifyImages` built from them. */
import { InterruptedError, throwIfStopped } from "../core/interrupt";
import { Mirror } from "../rewrite/mirror";
import { Clients, RegistryAccess, retryReporter } from "./clients";
import { DEFAULT_VERIFY_JOBS } from "./defaults";
import { Journal } from "./journal";
import { Pair, pairsOf, splitName, targetString } from "./naming";
import { messageOf } from "./results";
import { parallel } from "./scheduler";

export interface SourceDigest {
    readonly digest?: string;
    /** Why there is no digest. */
    readonly reason?: string;
    /** Taken from the journal of an interrupted run, not asked again. */
    readonly fromJournal: boolean;
}

/** The source digest: the reference's own, the journal's, or the source registry's (HEAD). */
export async function sourceDigestOf(clients: Clients, p: Pair, journal?: Journal): Promise<SourceDigest> {
    if (p.source.digest) return { digest: p.source.digest, fromJournal: false };
    const known = journal?.entries.get(p.source.normalized);
    if (known) return { digest: known.digest, fromJournal: true };
    const tag = p.source.tag ?? "latest";
    const info = await clients.for(p.source.registry).headManifest(p.source.repository, tag);
    if (!info) return { reason: `not found at the source (${p.source.registry} has no ${p.source.repository}:${tag})`, fromJournal: false };
    return { digest: info.digest, fromJournal: false };
}

/** The digest the mirror serves at the pair's target (HEAD), if any. */
export async function mirrorDigestOf(clients: Clients, p: Pair): Promise<string | undefined> {
    const { host, repository } = splitName(p.targetName);
    return (await clients.for(host).headManifest(repository, p.targetReference))?.digest;
}

/** One image's state in the mirror. */
export interface VerifyResult {
    readonly source: string;
    readonly target: string;
    readonly status: "present" | "missing" | "differs" | "failed";
    readonly sourceDigest?: string;
    readonly mirrorDigest?: string;
    readonly reason?: string;
}

/** Whether each image is in the mirror with its source digest (HEAD at both ends). */
export async function verifyImages(
    references: string[],
    mirror: Mirror,
    options: RegistryAccess & { jobs?: number; progress?: (line: string) => void } = {},
): Promise<VerifyResult[]> {
    const pairs = pairsOf(references, mirror);
    const say = options.progress ?? (() => undefined);
    const clients = new Clients(options, mirror.host, retryReporter(say));
    const out = new Map<string, VerifyResult>();
    await parallel(pairs, Math.max(1, options.jobs ?? DEFAULT_VERIFY_JOBS), async (p) => {
        const target = targetString(p);
        const source = p.source.normalized;
        try {
            const src = await sourceDigestOf(clients, p);
            if (!src.digest) return void out.set(source, { source, target, status: "failed", reason: src.reason });
            const have = await mirrorDigestOf(clients, p);
            const status = !have ? "missing" : have === src.digest ? "present" : "differs";
            out.set(source, { source, target, status, sourceDigest: src.digest, mirrorDigest: have });
        } catch (e) {
            if (e instanceof InterruptedError) return;
            out.set(source, { source, target, status: "failed", reason: messageOf(e) });
        }
        const r = out.get(source)!;
        say(`[${out.size}/${pairs.length}] ${r.status} ${source}${r.reason ? `: ${r.reason}` : ""}`);
    });
    throwIfStopped("verifying the mirror");
    return pairs.map((p) => out.get(p.source.normalized) as VerifyResult);
}
