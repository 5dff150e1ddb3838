/**
 * lib/bundle's rules without a registry or an engine: which npm tarballs a lock needs and where
 * npm's cache keeps them, the lock npm is given offline, bundle.json read as untrusted input,
 * the installed stack file and policy config, plugin places, and the verifier on small folders.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import * as jsyaml from "js-yaml";
import {
    BundleManifest,
    checksumsText,
    extractTar,
    findPlugin,
    installedPolicyConfig,
    installedStackFile,
    installPlugin,
    isSafeName,
    lockTarballs,
    lockWithResolved,
    pluginPlace,
    pluginsFor,
    readManifest,
    thisPlatform,
    verifyBundle,
    writeTar,
} from "../../../lib/bundle";
import { KfstackError } from "../../../lib/core";
import { parseMirror } from "../../../lib/rewrite";
import { parseSettings, readStackFile } from "../../../lib/config";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");

const sha = (s: string | Buffer) => crypto.createHash("sha256").update(s).digest("hex");

function tmp(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-bundle-unit-"));
}

const integrity = (s: string) => `sha512-${crypto.createHash("sha512").update(s).digest("base64")}`;

function lockFile(dir: string, packages: Record<string, unknown>): string {
    const file = path.join(dir, "package-lock.json");
    fs.writeFileSync(file, JSON.stringify({ name: "x", lockfileVersion: 3, packages: { "": { name: "x" }, ...packages } }));
    return file;
}

/** A small bundle folder and its manifest (files listed, checksums written). */
function smallBundle(dir: string, files: Record<string, string>, extra: Partial<BundleManifest> = {}): BundleManifest {
    const listed: Record<string, [string, number]> = {};
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), text);
        listed[rel] = [sha(text), Buffer.byteLength(text)];
    }
    const m: BundleManifest = {
        format: 1,
        kfstack: "0.1.0",
        created: "2026-12-07T00:00:00.000Z",
        stack: "dev",
        release: { name: "v1.9.1", dir: "manifests/v1.9.1" },
        remotes: {},
        extras: {},
        mirror: "registry.local:5000/kubeflow",
        platform: thisPlatform(),
        images: [],
        plugins: [],
        tools: [],
        files: listed,
        sizes: { total: 0, shipped: 0, parts: {} },
        ...extra,
    };
    const text = JSON.stringify(m, null, 1) + "\n";
    fs.writeFileSync(path.join(dir, "bundle.json"), text);
    fs.writeFileSync(path.join(dir, "checksums.sha256"), checksumsText({ ...listed, "bundle.json": [sha(text), Buffer.byteLength(text)] }));
    return m;
}

