/**
 * Robustness of the CLI as a process, round two (issue 23): signals honoured by every long
 * command (exit 130/143, nothing half-written, no credentials left), nothing hangs against a
 * server that accepts connections and never answers, failures that are the input's exit 2 or 1,
 * never 3, and the built CLI finds the kustomize setup built, with no kubectl on PATH.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import { spawn, spawnSync } from "child_process";
import * as path from "path";
import { pushImage, seededLayer, startRegistry, Registry, registryBinary } from "../../harness/registry";
import { freePort } from "../../harness/processes";
import { CLI, ROOT, TREE_191 } from "../../harness/paths";
import { needShared, runCliAsync, smallDisk, tempDir, tinyRelease } from "../support/helpers";

/** A TCP server on 127.0.0.1 that accepts every connection and never says a word. */
async function silentServer(): Promise<{ host: string; stop: () => Promise<void> }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
        sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => sockets.delete(s));
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    return {
        host: `127.0.0.1:${port}`,
        stop: () =>
            new Promise<void>((r) => {
                for (const s of sockets) s.destroy();
                server.close(() => r());
            }),
    };
}

const KUBECONFIG = (server: string) =>
    [
        "apiVersion: v1",
        "kind: Config",
        "current-context: c",
        "clusters: [{name: c, cluster: {server: 'https://" + server + "', insecure-skip-tls-verify: true}}]",
        "users: [{name: u, user: {token: abc}}]",
        "contexts: [{name: c, context: {cluster: c, user: u}}]",
        "",
    ].join("\n");

