/**
 * Every `kfstack:*` setting, declared once: its kind and range, its default, what it means.
 * The validator (settings.ts), the known-key list, the reference table (reference.ts, and from
 * it the docs) and the components' defaults (`EKS_DEFAULTS`) are all read from here. Adding a
 * setting is one entry here plus, where it needs more than its own field's check, a line in
 * its section's reader.
 */
import * as path from "path";
import { configKey as key } from "../core/configKeys";
import { DEFAULT_COPY_JOBS } from "../mirror/defaults";
import { allowsEveryAction } from "../aws/eks";
import { DYNAMIC_PROVISIONERS, VOLUME_TYPES, quantityBytes, type ClaimSetting } from "../onprem/storage";
import { GATEWAY_SERVICE_TYPES, ISTIO_JWT_POLICIES, PULL_POLICIES, WEBHOOK_FAILURE_POLICIES } from "../plan/transforms";
import type { ExtraApp, ProfileSetting } from "../plan/platform";
import { DATA_NAME } from "../plan/upgrade";
export type { ExtraApp, ProfileSetting };
import { AnyField, Values, choice, filePath, flag, secret, shaped, text, textList, whole } from "./fields";
import { isPlainObject } from "../core/objects";

/** A top-level key whose value is an object of fields. */
export interface Section<F extends Record<string, AnyField>> {
    readonly fields: F;
}
const section = <F extends Record<string, AnyField>>(fields: F): Section<F> => ({ fields });

/** An IAM policy for an IRSA role: a managed policy's ARN, or an inline policy document. */
export type IrsaPolicy = string | Record<string, unknown>;

/** A Dex static user; the password is a secret the caller holds (never in plain config). */
export interface UserSetting {
    readonly email: string;
    readonly username: string;
    /** Whether the config has a password for this user (the value itself stays with the caller, a secret). */
    readonly hasPassword: boolean;
}

const secretHint = (where: string) => `pulumi config set --secret --path '${where}'`;
const isSecret = (v: unknown) => typeof v === "string" || (isPlainObject(v) && "secure" in v);

const irsaPolicies = (who: string, extra = "") =>
    shaped<IrsaPolicy[]>({
        doc: `EKS: policies of the \`${who}\` IRSA role${extra}`,
        default: [],
        read: (v, where, { problems }) => {
            if (!Array.isArray(v) || v.some((p) => typeof p !== "string" && !isPlainObject(p))) {
                problems.push(`${where} must be a list of managed policy ARNs or inline policy documents`);
                return undefined;
            }
            return v as IrsaPolicy[];
        },
    });

