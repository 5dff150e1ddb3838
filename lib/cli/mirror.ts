/**
 * `kfstack mirror copy|export|import|verify`: filling the mirror (scripts depend on this).
 *
 * stdout: one line per image, tab-separated — status (`copied`, `present`, `failed`,
 * `missing`, `differs`), source reference, mirror reference (or the layout folder), digest,
 * reason; stderr: progress while it runs and a summary. Exit 0 when every image is in
 * place with its source digest, 1 when any is not, 2 for bad input (nothing is copied).
 */
import { InputError, listedProblems, UsageError } from "../core/errors";
import { checkOutputPath } from "../core/outputPath";
import { countOf } from "../core/text";
import { decodeUtf8, readTextFile } from "../core/yaml";
import { InvalidReferenceError, parseReference } from "../images/reference";
import { AuthMap, readAuthFile } from "../mirror/auth";
import { copyImages } from "../mirror/copy";
import { formatBytes, ImageResult, RunSummary } from "../mirror/results";
import { verifyImages } from "../mirror/verify";
import { exportImages, importLayout } from "../mirror/layout";
import { mirrorsOf, Outcome, Parsed } from "./args";
import type { Io, Live } from "./commands";

/** Where progress goes (stderr in the CLI) and what stops a run (SIGINT/SIGTERM). */
export type { Live };

/** The reference list: one per line, `#` comments and blank lines ignored; every bad line reported. */
export function readImageList(file: string, stdin: () => Buffer | string): string[] {
    const text = file === "-" ? ((i) => (typeof i === "string" ? i : decodeUtf8(i, "<stdin>")))(stdin()) : readTextFile(file, "image list");
    const name = file === "-" ? "<stdin>" : file;
    const refs: string[] = [];
    const problems: string[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
        const line = raw.replace(/#.*$/, "").trim();
        if (!line) return;
        try {
            parseReference(line);
            refs.push(line);
        } catch (e) {
            if (e instanceof InvalidReferenceError) problems.push(`line ${i + 1}: ${e.reason} (${JSON.stringify(line)})`);
            else throw e;
        }
    });
    if (problems.length > 0) {
        throw new InputError(
            `--images ${name}: ${problems.length} invalid image reference(s): ${listedProblems(problems).join("; ")}; one reference per line, as 'kfstack images' prints them`,
            name,
        );
    }
    if (refs.length === 0)
        throw new InputError(`--images ${name} lists no images; give one reference per line (e.g. kfstack images manifests.yaml > images.txt)`, name);
    return refs;
}

export function jobsOf(p: Parsed): number | undefined {
    const v = p.flags.get("--jobs")?.[0];
    if (v === undefined) return undefined;
    if (!/^[1-9][0-9]*$/.test(v) || Number(v) > 64) throw new UsageError(`--jobs ${v}: give a whole number from 1 to 64`, "--jobs");
    return Number(v);
}

export function authsOf(p: Parsed): AuthMap {
    const all: AuthMap = new Map();
    for (const flag of ["--src-authfile", "--dest-authfile"]) {
        const f = p.flags.get(flag)?.[0];
        if (f) for (const [h, c] of readAuthFile(f, flag)) all.set(h, c);
    }
    return all;
}

function imagesFlag(p: Parsed): string {
    const f = p.flags.get("--images")?.[0];
    if (!f) throw new UsageError(`'kfstack ${p.command}' needs --images FILE (one reference per line, '-' for stdin)`, "--images");
    return f;
}

function line(r: { status: string; source: string; target: string; digest?: string; reason?: string }): string {
    return [r.status, r.source, r.target, r.digest ?? "", r.reason ?? ""].join("\t") + "\n";
}

function outcomeOf(summary: RunSummary, verb: string): Outcome {
    const failed = summary.results.filter((r: ImageResult) => r.status === "failed");
    const rate = summary.bytes / Math.max(summary.seconds, 0.001);
    const text =
        `kfstack mirror ${verb}: ${countOf(summary.results.length, "image")}: ${summary.copied} ${verb === "export" ? "exported" : "copied"}, ${summary.present} already there, ${summary.failed} failed` +
        `; ${formatBytes(summary.bytes)} ${verb === "copy" ? "sent " : ""}in ${summary.seconds.toFixed(1)} s (${formatBytes(rate)}/s)` +
        (summary.mounted ? `, ${formatBytes(summary.mounted)} mounted from other mirror repositories` : "") +
        (summary.skipped ? `, ${formatBytes(summary.skipped)} already in the mirror` : "") +
        (summary.resumed ? `; ${summary.resumed} resumed from the journal` : "") +
        "\n" +
        failed.map((r) => `  failed ${r.source}: ${r.reason}\n`).join("");
    return { stdout: summary.results.map(line).join(""), stderr: text, code: failed.length > 0 ? 1 : 0 };
}