describe("bundle: npm tarballs of a lock", () => {
    it("names each registry tarball by npm's cache path for its integrity, once, for this platform only", () => {
        const dir = tmp();
        const file = lockFile(dir, {
            "node_modules/a": { version: "1.0.0", integrity: integrity("a") },
            "node_modules/b/node_modules/a": { version: "1.0.0", integrity: integrity("a") },
            "node_modules/@s/c": { version: "2.0.0", integrity: integrity("c") },
            "node_modules/linked": { link: true, resolved: "../linked" },
            "node_modules/win-only": { version: "1.0.0", integrity: integrity("w"), os: ["win32"], optional: true },
            "node_modules/not-win": { version: "1.0.0", integrity: integrity("nw"), os: ["!win32"] },
            "node_modules/arm-only": { version: "1.0.0", integrity: integrity("arm"), cpu: ["arm64"] },
        });
        const got = lockTarballs(file, { os: "linux", cpu: "x64" });
        assert.deepEqual(got.map((t) => t.spec).sort(), ["@s/c@2.0.0", "a@1.0.0", "not-win@1.0.0"]);
        const hex = Buffer.from(integrity("a").slice(7), "base64").toString("hex");
        assert.ok(got.some((t) => t.cachePath === `content-v2/sha512/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex.slice(4)}`));
        assert.deepEqual(
            lockTarballs(file, { os: "linux", cpu: "arm64" })
                .map((t) => t.spec)
                .sort(),
            ["@s/c@2.0.0", "a@1.0.0", "arm-only@1.0.0", "not-win@1.0.0"],
        );
    });

    it("refuses a lock npm 6 wrote, naming the fix", () => {
        const dir = tmp();
        const file = path.join(dir, "package-lock.json");
        fs.writeFileSync(file, JSON.stringify({ lockfileVersion: 1, dependencies: {} }));
        assert.throws(() => lockTarballs(file), /a lock of version 2 or later is needed/);
    });

    it("gives npm the resolved URLs it would have written, scoped names included, and keeps what the lock says", () => {
        const text = JSON.stringify({
            lockfileVersion: 3,
            packages: {
                "": { name: "x" },
                "node_modules/@pulumi/pulumi": { version: "3.259.0", integrity: integrity("p") },
                "node_modules/js-yaml": { version: "4.3.2", integrity: integrity("j"), resolved: "https://mirror.example/js-yaml.tgz" },
            },
        });
        const out = JSON.parse(lockWithResolved(text)) as { packages: Record<string, { resolved?: string; integrity?: string }> };
        assert.equal(out.packages["node_modules/@pulumi/pulumi"].resolved, "https://registry.npmjs.org/@pulumi/pulumi/-/pulumi-3.259.0.tgz");
        assert.equal(out.packages["node_modules/js-yaml"].resolved, "https://mirror.example/js-yaml.tgz");
        assert.equal(out.packages["node_modules/@pulumi/pulumi"].integrity, integrity("p"));
        assert.equal(out.packages[""].resolved, undefined);
    });
});

describe("bundle: bundle.json as untrusted input", () => {
    const write = (m: unknown) => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "bundle.json"), JSON.stringify(m));
        return path.join(dir, "bundle.json");
    };
    const good = (): Record<string, unknown> => {
        const dir = tmp();
        return JSON.parse(JSON.stringify(smallBundle(dir, { "project/a.txt": "a" }))) as Record<string, unknown>;
    };

    it("reads a well-formed one", () => {
        assert.equal(readManifest(write(good())).stack, "dev");
    });

    for (const [what, change, pattern] of [
        [
            "a file name with ..",
            (m: Record<string, any>) => (m.files["project/../../etc/passwd"] = [sha("x"), 1]),
            /a file name "project\/\.\.\/\.\.\/etc\/passwd" that is not a bundle file/,
        ],
        ["an absolute file name", (m: Record<string, any>) => (m.files["/etc/passwd"] = [sha("x"), 1]), /that is not a bundle file/],
        ["a file in install/", (m: Record<string, any>) => (m.files["install/x"] = [sha("x"), 1]), /that is not a bundle file/],
        ["a checksum that is not hex", (m: Record<string, any>) => (m.files["project/a.txt"] = ["zz", 1]), /project\/a\.txt has no \[sha256, size\]/],
        ["another format", (m: Record<string, any>) => (m.format = 2), /format 2; this kfstack reads format 1/],
        [
            "a plugin not among the files",
            (m: Record<string, any>) =>
                (m.plugins = [{ kind: "resource", name: "kubernetes", version: "4.25.0", file: "plugins/x/p", sha256: sha("p"), size: 1 }]),
            /plugins\/x\/p \(kubernetes 4\.25\.0\) is not among the files/,
        ],
        ["a stack name with a slash", (m: Record<string, any>) => (m.stack = "../dev"), /the stack name is not a name/],
        ["a remote folder outside", (m: Record<string, any>) => (m.remotes = { "https://github.com/x": "../x" }), /remotes is not a map/],
    ] as [string, (m: Record<string, any>) => void, RegExp][]) {
        it(`refuses ${what}, naming it`, () => {
            const m = good();
            change(m);
            assert.throws(
                () => readManifest(write(m)),
                (e: Error) => e instanceof KfstackError && pattern.test(e.message) && /nothing was changed/.test(e.message),
            );
        });
    }

    it("refuses JSON that is not, and a manifest that is a link", () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "bundle.json"), "{");
        assert.throws(() => readManifest(path.join(dir, "bundle.json")), /not JSON/);
        fs.symlinkSync("/etc/hostname", path.join(dir, "link.json"));
        assert.throws(() => readManifest(path.join(dir, "link.json")), /not a regular file/);
    });

    it("isSafeName: relative, forward slashes, no empty, . or .. part, no control characters", () => {
        for (const ok of ["a", "a/b.c", "images/blobs/sha256/ab"]) assert.ok(isSafeName(ok), ok);
        for (const bad of ["", "/a", "a//b", "a/./b", "a/../b", "..", "a\\b", "a\nb", "a/"]) assert.ok(!isSafeName(bad), JSON.stringify(bad));
    });
});

