/**
 * Registry credentials. They reach skopeo only through an auth file (the containers-auth.json
 * format: `{"auths": {"HOST": {"auth": base64("user:password")}}}`) that kfstack writes with
 * mode 0600 in a private folder and removes afterwards: never on a command line, where `ps`
 * shows them to every user of the machine.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputError } from "../core/errors";
import { removeTemporary, trackTemporary } from "../core/interrupt";
import { Credentials } from "./registry";

export type AuthMap = Map<string, Credentials>;

const MAX_AUTH_FILE_BYTES = 1 << 20;
const SHAPE = `expected {"auths": {"HOST": {"auth": "BASE64(user:password)"}}}`;

/**
 * Reads an auth file (containers-auth.json / Docker config.json), checked by shape; throws
 * InputError naming the file and the entry, never quoting a credential.
 */
export function readAuthFile(file: string, flag: string): AuthMap {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st) throw new InputError(`${flag} ${file}: no such file`, file);
    if (!st.isFile()) throw new InputError(`${flag} ${file}: not a regular file`, file);
    if (st.size > MAX_AUTH_FILE_BYTES) throw new InputError(`${flag} ${file}: ${st.size} bytes is no auth file`, file);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new InputError(`${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file);
    }
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch {
        // JSON.parse's message quotes the text around the error: it may be a password.
        throw new InputError(`${flag} ${file}: not JSON; ${SHAPE}`, file);
    }
    const auths = (doc as { auths?: unknown } | null)?.auths;
    if (
        typeof doc !== "object" ||
        doc === null ||
        Array.isArray(doc) ||
        (auths !== undefined && (typeof auths !== "object" || auths === null || Array.isArray(auths)))
    )
        throw new InputError(`${flag} ${file}: not an auth file; ${SHAPE}`, file);
    const map: AuthMap = new Map();
    for (const [key, raw] of Object.entries((auths ?? {}) as Record<string, unknown>)) {
        const entry = raw as { auth?: unknown; username?: unknown; password?: unknown } | null;
        if (typeof entry !== "object" || entry === null) throw new InputError(`${flag} ${file}: the entry of ${key} is not an object; ${SHAPE}`, file);
        const host = key.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
        if (typeof entry.username === "string" && typeof entry.password === "string") {
            map.set(host, { username: entry.username, password: entry.password });
            continue;
        }
        if (entry.auth === undefined) continue;
        if (typeof entry.auth !== "string") throw new InputError(`${flag} ${file}: the "auth" of ${key} is not a string; ${SHAPE}`, file);
        const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        if (colon < 0) throw new InputError(`${flag} ${file}: the "auth" of ${key} is not base64 of user:password`, file);
        map.set(host, { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) });
    }
    return map;
}

/** A private auth file for one run; `remove()` deletes it (and its folder). */
export interface TempAuthFile {
    readonly path: string | undefined;
    remove(): void;
}

/** Writes the credentials to a new 0600 file in a new 0700 folder; no file when there are none. */
export function writeTempAuthFile(auths: AuthMap): TempAuthFile {
    if (auths.size === 0) return { path: undefined, remove: () => undefined };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-auth-"));
    trackTemporary(dir);
    fs.chmodSync(dir, 0o700);
    const file = path.join(dir, "auth.json");
    const doc = { auths: Object.fromEntries([...auths].map(([host, c]) => [host, { auth: Buffer.from(`${c.username}:${c.password}`).toString("base64") }])) };
    fs.writeFileSync(file, JSON.stringify(doc), { mode: 0o600 });
    return { path: file, remove: () => removeTemporary(dir) };
}
