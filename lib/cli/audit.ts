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
import * as os from "os";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { InputError, KfstackError, UsageError } from "../core/errors";
import { InterruptedError, untilStopped } from "../core/interrupt";
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

/** A loaded kubeconfig and a deadline for each call to its API server. */
export interface ApiSession {
    readonly k8s: typeof K8s;
    readonly kc: K8s.KubeConfig;
    readonly server: string;
    /** One API call, failing with the server named when it takes longer than the deadline. */
    call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

/** The kubeconfig (`--kubeconfig`, `--context`) and the deadline (`--timeout`) of a command. */
export function apiSession(p: Parsed): ApiSession {
    return sessionFor(p.flags.get("--kubeconfig")?.[0], p.flags.get("--context")?.[0], apiTimeoutOf(p));
}

/** A session on a kubeconfig file (or the default one) with `ms` for each call. */
export function sessionFor(kubeconfig: string | undefined, context: string | undefined, ms = DEFAULT_API_TIMEOUT_S * 1000): ApiSession {
    const { k8s, kc, server } = loadKubeConfig(kubeconfig, context);
    return { k8s, kc, server, call: (what, fn) => withDeadline(fn(), ms, server, what) };
}

/** Every listable kind: core v1 and the preferred version of each API group. */
async function discover(api: ApiSession): Promise<Kind[]> {
    const { k8s, kc, server } = api;
    const kinds: Kind[] = [];
    const add = (apiVersion: string, list: K8s.V1APIResourceList) => {
        for (const r of resourcesOf(list, server, apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`)) {
            if (r.name.includes("/") || !r.verbs?.includes("list") || SKIP.has(r.kind)) continue;
            kinds.push({ apiVersion, kind: r.kind });
        }
    };
    add("v1", await api.call("/api/v1", () => kc.makeApiClient(k8s.CoreV1Api).getAPIResources()));
    const groups = await api.call("/apis", () => kc.makeApiClient(k8s.ApisApi).getAPIVersions());
    if (!Array.isArray(groups?.groups))
        throw new InputError(`${server} did not answer /apis as a Kubernetes API server does; is it the cluster's API server?`, server);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    for (const g of groups.groups) {
        const v = g.preferredVersion ?? g.versions?.[0];
        if (!v) continue;
        add(v.groupVersion, await api.call(`/apis/${v.groupVersion}`, () => custom.getAPIResources({ group: g.name, version: v.version })));
    }
    return kinds;
}

/** How long one API request may take by default (`--timeout`): a silent server fails well under a minute. */
export const DEFAULT_API_TIMEOUT_S = 20;
const MAX_KUBECONFIG_BYTES = 4 << 20;

/** `--timeout SECONDS` in milliseconds. */
export function apiTimeoutOf(p: Parsed): number {
    const v = p.flags.get("--timeout")?.[0];
    if (v === undefined) return DEFAULT_API_TIMEOUT_S * 1000;
    if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || Number(v) <= 0 || Number(v) > 3600)
        throw new UsageError(`--timeout ${v}: give the seconds one API request may take (0 to 3600)`, "--timeout");
    return Number(v) * 1000;
}

/** `work`, or an InputError naming the server when it does not answer within `ms` (or the run is stopped). */
export function withDeadline<T>(work: Promise<T>, ms: number, server: string, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
            () =>
                reject(
                    new InputError(
                        `the API server at ${server} did not answer ${what} within ${ms / 1000} s; check that it is up and reachable, or give a longer --timeout`,
                        server,
                    ),
                ),
            ms,
        );
    });
    return untilStopped(Promise.race([work, late]), what).finally(() => clearTimeout(timer));
}

/** The kubeconfig file that will be read: --kubeconfig, else $KUBECONFIG's first, else ~/.kube/config. */
function kubeconfigFile(flag: string | undefined): { file: string; named: string } {
    if (flag) return { file: flag, named: `--kubeconfig ${flag}` };
    const env = (process.env.KUBECONFIG ?? "").split(path.delimiter).find((f) => f);
    if (env) return { file: env, named: `KUBECONFIG ${env}` };
    const home = path.join(os.homedir(), ".kube", "config");
    if (fs.existsSync(home)) return { file: home, named: home };
    throw new InputError("no kubeconfig: give --kubeconfig FILE (or set KUBECONFIG, or write ~/.kube/config)", "--kubeconfig");
}

/**
 * A kubeconfig's client configuration; throws InputError naming the file. Its content is never
 * quoted in an error (it holds tokens and passwords): only line numbers and field names.
 */
