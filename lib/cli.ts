#!/usr/bin/env node
/**
 * The `kfstack` command. Contract (scripts depend on it):
 * - exit 0: done; exit 1: `check` found images outside the mirror; exit 2: bad input or usage.
 * - on exit 2 nothing is written to stdout, and one error naming the input is written to stderr.
 * - output is built whole before it is written, so a failure never leaves half a stream.
 */
import * as fs from "fs";
import { InputError } from "./yamlstream";
import { parseMirror, InvalidMirrorError, Mirror } from "./mirror";
import { inventoryOf, imageList, rewriteStream, invalidReferenceError, unsetCodeDefaults, mirrorPlan } from "./inventory";
import { mirrorOnlyViolations, codeDefaultViolations } from "./check";
import { describeObject } from "./discovery";
import { InvalidReferenceError } from "./reference";
import { ConfigError } from "./settings";
import { renderCommand } from "./render";

export const USAGE = `kfstack — container images of Kubernetes manifests, for clusters behind a mirror

Usage:
  kfstack images [--where] [FILE|-]              every image, normalised, sorted, unique
  kfstack rewrite --mirror REGISTRY[/PREFIX] [FILE|-]
                                                 the stream with every image under the mirror
  kfstack check --mirror REGISTRY[/PREFIX]... [FILE|-]
                                                 list images not served from a mirror (exit 1 if any)
  kfstack plan --mirror REGISTRY[/PREFIX] [FILE|-]
                                                 source, mirror reference and ECR repository per image
  kfstack render --manifests DIR --mirror REGISTRY[/PREFIX] --out DIR [--config FILE]
                                                 the final manifests of each Kubeflow app, one file per app
  kfstack help

FILE is a multi-document YAML stream; '-' or no FILE reads standard input.
Exit codes: 0 ok, 1 check found images outside the mirror, 2 bad input or usage.
`;

/** A usage error: wrong flags or arguments. */
export class UsageError extends Error {}

interface Parsed {
    command: string;
    flags: Map<string, string[]>;
    switches: Set<string>;
    positional: string[];
}

const VALUE_FLAGS = new Set(["--mirror", "--manifests", "--out", "--config", "--kustomize"]);
const SWITCHES = new Set(["--where", "--help"]);

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
        const eq = arg.indexOf("=");
        const name = eq > 0 ? arg.slice(0, eq) : arg;
        if (SWITCHES.has(name)) {
            switches.add(name);
        } else if (VALUE_FLAGS.has(name)) {
            const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
            if (value === undefined) throw new UsageError(`${name} needs a value`);
            flags.set(name, [...(flags.get(name) ?? []), value]);
        } else {
            throw new UsageError(`unknown option ${arg} for 'kfstack ${command}'`);
        }
    }
    return { command, flags, switches, positional };
}

function readInput(positional: string[], stdin: () => string): { text: string; source: string } {
    if (positional.length > 1) throw new UsageError(`expected one FILE, got ${positional.length}: ${positional.join(" ")}`);
    const file = positional[0] ?? "-";
    if (file === "-") return { text: stdin(), source: "<stdin>" };
    try {
        return { text: fs.readFileSync(file, "utf8"), source: file };
    } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new InputError(`${file}: cannot read: ${err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : err.message}`);
    }
}

function mirrorsOf(p: Parsed, many: boolean): Mirror[] {
    const values = p.flags.get("--mirror") ?? [];
    if (values.length === 0) throw new UsageError(`'kfstack ${p.command}' needs --mirror REGISTRY[/PREFIX]`);
    if (!many && values.length > 1) throw new UsageError(`'kfstack ${p.command}' takes one --mirror`);
    return values.map((v) => parseMirror(v));
}

function expectNone(p: Parsed, allowed: string[]): void {
    for (const k of p.flags.keys()) if (!allowed.includes(k)) throw new UsageError(`option ${k} does not apply to 'kfstack ${p.command}'`);
    for (const k of p.switches) if (!allowed.includes(k)) throw new UsageError(`option ${k} does not apply to 'kfstack ${p.command}'`);
}

/** The outcome of one command: what to write and the exit code. */
export interface Outcome {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number;
}

