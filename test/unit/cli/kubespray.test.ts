/** `kfstack kubespray-vars`: valid YAML of documented kubespray variables that agree with the mirror rule. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { spawnSync } from "child_process";
import { run } from "../../../lib/cli/main";
import { mirrorString, parseMirror } from "../../../lib/rewrite";
import { parseReference } from "../../../lib/images";
import { tempDir } from "../../support/helpers";

/** The variables kubespray documents (sources in lib/onprem/kubespray.ts). */
const KUBESPRAY_VARS = ["containerd_registries_mirrors", "docker_image_repo", "gcr_image_repo", "github_image_repo", "kube_image_repo", "quay_image_repo"];
const MIRROR_FIELDS = ["ca", "capabilities", "header", "host", "override_path", "skip_verify"];

describe("kfstack kubespray-vars", () => {
    const dir = tempDir("kubespray");
    const pw = path.join(dir, "pw");
    fs.writeFileSync(pw, "s3cret\n", { mode: 0o600 });
    // A real CA certificate and its key, made for the test.
    const ca = path.join(dir, "ca.crt");
    const key = path.join(dir, "ca.key");
    const made = spawnSync(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key,
            "-out",
            ca,
            "-days",
            "2",
            "-subj",
            "/CN=kfstack test CA",
        ],
        {
            encoding: "utf8",
        },
    );
    assert.equal(made.status, 0, made.stderr);
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("prints kubespray's own variables, a mirror per registry and one for the mirror itself, paths that match the mirror rule", async () => {
        const r = await run(["kubespray-vars", "--mirror", "registry.local:5000/kubeflow", "--auth-user", "robot", "--auth-password-file", pw, "--ca", ca]);
        assert.equal(r.code, 0, r.stderr);
        const vars = jsyaml.load(r.stdout) as Record<string, any>;
        assert.deepEqual(Object.keys(vars).sort(), KUBESPRAY_VARS);
        const prefixes = vars.containerd_registries_mirrors.map((m: { prefix: string }) => m.prefix);
        for (const h of ["docker.io", "gcr.io", "ghcr.io", "quay.io", "registry.k8s.io", "nvcr.io", "registry.local:5000"]) assert.ok(prefixes.includes(h), h);
        for (const entry of vars.containerd_registries_mirrors) {
            // Misses go to the mirror, never to a public registry.
            assert.equal(entry.server, "https://registry.local:5000");
            const [m] = entry.mirrors;
            assert.deepEqual(Object.keys(m).sort(), MIRROR_FIELDS);
            assert.deepEqual(m.header, { Authorization: "Basic " + Buffer.from("robot:s3cret").toString("base64") });
            assert.equal(m.ca, "/etc/containerd/certs.d/registry.local:5000/kfstack-mirror-ca.crt");
            assert.equal(m.override_path, entry.prefix !== "registry.local:5000");
        }
        // The mirror's own names (what rewrite produced, *_image_repo) go straight to it.
        assert.equal(vars.containerd_registries_mirrors.at(-1).mirrors[0].host, "https://registry.local:5000");
        // What containerd asks the mirror for (override_path: host path + repository) is where the mirror rule put the image.
        const image = parseReference("gcr.io/ml-pipeline/frontend:2.3.0");
        const host = vars.containerd_registries_mirrors.find((m: { prefix: string }) => m.prefix === image.registry).mirrors[0].host as string;
        const asked = `${new URL(host).host}${new URL(host).pathname.replace(/^\/v2/, "")}/${image.repository}:${image.tag}`;
        assert.equal(asked, mirrorString("gcr.io/ml-pipeline/frontend:2.3.0", parseMirror("registry.local:5000/kubeflow")));
        assert.equal(vars.kube_image_repo, "registry.local:5000/kubeflow/registry.k8s.io");
        assert.match(r.stdout, /copy it to \/etc\/containerd\/certs\.d\/registry\.local:5000\/kfstack-mirror-ca\.crt/);
        assert.match(r.stdout, /encrypt this file with ansible-vault/);
        assert.doesNotMatch(r.stdout, /containerd_registry_auth:/);
    });

    it("--kubespray-version: only the fields that release's template writes, credentials by containerd_registry_auth before 2.29", async () => {
        const vars = async (version: string) => {
            const r = await run([
                "kubespray-vars",
                "--mirror",
                "m.local/kf",
                "--auth-user",
                "robot",
                "--auth-password-file",
                pw,
                "--ca",
                ca,
                "--kubespray-version",
                version,
            ]);
            assert.equal(r.code, 0, r.stderr);
            return { text: r.stdout, vars: jsyaml.load(r.stdout) as Record<string, any> };
        };
        const old = await vars("v2.27.0");
        for (const e of old.vars.containerd_registries_mirrors)
            assert.deepEqual(Object.keys(e.mirrors[0]).sort(), ["capabilities", "host", "override_path", "skip_verify"]);
        assert.deepEqual(old.vars.containerd_registry_auth, [{ registry: "m.local", username: "robot", password: "s3cret" }]);
        assert.match(old.text, /has no ca field \(2\.28 added it\)/);
        const mid = await vars("2.28");
        assert.deepEqual(Object.keys(mid.vars.containerd_registries_mirrors[0].mirrors[0]).sort(), [
            "ca",
            "capabilities",
            "host",
            "override_path",
            "skip_verify",
        ]);
        assert.ok(mid.vars.containerd_registry_auth);
        assert.match(mid.text, /renders it for containerd 1\.x only: with containerd 2\.x use kubespray >= 2\.29/);
        const newer = await vars("2.40");
        assert.ok(newer.vars.containerd_registries_mirrors[0].mirrors[0].header, "a newer release counts as the newest known");
        const bad = await run(["kubespray-vars", "--mirror", "m.local/kf", "--kubespray-version", "3.0"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /--kubespray-version 3\.0: give a kubespray release/);
    });

    it("--images: the registries of the list, by source or by mirror name, plus kubespray's own", async () => {
        const list = "nvcr.io/nvidia/cuda:12\nquay.io/a/b:1\nm.local/kf/public.ecr.aws/x/y:1\nm.local/kf/127.0.0.1_5000/z:1\n";
        const r = await run(["kubespray-vars", "--mirror", "m.local/kf", "--plain-http", "--images", "-"], () => list);
        assert.equal(r.code, 0, r.stderr);
        const vars = jsyaml.load(r.stdout) as Record<string, any>;
        assert.deepEqual(
            vars.containerd_registries_mirrors.map((m: { prefix: string }) => m.prefix),
            ["127.0.0.1:5000", "docker.io", "gcr.io", "ghcr.io", "nvcr.io", "public.ecr.aws", "quay.io", "registry.k8s.io", "m.local"],
        );
        assert.equal(vars.containerd_registries_mirrors[0].mirrors[0].host, "http://m.local/v2/kf/127.0.0.1_5000");
        assert.equal(vars.containerd_registries_mirrors.at(-1).server, "http://m.local");
    });

    it("containerd-hosts --out: certs.d with a hosts.toml per registry and the mirror's, its CA, config_path lines for 1.x and 2.x", async () => {
        const out = path.join(dir, "hosts-out");
        const r = await run([
            "containerd-hosts",
            "--mirror",
            "m.local:5000/kf",
            "--out",
            out,
            "--ca",
            ca,
            "--auth-user",
            "robot",
            "--auth-password-file",
            pw,
            "--config-dir",
            "/srv/ctrd",
        ]);
        assert.equal(r.code, 0, r.stderr);
        const dirs = fs.readdirSync(path.join(out, "certs.d")).sort();
        assert.ok(dirs.includes("m.local:5000") && dirs.includes("gcr.io"), dirs.join(" "));
        const gcr = fs.readFileSync(path.join(out, "certs.d", "gcr.io", "hosts.toml"), "utf8");
        assert.match(gcr, /^server = "https:\/\/m\.local:5000"$/m);
        assert.match(gcr, /^\[host\."https:\/\/m\.local:5000\/v2\/kf\/gcr\.io"\]$/m);
        assert.match(gcr, /^ {2}ca = \["\/srv\/ctrd\/certs\.d\/m\.local:5000\/kfstack-mirror-ca\.crt"\]$/m);
        assert.match(gcr, /^ {4}Authorization = \["Basic /m);
        assert.equal(fs.statSync(path.join(out, "certs.d", "gcr.io", "hosts.toml")).mode & 0o077, 0, "credentials: owner only");
        assert.equal(fs.readFileSync(path.join(out, "certs.d", "m.local:5000", "kfstack-mirror-ca.crt"), "utf8"), fs.readFileSync(ca, "utf8"));
        assert.match(
            fs.readFileSync(path.join(out, "config-containerd-2.x.toml"), "utf8"),
            /\[plugins\."io\.containerd\.cri\.v1\.images"\.registry\]\n {2}config_path = "\/srv\/ctrd\/certs\.d"/,
        );
        assert.match(fs.readFileSync(path.join(out, "config-containerd-1.x.toml"), "utf8"), /\[plugins\."io\.containerd\.grpc\.v1\.cri"\.registry\]/);
        const again = await run(["containerd-hosts", "--mirror", "m.local:5000/kf", "--out", out]);
        assert.equal(again.code, 2);
        assert.match(again.stderr, /is not empty/);
    });

    it("bad input: one error, exit 2", async () => {
        const file = (name: string, text: string, mode = 0o600) => {
            const f = path.join(dir, name);
            fs.writeFileSync(f, text, { mode });
            fs.chmodSync(f, mode);
            return f;
        };
        const cert = fs.readFileSync(ca, "utf8");
        const cases: [string[], RegExp][] = [
            [["--auth-user", "robot"], /--auth-user and --auth-password-file go together/],
            [["--ca", pw], /is not a PEM certificate/],
            [["--auth-user", "u", "--auth-password-file", path.join(dir, "absent")], /--auth-password-file .*absent: no such file/],
            [["--ca", path.join(dir, "nope.crt")], /--ca .*nope\.crt: no such file/],
            [["--ca", dir], /--ca .*: not a regular file/],
            [["--auth-user", "u", "--auth-password-file", file("open-pw", "s3cret\n", 0o644)], /other users can read it \(mode 0644\); chmod 600/],
            [["--auth-user", "u", "--auth-password-file", file("two-lines", "s3cret\nmore\n")], /spans lines or holds control characters/],
            [["--auth-user", "a:b", "--auth-password-file", pw], /--auth-user: a user name holds no ':'/],
            [["--ca", file("with-key.pem", cert + fs.readFileSync(key, "utf8"))], /holds a private key, which must never be copied to the nodes/],
            [["--ca", file("bad-body.pem", "-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n")], /certificate 1 of 1 does not parse/],
        ];
        for (const [args, pattern] of cases) {
            const r = await run(["kubespray-vars", "--mirror", "registry.local:5000/kubeflow", ...args]);
            assert.equal(r.code, 2, args.join(" "));
            assert.match(r.stderr, pattern);
            assert.equal(r.stdout, "");
        }
    });
});
