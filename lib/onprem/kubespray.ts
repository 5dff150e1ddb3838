/**
 * kubespray inventory variables that make every node pull through the mirror. Sources (the
 * kubernetes-sigs/kubespray repository, role roles/container-engine/containerd):
 * - `containerd_registries_mirrors`: defaults/main.yml; rendered per prefix into
 *   /etc/containerd/certs.d/<prefix>/hosts.toml by templates/hosts.toml.j2, which writes
 *   `server` (default `https://<prefix>`) and per mirror `host`, `capabilities`, `skip_verify`,
 *   `override_path` — and, from v2.28, `ca` and `client`, from v2.29 `header` (a field the
 *   template does not know is silently dropped: it never reaches a node);
 * - `containerd_registry_auth`: templates/config.toml.j2 (v2.27, every containerd) and
 *   templates/config-v1.toml.j2 (v2.28 on, containerd 1.x only): the CRI plugin's
 *   `registry.configs."<host>".auth` — the kubelet's pulls only, not `ctr`/`nerdctl`;
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

/** The registries Kubeflow's releases and kubespray's own images come from. */
export const PUBLIC_REGISTRIES = ["docker.io", "gcr.io", "ghcr.io", "k8s.gcr.io", "nvcr.io", "quay.io", "registry.k8s.io"];

/** The registries kubespray itself pulls from (its `*_image_repo` defaults and their images). */
export const KUBESPRAY_REGISTRIES = ["docker.io", "gcr.io", "ghcr.io", "quay.io", "registry.k8s.io"];

/** A per-mirror field of hosts.toml.j2 beyond host, capabilities, skip_verify and override_path. */
export type MirrorField = "ca" | "client" | "header";

/**
 * What each kubespray release's containerd role writes, oldest first: the per-mirror fields
 * of hosts.toml.j2, and whether `containerd_registry_auth` reaches containerd 2.x.
 */
export const KUBESPRAY_RELEASES: readonly { readonly version: string; readonly fields: readonly MirrorField[]; readonly registryAuthOn2x: boolean }[] = [
    { version: "2.27", fields: [], registryAuthOn2x: true },
    { version: "2.28", fields: ["ca", "client"], registryAuthOn2x: false },
    { version: "2.29", fields: ["ca", "client", "header"], registryAuthOn2x: false },
    { version: "2.30", fields: ["ca", "client", "header"], registryAuthOn2x: false },
    { version: "2.31", fields: ["ca", "client", "header"], registryAuthOn2x: false },
];

/** The newest release kfstack knows: the default of `--kubespray-version`. */
export const NEWEST_KUBESPRAY = KUBESPRAY_RELEASES[KUBESPRAY_RELEASES.length - 1].version;

/** The release entry for `2.29`, `v2.29.1` or `2.29.0`; a newer one than known counts as the newest. */
export function kubesprayRelease(version: string): (typeof KUBESPRAY_RELEASES)[number] | undefined {
    const m = /^v?2\.(\d+)(\.\d+)?$/.exec(version.trim());
    if (!m) return undefined;
    const minor = Number(m[1]);
    const known = KUBESPRAY_RELEASES.filter((r) => Number(r.version.split(".")[1]) <= minor);
    return known[known.length - 1];
}

/** Where the nodes keep the mirror's CA when hosts.toml names it (`ca`): beside the mirror's own hosts.toml. */
export function caPathOnNodes(mirror: Mirror, configDir = "/etc/containerd"): string {
    return `${configDir}/certs.d/${mirror.host}/kfstack-mirror-ca.crt`;
}

export interface MirrorHostsOptions {
    readonly mirror: Mirror;
    /** The source registries to pull through the mirror. @default PUBLIC_REGISTRIES */
    readonly registries?: readonly string[];
    /** The mirror speaks plain HTTP. @default false */
    readonly plainHttp?: boolean;
    /** The mirror's credentials (an Authorization header, or `containerd_registry_auth`). @default none */
    readonly auth?: Credentials;
    /** The mirror's CA certificate (PEM), when the nodes do not trust its signer. @default none */
    readonly caPem?: string;
    /** The per-mirror fields the consumer writes. @default every field (containerd itself reads them all) */
    readonly fields?: readonly MirrorField[];
    /** containerd's configuration folder on the nodes. @default /etc/containerd */
    readonly configDir?: string;
}

