/**
 * The platform transforms: pure functions over rendered objects, each one a
 * stack setting, so nothing is changed by hand with `kubectl edit`.
 * Each takes an object and returns whether it changed it (in place).
 */
import { K8sObject, containersOf, containersOfSpec, podSpecs } from "../core/objects";

/** The transform settings (all off by default). */
/** The closed sets of the transforms' settings (`kfstack:transforms.*` reads them from here). */
export const PULL_POLICIES = ["IfNotPresent", "Always", "Never"] as const;
export const GATEWAY_SERVICE_TYPES = ["NodePort", "LoadBalancer", "ClusterIP"] as const;
export const ISTIO_JWT_POLICIES = ["first-party-jwt", "third-party-jwt"] as const;
export const WEBHOOK_FAILURE_POLICIES = ["Ignore", "Fail"] as const;

export interface TransformSettings {
    /** Set on every container; air-gapped clusters want `IfNotPresent`. @default undefined (keep) */
    readonly imagePullPolicy?: (typeof PULL_POLICIES)[number];
    /** `false` when the dashboard is served over plain HTTP (sets `APP_SECURE_COOKIES=false`). @default true */
    readonly secureCookies?: boolean;
    /** `storageClassName` for Kubeflow's PVCs and StatefulSet claim templates. @default undefined (cluster default) */
    readonly storageClass?: string;
    /** Service type of the Istio ingress gateway: NodePort on-prem, LoadBalancer on EKS. @default undefined (keep) */
    readonly ingressServiceType?: (typeof GATEWAY_SERVICE_TYPES)[number];
    /** Istio's JWT policy; `first-party-jwt` for clusters without TokenRequest. @default undefined (keep) */
    readonly istioJwtPolicy?: (typeof ISTIO_JWT_POLICIES)[number];
    /**
     * `failurePolicy` of every admission webhook. `Ignore` only where no pod can serve them
     * (a control plane without nodes, as in kfstack's own tests): a webhook nobody serves
     * with `Fail` refuses every object it intercepts. @default undefined (keep)
     */
    readonly webhookFailurePolicy?: (typeof WEBHOOK_FAILURE_POLICIES)[number];
    /**
     * A registry host Knative Serving must not contact to resolve tags to digests (its
     * `registries-skipping-tag-resolving`): the mirror, whose private CA or auth the controller
     * does not have. Config: `kfstack:transforms.knativeSkipTagResolving` (true/false).
     * @default the mirror's host
     */
    readonly skipTagResolvingFor?: string;
    /** Set `storageClass` on claims that already name a class too. @default false (they keep theirs) */
    readonly storageClassOverride?: boolean;
}

type Transform = (o: K8sObject) => boolean;

/** `imagePullPolicy` on every container of every pod spec. */
export function setImagePullPolicy(policy: string): Transform {
    return (o) => {
        let changed = false;
        for (const c of containersOf(o)) {
            if (c.imagePullPolicy !== policy) {
                c.imagePullPolicy = policy;
                changed = true;
            }
        }
        return changed;
    };
}

/**
 * `APP_SECURE_COOKIES=false` wherever the web apps take it: literal env values,
 * and ConfigMap keys named `APP_SECURE_COOKIES` or `<APP>_APP_SECURE_COOKIES`
 * (kubeflow's `*-parameters` ConfigMaps, from which kustomize vars fill the env).
 */
export function setSecureCookies(secure: boolean): Transform {
    const value = String(secure);
    const isKey = (k: string) => /(^|_)APP_SECURE_COOKIES$/.test(k);
    return (o) => {
        let changed = false;
        if (o.kind === "ConfigMap" && o.data && typeof o.data === "object") {
            const data = o.data as Record<string, string>;
            for (const k of Object.keys(data)) {
                if (isKey(k) && data[k] !== value) {
                    data[k] = value;
                    changed = true;
                }
            }
        }
        for (const c of containersOf(o)) {
            for (const e of (c.env ?? []) as any[]) {
                if (typeof e?.name === "string" && isKey(e.name) && e.value !== undefined && e.value !== value) {
                    e.value = value;
                    changed = true;
                }
            }
        }
        return changed;
    };
}

/** `storageClassName` on PVCs and StatefulSet volumeClaimTemplates; those naming a class keep it unless `override`. */
export function setStorageClass(storageClass: string, override = false): Transform {
    return (o) => {
        const specs: any[] = [];
        if (o.kind === "PersistentVolumeClaim" && o.apiVersion === "v1") specs.push((o.spec ??= {}) as any);
        if (o.kind === "StatefulSet") for (const t of (o as any).spec?.volumeClaimTemplates ?? []) specs.push((t.spec ??= {}));
        let changed = false;
        for (const s of specs) {
            if (s.storageClassName !== undefined && s.storageClassName !== null && !override) continue;
            if (s.storageClassName !== storageClass) {
                s.storageClassName = storageClass;
                changed = true;
            }
        }
        return changed;
    };
}

