/**
 * The project's node modules across the air gap: the package tarballs its lock names, as npm's
 * own cache stores them (content-addressed by their integrity, `_cacache/content-v2/...`), so
 * `npm ci --offline` inside finds each one by the lock's integrity and nothing else. Only the
 * content is shipped, not npm's index of it: the index holds times, the content does not, so
 * the same lock gives the same files (and a delta ships only the tarballs the lock changed).
 *
 * A lock written with `omit-lockfile-registry-resolved` has no `resolved` URLs, and npm then asks
 * the registry for each package's metadata even offline (ENOTCACHED). The install gives npm the
 * lock with the URLs npm itself would have written, for the run only, and puts the lock back.
 */
import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import { spawnSync } from "child_process";
import { InputError, KfstackError } from "../core/errors";
import { stopSignal } from "../core/interrupt";

/** Where the tarballs sit in a bundle. */
export const NPM_DIR = "npm";

interface LockPackage {
    version?: string;
    resolved?: string;
    integrity?: string;
    link?: boolean;
    name?: string;
    os?: string[];
    cpu?: string[];
    inBundle?: boolean;
}

/** One package tarball the lock needs. */
export interface LockTarball {
    /** `@pulumi/pulumi@3.259.0` */
    readonly spec: string;
    /** Its place in npm's cache: `content-v2/sha512/ab/cd/...`. */
    readonly cachePath: string;
}

function packagesOf(lockFile: string): Record<string, LockPackage> {
    let lock: { lockfileVersion?: number; packages?: Record<string, LockPackage> };
    try {
        lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as typeof lock;
    } catch (e) {
        throw new InputError(`${lockFile}: cannot read the npm lock (${(e as Error).message}); run 'npm install' to write one`, lockFile);
    }
    if (!lock.packages || (lock.lockfileVersion ?? 0) < 2)
        throw new InputError(`${lockFile}: a lock of version 2 or later is needed (npm 7+); run 'npm install' with a current npm`, lockFile);
    return lock.packages;
}

/** A platform's fit: a package for other operating systems or CPUs is never installed on this one. */
function fits(p: LockPackage, platform: { os: string; cpu: string }): boolean {
    const ok = (list: string[] | undefined, v: string) => !list || (list.some((x) => !x.startsWith("!")) ? list.includes(v) : !list.includes(`!${v}`));
    return ok(p.os, platform.os) && ok(p.cpu, platform.cpu);
}

function nameOf(key: string, p: LockPackage): string {
    return p.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
}

/** The tarballs `npm ci` needs on a platform (`{os: "linux", cpu: "x64"}`), from the lock. */
export function lockTarballs(lockFile: string, platform = { os: process.platform as string, cpu: process.arch as string }): LockTarball[] {
    const out = new Map<string, LockTarball>();
    for (const [key, p] of Object.entries(packagesOf(lockFile))) {
        if (!key || p.link || p.inBundle || !p.integrity || !fits(p, platform)) continue;
        // The strongest hash npm would check first; npm's cache names content by it.
        const [algorithm, b64] = p.integrity.split(/\s+/)[0].split("-");
        const hex = Buffer.from(b64, "base64").toString("hex");
        if (!/^sha(1|256|384|512)$/.test(algorithm) || hex.length < 40)
            throw new InputError(`${lockFile}: ${key} has an integrity npm cannot use (${p.integrity.slice(0, 30)}…)`, lockFile);
        const cachePath = `content-v2/${algorithm}/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex.slice(4)}`;
        out.set(cachePath, { spec: `${nameOf(key, p)}@${p.version}`, cachePath });
    }
    return [...out.values()].sort((a, b) => (a.cachePath < b.cachePath ? -1 : 1));
}

/** npm's cache folder on this machine (`npm config get cache`, `$npm_config_cache`). */
export function npmCacheDir(): string {
    if (process.env.npm_config_cache) return process.env.npm_config_cache;
    const r = spawnSync("npm", ["config", "get", "cache"], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
    return path.join(os.homedir(), ".npm");
}

/**
 * The cached file of each tarball, fetched into npm's cache first (`npm cache add`) when it is not
 * there: on the connected side only.
 */
export function cachedTarballs(tarballs: readonly LockTarball[], say: (line: string) => void): Map<string, string> {
    const cache = path.join(npmCacheDir(), "_cacache");
    const at = (t: LockTarball) => path.join(cache, ...t.cachePath.split("/"));
    const missing = tarballs.filter((t) => !fs.existsSync(at(t)));
    if (missing.length > 0) {
        say(`npm: fetching ${missing.length} package(s) the cache lacks (npm cache add)`);
        const r = spawnSync("npm", ["cache", "add", ...missing.map((t) => t.spec)], { encoding: "utf8", signal: stopSignal });
        const still = missing.filter((t) => !fs.existsSync(at(t)));
        if (r.status !== 0 || still.length > 0)
            throw new InputError(
                `npm cannot fetch ${still.length || missing.length} package(s) of the lock (${(still[0] ?? missing[0]).spec}…): ${(r.stderr || "").trim().split("\n").pop()}; run 'npm ci' once on this connected machine, then create the bundle again`,
                "package-lock.json",
            );
    }
    return new Map(tarballs.map((t) => [t.cachePath, at(t)]));
}

/** The lock with the `resolved` URL of every registry package npm would have written (see the file's comment). */
export function lockWithResolved(text: string, registry = "https://registry.npmjs.org/"): string {
    const lock = JSON.parse(text) as { packages: Record<string, LockPackage> };
    const base = registry.endsWith("/") ? registry : `${registry}/`;
    for (const [key, p] of Object.entries(lock.packages)) {
        if (!key || p.link || p.inBundle || p.resolved || !p.integrity || !p.version) continue;
        const name = nameOf(key, p);
        p.resolved = `${base}${name}/-/${name.split("/").pop()}-${p.version}.tgz`;
    }
    return JSON.stringify(lock, null, 2) + "\n";
}

/**
 * `npm ci --offline` in `project` from a cache folder holding the bundle's tarballs; the project's
 * lock is left as it was. Errors name what npm missed.
 */
export function installOffline(project: string, cacheDir: string, say: (line: string) => void): void {
    const lockFile = path.join(project, "package-lock.json");
    const original = fs.readFileSync(lockFile);
    const aside = path.join(cacheDir, "package-lock.json.as-bundled");
    fs.writeFileSync(aside, original);
    fs.writeFileSync(lockFile, lockWithResolved(original.toString("utf8")));
    say(`npm ci --offline in ${project}`);
    try {
        const r = spawnSync("npm", ["ci", "--offline", "--cache", cacheDir, "--no-audit", "--no-fund", "--loglevel=error"], {
            cwd: project,
            encoding: "utf8",
            signal: stopSignal,
            env: { ...process.env, npm_config_update_notifier: "false" },
            maxBuffer: 64 << 20,
        });
        if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT")
            throw new InputError("npm is not on PATH: install Node.js with npm (the version the project's engines name) first", "npm");
        if (r.status !== 0) {
            const text = `${r.stderr}\n${r.stdout}`;
            const missed = /request to (\S+) failed: cache mode is 'only-if-cached'/.exec(text)?.[1];
            throw new KfstackError(
                missed
                    ? `npm ci --offline wanted ${missed}, which the bundle does not hold; make the bundle again from a project whose 'npm ci' works`
                    : `npm ci --offline in ${project} failed: ${text.trim().split("\n").slice(-3).join(" ")}`,
                project,
            );
        }
    } finally {
        fs.writeFileSync(lockFile, original);
        fs.rmSync(aside, { force: true });
    }
}