/** One `certs.d/<prefix>/hosts.toml` as data: the fallback server and the mirror entry. */
export interface HostsEntry {
    readonly prefix: string;
    readonly server: string;
    readonly mirrors: {
        readonly host: string;
        readonly capabilities: string[];
        readonly skip_verify: boolean;
        readonly override_path: boolean;
        readonly ca?: string;
        readonly header?: Record<string, string>;
    }[];
}

/**
 * The hosts.toml entries: one per source registry (its pulls rewritten to the mirror's path for
 * it) and one for the mirror host itself (names `kfstack rewrite` produced, `*_image_repo`). The
 * fallback `server` of every entry is the mirror: a miss fails at the mirror, and nothing
 * reaches for a public registry.
 */
export function mirrorHostsEntries(o: MirrorHostsOptions): HostsEntry[] {
    const scheme = o.plainHttp ? "http" : "https";
    const fields = new Set(o.fields ?? ["ca", "client", "header"]);
    const server = `${scheme}://${o.mirror.host}`;
    const base = `${server}/v2${o.mirror.prefix ? `/${o.mirror.prefix}` : ""}`;
    const extras = {
        ...(o.caPem && !o.plainHttp && fields.has("ca") ? { ca: caPathOnNodes(o.mirror, o.configDir) } : {}),
        ...(o.auth && fields.has("header") ? { header: { Authorization: basicAuthorization(o.auth) } } : {}),
    };
    const registries = [...new Set(o.registries ?? PUBLIC_REGISTRIES)].filter((r) => r !== o.mirror.host).sort();
    return [
        ...registries.map((prefix) => ({
            prefix,
            server,
            mirrors: [{ host: `${base}/${hostComponent(prefix)}`, capabilities: ["pull", "resolve"], skip_verify: false, override_path: true, ...extras }],
        })),
        { prefix: o.mirror.host, server, mirrors: [{ host: server, capabilities: ["pull", "resolve"], skip_verify: false, override_path: false, ...extras }] },
    ];
}

function basicAuthorization(c: Credentials): string {
    return "Basic " + Buffer.from(`${c.username}:${c.password}`).toString("base64");
}

/** A TOML basic string. */
function tomlString(s: string): string {
    return JSON.stringify(s);
}

/** One entry as containerd's hosts.toml (https://github.com/containerd/containerd/blob/main/docs/hosts.md). */
export function hostsToml(e: HostsEntry): string {
    const lines = [`server = ${tomlString(e.server)}`, ""];
    for (const m of e.mirrors) {
        lines.push(`[host.${tomlString(m.host)}]`);
        lines.push(`  capabilities = [${m.capabilities.map(tomlString).join(", ")}]`);
        lines.push(`  skip_verify = ${m.skip_verify}`);
        lines.push(`  override_path = ${m.override_path}`);
        if (m.ca) lines.push(`  ca = [${tomlString(m.ca)}]`);
        if (m.header) {
            lines.push(`  [host.${tomlString(m.host)}.header]`);
            for (const [k, v] of Object.entries(m.header)) lines.push(`    ${k} = [${tomlString(v)}]`);
        }
        lines.push("");
    }
    return lines.join("\n");
}

export interface KubesprayOptions extends Omit<MirrorHostsOptions, "fields"> {
    /** The kubespray release the inventory is for. @default NEWEST_KUBESPRAY */
    readonly kubesprayVersion?: string;
}

