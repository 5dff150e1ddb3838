#!/usr/bin/env node
/**
 * The `kfstack` command. Contract (scripts depend on it):
 * - exit 0: done; 1: a check found something; 2: bad input or usage; 3: internal error.
 * - on exit 2 nothing is written to stdout, and one error naming the input and the fix
 *   is written to stderr;
 * - output is built whole before it is written, so a failure never leaves half a stream;
 * - a reader that goes away (`kfstack images | head -1`) ends it quietly.
 */
import { KfstackError, UsageError } from "../core/errors";
import { Outcome, parseArgs, Parsed } from "./args";
import { readStdin } from "./input";
import type { Live } from "./mirror";
import { imagesCommand, rewriteCommand, checkCommand, planCommand } from "./streams";

export const USAGE = `kfstack — container images of Kubernetes manifests, for clusters behind a mirror

Usage:
  kfstack images [--where] [FILE|-]              every image, normalised, sorted, unique
  kfstack rewrite --mirror REGISTRY[/PREFIX] [FILE|-]
                                                 the stream with every image under the mirror
  kfstack check --mirror REGISTRY[/PREFIX]... [FILE|-]
                                                 list images not served from a mirror (exit 1 if any)
  kfstack plan --mirror REGISTRY[/PREFIX] [FILE|-]
                                                 source, mirror reference and ECR repository per image
  kfstack render --manifests DIR --mirror REGISTRY[/PREFIX] --out DIR
  kfstack render --config Pulumi.<stack>.yaml --out DIR
                                                 the final manifests of each Kubeflow app, one file per app
  kfstack doctor --config Pulumi.<stack>.yaml [--kubeconfig F] [--context C] [--dest-authfile F] [--skip CHECK]...
                                                 pre-flight checks before pulumi up (exit 1 on any FAIL)
  kfstack diff OLD_MANIFESTS NEW_MANIFESTS [--mirror REGISTRY[/PREFIX]] [--json]
                                                 what an upgrade changes, per app, and the images to mirror first
  kfstack audit --mirror REGISTRY[/PREFIX]... [--kubeconfig F] [--context C]
                                                 list images of a live cluster not served from a mirror (exit 1 if any)
  kfstack kubespray-vars --mirror REGISTRY[/PREFIX] [--ca FILE] [--auth-user U --auth-password-file F]
                         [--plain-http] [--images FILE]
                                                 kubespray group_vars: every node pulls through the mirror
  kfstack mirror copy --images FILE --mirror REGISTRY[/PREFIX] [--jobs N] [--plain-http] [--src-plain-http]
                     [--src-authfile F] [--dest-authfile F] [--journal F]
                                                 every image into the mirror, digests kept (skopeo)
  kfstack mirror verify --images FILE --mirror REGISTRY[/PREFIX] [--plain-http] [--src-plain-http]
                                                 exit 1 unless every image is there with the source digest
  kfstack mirror export --images FILE --out DIR  every image into one OCI layout, for an air gap
  kfstack mirror import DIR --mirror REGISTRY[/PREFIX] [--plain-http] [--dest-authfile F]
                                                 push an exported layout into the mirror
  kfstack help

FILE is a multi-document YAML stream; '-' or no FILE reads standard input. For 'mirror',
--images FILE lists one image reference per line ('-': standard input), as 'kfstack images' prints.
Mirror commands write one line per image to stdout (status, source, mirror reference, digest,
reason; tab-separated) and progress to stderr.
Exit codes: 0 ok, 1 a check found something, 2 bad input or usage, 3 internal error.
`;

export type { Outcome };

/** Runs the CLI without touching process state (tests call this). */
export async function run(argv: string[], stdin: () => Buffer | string = readStdin, live: Live = { progress: () => undefined }): Promise<Outcome> {
    try {
        return await dispatch(parseArgs(argv), stdin, live);
    } catch (e) {
        if (e instanceof UsageError) return { stdout: "", stderr: `kfstack: ${e.message} (see 'kfstack help')\n`, code: 2 };
        if (e instanceof KfstackError) return { stdout: "", stderr: `kfstack: ${e.message}\n`, code: 2 };
        throw e;
    }
}

async function dispatch(p: Parsed, stdin: () => Buffer | string, live: Live): Promise<Outcome> {
    if (p.switches.has("--help") || p.command === "help" || p.command === "--help" || p.command === "-h") {
        return { stdout: USAGE, stderr: "", code: 0 };
    }
    switch (p.command) {
        case "images":
            return imagesCommand(p, stdin);
        case "rewrite":
            return rewriteCommand(p, stdin);
        case "check":
            return checkCommand(p, stdin);
        case "plan":
            return planCommand(p, stdin);
        case "render":
            // Loaded only when used: rendering needs the whole platform (kustomize, Dex, ordering),
            // the stream commands need none of it, and every module costs start-up time.
            return (await import("./render")).renderCommand(p);
        case "doctor":
            return (await import("./doctor")).doctorCommand(p, live);
        case "diff":
            return (await import("./diff")).diffCommand(p, live);
        case "kubespray-vars":
            return (await import("./kubespray")).kubesprayVarsCommand(p, stdin);
        case "audit":
            return (await import("./audit")).auditCommand(p, live);
        case "mirror":
            return (await import("./mirror")).mirrorCommand(p, stdin, live);
        default:
            throw new UsageError(`unknown command ${JSON.stringify(p.command)}`, p.command);
    }
}

/** Writes all of `text` to a stream; resolves false when the reader has gone (EPIPE). */
function writeAll(stream: NodeJS.WriteStream, text: string): Promise<boolean> {
    if (!text) return Promise.resolve(true);
    return new Promise((resolve, reject) => {
        stream.write(text, (err) => {
            if (!err) resolve(true);
            else if ((err as NodeJS.ErrnoException).code === "EPIPE") resolve(false);
            else reject(err);
        });
    });
}

if (require.main === module) {
    // A reader that closed the pipe early is no error of ours: end quietly, as Unix tools do.
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EPIPE") process.exit(0);
    });
    // Ctrl-C or a TERM stops a mirror run cleanly: copies in flight are killed, the journal
    // keeps what finished, and the next run resumes from it.
    const stop = new AbortController();
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
            process.stderr.write(`kfstack: ${sig}: stopping; a re-run resumes where this one stopped\n`);
            stop.abort();
            process.exitCode = 130;
        });
    }
    const live: Live = { progress: (l) => void process.stderr.write(l + "\n"), signal: stop.signal };
    run(process.argv.slice(2), readStdin, live)
        .then(async (outcome) => {
            if (await writeAll(process.stdout, outcome.stdout)) await writeAll(process.stderr, outcome.stderr);
            process.exitCode = stop.signal.aborted ? 130 : outcome.code;
        })
        .catch((e: Error) => {
            process.stderr.write(`kfstack: internal error (a kfstack bug; please report it with this output): ${e.stack ?? e.message}\n`);
            process.exitCode = 3;
        });
}