/** Runs the CLI without touching process state (tests call this). */
export async function run(argv: string[], stdin: () => string = () => fs.readFileSync(0, "utf8")): Promise<Outcome> {
    try {
        return await dispatch(parseArgs(argv), stdin);
    } catch (e) {
        if (e instanceof UsageError) return { stdout: "", stderr: `kfstack: ${e.message}\n\n${USAGE}`, code: 2 };
        if (e instanceof InputError || e instanceof InvalidMirrorError || e instanceof InvalidReferenceError || e instanceof ConfigError) {
            return { stdout: "", stderr: `kfstack: ${e.message}\n`, code: 2 };
        }
        throw e;
    }
}

async function dispatch(p: Parsed, stdin: () => string): Promise<Outcome> {
    if (p.switches.has("--help") || p.command === "help" || p.command === "--help" || p.command === "-h") {
        return { stdout: USAGE, stderr: "", code: 0 };
    }
    switch (p.command) {
        case "images": {
            expectNone(p, ["--where"]);
            const { text, source } = readInput(p.positional, stdin);
            const inv = inventoryOf(text, source);
            const invalid = invalidReferenceError(inv.findings, source, inv.documents);
            if (invalid) throw invalid;
            if (p.switches.has("--where")) {
                const rows = inv.findings.map((f) => [f.kind === "code-default" ? f.raw : f.reference, f.kind, describeObject(f.object).replace(" ", "\t"), f.path + (f.envVar ? ` (env ${f.envVar})` : "")].join("\t"));
                return { stdout: rows.sort().map((r) => r + "\n").join(""), stderr: "", code: 0 };
            }
            return { stdout: imageList(inv.findings).map((r) => r + "\n").join(""), stderr: "", code: 0 };
        }
        case "rewrite": {
            expectNone(p, ["--mirror"]);
            const [mirror] = mirrorsOf(p, false);
            const { text, source } = readInput(p.positional, stdin);
            const result = rewriteStream(text, source, mirror);
            return { stdout: result.text, stderr: "", code: 0 };
        }
        case "check": {
            expectNone(p, ["--mirror"]);
            const mirrors = mirrorsOf(p, true);
            const { text, source } = readInput(p.positional, stdin);
            const inv = inventoryOf(text, source);
            const violations = [
                ...mirrorOnlyViolations(inv.findings, mirrors),
                ...codeDefaultViolations(unsetCodeDefaults(inv.documents, inv.findings), mirrors),
            ];
            const lines = violations.map((v) => v.message + "\n").join("");
            const summary = violations.length === 0
                ? `kfstack: all ${inv.findings.filter((f) => f.kind !== "code-default").length} image references in ${source} are served from ${mirrors.map((m) => m.location).join(", ")}\n`
                : `kfstack: ${violations.length} image reference${violations.length > 1 ? "s" : ""} in ${source} not served from ${mirrors.map((m) => m.location).join(", ")}\n`;
            return { stdout: lines, stderr: summary, code: violations.length === 0 ? 0 : 1 };
        }
        case "plan": {
            expectNone(p, ["--mirror"]);
            const [mirror] = mirrorsOf(p, false);
            const { text, source } = readInput(p.positional, stdin);
            const inv = inventoryOf(text, source);
            const invalid = invalidReferenceError(inv.findings, source, inv.documents);
            if (invalid) throw invalid;
            return { stdout: mirrorPlan(imageList(inv.findings), mirror).map((r) => r.join("\t") + "\n").join(""), stderr: "", code: 0 };
        }
        case "render": {
            expectNone(p, ["--manifests", "--mirror", "--out", "--config", "--kustomize"]);
            if (p.positional.length > 0) throw new UsageError(`'kfstack render' takes no FILE (got ${p.positional.join(" ")})`);
            return renderCommand(p.flags);
        }
        default:
            throw new UsageError(`unknown command ${JSON.stringify(p.command)}`);
    }
}

if (require.main === module) {
    run(process.argv.slice(2)).then((outcome) => {
        if (outcome.stdout) process.stdout.write(outcome.stdout);
        if (outcome.stderr) process.stderr.write(outcome.stderr);
        process.exitCode = outcome.code;
    }, (e: Error) => {
        process.stderr.write(`kfstack: internal error: ${e.stack ?? e.message}\n`);
        process.exitCode = 3;
    });
}
