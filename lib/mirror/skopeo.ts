/**
 * skopeo, the copier: `copy --all --preserve-digests` moves every platform of an image
 * byte for byte, so the digest the manifests name stays valid in the mirror. kfstack runs
 * one skopeo per image and attempt, and reads its failure to decide whether to retry.
 */
import { spawn, spawnSync } from "child_process";
import { KfstackError } from "../core/errors";
import { InterruptedError, stopSignal } from "../core/interrupt";
import { Classified } from "./retry";

/** skopeo is not installed. */
export class SkopeoMissingError extends KfstackError {
    constructor() {
        super(
            "skopeo is not installed; kfstack copies images with it. Install it (Debian/Ubuntu: apt-get install skopeo; RHEL/Fedora: dnf install skopeo; macOS: brew install skopeo) or run scripts/setup.sh",
            "skopeo",
        );
    }
}

/** One failed skopeo run, with the reason read from its output. */
export class CopyError extends KfstackError implements Classified {
    constructor(
        message: string,
        readonly retryable: boolean,
    ) {
        super(message);
    }
}

let found: string | undefined;

/** The skopeo binary on PATH (or $KFSTACK_SKOPEO); throws SkopeoMissingError. */
export function skopeoBinary(): string {
    if (found) return found;
    const candidate = process.env.KFSTACK_SKOPEO || "skopeo";
    const r = spawnSync(candidate, ["--version"], { encoding: "utf8" });
    if (r.error || r.status !== 0) throw new SkopeoMissingError();
    found = candidate;
    return found;
}

/** Where an image is read from or written to, in skopeo's transport syntax. */
export type Location = { kind: "docker"; reference: string; plainHttp: boolean } | { kind: "dir"; dir: string };

export interface SkopeoOptions {
    /** An auth file (containers-auth.json format) for both ends; written by kfstack, mode 0600. */
    readonly authFile?: string;
    /**
     * Kill an attempt that takes longer, in milliseconds (a stalled connection).
     * @default 600000
     */
    readonly timeoutMs?: number;
}

function transportArgs(side: "src" | "dest", l: Location): { args: string[]; ref: string } {
    if (l.kind === "docker") return { args: l.plainHttp ? [`--${side}-tls-verify=false`] : [], ref: `docker://${l.reference}` };
    return { args: [], ref: `dir:${l.dir}` };
}

/**
 * Reads skopeo's error text: 429, 5xx, resets, time-outs, broken pipes and connections closed
 * under a write (Go's "use of closed network connection" when the peer drops an upload) are worth another
 * attempt (skopeo reuses blobs already in the destination, so a retry moves only what is
 * missing); a digest mismatch, a missing image or refused credentials are not.
 */
export function classifyFailure(stderr: string): { retryable: boolean; reason: string } {
    const fatal = /level=fatal msg="(.*)"\s*$/m.exec(stderr);
    let reason = (fatal ? fatal[1] : (stderr.trim().split("\n").pop() ?? "")).replace(/\\"/g, '"');
    if (/[Dd]igest did not match|digest mismatch|content does not match/i.test(stderr)) {
        const m = /expected (sha256:[0-9a-f]{64}).*?got (sha256:[0-9a-f]{64})/.exec(stderr);
        reason = m
            ? `a source blob does not match its digest (expected ${m[1]}, got ${m[2]}): the source registry serves corrupt data`
            : `a blob does not match its digest: ${reason}`;
        return { retryable: false, reason };
    }
    // c/image takes a failed manifest upload for "the registry does not take this type" and tries
    // to convert, which --preserve-digests forbids: the error names the conversion, the cause was
    // often a transient failure of the upload. Worth another attempt; if it persists, the mirror
    // does not store this manifest type.
    if (/must be converted to type .* preserve digests/i.test(stderr)) {
        return {
            retryable: true,
            reason: `the mirror did not store the manifest as it is (a failed upload, or a registry that does not take its type): ${reason}`,
        };
    }
    if (/manifest unknown|name unknown|not found|does not exist/i.test(stderr) && !/\b(5\d\d)\b/.test(stderr)) return { retryable: false, reason };
    if (/unauthorized|authentication required|denied|\b401\b|\b403\b/i.test(stderr)) return { retryable: false, reason };
    if (
        /toomanyrequests|too many requests|\b429\b|\b50[0-9]\b|Service Unavailable|Internal Server Error|Bad Gateway|Gateway Time|connection reset|broken pipe|use of closed network connection|connection aborted|EOF|i\/o timeout|timeout|TLS handshake|connection refused|no such host|temporary failure/i.test(
            stderr,
        )
    ) {
        return { retryable: true, reason };
    }
    return { retryable: false, reason };
}

/** One `skopeo copy --all --preserve-digests`; throws CopyError. */
export function skopeoCopy(src: Location, dest: Location, options: SkopeoOptions = {}): Promise<void> {
    const bin = skopeoBinary();
    const s = transportArgs("src", src);
    const d = transportArgs("dest", dest);
    const args = ["copy", "--all", "--preserve-digests", "--quiet", ...s.args, ...d.args];
    if (options.authFile) args.push("--src-authfile", options.authFile, "--dest-authfile", options.authFile);
    args.push(s.ref, d.ref);
    return new Promise((resolve, reject) => {
        if (stopSignal.aborted) return reject(new InterruptedError("copying with skopeo"));
        const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        let timedOut = false;
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (c: string) => {
            if (stderr.length < 64 * 1024) stderr += c;
        });
        const kill = (): void => {
            child.kill("SIGKILL");
        };
        const timer = setTimeout(() => {
            timedOut = true;
            kill();
        }, options.timeoutMs ?? 600_000);
        stopSignal.addEventListener("abort", kill, { once: true });
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(new CopyError(`skopeo could not start: ${e.message}`, false));
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            stopSignal.removeEventListener("abort", kill);
            if (code === 0) return resolve();
            if (stopSignal.aborted) return reject(new InterruptedError("copying with skopeo"));
            if (timedOut)
                return reject(new CopyError(`no progress within ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s (stalled connection); killed`, true));
            const { retryable, reason } = classifyFailure(stderr);
            reject(new CopyError(reason || `skopeo exited with ${code}`, retryable));
        });
    });
}
