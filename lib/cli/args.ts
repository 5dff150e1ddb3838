/** The command line: flags, switches and files, checked before anything is read. */
import { UsageError } from "../core/errors";
import { Mirror, parseMirror } from "../rewrite/mirror";

/** What a command returns: what to write, and the exit code. */
export interface Outcome {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number;
}

/** A parsed command line. */
export interface Parsed {
    readonly command: string;
    readonly flags: ReadonlyMap<string, string[]>;
    readonly switches: ReadonlySet<string>;
    readonly positional: string[];
}

/** Flags that take a value, and whether they may be given more than once. */
const VALUE_FLAGS: ReadonlyMap<string, { many: boolean }> = new Map([
    ["--mirror", { many: true }],
    ["--manifests", { many: false }],
    ["--out", { many: false }],
    ["--config", { many: false }],
    ["--kustomize", { many: false }],
    ["--images", { many: false }],
    ["--jobs", { many: false }],
    ["--src-authfile", { many: false }],
    ["--dest-authfile", { many: false }],
    ["--journal", { many: false }],
    ["--kubeconfig", { many: false }],
    ["--context", { many: false }],
    ["--ca", { many: false }],
    ["--skip", { many: true }],
    ["--auth-user", { many: false }],
    ["--auth-password-file", { many: false }],
]);
const SWITCHES = new Set(["--where", "--help", "--plain-http", "--src-plain-http", "--json"]);

export function parseArgs(argv: string[]): Parsed {
    const [command = "help", ...rest] = argv;
    const flags = new Map<string, string[]>();
    const switches = new Set<string>();
    const positional: string[] = [];
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        if (arg === "-" || !arg.startsWith("-")) {
            positional.push(arg);
            continue;
        }
        if (arg === "--") throw new UsageError(`'--' is not an option of kfstack; name a file that starts with '-' as ./-FILE`, arg);
        const eq = arg.indexOf("=");
        const name = eq > 0 ? arg.slice(0, eq) : arg;
        if (SWITCHES.has(name)) {
            if (eq > 0) throw new UsageError(`${name} takes no value (got ${arg}); give ${name} alone to turn it on`, name);
            switches.add(name);
            continue;
        }
        const spec = VALUE_FLAGS.get(name);
        if (!spec) throw new UsageError(`unknown option ${arg} for 'kfstack ${command}'`, arg);
        const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
        if (value === undefined || value === "") throw new UsageError(`${name} needs a value`, name);
        const values = flags.get(name) ?? [];
        if (values.length > 0 && !spec.many) throw new UsageError(`${name} given twice (${values[0]}, ${value}); give it once`, name);
        flags.set(name, [...values, value]);
    }
    return { command, flags, switches, positional };
}

/** Refuses flags and switches the command does not take. */
export function expectOnly(p: Parsed, allowed: string[]): void {
    for (const k of [...p.flags.keys(), ...p.switches]) {
        if (!allowed.includes(k)) throw new UsageError(`option ${k} does not apply to 'kfstack ${p.command}'`, k);
    }
}

/** The mirrors of `--mirror`; `many`: the command takes several. */
export function mirrorsOf(p: Parsed, many: boolean): Mirror[] {
    const values = p.flags.get("--mirror") ?? [];
    if (values.length === 0) throw new UsageError(`'kfstack ${p.command}' needs --mirror REGISTRY[/PREFIX]`, "--mirror");
    if (!many && values.length > 1) throw new UsageError(`'kfstack ${p.command}' takes one --mirror (got ${values.join(", ")})`, "--mirror");
    return values.map((v) => parseMirror(v));
}
