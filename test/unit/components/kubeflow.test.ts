/**
 * The components on their own, under mocks: a small platform with two apps.
 */
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { useMocks, recordRegistrations, settle, promise } from "../../../harness/mocks";
import { KubeflowPlatform } from "../../../components/kubeflow";
import { PreparedPlatform, manifestDigest } from "../../../lib/plan";
import { K8sObject } from "../../../lib/core";

const crd: K8sObject = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: { group: "example.com", names: { kind: "Widget" } },
} as any;
const ns: K8sObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "kubeflow" } };
const widget: K8sObject = {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w", namespace: "kubeflow" },
    spec: { image: "mirror.local/kf/quay.io/a:1" },
} as any;
const secret: K8sObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "kubeflow" }, stringData: { token: "t" } } as any;

/** A prepared app of these objects, after those apps, without images. */
const app = (name: string, objects: K8sObject[], dependsOn: string[] = []) => ({
    name,
    objects,
    dependsOn,
    images: [],
    sourceImages: [],
    digest: manifestDigest(objects),
    cached: true,
});

function prepared(): PreparedPlatform {
    return { apps: [app("widgets", [crd, ns]), app("gadget", [widget, secret], ["widgets"])], warnings: [], transforms: new Map() };
}

describe("KubeflowPlatform and KubeflowApp components", () => {
    it("registers each object under its app, after the apps it depends on, with skipAwait when asked", async () => {
        const mocks = useMocks({}, {}, "unit");
        const registrations = recordRegistrations();
        const provider = new k8s.Provider("k8s", {});
        const platform = new KubeflowPlatform(
            "kf",
            { prepared: prepared(), annotations: { "pulumi.com/skipAwait": "true" } },
            { providers: { kubernetes: provider } },
        );
        const digests = await promise(platform.appDigests);
        await settle();
        assert.deepStrictEqual(Object.keys(digests), ["widgets", "gadget"]);
        const apps = mocks.resources.filter((r) => r.type === "kfstack:kubeflow:App").map((r) => r.name);
        assert.deepStrictEqual(apps, ["kf-widgets", "kf-gadget"], "names are prefixed with the parent's");
        const objs = mocks.kubernetes();
        assert.strictEqual(objs.length, 4);
        assert.ok(objs.every((r) => r.inputs.metadata.annotations?.["pulumi.com/skipAwait"] === "true"));
        assert.deepStrictEqual(objs.map((r) => r.type).sort(), [
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
            "kubernetes:core/v1:Namespace",
            "kubernetes:core/v1:Secret",
            "kubernetes:example.com/v1:Widget",
        ]);
        const urn = (name: string) => registrations.find((r) => r.name === name)?.urn as string;
        const deps = (name: string) => registrations.find((r) => r.name === name)?.dependencies ?? [];
        // The other app is closed by its last loose end (the Namespace), which waits for the rest of it (the CRD):
        // the CR waits for that one object, and so for its CRD and its Namespace.
        assert.deepStrictEqual(deps("kf-kubeflow"), [urn("kf-widgets.example.com")], "the closing object waits for the app's other objects");
        assert.deepStrictEqual(deps("kf-kubeflow/w"), [urn("kf-kubeflow")], "the CR waits for the other app's closing object only");
        assert.deepStrictEqual(
            [...deps("kf-kubeflow/s")].sort(),
            [urn("kf-kubeflow"), urn("kf-kubeflow/w")].sort(),
            "the Secret closes its app: after the CR, and like every object of the app, after the other app",
        );
        assert.deepStrictEqual(deps("kf-widgets.example.com"), [], "the first app waits for nothing");
        assert.strictEqual(platform.apps.get("widgets")?.closing, platform.apps.get("widgets")?.resources.get("v1/Namespace//kubeflow"));
        const app = platform.apps.get("gadget")!;
        assert.strictEqual(await promise(app.objectCount), 2);
        assert.strictEqual(await promise(app.manifestDigest), manifestDigest([widget, secret]));
    });
});