describe("robustness of the CLI as a process: signals, hangs, exits", function () {
    this.timeout(180_000);
    let silent: { host: string; stop: () => Promise<void> };
    let work: string;
    before(async () => {
        silent = await silentServer();
        work = tempDir("robust");
    });
    after(async () => {
        await silent?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("render: SIGTERM mid-render exits 143 with one line, writes no --out, leaves no staging, blames no kustomize", async function () {
        needShared(this);
        const dir = tempDir("render-term");
        const out = path.join(dir, "out");
        // A fresh cache folder: the release is really rendered (kustomize children running).
        const run = runCliAsync(["render", "--manifests", TREE_191, "--mirror", "r.local/kf", "--out", out], { cwd: dir });
        await new Promise((r) => setTimeout(r, 1500));
        const t0 = Date.now();
        run.child.kill("SIGTERM");
        const r = await run.done;
        assert.equal(r.status, 143, r.stderr);
        assert.ok(Date.now() - t0 < 5000, "stops at once");
        assert.match(r.stderr, /kfstack: SIGTERM: stopping/);
        assert.doesNotMatch(r.stderr, /failed|internal error|\n\s+at /);
        assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.ok(!fs.existsSync(out), "no --out");
        assert.deepEqual(
            fs.readdirSync(dir).filter((f) => f.includes(".kfstack-") && f !== ".kfstack-cache"),
            [],
            "no staging folder",
        );
    });

    it("render: a terminal's Ctrl-C (SIGINT to the whole process group) exits 130, and no renderer is blamed", async function () {
        needShared(this);
        const dir = tempDir("render-int");
        const child = spawn(process.execPath, [CLI, "render", "--manifests", TREE_191, "--mirror", "r.local/kf", "--out", path.join(dir, "out")], {
            cwd: dir,
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
        const done = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
        await new Promise((r) => setTimeout(r, 1500));
        process.kill(-child.pid!, "SIGINT");
        assert.equal(await done, 130, stderr);
        assert.doesNotMatch(stderr, /failed|internal error/);
        assert.ok(!fs.existsSync(path.join(dir, "out")));
    });

    it("mirror verify: a source that keeps failing is retried aloud, one progress line per image, exit 1", async () => {
        const port = await freePort();
        const server = http.createServer((_, res) => res.writeHead(503).end()).listen(port, "127.0.0.1");
        try {
            const r = await runCliAsync(["mirror", "verify", "--images", "-", "--mirror", "r.io", "--src-plain-http"], { input: `127.0.0.1:${port}/a/b:1\n` })
                .done;
            assert.equal(r.status, 1, r.stderr);
            assert.match(r.stderr, new RegExp(`retrying HEAD http://127\\.0\\.0\\.1:${port}/v2/a/b/manifests/1: .*HTTP 503`));
            assert.match(r.stderr, /\[1\/1\] failed 127\.0\.0\.1:\d+\/a\/b:1/);
            assert.equal(r.stdout.trim().split("\n").length, 1);
        } finally {
            server.close();
        }
    });

    it("mirror export onto a full disk: exit 2 naming --out at once, not retried like a network error", async function () {
        if (!registryBinary()) this.skip();
        const { mount, unmount } = smallDisk(this);
        const source = await startRegistry();
        try {
            await pushImage(source.client(), "team/big", "1", [{ architecture: "amd64", layers: [seededLayer("big", 256 * 1024)] }]);
            const t0 = Date.now();
            const r = await runCliAsync(["mirror", "export", "--images", "-", "--out", path.join(mount, "layout"), "--src-plain-http"], {
                input: `${source.host}/team/big:1\n`,
            }).done;
            assert.equal(r.status, 2, r.stderr);
            assert.match(r.stderr, /--out .*small\/layout: cannot write the layout: no space left on the device/);
            assert.doesNotMatch(r.stderr, /retry/);
            assert.ok(Date.now() - t0 < 10_000, `${Date.now() - t0} ms`);
        } finally {
            await source.stop();
            unmount();
        }
    });

    it("mirror export and copy: Ctrl-C while a registry hangs stops at once (exit 130); copy keeps credentials in memory only", async function () {
        const tmp = tempDir("tmpdir");
        const auth = path.join(work, "auth.json");
        fs.writeFileSync(auth, JSON.stringify({ auths: { [silent.host]: { auth: Buffer.from("u:secret-pw").toString("base64") } } }), { mode: 0o600 });
        const list = path.join(work, "hang.txt");
        fs.writeFileSync(list, `${silent.host}/team/app:1\n${silent.host}/team/other:2\n`);
        const env = { ...process.env, TMPDIR: tmp };
        // export: the first SIGINT ends the hanging request.
        const exp = runCliAsync(["mirror", "export", "--images", list, "--out", path.join(work, "layout"), "--src-plain-http", "--src-authfile", auth], {
            env,
        });
        await new Promise((r) => setTimeout(r, 1500));
        let t0 = Date.now();
        exp.child.kill("SIGINT");
        const e = await exp.done;
        assert.equal(e.status, 130, e.stderr);
        assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms`);
        // copy: the credentials stay in memory (never a file, not even a temporary one); two
        // signals while a registry hangs exit at once.
        const copy = runCliAsync(
            [
                "mirror",
                "copy",
                "--images",
                list,
                "--mirror",
                `${silent.host}/m`,
                "--plain-http",
                "--src-plain-http",
                "--src-authfile",
                auth,
                "--journal",
                path.join(work, "j"),
            ],
            { env },
        );
        const until = Date.now() + 1500;
        while (Date.now() < until) {
            assert.deepEqual(fs.readdirSync(tmp), [], "no credentials file while it runs");
            await new Promise((r) => setTimeout(r, 50));
        }
        t0 = Date.now();
        copy.child.kill("SIGINT");
        copy.child.kill("SIGINT");
        const c = await copy.done;
        assert.equal(c.status, 130, c.stderr);
        assert.ok(Date.now() - t0 < 5000);
        assert.deepEqual(fs.readdirSync(tmp), [], "no credentials left behind");
        assert.doesNotMatch(c.stderr + c.stdout, /secret-pw/);
    });

    it("audit and doctor against an API server that never answers: exit 2 within the --timeout, naming the server", async function () {
        needShared(this);
        const kc = path.join(work, "kubeconfig");
        fs.writeFileSync(kc, KUBECONFIG(silent.host));
        let t0 = Date.now();
        const a = await runCliAsync(["audit", "--mirror", "r.io", "--kubeconfig", kc, "--timeout", "2"]).done;
        assert.equal(a.status, 2, a.stderr);
        assert.ok(Date.now() - t0 < 15_000, `audit took ${Date.now() - t0} ms`);
        assert.match(a.stderr, new RegExp(`the API server at https://${silent.host} did not answer /api/v1 within 2 s`));
        const stack = path.join(work, "Pulumi.t.yaml");
        fs.writeFileSync(stack, `config:\n  kfstack:manifests: {path: ${tinyRelease(work)}}\n  kfstack:mirror: {registry: r.io}\n`);
        t0 = Date.now();
        const d = await runCliAsync(["doctor", "--config", stack, "--kubeconfig", kc, "--timeout", "2", "--skip", "mirror"], { cwd: work }).done;
        assert.equal(d.status, 1, d.stderr);
        assert.ok(Date.now() - t0 < 30_000, `doctor took ${Date.now() - t0} ms`);
        assert.match(d.stdout, new RegExp(`FAIL.*kubernetes-version.*did not answer /version within 2 s`));
        assert.match(d.stdout, /check --kubeconfig\/--context/);
    });

    it("render into a folder whose parent takes no new entry: exit 2 before rendering, naming the parent", async () => {
        const dir = tempDir("immutable");
        const parent = path.join(dir, "parent");
        fs.mkdirSync(path.join(parent, "out"), { recursive: true });
        // Immutable: even root cannot add an entry (what an unwritable parent is to a user).
        if (spawnSync("chattr", ["+i", parent]).status !== 0) return;
        try {
            const r = await runCliAsync(["render", "--manifests", tinyRelease(dir), "--mirror", "r.local/kf", "--out", path.join(parent, "out")], { cwd: dir })
                .done;
            assert.equal(r.status, 2, r.stderr);
            assert.match(r.stderr, /^kfstack: --out .*parent\/out: its parent folder .*parent is not writable[^\n]*\n$/);
        } finally {
            spawnSync("chattr", ["-i", parent]);
        }
    });

    it("a token service that answers HTML, an API server that answers {}: the server named, no JavaScript in the reason", async () => {
        const port = await freePort();
        const server = http
            .createServer((req, res) => {
                if (req.url?.startsWith("/token")) return void res.writeHead(200, { "content-type": "text/html" }).end("<html>login</html>");
                if (req.url?.startsWith("/v2/"))
                    return void res.writeHead(401, { "www-authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="t"` }).end();
                res.writeHead(200, { "content-type": "application/json" }).end("{}");
            })
            .listen(port, "127.0.0.1");
        try {
            const v = await runCliAsync(["mirror", "verify", "--images", "-", "--mirror", "r.io", "--src-plain-http"], { input: `127.0.0.1:${port}/a/b:1\n` })
                .done;
            assert.equal(v.status, 1, v.stderr);
            assert.match(v.stdout, new RegExp(`token from http://127\\.0\\.0\\.1:${port} for 127\\.0\\.0\\.1:${port}: the answer is not JSON \\(text/html`));
            assert.doesNotMatch(v.stdout + v.stderr, /Unexpected token|is not valid JSON/);
            const kc = path.join(work, "kc-json");
            fs.writeFileSync(kc, KUBECONFIG(`127.0.0.1:${port}`).replace("https://", "http://"));
            const a = await runCliAsync(["audit", "--mirror", "r.io", "--kubeconfig", kc, "--timeout", "5"]).done;
            assert.equal(a.status, 2, a.stderr);
            assert.match(a.stderr, /did not answer \/api\/v1 as a Kubernetes API server does/);
            assert.doesNotMatch(a.stderr, /is not iterable|reading '/);
        } finally {
            server.close();
        }
    });

    it("mirror export when every image fails: exit 1, a failed line per image, nothing left in --out", async function () {
        if (!registryBinary()) this.skip();
        const empty: Registry = await startRegistry();
        try {
            const out = path.join(work, "never");
            const list = `${empty.host}/team/a:1\n${empty.host}/team/b:2\n`;
            const r = await runCliAsync(["mirror", "export", "--images", "-", "--out", out, "--src-plain-http"], { input: list }).done;
            assert.equal(r.status, 1, r.stderr);
            const lines = r.stdout.trim().split("\n");
            assert.equal(lines.length, 2);
            assert.ok(
                lines.every((l) => l.startsWith("failed\t") && /not found at the source/.test(l)),
                r.stdout,
            );
            assert.ok(!fs.existsSync(out), "no empty layout that looks like a bundle");
        } finally {
            await empty.stop();
        }
    });

    it("JSON nested 5,000 deep in a ConfigMap: images warns, check exits 1, rewrite keeps it; never exit 3", async () => {
        const file = path.join(work, "deep.yaml");
        fs.writeFileSync(file, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  config.json: '${"[".repeat(5000)}${"]".repeat(5000)}'\n`);
        const images = await runCliAsync(["images", file]).done;
        assert.equal(images.status, 0, images.stderr);
        assert.match(images.stderr, /nests deeper than 200 levels/);
        const check = await runCliAsync(["check", "--mirror", "r.io", file]).done;
        assert.equal(check.status, 1, check.stderr);
        const rewrite = await runCliAsync(["rewrite", "--mirror", "r.io", file]).done;
        assert.equal(rewrite.status, 0, rewrite.stderr);
        assert.ok(rewrite.stdout.includes("[".repeat(5000)), "the value is kept as it was");
    });

    it("the built CLI renders with the kustomize setup built, no kubectl on PATH", function () {
        if (!fs.existsSync(path.join(ROOT, ".tools", "bin", "kustomize"))) this.skip();
        const dir = tempDir("no-kubectl");
        const rel = tinyRelease(dir);
        return runCliAsync(["render", "--manifests", rel, "--mirror", "r.local/kf", "--out", path.join(dir, "out")], {
            cwd: dir,
            env: { HOME: dir, PATH: "/nonexistent" },
        }).done.then((r) => {
            assert.equal(r.status, 0, r.stderr);
            assert.match(fs.readFileSync(path.join(dir, "out", "images.txt"), "utf8"), /^r\.local\/kf\/gcr\.io\/hello\/hello:1\.0$/m);
        });
    });

    it("concurrent renders into one new --out: each run ends 0, or 2 with a sentence; never a raw rename error", async () => {
        const dir = tempDir("race");
        const rel = tinyRelease(dir);
        const out = path.join(dir, "out");
        const runs = await Promise.all(
            Array.from({ length: 4 }, () => runCliAsync(["render", "--manifests", rel, "--mirror", "r.local/kf", "--out", out], { cwd: dir }).done),
        );
        for (const r of runs) {
            assert.ok(r.status === 0 || r.status === 2, `exit ${r.status}: ${r.stderr}`);
            if (r.status === 2)
                assert.match(r.stderr, /^kfstack: --out .*: (another process wrote there at the same time|holds files kfstack did not write)[^\n]*\n$/);
            assert.doesNotMatch(r.stderr, /ENOTEMPTY|EEXIST|internal error/);
        }
        assert.ok(
            runs.some((r) => r.status === 0),
            "one run wins",
        );
        assert.ok(fs.existsSync(path.join(out, "images.txt")));
    });
});
