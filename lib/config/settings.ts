/**
 * kfstack's settings: the `kfstack:*` stack config, validated up front. Every
 * problem is collected and reported together, each naming its key
 * (`kfstack:mirror.registry`) and the fix. Pulumi-free: the program reads the
 * stack config into a plain object and calls `parseSettings`; `kfstack render
 * --config Pulumi.<stack>.yaml` does the same from the file.
 */
import * as path from "path";
import { KfstackError } from "../core/errors";
import { parseMirror, InvalidMirrorError, Mirror } from "../rewrite/mirror";
import { DNS_SUFFIX, isEcrHost } from "../aws/principals";
import { allowsEveryAction } from "../aws/eks";
import { quantityBytes, StorageSettings, STORAGE_DEFAULTS } from "../onprem/storage";
import { configKey as key, closest } from "../core/configKeys";
import type { RendererOptions } from "../render/kustomize";
import type { TransformSettings } from "../plan/transforms";
import type { ManifestsSource } from "../source/manifests";
import { DEFAULT_COPY_JOBS } from "../mirror/defaults";

export type { RendererOptions, TransformSettings };

export type ClusterType = "onprem" | "eks";

/** An IAM policy for an IRSA role: a managed policy's ARN, or an inline policy document. */
export type IrsaPolicy = string | Record<string, unknown>;

/** The EKS cluster of `kfstack:cluster.type: eks` (`kfstack:cluster.*`); sizes match the reference install. */
export interface EksSettings {
    /** @default "kubeflow" */
    readonly name: string;
    /** Kubernetes version. @default "1.33" */
    readonly version: string;
    /** @default "t3.medium" */
    readonly instanceType: string;
    /** @default 4 */
    readonly desiredSize: number;
    /** @default 1 */
    readonly minSize: number;
    /** @default 6 */
    readonly maxSize: number;
    /** @default 100 */
    readonly diskSizeGiB: number;
    /** An EC2 key pair for SSH to the nodes. @default none (SSM only) */
    readonly sshKeyName?: string;
    /** The new VPC's /16. @default "10.0.0.0/16" */
    readonly vpcCidr: string;
    /** Existing subnets instead of a new VPC. @default none */
    readonly subnetIds?: { readonly public: string[]; readonly private: string[] };
    /** Zones EKS does not support in the region (e.g. `cn-north-1d`). @default [] */
    readonly excludeAzs: string[];
    /** Policies of the `kf-admin` IRSA role. @default [] */
    readonly kfAdminPolicies: IrsaPolicy[];
    /** Policies of the `kf-user` IRSA role; no `*` action allowed. @default [] */
    readonly kfUserPolicies: IrsaPolicy[];
}

/** How the mirror is filled (`kfstack:mirror.*` besides `registry`). */
export interface MirrorFill {
    /**
     * `none`: the mirror is filled elsewhere (kfstack mirror copy, a pipeline); `registry`: any
     * OCI registry (Harbor, distribution), filled by `pulumi up`; `ecr`: Amazon ECR repositories
     * created and filled by `pulumi up`.
     * @default "none"
     */
    readonly type: "none" | "registry" | "ecr";
    /**
     * `skopeo` copies every platform, digests kept; `docker` (a Docker host only) copies one
     * platform and changes digests, so it refuses digest-pinned references.
     * @default "skopeo"
     */
    readonly engine: "skopeo" | "docker";
    /** Images copied at once by `pulumi up`'s mirror (the `MirroredImage` provider's copy limit). @default 4 */
    readonly jobs: number;
    /** `protect` on the ECR repositories: a `pulumi destroy` cannot delete them. @default false */
    readonly protect: boolean;
    /** Plain HTTP to the mirror (a lab registry). @default false */
    readonly plainHttp: boolean;
    /** Plain HTTP to the source registries (tests, a lab). @default false */
    readonly sourcePlainHttp: boolean;
    /** The mirror's user name (`registry` type); its password is the secret `kfstack:mirror.password`. */
    readonly username?: string;
    readonly hasPassword: boolean;
    /** `pulumi destroy` deletes the images from the mirror too. @default false (they stay) */
    readonly deleteImages: boolean;
}

