/**
 * The stack config reference: one row per setting of `KNOWN` (lib/config/settings.ts), with
 * its meaning and default. The README's table is generated from it (`npm run docs:config`) and
 * a test fails when the two, or this list and `KNOWN`, diverge.
 */
import { KNOWN } from "./settings";
import { DEFAULT_COPY_JOBS } from "../mirror/defaults";

export interface SettingDoc {
    /** `mirror.registry`, or `users` for a setting without fields. */
    readonly key: string;
    readonly meaning: string;
    readonly default: string;
}

export const SETTINGS: readonly SettingDoc[] = [
    { key: "manifests.path", meaning: "a kubeflow/manifests checkout (any release, 1.4 → 26.03)", default: "required (or `git` + `ref`)" },
    { key: "manifests.git", meaning: "clone this URL (users with network)", default: "—" },
    { key: "manifests.ref", meaning: "the tag or commit to clone", default: "required with `git`" },
    { key: "manifests.example", meaning: "the folder of the example kustomization", default: "`example`" },
    {
        key: "mirror.registry",
        meaning: "`REGISTRY[/PREFIX]` every image is served from (ECR: `ACCOUNT.dkr.ecr.REGION.<partition DNS suffix>[/PREFIX]`)",
        default: "required",
    },
    {
        key: "mirror.type",
        meaning:
            "`none` (filled elsewhere, e.g. `kfstack mirror copy`), `registry` (any OCI registry, filled by `pulumi up`), `ecr` (ECR repositories created and filled)",
        default: "`none`",
    },
    {
        key: "mirror.engine",
        meaning: "`skopeo` (every platform, digests kept) or `docker` (a Docker host; one platform, new digests; digest-pinned images refused)",
        default: "`skopeo`",
    },
    { key: "mirror.jobs", meaning: "images copied at once", default: String(DEFAULT_COPY_JOBS) },
    { key: "mirror.protect", meaning: "`protect` the ECR repositories", default: "`false`" },
    { key: "mirror.plainHttp", meaning: "plain HTTP to the mirror (a lab registry)", default: "`false`" },
    { key: "mirror.sourcePlainHttp", meaning: "plain HTTP to the source registries (a lab)", default: "`false`" },
    { key: "mirror.username", meaning: "the `registry` mirror's user", default: "anonymous" },
    { key: "mirror.password", meaning: "its password, a secret (`pulumi config set --secret --path 'kfstack:mirror.password'`)", default: "—" },
    { key: "mirror.deleteImages", meaning: "`pulumi destroy` deletes the images from the mirror too", default: "`false`" },
    { key: "cluster.type", meaning: "`onprem` (the kubeconfig's cluster) or `eks` (built by the stack)", default: "`onprem`" },
    { key: "cluster.name", meaning: "EKS: the cluster's name (in the IRSA role names)", default: "`kubeflow`" },
    { key: "cluster.version", meaning: "EKS: the Kubernetes version", default: "`1.33`" },
    { key: "cluster.instanceType", meaning: "EKS: the node group's instance type", default: "`t3.medium`" },
    { key: "cluster.desiredSize", meaning: "EKS: nodes wanted", default: "4" },
    { key: "cluster.minSize", meaning: "EKS: fewest nodes", default: "1" },
    { key: "cluster.maxSize", meaning: "EKS: most nodes", default: "6" },
    { key: "cluster.diskSizeGiB", meaning: "EKS: each node's disk", default: "100" },
    { key: "cluster.sshKeyName", meaning: "EKS: an EC2 key pair for SSH to the nodes", default: "none (SSM only)" },
    { key: "cluster.vpcCidr", meaning: "EKS: the new VPC's /16", default: "`10.0.0.0/16`" },
    { key: "cluster.subnetIds", meaning: "EKS: existing `{public, private}` subnets instead of a new VPC", default: "none" },
    { key: "cluster.excludeAzs", meaning: "EKS: zones EKS does not support in the region (e.g. `cn-north-1d`)", default: "`[]`" },
    { key: "cluster.kfAdminPolicies", meaning: "EKS: policies of the `kf-admin` IRSA role (managed policy ARNs or inline documents)", default: "`[]`" },
    { key: "cluster.kfUserPolicies", meaning: "EKS: policies of the `kf-user` IRSA role (no `*` action)", default: "`[]`" },
    { key: "apps.enabled", meaning: "app names to keep (unknown names are errors)", default: "all" },
    { key: "apps.disabled", meaning: "app names to drop", default: "none" },
    { key: "apps.extra", meaning: "`[{name, path, after: [apps]}]`: your own kustomize folders", default: "`[]`" },
    { key: "kustomize.binary", meaning: "`kustomize`, `kubectl`, or a path", default: "kustomize on PATH, `.tools/bin/kustomize`, kubectl" },
    { key: "kustomize.remotes", meaning: "remote base URL or file → local checkout or copy, for offline renders", default: "`{}`" },
    { key: "kustomize.cacheDir", meaning: "the render cache (keyed by a hash of every input file)", default: "`.kfstack-cache/render`" },
    { key: "transforms.imagePullPolicy", meaning: "`IfNotPresent` for air-gapped clusters", default: "keep" },
    { key: "transforms.secureCookies", meaning: "`false` when the dashboard is served over plain HTTP (`APP_SECURE_COOKIES`)", default: "keep" },
    { key: "transforms.storageClass", meaning: "`storageClassName` of Kubeflow's claims (with `storage`: its static class)", default: "keep" },
    { key: "transforms.storageClassOverride", meaning: "set it on claims that name another class too", default: "`false`" },
    { key: "transforms.ingressServiceType", meaning: "`NodePort`, `LoadBalancer`, `ClusterIP`", default: "from `cluster.type`" },
    { key: "transforms.istioJwtPolicy", meaning: "`first-party-jwt` for clusters without TokenRequest", default: "keep" },
    { key: "transforms.webhookFailurePolicy", meaning: "`Ignore` only where no pod can serve the webhooks (a control plane without nodes)", default: "keep" },
    { key: "transforms.knativeSkipTagResolving", meaning: "add the mirror to Knative's `registries-skipping-tag-resolving`", default: "`true`" },
    {
        key: "users",
        meaning: "Dex static users `[{email, username, password}]`; passwords are secrets, bcrypt-hashed by the program",
        default: "the release's",
    },
    { key: "profiles", meaning: "`[{name, owner}]`: Kubeflow Profiles created last", default: "`[]`" },
    {
        key: "admission.enabled",
        meaning: "install the mirror-only ValidatingAdmissionPolicies (Kubernetes ≥ 1.30)",
        default: "`true` (`false` when `serverVersion` < 1.30)",
    },
    { key: "admission.actions", meaning: "`[Deny]`, or `[Warn, Audit]`", default: "`[Deny]`" },
    { key: "admission.exemptNamespaces", meaning: "namespaces the policies do not apply to", default: "`kube-system`, `kube-public`, `kube-node-lease`" },
    { key: "admission.serverVersion", meaning: "the cluster's Kubernetes version, to tell older clusters apart", default: "—" },
    { key: "storage.staticClass", meaning: "on-prem: the class of the pre-bound volumes", default: "`local-storage`" },
    { key: "storage.volumeType", meaning: "on-prem: `local` (node affinity) or `hostPath`", default: "`local`" },
    { key: "storage.basePath", meaning: "on-prem: each claim's directory is `<basePath>/<namespace>/<claim>`", default: "`/var/lib/kubeflow`" },
    { key: "storage.node", meaning: "on-prem: the node of the local volumes", default: "required for `local` unless every claim names one" },
    { key: "storage.claims", meaning: 'on-prem: `{"<ns>/<claim>": {node, path, size}}` per claim', default: "`{}`" },
    { key: "storage.dynamic", meaning: "on-prem: users' volumes from `local-path`, `nfs` or `none`", default: "`local-path`" },
    { key: "storage.dynamicDefault", meaning: "on-prem: the dynamic class is the cluster's default", default: "`true`" },
    { key: "storage.localPathDir", meaning: "on-prem: where local-path-provisioner makes volumes", default: "`/opt/local-path-provisioner`" },
    { key: "storage.nfs", meaning: "on-prem: `{server, path}` for `dynamic: nfs`", default: "—" },
    { key: "storage.protect", meaning: "on-prem: `protect` the volumes", default: "`true`" },
    { key: "skipAwait", meaning: "annotate every object `pulumi.com/skipAwait`", default: "`false`" },
    { key: "patchForce", meaning: "annotate every object `pulumi.com/patchForce`: take back fields changed with kubectl", default: "`true`" },
];

/** Every setting `KNOWN` has, as `SETTINGS` names them. */
export function knownKeys(): string[] {
    return Object.entries(KNOWN).flatMap(([k, fields]) => (fields ? fields.map((f) => `${k}.${f}`) : [k]));
}

export const REFERENCE_START = "<!-- config-reference:start -->";
export const REFERENCE_END = "<!-- config-reference:end -->";

/** The README table. */
export function referenceTable(): string {
    const esc = (s: string) => s.replace(/\|/g, "\\|");
    return [
        REFERENCE_START,
        "| key | meaning | default |",
        "| --- | --- | --- |",
        ...SETTINGS.map((s) => `| \`kfstack:${s.key}\` | ${esc(s.meaning)} | ${esc(s.default)} |`),
        REFERENCE_END,
    ].join("\n");
}

/** The README with its reference block replaced by the generated one. */
export function withReference(readme: string): string {
    const start = readme.indexOf(REFERENCE_START);
    const end = readme.indexOf(REFERENCE_END);
    if (start < 0 || end < 0) throw new Error(`README.md has no ${REFERENCE_START} ... ${REFERENCE_END} block`);
    return readme.slice(0, start) + referenceTable() + readme.slice(end + REFERENCE_END.length);
}
