/**
 * A repository check: no source outside the tests writes the literal `arn:aws:` (ARNs are
 * built from the partition), and `amazonaws.com` appears in code in one module only
 * (lib/aws/principals.ts: service principals, DNS suffixes). Comments may name them.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../../harness/paths";

const SOURCE_DIRS = ["lib", "components", "policies", "harness", "bench", "scripts"];
const PRINCIPALS = path.join("lib", "aws", "principals.ts");

function sources(): string[] {
    const out = ["index.ts"];
    const walk = (dir: string): void => {
        for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = path.join(dir, e.name);
            if (e.isDirectory()) {
                if (e.name !== "node_modules" && e.name !== "dist") walk(rel);
            } else if (/\.(ts|js|sh)$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(rel);
        }
    };
    SOURCE_DIRS.filter((d) => fs.existsSync(path.join(ROOT, d))).forEach(walk);
    return out;
}

/** The code of a line: without `//` comments; JSDoc and block-comment lines are dropped. */
function code(line: string): string {
    const t = line.trim();
    if (t.startsWith("*") || t.startsWith("/*") || t.startsWith("//") || t.startsWith("#")) return "";
    return line.replace(/\s\/\/ .*$/, "");
}

describe("AWS literals in the source", () => {
    const files = sources();

    it("reads the project's source", () => {
        assert.ok(files.includes(PRINCIPALS) && files.length > 50, `${files.length} files`);
    });

    it("never writes arn:aws: (ARNs come from aws.getPartitionOutput())", () => {
        const hits = files.flatMap((f) =>
            fs
                .readFileSync(path.join(ROOT, f), "utf8")
                .split("\n")
                .map((l, i) => [f, i + 1, l] as const)
                .filter(([, , l]) => code(l).includes("arn:aws:")),
        );
        assert.deepEqual(hits, []);
    });

    it("writes amazonaws.com in lib/aws/principals.ts only", () => {
        const hits = files
            .filter((f) => f !== PRINCIPALS)
            .flatMap((f) =>
                fs
                    .readFileSync(path.join(ROOT, f), "utf8")
                    .split("\n")
                    .map((l, i) => `${f}:${i + 1}: ${l.trim()}`)
                    .filter((l) => /amazonaws\\?\.com/.test(code(l.slice(l.indexOf(": ") + 2)))),
            );
        assert.deepEqual(hits, []);
    });
});
