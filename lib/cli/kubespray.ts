/**
 * `kfstack kubespray-vars --mirror REGISTRY[/PREFIX] [--ca FILE] [--auth-user U --auth-password-file F]
 * [--plain-http] [--images FILE]`: the kubespray group_vars that make every node pull through
 * the mirror (YAML on stdout).
 */
import * as fs from "fs";
import { InputError, UsageError } from "../core/errors";
import { parseReference } from "../images/reference";
import { kubesprayVars, PUBLIC_REGISTRIES } from "../onprem/kubespray";
import { mirrorsOf, Outcome, Parsed } from "./args";
import { readImageList } from "./mirror";

/** The registries kubespray itself pulls from (its `*_image_repo` defaults). */
const KUBESPRAY_OWN = ["docker.io", "gcr.io", "ghcr.io", "quay.io", "registry.k8s.io"];

function readSmallFile(flag: string, file: string): string {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new InputError(`${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
    }
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
    const password = passwordFile ? readSmallFile("--auth-password-file", passwordFile).replace(/\r?\n$/, "") : undefined;
    if (passwordFile && !password) throw new InputError(`--auth-password-file ${passwordFile} is empty`, passwordFile);
    const caFile = p.flags.get("--ca")?.[0];
    const caPem = caFile ? readSmallFile("--ca", caFile) : undefined;
    if (caFile && !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(caPem ?? "")) {
        throw new InputError(`--ca ${caFile} is not a PEM certificate (-----BEGIN CERTIFICATE-----)`, caFile);
    }
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