describe("bundle: verifyBundle", () => {
    it("passes a whole bundle, and names each kind of damage", async () => {
        const dir = tmp();
        const m = smallBundle(dir, { "project/a.txt": "alpha", "manifests/v1.9.1/k.yaml": "resources: []\n" });
        assert.deepEqual((await verifyBundle(dir, m, undefined, () => undefined)).fromBase, []);
        fs.writeFileSync(path.join(dir, "project", "a.txt"), "alphb");
        await assert.rejects(
            verifyBundle(dir, m, undefined, () => undefined),
            /project\/a\.txt does not match its checksum/,
        );
        fs.writeFileSync(path.join(dir, "project", "a.txt"), "alpha");
        fs.writeFileSync(path.join(dir, "project", "b.txt"), "extra");
        await assert.rejects(
            verifyBundle(dir, m, undefined, () => undefined),
            /project\/b\.txt is not listed in bundle\.json/,
        );
        fs.rmSync(path.join(dir, "project", "b.txt"));
        fs.appendFileSync(path.join(dir, "checksums.sha256"), `${sha("x")}  other\n`);
        await assert.rejects(
            verifyBundle(dir, m, undefined, () => undefined),
            /checksums\.sha256 does not match bundle\.json/,
        );
    });

    it("takes a delta's unshipped files from the earlier bundle only with the same checksum", async () => {
        const old = tmp();
        const oldManifest = smallBundle(old, { "project/a.txt": "alpha", "project/b.txt": "beta" });
        const delta = tmp();
        const whole = smallBundle(
            delta,
            { "project/a.txt": "alpha", "project/b.txt": "beta2" },
            { base: { sha256: sha("x"), release: "v1.8.0", created: "then" } },
        );
        fs.rmSync(path.join(delta, "project", "a.txt"));
        const r = await verifyBundle(delta, whole, { dir: old, manifest: oldManifest }, () => undefined);
        assert.deepEqual(r.fromBase, ["project/a.txt"]);
        await assert.rejects(
            verifyBundle(delta, whole, undefined, () => undefined),
            /is a delta on the v1\.8\.0 bundle made then: give that bundle's folder with --since/,
        );
        fs.rmSync(path.join(delta, "project", "b.txt"));
        await assert.rejects(
            verifyBundle(delta, whole, { dir: old, manifest: oldManifest }, () => undefined),
            /project\/b\.txt is neither in the delta nor, with its checksum, in the earlier bundle/,
        );
    });

    it("refuses a bundle for another platform before reading any file", async () => {
        const dir = tmp();
        const m = smallBundle(dir, { "project/a.txt": "a" }, { platform: "plan9-mips" });
        await assert.rejects(
            verifyBundle(dir, m, undefined, () => undefined),
            /is a bundle for plan9-mips, and this machine is/,
        );
    });
});

