/**
 * The copy engine under trouble: a proxy that resets connections, answers 503/429 and
 * stalls or never answers some requests; a run killed midway; a source blob whose bytes do
 * not match its digest. Real registries, real skopeo.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { startRegistry, Registry, pushImage, seededLayer } from "../../harness/registry";
import { startProxy } from "../../harness/proxy";
import { copyImages } from "../../lib/mirror";
import { parseMirror } from "../../lib/rewrite";
import { runCliAsync, needTools, tempDir } from "../support/helpers";

const TOOLS = ["skopeo", "docker-registry"];

async function seed(registry: Registry, count: number, prefix: string): Promise<Map<string, string>> {
    const c = registry.client();
    const out = new Map<string, string>();
    const base = seededLayer(`${prefix}-base`, 16 * 1024);
    for (let i = 0; i < count; i++) {
        const platforms =
            i % 3 === 0
                ? [
                      { architecture: "amd64", layers: [base, seededLayer(`${prefix}-${i}-amd64`)] },
                      { architecture: "arm64", layers: [seededLayer(`${prefix}-${i}-arm64`)] },
                  ]
                : [{ architecture: "amd64", layers: [base, seededLayer(`${prefix}-${i}`)] }];
        const digest = await pushImage(c, `${prefix}/img-${i}`, `v${i}`, platforms, i % 2 ? "docker" : "oci");
        out.set(`${registry.host}/${prefix}/img-${i}:v${i}`, digest);
    }
    return out;
}

function mirroredRepository(ref: string, prefix: string): { repository: string; tag: string } {
    const colon = ref.lastIndexOf(":");
    const name = ref.slice(0, colon);
    return { repository: `${prefix}/${name.replace(":", "_")}`, tag: ref.slice(colon + 1) };
}

describe("kfstack mirror under faults", function () {
    this.timeout(300_000);
    let source: Registry;
    let mirror: Registry;
    let work: string;

    before(async function () {
        needTools(this, TOOLS);
        source = await startRegistry();
        mirror = await startRegistry();
        work = tempDir("mirror-faults");
    });
    after(async () => {
        await Promise.all([source?.stop(), mirror?.stop()]);
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("completes with verified digests through resets, 503s, 429s, stalls and hung requests", async () => {
        const images = await seed(source, 12, "faulty");
        // About one request in eleven is faulted. A copy attempt of a two-platform image makes
        // some twenty requests, so most attempts meet a fault: this is the retry loop's test.
        const faults = { reset: 0.02, unavailable: 0.02, tooMany: 0.02, stall: 0.02, stallMs: 400, hang: 0.005, seed: 7 };
        const srcProxy = await startProxy(source.host, faults);
        const dstProxy = await startProxy(mirror.host, { ...faults, seed: 11 });
        try {
            const refs = [...images.keys()].map((r) => r.replace(source.host, srcProxy.host));
            const lines: string[] = [];
            const summary = await copyImages(refs, parseMirror(`${dstProxy.host}/m`), {
                plainHttp: true,
                sourcePlainHttp: true,
                jobs: 4,
                journal: false,
                retry: { attempts: 40, baseMs: 10, capMs: 200 },
                requestTimeoutMs: 2000,
                progress: (l) => lines.push(l),
            });
            const failed = summary.results.filter((r) => r.status === "failed");
            assert.deepEqual(failed, [], lines.join("\n"));
            assert.equal(summary.copied, 12);
            assert.ok(srcProxy.stats.faults + dstProxy.stats.faults >= 5, `faults injected: ${srcProxy.stats.faults} + ${dstProxy.stats.faults}`);
            assert.ok(
                lines.some((l) => l.startsWith("retry ")),
                "retries are reported as progress",
            );
            for (const [ref, digest] of images) {
                const { repository, tag } = mirroredRepository(ref.replace(source.host, srcProxy.host), "m");
                assert.equal((await mirror.client().getManifest(repository, tag))?.digest, digest, ref);
            }
        } finally {
            await Promise.all([srcProxy.stop(), dstProxy.stop()]);
        }
    });

    it("a run killed midway resumes from its journal and finishes", async () => {
        const images = await seed(source, 10, "resume");
        const list = path.join(work, "resume.txt");
        fs.writeFileSync(list, [...images.keys()].join("\n") + "\n");
        // Every request to the mirror is slowed so the kill lands mid-run.
        const slow = await startProxy(mirror.host, { stall: 1, stallMs: 60, spare: () => false });
        try {
            const args = ["mirror", "copy", "--images", list, "--mirror", `${slow.host}/r`, "--plain-http", "--src-plain-http", "--jobs", "1"];
            let progress = "";
            const first = runCliAsync(args, {
                cwd: work,
                onStderr: (c) => {
                    progress += c;
                    if (/\[3\/10\] copied/.test(progress)) first.child.kill("SIGKILL");
                },
            });
            const killed = await first.done;
            assert.equal(killed.signal, "SIGKILL", killed.stderr);
            const journalDir = path.join(work, ".kfstack-cache", "mirror");
            assert.equal(fs.readdirSync(journalDir).length, 1, "the journal outlives the kill");
            slow.faults = {};
            const second = await runCliAsync(args, { cwd: work }).done;
            assert.equal(second.status, 0, second.stderr);
            // The resume says what is done and what is only known (the source digests), not one count for both.
            const resumed = /resuming an interrupted run from .*: (\d+) of 10 images done(?:, the source digest of (\d+) more known)?/.exec(second.stderr);
            assert.ok(resumed, second.stderr);
            const [done, known] = [Number(resumed[1]), Number(resumed[2] ?? 0)];
            assert.equal(done + known, 10, "every image's source digest was recorded before the kill");
            const copiedAgain = second.stdout.split("\n").filter((l) => l.startsWith("copied")).length;
            assert.ok(copiedAgain <= 8 && copiedAgain >= 1, `only what the first run had not finished is copied (${copiedAgain})`);
            assert.ok(done + copiedAgain <= 10, `what the journal says is done is not copied again (${done} done, ${copiedAgain} copied)`);
            assert.ok(!fs.existsSync(journalDir), "a finished run removes its journal and the folder it made for it");
            for (const [ref, digest] of images) {
                const { repository, tag } = mirroredRepository(ref, "r");
                assert.equal((await mirror.client().getManifest(repository, tag))?.digest, digest, ref);
            }
        } finally {
            await slow.stop();
        }
    });

    it("a source blob whose bytes do not match its digest fails that image and tags nothing", async () => {
        const c = source.client();
        const layer = seededLayer("to-corrupt", 4096);
        const digest = await pushImage(c, "bad/corrupt", "v1", [{ architecture: "amd64", layers: [layer] }], "docker");
        const good = await pushImage(c, "bad/fine", "v1", [{ architecture: "amd64", layers: [seededLayer("fine")] }], "docker");
        const layerDigest = "sha256:" + require("crypto").createHash("sha256").update(layer).digest("hex");
        const file = source.blobFile(layerDigest);
        const bytes = fs.readFileSync(file);
        bytes[bytes.length - 100] ^= 0xff;
        fs.writeFileSync(file, bytes);
        const list = path.join(work, "corrupt.txt");
        fs.writeFileSync(list, `${source.host}/bad/corrupt:v1\n${source.host}/bad/fine:v1\n`);
        const r = await runCliAsync(["mirror", "copy", "--images", list, "--mirror", `${mirror.host}/c`, "--plain-http", "--src-plain-http"], { cwd: work })
            .done;
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stdout, /^failed\t.*bad\/corrupt:v1\t.*does not match its digest/m);
        assert.match(r.stdout, /^copied\t.*bad\/fine:v1\t/m);
        assert.equal(await mirror.client().headManifest(`c/${source.host.replace(":", "_")}/bad/corrupt`, "v1"), undefined, "nothing tagged");
        assert.equal(await mirror.client().headManifest(`c/${source.host.replace(":", "_")}/bad/corrupt`, digest), undefined, "no manifest stored");
        assert.equal((await mirror.client().headManifest(`c/${source.host.replace(":", "_")}/bad/fine`, "v1"))?.digest, good);
    });
});
