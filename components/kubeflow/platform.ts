import * as pulumi from "@pulumi/pulumi";
import { objectKey } from "../../lib/core";
import { ObjectPlan, PreparedPlatform, findDexConfig, imageResourcesOf, waitGraph, withDexUsers } from "../../lib/plan";
import { KubeflowApp } from "./app";

export interface PlatformUser {
    readonly email: string;
    readonly username: string;
    /** A Pulumi secret; hashed with bcrypt by the program, never stored in plain text. */
    readonly password: pulumi.Input<string>;
}

export interface KubeflowPlatformArgs {
    /** The apps, rendered and ordered: `preparePlatform(settings)`. */
    readonly prepared: PreparedPlatform;
    /** Dex static users. @default [] (keep the release's users) */
    readonly users?: readonly PlatformUser[];
    /** Annotations for every object (`pulumiAnnotations(settings)`). @default {} */
    readonly annotations?: Readonly<Record<string, string>>;
    /**
     * The mirror's resource per source image (`EcrMirror`/`RegistryMirror` `images`, by
     * normalised reference): each app waits for those of its own images, so nothing is
     * applied before its images exist. @default none (the mirror is filled elsewhere)
     */
    readonly mirroredImages?: ReadonlyMap<string, pulumi.Resource>;
    /** What the upgrade does to each object besides applying it, by object key (`planUpgrade`). @default none */
    readonly upgrade?: ReadonlyMap<string, ObjectPlan>;
    /**
     * The stack was made by a kfstack that named objects by app (`<platform>-<app>-<ns>/<name>`):
     * each object answers to that name too. @default false
     */
    readonly namedByApp?: boolean;
}

/**
 * Kubeflow: every enabled app as a KubeflowApp, each after the apps it
 * depends on (cert-manager → istio → auth → knative → kubeflow apps → user
 * namespaces, and by CRD and namespace), so one `pulumi up` replaces the retry loop.
 * The Kubernetes provider is given in the options (`providers` or `provider`) and reaches
 * every object through `parent`.
 */
export class KubeflowPlatform extends pulumi.ComponentResource {
    static readonly TYPE = "kfstack:kubeflow:Platform";
    public readonly apps: ReadonlyMap<string, KubeflowApp>;
    /** App name → sha256 of its final manifests. */
    public readonly appDigests: pulumi.Output<Record<string, string>>;
    /** Every image the platform pulls, sorted. */
    public readonly images: pulumi.Output<string[]>;
    /** What waiting for the whole platform means: the closing objects of the apps no other app waits for. */
    public readonly done: pulumi.Resource[];

    constructor(name: string, args: KubeflowPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super(KubeflowPlatform.TYPE, name, {}, opts);
        const apps = new Map<string, KubeflowApp>();
        const users = args.users ?? [];
        // What waiting for an app means (lib/plan): waiting for its closing object, which waits for
        // the rest of the app and for the app's own dependencies.
        const graph = waitGraph(args.prepared.apps.map((a) => ({ name: a.name, dependsOn: a.dependsOn, hasObjects: a.objects.length > 0 })));
        const closingOf = (appName: string): pulumi.Resource[] => {
            const closing = apps.get(appName)?.closing;
            return closing ? [closing] : [];
        };
        for (const app of args.prepared.apps) {
            const imageDeps = args.mirroredImages ? imageResourcesOf(app.sourceImages, args.mirroredImages) : [];
            if (args.mirroredImages) pulumi.log.info(`${app.name}: waits for ${imageDeps.length} mirrored image(s)`, this);
            const overrides = new Map<string, Record<string, pulumi.Input<any>>>();
            const dex = users.length > 0 ? findDexConfig(app.objects) : undefined;
            if (dex) {
                // The ConfigMap's data is computed from secrets, so it stays secret in state.
                const passwords = users.map((u) => pulumi.secret(u.password));
                const data = dex.object.data as Record<string, string>;
                overrides.set(objectKey(dex.object), {
                    data: pulumi.all(passwords).apply((pws) => ({
                        ...data,
                        [dex.key]: withDexUsers(
                            data[dex.key],
                            users.map((u, i) => ({ email: u.email, username: u.username, password: pws[i] })),
                        ),
                    })),
                });
            }
            apps.set(
                app.name,
                new KubeflowApp(
                    `${name}-${app.name}`,
                    {
                        objects: app.objects,
                        images: app.images,
                        digest: app.digest,
                        dependsOn: [...(graph.waitsFor.get(app.name) ?? []).flatMap(closingOf), ...imageDeps],
                        overrides,
                        annotations: args.annotations,
                        // Resource names by Kubernetes identity, under the platform's name: an object
                        // that moves between apps stays one resource.
                        scope: name,
                        formerScope: args.namedByApp ? `${name}-${app.name}` : undefined,
                        upgrade: args.upgrade,
                    },
                    { parent: this },
                ),
            );
        }
        for (const w of args.prepared.warnings) pulumi.log.warn(w, this);
        this.apps = apps;
        this.done = graph.done.flatMap(closingOf);
        this.appDigests = pulumi.output(Object.fromEntries(args.prepared.apps.map((a) => [a.name, a.digest])));
        this.images = pulumi.output([...new Set(args.prepared.apps.flatMap((a) => a.images))].sort());
        this.registerOutputs({ appDigests: this.appDigests, images: this.images });
    }
}