describe("bundle: what install writes", () => {
    it("points the stack file at the bundle's release, remote bases, kustomize and the given mirror, keeping the rest", () => {
        const dir = tmp();
        fs.mkdirSync(path.join(dir, "stack"));
        fs.writeFileSync(
            path.join(dir, "stack", "Pulumi.dev.yaml"),
            "encryptionsalt: v1:abc\nconfig:\n  kfstack:manifests:\n    git: https://github.com/kubeflow/manifests\n    ref: v1.9.1\n  kfstack:mirror:\n    registry: registry.local:5000/kubeflow\n    plainHttp: true\n  kfstack:apps:\n    disabled: [katib]\n    extra:\n      - name: mine\n        path: ../mine\n        after: [dex]\n  kfstack:users:\n    - email: a@b.c\n      password:\n        secure: AAAA\n",
        );
        const m = {
            stack: "dev",
            release: { name: "v1.9.1", dir: "manifests/v1.9.1" },
            remotes: { "https://github.com/x/y?ref=v1": "remotes/abc" },
            extras: { mine: "extras/mine" },
        } as unknown as BundleManifest;
        const doc = jsyaml.load(installedStackFile(dir, m, parseMirror("10.0.0.5:5000/kf"), "/opt/bin/kustomize")) as {
            encryptionsalt: string;
            config: Record<string, any>;
        };
        assert.equal(doc.encryptionsalt, "v1:abc");
        assert.deepEqual(doc.config["kfstack:manifests"], { path: path.join(dir, "manifests", "v1.9.1") });
        assert.deepEqual(doc.config["kfstack:mirror"], { registry: "10.0.0.5:5000/kf", plainHttp: true });
        assert.deepEqual(doc.config["kfstack:kustomize"], {
            binary: "/opt/bin/kustomize",
            remotes: { "https://github.com/x/y?ref=v1": path.join(dir, "remotes", "abc") },
        });
        assert.deepEqual(doc.config["kfstack:users"][0].password, { secure: "AAAA" });
        assert.deepEqual(doc.config["kfstack:apps"], {
            disabled: ["katib"],
            extra: [{ name: "mine", path: path.join(dir, "extras", "mine"), after: ["dex"] }],
        });
    });

    it("moves the policies' allowed mirror with the stack, leaving other mirrors", () => {
        const text = JSON.stringify({
            "mirror-only-images": { allowedMirrors: ["registry.local:5000/kubeflow", "harbor.corp/base"] },
            other: { level: "advisory" },
        });
        const out = JSON.parse(installedPolicyConfig(text, "registry.local:5000/kubeflow", parseMirror("10.0.0.5:5000/kf"))) as Record<string, any>;
        assert.deepEqual(out["mirror-only-images"].allowedMirrors, ["10.0.0.5:5000/kf", "harbor.corp/base"]);
        assert.deepEqual(out.other, { level: "advisory" });
    });

    it("installs a plugin where the Pulumi CLI looks for it, replacing a half-installed one", () => {
        const home = tmp();
        const binary = path.join(home, "bin");
        fs.writeFileSync(binary, "#!/bin/sh\n");
        const p = { kind: "resource", name: "kubernetes", version: "4.25.0" };
        assert.deepEqual(pluginPlace(p), { dir: "resource-kubernetes-v4.25.0", binary: "pulumi-resource-kubernetes" });
        fs.mkdirSync(path.join(home, "plugins", "resource-kubernetes-v4.25.0"), { recursive: true });
        fs.writeFileSync(path.join(home, "plugins", "resource-kubernetes-v4.25.0.partial"), "");
        const at = installPlugin(p, binary, home);
        assert.equal(at, path.join(home, "plugins", "resource-kubernetes-v4.25.0", "pulumi-resource-kubernetes"));
        assert.equal(fs.statSync(at).mode & 0o777, 0o755);
        assert.ok(!fs.existsSync(path.join(home, "plugins", "resource-kubernetes-v4.25.0.partial")));
    });
});

