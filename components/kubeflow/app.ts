import * as pulumi from "@pulumi/pulumi";
import { K8sObject, droppedNamespaceOf } from "../../lib/core";
import { ObjectPlan, appRegistration, objectResourceName } from "../../lib/plan";
import { KubeObject, forUpgrade } from "../kubernetes";

export interface KubeflowAppArgs {
    /** Final objects of the app (rendered, mirrored, transformed): see `preparePlatform`. */
    readonly objects: readonly K8sObject[];
    /** Sorted images of the app. */
    readonly images: readonly string[];
    /** sha256 of the final manifests. */
    readonly digest: string;
    /**
     * What every object waits for: the `closing` objects of the apps this one comes after, and the
     * mirror's images of this app. @default []
     */
    readonly dependsOn?: pulumi.Resource[];
    /** Top-level fields that replace those of an object's inputs (a ConfigMap's `data` computed from secrets, say), by object key; they may be Outputs. @default none */
    readonly overrides?: ReadonlyMap<string, Record<string, pulumi.Input<any>>>;
    /** Annotations for every object (`pulumi.com/skipAwait`, `pulumi.com/patchForce`: see `pulumiAnnotations`). @default {} */
    readonly annotations?: Readonly<Record<string, string>>;
    /**
     * The prefix of the objects' resource names. The platform gives every app its own name, so
     * an object's URN is its Kubernetes identity and it keeps its resource when it moves to
     * another app. @default the app's name
     */
    readonly scope?: string;
    /** Also answer to `objectResourceName(formerScope, o)`: the names an older kfstack gave (by app). @default none */
    readonly formerScope?: string;
    /** What the upgrade does to each object besides applying it, by object key (`planUpgrade`). @default none */
    readonly upgrade?: ReadonlyMap<string, ObjectPlan>;
}

/**
 * A Kubeflow kustomize app: every object its own resource, CRDs before the
 * objects that use them, namespaces before what lives in them, webhooks after
 * the workloads that serve them.
 *
 * One object closes the app (`closing`: the last one that nothing in the app depends on) and
 * waits for all the others; the apps that come after wait for that one object. (With Pulumi,
 * depending on a component is depending on each of its children: for v1.9.1 that was 51,000
 * dependency edges, 7 MB of the state's 21 MB, sent and stored on every update.)
 */
export class KubeflowApp extends pulumi.ComponentResource {
    static readonly TYPE = "kfstack:kubeflow:App";
    /** Sorted images the app pulls. */
    public readonly images: pulumi.Output<string[]>;
    /** How many objects the app registers. */
    public readonly objectCount: pulumi.Output<number>;
    /** sha256 of the app's final manifests: a preview shows which app an upstream change touches. */
    public readonly manifestDigest: pulumi.Output<string>;
    /** The registered objects by key (`apiVersion/Kind/namespace/name`). */
    public readonly resources: ReadonlyMap<string, KubeObject>;
    /** Each object's dependencies inside the app, by key. */
    public readonly dependencies: ReadonlyMap<string, string[]>;
    /** The object registered after every other object of the app: what later apps wait for. Undefined for an app without objects. */
    public readonly closing: KubeObject | undefined;

    constructor(name: string, args: KubeflowAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super(KubeflowApp.TYPE, name, {}, opts);
        const registration = appRegistration(args.objects, args.annotations);
        const resources = new Map<string, KubeObject>();
        // Each object after every object it waits for (lib/plan decides the order), so those
        // are registered already; the provider comes through `parent`.
        for (const step of registration.steps) {
            const override = args.overrides?.get(step.key);
            const given = override ? { ...step.object, ...override } : step.object;
            const { inputs, aliases } = forUpgrade(given, args.upgrade?.get(step.key));
            if (args.formerScope !== undefined) {
                // An older kfstack named a cluster-scoped object with the namespace its manifest gave it.
                const ns = droppedNamespaceOf(step.source);
                const named = ns ? { metadata: { ...step.object.metadata, namespace: ns } } : step.object;
                aliases.push({ name: objectResourceName(args.formerScope, named) });
            }
            const r = new KubeObject(objectResourceName(args.scope ?? name, step.object), inputs, step.object.apiVersion, step.object.kind, {
                parent: this,
                aliases,
                dependsOn: [...step.dependsOn.map((d) => resources.get(d) as KubeObject), ...(args.dependsOn ?? [])],
            });
            resources.set(step.key, r);
        }
        this.resources = resources;
        this.dependencies = registration.dependencies;
        this.closing = registration.closing ? resources.get(registration.closing) : undefined;
        this.images = pulumi.output([...args.images]);
        this.objectCount = pulumi.output(args.objects.length);
        this.manifestDigest = pulumi.output(args.digest);
        this.registerOutputs({ images: this.images, objectCount: this.objectCount, manifestDigest: this.manifestDigest });
    }
}
