/** Where kfstack keeps what it can compute again: renders, cloned releases. */
import * as path from "path";

/** `<cwd>/.kfstack-cache/<...parts>`: relative to where kfstack runs (the project folder under Pulumi). */
export function cachePath(...parts: string[]): string {
    return path.join(process.cwd(), ".kfstack-cache", ...parts);
}
