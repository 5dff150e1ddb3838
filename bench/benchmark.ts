/**
 * Benchmarks (not tests): inventory + rewrite of the kubeflow/manifests v1.9.1 render.
 * Run: npm run bench. Prints a Markdown table; `--write` puts it into docs/benchmarks.md.
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { inventoryOf, rewriteStream } from "../lib/inventory";
import { parseMirror } from "../lib/mirror";

const ROOT = path.resolve(__dirname, "..", "..");
const RENDERED = path.resolve(ROOT, "..", "shared", "kubeflow-manifests", "v1.9.1.rendered.yaml");
const CLI = path.join(ROOT, "dist", "lib", "cli.js");

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

function time(fn: () => void, runs: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
        const t = process.hrtime.bigint();
        fn();
        out.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return out;
}

function main(): void {
    const text = fs.readFileSync(RENDERED, "utf8");
    const mirror = parseMirror("registry.local:5000/kf");
    const runs = 7;
    time(() => rewriteStream(text, "bench", mirror), 2); // warm-up
    const inv = time(() => inventoryOf(text, "bench"), runs);
    const rw = time(() => rewriteStream(text, "bench", mirror), runs);
    const both = time(() => { inventoryOf(text, "bench"); rewriteStream(text, "bench", mirror); }, runs);
    const cli = (args: string[]) => time(() => {
        const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 });
        if (r.status !== 0) throw new Error(`kfstack ${args.join(" ")} failed: ${r.stderr}`);
    }, 5);
    const cliImages = cli(["images", RENDERED]);
    const cliRewrite = cli(["rewrite", "--mirror", "registry.local:5000/kf", RENDERED]);
    const nodeStart = time(() => spawnSync(process.execPath, ["-e", "0"]), 5);
    const mb = (Buffer.byteLength(text) / 1e6).toFixed(1);
    const rows = [
        ["inventory (in process)", median(inv)],
        ["rewrite (in process, includes its own inventory)", median(rw)],
        ["inventory + rewrite (in process)", median(both)],
        ["`kfstack images` (whole process)", median(cliImages)],
        ["`kfstack rewrite` (whole process)", median(cliRewrite)],
        ["`node -e 0` (process start, for reference)", median(nodeStart)],
    ];
    const table = [
        `## Image inventory and rewrite (issue 3)`,
        ``,
        `Input: kubeflow/manifests v1.9.1 render, ${mb} MB, 569 objects. Median of ${runs} runs (CLI: 5), Node ${process.version}, ${require("os").cpus().length} cores, measured ${new Date().toISOString().slice(0, 10)}.`,
        `Target: under 1 s of the CLI's own time for inventory + rewrite together.`,
        ``,
        `| what | ms |`,
        `| --- | ---: |`,
        ...rows.map(([k, v]) => `| ${k} | ${(v as number).toFixed(0)} |`),
        ``,
    ].join("\n");
    process.stdout.write(table + "\n");
    if (process.argv.includes("--write")) writeSection("Image inventory and rewrite", table);
}

/** Replaces (or appends) one `## ` section of docs/benchmarks.md. */
export function writeSection(title: string, body: string): void {
    const file = path.join(ROOT, "docs", "benchmarks.md");
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n\nFigures from `npm run bench` (`node dist/bench/benchmark.js --write`). Not timed tests: a benchmark records, it does not pass or fail.\n\n";
    const start = current.indexOf(`## ${title}`);
    let next: string;
    if (start < 0) next = current.trimEnd() + "\n\n" + body;
    else {
        const end = current.indexOf("\n## ", start + 3);
        next = current.slice(0, start) + body + (end < 0 ? "" : "\n" + current.slice(end + 1));
    }
    fs.writeFileSync(file, next.trimEnd() + "\n");
}

if (require.main === module) main();