/** `<d>/evil.tar` holding one file under `name`, as only a crafted archive names it (Python's tarfile writes any name). */
function tarNaming(d: string, name: string): void {
    const script = `import tarfile,io,sys\nt=tarfile.open(sys.argv[1],'w')\ni=tarfile.TarInfo(sys.argv[2]);i.size=1\nt.addfile(i,io.BytesIO(b'x'))\nt.close()`;
    assert.equal(spawnSync("python3", ["-c", script, path.join(d, "evil.tar"), name]).status, 0);
}

describe("bundle: one file (tar)", () => {
    const folder = () => {
        const dir = tmp();
        fs.mkdirSync(path.join(dir, "b", "npm", "content-v2", "sha512", "ab", "cd"), { recursive: true });
        const long = "x".repeat(120);
        fs.writeFileSync(path.join(dir, "b", "npm", "content-v2", "sha512", "ab", "cd", long), Buffer.alloc(70000, 7));
        fs.writeFileSync(path.join(dir, "b", "kfstack.js"), "console.log(1)\n", { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "b", "empty"), "");
        return { dir, long };
    };

    it("writes the folder's files and reads them back, long names, modes and empty files included; the same folder gives the same bytes", async () => {
        const { dir, long } = folder();
        await writeTar(path.join(dir, "b"), path.join(dir, "b.tar"), () => undefined);
        await writeTar(path.join(dir, "b"), path.join(dir, "again.tar"), () => undefined);
        assert.equal(sha(fs.readFileSync(path.join(dir, "b.tar"))), sha(fs.readFileSync(path.join(dir, "again.tar"))));
        // GNU tar reads it as kfstack wrote it.
        const listed = spawnSync("tar", ["-tf", path.join(dir, "b.tar")], { encoding: "utf8" });
        assert.equal(listed.status, 0, listed.stderr);
        assert.deepEqual(listed.stdout.trim().split("\n").sort(), ["empty", "kfstack.js", `npm/content-v2/sha512/ab/cd/${long}`]);
        await extractTar(path.join(dir, "b.tar"), path.join(dir, "out"), () => undefined);
        assert.deepEqual(fs.readFileSync(path.join(dir, "out", "npm", "content-v2", "sha512", "ab", "cd", long)), Buffer.alloc(70000, 7));
        assert.equal(fs.statSync(path.join(dir, "out", "kfstack.js")).mode & 0o777, 0o755);
        assert.equal(fs.readFileSync(path.join(dir, "out", "empty"), "utf8"), "");
    });

    it("reads a tar GNU tar made of a bundle folder (long names, folders)", async () => {
        const { dir, long } = folder();
        assert.equal(spawnSync("tar", ["-cf", path.join(dir, "gnu.tar"), "-C", path.join(dir, "b"), "."]).status, 0);
        await extractTar(path.join(dir, "gnu.tar"), path.join(dir, "out"), () => undefined);
        assert.ok(fs.existsSync(path.join(dir, "out", "npm", "content-v2", "sha512", "ab", "cd", long)));
    });

    for (const [what, make, pattern] of [
        [
            "a symbolic link",
            (d: string) => spawnSync("sh", ["-c", `cd ${d} && mkdir t && ln -s /etc/passwd t/p && tar -cf evil.tar -C t .`]),
            /"p" is a symbolic link; a bundle holds regular files only/,
        ],
        ["a name with ..", (d: string) => tarNaming(d, "../evil"), /an entry named "\.\.\/evil" that is not a bundle file/],
        ["an absolute name", (d: string) => tarNaming(d, "/tmp/evil"), /an entry named "\/tmp\/evil" that is not a bundle file/],
        [
            "a cut-short archive",
            (d: string) => {
                fs.writeFileSync(path.join(d, "f"), Buffer.alloc(5000, 1));
                spawnSync("tar", ["-cf", path.join(d, "whole.tar"), "-C", d, "f"]);
                fs.writeFileSync(path.join(d, "evil.tar"), fs.readFileSync(path.join(d, "whole.tar")).subarray(0, 2048));
            },
            /cut short/,
        ],
        [
            "a damaged header",
            (d: string) => {
                fs.writeFileSync(path.join(d, "f"), "x");
                spawnSync("tar", ["-cf", path.join(d, "evil.tar"), "-C", d, "f"]);
                const b = fs.readFileSync(path.join(d, "evil.tar"));
                b[0] ^= 1;
                fs.writeFileSync(path.join(d, "evil.tar"), b);
            },
            /has a wrong checksum/,
        ],
    ] as [string, (d: string) => void, RegExp][]) {
        it(`refuses ${what} before writing anything`, async () => {
            const d = tmp();
            make(d);
            await assert.rejects(
                extractTar(path.join(d, "evil.tar"), path.join(d, "out"), () => undefined),
                (e: Error) => e instanceof KfstackError && pattern.test(e.message),
            );
            assert.ok(!fs.existsSync(path.join(d, "out")) && !fs.readdirSync(d).some((f) => f.startsWith("out.partial")), "nothing unpacked");
            assert.ok(!fs.existsSync("/tmp/evil") || fs.readFileSync("/tmp/evil", "utf8") !== "x");
        });
    }
});

