/** Files read whole or written whole: a file's SHA-256, and an atomic write. */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { makeDirs } from "./outputPath";

/** Below this size a file is read in one go rather than streamed. */
export const SMALL_FILE = 1 << 20;

/** A file's content: its SHA-256 (hex) and size. */
export interface FileSum {
    readonly sha256: string;
    readonly size: number;
}

/** The SHA-256 and size of a file, streamed. */
export function hashFile(file: string): Promise<FileSum> {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st && st.size < SMALL_FILE) {
        const data = fs.readFileSync(file);
        return Promise.resolve({ sha256: crypto.createHash("sha256").update(data).digest("hex"), size: data.length });
    }
    return new Promise((resolve, reject) => {
        const h = crypto.createHash("sha256");
        let size = 0;
        fs.createReadStream(file)
            .on("data", (c) => {
                h.update(c);
                size += (c as Buffer).length;
            })
            .on("end", () => resolve({ sha256: h.digest("hex"), size }))
            .on("error", reject);
    });
}

/** Writes a file atomically (temp name, then rename), creating its folder. */
export function writeFileAtomic(file: string, data: string | Buffer, mode?: number): void {
    makeDirs(path.dirname(file));
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, data, mode !== undefined ? { mode } : undefined);
    fs.renameSync(tmp, file);
}