/** A Dex static user; the password is a secret the caller holds (never in plain config). */
export interface UserSetting {
    readonly email: string;
    readonly username: string;
    /** Whether the config has a password for this user (the value itself stays with the caller, a secret). */
    readonly hasPassword: boolean;
}

export interface ProfileSetting {
    readonly name: string;
    readonly owner: string;
}

export interface ExtraApp {
    readonly name: string;
    readonly path: string;
    readonly after: string[];
}

/** The run-time mirror rule (`kfstack:admission.*`): ValidatingAdmissionPolicies, Kubernetes ≥ 1.30. */
export interface AdmissionConfig {
    /** @default true, unless `serverVersion` is older than 1.30 */
    readonly enabled: boolean;
    /** @default ["Deny"] */
    readonly actions: ("Deny" | "Warn" | "Audit")[];
    /** @default ["kube-system", "kube-public", "kube-node-lease"] */
    readonly exemptNamespaces: string[];
}

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
    /** Set `pulumi.com/skipAwait` on every object (clusters without a kubelet, tests). @default false */
    readonly skipAwait: boolean;
    /**
     * Set `pulumi.com/patchForce` on every object: kfstack owns its objects, so a field someone
     * took with `kubectl edit`/`kubectl set` is taken back instead of failing the update with a
     * server-side apply conflict (https://github.com/pulumi/pulumi-kubernetes/issues/2352).
     * @default true
     */
    readonly patchForce: boolean;
}

