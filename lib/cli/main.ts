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
import { Live, commandNamed, usage } from "./commands";

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
    const spec = commandNamed(p.command);
    if (!spec || p.switches.has("--help")) return { stdout: usage(), stderr: "", code: 0 };
    return spec.run(p, { stdin, live });
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
