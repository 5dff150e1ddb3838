/**
 * `kfstack audit [--kubeconfig F] [--context C] --mirror REGISTRY[/PREFIX]...`: the rules of
 * `kfstack check`, on what a live cluster holds instead of what is planned. Every kind the
 * API server lists (discovery: the core group and the preferred version of every other,
 * custom resources included) is read page by page through the Kubernetes client library;
 * the objects go through the same image discovery and the same rule. Exit 1 when any image
 * is not served from a mirror (each named with its object and path).
 */
import type * as K8s from "@kubernetes/client-node";
import * as fs from "fs";
import { InputError, UsageError } from "../core/errors";
import { K8sObject } from "../core";
import { inventoryOfObjects, unsetCodeDefaults, unreadableMessages } from "../images";
import { codeDefaultViolations, mirrorOnlyViolations } from "../check/rules";
import { Mirror } from "../rewrite/mirror";
import { mirrorsOf, Outcome, Parsed } from "./args";
import type { Live } from "./commands";

/** Kinds never read: they hold no images, and some are huge or write-only. */
const SKIP = new Set([
    "Event",
    "Lease",
    "EndpointSlice",
    "Endpoints",
    "TokenReview",
    "SubjectAccessReview",
    "SelfSubjectAccessReview",
    "LocalSubjectAccessReview",
    "SelfSubjectReview",
    "SelfSubjectRulesReview",
    "Binding",
    "ComponentStatus",
]);
const PAGE = 500;

interface Kind {
    readonly apiVersion: string;
    readonly kind: string;
}

/** What the audit of a set of objects finds: the same lines `kfstack check` prints. */
export function auditObjects(objects: K8sObject[], mirrors: Mirror[], source: string): string[] {
    const inv = inventoryOfObjects(objects);
    return [
        ...mirrorOnlyViolations(inv.findings, mirrors).map((v) => v.message),
        ...codeDefaultViolations(unsetCodeDefaults(inv.documents, inv.findings), mirrors).map((v) => v.message),
        ...unreadableMessages(inv.unreadable, source, inv.documents),
    ];
}

function loadClient(): typeof K8s {
    // The client library is an ES module; loaded when `audit` runs, never by other commands.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@kubernetes/client-node") as typeof K8s;
}

export function errorText(e: unknown): string {
    const err = e as { code?: number; body?: string; message?: string; cause?: { code?: string } };
    if (err.cause?.code) return err.cause.code;
    if (err.code) return `HTTP ${err.code}`;
    return (err.message ?? String(e)).split("\n")[0].slice(0, 200);
}

/** Every listable kind: core v1 and the preferred version of each API group. */
async function discover(k8s: typeof K8s, kc: K8s.KubeConfig): Promise<Kind[]> {
    const kinds: Kind[] = [];
    const add = (apiVersion: string, list: K8s.V1APIResourceList) => {
        for (const r of list.resources) {
            if (r.name.includes("/") || !r.verbs.includes("list") || SKIP.has(r.kind)) continue;
            kinds.push({ apiVersion, kind: r.kind });
        }
    };
    add("v1", await kc.makeApiClient(k8s.CoreV1Api).getAPIResources());
    const groups = await kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    for (const g of groups.groups) {
        const v = g.preferredVersion ?? g.versions[0];
        if (!v) continue;
        add(v.groupVersion, await custom.getAPIResources({ group: g.name, version: v.version }));
    }
    return kinds;
}

/** A kubeconfig's client configuration; throws InputError naming the flag. */
export function loadKubeConfig(kubeconfig: string | undefined, context: string | undefined): { k8s: typeof K8s; kc: K8s.KubeConfig; server: string } {
    const k8s = loadClient();
    const kc = new k8s.KubeConfig();
    if (kubeconfig) {
        if (!fs.existsSync(kubeconfig)) throw new InputError(`--kubeconfig ${kubeconfig}: no such file`, kubeconfig);
        kc.loadFromFile(kubeconfig);
    } else kc.loadFromDefault();
    if (context) {
        if (!kc.getContexts().some((c) => c.name === context))
            throw new InputError(
                `--context ${context}: the kubeconfig has no such context (it has ${
                    kc
                        .getContexts()
                        .map((c) => c.name)
                        .join(", ") || "none"
                })`,
                context,
            );
        kc.setCurrentContext(context);
    }
    const server = kc.getCurrentCluster()?.server ?? "";
    if (!server) throw new InputError("no cluster in the kubeconfig; give --kubeconfig FILE (and --context NAME)", "--kubeconfig");
    return { k8s, kc, server };
}

