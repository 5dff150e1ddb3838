/** The kfstack package's own folder, wherever the code runs from (lib/ under ts-node, dist/lib/ built). */
import * as fs from "fs";
import * as path from "path";

let root: string | undefined;

/**
 * The nearest folder above this file whose package.json names kfstack. A fixed number of
 * `..` would be wrong for one of the two layouts: the built CLI runs from dist/lib/core.
 */
export function packageRoot(): string {
    if (root) return root;
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const manifest = path.join(dir, "package.json");
        try {
            if ((JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name === "kfstack") return (root = dir);
        } catch {
            // No package.json here, or not JSON: keep climbing.
        }
        if (path.dirname(dir) === dir) return (root = path.resolve(__dirname, "..", ".."));
    }
}
