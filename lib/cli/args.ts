/** The command line, parsed against the command table (commands.ts) before anything is read. */
import { UsageError } from "../core/errors";
import { Mirror, parseMirror } from "../rewrite/mirror";
import { OPTIONS, OptionName, OptionUse, commandNamed, subcommandsOf } from "./commands";

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

/**
 * Parses a command line against the command table: the command (and subcommand), then only
 * the options that command takes, each as often as it may be given; required ones present.
 */
export function parseArgs(argv: string[]): Parsed {
    const [first = "help", ...rest] = argv;
    let command = first === "--help" || first === "-h" ? "help" : first;
    const subs = subcommandsOf(command);
    if (subs.length > 0) {
        const sub = rest[0] !== undefined && !rest[0].startsWith("-") ? rest.shift() : undefined;
        if (sub === undefined && !rest.includes("--help")) throw new UsageError(`'kfstack ${command}' needs a subcommand: ${subs.join(", ")}`, command);
        if (sub !== undefined && !subs.includes(sub)) throw new UsageError(`unknown subcommand 'kfstack ${command} ${sub}'; use ${subs.join(", ")}`, sub);
        if (sub !== undefined) command = `${command} ${sub}`;
    }
    const spec = commandNamed(command);
    if (!spec && command !== "help") throw new UsageError(`unknown command ${JSON.stringify(command)}`, command);
    const takes: Readonly<Partial<Record<OptionName, OptionUse>>> = { ...spec?.options, "--help": "optional" };
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
        const name = (eq > 0 ? arg.slice(0, eq) : arg) as OptionName;
        if (!(name in OPTIONS)) throw new UsageError(`unknown option ${arg} for 'kfstack ${command}'`, arg);
        const use = takes[name];
        if (!use) throw new UsageError(`option ${name} does not apply to 'kfstack ${command}'`, name);
        if (!("value" in OPTIONS[name])) {
            if (eq > 0) throw new UsageError(`${name} takes no value (got ${arg}); give ${name} alone to turn it on`, name);
            switches.add(name);
            continue;
        }
        const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
        if (value === undefined || value === "") throw new UsageError(`${name} needs a value`, name);
        const values = flags.get(name) ?? [];
        if (values.length > 0 && !use.endsWith("repeatable")) throw new UsageError(`${name} given twice (${values[0]}, ${value}); give it once`, name);
        flags.set(name, [...values, value]);
    }
    if (spec && !switches.has("--help")) {
        for (const [name, use] of Object.entries(spec.options) as [OptionName, OptionUse][]) {
            if (!use.startsWith("required") || flags.has(name)) continue;
            const o: { value?: string; hint?: string } = OPTIONS[name];
            throw new UsageError(`'kfstack ${command}' needs ${name} ${o.value}${o.hint ? ` (${o.hint})` : ""}`, name);
        }
    }
    return { command, flags, switches, positional };
}

/** The mirrors of `--mirror`; `many`: the command takes several. */
export function mirrorsOf(p: Parsed, many: boolean): Mirror[] {
    const values = p.flags.get("--mirror") ?? [];
    if (values.length === 0) throw new UsageError(`'kfstack ${p.command}' needs --mirror REGISTRY[/PREFIX]`, "--mirror");
    if (!many && values.length > 1) throw new UsageError(`'kfstack ${p.command}' takes one --mirror (got ${values.join(", ")})`, "--mirror");
    return values.map((v) => parseMirror(v));
}
