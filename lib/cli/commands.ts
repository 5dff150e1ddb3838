/**
 * The CLI's commands, declared once: each one's name, options, arguments, what it does and its
 * handler. The parser (args.ts), the refusal of options a command does not take, the usage text,
 * the docs' synopsis and the dispatch all read this table; adding an option is one entry in
 * OPTIONS (if new) and one in its command's `options`.
 * Handlers are loaded only when their command runs: rendering needs the whole platform
 * (kustomize, Dex, ordering), the stream commands need none of it, and every module costs
 * start-up time.
 */
import type { Outcome, Parsed } from "./args";

/** What a running command gets besides its arguments: standard input and progress lines (the stop signal is lib/core/interrupt's). */
export interface Live {
    readonly progress: (line: string) => void;
}
export interface Io {
    readonly stdin: () => Buffer | string;
    readonly live: Live;
}

/** Every option of any command: the value it takes (none: a switch), and a hint for a missing one. */
export const OPTIONS = {
    "--mirror": { value: "REGISTRY[/PREFIX]" },
    "--manifests": { value: "DIR" },
    "--config": { value: "Pulumi.<stack>.yaml" },
    "--out": { value: "DIR" },
    "--kustomize": { value: "BINARY" },
    "--images": { value: "FILE", hint: "one reference per line, '-' for stdin" },
    "--jobs": { value: "N" },
    "--src-authfile": { value: "F" },
    "--dest-authfile": { value: "F" },
    "--journal": { value: "F" },
    "--kubeconfig": { value: "F" },
    "--context": { value: "C" },
    "--timeout": { value: "SECONDS" },
    "--kubespray-version": { value: "VERSION" },
    "--config-dir": { value: "DIR" },
    "--ca": { value: "FILE" },
    "--skip": { value: "CHECK" },
    "--auth-user": { value: "U" },
    "--auth-password-file": { value: "F" },
    "--since": { value: "OLD_BUNDLE" },
    "--from": { value: "REGISTRY[/PREFIX]" },
    "--where": {},
    "--check": {},
    "--tar": {},
    "--plain-http": {},
    "--src-plain-http": {},
    "--json": {},
    "--help": {},
} as const satisfies Record<string, { readonly value?: string; readonly hint?: string }>;

export type OptionName = keyof typeof OPTIONS;
/** How a command takes an option. */
export type OptionUse = "required" | "optional" | "repeatable" | "required, repeatable";

export interface CommandSpec {
    /** `images`, or `mirror copy` for a subcommand. */
    readonly name: string;
    readonly options: Readonly<Partial<Record<OptionName, OptionUse>>>;
    /** The arguments, as the usage shows them (`[FILE|-]`); none when empty. */
    readonly args: string;
    /** What it does, one line. */
    readonly summary: string;
    readonly run: (p: Parsed, io: Io) => Outcome | Promise<Outcome>;
}

