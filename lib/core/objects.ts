/**
 * Kubernetes objects as plain data: their identity, how to name them in a
 * message, and where their pods' containers are. Every stage uses these; none
 * keeps its own copy.
 */

/** The minimal view of a Kubernetes object that planning needs. */
export interface K8sObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; [k: string]: unknown };
    [k: string]: unknown;
}

/** The identity of an object, as a message names it. */
export interface ObjectId {
    readonly apiVersion: string;
    readonly kind: string;
    readonly namespace?: string;
    readonly name: string;
}

/** Kinds whose pods run the platform: rolled out before the next app, served by webhooks. */
export const WORKLOADS: ReadonlySet<string> = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

/** The container lists of a pod spec. */
export const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

/** A JSON/YAML mapping (not an array, not null). */
export function isPlainObject(v: unknown): v is Record<string, any> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True when a value has what a Kubernetes object must have: apiVersion, kind and metadata.name. */
export function isK8sObject(v: unknown): v is K8sObject {
    return (
        isPlainObject(v) && typeof v.apiVersion === "string" && typeof v.kind === "string" && isPlainObject(v.metadata) && typeof v.metadata.name === "string"
    );
}

/** The identity of any parsed value, with empty strings where it has none. */
export function objectId(value: unknown): ObjectId {
    const o = isPlainObject(value) ? value : {};
    const meta = isPlainObject(o.metadata) ? o.metadata : {};
    return {
        apiVersion: String(o.apiVersion ?? ""),
        kind: String(o.kind ?? ""),
        namespace: meta.namespace !== undefined ? String(meta.namespace) : undefined,
        name: String(meta.name ?? meta.generateName ?? ""),
    };
}

/** `apiVersion/Kind/namespace/name`: unique in a cluster. */
export function objectKey(o: K8sObject): string {
    return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}

/** `Deployment kubeflow/ml-pipeline`: an object (or its identity) as messages name it. */
export function describeObject(o: ObjectId | K8sObject | unknown): string {
    const id = isPlainObject(o) && "metadata" in o ? objectId(o) : isPlainObject(o) ? (o as ObjectId) : objectId(undefined);
    return `${id.kind || "<no kind>"} ${id.namespace ? id.namespace + "/" : ""}${id.name || "<no name>"}`;
}

/**
 * The Pulumi type token of a Kubernetes kind, as the kubernetes provider names
 * it: the core group is `core/v1`, every other group its apiVersion
 * (`apps/v1:Deployment`, `kubeflow.org/v1:Profile`).
 */
export function typeToken(apiVersion: string, kind: string): string {
    return `kubernetes:${apiVersion === "v1" ? "core/v1" : apiVersion}:${kind}`;
}

/** `group/Kind` of the CRD that defines a kind: `kubeflow.org/Profile`. */
export function groupKind(apiVersion: string, kind: string): string {
    const slash = apiVersion.indexOf("/");
    return `${slash < 0 ? "" : apiVersion.slice(0, slash)}/${kind}`;
}

/** `group/Kind` that a CustomResourceDefinition defines, or undefined for any other object. */
export function crdGroupKind(o: K8sObject): string | undefined {
    if (o.kind !== "CustomResourceDefinition") return undefined;
    const spec = (o as Record<string, any>).spec;
    return spec?.group && spec?.names?.kind ? `${spec.group}/${spec.names.kind}` : undefined;
}

/** Every pod spec in an object (any mapping holding a `containers` list), at any depth; CRD schemas skipped. */
export function podSpecs(node: unknown, out: Record<string, any>[] = []): Record<string, any>[] {
    if (Array.isArray(node)) node.forEach((n) => podSpecs(n, out));
    else if (isPlainObject(node)) {
        if (Array.isArray(node.containers)) out.push(node);
        for (const k of Object.keys(node)) if (k !== "containers" && k !== "openAPIV3Schema") podSpecs(node[k], out);
    }
    return out;
}

/** The containers of one pod spec: init, regular and ephemeral, in that order. */
export function containersOfSpec(spec: Record<string, any>): Record<string, any>[] {
    return CONTAINER_LISTS.flatMap((list) => (Array.isArray(spec[list]) ? spec[list] : [])).filter(isPlainObject);
}

/** Every container of every pod spec in an object. */
export function containersOf(o: unknown): Record<string, any>[] {
    return podSpecs(o).flatMap(containersOfSpec);
}

/** Every string in a tree, with its path (`spec.roles[0].arn`). */
export function stringsIn(node: unknown, at = "", out: [string, string][] = []): [string, string][] {
    if (typeof node === "string") out.push([at, node]);
    else if (Array.isArray(node)) node.forEach((x, i) => stringsIn(x, `${at}[${i}]`, out));
    else if (isPlainObject(node)) for (const [k, x] of Object.entries(node)) stringsIn(x, at ? `${at}.${k}` : k, out);
    return out;
}

/** Built-in kinds that have no namespace, by `group/Kind` (the core group is empty). */
const CLUSTER_SCOPED_BUILT_IN: ReadonlySet<string> = new Set([
    "/Namespace",
    "/Node",
    "/PersistentVolume",
    "/ComponentStatus",
    "rbac.authorization.k8s.io/ClusterRole",
    "rbac.authorization.k8s.io/ClusterRoleBinding",
    "apiextensions.k8s.io/CustomResourceDefinition",
    "apiregistration.k8s.io/APIService",
    "storage.k8s.io/StorageClass",
    "storage.k8s.io/CSIDriver",
    "storage.k8s.io/CSINode",
    "storage.k8s.io/VolumeAttachment",
    "scheduling.k8s.io/PriorityClass",
    "node.k8s.io/RuntimeClass",
    "networking.k8s.io/IngressClass",
    "certificates.k8s.io/CertificateSigningRequest",
    "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
    "admissionregistration.k8s.io/MutatingWebhookConfiguration",
    "admissionregistration.k8s.io/ValidatingAdmissionPolicy",
    "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
    "admissionregistration.k8s.io/MutatingAdmissionPolicy",
    "admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
    "flowcontrol.apiserver.k8s.io/FlowSchema",
    "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
]);

/** The namespace a cluster-scoped object was given in its manifest, before `withServerScope` dropped it. */
const droppedNamespaces = new WeakMap<K8sObject, string>();

/**
 * Drops the namespace from cluster-scoped objects (built-in kinds, and the kinds of the CRDs
 * among `objects` with `scope: Cluster`), in place. kustomize's namespace transformer gives one
 * to kinds it does not know (a cert-manager ClusterIssuer, say); the API server ignores it, so
 * the object's identity is without it — and one release setting it while the next does not must
 * not make the same object two.
 */
export function withServerScope(objects: readonly K8sObject[]): void {
    const clusterKinds = new Set(CLUSTER_SCOPED_BUILT_IN);
    for (const o of objects) {
        const defined = crdGroupKind(o);
        if (defined && (o.spec as { scope?: string }).scope === "Cluster") clusterKinds.add(defined);
    }
    for (const o of objects) {
        if (o.metadata.namespace === undefined || !clusterKinds.has(groupKind(o.apiVersion, o.kind))) continue;
        droppedNamespaces.set(o, o.metadata.namespace);
        delete o.metadata.namespace;
    }
}

/** The namespace `withServerScope` dropped from the object, if any (older kfstacks named its resource with it). */
export function droppedNamespaceOf(o: K8sObject): string | undefined {
    return droppedNamespaces.get(o);
}
