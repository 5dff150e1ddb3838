/**
 * kubespray inventory variables that make every node pull through the mirror. Sources (the
 * kubernetes-sigs/kubespray repository):
 * - `containerd_registries_mirrors`: roles/container-engine/containerd/defaults/main.yml, and
 *   docs/CRI/containerd.md; rendered per prefix into /etc/containerd/certs.d/<prefix>/hosts.toml by
 *   roles/container-engine/containerd/templates/hosts.toml.j2, whose per-mirror fields are
 *   `host`, `capabilities`, `skip_verify`, `override_path` and `auth` {username, password}
 *   (written as a Basic authorization header) — and nothing for a CA;
 * - `kube_image_repo`, `gcr_image_repo`, `docker_image_repo`, `quay_image_repo`,
 *   `github_image_repo`: roles/kubespray_defaults/defaults/main/download.yml (the registries
 *   kubespray pulls the cluster's own images from).
 *
 * The mirror rule keeps the source host as a path component (`<mirror>/gcr.io/...`), so each
 * mirror entry points at `https://<mirror host>/v2/<prefix>/<source host>` with
 * `override_path: true`: containerd then asks for `<that path>/<repository>/manifests/...`
 * (https://github.com/containerd/containerd/blob/main/docs/hosts.md#override_path-field).
 */
import * as crypto from "crypto";
import { dumpDocument } from "../core/yaml";
import { hostComponent, Mirror } from "../rewrite/mirror";
import type { Credentials } from "../core/credentials";

/** The public registries of Kubeflow's releases and of kubespray's own images. */
export const PUBLIC_REGISTRIES = [
    "docker.io",
    "gcr.io",
    "ghcr.io",
    "k8s.gcr.io",
    "mcr.microsoft.com",
    "nvcr.io",
    "public.ecr.aws",
    "quay.io",
    "registry.k8s.io",
];

export interface KubesprayOptions {
    readonly mirror: Mirror;
    /** The registries to pull through the mirror. @default PUBLIC_REGISTRIES */
    readonly registries?: readonly string[];
    /** The mirror speaks plain HTTP. @default false */
    readonly plainHttp?: boolean;
    /** The mirror's credentials (hosts.toml authorization header). @default none */
    readonly auth?: Credentials;
    /** The mirror's CA certificate (PEM), when it is not signed by a CA the nodes trust. @default none */
    readonly caPem?: string;
}

/** The group_vars YAML (with comments saying where each part goes and why). */
export function kubesprayVars(o: KubesprayOptions): string {
    const scheme = o.plainHttp ? "http" : "https";
    const base = `${scheme}://${o.mirror.host}/v2${o.mirror.prefix ? `/${o.mirror.prefix}` : ""}`;
    const registries = [...new Set(o.registries ?? PUBLIC_REGISTRIES)].sort();
    const repo = (host: string) => `${o.mirror.location}/${hostComponent(host)}`;
    const mirrors = registries.map((prefix) => ({
        prefix,
        mirrors: [
            {
                host: `${base}/${hostComponent(prefix)}`,
                capabilities: ["pull", "resolve"],
                skip_verify: false,
                override_path: true,
                ...(o.auth ? { auth: { username: o.auth.username, password: o.auth.password } } : {}),
            },
        ],
    }));
    const vars = {
        containerd_registries_mirrors: mirrors,
        kube_image_repo: repo("registry.k8s.io"),
        gcr_image_repo: repo("gcr.io"),
        docker_image_repo: repo("docker.io"),
        quay_image_repo: repo("quay.io"),
        github_image_repo: repo("ghcr.io"),
    };
    const header = [
        `# kfstack kubespray-vars: every node pulls ${registries.join(", ")} through ${o.mirror.location}.`,
        `# Put this in inventory/<cluster>/group_vars/all/containerd.yml (kubespray with containerd and hosts.toml).`,
        `# Pitfalls: keep containerd's config_path to certs.d (kubespray's default) and do not also set the`,
        `# deprecated containerd_registries / containerd_insecure_registries: containerd refuses config_path`,
        `# combined with the old [plugins."io.containerd.grpc.v1.cri".registry.mirrors] tables; kubespray releases`,
        `# before hosts.toml support (containerd_registries_mirrors) ignore these mirrors.`,
        ...(o.auth ? [`# The mirror's password is in clear below: encrypt this file with ansible-vault.`] : []),
        ...(o.caPem
            ? [
                  `# The mirror's CA (sha256 ${crypto.createHash("sha256").update(o.caPem).digest("hex").slice(0, 16)}…): kubespray's hosts.toml template has no CA field, so the`,
                  `# nodes must trust it: copy it to /usr/local/share/ca-certificates/kfstack-mirror.crt (Debian/Ubuntu,`,
                  `# then update-ca-certificates) or /etc/pki/ca-trust/source/anchors/ (RHEL, then update-ca-trust) on`,
                  `# every node before cluster.yml, e.g. with an ansible copy task; containerd uses the system trust store.`,
              ]
            : []),
        "",
    ].join("\n");
    return header + dumpDocument(vars);
}
