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
import { InterruptedError, removeAllTemporary, stopExitCode, stopRun, stopSignal } from "../core/interrupt";
import { Outcome, parseArgs, Parsed } from "./args";
import { readStdin } from "./input";
import { Live, commandNamed, usage } from "./commands";

export type { Outcome };

/** Runs the CLI without touching process state (tests call this). */
export async function run(argv: string[], stdin: () => Buffer | string = readStdin, live: Live = { progress: () => undefined }): Promise<Outcome> {
    try {
        return await dispatch(parseArgs(argv), stdin, live);
    } catch (e) {
        // The stop line was printed when the signal came: nothing more to say.
        if (e instanceof InterruptedError) return { stdout: "", stderr: "", code: stopExitCode() };
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
    // One stop rule for every command (lib/core/interrupt): the first SIGINT/SIGTERM aborts every
    // request and child process in flight, the command ends with what it finished, nothing
    // half-written stays; a second one exits at once. Temporary files (credentials first) are
    // removed on every exit.
    process.on("exit", removeAllTemporary);
    let signals = 0;
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.on(sig, () => {
            if (++signals > 1) {
                removeAllTemporary();
                process.exit(stopExitCode());
            }
            process.stderr.write(`kfstack: ${sig}: stopping; finished work is kept and nothing half-written stays (${sig} again stops at once)\n`);
            stopRun(sig);
        });
    }
    const live: Live = { progress: (l) => void process.stderr.write(l + "\n") };
    run(process.argv.slice(2), readStdin, live)
        .then(async (outcome) => {
            const code = stopSignal.aborted ? stopExitCode() : outcome.code;
            if (await writeAll(process.stdout, outcome.stdout)) await writeAll(process.stderr, outcome.stderr);
            // Exit now: a socket an aborted request left open must not keep the process alive.
            process.exit(code);
        })
        .catch((e: Error) => {
            process.stderr.write(`kfstack: internal error (a kfstack bug; please report it with this output): ${e.stack ?? e.message}\n`);
            process.exit(3);
        });
}