/** Bad configuration: every problem, each naming its key. */
export class ConfigError extends KfstackError {
    constructor(readonly problems: string[]) {
        super(
            problems.length === 1
                ? `kfstack stack config: ${problems[0]}`
                : `${problems.length} problems in the kfstack stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
            problems.length === 1 ? problems[0].split(" ")[0] : undefined,
        );
    }
}
/** Every setting kfstack knows: top-level keys and their fields (null: the key is the setting). */
export const KNOWN: Record<string, string[] | null> = {
    manifests: ["path", "git", "ref", "example"],
    mirror: ["registry", "type", "engine", "jobs", "protect", "plainHttp", "sourcePlainHttp", "username", "password", "deleteImages"],
    cluster: [
        "type",
        "name",
        "version",
        "instanceType",
        "desiredSize",
        "minSize",
        "maxSize",
        "diskSizeGiB",
        "sshKeyName",
        "vpcCidr",
        "subnetIds",
        "excludeAzs",
        "kfAdminPolicies",
        "kfUserPolicies",
    ],
    apps: ["enabled", "disabled", "extra"],
    kustomize: ["binary", "remotes", "cacheDir"],
    transforms: [
        "imagePullPolicy",
        "secureCookies",
        "storageClass",
        "ingressServiceType",
        "istioJwtPolicy",
        "webhookFailurePolicy",
        "knativeSkipTagResolving",
        "storageClassOverride",
    ],
    users: null,
    profiles: null,
    admission: ["enabled", "actions", "exemptNamespaces", "serverVersion"],
    storage: ["staticClass", "volumeType", "basePath", "node", "claims", "dynamic", "dynamicDefault", "localPathDir", "nfs", "protect"],
    skipAwait: null,
    patchForce: null,
};

/**
 * Validates raw config: `{ mirror: { registry: "..." }, ... }` (keys without the
 * `kfstack:` namespace). `baseDir` resolves relative paths. Users' passwords are
 * secrets: only their presence is recorded here (the program takes them from the engine).
 */
export function parseSettings(raw: Record<string, unknown>, baseDir: string): Settings {
    const problems: string[] = [];
    const obj = (k: string): Record<string, unknown> => {
        const v = raw[k];
        if (v === undefined || v === null) return {};
        if (typeof v !== "object" || Array.isArray(v)) {
            problems.push(`${key(k)} must be an object, got ${JSON.stringify(v)}`);
            return {};
        }
        return v as Record<string, unknown>;
    };
    // Keys a misspelling stands for: "is not set" would only repeat the "did you mean".
    const meant = new Set<string>();
    for (const k of Object.keys(raw)) {
        if (!(k in KNOWN)) {
            const hint = closest(k, Object.keys(KNOWN));
            if (hint) meant.add(key(hint));
            problems.push(`${key(k)} is not a kfstack setting${hint ? `; did you mean ${key(hint)}?` : `; known: ${Object.keys(KNOWN).join(", ")}`}`);
            continue;
        }
        const fields = KNOWN[k];
        const v = raw[k];
        if (fields && v && typeof v === "object" && !Array.isArray(v)) {
            for (const f of Object.keys(v)) {
                if (!fields.includes(f)) {
                    const hint = closest(f, fields);
                    if (hint) meant.add(key(k, hint));
                    problems.push(`${key(k, f)} is not a setting of ${key(k)}${hint ? `; did you mean ${key(k, hint)}?` : `; known: ${fields.join(", ")}`}`);
                }
            }
        }
    }
    const str = (o: Record<string, unknown>, k: string, f: string): string | undefined => {
        const v = o[f];
        if (v === undefined || v === null) return undefined;
        if (typeof v !== "string" || v.trim() === "") {
            problems.push(`${key(k, f)} must be a non-empty string, got ${JSON.stringify(v)}`);
            return undefined;
        }
        return v;
    };
    const oneOf = <T extends string>(o: Record<string, unknown>, k: string, f: string, allowed: readonly T[]): T | undefined => {
        const v = str(o, k, f);
        if (v === undefined) return undefined;
        if (!allowed.includes(v as T)) {
            problems.push(`${key(k, f)} is ${JSON.stringify(v)}; use one of ${allowed.join(", ")}`);
            return undefined;
        }
        return v as T;
    };
    const strList = (o: Record<string, unknown>, k: string, f: string): string[] | undefined => {
        const v = o[f];
        if (v === undefined || v === null) return undefined;
        if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
            problems.push(`${key(k, f)} must be a list of strings, got ${JSON.stringify(v)}`);
            return undefined;
        }
        return v as string[];
    };

    // manifests
    const m = obj("manifests");
    const mPath = str(m, "manifests", "path");
    const mGit = str(m, "manifests", "git");
    const mRef = str(m, "manifests", "ref");
    if (!mPath && !mGit && !meant.has(key("manifests")) && !meant.has(key("manifests", "path")))
        problems.push(
            `${key("manifests", "path")} is not set; set it to a kubeflow/manifests checkout (or set ${key("manifests", "git")} and ${key("manifests", "ref")})`,
        );
    if (mPath && mGit) problems.push(`${key("manifests")} has both path and git; keep one`);
    if (mGit && !mRef) problems.push(`${key("manifests", "ref")} is not set; a git source needs a tag or commit (e.g. v1.9.1)`);
    const manifests = { path: mPath ? path.resolve(baseDir, mPath) : undefined, git: mGit, ref: mRef, example: str(m, "manifests", "example") ?? "example" };

    // mirror
    const mi = obj("mirror");
    const registry = str(mi, "mirror", "registry");
    let mirror: Mirror | undefined;
    const registryMeant = meant.has(key("mirror")) || meant.has(key("mirror", "registry"));
    if (registry === undefined && !registryMeant && !problems.some((p) => p.startsWith(key("mirror", "registry")))) {
        problems.push(`${key("mirror", "registry")} is not set; set it to REGISTRY[/PREFIX], e.g. registry.local:5000/kubeflow`);
    } else if (registry !== undefined) {
        try {
            mirror = parseMirror(registry);
        } catch (e) {
            if (!(e instanceof InvalidMirrorError)) throw e;
            problems.push(`${key("mirror", "registry")}: ${e.message}`);
        }
    }

    const bool = (o: Record<string, unknown>, k: string, f: string): boolean | undefined => {
        const v = o[f];
        if (v === undefined || v === null) return undefined;
        if (typeof v !== "boolean") {
            problems.push(`${key(k, f)} must be true or false, got ${JSON.stringify(v)}`);
            return undefined;
        }
        return v;
    };
    const fillType = oneOf(mi, "mirror", "type", ["none", "registry", "ecr"] as const) ?? "none";
    const engine = oneOf(mi, "mirror", "engine", ["skopeo", "docker"] as const) ?? "skopeo";
    let jobs = DEFAULT_COPY_JOBS;
    if (mi.jobs !== undefined) {
        if (typeof mi.jobs !== "number" || !Number.isInteger(mi.jobs) || mi.jobs < 1 || mi.jobs > 64)
            problems.push(`${key("mirror", "jobs")} must be a whole number from 1 to 64, got ${JSON.stringify(mi.jobs)}`);
        else jobs = mi.jobs;
    }
    const username = str(mi, "mirror", "username");
    const hasPassword =
        (typeof mi.password === "string" && mi.password !== "") || (!!mi.password && typeof mi.password === "object" && "secure" in (mi.password as object));
    if (username && !hasPassword)
        problems.push(
            `${key("mirror", "password")} is not set for ${key("mirror", "username")} ${username}; set it with: pulumi config set --secret --path '${key("mirror", "password")}'`,
        );
    if (hasPassword && !username) problems.push(`${key("mirror", "username")} is not set, but ${key("mirror", "password")} is; set both or neither`);
    if (fillType === "ecr" && username)
        problems.push(`${key("mirror", "username")} does not apply to ${key("mirror", "type")} ecr (credentials come from ECR); remove it`);
    if (fillType === "ecr" && mirror && !isEcrHost(mirror.host)) {
        problems.push(
            `${key("mirror", "registry")} ${mirror.host} is not an ECR registry host; with ${key("mirror", "type")} ecr set it to ACCOUNT.dkr.ecr.REGION.DNS-SUFFIX[/PREFIX], e.g. 123456789012.dkr.ecr.cn-northwest-1.${DNS_SUFFIX["aws-cn"]}/kubeflow`,
        );
    }
    if (engine === "docker" && fillType === "none")
        problems.push(`${key("mirror", "engine")} docker fills the mirror; set ${key("mirror", "type")} to registry or ecr, or remove it`);
    const mirrorFill: MirrorFill = {
        type: fillType,
        engine,
        jobs,
        protect: bool(mi, "mirror", "protect") ?? false,
        plainHttp: bool(mi, "mirror", "plainHttp") ?? false,
        sourcePlainHttp: bool(mi, "mirror", "sourcePlainHttp") ?? false,
        username,
        hasPassword,
        deleteImages: bool(mi, "mirror", "deleteImages") ?? false,
    };

    // admission
    const ad = obj("admission");
    const serverVersion = str(ad, "admission", "serverVersion");
    let oldServer = false;
    if (serverVersion !== undefined) {
        const v = /^v?1\.(\d+)(?:\.\d+)?$/.exec(serverVersion);
        if (!v) problems.push(`${key("admission", "serverVersion")} ${JSON.stringify(serverVersion)}: give the cluster's Kubernetes version, e.g. 1.31`);
        else oldServer = Number(v[1]) < 30;
    }
    const enabledRaw = bool(ad, "admission", "enabled");
    if (enabledRaw === true && oldServer) {
        problems.push(
            `${key("admission", "enabled")} is true, but ValidatingAdmissionPolicy needs Kubernetes 1.30 or newer (${key("admission", "serverVersion")} is ${serverVersion}); set it to false`,
        );
    }
    const actions = strList(ad, "admission", "actions") ?? ["Deny"];
    const badAction = actions.filter((x) => !["Deny", "Warn", "Audit"].includes(x));
    if (badAction.length > 0) problems.push(`${key("admission", "actions")} has ${badAction.join(", ")}; use Deny, Warn and/or Audit`);
    if (actions.includes("Deny") && actions.includes("Warn"))
        problems.push(`${key("admission", "actions")}: Deny and Warn together are not allowed by Kubernetes; use [Deny] or [Warn, Audit]`);
    const admission: AdmissionConfig = {
        enabled: enabledRaw ?? !oldServer,
        actions: actions as AdmissionConfig["actions"],
        exemptNamespaces: strList(ad, "admission", "exemptNamespaces") ?? ["kube-system", "kube-public", "kube-node-lease"],
    };

    // cluster
    const cl = obj("cluster");
    const cluster = oneOf(cl, "cluster", "type", ["onprem", "eks"] as const) ?? "onprem";
    const eks = cluster === "eks" ? eksSettings(cl, problems, str, strList) : undefined;
    if (cluster !== "eks") {
        const eksOnly = Object.keys(cl).filter((f) => f !== "type" && KNOWN.cluster?.includes(f));
        if (eksOnly.length > 0) problems.push(`${key("cluster", eksOnly[0])} applies to ${key("cluster", "type")} eks only; remove it or set the type`);
    }

    // apps
    const a = obj("apps");
    const extra: ExtraApp[] = [];
    const extraRaw = a.extra;
    if (extraRaw !== undefined) {
        if (!Array.isArray(extraRaw)) problems.push(`${key("apps", "extra")} must be a list of {name, path, after}`);
        else
            extraRaw.forEach((e, i) => {
                const en = e as Record<string, unknown>;
                if (!en || typeof en !== "object" || typeof en.name !== "string" || typeof en.path !== "string") {
                    problems.push(`${key("apps", "extra", i)} must have a name and a path (a kustomize directory)`);
                    return;
                }
                const after =
                    en.after === undefined ? [] : Array.isArray(en.after) && en.after.every((x) => typeof x === "string") ? (en.after as string[]) : undefined;
                if (!after) problems.push(`${key("apps", "extra", i, "after")} must be a list of app names`);
                extra.push({ name: en.name, path: path.resolve(baseDir, en.path), after: after ?? [] });
            });
    }
    const apps = { enabled: strList(a, "apps", "enabled"), disabled: strList(a, "apps", "disabled") ?? [], extra };

    // kustomize
    const k = obj("kustomize");
    const remotesRaw = k.remotes;
    let remotes: Record<string, string> | undefined;
    if (remotesRaw !== undefined) {
        if (!remotesRaw || typeof remotesRaw !== "object" || Array.isArray(remotesRaw) || Object.values(remotesRaw).some((v) => typeof v !== "string")) {
            problems.push(`${key("kustomize", "remotes")} must map each remote base URL to a local directory`);
        } else {
            remotes = Object.fromEntries(Object.entries(remotesRaw as Record<string, string>).map(([u, d]) => [u, path.resolve(baseDir, d)]));
        }
    }
    const cacheDir = str(k, "kustomize", "cacheDir");
    const kustomize: RendererOptions = { binary: str(k, "kustomize", "binary"), remotes, cacheDir: cacheDir ? path.resolve(baseDir, cacheDir) : undefined };

    // storage (on-prem)
    const st = raw.storage === undefined ? undefined : obj("storage");
    let storage: StorageSettings | undefined;
    if (st) {
        if (cluster === "eks") problems.push(`${key("storage")} is for on-prem clusters; ${key("cluster", "type")} eks gets its storage from EksCluster (gp3)`);
        const abs = (f: string, v: string | undefined, k2 = "storage") => {
            if (v !== undefined && !v.startsWith("/")) problems.push(`${key(k2, f)} ${JSON.stringify(v)} must be an absolute path`);
            return v;
        };
        const claims: Record<string, { node?: string; path?: string; size?: string }> = {};
        const rawClaims = st.claims;
        if (rawClaims !== undefined) {
            if (!rawClaims || typeof rawClaims !== "object" || Array.isArray(rawClaims))
                problems.push(`${key("storage", "claims")} must map NAMESPACE/CLAIM to {node, path, size}`);
            else
                for (const [ck, cv] of Object.entries(rawClaims as Record<string, Record<string, unknown>>)) {
                    const where = `${key("storage", "claims")}.${ck}`;
                    if (!/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(ck)) problems.push(`${where}: name a claim as NAMESPACE/NAME`);
                    if (!cv || typeof cv !== "object") {
                        problems.push(`${where} must be {node, path, size}`);
                        continue;
                    }
                    const unknown = Object.keys(cv).filter((f) => !["node", "path", "size"].includes(f));
                    if (unknown.length > 0) problems.push(`${where}.${unknown[0]} is not a setting of a claim; known: node, path, size`);
                    if (cv.path !== undefined && (typeof cv.path !== "string" || !cv.path.startsWith("/")))
                        problems.push(`${where}.path ${JSON.stringify(cv.path)} must be an absolute path`);
                    if (cv.size !== undefined && (typeof cv.size !== "string" || quantityBytes(cv.size) === undefined))
                        problems.push(`${where}.size ${JSON.stringify(cv.size)} is not a quantity (e.g. 20Gi)`);
                    if (cv.node !== undefined && typeof cv.node !== "string") problems.push(`${where}.node must be a node name`);
                    claims[ck] = { node: cv.node as string | undefined, path: cv.path as string | undefined, size: cv.size as string | undefined };
                }
        }
        const dynamic = oneOf(st, "storage", "dynamic", ["local-path", "nfs", "none"] as const) ?? "local-path";
        let nfs: StorageSettings["nfs"];
        if (st.nfs !== undefined) {
            const n = st.nfs as Record<string, unknown>;
            if (!n || typeof n !== "object" || typeof n.server !== "string" || typeof n.path !== "string" || !n.path.startsWith("/")) {
                problems.push(`${key("storage", "nfs")} must be {server: HOST, path: /EXPORT}`);
            } else nfs = { server: n.server, path: n.path };
        }
        if (dynamic === "nfs" && !nfs && st.nfs === undefined)
            problems.push(`${key("storage", "nfs")} is not set; ${key("storage", "dynamic")} nfs needs {server, path}`);
        storage = {
            staticClass: str(st, "storage", "staticClass") ?? STORAGE_DEFAULTS.staticClass,
            volumeType: oneOf(st, "storage", "volumeType", ["local", "hostPath"] as const) ?? STORAGE_DEFAULTS.volumeType,
            basePath: abs("basePath", str(st, "storage", "basePath")) ?? STORAGE_DEFAULTS.basePath,
            node: str(st, "storage", "node"),
            claims,
            dynamic,
            dynamicDefault: bool(st, "storage", "dynamicDefault") ?? true,
            localPathDir: abs("localPathDir", str(st, "storage", "localPathDir")) ?? STORAGE_DEFAULTS.localPathDir,
            nfs,
            protect: bool(st, "storage", "protect") ?? true,
        };
    }

    const t = obj("transforms");
    const secure = t.secureCookies;
    if (secure !== undefined && typeof secure !== "boolean")
        problems.push(`${key("transforms", "secureCookies")} must be true or false, got ${JSON.stringify(secure)}`);
    const transforms: TransformSettings = {
        imagePullPolicy: oneOf(t, "transforms", "imagePullPolicy", ["IfNotPresent", "Always", "Never"] as const),
        secureCookies: typeof secure === "boolean" ? secure : undefined,
        // The PVC transform follows the storage component's class, so the two cannot disagree.
        storageClass: storageClassSetting(str(t, "transforms", "storageClass"), storage, problems),
        storageClassOverride: bool(t, "transforms", "storageClassOverride"),
        // The cluster type implies the gateway's Service type, when the config names a cluster type.
        ingressServiceType:
            oneOf(t, "transforms", "ingressServiceType", ["NodePort", "LoadBalancer", "ClusterIP"] as const) ??
            (raw.cluster === undefined ? undefined : cluster === "eks" ? "LoadBalancer" : "NodePort"),
        istioJwtPolicy: oneOf(t, "transforms", "istioJwtPolicy", ["first-party-jwt", "third-party-jwt"] as const),
        webhookFailurePolicy: oneOf(t, "transforms", "webhookFailurePolicy", ["Ignore", "Fail"] as const),
        skipTagResolvingFor: (bool(t, "transforms", "knativeSkipTagResolving") ?? true) ? mirror?.host : undefined,
    };

    // users
    const users: UserSetting[] = [];
    const usersRaw = raw.users;
    if (usersRaw !== undefined && !Array.isArray(usersRaw)) problems.push(`${key("users")} must be a list of {email, username, password}`);
    (Array.isArray(usersRaw) ? usersRaw : []).forEach((u, i) => {
        const ur = (u ?? {}) as Record<string, unknown>;
        const email = ur.email;
        if (typeof email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(email)) {
            problems.push(`${key("users", i, "email")} must be an email address, got ${JSON.stringify(email)}`);
            return;
        }
        for (const f of Object.keys(ur))
            if (!["email", "username", "password"].includes(f))
                problems.push(`${key("users", i)}.${f} is not a user setting; known: email, username, password`);
        if (
            ur.password !== undefined &&
            typeof ur.password !== "string" &&
            !(ur.password && typeof ur.password === "object" && "secure" in (ur.password as object))
        ) {
            problems.push(`${key("users", i, "password")} must be a string secret (pulumi config set --secret --path '${key("users", i, "password")}')`);
        }
        users.push({ email, username: typeof ur.username === "string" ? ur.username : email.split("@")[0], hasPassword: ur.password !== undefined });
    });
    if (new Set(users.map((u) => u.email)).size !== users.length) problems.push(`${key("users")} lists an email twice`);

    // profiles
    const profiles: ProfileSetting[] = [];
    const profilesRaw = raw.profiles;
    if (profilesRaw !== undefined && !Array.isArray(profilesRaw)) problems.push(`${key("profiles")} must be a list of {name, owner}`);
    (Array.isArray(profilesRaw) ? profilesRaw : []).forEach((p, i) => {
        const pr = (p ?? {}) as Record<string, unknown>;
        if (typeof pr.name !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(pr.name)) {
            problems.push(`${key("profiles", i, "name")} must be a DNS label (a namespace name), got ${JSON.stringify(pr.name)}`);
            return;
        }
        if (typeof pr.owner !== "string" || !pr.owner.includes("@")) {
            problems.push(`${key("profiles", i, "owner")} must be the owner's email, got ${JSON.stringify(pr.owner)}`);
            return;
        }
        profiles.push({ name: pr.name, owner: pr.owner });
    });

    const skip = raw.skipAwait;
    if (skip !== undefined && typeof skip !== "boolean") problems.push(`${key("skipAwait")} must be true or false`);
    const force = raw.patchForce;
    if (force !== undefined && typeof force !== "boolean") problems.push(`${key("patchForce")} must be true or false`);

    if (problems.length > 0 || !mirror) throw new ConfigError(problems);
    return {
        manifests,
        mirror,
        mirrorFill,
        admission,
        storage,
        cluster,
        eks,
        apps,
        kustomize,
        transforms,
        users,
        profiles,
        skipAwait: skip === true,
        patchForce: force !== false,
    };
}

function eksSettings(
    cl: Record<string, unknown>,
    problems: string[],
    str: (o: Record<string, unknown>, k: string, f: string) => string | undefined,
    strList: (o: Record<string, unknown>, k: string, f: string) => string[] | undefined,
): EksSettings {
    const int = (f: string, dflt: number, min: number, max: number): number => {
        const v = cl[f];
        if (v === undefined || v === null) return dflt;
        if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
            problems.push(`${key("cluster", f)} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
            return dflt;
        }
        return v;
    };
    const name = str(cl, "cluster", "name") ?? "kubeflow";
    if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(name))
        problems.push(
            `${key("cluster", "name")} ${JSON.stringify(name)} is not a valid EKS cluster name (letters, digits, - and _, starting with a letter or digit)`,
        );
    const version = str(cl, "cluster", "version") ?? "1.33";
    if (!/^1\.\d{2}$/.test(version)) problems.push(`${key("cluster", "version")} ${JSON.stringify(version)}: give a Kubernetes minor version such as 1.33`);
    const desiredSize = int("desiredSize", 4, 0, 1000);
    const minSize = int("minSize", 1, 0, 1000);
    const maxSize = int("maxSize", 6, 1, 1000);
    if (!(minSize <= desiredSize && desiredSize <= maxSize)) {
        problems.push(
            `${key("cluster", "minSize")} ≤ ${key("cluster", "desiredSize")} ≤ ${key("cluster", "maxSize")} does not hold (${minSize}, ${desiredSize}, ${maxSize})`,
        );
    }
    let subnetIds: EksSettings["subnetIds"];
    const sn = cl.subnetIds as Record<string, unknown> | undefined;
    if (sn !== undefined) {
        const ok = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string" && /^subnet-[0-9a-f]+$/.test(x));
        if (!sn || typeof sn !== "object" || !ok(sn.public) || !ok(sn.private)) {
            problems.push(`${key("cluster", "subnetIds")} must be {public: [subnet-...], private: [subnet-...]}, both non-empty`);
        } else subnetIds = { public: sn.public as string[], private: sn.private as string[] };
    }
    const policies = (f: string): IrsaPolicy[] => {
        const v = cl[f];
        if (v === undefined || v === null) return [];
        if (!Array.isArray(v) || v.some((p) => typeof p !== "string" && (typeof p !== "object" || p === null || Array.isArray(p)))) {
            problems.push(`${key("cluster", f)} must be a list of managed policy ARNs or inline policy documents`);
            return [];
        }
        return v as IrsaPolicy[];
    };
    const kfUserPolicies = policies("kfUserPolicies");
    kfUserPolicies.forEach((p, i) => {
        if (typeof p === "object" && allowsEveryAction(JSON.stringify(p))) {
            problems.push(`${key("cluster", "kfUserPolicies", i)} allows the action "*"; kf-user is every notebook's role, give it the actions it needs`);
        }
    });
    return {
        name,
        version,
        instanceType: str(cl, "cluster", "instanceType") ?? "t3.medium",
        desiredSize,
        minSize,
        maxSize,
        diskSizeGiB: int("diskSizeGiB", 100, 20, 16384),
        sshKeyName: str(cl, "cluster", "sshKeyName"),
        vpcCidr: str(cl, "cluster", "vpcCidr") ?? "10.0.0.0/16",
        subnetIds,
        excludeAzs: strList(cl, "cluster", "excludeAzs") ?? [],
        kfAdminPolicies: policies("kfAdminPolicies"),
        kfUserPolicies,
    };
}

function storageClassSetting(given: string | undefined, storage: StorageSettings | undefined, problems: string[]): string | undefined {
    if (!storage) return given;
    if (given !== undefined && given !== storage.staticClass) {
        problems.push(
            `${key("transforms", "storageClass")} ${given} differs from ${key("storage", "staticClass")} ${storage.staticClass}: the claims would not bind to their volumes; drop ${key("transforms", "storageClass")}`,
        );
    }
    return storage.staticClass;
}
