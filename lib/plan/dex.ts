/**
 * Dex static users from stack config. Passwords arrive as secrets and leave as
 * bcrypt hashes; the plain text is never written anywhere.
 */
import * as crypto from "crypto";
import * as bcrypt from "bcryptjs";
import { K8sObject } from "../core/objects";
import { loadYaml, dumpDocument } from "../core/yaml";

export interface DexUser {
    readonly email: string;
    readonly username: string;
    readonly password: string;
}

/**
 * bcrypt with a salt derived from the user and password, so the same password
 * gives the same hash on every run: a random salt would show a change in
 * every `pulumi preview`. The salt is still unique per user and password.
 */
export function hashPassword(email: string, password: string, rounds = 10): string {
    const seed = crypto.createHash("sha256").update(`kfstack-dex\0${email}\0${password}`).digest();
    const salt = `$2b$${String(rounds).padStart(2, "0")}$${bcrypt.encodeBase64(Array.from(seed.subarray(0, 16)), 16)}`;
    return bcrypt.hashSync(password, salt);
}

/** A stable user id (Dex wants one per static user). */
export function userId(email: string): string {
    const h = crypto.createHash("sha256").update(email).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The Dex ConfigMap of a set of objects and its config key: the YAML value with `staticPasswords`. */
export function findDexConfig(objects: K8sObject[]): { object: K8sObject; key: string } | undefined {
    for (const o of objects) {
        if (o.kind !== "ConfigMap" || !o.data || typeof o.data !== "object") continue;
        for (const [key, value] of Object.entries(o.data as Record<string, string>)) {
            if (typeof value !== "string" || !value.includes("staticPasswords")) continue;
            try {
                const parsed = loadYaml(value) as any;
                if (parsed && typeof parsed === "object" && "staticPasswords" in parsed) return { object: o, key };
            } catch {
                /* not YAML */
            }
        }
    }
    return undefined;
}

/** The Dex config text with its static users replaced by `users` (hashed). */
export function withDexUsers(configYaml: string, users: readonly DexUser[]): string {
    const config = loadYaml(configYaml) as Record<string, unknown>;
    config.enablePasswordDB = true;
    config.staticPasswords = users.map((u) => ({ email: u.email, hash: hashPassword(u.email, u.password), username: u.username, userID: userId(u.email) }));
    return dumpDocument(config);
}
