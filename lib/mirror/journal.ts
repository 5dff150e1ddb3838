/**
 * The journal of a copy run: each image's source digest as soon as it is known, and each
 * finished image, one JSON line each. An interrupted run resumes from it without asking the
 * source again, and copies the same bytes even if a tag moved in between.
 */
import { makeDirs, writeFailure } from "../core/outputPath";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { cachePath } from "../core/cache";
import { Mirror } from "../rewrite/mirror";
import { Pair } from "./naming";

export interface JournalEntry {
    readonly source: string;
    readonly digest: string;
    readonly status: "done" | "failed";
}

/** A run's journal; with no file it only remembers in memory. */
export class Journal {
    readonly entries = new Map<string, JournalEntry>();
    /**
     * @param file where the journal is kept; none: in memory only.
     * @param tidy remove the folders the journal was made in once they are empty (the default
     *   journal's `.kfstack-cache/mirror/`, which nobody asked for); a folder given with
     *   `--journal` is the user's.
     */
    constructor(
        readonly file: string | undefined,
        private readonly tidy = false,
    ) {
        if (!file || !fs.existsSync(file)) return;
        for (const line of fs.readFileSync(file, "utf8").split("\n")) {
            if (!line.trim()) continue;
            try {
                const e = JSON.parse(line) as JournalEntry;
                if (e.source && e.digest) this.entries.set(e.source, e);
            } catch {
                // A line cut short by a kill: the image is simply not known to be done.
            }
        }
    }
    record(e: JournalEntry): void {
        this.entries.set(e.source, e);
        if (!this.file) return;
        try {
            makeDirs(path.dirname(this.file));
            fs.appendFileSync(this.file, JSON.stringify(e) + "\n");
        } catch (err) {
            throw writeFailure(`the journal ${this.file}`, err, "cannot record the run");
        }
    }
    /** The run finished with nothing left to do: the journal has served its purpose. */
    finish(): void {
        if (!this.file) return;
        fs.rmSync(this.file, { force: true });
        if (!this.tidy) return;
        for (const dir of [path.dirname(this.file), path.dirname(path.dirname(this.file))]) {
            try {
                fs.rmdirSync(dir);
            } catch {
                return; // not empty (another run's journal, the kustomize cache): it stays
            }
        }
    }
}

/** The journal file of a run when none is given: one per mirror and image list. */
export function defaultJournal(mirror: Mirror, pairs: readonly Pair[]): string {
    const h = crypto.createHash("sha256").update(mirror.location).update("\0");
    for (const p of pairs.map((x) => x.source.normalized).sort()) h.update(p + "\n");
    return cachePath("mirror", `copy-${h.digest("hex").slice(0, 16)}.jsonl`);
}