describe("waiting for an app", () => {
    it("is waiting for its closing object; an app without objects hands on its own dependencies; `done` is the last apps' closing objects", async () => {
        const cm = (name: string): K8sObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "kubeflow" } });
        useMocks({}, {}, "unit");
        const registrations = recordRegistrations();
        const platform = new KubeflowPlatform("kf", {
            prepared: {
                apps: [app("a", [ns, cm("a1"), cm("a2")], []), app("empty", [], ["a"]), app("c", [cm("c1")], ["empty"]), app("d", [cm("d1")], ["a"])],
                warnings: [],
                transforms: new Map(),
            },
        });
        await settle();
        const urn = (name: string) => registrations.find((r) => r.name === name)?.urn as string;
        const deps = (name: string) => [...(registrations.find((r) => r.name === name)?.dependencies ?? [])].sort();
        // In app a the ConfigMaps wait for the Namespace; a2 closes the app and waits for the other loose end, a1.
        assert.deepStrictEqual(deps("kf-kubeflow/a2"), [urn("kf-kubeflow"), urn("kf-kubeflow/a1")].sort());
        assert.deepStrictEqual(deps("kf-kubeflow/c1"), [urn("kf-kubeflow/a2")], "through the empty app to a's closing object");
        assert.deepStrictEqual(deps("kf-kubeflow/d1"), [urn("kf-kubeflow/a2")]);
        assert.strictEqual(platform.apps.get("empty")?.closing, undefined);
        assert.deepStrictEqual((await Promise.all(platform.done.map((r) => promise(r.urn)))).sort(), [urn("kf-kubeflow/c1"), urn("kf-kubeflow/d1")].sort());
    });
});

describe("KubeflowApp registration order", () => {
    it("gives every object its own dependencies, whatever the order of the objects, and the provider through its parent", async () => {
        // The order that broke the recursive walk: a webhook first reaches x, then y in n, and y lost its dependency on n.
        const webhook: K8sObject = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "hook" } };
        const x: K8sObject = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" } };
        const y: K8sObject = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "y", namespace: "n" } };
        const n: K8sObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "n" } };
        const mocks = useMocks({}, {}, "unit");
        const registrations = recordRegistrations();
        const provider = new k8s.Provider("k8s", {});
        new KubeflowPlatform(
            "kf",
            { prepared: { apps: [app("a", [webhook, x, y, n])], warnings: [], transforms: new Map() } },
            { providers: { kubernetes: provider } },
        );
        await settle();
        const urn = (name: string) => registrations.find((r) => r.name === name)?.urn as string;
        const deps = (name: string) => registrations.find((r) => r.name === name)?.dependencies ?? [];
        assert.deepStrictEqual(deps("kf-n/y"), [urn("kf-n")], "y waits for its Namespace");
        assert.deepStrictEqual([...deps("kf-hook")].sort(), [urn("kf-x"), urn("kf-n/y")].sort(), "the webhook waits for both workloads");
        const providerUrn = urn("k8s");
        const objects = mocks.kubernetes();
        assert.strictEqual(objects.length, 4);
        for (const o of objects) assert.ok(o.provider?.startsWith(providerUrn + "::"), `${o.name} uses the stack's provider (${o.provider})`);
    });
});

describe("the test mocks", () => {
    // useMocks answers registrations without Pulumi's JavaScript round trip (see RecordingMocks.registerResource):
    // what a test reads must be what Pulumi's own mock monitor gives.
    async function run(pulumiPath: boolean) {
        const mocks = useMocks({}, {}, "unit", pulumiPath);
        const { KubeObject } = await import("../../../components/kubernetes");
        const pulumi = await import("@pulumi/pulumi");
        const ns = new KubeObject("ns", { apiVersion: "v1", kind: "Namespace", metadata: { name: "kubeflow", labels: { a: "b" } } }, "v1", "Namespace");
        const s = new KubeObject(
            "s",
            {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: "s", namespace: "kubeflow" },
                stringData: pulumi.secret({ token: "t" }),
                data: { n: [1, 2.5, true, null, { x: "" }] },
            },
            "v1",
            "Secret",
            { dependsOn: [ns] },
        );
        const out = {
            urn: await promise(s.urn),
            id: await promise(s.id),
            metadata: await promise((s as any).metadata),
            data: await promise((s as any).data),
            stringData: await promise((s as any).stringData),
            nsUrn: await promise(ns.urn),
        };
        await settle();
        return { out, recorded: mocks.resources.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, secret: r.secret, provider: r.provider })) };
    }

    it("record and answer what Pulumi's own mock monitor does", async () => {
        const fast = await run(false);
        const slow = await run(true);
        assert.deepStrictEqual(fast, slow);
        assert.deepStrictEqual(fast.out.stringData, { token: "t" });
        assert.strictEqual(fast.recorded.find((r) => r.name === "s")?.secret, true);
        assert.strictEqual(fast.recorded.find((r) => r.name === "ns")?.secret, false);
        assert.strictEqual(fast.out.id, "s-id");
    });
});
