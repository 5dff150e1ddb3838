/**
 * The stage order as code: `lib/` folders import only down the data path, read from the
 * sources themselves (every relative import of every `.ts` file under lib/).
 *
 * Ranks: core is the ground; the stages source → render → images → rewrite → plan → check
 * follow; aws, onprem and mirror stand beside the stages after rewrite (they take images and
 * rewritten names); config composes every stage's options, so it sits above them; bundle
 * carries a whole stack (its config, plan, images) across an air gap; cli is the top. A folder may import a folder of lower rank, or of the same rank only when it is itself.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const LIB = path.resolve(__dirname, "..", "..", "..", "..", "lib");

const RANK: Record<string, number> = {
    core: 0,
    source: 1,
    render: 2,
    images: 3,
    rewrite: 4,
    aws: 5,
    onprem: 5,
    mirror: 5,
    plan: 6,
    check: 7,
    config: 8,
    bundle: 9,
    cli: 10,
};

function* tsFiles(dir: string): Generator<string> {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) yield* tsFiles(p);
        else if (e.name.endsWith(".ts")) yield p;
    }
}

/** Every `lib/<a>/file.ts -> <b>` edge where file imports from another lib folder. */
export function libImportEdges(lib: string): string[] {
    const edges = new Set<string>();
    for (const file of tsFiles(lib)) {
        const rel = path.relative(lib, file).split(path.sep);
        const from = rel[0];
        const text = fs.readFileSync(file, "utf8");
        for (const m of text.matchAll(/(?:import|export)[^"';]*?from\s+"(\.[^"]+)"|require\("(\.[^"]+)"\)/g)) {
            const target = path.relative(lib, path.resolve(path.dirname(file), m[1] ?? m[2])).split(path.sep);
            if (target[0] === ".." || target[0] === from) continue;
            edges.add(`${rel.join("/")} -> ${target[0]}`);
        }
    }
    return [...edges].sort();
}

describe("lib/ import graph", () => {
    const edges = libImportEdges(LIB);

    it("reads the real tree (every folder ranked, the edges found)", () => {
        const folders = fs
            .readdirSync(LIB, { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => e.name);
        assert.deepEqual(
            folders.filter((f) => RANK[f] === undefined),
            [],
            "a new lib/ folder needs a rank here",
        );
        assert.ok(edges.includes("render/kustomize.ts -> source"), "a known downward edge is seen");
    });

    it("imports run only down the stages", () => {
        const up = edges.filter((e) => {
            const [file, to] = e.split(" -> ");
            return RANK[to] >= RANK[file.split("/")[0]];
        });
        assert.deepEqual(up, [], "these imports run back up the stages: take the stage's own option type instead");
    });
});
