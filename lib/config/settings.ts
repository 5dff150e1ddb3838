/**
 * kfstack's settings: the `kfstack:*` stack config, validated up front against the schema
 * (schema.ts, where every setting is declared). Every problem is collected and reported
 * together, each naming its key (`kfstack:mirror.registry`) and the fix. Pulumi-free: the
 * program reads the stack config into a plain object and calls `parseSettings`; `kfstack render
 * --config Pulumi.<stack>.yaml` does the same from the file.
 */
import { ConfigError } from "../core/errors";
export { ConfigError };
import { configKey as key, closest } from "../core/configKeys";
import { isPlainObject } from "../core/objects";
import { parseMirror, InvalidMirrorError, Mirror } from "../rewrite/mirror";
import { DNS_SUFFIX, isEcrHost } from "../aws/principals";
import type { StorageSettings } from "../onprem/storage";
import type { AdmissionConfig } from "../check/admission";
export type { AdmissionConfig };
import type { RendererOptions } from "../render/kustomize";
import type { TransformSettings } from "../plan/transforms";
import type { ManifestsSource } from "../source/manifests";
import type { AnyField, ReadContext } from "./fields";
import { KNOWN, SCHEMA, Section, SectionValues, isSection, kfUserPolicyProblems } from "./schema";
import type { ExtraApp, ProfileSetting, UserSetting } from "./schema";

export type { RendererOptions, TransformSettings };
export type { ExtraApp, IrsaPolicy, ProfileSetting, UserSetting } from "./schema";

export type ClusterType = SectionValues<"cluster">["type"];

/** The EKS cluster of `kfstack:cluster.type: eks` (`kfstack:cluster.*` but the type). */
export type EksSettings = Omit<SectionValues<"cluster">, "type">;

/** How the mirror is filled (`kfstack:mirror.*` besides `registry`); the password only as its presence. */
export type MirrorFill = Omit<SectionValues<"mirror">, "registry" | "password"> & { readonly hasPassword: boolean };

/** Validated settings, defaults applied. */
export interface Settings {
    readonly manifests: ManifestsSource;
    readonly mirror: Mirror;
    readonly mirrorFill: MirrorFill;
    readonly admission: AdmissionConfig;
    /** On-prem storage (`kfstack:storage`), when configured. */
    readonly storage?: StorageSettings;
    readonly cluster: ClusterType;
    /** The EKS cluster, when `cluster` is `eks`. */
    readonly eks?: EksSettings;
    readonly apps: { readonly enabled?: string[]; readonly disabled: string[]; readonly extra: ExtraApp[] };
    readonly kustomize: RendererOptions;
    readonly transforms: TransformSettings;
    readonly users: UserSetting[];
    readonly profiles: ProfileSetting[];
    /** Which data objects an upgrade may delete or replace (`kfstack:upgrade.*`). */
    readonly upgrade: SectionValues<"upgrade">;
    /** Set `pulumi.com/skipAwait` on every object (clusters without a kubelet, tests). */
    readonly skipAwait: boolean;
    /**
     * Set `pulumi.com/patchForce` on every object: kfstack owns its objects, so a field someone
     * took with `kubectl edit`/`kubectl set` is taken back instead of failing the update with a
     * server-side apply conflict (https://github.com/pulumi/pulumi-kubernetes/issues/2352).
     */
    readonly patchForce: boolean;
}

export { KNOWN };

/** One parse: the raw config, the problems found so far, and the keys a misspelling stands for. */
class Reader implements ReadContext {
    readonly problems: string[] = [];
    /** Keys a misspelling stands for: "is not set" would only repeat the "did you mean". */
    readonly meant = new Set<string>();
    constructor(
        readonly raw: Record<string, unknown>,
        readonly baseDir: string,
    ) {}

    /** Whether a problem was already reported for this key. */
    reported(k: string): boolean {
        return this.meant.has(k) || this.problems.some((p) => p.startsWith(k));
    }

    /** The object of a section as given (`{}` when missing or not an object). */
    given(name: string): Record<string, unknown> {
        const v = this.raw[name];
        if (v === undefined || v === null) return {};
        if (!isPlainObject(v)) {
            this.problems.push(`${key(name)} must be an object, got ${JSON.stringify(v)}`);
            return {};
        }
        return v;
    }

    /** A section's values, each field read from the config or defaulted. */
    section<K extends keyof typeof SCHEMA>(name: K): SectionValues<K> {
        const entry = SCHEMA[name] as Section<Record<string, AnyField>>;
        const given = this.given(name);
        return Object.fromEntries(
            Object.entries(entry.fields).map(([f, d]) => {
                const v = given[f];
                return [f, v === undefined || v === null ? d.default : (d.read(v, key(name, f), this) ?? d.default)];
            }),
        ) as SectionValues<K>;
    }

