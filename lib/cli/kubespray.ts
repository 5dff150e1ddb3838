/**
 * `kfstack kubespray-vars --mirror REGISTRY[/PREFIX] [--ca FILE] [--auth-user U --auth-password-file F]
 * [--plain-http] [--images FILE]`: the kubespray group_vars that make every node pull through
 * the mirror (YAML on stdout).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { InputError, UsageError } from "../core/errors";
import { parseReference } from "../images/reference";
import {
    caPathOnNodes,
    containerdConfigSnippets,
    hostsToml,
    KUBESPRAY_REGISTRIES,
    KUBESPRAY_RELEASES,
    kubesprayRelease,
    kubesprayVars,
    mirrorHostsEntries,
    NEWEST_KUBESPRAY,
    PUBLIC_REGISTRIES,
} from "../onprem/kubespray";
import { isUnderMirror, Mirror } from "../rewrite/mirror";
import { checkOutputPath, makeDirs, writeFailure } from "../core/outputPath";
import { mirrorsOf, Outcome, Parsed } from "./args";
import { readImageList } from "./mirror";

const MAX_SMALL_FILE = 1 << 20;

function readSmallFile(flag: string, file: string): string {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st) throw new InputError(`${flag} ${file}: no such file`, file);
    if (!st.isFile()) throw new InputError(`${flag} ${file}: not a regular file`, file);
    if (st.size > MAX_SMALL_FILE) throw new InputError(`${flag} ${file}: ${st.size} bytes is far more than it should hold`, file);
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new InputError(`${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
    }
}

/** The mirror password: from a file only its owner can read, one line, no control characters. */
export function readPasswordFile(file: string): string {
    const text = readSmallFile("--auth-password-file", file);
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077)
        throw new InputError(
            `--auth-password-file ${file}: other users can read it (mode ${mode.toString(8).padStart(4, "0")}); chmod 600 ${file}, then run again`,
            file,
        );
    const password = text.replace(/\r?\n$/, "");
    if (!password) throw new InputError(`--auth-password-file ${file} is empty`, file);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f]/.test(password))
        throw new InputError(`--auth-password-file ${file}: the password spans lines or holds control characters; give the password alone on one line`, file);
    return password;
}

/** The mirror's CA: one or more certificates that parse, and no private key (it would be copied to every node). */
export function readCaFile(file: string): string {
    const pem = readSmallFile("--ca", file);
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem))
        throw new InputError(`--ca ${file}: holds a private key, which must never be copied to the nodes; give the CA certificate alone`, file);
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new InputError(`--ca ${file} is not a PEM certificate (-----BEGIN CERTIFICATE-----)`, file);
    blocks.forEach((block, i) => {
        try {
            new crypto.X509Certificate(block);
        } catch {
            throw new InputError(`--ca ${file}: certificate ${i + 1} of ${blocks.length} does not parse (its body is not a base64 DER certificate)`, file);
        }
    });
    return pem;
}

/** The source registry of an image given by its source name, or by its mirror name (the mirror rule's host component). */
export function sourceRegistryOf(reference: string, mirror: Mirror): string | undefined {
    const ref = parseReference(reference);
    if (!isUnderMirror(ref, mirror)) return ref.registry;
    const rest = ref.name.slice(mirror.location.length + 1);
    const component = rest.split("/")[0];
    // The mirror rule writes host:port as host_port; a component with no dot, port or "localhost" is no host.
    const host = component.replace(/_(\d+)$/, ":$1");
    return /[.:]/.test(host) || host === "localhost" ? host : undefined;
}

