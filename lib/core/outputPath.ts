/**
 * Where kfstack writes (`--out`, `--journal`, cache folders): one check before any work, one way
 * to make folders, one wording for a failed write. A problem is an InputError naming the flag or
 * key and what to do (exit 2), found before minutes of rendering or copying, not after.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "./errors";

/** File systems that look writable but keep nothing (their magic numbers, from statfs(2)). */
const VIRTUAL_FILESYSTEMS = new Map([
    [0x9fa0, "procfs"],
    [0x62656572, "sysfs"],
    [0x1cd1, "devpts"],
    [0x64626720, "debugfs"],
    [0x27e0eb, "cgroupfs"],
    [0x63677270, "cgroup2"],
]);

/** Less free space than this (one block) is "no space" before any work starts; a write that runs out later says so too. */
const MIN_FREE_BYTES = 4096;

const REASONS: Record<string, string> = {
    ENOSPC: "no space left on the device; free some space or choose another place",
    EDQUOT: "the disk quota is used up; free some space or choose another place",
    EACCES: "permission denied; choose a place you can write to",
    EPERM: "operation not permitted; choose a place you can write to",
    EROFS: "the file system is read-only; choose a writable place",
    ENOTDIR: "a part of the path is a file, not a folder; choose another path",
    EEXIST: "a part of the path exists and is not a folder; choose another path",
    ENAMETOOLONG: "the path is too long; choose a shorter one",
    ELOOP: "the path goes round a loop of symbolic links; choose another path",
    ENOTEMPTY: "another process wrote there at the same time (a second run with the same output?); this run changed nothing there: run it again",
};

/** Errno codes of a failed write that no retry can cure: the user must change something. */
export function isLocalWriteFailure(e: unknown): boolean {
    const code = (e as NodeJS.ErrnoException)?.code;
    return code !== undefined && code in REASONS;
}

/** The error for a write that failed, naming where (`--out DIR`, a config key) and what to do. */
export function writeFailure(where: string, e: unknown, doing = "cannot write there"): InputError {
    const err = e as NodeJS.ErrnoException;
    return new InputError(`${where}: ${doing}: ${REASONS[err.code ?? ""] ?? err.message}`, where.split(" ")[0]);
}

function errno(code: string): NodeJS.ErrnoException {
    return Object.assign(new Error(code), { code });
}

/**
 * Makes `dir` and its missing parents, one level at a time. Node's `mkdir({recursive: true})`
 * spins for ever under /proc (each level answers ENOENT, so it never stops climbing); this fails.
 */
export function makeDirs(dir: string): void {
    const missing: string[] = [];
    let at = path.resolve(dir);
    while (!fs.existsSync(at)) {
        missing.unshift(at);
        const up = path.dirname(at);
        if (up === at) break;
        at = up;
    }
    if (!fs.statSync(at).isDirectory()) throw errno("ENOTDIR");
    for (const m of missing) {
        try {
            fs.mkdirSync(m);
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !fs.statSync(m).isDirectory()) throw e;
        }
    }
}

/** What an output path will be: a folder kfstack fills, or one file. */
export type OutputKind = "folder" | "file";

/**
 * Checks that `file` can be written as a `kind` before any work: every part of the path that
 * exists is a folder, the nearest existing folder is writable, on a real file system, with
 * space; the path is not too long; an existing entry is of the right kind. Returns the
 * absolute path. `where` names it in errors (`--out out/`, `kfstack:kustomize.cacheDir`).
 */
export function checkOutputPath(file: string, kind: OutputKind, where: string, doing = "cannot write there"): string {
    const input = where.split(" ")[0];
    const refuse = (what: string) => new InputError(`${where}: ${what}`, input);
    const target = path.resolve(file);
    if (Buffer.byteLength(target) > 4095 || target.split(path.sep).some((part) => Buffer.byteLength(part) > 255)) {
        throw writeFailure(where, errno("ENAMETOOLONG"), doing);
    }
    let st: fs.Stats | undefined;
    try {
        st = fs.statSync(target);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw writeFailure(where, e, doing);
        // A dangling symbolic link: writing through it would create its target somewhere else.
        if (fs.lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink())
            throw refuse(`is a symbolic link to nothing; remove it or point it at a ${kind}`);
    }
    if (st && kind === "folder" && !st.isDirectory()) throw refuse("exists and is not a folder; choose another path");
    if (st && kind === "file" && !st.isFile()) throw refuse("exists and is not a regular file; choose another path");
    // The nearest existing ancestor decides whether the rest can be made.
    let probe = target;
    let probeStat = st;
    while (!probeStat) {
        probe = path.dirname(probe);
        try {
            probeStat = fs.statSync(probe);
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw writeFailure(where, e, doing);
        }
    }
    const space = fs.statfsSync(probe);
    const fsKind = VIRTUAL_FILESYSTEMS.get(Number(space.type));
    if (fsKind) throw refuse(`is on ${fsKind}, a virtual file system; choose a place on a disk`);
    if (!probeStat.isDirectory() && probe !== target) throw writeFailure(where, errno("ENOTDIR"), doing);
    try {
        fs.accessSync(probe, fs.constants.W_OK | (probeStat.isDirectory() ? fs.constants.X_OK : 0));
    } catch (e) {
        throw writeFailure(where, e, doing);
    }
    if (Number(space.bavail) * Number(space.bsize) < MIN_FREE_BYTES) throw writeFailure(where, errno("ENOSPC"), doing);
    return target;
}
