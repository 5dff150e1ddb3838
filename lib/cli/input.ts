/** The YAML stream a command reads: a file, or standard input. */
import * as fs from "fs";
import { InputError, UsageError } from "../core/errors";
import { decodeUtf8, readTextFile } from "../core/yaml";

/** Reads all of standard input as bytes; a directory or closed stdin is bad input, not a crash. */
export function readStdin(): Buffer {
    try {
        return fs.readFileSync(0);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN")
            throw new InputError("<stdin>: standard input is a terminal with nothing typed; pipe a YAML stream in or name a FILE", "<stdin>");
        const why = code === "EISDIR" ? "is a directory" : (e as Error).message;
        throw new InputError(`<stdin>: cannot read standard input: ${why}; pipe a YAML stream in or name a FILE`, "<stdin>");
    }
}

/** The one FILE of a command (`-` or none: standard input), as UTF-8 text. */
export function readInput(positional: string[], stdin: () => Buffer | string): { text: string; source: string } {
    if (positional.length > 1) throw new UsageError(`expected one FILE, got ${positional.length}: ${positional.join(" ")}`);
    const file = positional[0] ?? "-";
    if (file === "-") {
        const input = stdin();
        return { text: typeof input === "string" ? input : decodeUtf8(input, "<stdin>"), source: "<stdin>" };
    }
    return { text: readTextFile(file, "YAML stream"), source: file };
}