/** What the API server serves: `apiVersion kind` of every version of every group, and subresources as `apiVersion resource/sub`. */
export async function servedApis(k8s: typeof K8s, kc: K8s.KubeConfig): Promise<Set<string>> {
    const served = new Set<string>();
    const add = (apiVersion: string, list: K8s.V1APIResourceList) => {
        for (const r of list.resources) served.add(r.name.includes("/") ? `${apiVersion} ${r.name}` : `${apiVersion} ${r.kind}`);
    };
    add("v1", await kc.makeApiClient(k8s.CoreV1Api).getAPIResources());
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    for (const g of (await kc.makeApiClient(k8s.ApisApi).getAPIVersions()).groups) {
        for (const v of g.versions) add(v.groupVersion, await custom.getAPIResources({ group: g.name, version: v.version }));
    }
    return served;
}

/** Reads every object of the cluster, page by page; kinds it may not list are reported, not fatal. */
export async function readCluster(
    kubeconfig: string | undefined,
    context: string | undefined,
    say: (l: string) => void,
    pageSize = PAGE,
): Promise<{ objects: K8sObject[]; skipped: string[]; server: string }> {
    const { k8s, kc, server } = loadKubeConfig(kubeconfig, context);
    let kinds: Kind[];
    try {
        kinds = await discover(k8s, kc);
    } catch (e) {
        throw new InputError(
            `cannot read the API server at ${server}: ${errorText(e)}; check --kubeconfig/--context and that the cluster is reachable`,
            server,
        );
    }
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    const objects: K8sObject[] = [];
    const skipped: string[] = [];
    let done = 0;
    for (const k of kinds) {
        let token: string | undefined;
        try {
            do {
                const page = await api.list(k.apiVersion, k.kind, undefined, undefined, undefined, undefined, undefined, undefined, pageSize, token);
                for (const item of page.items) {
                    const o = { ...item, apiVersion: item.apiVersion ?? k.apiVersion, kind: item.kind ?? k.kind } as unknown as K8sObject;
                    // Server-side bookkeeping holds no images and is most of an object's size.
                    if (o.metadata) delete (o.metadata as Record<string, unknown>).managedFields;
                    objects.push(o);
                }
                token = page.metadata?._continue || undefined;
            } while (token);
        } catch (e) {
            skipped.push(`${k.apiVersion} ${k.kind}: ${errorText(e)}`);
        }
        done++;
        if (done % 20 === 0 || done === kinds.length) say(`kfstack audit: ${done}/${kinds.length} kinds read, ${objects.length} objects`);
    }
    return { objects, skipped, server };
}

export async function auditCommand(p: Parsed, live: Live): Promise<Outcome> {
    if (p.positional.length > 0)
        throw new UsageError(`'kfstack audit' reads the cluster, not a FILE (got ${p.positional.join(" ")}); use 'kfstack check' for files`);
    const mirrors = mirrorsOf(p, true);
    const { objects, skipped, server } = await readCluster(p.flags.get("--kubeconfig")?.[0], p.flags.get("--context")?.[0], live.progress);
    const lines = auditObjects(objects, mirrors, server);
    const where = mirrors.map((m) => m.location).join(", ");
    const summary =
        (lines.length === 0
            ? `kfstack audit: ${objects.length} objects in ${server}: every image is served from ${where}\n`
            : `kfstack audit: ${lines.length} problem${lines.length > 1 ? "s" : ""} in ${objects.length} objects of ${server}: images not served from ${where}, or values that cannot be read\n`) +
        skipped.map((s) => `kfstack audit: not read (${s})\n`).join("");
    return { stdout: lines.map((l) => l + "\n").join(""), stderr: summary, code: lines.length === 0 ? 0 : 1 };
}
