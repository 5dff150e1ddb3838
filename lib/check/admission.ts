/**
 * Mirror-only at run time: ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1,
 * GA in Kubernetes 1.30) that the API server evaluates itself — no webhook, no controller,
 * no image of its own — refusing any pod, or workload pod template, whose images are not
 * served from the mirror. Pods that Kubeflow's controllers create later from data (a
 * notebook from the spawner form, a pipeline step, a KServe predictor, a Katib trial) pass
 * through it like any other.
 *
 * The rule is the one of `kfstack check`: the reference must be valid, and its name must be
 * under a mirror on a path boundary, the host compared without regard to case. It is
 * written as one regular expression per mirror, in the syntax RE2 (CEL's `matches`) and
 * JavaScript read alike, so the tests can run the same expression on the corpus of the
 * policy pack.
 */
import { K8sObject } from "../core/objects";
import { Mirror } from "../rewrite/mirror";

/** One path component of a repository (distribution/reference). */
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\/-]/g, (c) => (c === "/" ? "/" : `\\${c}`));
}

/** `[rR][eE]...`: the host case-insensitive without flags (RE2 and JavaScript read it alike). */
function caseless(text: string): string {
    return [...text].map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : escape(c))).join("");
}

/** The regular expression an image must match to be served from the mirror. */
export function mirrorImagePattern(mirror: Mirror): string {
    // Under the prefix, or the prefix's own repository (`kfstack check` admits a name equal to the mirror's location).
    const path = mirror.prefix ? `${mirror.prefix.split("/").map(escape).join("/")}(?:/${COMPONENT})*` : `${COMPONENT}(?:/${COMPONENT})*`;
    return `^${caseless(mirror.host)}/${path}(?::${TAG})?(?:@${DIGEST})?$`;
}

/** True when an image passes the admission rule (the same test the API server runs). */
export function admitsImage(image: string, mirrors: readonly Mirror[]): boolean {
    return mirrors.some((m) => new RegExp(mirrorImagePattern(m)).test(image));
}

/** How the binding acts and where. */
export interface AdmissionSettings {
    /**
     * `Deny` refuses; `Warn` admits with a warning to the client; `Audit` admits and records
     * it in the audit log.
     * @default ["Deny"]
     */
    readonly actions: ("Deny" | "Warn" | "Audit")[];
    /** Namespaces the policy does not apply to. @default ["kube-system", "kube-public", "kube-node-lease"] */
    readonly exemptNamespaces: string[];
}

/** The run-time mirror rule (`kfstack:admission.*`): ValidatingAdmissionPolicies, Kubernetes ≥ 1.30. */
export interface AdmissionConfig extends AdmissionSettings {
    /** Install the policies. @default true (false when the cluster is older than 1.30) */
    readonly enabled: boolean;
}

export const DEFAULT_EXEMPT = ["kube-system", "kube-public", "kube-node-lease"];

/** The three shapes that hold a pod spec, each its own policy so every expression type-checks. */
const SHAPES = [
    { suffix: "pods", rules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods", "pods/ephemeralcontainers"] }], spec: "object.spec" },
    {
        suffix: "workloads",
        rules: [
            { apiGroups: ["apps"], apiVersions: ["v1"], resources: ["deployments", "statefulsets", "daemonsets", "replicasets"] },
            { apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs"] },
        ],
        spec: "object.spec.template.spec",
    },
    { suffix: "cronjobs", rules: [{ apiGroups: ["batch"], apiVersions: ["v1"], resources: ["cronjobs"] }], spec: "object.spec.jobTemplate.spec.template.spec" },
] as const;

/** The CEL list of every image of a pod spec: containers, init and ephemeral containers, image volumes. */
function imagesExpression(): string {
    const list = (field: string) => `(has(variables.spec.${field}) ? variables.spec.${field}.map(c, has(c.image) ? c.image : '') : [])`;
    return [
        list("containers"),
        list("initContainers"),
        list("ephemeralContainers"),
        "(has(variables.spec.volumes) ? variables.spec.volumes.filter(v, has(v.image) && has(v.image.reference)).map(v, v.image.reference) : [])",
    ].join(" + ");
}

/** The ValidatingAdmissionPolicies and their bindings for the mirrors, named `<name>-<shape>`. */
export function admissionObjects(name: string, mirrors: readonly Mirror[], settings: AdmissionSettings): K8sObject[] {
    const patterns = mirrors.map(mirrorImagePattern);
    const allowed = patterns.map((p) => `img.matches('${p.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}')`).join(" || ");
    const where = mirrors.map((m) => m.location).join(", ");
    const out: K8sObject[] = [];
    for (const shape of SHAPES) {
        const policy = `${name}-${shape.suffix}`;
        out.push({
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingAdmissionPolicy",
            metadata: { name: policy, labels: { "app.kubernetes.io/managed-by": "kfstack" } },
            spec: {
                failurePolicy: "Fail",
                matchConstraints: { resourceRules: shape.rules.map((r) => ({ ...r, operations: ["CREATE", "UPDATE"] })) },
                variables: [
                    { name: "spec", expression: shape.spec },
                    { name: "images", expression: imagesExpression() },
                    { name: "offMirror", expression: `variables.images.filter(img, !(${allowed}))` },
                ],
                validations: [
                    {
                        expression: "size(variables.offMirror) == 0",
                        messageExpression: `'image ' + variables.offMirror[0] + ' is not served from the mirror (${where}); copy it there (kfstack mirror copy) and use the mirrored reference'`,
                        reason: "Forbidden",
                    },
                ],
            },
        } as K8sObject);
        out.push({
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingAdmissionPolicyBinding",
            metadata: { name: policy, labels: { "app.kubernetes.io/managed-by": "kfstack" } },
            spec: {
                policyName: policy,
                validationActions: settings.actions,
                matchResources: {
                    namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: settings.exemptNamespaces }] },
                },
            },
        } as K8sObject);
    }
    return out;
}