/** True for the Istio ingress gateway's Service (by its `istio: ingressgateway` selector or label). */
export function isIngressGatewayService(o: K8sObject): boolean {
    if (o.kind !== "Service" || o.apiVersion !== "v1") return false;
    const labels = (o.metadata.labels ?? {}) as Record<string, string>;
    const selector = ((o as any).spec?.selector ?? {}) as Record<string, string>;
    return labels.istio === "ingressgateway" || selector.istio === "ingressgateway";
}

/** The ingress gateway Service type. */
export function setIngressServiceType(type: string): Transform {
    return (o) => {
        if (!isIngressGatewayService(o)) return false;
        const spec = ((o as any).spec ??= {});
        if (spec.type === type) return false;
        spec.type = type;
        return true;
    };
}

/**
 * Istio's JWT policy: `global.jwtPolicy` in the injector values (JSON with
 * `global.hub`), `JWT_POLICY` on istiod, and for first-party-jwt the projected
 * `istio-token` volume (audience istio-ca) is removed from pods and templates,
 * as Istio's own charts do when the policy is first-party-jwt.
 */
export function setIstioJwtPolicy(policy: string): Transform {
    return (o) => {
        let changed = false;
        if (o.kind === "ConfigMap" && o.data && typeof o.data === "object") {
            const data = o.data as Record<string, string>;
            for (const key of Object.keys(data)) {
                const text = data[key];
                if (typeof text !== "string" || !text.trimStart().startsWith("{")) continue;
                let values: any;
                try {
                    values = JSON.parse(text);
                } catch {
                    continue;
                }
                if (values?.global && typeof values.global.hub === "string" && values.global.jwtPolicy !== policy) {
                    values.global.jwtPolicy = policy;
                    data[key] = JSON.stringify(values, null, 2);
                    changed = true;
                }
            }
        }
        for (const c of containersOf(o)) {
            const isIstiod = (c.args ?? []).includes("discovery") && /pilot/.test(String(c.image ?? ""));
            const env: any[] = (c.env ??= []);
            const existing = env.find((e) => e?.name === "JWT_POLICY");
            if (existing && existing.value !== policy) {
                existing.value = policy;
                changed = true;
            } else if (!existing && isIstiod) {
                env.push({ name: "JWT_POLICY", value: policy });
                changed = true;
            }
            if (c.env.length === 0) delete c.env;
        }
        if (policy === "first-party-jwt") {
            for (const spec of podSpecs(o)) {
                const tokenVolumes = new Set<string>(
                    ((spec.volumes ?? []) as any[])
                        .filter((v) => ((v?.projected?.sources ?? []) as any[]).some((s) => s?.serviceAccountToken?.audience === "istio-ca"))
                        .map((v) => v.name),
                );
                if (tokenVolumes.size === 0) continue;
                spec.volumes = (spec.volumes as any[]).filter((v) => !tokenVolumes.has(v.name));
                for (const c of containersOfSpec(spec)) {
                    if (c.volumeMounts) c.volumeMounts = (c.volumeMounts as any[]).filter((m) => !tokenVolumes.has(m.name));
                }
                changed = true;
            }
        }
        return changed;
    };
}

/** `failurePolicy` on every webhook of the admission webhook configurations. */
export function setWebhookFailurePolicy(policy: string): Transform {
    return (o) => {
        if (o.kind !== "ValidatingWebhookConfiguration" && o.kind !== "MutatingWebhookConfiguration") return false;
        let changed = false;
        for (const w of ((o as Record<string, any>).webhooks ?? []) as Record<string, any>[]) {
            if (w.failurePolicy !== policy) {
                w.failurePolicy = policy;
                changed = true;
            }
        }
        return changed;
    };
}

/** Knative's own default of `registries-skipping-tag-resolving` (config-deployment). */
export const KNATIVE_SKIP_DEFAULT = "kind.local,ko.local,dev.local";

/**
 * Adds a registry host to Knative Serving's `registries-skipping-tag-resolving`: the
 * controller resolves every tag to a digest by asking the registry, which fails against a
 * private mirror with its own CA or auth (https://knative.dev/docs/serving/configuration/deployment/#skipping-tag-resolution).
 */
export function addKnativeSkipTagResolving(host: string): Transform {
    return (o) => {
        if (o.kind !== "ConfigMap" || o.metadata.name !== "config-deployment" || o.metadata.namespace !== "knative-serving") return false;
        const data = ((o as Record<string, any>).data ??= {}) as Record<string, string>;
        const current = data["registries-skipping-tag-resolving"] ?? KNATIVE_SKIP_DEFAULT;
        const hosts = current
            .split(",")
            .map((h) => h.trim())
            .filter(Boolean);
        if (hosts.includes(host)) return false;
        data["registries-skipping-tag-resolving"] = [...hosts, host].join(",");
        return true;
    };
}

