/** lib/mirror/journal: an interrupted copy run resumes from what it learnt. */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defaultJournal, Journal, pairsOf } from "../../../lib/mirror";
import { parseMirror } from "../../../lib/rewrite";

describe("copy journal", () => {
    it("reads back what was recorded, skips a line cut short by a kill, and is removed when the run finishes", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-journal-"));
        try {
            const file = path.join(dir, "sub", "j.jsonl");
            const j = new Journal(file);
            j.record({ source: "docker.io/library/a:1", digest: "sha256:1", status: "failed" });
            j.record({ source: "docker.io/library/a:1", digest: "sha256:1", status: "done" });
            j.record({ source: "quay.io/b/c:2", digest: "sha256:2", status: "failed" });
            fs.appendFileSync(file, '{"source":"quay.io/cut');
            const again = new Journal(file);
            assert.deepEqual([...again.entries.keys()], ["docker.io/library/a:1", "quay.io/b/c:2"]);
            assert.equal(again.entries.get("docker.io/library/a:1")?.status, "done");
            again.finish();
            assert.equal(fs.existsSync(file), false);
            assert.equal(fs.existsSync(path.dirname(file)), true, "a folder given with --journal is the user's");
            // The default journal's folders go when they are empty, not while another file is in them.
            const own = path.join(dir, ".kfstack-cache", "mirror", "j.jsonl");
            const other = path.join(dir, ".kfstack-cache", "kustomize");
            fs.mkdirSync(other, { recursive: true });
            const tidy = new Journal(own, true);
            tidy.record({ source: "docker.io/library/a:1", digest: "sha256:1", status: "done" });
            tidy.finish();
            assert.deepEqual(fs.readdirSync(path.join(dir, ".kfstack-cache")), ["kustomize"]);
            fs.rmdirSync(other);
            const alone = new Journal(own, true);
            alone.record({ source: "docker.io/library/a:1", digest: "sha256:1", status: "done" });
            alone.finish();
            assert.equal(fs.existsSync(path.join(dir, ".kfstack-cache")), false, "nothing left behind");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("one default file per mirror and image list, whatever the list's order", () => {
        const m = parseMirror("registry.local:5000/kf");
        const one = defaultJournal(m, pairsOf(["a:1", "b:2"], m));
        assert.equal(one, defaultJournal(m, pairsOf(["b:2", "a:1"], m)));
        assert.notEqual(one, defaultJournal(m, pairsOf(["a:1"], m)));
        assert.notEqual(one, defaultJournal(parseMirror("other.local/kf"), pairsOf(["a:1", "b:2"], m)));
    });
});
