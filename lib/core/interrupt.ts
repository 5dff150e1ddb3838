/**
 * One stop rule for every command: the first SIGINT/SIGTERM aborts one process-wide signal
 * that every registry request, child process, retry back-off and work queue is tied to, and the
 * command ends with what it finished (exit 130/143); files that hold credentials or half-done
 * work are tracked here and removed on any exit, the second signal's included.
 */
import * as fs from "fs";
import { KfstackError } from "./errors";

const controller = new AbortController();
const temporary = new Set<string>();

/** Aborted when the user stops the run (the CLI's first SIGINT/SIGTERM). */
export const stopSignal: AbortSignal = controller.signal;

/** The run was stopped by a signal; what it was doing ended there. */
export class InterruptedError extends KfstackError {
    constructor(what?: string) {
        super(`stopped by ${signalName()}${what ? ` while ${what}` : ""}`);
    }
}

function signalName(): string {
    const r = stopSignal.reason as unknown;
    return typeof r === "string" && r.startsWith("SIG") ? r : "a signal";
}

/** Stops the run (the CLI calls it on the first signal). */
export function stopRun(reason: "SIGINT" | "SIGTERM"): void {
    if (!stopSignal.aborted) controller.abort(reason);
}

/** The exit code of a run stopped by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function stopExitCode(): number {
    return stopSignal.reason === "SIGTERM" ? 143 : 130;
}

/** Throws InterruptedError once the run is stopped. */
export function throwIfStopped(what?: string): void {
    if (stopSignal.aborted) throw new InterruptedError(what);
}

/** `signal` and the stop signal together: aborted when either is. */
export function withStop(signal?: AbortSignal): AbortSignal {
    return signal ? AbortSignal.any([signal, stopSignal]) : stopSignal;
}

/** Rejects with InterruptedError when the run is stopped before `work` settles. */
export function untilStopped<T>(work: Promise<T>, what?: string): Promise<T> {
    if (stopSignal.aborted) return Promise.reject(new InterruptedError(what));
    return new Promise<T>((resolve, reject) => {
        const onStop = () => reject(new InterruptedError(what));
        stopSignal.addEventListener("abort", onStop, { once: true });
        work.then(resolve, reject).finally(() => stopSignal.removeEventListener("abort", onStop));
    });
}

/** A file or folder to remove if the process ends before its owner removes it (credentials first). */
export function trackTemporary(file: string): void {
    temporary.add(file);
}

/** Removes a tracked file or folder now. */
export function removeTemporary(file: string): void {
    temporary.delete(file);
    fs.rmSync(file, { recursive: true, force: true });
}

/** Removes every tracked file and folder (synchronous: safe in an exit handler). */
export function removeAllTemporary(): void {
    for (const f of [...temporary]) {
        try {
            removeTemporary(f);
        } catch {
            // Best effort at exit: what cannot be removed now cannot be removed later either.
        }
    }
}
