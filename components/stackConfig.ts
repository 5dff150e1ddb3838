/**
 * The stack config, read once from the engine and validated up front (lib/config):
 * every problem is reported together, naming its key.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseSettings, kfstackConfig, Settings, ConfigError } from "../lib/config";
import { configKey } from "../lib/core";
import { PlatformUser } from "./kubeflow";

export interface StackConfig {
    readonly settings: Settings;
    /** Dex users with their passwords as Pulumi secrets. */
    readonly users: PlatformUser[];
    /** The mirror's password (`kfstack:mirror.password`), a Pulumi secret. */
    readonly mirrorPassword?: pulumi.Output<string>;
}

/** Reads every `kfstack:*` key of the stack. `baseDir` resolves relative paths (the project folder). */
export function readStackConfig(baseDir: string = process.cwd()): StackConfig {
    const raw = kfstackConfig(pulumi.runtime.allConfig());
    const settings = parseSettings(raw, baseDir);
    const rawUsers = (Array.isArray(raw.users) ? raw.users : []) as { password?: unknown }[];
    const users: PlatformUser[] = settings.users
        .map((u, i) => ({ u, password: rawUsers[i]?.password }))
        .filter(({ password }) => typeof password === "string")
        .map(({ u, password }) => ({ email: u.email, username: u.username, password: pulumi.secret(password as string) }));
    const missing = settings.users.filter((u) => !u.hasPassword).map((u) => u.email);
    if (missing.length > 0) {
        throw new ConfigError(
            settings.users.flatMap((u, i) =>
                u.hasPassword
                    ? []
                    : [
                          `${configKey("users", i, "password")} is not set for ${u.email}; set it with: pulumi config set --secret --path '${configKey("users", i, "password")}'`,
                      ],
            ),
        );
    }
    const mirrorRaw = (raw.mirror ?? {}) as { password?: unknown };
    const mirrorPassword = typeof mirrorRaw.password === "string" ? pulumi.secret(mirrorRaw.password) : undefined;
    return { settings, users, mirrorPassword };
}