    /** A top-level setting's value. */
    setting<K extends "users" | "profiles" | "skipAwait" | "patchForce">(name: K): (typeof SCHEMA)[K]["default"] {
        const d = SCHEMA[name] as AnyField;
        const v = this.raw[name];
        return v === undefined || v === null ? d.default : (d.read(v, key(name), this) ?? d.default);
    }

    /** Reports every key the schema does not know, with the closest known one. */
    unknownKeys(): void {
        for (const [k, v] of Object.entries(this.raw)) {
            if (!(k in SCHEMA)) {
                const hint = closest(k, Object.keys(KNOWN));
                if (hint) this.meant.add(key(hint));
                this.problems.push(`${key(k)} is not a kfstack setting${hint ? `; did you mean ${key(hint)}?` : `; known: ${Object.keys(KNOWN).join(", ")}`}`);
                continue;
            }
            const entry = SCHEMA[k as keyof typeof SCHEMA];
            if (!isSection(entry) || !isPlainObject(v)) continue;
            const fields = Object.keys(entry.fields);
            for (const f of Object.keys(v)) {
                if (fields.includes(f)) continue;
                const hint = closest(f, fields);
                if (hint) this.meant.add(key(k, hint));
                this.problems.push(`${key(k, f)} is not a setting of ${key(k)}${hint ? `; did you mean ${key(k, hint)}?` : `; known: ${fields.join(", ")}`}`);
            }
        }
    }
}

/**
 * Validates raw config: `{ mirror: { registry: "..." }, ... }` (keys without the
 * `kfstack:` namespace). `baseDir` resolves relative paths. Users' passwords are
 * secrets: only their presence is recorded here (the program takes them from the engine).
 */
export function parseSettings(raw: Record<string, unknown>, baseDir: string): Settings {
    const r = new Reader(raw, baseDir);
    r.unknownKeys();
    const manifests = manifestsSection(r);
    const { mirror, mirrorFill } = mirrorSection(r);
    const admission = admissionSection(r);
    const { cluster, eks } = clusterSection(r);
    const apps = r.section("apps");
    const kustomize: RendererOptions = r.section("kustomize");
    const storage = storageSection(r, cluster);
    const transforms = transformsSection(r, { cluster, storage, mirror });
    const users = r.setting("users");
    const profiles = r.setting("profiles");
    const upgrade = r.section("upgrade");
    const skipAwait = r.setting("skipAwait");
    const patchForce = r.setting("patchForce");
    if (r.problems.length > 0 || !mirror) throw new ConfigError(r.problems);
    return { manifests, mirror, mirrorFill, admission, storage, cluster, eks, apps, kustomize, transforms, users, profiles, upgrade, skipAwait, patchForce };
}

function manifestsSection(r: Reader): ManifestsSource {
    const m = r.section("manifests");
    if (!m.path && !m.git && !r.reported(key("manifests")) && !r.reported(key("manifests", "path")))
        r.problems.push(
            `${key("manifests", "path")} is not set; set it to a kubeflow/manifests checkout (or set ${key("manifests", "git")} and ${key("manifests", "ref")})`,
        );
    if (m.path && m.git) r.problems.push(`${key("manifests")} has both path and git; keep one`);
    if (m.git && !m.ref) r.problems.push(`${key("manifests", "ref")} is not set; a git source needs a tag or commit (e.g. v1.9.1)`);
    return m;
}

function mirrorSection(r: Reader): { mirror?: Mirror; mirrorFill: MirrorFill } {
    const { registry, password, ...fill } = r.section("mirror");
    let mirror: Mirror | undefined;
    if (registry === undefined && !r.reported(key("mirror")) && !r.reported(key("mirror", "registry"))) {
        r.problems.push(`${key("mirror", "registry")} is not set; set it to REGISTRY[/PREFIX], e.g. registry.local:5000/kubeflow`);
    } else if (registry !== undefined) {
        try {
            mirror = parseMirror(registry);
        } catch (e) {
            if (!(e instanceof InvalidMirrorError)) throw e;
            r.problems.push(`${key("mirror", "registry")}: ${e.message}`);
        }
    }
    const { username, type, engine } = fill;
    if (username && !password)
        r.problems.push(
            `${key("mirror", "password")} is not set for ${key("mirror", "username")} ${username}; set it with: pulumi config set --secret --path '${key("mirror", "password")}'`,
        );
    if (password && !username) r.problems.push(`${key("mirror", "username")} is not set, but ${key("mirror", "password")} is; set both or neither`);
    if (type === "ecr" && username)
        r.problems.push(`${key("mirror", "username")} does not apply to ${key("mirror", "type")} ecr (credentials come from ECR); remove it`);
    if (type === "ecr" && mirror && !isEcrHost(mirror.host)) {
        r.problems.push(
            `${key("mirror", "registry")} ${mirror.host} is not an ECR registry host; with ${key("mirror", "type")} ecr set it to ACCOUNT.dkr.ecr.REGION.DNS-SUFFIX[/PREFIX], e.g. 123456789012.dkr.ecr.cn-northwest-1.${DNS_SUFFIX["aws-cn"]}/kubeflow`,
        );
    }
    if (engine === "docker" && type === "none")
        r.problems.push(`${key("mirror", "engine")} docker fills the mirror; set ${key("mirror", "type")} to registry or ecr, or remove it`);
    return { mirror, mirrorFill: { ...fill, hasPassword: password } };
}

