/**
 * A bundle's files: walked, hashed, copied, and read back as untrusted input. A bundle crosses an
 * air gap on a disk or a slow link, so the side that installs it trusts nothing in it until every
 * file is a regular file inside the bundle with the checksum the bundle lists for it.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Transform } from "stream";
import { pipeline } from "stream/promises";
import { InputError } from "../core/errors";
import { makeDirs } from "../core/outputPath";
import { FileSum, SMALL_FILE } from "../core/files";
export { hashFile, writeFileAtomic } from "../core/files";
export type { FileSum } from "../core/files";
import { throwIfStopped } from "../core/interrupt";

/** `a/b/c` for a path under `root`, with forward slashes whatever the platform. */
export function relativeName(root: string, file: string): string {
    return path.relative(root, file).split(path.sep).join("/");
}

/**
 * The regular files under `dir` (relative names, sorted), skipping names `skip` says to. A link or
 * any other kind of file is an error naming it when `strict` (a bundle holds regular files only),
 * else left out (a project tree's editor sockets and the like).
 */
export function listTree(dir: string, options: { skip?: (rel: string) => boolean; strict?: (rel: string, what: string) => Error } = {}): string[] {
    const out: string[] = [];
    const walk = (at: string): void => {
        for (const e of fs.readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
            const full = path.join(at, e.name);
            const rel = relativeName(dir, full);
            if (options.skip?.(rel)) continue;
            if (e.isDirectory()) walk(full);
            else if (e.isFile()) out.push(rel);
            else if (options.strict) throw options.strict(rel, e.isSymbolicLink() ? "a symbolic link" : "not a regular file");
        }
    };
    walk(dir);
    return out.sort();
}

/** A name a bundle may hold: relative, forward slashes, no `.`/`..` part, no control characters. */
export function isSafeName(rel: string): boolean {
    if (!rel || rel.length > 1024 || rel.startsWith("/") || rel.includes("\\") || [...rel].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
        return false;
    return rel.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/** Copies a file (a hard link when the file system allows: bundles are large and read-only), creating its folder. */
export function placeFile(from: string, to: string, mode?: number): void {
    makeDirs(path.dirname(to));
    const tmp = `${to}.tmp-${process.pid}`;
    fs.rmSync(tmp, { force: true });
    fs.copyFileSync(from, tmp);
    if (mode !== undefined) fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, to);
}

/** Copies a file (temp name, then rename) and hashes it on the way: one read of the source. */
export async function copyHashing(from: string, to: string, mode?: number): Promise<FileSum> {
    makeDirs(path.dirname(to));
    const tmp = `${to}.tmp-${process.pid}`;
    if (fs.statSync(from).size < SMALL_FILE) {
        // A release tree is thousands of small files: one read and one write each, no streams.
        const data = fs.readFileSync(from);
        fs.writeFileSync(tmp, data, mode !== undefined ? { mode } : undefined);
        if (mode !== undefined) fs.chmodSync(tmp, mode);
        fs.renameSync(tmp, to);
        return { sha256: crypto.createHash("sha256").update(data).digest("hex"), size: data.length };
    }
    const h = crypto.createHash("sha256");
    let size = 0;
    const hasher = new Transform({
        transform(chunk: Buffer, _enc, cb) {
            h.update(chunk);
            size += chunk.length;
            cb(null, chunk);
        },
    });
    try {
        await pipeline(fs.createReadStream(from), hasher, fs.createWriteStream(tmp, mode !== undefined ? { mode } : undefined));
        if (mode !== undefined) fs.chmodSync(tmp, mode);
        fs.renameSync(tmp, to);
    } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
    }
    return { sha256: h.digest("hex"), size };
}

/** Progress of a long copy or check: bytes done of a total, the rate and the time left, every `everyMs` while it runs. */
export class ByteProgress {
    private done = 0;
    private readonly started = Date.now();
    private last = this.started;
    constructor(
        private readonly what: string,
        private readonly total: number,
        private readonly say: (line: string) => void,
        private readonly everyMs = 5000,
    ) {}
    add(bytes: number): void {
        this.done += bytes;
        throwIfStopped(this.what);
        const now = Date.now();
        if (now - this.last < this.everyMs) return;
        this.last = now;
        const rate = this.done / Math.max((now - this.started) / 1000, 0.001);
        const left = rate > 0 ? (this.total - this.done) / rate : 0;
        this.say(`${this.what}: ${mib(this.done)} of ${mib(this.total)} MiB (${mib(rate)} MiB/s, about ${Math.ceil(left)} s left)`);
    }
    /** The closing line: what was done, and how long it took. */
    line(): string {
        return `${this.what}: ${mib(this.done)} MiB in ${((Date.now() - this.started) / 1000).toFixed(1)} s`;
    }
}

function mib(n: number): string {
    return (n / (1 << 20)).toFixed(1);
}

/** The bundle's folder, refused when it is not one. */
export function bundleFolder(dir: string): string {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st?.isDirectory())
        throw new InputError(`${dir}: no such folder; name the folder 'kfstack bundle create' wrote (or unpacked from its --tar file)`, dir);
    return path.resolve(dir);
}
