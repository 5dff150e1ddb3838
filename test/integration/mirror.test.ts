/**
 * The image mirror on real registries (Debian's docker-registry on 127.0.0.1) and the real
 * copier (skopeo): `kfstack mirror copy/verify/export/import` as a user runs them, checked
 * through the registry API, with a counting proxy in front of the mirror.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { startRegistry, Registry, pushImage, seededLayer } from "../../harness/registry";
import { startProxy, Proxy } from "../../harness/proxy";
import { runCliAsync, needTools, tempDir } from "../support/helpers";
import { formatBytes } from "../../lib/mirror";

const TOOLS = ["skopeo", "docker-registry", "htpasswd"];

describe("kfstack mirror on real registries", function () {
    this.timeout(180_000);
    let source: Registry;
    let mirror: Registry;
    let third: Registry;
    let proxy: Proxy;
    let work: string;
    let images: string;
    const expected = new Map<string, string>(); // source reference -> digest
    const shared = seededLayer("shared-base", 64 * 1024);
    let authFile: string;

    before(async function () {
        needTools(this, TOOLS);
        source = await startRegistry();
        mirror = await startRegistry({ credentials: { username: "mirror", password: "s3cret-pw" } });
        third = await startRegistry();
        proxy = await startProxy(mirror.host);
        work = tempDir("mirror");
        const c = source.client();
        // Single platform, Docker-typed (as most of Kubeflow's images are).
        expected.set(
            `${source.host}/kubeflow/single:v1`,
            await pushImage(c, "kubeflow/single", "v1", [{ architecture: "amd64", layers: [seededLayer("single")] }], "docker"),
        );
        // A multi-platform OCI index.
        expected.set(
            `${source.host}/kubeflow/multi:v2`,
            await pushImage(c, "kubeflow/multi", "v2", [
                { architecture: "amd64", layers: [seededLayer("multi-amd64", 8192)] },
                { architecture: "arm64", layers: [seededLayer("multi-arm64", 8192)] },
            ]),
        );
        // Two images in different repositories sharing their base layer.
        expected.set(
            `${source.host}/team-a/app:1.0`,
            await pushImage(c, "team-a/app", "1.0", [{ architecture: "amd64", layers: [shared, seededLayer("app-a")] }], "docker"),
        );
        expected.set(
            `${source.host}/team-b/app:2.0`,
            await pushImage(c, "team-b/app", "2.0", [{ architecture: "amd64", layers: [shared, seededLayer("app-b")] }], "docker"),
        );
        // One referenced only by its digest (no tag in the reference).
        const pinned = await pushImage(c, "kubeflow/pinned", "untagged-push", [{ architecture: "amd64", layers: [seededLayer("pinned")] }]);
        expected.set(`${source.host}/kubeflow/pinned@${pinned}`, pinned);
        images = path.join(work, "images.txt");
        fs.writeFileSync(images, `# as kfstack images prints them\n${[...expected.keys()].join("\n")}\n`);
        authFile = path.join(work, "auth.json");
        fs.writeFileSync(authFile, JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from("mirror:s3cret-pw").toString("base64") } } }), { mode: 0o600 });
    });

    after(async () => {
        await Promise.all([source?.stop(), mirror?.stop(), third?.stop(), proxy?.stop()]);
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const mirrorRef = (ref: string, host: string, prefix = "kf"): { repository: string; reference: string } => {
        const at = ref.indexOf("@");
        const [name, reference] = at >= 0 ? [ref.slice(0, at), ref.slice(at + 1)] : [ref.slice(0, ref.lastIndexOf(":")), ref.slice(ref.lastIndexOf(":") + 1)];
        void host;
        return { repository: `${prefix}/${name.replace(/^([^/]+)/, (h) => h.replace(":", "_"))}`, reference };
    };

    const copy = (extra: string[] = []) =>
        runCliAsync(
            ["mirror", "copy", "--images", images, "--mirror", `${proxy.host}/kf`, "--plain-http", "--src-plain-http", "--dest-authfile", authFile, ...extra],
            {
                cwd: work,
            },
        ).done;

    it("copies every image with its source digest; the shared layer crosses once", async () => {
        proxy.reset();
        const r = await copy(["--jobs", "4"]);
        assert.equal(r.status, 0, r.stderr);
        const lines = r.stdout
            .trim()
            .split("\n")
            .map((l) => l.split("\t"));
        assert.equal(lines.length, expected.size);
        assert.ok(
            lines.every((l) => l[0] === "copied"),
            r.stdout,
        );
        assert.match(r.stderr, /5 images: 5 copied, 0 already there, 0 failed/);
        assert.match(r.stderr, /\[5\/5\]/, "progress lines on stderr");
        // Read back through the registry API, not through kfstack.
        const m = mirror.client();
        for (const [ref, digest] of expected) {
            const { repository, reference } = mirrorRef(ref, mirror.host);
            const got = await m.getManifest(repository, reference);
            assert.equal(got?.digest, digest, `${ref} in the mirror`);
        }
        const sharedDigest = "sha256:" + require("crypto").createHash("sha256").update(shared).digest("hex");
        assert.equal(proxy.stats.blobUploads.get(sharedDigest) ?? 0, 1, "the shared layer was uploaded once");
        // Bytes are counted as sent: the summary's figure is what crossed the proxy in blob
        // uploads; the shared layer's second image mounted it, counted apart.
        const sent = /; ([\d.]+) KiB sent in/.exec(r.stderr);
        assert.ok(sent, r.stderr);
        assert.ok(Math.abs(Number(sent[1]) - proxy.stats.blobBytes / 1024) < 0.06, `${sent[1]} KiB reported, ${proxy.stats.blobBytes} B uploaded`);
        assert.match(r.stderr, new RegExp(`, ${(shared.length / 1024).toFixed(1)} KiB mounted from other mirror repositories`));
        assert.match(r.stderr, /copied [^\n]*team-[ab]\/app:[\d.]+ \([\d.]+ KiB sent, [\d.]+ KiB mounted, /);
        const uploads = [...proxy.stats.blobUploads.values()];
        assert.ok(
            uploads.every((n) => n === 1),
            `no blob uploaded twice: ${JSON.stringify([...proxy.stats.blobUploads])}`,
        );
        // The credentials never reached a command line and the temporary auth file is gone.
        assert.ok(
            !fs
                .readdirSync(require("os").tmpdir())
                .some((f: string) => f.startsWith("kfstack-auth-") && fs.existsSync(path.join(require("os").tmpdir(), f, "auth.json"))),
        );
    });

    it("a second run copies nothing and uploads no blob", async () => {
        proxy.reset();
        const t0 = Date.now();
        const r = await copy();
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /5 images: 0 copied, 5 already there/);
        assert.equal(proxy.stats.blobUploads.size, 0);
        assert.equal(proxy.stats.manifestPuts, 0);
        assert.equal(proxy.stats.uploadedBytes, 0);
        assert.ok(Date.now() - t0 < 5000);
    });

    it("verify passes; deleting an image in the mirror makes it fail and the next copy repairs it", async () => {
        const verify = () =>
            runCliAsync([
                "mirror",
                "verify",
                "--images",
                images,
                "--mirror",
                `${proxy.host}/kf`,
                "--plain-http",
                "--src-plain-http",
                "--dest-authfile",
                authFile,
            ]).done;
        let v = await verify();
        assert.equal(v.status, 0, v.stderr);
        const victim = `${source.host}/team-b/app:2.0`;
        const { repository } = mirrorRef(victim, mirror.host);
        await mirror.client().deleteManifest(repository, expected.get(victim) as string);
        v = await verify();
        assert.equal(v.status, 1);
        assert.match(v.stdout, new RegExp(`^missing\\t${victim.replace(/[.]/g, "\\.")}\\t`, "m"));
        assert.match(v.stderr, /4 present with the source digest, 1 not/);
        proxy.reset();
        const r = await copy();
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /1 copied, 4 already there/);
        // Its blobs stayed in the mirror: nothing is sent again, and the report says so.
        assert.equal(proxy.stats.blobBytes, 0);
        assert.match(r.stderr, /; 0 B sent in [\d.]+ s \([^)]*\), [\d.]+ KiB already in the mirror/);
        v = await verify();
        assert.equal(v.status, 0, v.stderr);
    });

    it("export then import into a third registry keeps every digest", async () => {
        const out = path.join(work, "layout");
        const e = await runCliAsync(["mirror", "export", "--images", images, "--out", out, "--src-plain-http"]).done;
        assert.equal(e.status, 0, e.stderr);
        assert.ok(fs.existsSync(path.join(out, "oci-layout")) && fs.existsSync(path.join(out, "checksums.sha256")));
        const index = JSON.parse(fs.readFileSync(path.join(out, "index.json"), "utf8"));
        assert.deepEqual(
            index.manifests.map((d: { annotations: Record<string, string> }) => d.annotations["org.opencontainers.image.ref.name"]).sort(),
            [...expected.keys()].sort(),
        );
        // The checksum list is what `sha256sum -c` reads.
        const sums = require("child_process").spawnSync("sha256sum", ["-c", "--quiet", "checksums.sha256"], { cwd: out, encoding: "utf8" });
        assert.equal(sums.status, 0, sums.stdout + sums.stderr);
        // Again: resumable, nothing fetched twice.
        const again = await runCliAsync(["mirror", "export", "--images", images, "--out", out, "--src-plain-http"]).done;
        assert.equal(again.status, 0, again.stderr);
        assert.match(again.stderr, /0 exported, 5 already there/);
        const i = await runCliAsync(["mirror", "import", out, "--mirror", `${third.host}/air`, "--plain-http"]).done;
        assert.equal(i.status, 0, i.stderr);
        // The summary counts every blob pushed once: the layout's blobs, not the manifests alone.
        const blobBytes = fs.readdirSync(path.join(out, "blobs", "sha256")).reduce((n, f) => n + fs.statSync(path.join(out, "blobs", "sha256", f)).size, 0);
        assert.match(i.stderr, new RegExp(`5 copied, 0 already there, 0 failed; ${formatBytes(blobBytes).replace(".", "\\.")} in`));
        for (const [ref, digest] of expected) {
            const { repository, reference } = mirrorRef(ref, third.host, "air");
            assert.equal((await third.client().getManifest(repository, reference))?.digest, digest, ref);
        }
        // A blob damaged in transit is refused before anything is pushed.
        const blobs = fs.readdirSync(path.join(out, "blobs", "sha256"));
        const victim = path.join(out, "blobs", "sha256", blobs[0]);
        const original = fs.readFileSync(victim);
        const flipped = Buffer.from(original);
        flipped[0] ^= 0xff;
        fs.writeFileSync(victim, flipped);
        const bad = await runCliAsync(["mirror", "import", out, "--mirror", `${third.host}/air2`, "--plain-http"]).done;
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /is damaged.*does not match its (digest|checksum)/);
        assert.equal(bad.stdout, "");
        fs.writeFileSync(victim, Buffer.concat([original, Buffer.from("x")]));
        const longer = await runCliAsync(["mirror", "import", out, "--mirror", `${third.host}/air2`, "--plain-http"]).done;
        assert.equal(longer.status, 2);
        assert.match(longer.stderr, /is damaged.*bytes, its descriptor says/);
    });

    it("bad input: one clear error, exit 2, nothing copied", async () => {
        const badList = path.join(work, "bad.txt");
        fs.writeFileSync(badList, "gcr.io/ok/image:1\nNot A Reference\n");
        const cases: [string[], RegExp][] = [
            [["mirror", "copy", "--images", badList, "--mirror", `${proxy.host}/kf`], /line 2: .*"Not A Reference"/],
            [["mirror", "copy", "--images", images, "--mirror", "https://x.example.com"], /drop the URL scheme/],
            [["mirror", "copy", "--images", images, "--mirror", `${proxy.host}/kf`, "--jobs", "0"], /--jobs 0: give a whole number/],
            [["mirror", "copy", "--mirror", `${proxy.host}/kf`], /needs --images FILE/],
            [["mirror", "copy", "--images", path.join(work, "absent.txt"), "--mirror", `${proxy.host}/kf`], /absent\.txt/],
            [["mirror", "copy", "--images", images, "--mirror", `${proxy.host}/kf`, "--dest-authfile", images], /--dest-authfile .*not JSON/],
            [["mirror", "import", path.join(work), "--mirror", `${third.host}/x`], /not an OCI layout/],
            [["mirror", "sync"], /unknown subcommand 'kfstack mirror sync'/],
        ];
        for (const [args, pattern] of cases) {
            const r = await runCliAsync(args).done;
            assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, pattern);
            assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
            assert.equal(r.stdout, "");
        }
        // copy streams through kfstack's own client: no skopeo needed (import still uses it).
        const noSkopeo = await runCliAsync(
            ["mirror", "copy", "--images", images, "--mirror", `${proxy.host}/kf`, "--plain-http", "--src-plain-http", "--dest-authfile", authFile],
            {
                env: { ...process.env, KFSTACK_SKOPEO: path.join(work, "no-such-skopeo") },
            },
        ).done;
        assert.equal(noSkopeo.status, 0, noSkopeo.stderr);
        const empty = await runCliAsync(["mirror", "copy", "--images", "-", "--mirror", `${proxy.host}/kf`], { input: "# nothing\n" }).done;
        assert.equal(empty.status, 2);
        assert.match(empty.stderr, /lists no images/);
    });

    it("refused credentials and a source that does not have the image fail those images, exit 1", async () => {
        const wrong = path.join(work, "wrong.json");
        fs.writeFileSync(wrong, JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from("mirror:nope").toString("base64") } } }));
        const list = path.join(work, "one.txt");
        fs.writeFileSync(list, `${source.host}/kubeflow/single:v1\n${source.host}/kubeflow/absent:v9\n`);
        const r = await runCliAsync([
            "mirror",
            "copy",
            "--images",
            list,
            "--mirror",
            `${proxy.host}/other`,
            "--plain-http",
            "--src-plain-http",
            "--dest-authfile",
            wrong,
        ]).done;
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stdout, /^failed\t.*kubeflow\/absent:v9\t.*not found at the source/m);
        assert.match(r.stdout, /^failed\t.*kubeflow\/single:v1\t.*refused the credentials of mirror/m);
    });
});
