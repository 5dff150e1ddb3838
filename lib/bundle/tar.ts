/**
 * A bundle as one file: a POSIX tar (ustar) of its regular files, written by kfstack in name order
 * with fixed owners, modes and times (the same bundle gives the same bytes), and read back as
 * untrusted input: only regular files and folders with safe names (GNU long names and pax paths
 * understood, as `tar` writes them when someone re-packs a bundle), every header's checksum
 * checked, nothing written before the whole archive was read through once.
 * https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_06
 */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../core/errors";
import { makeDirs } from "../core/outputPath";
import { throwIfStopped } from "../core/interrupt";
import { ByteProgress, isSafeName, listTree } from "./files";

const BLOCK = 512;
const CHUNK = 1 << 20;

function octal(buf: Buffer, offset: number, length: number, value: number): void {
    // Sizes past the octal field's reach (8 GiB) in the GNU base-256 form every tar reads.
    if (value >= 8 ** (length - 1)) {
        buf[offset] = 0x80;
        for (let i = length - 1, v = value; i > 0; i--, v = Math.floor(v / 256)) buf[offset + i] = v % 256;
        return;
    }
    buf.write(value.toString(8).padStart(length - 1, "0") + "\0", offset, length, "ascii");
}

function readNumber(buf: Buffer, offset: number, length: number): number {
    if (buf[offset] & 0x80) {
        let v = 0;
        for (let i = 1; i < length; i++) v = v * 256 + buf[offset + i];
        return v;
    }
    const text = buf
        .toString("ascii", offset, offset + length)
        .replace(/[\0 ]+$/, "")
        .trim();
    return text ? parseInt(text, 8) : 0;
}

/** One ustar header block; a name longer than ustar holds is given by a pax `path` record before it. */
function header(name: string, size: number, mode: number, type = "0"): Buffer {
    let prefix = "";
    let base = name;
    if (Buffer.byteLength(name) > 100) {
        // ustar splits a long name at a slash: up to 155 bytes of folders, up to 100 of the rest.
        const cut = name.lastIndexOf("/", 155);
        if (cut > 0 && Buffer.byteLength(name.slice(cut + 1)) <= 100 && Buffer.byteLength(name.slice(0, cut)) <= 155) {
            prefix = name.slice(0, cut);
            base = name.slice(cut + 1);
        } else {
            const record = paxRecord("path", name);
            return Buffer.concat([block("PaxHeader", record.length, 0o644, "x", ""), padded(record), block(name.slice(0, 99), size, mode, type, "")]);
        }
    }
    return block(base, size, mode, type, prefix);
}

/** `<length> key=value\n`, the length counting itself. */
function paxRecord(key: string, value: string): Buffer {
    const body = Buffer.byteLength(` ${key}=${value}\n`);
    let length = body + 1;
    while (String(length).length + body !== length) length = String(length).length + body;
    return Buffer.from(`${length} ${key}=${value}\n`);
}

function padded(data: Buffer): Buffer {
    return Buffer.concat([data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]);
}

function block(name: string, size: number, mode: number, type: string, prefix: string): Buffer {
    const h = Buffer.alloc(BLOCK);
    h.write(name, 0, 100, "utf8");
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, 0);
    h.fill(" ", 148, 156);
    h.write(type, 156, 1, "ascii");
    h.write("ustar\0", 257, 6, "ascii");
    h.write("00", 263, 2, "ascii");
    h.write(prefix, 345, 155, "utf8");
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
    return h;
}

/** Writes the folder's files into `file` (a temp name, renamed when whole). */
export async function writeTar(dir: string, file: string, say: (line: string) => void): Promise<number> {
    const files = listTree(dir, { strict: (rel, what) => new InputError(`${dir}: ${rel} is ${what}; a bundle holds regular files only`, dir) });
    const total = files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    const progress = new ByteProgress(`bundle: writing ${path.basename(file)}`, total, say);
    const tmp = `${file}.partial-${process.pid}`;
    const out = fs.openSync(tmp, "w");
    const buf = Buffer.alloc(CHUNK);
    let written = 0;
    try {
        for (const rel of files) {
            const from = path.join(dir, ...rel.split("/"));
            const st = fs.statSync(from);
            fs.writeSync(out, header(rel, st.size, st.mode & 0o111 ? 0o755 : 0o644));
            const fd = fs.openSync(from, "r");
            try {
                for (let left = st.size; left > 0;) {
                    const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, left), null);
                    if (n <= 0) throw new InputError(`${from} shrank while it was being written into the tar`, from);
                    fs.writeSync(out, buf, 0, n);
                    left -= n;
                    progress.add(n);
                    // A breath between chunks: Ctrl-C is heard.
                    if ((written += n) % (64 * CHUNK) < n) await new Promise((r) => setImmediate(r));
                }
            } finally {
                fs.closeSync(fd);
            }
            const pad = (BLOCK - (st.size % BLOCK)) % BLOCK;
            if (pad) fs.writeSync(out, Buffer.alloc(pad));
        }
        fs.writeSync(out, Buffer.alloc(2 * BLOCK));
        fs.closeSync(out);
        fs.renameSync(tmp, file);
    } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
    }
    say(progress.line());
    return fs.statSync(file).size;
}