export function loadKubeConfig(kubeconfig: string | undefined, context: string | undefined): { k8s: typeof K8s; kc: K8s.KubeConfig; server: string } {
    const { file, named } = kubeconfigFile(kubeconfig);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!st) throw new InputError(`${named}: no such file`, file);
    if (!st.isFile()) throw new InputError(`${named}: is ${st.isDirectory() ? "a folder" : "not a regular file"}; name the kubeconfig file itself`, file);
    if (st.size > MAX_KUBECONFIG_BYTES) throw new InputError(`${named}: ${st.size} bytes is no kubeconfig`, file);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new InputError(`${named}: cannot read it (${(e as NodeJS.ErrnoException).code ?? "unreadable"})`, file);
    }
    let doc: unknown;
    try {
        doc = jsyaml.load(text);
    } catch (e) {
        const mark = (e as { mark?: { line?: number } }).mark;
        throw new InputError(`${named}: not YAML${mark?.line !== undefined ? ` (line ${mark.line + 1})` : ""}; a kubeconfig is the YAML kubectl writes`, file);
    }
    const shape = doc as { clusters?: unknown; users?: unknown; contexts?: unknown } | null;
    if (typeof shape !== "object" || shape === null || Array.isArray(shape))
        throw new InputError(
            `${named}: ${text.trim() ? "not a kubeconfig (not a mapping)" : "is empty"}; give the file kubectl uses (kubectl config view --raw)`,
            file,
        );
    for (const key of ["clusters", "users", "contexts"] as const) {
        if (shape[key] !== undefined && shape[key] !== null && !Array.isArray(shape[key])) throw new InputError(`${named}: ${key} must be a list`, file);
    }
    const k8s = loadClient();
    const kc = new k8s.KubeConfig();
    try {
        kc.loadFromString(text);
    } catch (e) {
        // The library's own checks name fields (`clusters[0].name is missing`), never values.
        const why = (e as Error).message.split("\n")[0].slice(0, 120);
        throw new InputError(`${named}: not a usable kubeconfig (${/^[\w[\].]+ is \w+/.test(why) ? why : "malformed entries"})`, file);
    }
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
    if (!server) throw new InputError(`${named}: no cluster for the current context; give --context NAME, or a kubeconfig with a cluster`, "--kubeconfig");
    return { k8s, kc, server };
}

/** A discovery answer's resources, or an error saying the server is no Kubernetes API server. */
function resourcesOf(list: K8s.V1APIResourceList | undefined, server: string, where: string): K8s.V1APIResource[] {
    if (!Array.isArray(list?.resources))
        throw new InputError(`${server} did not answer ${where} as a Kubernetes API server does (no resource list); is it the cluster's API server?`, server);
    return list.resources;
}

/** What the API server serves: `apiVersion kind` of every version of every group, and subresources as `apiVersion resource/sub`. */
export async function servedApis(api: ApiSession): Promise<Set<string>> {
    const { k8s, kc, server } = api;
    const served = new Set<string>();
    const add = (apiVersion: string, list: K8s.V1APIResourceList) => {
        for (const r of resourcesOf(list, server, apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`))
            served.add(r.name.includes("/") ? `${apiVersion} ${r.name}` : `${apiVersion} ${r.kind}`);
    };
    add("v1", await api.call("/api/v1", () => kc.makeApiClient(k8s.CoreV1Api).getAPIResources()));
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const groups = await api.call("/apis", () => kc.makeApiClient(k8s.ApisApi).getAPIVersions());
    if (!Array.isArray(groups?.groups))
        throw new InputError(`${server} did not answer /apis as a Kubernetes API server does; is it the cluster's API server?`, server);
    for (const g of groups.groups) {
        for (const v of g.versions ?? [])
            add(v.groupVersion, await api.call(`/apis/${v.groupVersion}`, () => custom.getAPIResources({ group: g.name, version: v.version })));
    }
    return served;
}

/** Reads every object of the cluster, page by page; kinds it may not list are reported, not fatal. */
export async function readCluster(
    api: ApiSession,
    say: (l: string) => void,
    pageSize = PAGE,
): Promise<{ objects: K8sObject[]; skipped: string[]; server: string }> {
    const { k8s, kc, server } = api;
    let kinds: Kind[];
    try {
        kinds = await discover(api);
    } catch (e) {
        if (e instanceof KfstackError) throw e;
        throw new InputError(
            `cannot read the API server at ${server}: ${errorText(e)}; check --kubeconfig/--context and that the cluster is reachable`,
            server,
        );
    }
    const client = k8s.KubernetesObjectApi.makeApiClient(kc);
    const objects: K8sObject[] = [];
    const skipped: string[] = [];
    let done = 0;
    for (const k of kinds) {
        let token: string | undefined;
        try {
            do {
                const page = await api.call(`a list of ${k.kind} (${k.apiVersion})`, () =>
                    client.list(k.apiVersion, k.kind, undefined, undefined, undefined, undefined, undefined, undefined, pageSize, token),
                );
                for (const item of Array.isArray(page?.items) ? page.items : []) {
                    const o = { ...item, apiVersion: item.apiVersion ?? k.apiVersion, kind: item.kind ?? k.kind } as unknown as K8sObject;
                    // Server-side bookkeeping holds no images and is most of an object's size.
                    if (o.metadata) delete (o.metadata as Record<string, unknown>).managedFields;
                    objects.push(o);
                }
                token = page?.metadata?._continue || undefined;
            } while (token);
        } catch (e) {
            if (e instanceof InterruptedError) throw e;
            // A server gone silent fails the audit (its answer would be incomplete); a kind it refuses is reported.
            if (e instanceof InputError) throw e;
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
    const { objects, skipped, server } = await readCluster(apiSession(p), live.progress);
    const lines = auditObjects(objects, mirrors, server);
    const where = mirrors.map((m) => m.location).join(", ");
    const summary =
        (lines.length === 0
            ? `kfstack audit: ${objects.length} objects in ${server}: every image is served from ${where}\n`
            : `kfstack audit: ${lines.length} problem${lines.length > 1 ? "s" : ""} in ${objects.length} objects of ${server}: images not served from ${where}, or values that cannot be read\n`) +
        skipped.map((s) => `kfstack audit: not read (${s})\n`).join("");
    return { stdout: lines.map((l) => l + "\n").join(""), stderr: summary, code: lines.length === 0 ? 0 : 1 };
}
