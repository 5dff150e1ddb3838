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
const MIRROR_FIELDS = ["auth", "capabilities", "host", "override_path", "skip_verify"];

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

    it("prints kubespray's own variables, a mirror per public registry, paths that match the mirror rule", async () => {
        const r = await run(["kubespray-vars", "--mirror", "registry.local:5000/kubeflow", "--auth-user", "robot", "--auth-password-file", pw, "--ca", ca]);
        assert.equal(r.code, 0, r.stderr);
        const vars = jsyaml.load(r.stdout) as Record<string, any>;
        assert.deepEqual(Object.keys(vars).sort(), KUBESPRAY_VARS);
        const prefixes = vars.containerd_registries_mirrors.map((m: { prefix: string }) => m.prefix);
        for (const h of ["docker.io", "gcr.io", "ghcr.io", "quay.io", "registry.k8s.io", "nvcr.io"]) assert.ok(prefixes.includes(h), h);
        for (const entry of vars.containerd_registries_mirrors) {
            const [m] = entry.mirrors;
            assert.deepEqual(Object.keys(m).sort(), MIRROR_FIELDS);
            assert.deepEqual(m.auth, { username: "robot", password: "s3cret" });
            assert.equal(m.override_path, true);
        }
        // What containerd asks the mirror for (override_path: host path + repository) is where the mirror rule put the image.
        const image = parseReference("gcr.io/ml-pipeline/frontend:2.3.0");
        const host = vars.containerd_registries_mirrors.find((m: { prefix: string }) => m.prefix === image.registry).mirrors[0].host as string;
        const asked = `${new URL(host).host}${new URL(host).pathname.replace(/^\/v2/, "")}/${image.repository}:${image.tag}`;
        assert.equal(asked, mirrorString("gcr.io/ml-pipeline/frontend:2.3.0", parseMirror("registry.local:5000/kubeflow")));
        assert.equal(vars.kube_image_repo, "registry.local:5000/kubeflow/registry.k8s.io");
        assert.match(r.stdout, /kubespray's hosts.toml template has no CA field/);
        assert.match(r.stdout, /encrypt this file with ansible-vault/);
    });

    it("--images: the registries of the list, plus kubespray's own", async () => {
        const r = await run(["kubespray-vars", "--mirror", "m.local/kf", "--plain-http", "--images", "-"], () => "nvcr.io/nvidia/cuda:12\nquay.io/a/b:1\n");
        const vars = jsyaml.load(r.stdout) as Record<string, any>;
        assert.deepEqual(
            vars.containerd_registries_mirrors.map((m: { prefix: string }) => m.prefix),
            ["docker.io", "gcr.io", "ghcr.io", "nvcr.io", "quay.io", "registry.k8s.io"],
        );
        assert.match(vars.containerd_registries_mirrors[0].mirrors[0].host, /^http:\/\/m\.local\/v2\/kf\/docker\.io$/);
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