export const SCHEMA = {
    manifests: section({
        path: filePath({ doc: "a kubeflow/manifests checkout (any release, 1.4 → 26.03)", defaultDoc: "required (or `git` + `ref`)", resolve: true }),
        git: text({ doc: "clone this URL (users with network)" }),
        ref: text({ doc: "the tag or commit to clone", defaultDoc: "required with `git`" }),
        example: text({ doc: "the folder of the example kustomization", default: "example" }),
    }),
    mirror: section({
        registry: text({
            doc: "`REGISTRY[/PREFIX]` every image is served from (ECR: `ACCOUNT.dkr.ecr.REGION.<partition DNS suffix>[/PREFIX]`)",
            defaultDoc: "required",
        }),
        type: choice(["none", "registry", "ecr"], {
            doc: "`none` (filled elsewhere, e.g. `kfstack mirror copy`), `registry` (any OCI registry, filled by `pulumi up`), `ecr` (ECR repositories created and filled)",
            default: "none",
        }),
        engine: choice(["skopeo", "docker"], {
            doc: "`skopeo` (every platform, digests kept; the name is historical: kfstack's own registry client copies) or `docker` (a Docker host; one platform, new digests; digest-pinned images refused)",
            default: "skopeo",
        }),
        jobs: whole({ doc: "images `pulumi up`'s mirror copies at once (`kfstack mirror copy` takes `--jobs`)", default: DEFAULT_COPY_JOBS, min: 1, max: 64 }),
        protect: flag({ doc: "`protect` the ECR repositories", default: false }),
        plainHttp: flag({ doc: "plain HTTP to the mirror (a lab registry)", default: false }),
        sourcePlainHttp: flag({ doc: "plain HTTP to the source registries (a lab)", default: false }),
        username: text({ doc: "the `registry` mirror's user", defaultDoc: "anonymous" }),
        password: secret({ doc: "its password, a secret (`pulumi config set --secret --path 'kfstack:mirror.password'`)", hint: secretHint }),
        deleteImages: flag({ doc: "`pulumi destroy` deletes the images from the mirror too", default: false }),
    }),
    cluster: section({
        type: choice(["onprem", "eks"], { doc: "`onprem` (the kubeconfig's cluster) or `eks` (built by the stack)", default: "onprem" }),
        name: text({
            doc: "EKS: the cluster's name (in the IRSA role names)",
            default: "kubeflow",
            pattern: /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/,
            hint: "is not a valid EKS cluster name (letters, digits, - and _, starting with a letter or digit)",
        }),
        version: text({ doc: "EKS: the Kubernetes version", default: "1.33", pattern: /^1\.\d{2}$/, hint: "give a Kubernetes minor version such as 1.33" }),
        instanceType: text({ doc: "EKS: the node group's instance type", default: "t3.medium" }),
        desiredSize: whole({ doc: "EKS: nodes wanted", default: 4, min: 0, max: 1000 }),
        minSize: whole({ doc: "EKS: fewest nodes", default: 1, min: 0, max: 1000 }),
        maxSize: whole({ doc: "EKS: most nodes", default: 6, min: 1, max: 1000 }),
        diskSizeGiB: whole({ doc: "EKS: each node's disk", default: 100, min: 20, max: 16384 }),
        sshKeyName: text({ doc: "EKS: an EC2 key pair for SSH to the nodes", defaultDoc: "none (SSM only)" }),
        vpcCidr: text({ doc: "EKS: the new VPC's /16", default: "10.0.0.0/16" }),
        subnetIds: shaped<{ readonly public: string[]; readonly private: string[] }>({
            doc: "EKS: existing `{public, private}` subnets instead of a new VPC",
            defaultDoc: "none",
            read: (v, where, { problems }) => {
                const ok = (l: unknown) => Array.isArray(l) && l.length > 0 && l.every((x) => typeof x === "string" && /^subnet-[0-9a-f]+$/.test(x));
                if (!isPlainObject(v) || !ok(v.public) || !ok(v.private)) {
                    problems.push(`${where} must be {public: [subnet-...], private: [subnet-...]}, both non-empty`);
                    return undefined;
                }
                return { public: v.public as string[], private: v.private as string[] };
            },
        }),
        excludeAzs: textList({ doc: "EKS: zones EKS does not support in the region (e.g. `cn-north-1d`)", default: [] }),
        kfAdminPolicies: irsaPolicies("kf-admin", " (managed policy ARNs or inline documents)"),
        kfUserPolicies: irsaPolicies("kf-user", " (no `*` action)"),
    }),
    apps: section({
        enabled: textList({
            doc: "app names to keep (unknown names are errors)",
            defaultDoc: "all",
            nonEmpty: "it would install no app; remove the key to install every app, or name the apps to keep",
        }),
        disabled: textList({ doc: "app names to drop", default: [], defaultDoc: "none" }),
        extra: shaped<ExtraApp[]>({
            doc: "`[{name, path, after: [apps]}]`: your own kustomize folders",
            default: [],
            read: (v, where, { problems, baseDir }) => {
                if (!Array.isArray(v)) {
                    problems.push(`${where} must be a list of {name, path, after}`);
                    return undefined;
                }
                const out: ExtraApp[] = [];
                v.forEach((e, i) => {
                    if (!isPlainObject(e) || typeof e.name !== "string" || typeof e.path !== "string") {
                        problems.push(`${where}[${i}] must have a name and a path (a kustomize directory)`);
                        return;
                    }
                    const after = e.after === undefined ? [] : Array.isArray(e.after) && e.after.every((x) => typeof x === "string") ? e.after : undefined;
                    if (!after) problems.push(`${where}[${i}].after must be a list of app names`);
                    out.push({ name: e.name, path: path.resolve(baseDir, e.path), after: after ?? [] });
                });
                return out;
            },
        }),
    }),
    kustomize: section({
        binary: text({ doc: "`kustomize`, `kubectl`, or a path", defaultDoc: "kustomize on PATH, `.tools/bin/kustomize`, kubectl" }),
        remotes: shaped<Record<string, string>>({
            doc: "remote base URL or file → local checkout or copy, for offline renders",
            defaultDoc: "`{}`",
            read: (v, where, { problems, baseDir }) => {
                if (!isPlainObject(v) || Object.values(v).some((d) => typeof d !== "string")) {
                    problems.push(`${where} must map each remote base URL to a local directory`);
                    return undefined;
                }
                return Object.fromEntries(Object.entries(v as Record<string, string>).map(([u, d]) => [u, path.resolve(baseDir, d)]));
            },
        }),
        cacheDir: filePath({
            doc: "the render cache (keyed by a hash of every input file)",
            defaultDoc: "`.kfstack-cache/render`",
            resolve: true,
            output: "folder",
        }),
    }),
    transforms: section({
        imagePullPolicy: choice(PULL_POLICIES, { doc: "`IfNotPresent` for air-gapped clusters", defaultDoc: "keep" }),
        secureCookies: flag({ doc: "`false` when the dashboard is served over plain HTTP (`APP_SECURE_COOKIES`)", defaultDoc: "keep" }),
        storageClass: text({ doc: "`storageClassName` of Kubeflow's claims (with `storage`: its static class)", defaultDoc: "keep" }),
        storageClassOverride: flag({ doc: "set it on claims that name another class too", defaultDoc: "`false`" }),
        ingressServiceType: choice(GATEWAY_SERVICE_TYPES, { doc: "`NodePort`, `LoadBalancer`, `ClusterIP`", defaultDoc: "from `cluster.type`" }),
        istioJwtPolicy: choice(ISTIO_JWT_POLICIES, { doc: "`first-party-jwt` for clusters without TokenRequest", defaultDoc: "keep" }),
        webhookFailurePolicy: choice(WEBHOOK_FAILURE_POLICIES, {
            doc: "`Ignore` only where no pod can serve the webhooks (a control plane without nodes)",
            defaultDoc: "keep",
        }),
        knativeSkipTagResolving: flag({ doc: "add the mirror to Knative's `registries-skipping-tag-resolving`", default: true }),
    }),
    users: shaped<UserSetting[]>({
        doc: "Dex static users `[{email, username, password}]`; passwords are secrets, bcrypt-hashed by the program",
        default: [],
        defaultDoc: "the release's",
        read: (v, where, { problems }) => {
            if (!Array.isArray(v)) {
                problems.push(`${where} must be a list of {email, username, password}`);
                return undefined;
            }
            const users: UserSetting[] = [];
            v.forEach((u, i) => {
                const at = `${where}[${i}]`;
                const ur = isPlainObject(u) ? u : {};
                if (typeof ur.email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(ur.email)) {
                    problems.push(`${at}.email must be an email address, got ${JSON.stringify(ur.email)}`);
                    return;
                }
                for (const f of Object.keys(ur))
                    if (!["email", "username", "password"].includes(f)) problems.push(`${at}.${f} is not a user setting; known: email, username, password`);
                if (ur.password !== undefined && !isSecret(ur.password))
                    problems.push(`${at}.password must be a string secret (${secretHint(`${at}.password`)})`);
                users.push({
                    email: ur.email,
                    username: typeof ur.username === "string" ? ur.username : ur.email.split("@")[0],
                    hasPassword: ur.password !== undefined,
                });
            });
            if (new Set(users.map((u) => u.email)).size !== users.length) problems.push(`${where} lists an email twice`);
            return users;
        },
    }),
    profiles: shaped<ProfileSetting[]>({
        doc: "`[{name, owner}]`: Kubeflow Profiles created last",
        default: [],
        read: (v, where, { problems }) => {
            if (!Array.isArray(v)) {
                problems.push(`${where} must be a list of {name, owner}`);
                return undefined;
            }
            const profiles: ProfileSetting[] = [];
            v.forEach((p, i) => {
                const pr = isPlainObject(p) ? p : {};
                if (typeof pr.name !== "string" || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(pr.name)) {
                    problems.push(`${where}[${i}].name must be a DNS label (a namespace name), got ${JSON.stringify(pr.name)}`);
                } else if (typeof pr.owner !== "string" || !pr.owner.includes("@")) {
                    problems.push(`${where}[${i}].owner must be the owner's email, got ${JSON.stringify(pr.owner)}`);
                } else profiles.push({ name: pr.name, owner: pr.owner });
            });
            return profiles;
        },
    }),
    admission: section({
        enabled: flag({
            doc: "install the mirror-only ValidatingAdmissionPolicies (Kubernetes ≥ 1.30)",
            defaultDoc: "`true` (`false` when `serverVersion` < 1.30)",
        }),
        actions: textList({ doc: "`[Deny]`, or `[Warn, Audit]`", defaultDoc: "`[Deny]`", default: ["Deny"], allowed: ["Deny", "Warn", "Audit"] }),
        exemptNamespaces: textList({
            doc: "namespaces the policies do not apply to",
            default: ["kube-system", "kube-public", "kube-node-lease"],
            item: { re: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, what: "a namespace name (lower-case letters, digits and '-', at most 63)" },
        }),
        serverVersion: text({
            doc: "the cluster's Kubernetes version, to tell older clusters apart",
            pattern: /^v?1\.(\d+)(?:\.\d+)?$/,
            hint: "give the cluster's Kubernetes version, e.g. 1.31",
        }),
    }),
    storage: section({
        staticClass: text({ doc: "on-prem: the class of the pre-bound volumes", default: "local-storage" }),
        volumeType: choice(VOLUME_TYPES, { doc: "on-prem: `local` (node affinity) or `hostPath`", default: "local" }),
        basePath: filePath({ doc: "on-prem: each claim's directory is `<basePath>/<namespace>/<claim>`", default: "/var/lib/kubeflow", absolute: true }),
        node: text({ doc: "on-prem: the node of the local volumes", defaultDoc: "required for `local` unless every claim names one" }),
        claims: shaped<Record<string, ClaimSetting>>({
            doc: 'on-prem: `{"<ns>/<claim>": {node, path, size}}` per claim',
            default: {},
            defaultDoc: "`{}`",
            read: (v, where, { problems }) => {
                if (!isPlainObject(v)) {
                    problems.push(`${where} must map NAMESPACE/CLAIM to {node, path, size}`);
                    return undefined;
                }
                const claims: Record<string, ClaimSetting> = {};
                for (const [ck, cv] of Object.entries(v)) {
                    const at = `${where}.${ck}`;
                    if (!/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(ck)) problems.push(`${at}: name a claim as NAMESPACE/NAME`);
                    if (!isPlainObject(cv)) {
                        problems.push(`${at} must be {node, path, size}`);
                        continue;
                    }
                    const unknown = Object.keys(cv).filter((f) => !["node", "path", "size"].includes(f));
                    if (unknown.length > 0) problems.push(`${at}.${unknown[0]} is not a setting of a claim; known: node, path, size`);
                    if (cv.path !== undefined && (typeof cv.path !== "string" || !cv.path.startsWith("/")))
                        problems.push(`${at}.path ${JSON.stringify(cv.path)} must be an absolute path`);
                    if (cv.size !== undefined && (typeof cv.size !== "string" || quantityBytes(cv.size) === undefined))
                        problems.push(`${at}.size ${JSON.stringify(cv.size)} is not a quantity (e.g. 20Gi)`);
                    if (cv.node !== undefined && typeof cv.node !== "string") problems.push(`${at}.node must be a node name`);
                    claims[ck] = { node: cv.node as string | undefined, path: cv.path as string | undefined, size: cv.size as string | undefined };
                }
                return claims;
            },
        }),
        dynamic: choice(DYNAMIC_PROVISIONERS, { doc: "on-prem: users' volumes from `local-path`, `nfs` or `none`", default: "local-path" }),
        dynamicDefault: flag({ doc: "on-prem: the dynamic class is the cluster's default", default: true }),
        localPathDir: filePath({ doc: "on-prem: where local-path-provisioner makes volumes", default: "/opt/local-path-provisioner", absolute: true }),
        nfs: shaped<{ readonly server: string; readonly path: string }>({
            doc: "on-prem: `{server, path}` for `dynamic: nfs`",
            read: (v, where, { problems }) => {
                if (!isPlainObject(v) || typeof v.server !== "string" || typeof v.path !== "string" || !v.path.startsWith("/")) {
                    problems.push(`${where} must be {server: HOST, path: /EXPORT}`);
                    return undefined;
                }
                return { server: v.server, path: v.path };
            },
        }),
        protect: flag({ doc: "on-prem: `protect` the volumes", default: true }),
    }),
    upgrade: section({
        deleteData: textList({
            doc: "data objects (claims, volumes, StatefulSets with claims, CRDs) the release no longer has that an `up` may delete, as `Kind/NAMESPACE/NAME` or `Kind/NAME`; the others are kept",
            default: [],
            defaultDoc: "none: every one is kept",
            item: DATA_NAME,
        }),
        replaceData: textList({
            doc: "data objects an `up` may replace (delete and create again, losing their data) when a field Kubernetes cannot change in place changes",
            default: [],
            defaultDoc: "none: such an update is refused",
            item: DATA_NAME,
        }),
    }),
    skipAwait: flag({ doc: "annotate every object `pulumi.com/skipAwait`", default: false }),
    patchForce: flag({ doc: "annotate every object `pulumi.com/patchForce`: take back fields changed with kubectl", default: true }),
};