/** The group_vars YAML (with comments saying where each part goes, what each release supports, and why). */
export function kubesprayVars(o: KubesprayOptions): string {
    const release = kubesprayRelease(o.kubesprayVersion ?? NEWEST_KUBESPRAY) ?? KUBESPRAY_RELEASES[KUBESPRAY_RELEASES.length - 1];
    const fields = release.fields;
    const entries = mirrorHostsEntries({ ...o, fields });
    const repo = (host: string) => `${o.mirror.location}/${hostComponent(host)}`;
    const authByHeader = !!o.auth && fields.includes("header");
    const vars = {
        containerd_registries_mirrors: entries,
        ...(o.auth && !authByHeader ? { containerd_registry_auth: [{ registry: o.mirror.host, username: o.auth.username, password: o.auth.password }] } : {}),
        kube_image_repo: repo("registry.k8s.io"),
        gcr_image_repo: repo("gcr.io"),
        docker_image_repo: repo("docker.io"),
        quay_image_repo: repo("quay.io"),
        github_image_repo: repo("ghcr.io"),
    };
    const sources = entries.slice(0, -1).map((e) => e.prefix);
    const caHash = o.caPem ? crypto.createHash("sha256").update(o.caPem).digest("hex").slice(0, 16) : "";
    const header = [
        `# kfstack kubespray-vars (kubespray ${release.version}): every node pulls ${sources.join(", ")} and ${o.mirror.host} itself through ${o.mirror.location}.`,
        `# Put this in inventory/<cluster>/group_vars/all/containerd.yml (kubespray with containerd and hosts.toml).`,
        `# Every entry's server is the mirror: an image the mirror lacks fails there, nothing reaches for a public registry.`,
        `# Pitfalls: keep containerd's config_path to certs.d (kubespray's default) and do not also set the`,
        `# deprecated containerd_registries / containerd_insecure_registries: containerd refuses config_path`,
        `# combined with the old [plugins."io.containerd.grpc.v1.cri".registry.mirrors] tables.`,
        ...(o.auth
            ? [
                  `# The mirror's password is in clear below: encrypt this file with ansible-vault.`,
                  ...(authByHeader
                      ? [`# Credentials: an Authorization header on each mirror (kubespray >= 2.29 writes it): every pull, ctr and nerdctl too.`]
                      : [
                            `# Credentials: containerd_registry_auth, because kubespray ${release.version}'s hosts.toml template has no header field.`,
                            `# Limits: it reaches the CRI plugin only (the kubelet's pulls; not ctr or nerdctl)${release.registryAuthOn2x ? "" : `, and kubespray ${release.version} renders it for containerd 1.x only: with containerd 2.x use kubespray >= 2.29 (--kubespray-version)`}.`,
                        ]),
              ]
            : []),
        ...(o.caPem && !o.plainHttp
            ? fields.includes("ca")
                ? [
                      `# The mirror's CA (sha256 ${caHash}…) is named by each mirror's ca field: copy it to ${caPathOnNodes(o.mirror)}`,
                      `# on every node before cluster.yml (an ansible copy task); kubespray does not copy it.`,
                  ]
                : [
                      `# The mirror's CA (sha256 ${caHash}…): kubespray ${release.version}'s hosts.toml template has no ca field (2.28 added it), so the`,
                      `# nodes must trust it: copy it to /usr/local/share/ca-certificates/kfstack-mirror.crt (Debian/Ubuntu,`,
                      `# then update-ca-certificates) or /etc/pki/ca-trust/source/anchors/ (RHEL, then update-ca-trust) on`,
                      `# every node before cluster.yml, e.g. with an ansible copy task; containerd uses the system trust store.`,
                  ]
            : []),
        "",
    ].join("\n");
    return header + dumpDocument(vars);
}

/** The CRI plugin's lines that point containerd at certs.d, for containerd 1.x and 2.x configs. */
export function containerdConfigSnippets(configDir = "/etc/containerd"): { v1: string; v2: string } {
    return {
        v1: `# containerd 1.x (config.toml version = 2)\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "${configDir}/certs.d"\n`,
        v2: `# containerd 2.x (config.toml version = 3)\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "${configDir}/certs.d"\n`,
    };
}