/** What kubespray-vars and containerd-hosts share: the mirror, its credentials and CA, the registries. */
function mirrorInputs(p: Parsed, stdin: () => Buffer | string) {
    if (p.positional.length > 0) throw new UsageError(`'kfstack ${p.command}' takes no FILE (got ${p.positional.join(" ")})`);
    const [mirror] = mirrorsOf(p, false);
    const user = p.flags.get("--auth-user")?.[0];
    const passwordFile = p.flags.get("--auth-password-file")?.[0];
    if (!!user !== !!passwordFile)
        throw new UsageError(
            "--auth-user and --auth-password-file go together (the password in a file, never on the command line)",
            user ? "--auth-password-file" : "--auth-user",
        );
    // eslint-disable-next-line no-control-regex
    if (user !== undefined && /[:\x00-\x1f\x7f]/.test(user))
        throw new UsageError(`--auth-user: a user name holds no ':' and no control characters`, "--auth-user");
    const password = passwordFile ? readPasswordFile(passwordFile) : undefined;
    const caFile = p.flags.get("--ca")?.[0];
    const caPem = caFile ? readCaFile(caFile) : undefined;
    const plainHttp = p.switches.has("--plain-http");
    if (caPem && plainHttp) throw new UsageError("--ca and --plain-http do not go together: a plain-HTTP mirror has no certificate", "--ca");
    const imagesFile = p.flags.get("--images")?.[0];
    // Images by source or by mirror name (render's images.txt): each one's source registry, and kubespray's own.
    const registries = imagesFile
        ? [
              ...new Set([
                  ...readImageList(imagesFile, stdin)
                      .map((r) => sourceRegistryOf(r, mirror))
                      .filter((r): r is string => r !== undefined),
                  ...KUBESPRAY_REGISTRIES,
              ]),
          ]
        : PUBLIC_REGISTRIES;
    return { mirror, registries, plainHttp, auth: user && password ? { username: user, password } : undefined, caPem };
}

export function kubesprayVarsCommand(p: Parsed, stdin: () => Buffer | string): Outcome {
    const version = p.flags.get("--kubespray-version")?.[0] ?? NEWEST_KUBESPRAY;
    if (!kubesprayRelease(version))
        throw new UsageError(
            `--kubespray-version ${version}: give a kubespray release such as ${NEWEST_KUBESPRAY} (kfstack knows ${KUBESPRAY_RELEASES.map((r) => r.version).join(", ")}; newer ones count as ${NEWEST_KUBESPRAY})`,
            "--kubespray-version",
        );
    const text = kubesprayVars({ ...mirrorInputs(p, stdin), kubesprayVersion: version });
    return { stdout: text, stderr: "", code: 0 };
}

/**
 * `kfstack containerd-hosts --out DIR`: for clusters not built with kubespray, containerd's
 * `certs.d` folder itself (one hosts.toml per registry and one for the mirror, the mirror's CA)
 * and the CRI `config_path` lines for containerd 1.x and 2.x configs. `--config-dir` is where
 * the files go on the nodes (default /etc/containerd).
 */
export function containerdHostsCommand(p: Parsed, stdin: () => Buffer | string): Outcome {
    const inputs = mirrorInputs(p, stdin);
    const out = p.flags.get("--out")![0];
    const configDir = p.flags.get("--config-dir")?.[0] ?? "/etc/containerd";
    if (!configDir.startsWith("/"))
        throw new UsageError(`--config-dir ${configDir}: give the absolute path of containerd's folder on the nodes`, "--config-dir");
    const target = checkOutputPath(out, "folder", `--out ${out}`);
    if (fs.existsSync(target) && fs.readdirSync(target).length > 0) throw new InputError(`--out ${out}: is not empty; name a new or empty folder`, "--out");
    const entries = mirrorHostsEntries({ ...inputs, configDir });
    const files = new Map<string, string>();
    for (const e of entries) files.set(path.join("certs.d", e.prefix, "hosts.toml"), hostsToml(e));
    if (inputs.caPem) files.set(path.relative(configDir, caPathOnNodes(inputs.mirror, configDir)), inputs.caPem);
    const snippets = containerdConfigSnippets(configDir);
    files.set("config-containerd-1.x.toml", snippets.v1);
    files.set("config-containerd-2.x.toml", snippets.v2);
    try {
        for (const [name, text] of files) {
            makeDirs(path.dirname(path.join(target, name)));
            // hosts.toml may carry the mirror's credentials (an Authorization header): owner only.
            fs.writeFileSync(path.join(target, name), text, { mode: inputs.auth ? 0o600 : 0o644 });
        }
    } catch (e) {
        throw writeFailure(`--out ${out}`, e);
    }
    const stderr =
        `kfstack containerd-hosts: ${entries.length} hosts.toml in ${path.join(out, "certs.d")} (${entries.map((e) => e.prefix).join(", ")}); ` +
        `copy certs.d to ${configDir}/certs.d on every node and add the config_path lines of config-containerd-<version>.toml to ${configDir}/config.toml, then restart containerd\n`;
    return { stdout: "", stderr, code: 0 };
}