export type Schema = typeof SCHEMA;
/** The parsed values of one section of the schema, defaults applied. */
export type SectionValues<K extends keyof Schema> = Schema[K] extends Section<infer F> ? Values<F> : never;

/** Whether a top-level entry is a section (an object of fields) or a setting of its own. */
export function isSection(entry: Section<Record<string, AnyField>> | AnyField): entry is Section<Record<string, AnyField>> {
    return "fields" in entry;
}

/** The defaults of a section's fields. */
export function defaultsOf<F extends Record<string, AnyField>>(s: Section<F>): Values<F> {
    return Object.fromEntries(Object.entries(s.fields).map(([f, d]) => [f, d.default])) as Values<F>;
}

/** The EKS cluster's defaults (`kfstack:cluster.*`), for `EksCluster` built without the stack config. */
export const EKS_DEFAULTS = (() => {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { type, ...eks } = defaultsOf(SCHEMA.cluster);
    return eks;
})();

/** Every setting kfstack knows: top-level keys and their fields (null: the key is the setting). */
export const KNOWN: Readonly<Record<string, readonly string[] | null>> = Object.fromEntries(
    Object.entries(SCHEMA).map(([k, entry]) => [k, isSection(entry) ? Object.keys(entry.fields) : null]),
);

/** Settings a field alone cannot check: `kfUserPolicies` allowing `*`. */
export function kfUserPolicyProblems(policies: readonly IrsaPolicy[]): string[] {
    return policies.flatMap((p, i) =>
        typeof p === "object" && allowsEveryAction(JSON.stringify(p))
            ? [`${key("cluster", "kfUserPolicies", i)} allows the action "*"; kf-user is every notebook's role, give it the actions it needs`]
            : [],
    );
}