/** The transforms a settings object turns on, by name, in the order they run. */
export function transformsFor(settings: TransformSettings): [string, Transform][] {
    const list: [string, Transform][] = [];
    if (settings.imagePullPolicy) list.push(["imagePullPolicy", setImagePullPolicy(settings.imagePullPolicy)]);
    if (settings.secureCookies !== undefined) list.push(["secureCookies", setSecureCookies(settings.secureCookies)]);
    if (settings.storageClass) list.push(["storageClass", setStorageClass(settings.storageClass, settings.storageClassOverride)]);
    if (settings.ingressServiceType) list.push(["ingressServiceType", setIngressServiceType(settings.ingressServiceType)]);
    if (settings.istioJwtPolicy) list.push(["istioJwtPolicy", setIstioJwtPolicy(settings.istioJwtPolicy)]);
    if (settings.webhookFailurePolicy) list.push(["webhookFailurePolicy", setWebhookFailurePolicy(settings.webhookFailurePolicy)]);
    if (settings.skipTagResolvingFor) list.push(["knativeSkipTagResolving", addKnativeSkipTagResolving(settings.skipTagResolvingFor)]);
    return list;
}

/** Applies the transforms to each object in place; returns, per transform, the keys of the objects it changed. */
export function applyTransforms(objects: K8sObject[], settings: TransformSettings, keyOf: (o: K8sObject) => string): Map<string, string[]> {
    const report = new Map<string, string[]>();
    for (const [name, t] of transformsFor(settings)) {
        const changed: string[] = [];
        for (const o of objects) if (t(o)) changed.push(keyOf(o));
        report.set(name, changed);
    }
    return report;
}

/** The Pulumi annotations every object of the platform gets, from the settings. */
export function pulumiAnnotations(settings: { readonly skipAwait: boolean; readonly patchForce: boolean }): Record<string, string> {
    return {
        ...(settings.skipAwait ? { "pulumi.com/skipAwait": "true" } : {}),
        ...(settings.patchForce ? { "pulumi.com/patchForce": "true" } : {}),
    };
}

/**
 * Top-level fields the API server stores as absent when they are empty: `data: {}` of a
 * Secret or ConfigMap (`omitempty`), `rules: []` of a Role or ClusterRole. Registered as
 * written, they read back as missing on every refresh, and Pulumi shows a change that `up`
 * can never make go away (a Secret's is even a replacement). Dropping them changes nothing
 * the cluster stores; an aggregated ClusterRole's rules are its controller's anyway.
 */
const EMPTY_DROPPED: Readonly<Record<string, readonly string[]>> = {
    Secret: ["data", "stringData"],
    ConfigMap: ["data", "binaryData"],
    Role: ["rules"],
    ClusterRole: ["rules"],
};

/** A copy of the object without the empty fields the API server drops (the object itself when it has none). */
export function withoutDroppedEmpties(o: K8sObject): K8sObject {
    const fields = EMPTY_DROPPED[o.kind]?.filter((f) => {
        const v = o[f];
        return (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);
    });
    if (!fields || fields.length === 0) return o;
    const copy = { ...o };
    for (const f of fields) delete copy[f];
    return copy;
}

/** The annotations by which cert-manager's cainjector fills an object's CA bundles. */
const CA_INJECTION = ["cert-manager.io/inject-ca-from", "cert-manager.io/inject-ca-from-secret", "cert-manager.io/inject-apiserver-ca"];

/**
 * A copy of the object without the CA bundles cert-manager's cainjector fills (the object
 * itself when it has none to drop). Manifests carry a placeholder there (`Cg==`, a newline):
 * applied with kfstack's forced server-side apply it would take the field back from the
 * injector on every `up`, leaving conversion and admission webhooks with no CA until the
 * injector writes it again; and the API server refuses the placeholder in an update that
 * turns a CRD's webhook conversion on (an upgrade or a rollback across such a change).
 * The injector owns the field; kfstack leaves it out.
 */
export function withoutInjectedCaBundles(o: K8sObject): K8sObject {
    const annotations = (o.metadata.annotations ?? {}) as Record<string, unknown>;
    if (!CA_INJECTION.some((a) => annotations[a] !== undefined)) return o;
    const drop = (clientConfig: unknown) => {
        if (!clientConfig || typeof clientConfig !== "object" || !("caBundle" in clientConfig)) return clientConfig;
        // eslint-disable-next-line @typescript-eslint/no-unused-vars
        const { caBundle, ...rest } = clientConfig as Record<string, unknown>;
        return rest;
    };
    const x = o as Record<string, any>;
    if (o.kind === "CustomResourceDefinition" && x.spec?.conversion?.webhook?.clientConfig?.caBundle !== undefined) {
        const webhook = { ...x.spec.conversion.webhook, clientConfig: drop(x.spec.conversion.webhook.clientConfig) };
        return { ...o, spec: { ...x.spec, conversion: { ...x.spec.conversion, webhook } } };
    }
    if ((o.kind === "ValidatingWebhookConfiguration" || o.kind === "MutatingWebhookConfiguration") && Array.isArray(x.webhooks)) {
        if (!x.webhooks.some((w: any) => w?.clientConfig?.caBundle !== undefined)) return o;
        return { ...o, webhooks: x.webhooks.map((w: any) => ({ ...w, clientConfig: drop(w?.clientConfig) })) };
    }
    if (o.kind === "APIService" && x.spec?.caBundle !== undefined) return { ...o, spec: drop(x.spec) as Record<string, unknown> };
    return o;
}
