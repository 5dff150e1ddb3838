/**
 * Nodes that really pull through the mirror (issue 24): a real containerd — Debian's 1.6 and
 * 2.x built from its Go module — configured with the certs.d that `kfstack containerd-hosts`
 * writes (the same entries kubespray renders from `kfstack kubespray-vars`, proven equal in
 * kubespray-templates.test.ts), pulling through its CRI plugin with crictl as the kubelet does,
 * from mirrors of three kinds: plain HTTP, TLS with a CA the test makes, TLS with htpasswd.
 * The mirror is filled by `kfstack mirror copy` (the source's name) and `kfstack mirror import`
 * (public names, from an export). The source registry is stopped before any pull: every image comes from the mirror (its
 * access log shows the paths), with the source digest; a name the mirror lacks fails fast.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { containerdBinary, crictlBinary, ContainerdFlavour, startContainerd } from "../../harness/containerd";
import { pushImage, registryBinary, seededLayer, startRegistry, Registry, skopeoPresent } from "../../harness/registry";
import { needParts, runCliAsync, tempDir } from "../support/helpers";

type Kind = "plain HTTP" | "TLS with a CA" | "TLS with htpasswd";
const KINDS: Kind[] = ["plain HTTP", "TLS with a CA", "TLS with htpasswd"];
const CREDENTIALS = { username: "robot", password: "node-pull-pw" };

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl). */
function makeTls(dir: string): { ca: string; cert: string; key: string } {
    const f = (n: string) => path.join(dir, n);
    const ssl = (args: string[]) => {
        const r = spawnSync("openssl", args, { encoding: "utf8" });
        assert.equal(r.status, 0, `openssl ${args.join(" ")}: ${r.stderr}`);
    };
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    ssl(["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "2", "-subj", "/CN=kfstack test mirror CA"]);
    ssl(["req", "-new", ...ec, "-keyout", f("srv.key"), "-out", f("srv.csr"), "-subj", "/CN=127.0.0.1"]);
    fs.writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl([
        "x509",
        "-req",
        "-in",
        f("srv.csr"),
        "-CA",
        f("ca.crt"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-out",
        f("srv.crt"),
        "-days",
        "2",
        "-extfile",
        f("san.ext"),
    ]);
    return { ca: f("ca.crt"), cert: f("srv.crt"), key: f("srv.key") };
}

describe("a real containerd pulls through the mirror (containerd-hosts / kubespray-vars)", function () {
    this.timeout(300_000);
    let work: string;
    let storage: string;
    let tls: { ca: string; cert: string; key: string };
    /** Every image by the names a node meets, with the digest it must have. */
    const pulls: { name: string; digest: string }[] = [];

    before(async function () {
        needParts(this, {
            "docker-registry": registryBinary(),
            skopeo: skopeoPresent() ? "y" : undefined,
            openssl: spawnSync("sh", ["-c", "command -v openssl"]).status === 0 ? "y" : undefined,
            "containerd 1.x": containerdBinary("1.x"),
            "containerd 2.x": containerdBinary("2.x"),
            crictl: crictlBinary(),
        });
        work = tempDir("node-pulls");
        storage = path.join(work, "mirror-storage");
        fs.mkdirSync(storage);
        tls = makeTls(work);
        // The source, and the mirror filled while it speaks plain HTTP; later served from the same storage as each kind.
        const source = await startRegistry();
        const filling = await startRegistry({ storage });
        try {
            const image = [{ architecture: "amd64", layers: [seededLayer("node-pull", 4096)] }];
            const digest = await pushImage(source.client(), "team/app", "1", image);
            // kfstack mirror copy: the source's own name, as the mirror rule stores it.
            const copy = await runCliAsync(
                ["mirror", "copy", "--images", "-", "--mirror", `${filling.host}/kf`, "--plain-http", "--src-plain-http", "--journal", path.join(work, "j")],
                {
                    input: `${source.host}/team/app:1\n`,
                },
            ).done;
            assert.equal(copy.status, 0, copy.stderr);
            pulls.push({ name: `${source.host}/team/app:1`, digest });
            // Public names, as a bundle from the connected side holds them: the source's export,
            // its index naming the same image by the public names, imported with kfstack mirror import.
            const layout = path.join(work, "bundle");
            const exp = await runCliAsync(["mirror", "export", "--images", "-", "--out", layout, "--src-plain-http"], { input: `${source.host}/team/app:1\n` })
                .done;
            assert.equal(exp.status, 0, exp.stderr);
            const indexFile = path.join(layout, "index.json");
            const index = JSON.parse(fs.readFileSync(indexFile, "utf8")) as { manifests: { annotations: Record<string, string> }[] };
            const [top] = index.manifests;
            index.manifests = ["gcr.io/team/app:1", "docker.io/library/busybox:1.28", "registry.k8s.io/pause:3.10", `ghcr.io/org/img@${digest}`].map(
                (name) => ({
                    ...top,
                    annotations: { "org.opencontainers.image.ref.name": name },
                }),
            );
            fs.writeFileSync(indexFile, JSON.stringify(index));
            const sums = path.join(layout, "checksums.sha256");
            const indexSum = crypto.createHash("sha256").update(fs.readFileSync(indexFile)).digest("hex");
            fs.writeFileSync(sums, fs.readFileSync(sums, "utf8").replace(/^[0-9a-f]{64} {2}index\.json$/m, `${indexSum}  index.json`));
            const imp = await runCliAsync(["mirror", "import", layout, "--mirror", `${filling.host}/kf`, "--plain-http"]).done;
            assert.equal(imp.status, 0, imp.stderr);
            assert.match(imp.stderr, /4 copied/);
            pulls.push({ name: "gcr.io/team/app:1", digest }, { name: "busybox:1.28", digest }, { name: `ghcr.io/org/img@${digest}`, digest });
        } finally {
            await filling.stop();
            // The source is gone before any node pulls: whatever they get comes from the mirror.
            await source.stop();
        }
    });

    after(() => {
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    for (const flavour of ["1.x", "2.x"] as ContainerdFlavour[]) {
        for (const kind of KINDS) {
            it(`containerd ${flavour}, ${kind}: original, short, by-digest, mirror and *_image_repo names, with the source digest; a miss fails fast`, async () => {
                const mirror: Registry = await startRegistry({
                    storage,
                    accessLog: true,
                    ...(kind === "plain HTTP" ? {} : { tls: { cert: tls.cert, key: tls.key } }),
                    ...(kind === "TLS with htpasswd" ? { credentials: CREDENTIALS } : {}),
                });
                const node = path.join(work, `node-${flavour}-${kind.replace(/\W+/g, "-")}`);
                let containerd: Awaited<ReturnType<typeof startContainerd>> | undefined;
                try {
                    const args = ["containerd-hosts", "--mirror", `${mirror.host}/kf`, "--out", node, "--config-dir", node, "--images", "-"];
                    if (kind === "plain HTTP") args.push("--plain-http");
                    else args.push("--ca", tls.ca);
                    if (kind === "TLS with htpasswd") {
                        fs.writeFileSync(path.join(work, "pw"), CREDENTIALS.password + "\n", { mode: 0o600 });
                        args.push("--auth-user", CREDENTIALS.username, "--auth-password-file", path.join(work, "pw"));
                    }
                    const hosts = await runCliAsync(args, { input: pulls.map((p) => p.name).join("\n") + "\n" }).done;
                    assert.equal(hosts.status, 0, hosts.stderr);
                    // kubespray's *_image_repo for registry.k8s.io, as kubespray-vars prints it.
                    const vars = await runCliAsync(["kubespray-vars", "--mirror", `${mirror.host}/kf`]).done;
                    const kubeRepo = /^kube_image_repo: (.+)$/m.exec(vars.stdout)![1];
                    const names = [
                        ...pulls,
                        { name: `${mirror.host}/kf/gcr.io/team/app:1`, digest: pulls[0].digest },
                        { name: `${kubeRepo}/pause:3.10`, digest: pulls[0].digest },
                    ];
                    containerd = await startContainerd(flavour, path.join(node, "certs.d"));
                    for (const p of names) {
                        const r = containerd.crictl(["pull", p.name]);
                        assert.equal(r.status, 0, `${containerd.version}: pull ${p.name}: ${r.stderr}`);
                        const info = JSON.parse(containerd.crictl(["inspecti", "-o", "json", p.name]).stdout) as { status: { repoDigests: string[] } };
                        assert.ok(
                            info.status.repoDigests.some((d) => d.endsWith(`@${p.digest}`)),
                            `${p.name}: ${info.status.repoDigests.join(", ")}`,
                        );
                    }
                    // Served by the mirror, at the mirror rule's paths.
                    const log = mirror.accessLog();
                    for (const pathSeen of [
                        "/v2/kf/gcr.io/team/app/manifests/1",
                        "/v2/kf/docker.io/library/busybox/manifests/1.28",
                        `/v2/kf/ghcr.io/org/img/manifests/${pulls[0].digest}`,
                    ]) {
                        assert.ok(log.includes(pathSeen), `the mirror served ${pathSeen}`);
                    }
                    const miss = containerd.crictl(["pull", "gcr.io/team/not-mirrored:1"]);
                    assert.notEqual(miss.status, 0, "a name the mirror lacks does not pull");
                    assert.ok(miss.ms < 20_000, `a miss fails fast (${miss.ms} ms)`);
                } finally {
                    await containerd?.stop();
                    await mirror.stop();
                }
            });
        }
    }
});