export const COMMANDS: readonly CommandSpec[] = [
    {
        name: "images",
        options: { "--where": "optional" },
        args: "[FILE|-]",
        summary: "every image, normalised, sorted, unique",
        run: async (p, io) => (await import("./streams")).imagesCommand(p, io.stdin),
    },
    {
        name: "rewrite",
        options: { "--mirror": "required" },
        args: "[FILE|-]",
        summary: "the stream with every image under the mirror",
        run: async (p, io) => (await import("./streams")).rewriteCommand(p, io.stdin),
    },
    {
        name: "check",
        options: { "--mirror": "required, repeatable" },
        args: "[FILE|-]",
        summary: "list images not served from a mirror (exit 1 if any)",
        run: async (p, io) => (await import("./streams")).checkCommand(p, io.stdin),
    },
    {
        name: "plan",
        options: { "--mirror": "required" },
        args: "[FILE|-]",
        summary: "source, mirror reference and ECR repository per image",
        run: async (p, io) => (await import("./streams")).planCommand(p, io.stdin),
    },
    {
        name: "render",
        options: { "--config": "optional", "--manifests": "optional", "--mirror": "optional", "--out": "required", "--kustomize": "optional" },
        args: "",
        summary: "the final manifests of each Kubeflow app, one file per app (from --config, or --manifests and --mirror)",
        run: async (p) => (await import("./render")).renderCommand(p),
    },
    {
        name: "doctor",
        options: {
            "--config": "required",
            "--kubeconfig": "optional",
            "--context": "optional",
            "--dest-authfile": "optional",
            "--skip": "repeatable",
            "--timeout": "optional",
        },
        args: "",
        summary: "pre-flight checks before pulumi up (exit 1 on any FAIL)",
        run: async (p, io) => (await import("./doctor")).doctorCommand(p, io.live),
    },
    {
        name: "diff",
        options: { "--mirror": "optional", "--json": "optional", "--kustomize": "optional" },
        args: "OLD_MANIFESTS NEW_MANIFESTS",
        summary: "what an upgrade changes, per app, and the images to mirror first",
        run: async (p, io) => (await import("./diff")).diffCommand(p, io.live),
    },
    {
        name: "audit",
        options: { "--mirror": "required, repeatable", "--kubeconfig": "optional", "--context": "optional", "--timeout": "optional" },
        args: "",
        summary: "list images of a live cluster not served from a mirror (exit 1 if any)",
        run: async (p, io) => (await import("./audit")).auditCommand(p, io.live),
    },
    {
        name: "kubespray-vars",
        options: {
            "--mirror": "required",
            "--ca": "optional",
            "--auth-user": "optional",
            "--auth-password-file": "optional",
            "--plain-http": "optional",
            "--images": "optional",
            "--kubespray-version": "optional",
        },
        args: "",
        summary: "kubespray group_vars: every node pulls through the mirror",
        run: async (p, io) => (await import("./kubespray")).kubesprayVarsCommand(p, io.stdin),
    },
    {
        name: "containerd-hosts",
        options: {
            "--mirror": "required",
            "--out": "required",
            "--config-dir": "optional",
            "--ca": "optional",
            "--auth-user": "optional",
            "--auth-password-file": "optional",
            "--plain-http": "optional",
            "--images": "optional",
        },
        args: "",
        summary: "containerd's certs.d and config_path lines, for clusters not built with kubespray",
        run: async (p, io) => (await import("./kubespray")).containerdHostsCommand(p, io.stdin),
    },
    {
        name: "mirror copy",
        options: {
            "--images": "required",
            "--mirror": "required",
            "--jobs": "optional",
            "--plain-http": "optional",
            "--src-plain-http": "optional",
            "--src-authfile": "optional",
            "--dest-authfile": "optional",
            "--journal": "optional",
        },
        args: "",
        summary: "every image into the mirror, every platform, digests kept (streamed; transfers adapt to the link, --jobs caps them)",
        run: async (p, io) => (await import("./mirror")).mirrorCopyCommand(p, io),
    },
    {
        name: "mirror verify",
        options: {
            "--images": "required",
            "--mirror": "required",
            "--jobs": "optional",
            "--plain-http": "optional",
            "--src-plain-http": "optional",
            "--src-authfile": "optional",
            "--dest-authfile": "optional",
        },
        args: "",
        summary: "exit 1 unless every image is there with the source digest",
        run: async (p, io) => (await import("./mirror")).mirrorVerifyCommand(p, io),
    },
    {
        name: "mirror export",
        options: { "--images": "required", "--out": "required", "--jobs": "optional", "--src-plain-http": "optional", "--src-authfile": "optional" },
        args: "",
        summary: "every image into one OCI layout, for an air gap",
        run: async (p, io) => (await import("./mirror")).mirrorExportCommand(p, io),
    },
    {
        name: "mirror import",
        options: { "--mirror": "required", "--jobs": "optional", "--plain-http": "optional", "--dest-authfile": "optional" },
        args: "DIR",
        summary: "push an exported layout into the mirror",
        run: async (p, io) => (await import("./mirror")).mirrorImportCommand(p, io),
    },
    {
        name: "bundle create",
        options: {
            "--config": "required",
            "--out": "required",
            "--since": "optional",
            "--tar": "optional",
            "--images": "optional",
            "--from": "optional",
            "--jobs": "optional",
            "--src-plain-http": "optional",
            "--src-authfile": "optional",
        },
        args: "",
        summary: "everything pulumi up of the stack needs, for an air gap (with --since: only what an earlier bundle lacks)",
        run: async (p, io) => (await import("./bundle")).bundleCreateCommand(p, io),
    },
    {
        name: "bundle install",
        options: {
            "--mirror": "optional",
            "--since": "optional",
            "--check": "optional",
            "--jobs": "optional",
            "--plain-http": "optional",
            "--dest-authfile": "optional",
        },
        args: "DIR|FILE.tar",
        summary: "verify a bundle, push its images into the mirror, install plugins and node modules offline (--check: verify only)",
        run: async (p, io) => (await import("./bundle")).bundleInstallCommand(p, io),
    },
];

