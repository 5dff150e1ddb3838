/**
 * The CLI's contract for bad input, as a new user meets it: every case exits 2, writes
 * nothing to stdout, writes one line to stderr that names the input, prints no stack
 * trace, and leaves nothing half-written. Run as a process, as scripts run it.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { CLI } from "../../../harness/paths";
import { tempDir } from "../../support/helpers";

const POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\nspec:\n  containers:\n  - name: a\n    image: busybox:1.28\n";
const pod = (image: string) => POD.replace("image: busybox:1.28", image);

/** A YAML of `levels` nested aliases, each expanding 9 times: 9^levels nodes from a few hundred bytes. */
function aliasBomb(levels: number): string {
    let text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    let previous = "a";
    for (let i = 0; i < levels; i++) {
        const name = `l${i}`;
        text += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(",")}]\n`;
        previous = name;
    }
    return text + "kind: ConfigMap\nmetadata: {name: bomb}\n";
}

interface Case {
    readonly what: string;
    /** Arguments; `$DIR` is replaced by the case's own temp folder. */
    readonly args: string[];
    /** Standard input: text, bytes, or a path to open as stdin. */
    readonly stdin?: string | Buffer | { path: string };
    /** Files to create in the case's folder first. */
    readonly files?: Record<string, string | Buffer>;
    /** What stderr must say (the input named, and the problem). */
    readonly error: RegExp;
    /** A path (in the case's folder) that must not exist afterwards: nothing half-written. */
    readonly notCreated?: string;
    /** Symbolic links to make first: name → target (`$DIR` replaced). */
    readonly links?: Record<string, string>;
    /** The environment, instead of this process's (`$DIR` replaced in values). */
    readonly env?: Record<string, string>;
    /** Text that must not appear in the output (a secret of the input). */
    readonly secret?: string;
}

const STACK = (config: string) => `config:\n${config}`;

/** A kubeconfig that is not YAML, with a token on the line the parser stops at. */
const BROKEN_KUBECONFIG = "apiVersion: v1\nusers:\n- name: a\n  user:\n    token: TOKEN-s3cret-abc\n   password: x: y\n";

/**
 * The files of a small exported layout (one image: config, layer, manifest, index,
 * checksums) after `damage` had its way with them: the air-gap bundle as an attacker or a
 * broken transfer hands it over.
 */
function layoutFiles(damage: (files: Record<string, string | Buffer>, digests: { layer: string; manifest: string }) => void): Record<string, string | Buffer> {
    const hex = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const layer = Buffer.from("layer bytes of the test image");
    const manifest = Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${hex(config)}`, size: config.length },
            layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${hex(layer)}`, size: layer.length }],
        }),
    );
    const index = JSON.stringify({
        schemaVersion: 2,
        manifests: [
            {
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                digest: `sha256:${hex(manifest)}`,
                size: manifest.length,
                annotations: { "org.opencontainers.image.ref.name": "gcr.io/team/app:1" },
            },
        ],
    });
    const files: Record<string, string | Buffer> = {
        "l/oci-layout": '{"imageLayoutVersion":"1.0.0"}',
        "l/index.json": index,
        [`l/blobs/sha256/${hex(config)}`]: config,
        [`l/blobs/sha256/${hex(layer)}`]: layer,
        [`l/blobs/sha256/${hex(manifest)}`]: manifest,
    };
    files["l/checksums.sha256"] = Object.entries(files)
        .filter(([n]) => n !== "l/oci-layout")
        .map(([n, b]) => `${hex(b)}  ${n.slice(2)}\n`)
        .join("");
    damage(files, { layer: hex(layer), manifest: hex(manifest) });
    return files;
}
const RELEASE = { "rel/example/kustomization.yaml": "resources:\n- ../apps/a\n", "rel/apps/a/kustomization.yaml": "resources: []\n" };

const cases: Case[] = [
    // Streams that are not valid or not safe YAML.
    { what: "YAML that does not parse", args: ["images"], stdin: "kind: Pod\nmetadata: {name: [\n", error: /<stdin>:\d+:\d+: invalid YAML/ },
    {
        what: "an alias bomb",
        args: ["images", "$DIR/bomb.yaml"],
        files: { "bomb.yaml": aliasBomb(9) },
        error: /bomb\.yaml:1: YAML aliases expand to more than/,
    },
    { what: "an alias bomb on rewrite", args: ["rewrite", "--mirror", "r.io"], stdin: aliasBomb(8), error: /<stdin>:1: YAML aliases expand/ },
    {
        what: "a duplicate key",
        args: ["images"],
        stdin: "kind: Pod\nkind: Pod\nmetadata: {name: p}\n",
        error: /<stdin>:2:\d+: invalid YAML: duplicated mapping key; keep one/,
    },
    {
        what: "a duplicate image key in a container",
        args: ["rewrite", "--mirror", "r.io"],
        stdin: POD + "    image: gcr.io/x:1\n",
        error: /<stdin>:10:\d+: invalid YAML: duplicated mapping key/,
    },
    {
        what: "bytes that are not UTF-8 in a file",
        args: ["images", "$DIR/latin1.yaml"],
        files: { "latin1.yaml": Buffer.from("kind: ConfigMap\nmetadata: {name: caf\xe9}\n", "latin1") },
        error: /latin1\.yaml:2: byte 0xe9 .* is not UTF-8/,
    },
    {
        what: "bytes that are not UTF-8 on stdin",
        args: ["check", "--mirror", "r.io"],
        stdin: Buffer.from([0x6b, 0x3a, 0x20, 0xff, 0x0a]),
        error: /<stdin>:1: byte 0xff .* is not UTF-8/,
    },
    { what: "a file that does not exist", args: ["images", "$DIR/none.yaml"], error: /none\.yaml: cannot read the YAML stream: no such file/ },
    { what: "a FILE that is a directory", args: ["images", "$DIR"], error: /cannot read the YAML stream: is a directory/ },
    { what: "stdin that is a directory", args: ["images"], stdin: { path: "/" }, error: /<stdin>: cannot read standard input: is a directory/ },
    // Images of the wrong type or shape.
    {
        what: "image: 123",
        args: ["images"],
        stdin: pod("image: 123"),
        error: /Pod ns\/p spec\.containers\[0\]\.image: invalid image reference "123": it is a number, not a string/,
    },
    {
        what: 'image: ""',
        args: ["check", "--mirror", "r.io"],
        stdin: pod('image: ""'),
        error: /spec\.containers\[0\]\.image: invalid image reference "": it is empty/,
    },
    {
        what: "image: a list",
        args: ["rewrite", "--mirror", "r.io"],
        stdin: pod("image: [busybox]"),
        error: /image: invalid image reference .*it is a list, not a string/,
    },
    {
        what: "image: a map",
        args: ["plan", "--mirror", "r.io"],
        stdin: pod("image: {name: busybox}"),
        error: /image: invalid image reference .*it is a object, not a string/,
    },
    {
        what: "a container with no image",
        args: ["check", "--mirror", "r.io"],
        stdin: pod("imagePullPolicy: Always"),
        error: /spec\.containers\[0\]\.image: invalid image reference "": the container has no image/,
    },
    { what: "an upper-case repository", args: ["images"], stdin: pod("image: BusyBox:1"), error: /"BusyBox:1": repository component "BusyBox" has upper case/ },
    {
        what: "white space in a reference",
        args: ["rewrite", "--mirror", "r.io"],
        stdin: pod('image: "busybox 1"'),
        error: /"busybox 1": it contains white space/,
    },
    { what: "a short digest", args: ["plan", "--mirror", "r.io"], stdin: pod("image: a@sha256:abc"), error: /digest "sha256:abc" is not algorithm:hex/ },
    {
        what: "check on an invalid reference",
        args: ["check", "--mirror", "r.io"],
        stdin: pod("image: gcr.io/A/b:1"),
        error: /invalid image reference "gcr\.io\/A\/b:1"/,
    },
    {
        what: "an invalid image in args",
        args: ["images"],
        stdin: POD + "    args: [--executor-image=Gcr.io/X/y:1]\n",
        error: /args\[0\]: invalid image reference "Gcr\.io\/X\/y:1"/,
    },
    // Options.
    { what: "an unknown command", args: ["imagez"], error: /unknown command "imagez"/ },
    { what: "an unknown option", args: ["images", "--frobnicate"], error: /unknown option --frobnicate/ },
    { what: "a value for a switch", args: ["images", "--where=no"], stdin: POD, error: /--where takes no value \(got --where=no\)/ },
    { what: "--", args: ["images", "--", "x"], error: /'--' is not an option of kfstack/ },
    { what: "--out given twice", args: ["render", "--config", "c.yaml", "--out", "a", "--out", "b"], error: /--out given twice \(a, b\)/ },
    { what: "no --mirror", args: ["rewrite"], stdin: POD, error: /'kfstack rewrite' needs --mirror/ },
    {
        what: "two --mirror where one is taken",
        args: ["rewrite", "--mirror", "a.io", "--mirror", "b.io"],
        stdin: POD,
        error: /--mirror given twice \(a\.io, b\.io\); give it once/,
    },
    { what: "a mirror with a scheme", args: ["check", "--mirror", "https://r.io"], stdin: POD, error: /invalid mirror "https:\/\/r\.io": drop the URL scheme/ },
    {
        what: "a mirror port 0",
        args: ["rewrite", "--mirror", "r.io:0/kf"],
        stdin: POD,
        error: /invalid mirror "r\.io:0\/kf": registry port 0 is outside 1-65535/,
    },
    { what: "a mirror port 70000", args: ["plan", "--mirror", "r.io:70000"], stdin: POD, error: /registry port 70000 is outside 1-65535/ },
    { what: "a mirror that is no host", args: ["rewrite", "--mirror", "kubeflow"], stdin: POD, error: /invalid mirror "kubeflow": .*Docker Hub user/ },
    { what: "an empty --mirror", args: ["rewrite", "--mirror="], stdin: POD, error: /--mirror needs a value/ },
    { what: "two FILEs", args: ["images", "a.yaml", "b.yaml"], error: /expected one FILE, got 2/ },
    {
        what: "an option another command takes",
        args: ["rewrite", "--mirror", "r.io", "--where"],
        stdin: POD,
        error: /option --where does not apply to 'kfstack rewrite'/,
    },
    { what: "render with no --out", args: ["render", "--manifests", "x", "--mirror", "r.io"], error: /'kfstack render' needs --out DIR/ },
    { what: "render with no source", args: ["render", "--out", "$DIR/out"], error: /needs --manifests DIR .* or --config/, notCreated: "out" },
    { what: "render with a FILE", args: ["render", "x.yaml", "--out", "$DIR/out"], error: /'kfstack render' takes no FILE/, notCreated: "out" },
    // Stack files.
    {
        what: "a stack file whose config: is empty",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { "s.yaml": STACK("") },
        error: /s\.yaml: config: is empty/,
        notCreated: "out",
    },
    {
        what: "a stack file whose config: is a list",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { "s.yaml": STACK("- kfstack:mirror: {registry: r.io}\n") },
        error: /s\.yaml: config: is a list; it must be a map/,
        notCreated: "out",
    },
    {
        what: "a stack file with no config:",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { "s.yaml": "encryptionsalt: x\n" },
        error: /s\.yaml: not a Pulumi stack file/,
        notCreated: "out",
    },
    {
        what: "a key with no namespace",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { "s.yaml": STACK("  mirror: {registry: r.io}\n") },
        error: /key "mirror" has no namespace; write kfstack:mirror/,
        notCreated: "out",
    },
    {
        what: "a misspelled namespace",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { "s.yaml": STACK("  kfstak:mirror: {registry: r.io}\n") },
        error: /key "kfstak:mirror" is in namespace "kfstak"; did you mean kfstack:mirror\?/,
        notCreated: "out",
    },
    {
        what: "kfstack:users: 5",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { ...RELEASE, "s.yaml": STACK("  kfstack:manifests: {path: rel}\n  kfstack:mirror: {registry: r.io}\n  kfstack:users: 5\n") },
        error: /kfstack:users must be a list/,
        notCreated: "out",
    },
    {
        what: "a key given twice",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { "s.yaml": STACK("  kfstack:mirror: {registry: r.io}\n  kfstack:mirror: {registry: q.io}\n") },
        error: /s\.yaml:3:\d+: invalid YAML: duplicated mapping key/,
        notCreated: "out",
    },
    {
        what: "a misspelled setting",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { ...RELEASE, "s.yaml": STACK("  kfstack:manifests: {path: rel}\n  kfstack:mirror: {regsitry: r.io}\n") },
        error: /kfstack:mirror\.regsitry is not a setting of kfstack:mirror; did you mean kfstack:mirror\.registry\?/,
        notCreated: "out",
    },
    {
        what: "a stack file that does not exist",
        args: ["render", "--config", "$DIR/none.yaml", "--out", "$DIR/out"],
        error: /none\.yaml: cannot read the stack file: no such file/,
        notCreated: "out",
    },
    {
        what: "a stack file that is not YAML",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { "s.yaml": "config: {a: [\n" },
        error: /s\.yaml:\d+:\d+: invalid YAML/,
        notCreated: "out",
    },
    // Render sources and output folders.
    {
        what: "a manifests folder that does not exist",
        args: ["render", "--manifests", "$DIR/none", "--mirror", "r.io", "--out", "$DIR/out"],
        error: /manifests directory .*none does not exist/,
        notCreated: "out",
    },
    {
        what: "a manifests folder with no example",
        args: ["render", "--manifests", "$DIR", "--mirror", "r.io", "--out", "$DIR/out"],
        error: /example has no kustomization\.yaml/,
        notCreated: "out",
    },
    {
        what: "an --out whose parent is a file",
        args: ["render", "--manifests", "$DIR/rel", "--mirror", "r.io", "--out", "$DIR/f/out"],
        files: { ...RELEASE, f: "a file" },
        error: /--out .*f\/out: cannot write the render: a part of the path is a file/,
    },
    {
        what: "an --out that is a file",
        args: ["render", "--manifests", "$DIR/rel", "--mirror", "r.io", "--out", "$DIR/f"],
        files: { ...RELEASE, f: "a file" },
        error: /--out .*\/f: exists and is not a folder/,
    },
    {
        what: "an --out on /proc",
        args: ["render", "--manifests", "$DIR/rel", "--mirror", "r.io", "--out", "/proc/kfstack-out"],
        files: RELEASE,
        error: /--out \/proc\/kfstack-out: is on procfs, a virtual file system/,
    },
    {
        what: "an --out holding the user's files",
        args: ["render", "--manifests", "$DIR/rel", "--mirror", "r.io", "--out", "$DIR/mine"],
        files: { ...RELEASE, "mine/notes.txt": "keep" },
        error: /--out .*mine: holds files kfstack did not write \(notes\.txt\); nothing was changed/,
    },
    // Round two (issue 23): the newer commands, output paths, bundles, kubeconfigs.
    {
        what: "mirror export --out on /proc",
        args: ["mirror", "export", "--images", "-", "--out", "/proc/kfstack-x"],
        stdin: "gcr.io/a/b:1\n",
        error: /--out \/proc\/kfstack-x: is on procfs, a virtual file system/,
    },
    {
        what: "mirror export --out through a file",
        args: ["mirror", "export", "--images", "-", "--out", "$DIR/f/layout"],
        stdin: "gcr.io/a/b:1\n",
        files: { f: "a file" },
        error: /--out .*f\/layout: cannot write there: a part of the path is a file/,
    },
    {
        what: "mirror export --out with a name too long",
        args: ["mirror", "export", "--images", "-", "--out", `$DIR/${"x".repeat(300)}`],
        stdin: "gcr.io/a/b:1\n",
        error: /--out .*: cannot write there: the path is too long/,
    },
    {
        what: "mirror copy --journal on /proc",
        args: ["mirror", "copy", "--images", "-", "--mirror", "127.0.0.1:9/m", "--journal", "/proc/kfstack-x/j"],
        stdin: "gcr.io/a/b:1\n",
        error: /--journal \/proc\/kfstack-x\/j: is on procfs/,
    },
    {
        what: "mirror copy --journal that is a folder",
        args: ["mirror", "copy", "--images", "-", "--mirror", "127.0.0.1:9/m", "--journal", "$DIR"],
        stdin: "gcr.io/a/b:1\n",
        error: /--journal .*: exists and is not a regular file/,
    },
    {
        what: "kfstack:kustomize.cacheDir on /proc",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: {
            ...RELEASE,
            "s.yaml": STACK("  kfstack:manifests: {path: rel}\n  kfstack:mirror: {registry: r.io}\n  kfstack:kustomize: {cacheDir: /proc/kfstack-x}\n"),
        },
        error: /kfstack:kustomize\.cacheDir \/proc\/kfstack-x: is on procfs/,
        notCreated: "out",
    },
    {
        what: "kfstack:apps.enabled: []",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: { ...RELEASE, "s.yaml": STACK("  kfstack:manifests: {path: rel}\n  kfstack:mirror: {registry: r.io}\n  kfstack:apps: {enabled: []}\n") },
        error: /kfstack:apps\.enabled is empty: it would install no app/,
        notCreated: "out",
    },
    {
        what: "an exempt namespace that is no namespace name",
        args: ["render", "--config", "$DIR/s.yaml", "--out", "$DIR/out"],
        files: {
            ...RELEASE,
            "s.yaml": STACK('  kfstack:manifests: {path: rel}\n  kfstack:mirror: {registry: r.io}\n  kfstack:admission: {exemptNamespaces: ["Kube System"]}\n'),
        },
        error: /kfstack:admission\.exemptNamespaces has "Kube System": not a namespace name/,
        notCreated: "out",
    },
    {
        what: "a manifests path that is a file",
        args: ["render", "--manifests", "$DIR/f", "--mirror", "r.io", "--out", "$DIR/out"],
        files: { f: "a file" },
        error: /manifests directory .*f is a file, not a folder/,
        notCreated: "out",
    },
    {
        what: "a manifests path that is a loop of links",
        args: ["render", "--manifests", "$DIR/loop-a", "--mirror", "r.io", "--out", "$DIR/out"],
        links: { "loop-a": "$DIR/loop-b", "loop-b": "$DIR/loop-a" },
        error: /manifests directory .*loop-a is a loop of symbolic links/,
        notCreated: "out",
    },
    {
        what: "3,000 bad image references: the first 20 and a count",
        args: ["mirror", "verify", "--images", "-", "--mirror", "r.io"],
        stdin: Array.from({ length: 3000 }, (_, i) => `Bad Name ${i}\n`).join(""),
        error: /3000 invalid image reference\(s\): line 1: .*line 20: [^;]*; \.\.\. and 2980 more of the same kind/,
    },
    {
        what: "diff with a bad --mirror: the error before any progress",
        args: ["diff", "$DIR/rel", "$DIR/rel", "--mirror", "Not A Mirror"],
        files: RELEASE,
        error: /Not A Mirror/,
    },
    {
        what: "an import whose checksums name a file outside the layout",
        args: ["mirror", "import", "$DIR/l", "--mirror", "127.0.0.1:9/m"],
        files: layoutFiles((f) => (f["l/checksums.sha256"] += `${"0".repeat(64)}  ../../../dev/zero\n`)),
        error: /l is damaged or not an export \(checksums\.sha256 has a line that names no file of the layout/,
    },
    {
        what: "an import with emptied checksums and a truncated layer",
        args: ["mirror", "import", "$DIR/l", "--mirror", "127.0.0.1:9/m"],
        files: layoutFiles((f, d) => {
            f["l/checksums.sha256"] = "";
            f[`l/blobs/sha256/${d.layer}`] = "layer";
        }),
        error: /is damaged or not an export \(checksums\.sha256 does not list index\.json\)/,
    },
    {
        what: "an import whose layer was cut short",
        args: ["mirror", "import", "$DIR/l", "--mirror", "127.0.0.1:9/m"],
        files: layoutFiles((f, d) => (f[`l/blobs/sha256/${d.layer}`] = "layer")),
        error: /blobs\/sha256\/[0-9a-f]{64} is 5 bytes, its descriptor says 29/,
    },
    {
        what: "an import whose index names a missing blob",
        args: ["mirror", "import", "$DIR/l", "--mirror", "127.0.0.1:9/m"],
        files: layoutFiles((f, d) => delete f[`l/blobs/sha256/${d.manifest}`]),
        error: /blobs\/sha256\/[0-9a-f]{64} is missing/,
    },
    {
        what: "an import whose blob is a link out of the layout",
        args: ["mirror", "import", "$DIR/l", "--mirror", "127.0.0.1:9/m"],
        files: layoutFiles((f, d) => delete f[`l/blobs/sha256/${d.layer}`]),
        links: { "l/blobs/sha256/LAYER": "/dev/zero" },
        error: /is a symbolic link; an export holds regular files only/,
    },
    {
        what: "audit with an empty kubeconfig",
        args: ["audit", "--mirror", "r.io", "--kubeconfig", "$DIR/kc"],
        files: { kc: "" },
        error: /--kubeconfig .*kc: is empty/,
    },
    {
        what: "audit with a folder for a kubeconfig",
        args: ["audit", "--mirror", "r.io", "--kubeconfig", "$DIR"],
        error: /--kubeconfig .*: is a folder; name the kubeconfig file itself/,
    },
    {
        what: "audit with a kubeconfig that is not YAML: no secret printed",
        args: ["audit", "--mirror", "r.io", "--kubeconfig", "$DIR/kc"],
        files: { kc: BROKEN_KUBECONFIG },
        error: /--kubeconfig .*kc: not YAML \(line 6\)/,
        secret: "TOKEN-s3cret-abc",
    },
    {
        what: "doctor with a kubeconfig that is not YAML: no secret printed",
        args: ["doctor", "--config", "$DIR/s.yaml", "--kubeconfig", "$DIR/kc"],
        files: { ...RELEASE, kc: BROKEN_KUBECONFIG, "s.yaml": STACK("  kfstack:manifests: {path: rel}\n  kfstack:mirror: {registry: r.io}\n") },
        error: /--kubeconfig .*kc: not YAML \(line 6\)/,
        secret: "TOKEN-s3cret-abc",
    },
    {
        what: "audit with no kubeconfig anywhere",
        args: ["audit", "--mirror", "r.io"],
        env: { HOME: "$DIR", PATH: process.env.PATH ?? "" },
        error: /no kubeconfig: give --kubeconfig FILE/,
    },
    {
        what: "audit --timeout that is no number",
        args: ["audit", "--mirror", "r.io", "--timeout", "soon"],
        error: /--timeout soon: give the seconds/,
    },
    {
        what: "an auth file that is JSON null",
        args: ["mirror", "verify", "--images", "-", "--mirror", "r.io", "--src-authfile", "$DIR/a.json"],
        stdin: "gcr.io/a/b:1\n",
        files: { "a.json": "null" },
        error: /--src-authfile .*a\.json: not an auth file; expected \{"auths"/,
    },
    {
        what: "an auth file whose entry is a string",
        args: ["mirror", "verify", "--images", "-", "--mirror", "r.io", "--dest-authfile", "$DIR/a.json"],
        stdin: "gcr.io/a/b:1\n",
        files: { "a.json": '{"auths": {"r.io": "dXNlcjpwdw=="}}' },
        error: /--dest-authfile .*a\.json: the entry of r\.io is not an object/,
    },
    {
        what: "an auth file that is not JSON: no password printed",
        args: ["mirror", "verify", "--images", "-", "--mirror", "r.io", "--src-authfile", "$DIR/a.json"],
        stdin: "gcr.io/a/b:1\n",
        files: { "a.json": '{"auths": {"r.io": {"username": "u", "password": "PW-s3cret-xyz" ,, }}}' },
        error: /--src-authfile .*a\.json: not JSON; expected/,
        secret: "PW-s3cret-xyz",
    },
    {
        what: "doctor skipping every check",
        args: [
            "doctor",
            "--config",
            "$DIR/s.yaml",
            ...["render", "mirror", "kubernetes-version", "apis-served", "admission", "token-request", "default-storageclass"].flatMap((c) => ["--skip", c]),
        ],
        files: { ...RELEASE, "s.yaml": STACK("  kfstack:manifests: {path: rel}\n  kfstack:mirror: {registry: r.io}\n") },
        error: /--skip names every check: nothing would be checked/,
    },
    {
        what: "bundle create without --config",
        args: ["bundle", "create", "--out", "$DIR/b"],
        error: /'kfstack bundle create' needs --config Pulumi\.<stack>\.yaml/,
        notCreated: "b",
    },
    {
        what: "bundle create with a stack file not named Pulumi.<stack>.yaml",
        args: ["bundle", "create", "--config", "$DIR/s.yaml", "--out", "$DIR/b"],
        files: { ...RELEASE, "s.yaml": STACK("  kfstack:manifests: {path: rel}\n  kfstack:mirror: {registry: r.io}\n") },
        error: /--config .*s\.yaml: name a stack file, Pulumi\.<stack>\.yaml/,
        notCreated: "b",
    },
    {
        what: "bundle create on top of a folder that is no bundle",
        args: ["bundle", "create", "--config", "$DIR/Pulumi.dev.yaml", "--out", "$DIR/b", "--since", "$DIR/rel"],
        files: { ...RELEASE, "Pulumi.dev.yaml": STACK("  kfstack:manifests: {path: rel}\n  kfstack:mirror: {registry: r.io}\n") },
        error: /rel is not a finished bundle \(no bundle\.json\)/,
    },
    {
        what: "bundle create into a folder holding other things",
        args: ["bundle", "create", "--config", "$DIR/Pulumi.dev.yaml", "--out", "$DIR/rel"],
        files: { ...RELEASE, "Pulumi.dev.yaml": STACK("  kfstack:manifests: {path: rel}\n  kfstack:mirror: {registry: r.io}\n") },
        error: /--out .*rel is a folder that is neither empty nor an unfinished bundle; name a new folder/,
    },
    {
        what: "bundle install without a mirror",
        args: ["bundle", "install", "$DIR"],
        error: /'kfstack bundle install' needs --mirror REGISTRY\[\/PREFIX\] \(where the images go\); --check verifies only/,
    },
    {
        what: "bundle install of a folder that is no bundle",
        args: ["bundle", "install", "$DIR", "--check"],
        error: /is not a bundle \(no bundle\.json\); name the folder 'kfstack bundle create' wrote/,
    },
    {
        what: "bundle install of a file that is no tar",
        args: ["bundle", "install", "$DIR/x.tar", "--check"],
        files: { "x.tar": "not a tar at all, just some text that is longer than nothing" },
        error: /x\.tar is damaged or not a bundle's tar \(it ends inside a header: cut short\)/,
    },
    {
        what: "bundle install of a bundle.json that is not JSON",
        args: ["bundle", "install", "$DIR/b", "--check"],
        files: { "b/bundle.json": "{", "b/checksums.sha256": "" },
        error: /bundle\.json is damaged or not a kfstack bundle's \(not JSON\); nothing was changed/,
    },
];
/** The layer's file in a layout the case wrote (the blob the manifest lists last). */
function layerName(dir: string): string {
    const index = JSON.parse(fs.readFileSync(path.join(dir, "l", "index.json"), "utf8"));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "l", "blobs", "sha256", index.manifests[0].digest.slice(7)), "utf8"));
    return manifest.layers[0].digest.slice(7);
}

function runCase(c: Case, dir: string): { status: number | null; stdout: string; stderr: string; ms: number } {
    for (const [name, content] of Object.entries(c.files ?? {})) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), content);
    }
    for (const [name, target] of Object.entries(c.links ?? {})) {
        // LAYER stands for the layer's file name, which only the layout knows.
        const at = path.join(dir, name.includes("LAYER") ? name.replace("LAYER", layerName(dir)) : name);
        fs.mkdirSync(path.dirname(at), { recursive: true });
        fs.symlinkSync(target.replace("$DIR", dir), at);
    }
    const args = c.args.map((a) => a.replace("$DIR", dir));
    const stdinFd = c.stdin && typeof c.stdin === "object" && "path" in c.stdin ? fs.openSync(c.stdin.path, "r") : undefined;
    const started = Date.now();
    try {
        const r = spawnSync(process.execPath, [CLI, ...args], {
            cwd: dir,
            env: c.env ? Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, v.replace("$DIR", dir)])) : process.env,
            timeout: 60_000,
            input: stdinFd === undefined ? ((c.stdin as string | Buffer | undefined) ?? "") : undefined,
            stdio: [stdinFd ?? "pipe", "pipe", "pipe"],
            encoding: "utf8",
        });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
    } finally {
        if (stdinFd !== undefined) fs.closeSync(stdinFd);
    }
}

describe("kfstack CLI: bad input (table)", () => {
    it(`covers at least 40 cases (${cases.length})`, () => {
        assert.ok(cases.length >= 40);
        assert.strictEqual(new Set(cases.map((c) => c.what)).size, cases.length, "each case says what it is");
    });

    for (const c of cases) {
        it(`${c.what} → exit 2, nothing on stdout, one line on stderr naming it`, () => {
            const dir = tempDir("bad");
            const r = runCase(c, dir);
            assert.strictEqual(r.status, 2, `exit ${r.status}; stderr: ${r.stderr}`);
            assert.strictEqual(r.stdout, "");
            assert.match(r.stderr, /^kfstack: [^\n]+\n$/, "exactly one line");
            assert.doesNotMatch(r.stderr, /internal error|\n\s+at |Error:/, "no stack trace");
            assert.match(r.stderr, c.error);
            if (c.secret) assert.ok(!r.stderr.includes(c.secret) && !r.stdout.includes(c.secret), "the input's secret is not printed");
            if (c.notCreated) assert.ok(!fs.existsSync(path.join(dir, c.notCreated)), `${c.notCreated} was not created`);
            // Nothing half-written: no staging folder left anywhere in the case's folder.
            assert.deepStrictEqual(
                fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).includes(".kfstack-")),
                [],
            );
        });
    }

    it("stops an alias bomb in well under a second", () => {
        const dir = tempDir("bomb");
        const r = runCase({ what: "bomb", args: ["images", "$DIR/b.yaml"], files: { "b.yaml": aliasBomb(9) }, error: /./ }, dir);
        assert.strictEqual(r.status, 2);
        // The whole process, node's start included (about 0.1 s here); unbounded, 9 levels take minutes.
        assert.ok(r.ms < 1000, `${r.ms} ms`);
    });
});
