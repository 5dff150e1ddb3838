/**
 * `kfstack bundle create|install`: one stack across an air gap (scripts depend on this).
 *
 * create: stdout is the bundle's folder; stderr progress and a summary (sizes, the share a delta
 * ships). install: stdout the commands that preview and apply the installed stack; stderr
 * progress and a summary. Exit 0 done, 1 some image could not be exported or pushed (run it
 * again: it resumes), 2 bad input (a damaged, foreign or unfinished bundle: nothing changed).
 */
import * as fs from "fs";
import * as path from "path";
import { UsageError } from "../core/errors";
import { countOf } from "../core/text";
import { parseMirror } from "../rewrite/mirror";
import { formatBytes } from "../mirror/results";
import { createBundle, installBundle } from "../bundle";
import { mirrorsOf, Outcome, Parsed } from "./args";
import type { Io } from "./commands";
import { authsOf, jobsOf, readImageList } from "./mirror";

/** `kfstack bundle create` */
export async function bundleCreateCommand(p: Parsed, { stdin, live }: Io): Promise<Outcome> {
    if (p.positional.length) throw new UsageError(`'kfstack bundle create' takes no argument (got ${p.positional.join(" ")}); give --config and --out`);
    const configFile = p.flags.get("--config")?.[0];
    const out = p.flags.get("--out")?.[0];
    if (!configFile) throw new UsageError("'kfstack bundle create' needs --config Pulumi.<stack>.yaml (the stack to carry)", "--config");
    if (!out) throw new UsageError("'kfstack bundle create' needs --out DIR (a new folder for the bundle)", "--out");
    const imagesFile = p.flags.get("--images")?.[0];
    const from = p.flags.get("--from")?.[0];
    const r = await createBundle({
        configFile,
        out,
        since: p.flags.get("--since")?.[0],
        images: imagesFile ? readImageList(imagesFile, stdin) : undefined,
        from: from ? parseMirror(from) : undefined,
        jobs: jobsOf(p),
        sourcePlainHttp: p.switches.has("--src-plain-http"),
        auths: authsOf(p),
        progress: live.progress,
        tar: p.switches.has("--tar"),
    });
    const failed = r.images.results.filter((i) => i.status === "failed");
    if (failed.length > 0) {
        return {
            stdout: "",
            stderr:
                `kfstack bundle create: ${countOf(failed.length, "image")} could not be exported; the bundle in ${out} is unfinished (run the same command again to resume):\n` +
                failed.map((i) => `  failed ${i.source}: ${i.reason}\n`).join(""),
            code: 1,
        };
    }
    const m = r.manifest;
    const parts = Object.entries(m.sizes.parts)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${formatBytes(v)}`)
        .join(", ");
    const delta = m.base
        ? `; a delta on the ${m.base.release} bundle: ${formatBytes(m.sizes.shipped)} shipped of ${formatBytes(m.sizes.total)} (${((100 * m.sizes.shipped) / Math.max(1, m.sizes.total)).toFixed(1)}%), ${formatBytes(m.sizes.total - m.sizes.shipped)} saved`
        : "";
    return {
        stdout: `${r.dir}\n${r.tar ? `${r.tar.file}\n` : ""}`,
        stderr:
            `kfstack bundle create: ${m.stack} stack, release ${m.release.name}, ${countOf(m.images.length, "image")}, ${countOf(m.plugins.length, "plugin")} (${m.plugins.map((x) => `${x.name} ${x.version}`).join(", ")}), ${countOf(Object.keys(m.files).length, "file")}, ${formatBytes(m.sizes.total)} (${parts}) in ${r.seconds.toFixed(1)} s${delta}\n` +
            `  inside the air gap: ${insideCommand(r.dir, r.tar?.file, m.base?.release)}\n`,
        code: 0,
    };
}

/** What to run inside: kfstack.js from the bundle (taken out of the tar first; a delta's from the earlier bundle when unchanged). */
function insideCommand(dir: string, tar: string | undefined, base: string | undefined): string {
    const since = base ? ` --since <the ${base} bundle>` : "";
    const shipped = fs.existsSync(path.join(dir, "kfstack.js"));
    if (!shipped) return `node <the ${base} bundle>/kfstack.js bundle install ${tar ?? dir} --mirror REGISTRY[/PREFIX]${since}`;
    if (tar)
        return `tar -xOf ${path.basename(tar)} kfstack.js > kfstack.js && node kfstack.js bundle install ${path.basename(tar)} --mirror REGISTRY[/PREFIX]${since}`;
    return `node ${path.join(dir, "kfstack.js")} bundle install ${dir} --mirror REGISTRY[/PREFIX]${since}`;
}

/** `kfstack bundle install` */
export async function bundleInstallCommand(p: Parsed, { live }: Io): Promise<Outcome> {
    if (p.positional.length !== 1) throw new UsageError("'kfstack bundle install' takes one DIR or FILE.tar (the bundle)");
    const check = p.switches.has("--check");
    const mirrors = p.flags.get("--mirror") ?? [];
    if (!check && mirrors.length === 0)
        throw new UsageError("'kfstack bundle install' needs --mirror REGISTRY[/PREFIX] (where the images go); --check verifies only", "--mirror");
    const mirror = mirrors.length ? mirrorsOf(p, false)[0] : parseMirror("localhost");
    const r = await installBundle({
        dir: p.positional[0],
        mirror,
        since: p.flags.get("--since")?.[0],
        check,
        jobs: jobsOf(p),
        plainHttp: p.switches.has("--plain-http"),
        auths: authsOf(p),
        progress: live.progress,
    });
    const verified = `${countOf(r.files, "file")} (${formatBytes(r.bytes)}) verified${r.fromBase ? `, ${r.fromBase} from the earlier bundle` : ""}`;
    if (check) return { stdout: "", stderr: `kfstack bundle install --check: ${verified}; nothing changed\n`, code: 0 };
    const failed = r.images?.results.filter((i) => i.status === "failed") ?? [];
    if (failed.length > 0 || !r.commands) {
        return {
            stdout: "",
            stderr:
                `kfstack bundle install: ${verified}; ${countOf(failed.length, "image")} could not be pushed into ${mirror.location} (run the same command again to resume):\n` +
                failed.map((i) => `  failed ${i.source}: ${i.reason}\n`).join(""),
            code: 1,
        };
    }
    const images = r.images ? `${r.images.copied} images pushed, ${r.images.present} already in ${mirror.location}` : "images pushed before";
    return {
        stdout: r.commands.join("\n") + "\n",
        stderr: `kfstack bundle install: ${verified}; ${images}; ${countOf(r.manifest.plugins.length, "plugin")} installed; the project in ${r.project} with its node modules; in ${r.seconds.toFixed(1)} s. Preview and apply with:\n`,
        code: 0,
    };
}