/** The command groups that take a subcommand (`mirror`), with theirs. */
export function subcommandsOf(group: string): string[] {
    return COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.slice(group.length + 1));
}

export function commandNamed(name: string): CommandSpec | undefined {
    return COMMANDS.find((c) => c.name === name);
}

/** One command's synopsis: `kfstack NAME` and its options (optional ones bracketed) and arguments. */
export function synopsis(c: CommandSpec): string {
    const parts = [`kfstack ${c.name}`];
    for (const [name, use] of Object.entries(c.options) as [OptionName, OptionUse][]) {
        const o: { value?: string } = OPTIONS[name];
        const word = o.value ? `${name} ${o.value}` : name;
        const many = use.endsWith("repeatable") ? "..." : "";
        parts.push(use.startsWith("required") ? word + many : `[${word}]${many}`);
    }
    if (c.args) parts.push(c.args);
    return parts.join(" ");
}

const WIDTH = 96;

/** Lines of at most WIDTH characters, continuation lines indented. */
function wrapped(text: string, indent: string): string[] {
    const lines: string[] = [];
    let current = "";
    for (const word of text.split(" ")) {
        if (current && current.length + 1 + word.length > WIDTH) {
            lines.push(current);
            current = indent + word;
        } else current = current ? `${current} ${word}` : word;
    }
    return [...lines, current];
}

/** `kfstack help`. */
export function usage(): string {
    const commands = COMMANDS.flatMap((c) => [...wrapped(synopsis(c), "      ").map((l) => `  ${l}`), `        ${c.summary}`]);
    return [
        "kfstack — container images of Kubernetes manifests, for clusters behind a mirror",
        "",
        "Usage:",
        ...commands,
        "  kfstack help",
        "",
        "FILE is a multi-document YAML stream; '-' or no FILE reads standard input. For 'mirror',",
        "--images FILE lists one image reference per line ('-': standard input), as 'kfstack images' prints.",
        "Mirror commands write one line per image to stdout (status, source, mirror reference, digest,",
        "reason; tab-separated) and progress to stderr.",
        "Exit codes: 0 ok, 1 a check found something, 2 bad input or usage, 3 internal error.",
        "",
    ].join("\n");
}

export const SYNOPSIS_START = "<!-- cli-synopsis:start -->";
export const SYNOPSIS_END = "<!-- cli-synopsis:end -->";

/** The docs' synopsis block: one line per command. */
export function synopsisBlock(): string {
    return [SYNOPSIS_START, "```", ...COMMANDS.map(synopsis), "kfstack help", "```", SYNOPSIS_END].join("\n");
}

/** A document with its synopsis block replaced by the generated one. */
export function withSynopsis(doc: string, file = "docs/cli.md"): string {
    const start = doc.indexOf(SYNOPSIS_START);
    const end = doc.indexOf(SYNOPSIS_END);
    if (start < 0 || end < 0) throw new Error(`${file} has no ${SYNOPSIS_START} ... ${SYNOPSIS_END} block`);
    return doc.slice(0, start) + synopsisBlock() + doc.slice(end + SYNOPSIS_END.length);
}
