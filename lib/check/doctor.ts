/**
 * Pre-flight checks before `pulumi up` (`kfstack doctor`): each a pure function of what the
 * CLI gathered (the plan, the cluster's version and discovery, its StorageClasses, the mirror's
 * answers), returning OK or FAIL with the fix.
 */
import { K8sObject, crdGroupKind } from "../core/objects";

export interface CheckResult {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
    /** What to do about a FAIL. */
    readonly fix?: string;
}

/** `1.31` as [1, 31]; undefined when not a version. */
export function minorOf(version: string): number | undefined {
    const m = /^v?1\.(\d+)/.exec(version.trim());
    return m ? Number(m[1]) : undefined;
}

/**
 * API versions by the Kubernetes minor that first served them (GA) and the minor that removed
 * them — the Kubernetes deprecated API migration guide
 * (https://kubernetes.io/docs/reference/using-api/deprecation-guide/) and release notes.
 * `kind` narrows an entry to one kind of a group version.
 */
const API_LIFE: { apiVersion: string; kind?: string; since?: number; removedIn?: number }[] = [
    { apiVersion: "extensions/v1beta1", removedIn: 16 },
    { apiVersion: "apps/v1beta1", removedIn: 16 },
    { apiVersion: "apps/v1beta2", removedIn: 16 },
    { apiVersion: "networking.k8s.io/v1beta1", removedIn: 22 },
    { apiVersion: "apiextensions.k8s.io/v1beta1", removedIn: 22 },
    { apiVersion: "admissionregistration.k8s.io/v1beta1", kind: "MutatingWebhookConfiguration", removedIn: 22 },
    { apiVersion: "admissionregistration.k8s.io/v1beta1", kind: "ValidatingWebhookConfiguration", removedIn: 22 },
    { apiVersion: "rbac.authorization.k8s.io/v1beta1", removedIn: 22 },
    { apiVersion: "scheduling.k8s.io/v1beta1", removedIn: 22 },
    { apiVersion: "certificates.k8s.io/v1beta1", removedIn: 22 },
    { apiVersion: "coordination.k8s.io/v1beta1", removedIn: 22 },
    { apiVersion: "storage.k8s.io/v1beta1", kind: "StorageClass", removedIn: 22 },
    { apiVersion: "storage.k8s.io/v1beta1", kind: "CSIDriver", removedIn: 22 },
    { apiVersion: "batch/v1beta1", removedIn: 25 },
    { apiVersion: "discovery.k8s.io/v1beta1", removedIn: 25 },
    { apiVersion: "events.k8s.io/v1beta1", removedIn: 25 },
    { apiVersion: "autoscaling/v2beta1", removedIn: 25 },
    { apiVersion: "policy/v1beta1", removedIn: 25 },
    { apiVersion: "node.k8s.io/v1beta1", removedIn: 25 },
    { apiVersion: "autoscaling/v2beta2", removedIn: 26 },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta1", removedIn: 26 },
    { apiVersion: "storage.k8s.io/v1beta1", kind: "CSIStorageCapacity", removedIn: 27 },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2", removedIn: 29 },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", removedIn: 32 },
    { apiVersion: "networking.k8s.io/v1", kind: "Ingress", since: 19 },
    { apiVersion: "policy/v1", since: 21 },
    { apiVersion: "batch/v1", kind: "CronJob", since: 21 },
    { apiVersion: "discovery.k8s.io/v1", since: 21 },
    { apiVersion: "autoscaling/v2", since: 23 },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1", since: 29 },
    { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", since: 30 },
    { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", since: 30 },
];

/** The Kubernetes minors that serve every built-in API the objects use: [lowest, highest] (highest undefined: no known end). */
export function supportedRange(objects: readonly K8sObject[]): { min: number; max?: number; because: string[] } {
    let min = 0;
    let max: number | undefined;
    const because: string[] = [];
    const used = new Set(objects.map((o) => `${o.apiVersion} ${o.kind}`));
    for (const u of used) {
        const [apiVersion, kind] = u.split(" ");
        for (const e of API_LIFE) {
            if (e.apiVersion !== apiVersion || (e.kind && e.kind !== kind)) continue;
            if (e.since !== undefined && e.since > min) {
                min = e.since;
                because.push(`${kind} ${apiVersion} needs 1.${e.since}+`);
            }
            if (e.removedIn !== undefined && (max === undefined || e.removedIn - 1 < max)) {
                max = e.removedIn - 1;
                because.push(`${kind} ${apiVersion} is gone in 1.${e.removedIn}`);
            }
        }
    }
    return { min, max, because };
}

/** The cluster's version against the range the plan's APIs allow. */
export function versionCheck(serverVersion: string, objects: readonly K8sObject[]): CheckResult {
    const minor = minorOf(serverVersion);
    const r = supportedRange(objects);
    const range = `1.${r.min}${r.max !== undefined ? `–1.${r.max}` : "+"}`;
    if (minor === undefined)
        return { name: "kubernetes-version", ok: false, detail: `the API server reports version ${JSON.stringify(serverVersion)}`, fix: "check the cluster" };
    const ok = minor >= r.min && (r.max === undefined || minor <= r.max);
    return {
        name: "kubernetes-version",
        ok,
        detail: `the cluster runs ${serverVersion}; the release's APIs need ${range}${r.because.length ? ` (${r.because.slice(-2).join("; ")})` : ""}`,
        fix: ok
            ? undefined
            : minor < r.min
              ? `upgrade the cluster to 1.${r.min} or newer`
              : `use a Kubernetes release up to 1.${r.max}, or a newer Kubeflow release`,
    };
}

/** Every kind the plan creates is served by the cluster or defined by a CRD of the plan. */
export function apisCheck(objects: readonly K8sObject[], served: ReadonlySet<string>): CheckResult {
    const fromCrds = new Set(objects.map(crdGroupKind).filter((g): g is string => g !== undefined));
    const missing = [...new Set(objects.map((o) => `${o.apiVersion} ${o.kind}`))].filter((k) => {
        const [apiVersion, kind] = k.split(" ");
        const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
        return !served.has(k) && !fromCrds.has(`${group}/${kind}`);
    });
    return {
        name: "apis-served",
        ok: missing.length === 0,
        detail:
            missing.length === 0
                ? "the cluster serves every API the stack uses"
                : `the cluster does not serve ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}`,
        fix: missing.length === 0 ? undefined : "upgrade the cluster, or enable the API group on the API server (--runtime-config)",
    };
}

/** ValidatingAdmissionPolicy is served when the stack installs the mirror-only admission. */
export function admissionCheck(enabled: boolean, served: ReadonlySet<string>): CheckResult {
    const ok = !enabled || served.has("admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy");
    return {
        name: "admission",
        ok,
        detail: !enabled
            ? "kfstack:admission.enabled is false"
            : ok
              ? "ValidatingAdmissionPolicy is served"
              : "the cluster does not serve ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1)",
        fix: ok ? undefined : "upgrade to Kubernetes 1.30+, or set kfstack:admission.enabled to false",
    };
}

/** Projected service-account tokens (TokenRequest), which Istio's default third-party-jwt needs, or the first-party-jwt setting. */
export function tokenCheck(tokenRequest: boolean, jwtPolicy: string | undefined): CheckResult {
    const ok = tokenRequest || jwtPolicy === "first-party-jwt";
    return {
        name: "token-request",
        ok,
        detail: tokenRequest
            ? "the API server serves serviceaccounts/token (TokenRequest)"
            : jwtPolicy === "first-party-jwt"
              ? "istioJwtPolicy is first-party-jwt"
              : "the API server does not serve serviceaccounts/token",
        fix: ok
            ? undefined
            : "set kfstack:transforms.istioJwtPolicy to first-party-jwt, or enable TokenRequest (--service-account-issuer, --service-account-signing-key-file)",
    };
}

/** A default StorageClass exists, or the stack creates one. */
export function storageClassCheck(classes: readonly K8sObject[], stackCreatesDefault: string | undefined): CheckResult {
    const isDefault = (c: K8sObject) =>
        ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"].some(
            (a) => (c.metadata.annotations as Record<string, string> | undefined)?.[a] === "true",
        );
    const existing = classes.filter(isDefault).map((c) => c.metadata.name);
    const ok = existing.length > 0 || !!stackCreatesDefault;
    return {
        name: "default-storageclass",
        ok,
        detail:
            existing.length > 0
                ? `default class ${existing.join(", ")}`
                : stackCreatesDefault
                  ? `the stack creates the default class ${stackCreatesDefault}`
                  : "no default StorageClass: Kubeflow's claims and notebooks would stay Pending",
        fix: ok ? undefined : "set kfstack:storage (on-prem: a dynamic default class), or mark a class default (storageclass.kubernetes.io/is-default-class)",
    };
}

/** Every image of the plan is in the mirror with its source digest. */
export function mirrorCheck(results: readonly { status: string; source: string; reason?: string }[]): CheckResult {
    const bad = results.filter((r) => r.status !== "present");
    return {
        name: "mirror",
        ok: bad.length === 0,
        detail:
            bad.length === 0
                ? `all ${results.length} images are in the mirror with their source digests`
                : `${bad.length} of ${results.length} images are not in the mirror with their source digests, e.g. ${bad[0].source} (${bad[0].status}${bad[0].reason ? `: ${bad[0].reason}` : ""})`,
        fix: bad.length === 0 ? undefined : "fill the mirror: kfstack mirror copy --images images.txt (or kfstack:mirror.type registry/ecr)",
    };
}

/** One line per check: `OK   name: detail` / `FAIL name: detail — fix`. */
export function formatChecks(results: readonly CheckResult[]): string {
    return results.map((r) => `${r.ok ? "OK  " : "FAIL"} ${r.name}: ${r.detail}${r.ok || !r.fix ? "" : ` — fix: ${r.fix}`}\n`).join("");
}
