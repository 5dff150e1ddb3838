/** lib/mirror/scheduler: copies side by side, never two uploading the same blob at once. */
import * as assert from "assert";
import { BlobScheduler, BlobWork } from "../../../lib/mirror";

interface W extends BlobWork {
    readonly name: string;
}
const work = (name: string, repository: string, ...blobs: string[]): W => ({ name, repository, blobs: new Map(blobs.map((b) => [b, 1])) });
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe("blob scheduler", () => {
    it("runs at most `jobs` copies at once and every queued copy once", async () => {
        let running = 0;
        let peak = 0;
        const ran: string[] = [];
        const s = new BlobScheduler<W>(2, async (w) => {
            running++;
            peak = Math.max(peak, running);
            await tick();
            ran.push(w.name);
            running--;
            return true;
        });
        for (let i = 0; i < 6; i++) s.add(work(`i${i}`, `r${i}`, `blob${i}`));
        await s.drain();
        assert.equal(peak, 2);
        assert.deepEqual(ran.sort(), ["i0", "i1", "i2", "i3", "i4", "i5"]);
    });

    it("holds back a copy whose blob another running copy is uploading, then offers the blob to mount", async () => {
        const log: string[] = [];
        const s: BlobScheduler<W> = new BlobScheduler<W>(4, async (w) => {
            log.push(`start ${w.name} mount-from=${s.holderOf("shared") ?? "-"}`);
            await tick();
            log.push(`end ${w.name}`);
            return true;
        });
        s.add(work("a", "ra", "shared", "own-a"));
        s.add(work("b", "rb", "shared", "own-b"));
        s.add(work("c", "rc", "own-c"));
        await s.drain();
        // c is not held back by a; b starts only after a put the shared blob in ra.
        assert.deepEqual(log.slice(0, 2), ["start a mount-from=-", "start c mount-from=-"]);
        assert.ok(log.indexOf("start b mount-from=ra") > log.indexOf("end a"), log.join("; "));
    });

    it("a failed copy gives no blob to mount, and the next one uploads it itself", async () => {
        const seen: (string | undefined)[] = [];
        const s: BlobScheduler<W> = new BlobScheduler<W>(1, async (w) => {
            seen.push(s.holderOf("shared"));
            return w.name !== "a";
        });
        s.add(work("a", "ra", "shared"));
        s.add(work("b", "rb", "shared"));
        await s.drain();
        assert.deepEqual(seen, [undefined, undefined]);
    });

    it("cancel drops what has not started; drain still ends", async () => {
        const ran: string[] = [];
        const s = new BlobScheduler<W>(1, async (w) => {
            await tick();
            ran.push(w.name);
            return true;
        });
        s.add(work("a", "ra", "x"));
        s.add(work("b", "rb", "y"));
        s.cancel();
        await s.drain();
        assert.deepEqual(ran, ["a"]);
    });
});