/** `kfstack mirror copy` */
export async function mirrorCopyCommand(p: Parsed, { stdin, live }: Io): Promise<Outcome> {
    const rest = p.positional;
    if (rest.length) throw new UsageError(`'kfstack mirror copy' takes no FILE argument (got ${rest.join(" ")}); give --images FILE`);
    const [mirror] = mirrorsOf(p, false);
    const refs = readImageList(imagesFlag(p), stdin);
    const auths = authsOf(p);
    const jobs = jobsOf(p);
    const journal = p.flags.get("--journal")?.[0];
    if (journal) checkOutputPath(journal, "file", `--journal ${journal}`);
    const summary = await copyImages(refs, mirror, {
        jobs,
        plainHttp: p.switches.has("--plain-http"),
        sourcePlainHttp: p.switches.has("--src-plain-http"),
        auths,
        journal,
        progress: live.progress,
    });
    return outcomeOf(summary, "copy");
}

/** `kfstack mirror verify` */
export async function mirrorVerifyCommand(p: Parsed, { stdin, live }: Io): Promise<Outcome> {
    const rest = p.positional;
    if (rest.length) throw new UsageError(`'kfstack mirror verify' takes no FILE argument (got ${rest.join(" ")}); give --images FILE`);
    const [mirror] = mirrorsOf(p, false);
    const refs = readImageList(imagesFlag(p), stdin);
    const results = await verifyImages(refs, mirror, {
        jobs: jobsOf(p),
        plainHttp: p.switches.has("--plain-http"),
        sourcePlainHttp: p.switches.has("--src-plain-http"),
        auths: authsOf(p),
        progress: live.progress,
    });
    const bad = results.filter((r) => r.status !== "present");
    const reason = (r: (typeof results)[number]): string | undefined =>
        r.status === "missing" ? "not in the mirror" : r.status === "differs" ? `the mirror serves ${r.mirrorDigest}, the source ${r.sourceDigest}` : r.reason;
    const stdout = results.map((r) => line({ ...r, digest: r.sourceDigest, reason: reason(r) })).join("");
    const stderr =
        `kfstack mirror verify: ${countOf(results.length, "image")}: ${results.length - bad.length} present with the source digest, ${bad.length} not\n` +
        bad.map((r) => `  ${r.status} ${r.source}: ${reason(r)}\n`).join("");
    return { stdout, stderr, code: bad.length ? 1 : 0 };
}

/** `kfstack mirror export` */
export async function mirrorExportCommand(p: Parsed, { stdin, live }: Io): Promise<Outcome> {
    const rest = p.positional;
    if (rest.length) throw new UsageError(`'kfstack mirror export' takes no FILE argument (got ${rest.join(" ")}); give --images FILE --out DIR`);
    const out = p.flags.get("--out")?.[0];
    if (!out) throw new UsageError("'kfstack mirror export' needs --out DIR (the OCI layout to write)", "--out");
    const refs = readImageList(imagesFlag(p), stdin);
    checkOutputPath(out, "folder", `--out ${out}`);
    const summary = await exportImages(refs, out, {
        jobs: jobsOf(p),
        sourcePlainHttp: p.switches.has("--src-plain-http"),
        auths: authsOf(p),
        progress: live.progress,
    });
    return outcomeOf(summary, "export");
}

/** `kfstack mirror import` */
export async function mirrorImportCommand(p: Parsed, { live }: Io): Promise<Outcome> {
    const rest = p.positional;
    if (rest.length !== 1) throw new UsageError(`'kfstack mirror import' takes one DIR (the folder 'kfstack mirror export' wrote)`);
    const [mirror] = mirrorsOf(p, false);
    const summary = await importLayout(rest[0], mirror, {
        jobs: jobsOf(p),
        plainHttp: p.switches.has("--plain-http"),
        auths: authsOf(p),
        progress: live.progress,
    });
    return outcomeOf(summary, "import");
}
