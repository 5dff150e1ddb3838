/**
 * `kfstack kubespray-vars --mirror REGISTRY[/PREFIX] [--ca FILE] [--auth-user U --auth-password-file F]
 * [--plain-http] [--images FILE]`: the kubespray group_vars that make every node pull through
 * the mirror (YAML on stdout).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import { InputError, UsageError } from "../core/errors";
import { parseReference } from "../images/reference";
import { kubesprayVars, PUBLIC_REGISTRIES } from "../onprem/kubespray";
import { mirrorsOf, Outcome, Parsed } from "./args";
import { readImageList } from "./mirror";

/** The registries kubespray itself pulls from (its `*_image_repo` defaults). */
const KUBESPRAY_OWN = ["docker.io", "gcr.io", "ghcr.io", "quay.io", "registry.k8s.io"];

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

export function kubesprayVarsCommand(p: Parsed, stdin: () => Buffer | string): Outcome {
    if (p.positional.length > 0) throw new UsageError(`'kfstack kubespray-vars' takes no FILE (got ${p.positional.join(" ")})`);
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
    const imagesFile = p.flags.get("--images")?.[0];
    const registries = imagesFile
        ? [...new Set([...readImageList(imagesFile, stdin).map((r) => parseReference(r).registry), ...KUBESPRAY_OWN])]
        : PUBLIC_REGISTRIES;
    const text = kubesprayVars({
        mirror,
        registries: registries.filter((r) => r !== mirror.host),
        plainHttp: p.switches.has("--plain-http"),
        auth: user && password ? { username: user, password } : undefined,
        caPem,
    });
    return { stdout: text, stderr: "", code: 0 };
}
