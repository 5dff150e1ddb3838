/**
 * `kfstack doctor --config Pulumi.<stack>.yaml [--kubeconfig F] [--context C] [--dest-authfile F] [--skip CHECK]...`:
 * pre-flight checks before `pulumi up`, one line each, OK or FAIL with the fix; exit 1 on any FAIL.
 * Checks: render (offline), mirror (every image with its digest), kubernetes-version,
 * apis-served, admission, token-request, default-storageclass.
 */
import { UsageError } from "../core/errors";
import { admissionCheck, apisCheck, CheckResult, formatChecks, mirrorCheck, storageClassCheck, tokenCheck, versionCheck } from "../check/doctor";
import { K8sObject } from "../core/objects";
import { readAuthFile } from "../mirror/auth";
import { verifyImages } from "../mirror/verify";
import { STACK_PLAIN_HTTP } from "../mirror/clients";
import { preparePlatform } from "../plan";
import { planExtras } from "../check";
import { dynamicClassName } from "../onprem/provisioners";
import { Outcome, Parsed } from "./args";
import { InterruptedError } from "../core/interrupt";
import { apiTimeoutOf, errorText, servedApis, sessionFor } from "./audit";
import { renderSettings } from "./render";

/** The checks that ask the cluster. */
const CLUSTER_CHECKS = ["kubernetes-version", "apis-served", "admission", "token-request", "default-storageclass"];
export const CHECKS = ["render", "mirror", ...CLUSTER_CHECKS];

/** What to do when a check could not run at all (its own FAILs carry their own fix). */
const FIXES: Record<string, string> = {
    render: "run 'kfstack render --config' with the same file: it names the input to fix",
    mirror: "check the mirror's address and credentials (--dest-authfile), then 'kfstack mirror verify --images' for each image",
    "kubernetes-version": "check --kubeconfig/--context, and that the API server answers /version",
    "apis-served": "check --kubeconfig/--context, and that the API server answers discovery (/api, /apis)",
    admission: "check --kubeconfig/--context, and that the API server answers discovery",
    "token-request": "check --kubeconfig/--context, and that the API server answers discovery",
    "default-storageclass": "check that your credentials may list storageclasses (kubectl auth can-i list storageclasses)",
};

export async function doctorCommand(p: Parsed, live: { progress: (l: string) => void }): Promise<Outcome> {
    if (!p.flags.get("--config")) throw new UsageError("'kfstack doctor' needs --config Pulumi.<stack>.yaml", "--config");
    const skip = new Set(p.flags.get("--skip") ?? []);
    for (const s of skip) if (!CHECKS.includes(s)) throw new UsageError(`--skip ${s}: no such check; the checks are ${CHECKS.join(", ")}`, "--skip");
    if (CHECKS.every((c) => skip.has(c))) throw new UsageError("--skip names every check: nothing would be checked; skip fewer", "--skip");
    const timeoutMs = apiTimeoutOf(p);
    const { settings } = renderSettings(p.flags);
    const clusterChecks = CLUSTER_CHECKS.filter((c) => !skip.has(c));
    // The kubeconfig is read before anything else runs: a bad one is bad input, found at once.
    const api = clusterChecks.length > 0 ? sessionFor(p.flags.get("--kubeconfig")?.[0], p.flags.get("--context")?.[0], timeoutMs) : undefined;
    const results: CheckResult[] = [];
    const run = async (name: string, fn: () => Promise<CheckResult | CheckResult[]>) => {
        if (skip.has(name)) return;
        live.progress(`kfstack doctor: ${name}`);
        try {
            const r = await fn();
            results.push(...(Array.isArray(r) ? r : [r]));
        } catch (e) {
            if (e instanceof InterruptedError) throw e;
            results.push({ name, ok: false, detail: errorText(e), fix: FIXES[name] });
        }
    };
    // The plan: what `pulumi up` would create (apps, admission, storage).
    let objects: K8sObject[] | undefined;
    let sourceImages: string[] = [];
    await run("render", async () => {
        const prepared = await preparePlatform(settings);
        const extras = planExtras(settings, prepared);
        objects = [...prepared.apps.flatMap((a) => a.objects), ...extras.admission, ...extras.storageObjects];
        sourceImages = extras.sourceImages;
        return { name: "render", ok: true, detail: `${prepared.apps.length} apps, ${objects.length} objects rendered offline` };
    });
    await run("mirror", async () => {
        if (!objects) return { name: "mirror", ok: false, detail: "no plan (the render failed)" };
        const authfile = p.flags.get("--dest-authfile")?.[0];
        const auths = authfile ? readAuthFile(authfile, "--dest-authfile") : undefined;
        const res = await verifyImages([...new Set(sourceImages)], settings.mirror, {
            plainHttp: settings.mirrorFill.plainHttp,
            sourcePlainHttp: settings.mirrorFill.sourcePlainHttp,
            plainHttpSwitches: STACK_PLAIN_HTTP,
            auths,
            retry: { attempts: 2 },
            requestTimeoutMs: 10_000,
        });
        return mirrorCheck(res);
    });
    if (api) {
        const { k8s, kc, server } = api;
        let version = "";
        let served = new Set<string>();
        try {
            const info = await api.call("/version", () => kc.makeApiClient(k8s.VersionApi).getCode());
            if (typeof info?.gitVersion !== "string") throw new Error("/version has no gitVersion: is it the cluster's API server?");
            version = info.gitVersion;
            served = await servedApis(api);
        } catch (e) {
            if (e instanceof InterruptedError) throw e;
            for (const name of clusterChecks)
                results.push({
                    name,
                    ok: false,
                    detail: `cannot read the API server at ${server}: ${errorText(e)}`,
                    fix: "check --kubeconfig/--context and that the cluster is reachable",
                });
            return outcome(results);
        }
        const plan = objects ?? [];
        await run("kubernetes-version", async () => versionCheck(version, plan));
        await run("apis-served", async () => apisCheck(plan, served));
        await run("admission", async () => admissionCheck(settings.admission.enabled, served));
        await run("token-request", async () => tokenCheck(served.has("v1 serviceaccounts/token"), settings.transforms.istioJwtPolicy));
        await run("default-storageclass", async () => {
            const classes = (await api.call("a list of StorageClasses", () => kc.makeApiClient(k8s.StorageV1Api).listStorageClass()))
                .items as unknown as K8sObject[];
            // The default class the stack itself creates: on-prem the dynamic one, on EKS gp3.
            const creates = settings.storage?.dynamicDefault ? dynamicClassName(settings.storage) : settings.eks ? "gp3" : undefined;
            return storageClassCheck(classes, creates);
        });
    }
    return outcome(results);
}

function outcome(results: CheckResult[]): Outcome {
    const failed = results.filter((r) => !r.ok).length;
    return { stdout: formatChecks(results), stderr: `kfstack doctor: ${results.length - failed} OK, ${failed} FAIL\n`, code: failed > 0 ? 1 : 0 };
}