describe("bundle: the plugins a stack needs", () => {
    const settingsOf = (file: string) => {
        const dir = tmp();
        const f = path.join(dir, path.basename(file));
        const doc = jsyaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
        doc.config["kfstack:manifests"] = { path: dir };
        fs.writeFileSync(f, jsyaml.dump(doc));
        return parseSettings(readStackFile(f), dir);
    };
    const pinned = (pkg: string) =>
        (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", pkg, "package.json"), "utf8")) as { version: string }).version;

    it("the dev stack (on-prem, mirror filled elsewhere): the Kubernetes provider its SDK pins, nothing else", () => {
        assert.deepEqual(
            pluginsFor(settingsOf(path.join(ROOT, "Pulumi.dev.yaml")), ROOT).map((p) => `${p.name} ${p.version}`),
            [`kubernetes ${pinned("kubernetes")}`],
        );
    });

    it("the prod stack (EKS, ECR): the AWS provider too", () => {
        assert.deepEqual(
            pluginsFor(settingsOf(path.join(ROOT, "Pulumi.prod.yaml")), ROOT).map((p) => `${p.name} ${p.version}`),
            [`kubernetes ${pinned("kubernetes")}`, `aws ${pinned("aws")}`],
        );
    });

    it("a plugin neither in the plugin cache nor on PATH is bad input naming the command that fetches it", () => {
        const home = tmp();
        assert.throws(
            () => findPlugin({ kind: "resource", name: "aws", version: "7.48.0", why: "an EKS cluster" }, { PULUMI_HOME: home, PATH: home }),
            (e: Error) =>
                e instanceof KfstackError &&
                /the aws provider 7\.48\.0 \(an EKS cluster\) is not on this machine: run 'pulumi plugin install resource aws v7\.48\.0'/.test(e.message),
        );
        const dir = path.join(home, "plugins", "resource-aws-v7.48.0");
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "pulumi-resource-aws"), "");
        assert.equal(
            findPlugin({ kind: "resource", name: "aws", version: "7.48.0", why: "" }, { PULUMI_HOME: home, PATH: "" }),
            path.join(dir, "pulumi-resource-aws"),
        );
        fs.writeFileSync(path.join(home, "plugins", "resource-aws-v7.48.0.partial"), "");
        assert.throws(
            () => findPlugin({ kind: "resource", name: "aws", version: "7.48.0", why: "" }, { PULUMI_HOME: home, PATH: "" }),
            /is not on this machine/,
            "a half-installed plugin is none",
        );
    });
});