export interface TarEntry {
    readonly name: string;
    readonly size: number;
    readonly offset: number;
    readonly executable: boolean;
}

/** The archive's regular files, every header checked; anything else in it is an error naming it. */
export function readTarIndex(file: string): TarEntry[] {
    const refuse = (what: string) =>
        new InputError(
            `${file} is damaged or not a bundle's tar (${what}); nothing was changed: copy it again, or make it again with 'kfstack bundle create --tar'`,
            file,
        );
    const fd = fs.openSync(file, "r");
    const size = fs.fstatSync(fd).size;
    const h = Buffer.alloc(BLOCK);
    const entries: TarEntry[] = [];
    const seen = new Set<string>();
    let offset = 0;
    let longName: string | undefined;
    try {
        for (;;) {
            if (offset + BLOCK > size) throw refuse("it ends inside a header: cut short");
            fs.readSync(fd, h, 0, BLOCK, offset);
            if (h.every((b) => b === 0)) break;
            let sum = 0;
            for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
            if (readNumber(h, 148, 8) !== sum) throw refuse(`a header at byte ${offset} has a wrong checksum`);
            const type = String.fromCharCode(h[156] || 48);
            const length = readNumber(h, 124, 12);
            const data = offset + BLOCK;
            const next = data + Math.ceil(length / BLOCK) * BLOCK;
            if (next > size) throw refuse("it ends inside a file: cut short");
            const raw = (a: number, b: number) => h.toString("utf8", a, a + b).replace(/\0.*$/s, "");
            const ustarName = h.toString("ascii", 257, 262) === "ustar" && raw(345, 155) ? `${raw(345, 155)}/${raw(0, 100)}` : raw(0, 100);
            if (type === "L" || type === "x") {
                if (length > 1 << 20) throw refuse("an extended header larger than any name");
                const body = Buffer.alloc(length);
                fs.readSync(fd, body, 0, length, data);
                longName = type === "L" ? body.toString("utf8").replace(/\0.*$/s, "") : /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
                offset = next;
                continue;
            }
            const name = (longName ?? ustarName).replace(/^\.\//, "").replace(/\/$/, "");
            longName = undefined;
            if (type === "5" || name === "" || name === ".") {
                offset = next;
                continue;
            }
            if (type !== "0" && type !== "7")
                throw refuse(
                    `${JSON.stringify(name.slice(0, 200))} is ${type === "2" ? "a symbolic link" : type === "1" ? "a hard link" : `an entry of type ${JSON.stringify(type)}`}; a bundle holds regular files only`,
                );
            if (!isSafeName(name)) throw refuse(`an entry named ${JSON.stringify(name.slice(0, 200))} that is not a bundle file`);
            if (seen.has(name)) throw refuse(`${name} is in it twice`);
            seen.add(name);
            entries.push({ name, size: length, offset: data, executable: (readNumber(h, 100, 8) & 0o111) !== 0 });
            offset = next;
        }
    } finally {
        fs.closeSync(fd);
    }
    return entries;
}

/**
 * Unpacks a bundle's tar into `into` (which must not exist): the archive is read through once
 * first (readTarIndex), the files written into a temp folder renamed when whole.
 */
export async function extractTar(file: string, into: string, say: (line: string) => void, index?: readonly TarEntry[]): Promise<void> {
    const entries = index ?? readTarIndex(file);
    if (fs.existsSync(into)) throw new InputError(`${into} exists; move it away, or install that folder instead of ${file}`, into);
    const tmp = `${into}.partial-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const progress = new ByteProgress(
        `bundle: unpacking ${path.basename(file)}`,
        entries.reduce((n, e) => n + e.size, 0),
        say,
    );
    const fd = fs.openSync(file, "r");
    const buf = Buffer.alloc(CHUNK);
    try {
        for (const e of entries) {
            throwIfStopped("bundle install");
            const to = path.join(tmp, ...e.name.split("/"));
            makeDirs(path.dirname(to));
            const out = fs.openSync(to, "wx", e.executable ? 0o755 : 0o644);
            try {
                for (let done = 0; done < e.size;) {
                    const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, e.size - done), e.offset + done);
                    fs.writeSync(out, buf, 0, n);
                    done += n;
                    progress.add(n);
                }
            } finally {
                fs.closeSync(out);
            }
            await new Promise((r) => setImmediate(r));
        }
        fs.renameSync(tmp, into);
    } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw e;
    } finally {
        fs.closeSync(fd);
    }
    say(progress.line());
}
