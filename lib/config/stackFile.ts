/**
 * `Pulumi.<stack>.yaml`: the file a stack's config lives in, read the way the Pulumi
 * CLI hands config to the program (objects as JSON text), so that `kfstack render
 * --config` and `pulumi up` see the same settings.
 */
import { isPlainObject } from "../core/objects";
import { readYamlFile } from "../core/yaml";
import { ConfigError } from "./settings";
import { NAMESPACE, closest } from "../core/configKeys";

/**
 * The `kfstack:*` values of a stack's config map (keys without the namespace), JSON-encoded
 * values decoded. Keys of other namespaces (`aws:region`, `kubernetes:context`) are left out;
 * a key with no namespace or a misspelled `kfstack` namespace is an error naming it.
 * `source` names the config in messages.
 */
export function kfstackConfig(config: Record<string, unknown>, source = "the stack config"): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [k, v] of Object.entries(config)) {
        const colon = k.indexOf(":");
        if (colon < 0) {
            problems.push(`${source}: key ${JSON.stringify(k)} has no namespace; write ${NAMESPACE}:${k} (or another provider's namespace, such as aws:${k})`);
            continue;
        }
        const namespace = k.slice(0, colon);
        if (namespace !== NAMESPACE) {
            if (closest(namespace, [NAMESPACE]) !== undefined && namespace.length > 3) {
                problems.push(
                    `${source}: key ${JSON.stringify(k)} is in namespace ${JSON.stringify(namespace)}; did you mean ${NAMESPACE}:${k.slice(colon + 1)}?`,
                );
            }
            continue;
        }
        let value = v;
        if (typeof v === "string" && /^[[{]/.test(v.trim())) {
            try {
                value = JSON.parse(v);
            } catch {
                /* a plain string that starts with a bracket */
            }
        }
        if (v === "true" || v === "false") value = v === "true";
        out[k.slice(colon + 1)] = value;
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return out;
}

/** Reads a `Pulumi.<stack>.yaml` and returns its `kfstack:*` settings (see kfstackConfig). */
export function readStackFile(file: string): Record<string, unknown> {
    const parsed = readYamlFile(file, "stack file");
    if (!isPlainObject(parsed) || !("config" in parsed)) {
        throw new ConfigError([`${file}: not a Pulumi stack file: it needs a top-level config: map of kfstack:* settings`]);
    }
    if (!isPlainObject(parsed.config)) {
        const what = parsed.config === null ? "empty" : Array.isArray(parsed.config) ? "a list" : `a ${typeof parsed.config}`;
        throw new ConfigError([`${file}: config: is ${what}; it must be a map of settings (kfstack:mirror: {registry: ...}, ...)`]);
    }
    return kfstackConfig(parsed.config, file);
}