function admissionSection(r: Reader): AdmissionConfig {
    const { serverVersion, enabled, actions, exemptNamespaces } = r.section("admission");
    const minor = serverVersion === undefined ? undefined : Number(/^v?1\.(\d+)/.exec(serverVersion)?.[1]);
    const oldServer = minor !== undefined && minor < 30;
    if (enabled === true && oldServer) {
        r.problems.push(
            `${key("admission", "enabled")} is true, but ValidatingAdmissionPolicy needs Kubernetes 1.30 or newer (${key("admission", "serverVersion")} is ${serverVersion}); set it to false`,
        );
    }
    if (actions.includes("Deny") && actions.includes("Warn"))
        r.problems.push(`${key("admission", "actions")}: Deny and Warn together are not allowed by Kubernetes; use [Deny] or [Warn, Audit]`);
    return { enabled: enabled ?? !oldServer, actions, exemptNamespaces };
}

function clusterSection(r: Reader): { cluster: ClusterType; eks?: EksSettings } {
    const { type: cluster, ...eks } = r.section("cluster");
    if (cluster !== "eks") {
        const eksOnly = Object.keys(r.given("cluster")).filter((f) => f !== "type" && f in SCHEMA.cluster.fields);
        if (eksOnly.length > 0) r.problems.push(`${key("cluster", eksOnly[0])} applies to ${key("cluster", "type")} eks only; remove it or set the type`);
        return { cluster };
    }
    const { minSize, desiredSize, maxSize } = eks;
    if (!(minSize <= desiredSize && desiredSize <= maxSize)) {
        r.problems.push(
            `${key("cluster", "minSize")} ≤ ${key("cluster", "desiredSize")} ≤ ${key("cluster", "maxSize")} does not hold (${minSize}, ${desiredSize}, ${maxSize})`,
        );
    }
    r.problems.push(...kfUserPolicyProblems(eks.kfUserPolicies));
    return { cluster, eks };
}

function storageSection(r: Reader, cluster: ClusterType): StorageSettings | undefined {
    if (r.raw.storage === undefined) return undefined;
    if (cluster === "eks") r.problems.push(`${key("storage")} is for on-prem clusters; ${key("cluster", "type")} eks gets its storage from EksCluster (gp3)`);
    const storage = r.section("storage");
    if (storage.dynamic === "nfs" && r.given("storage").nfs === undefined)
        r.problems.push(`${key("storage", "nfs")} is not set; ${key("storage", "dynamic")} nfs needs {server, path}`);
    return storage;
}

function transformsSection(r: Reader, on: { cluster: ClusterType; storage?: StorageSettings; mirror?: Mirror }): TransformSettings {
    const { knativeSkipTagResolving, storageClass, ingressServiceType, ...rest } = r.section("transforms");
    return {
        ...rest,
        // The PVC transform follows the storage component's class, so the two cannot disagree.
        storageClass: storageClassSetting(r, storageClass, on.storage),
        // The cluster type implies the gateway's Service type, when the config names a cluster type.
        ingressServiceType: ingressServiceType ?? (r.raw.cluster === undefined ? undefined : on.cluster === "eks" ? "LoadBalancer" : "NodePort"),
        skipTagResolvingFor: knativeSkipTagResolving ? on.mirror?.host : undefined,
    };
}

function storageClassSetting(r: Reader, given: string | undefined, storage: StorageSettings | undefined): string | undefined {
    if (!storage) return given;
    if (given !== undefined && given !== storage.staticClass) {
        r.problems.push(
            `${key("transforms", "storageClass")} ${given} differs from ${key("storage", "staticClass")} ${storage.staticClass}: the claims would not bind to their volumes; drop ${key("transforms", "storageClass")}`,
        );
    }
    return storage.staticClass;
}
