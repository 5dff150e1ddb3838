/**
 * The whole Pulumi program for the dev stack, under mocks, on the real
 * kubeflow/manifests v1.9.1 tree rendered by real kustomize.
 */
import * as assert from "assert";
import { withoutDroppedEmpties, withoutInjectedCaBundles } from "../../lib/plan";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import * as bcrypt from "bcryptjs";
import { useMocks, recordRegistrations, settle, promise, Recorded, Registration, RecordingMocks } from "../../harness/mocks";
import { devConfig, PASSWORD } from "../../harness/stacks";
import { spawnSync } from "child_process";
import { ROOT, TREE_191 } from "../../harness/paths";
import { tempDir, needShared } from "../support/helpers";
import { rewriteStream } from "../../lib/rewrite";
import { parseMirror } from "../../lib/rewrite";
import { walkObject } from "../../lib/images";
import { mirrorOnlyViolations } from "../../lib/check";
import { typeToken } from "../../lib/core";
import { groupKind, objectKey, K8sObject, withServerScope } from "../../lib/core";
import { parseSettings, kfstackConfig } from "../../lib/config";
import { planStorage } from "../../lib/onprem";

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: any };
const id = (o: Obj) => objectKey(o as K8sObject);

/** The dev stack's storage objects for these platform objects (Pulumi.dev.yaml's kfstack:storage). */
function devStorage(objects: K8sObject[]): K8sObject[] {
    const settings = parseSettings(kfstackConfig(Object.fromEntries(Object.entries(devConfig()).map(([k, v]) => [k, v]))), ROOT);
    const p = planStorage(objects, settings.storage!, settings.mirror);
    return [p.staticClass, ...p.volumes, ...p.provisioner];
}

/** The value at a path written by `diff`. */
function valueAt(o: any, p: string): any {
    return p
        .split(/\.|\[|\]/)
        .filter(Boolean)
        .reduce((v, k) => v?.[k], o);
}

/** Paths (a.b[0].c) where two values differ. */
function diff(a: unknown, b: unknown, at = ""): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
        const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
        return [...keys].flatMap((k) => diff((a as any)[k], (b as any)[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k));
    }
    return [at];
}

describe("the Pulumi program, dev stack, under mocks (kubeflow v1.9.1)", function () {
    before(function () {
        needShared(this);
    });

    this.timeout(300000);
    let mocks: RecordingMocks;
    let registrations: Registration[];
    let outputs: Record<string, unknown>;
    let objects: Map<string, Recorded>;
    const mirror = parseMirror("registry.local:5000/kubeflow");
    const expected = new Map<string, Obj>();

    before(async () => {
        // The reference: `kubectl kustomize example`, run here (not the stored render).
        const example = spawnSync("kubectl", ["kustomize", path.join(TREE_191, "example")], { encoding: "utf8", maxBuffer: 64 << 20 });
        assert.strictEqual(example.status, 0, example.stderr);
        const rewritten = rewriteStream(example.stdout, "example", mirror).text;
        // Identities as the API server has them: no namespace on cluster-scoped objects (withServerScope, unit-tested).
        const docs = (jsyaml.loadAll(rewritten) as Obj[]).filter(Boolean);
        withServerScope(docs as K8sObject[]);
        for (const d of docs) expected.set(id(d), d);
        mocks = useMocks(devConfig({ "kfstack:kustomize": { cacheDir: tempDir("cache") } }));
        registrations = recordRegistrations();
        const program = require("../../index") as () => Promise<Record<string, unknown>>;
        const result = await program();
        outputs = Object.fromEntries(await Promise.all(Object.entries(result).map(async ([k, v]) => [k, await promise(v as any)])));
        await settle();
        objects = new Map(mocks.kubernetes().map((r) => [id(r.inputs as Obj), r]));
    });

    it("registers exactly the objects of `kubectl kustomize example`, plus the profiles from config", () => {
        // Plus the mirror-only admission policies (kfstack:admission, on by default): 3 policies, 3 bindings.
        const admission = ["pods", "workloads", "cronjobs"].flatMap((s) => [
            `admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy//kfstack-mirror-only-${s}`,
            `admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding//kfstack-mirror-only-${s}`,
        ]);
        // Plus the dev stack's on-prem storage (kfstack:storage): class, a volume per claim, the provisioner.
        const storage = devStorage([...expected.values()] as K8sObject[]);
        const want = new Set([...expected.keys(), "kubeflow.org/v1/Profile//kubeflow-user-example-com", ...admission, ...storage.map((o) => id(o))]);
        const got = mocks.kubernetes().map((r) => id(r.inputs as Obj));
        assert.strictEqual(got.length, new Set(got).size, "each object once");
        assert.deepStrictEqual(
            [...new Set(got)].filter((k) => !want.has(k)),
            [],
            "none extra",
        );
        assert.deepStrictEqual(
            [...want].filter((k) => !objects.has(k)),
            [],
            "none missing",
        );
        assert.strictEqual(got.length, 576 + storage.length);
        assert.strictEqual(storage.length, 13, "local-storage, 3 volumes, 9 objects of local-path-provisioner");
    });

    it("registers each object with its kind's type token, under an app component, with the stack's provider", () => {
        for (const r of mocks.kubernetes()) {
            const o = r.inputs as Obj;
            assert.strictEqual(r.type, typeToken(o.apiVersion, o.kind));
            assert.ok(r.provider && r.provider.includes("pulumi:providers:kubernetes::k8s"), `${r.name} uses the stack's provider`);
        }
        const apps = mocks.resources.filter((r) => r.type === "kfstack:kubeflow:App").map((r) => r.name);
        assert.ok(apps.includes("kubeflow-pipeline") && apps.includes("kubeflow-cert-manager") && apps.includes("kubeflow-user-profiles"), apps.join(","));
        assert.strictEqual(mocks.resources.filter((r) => r.type === "kfstack:kubeflow:Platform").length, 1);
    });

    it("gives every CR a dependency path to its CRD, and every namespaced object one to its Namespace", () => {
        const byUrn = new Map(registrations.map((r) => [r.urn, r]));
        const urnOf = new Map<string, string>();
        for (const reg of registrations) {
            const rec = mocks.kubernetes().find((r) => r.type === reg.type && r.name === reg.name);
            if (rec) urnOf.set(id(rec.inputs as Obj), reg.urn);
        }
        const crdUrn = new Map<string, string>();
        const nsUrn = new Map<string, string>();
        for (const [key, r] of objects) {
            const o = r.inputs as Obj;
            if (o.kind === "CustomResourceDefinition") crdUrn.set(`${o.spec.group}/${o.spec.names.kind}`, urnOf.get(key) as string);
            if (o.kind === "Namespace") nsUrn.set(o.metadata.name, urnOf.get(key) as string);
        }
        const reaches = (from: string, to: string) => {
            const seen = new Set<string>();
            const stack = [from];
            while (stack.length) {
                const u = stack.pop() as string;
                if (u === to) return true;
                if (seen.has(u)) continue;
                seen.add(u);
                stack.push(...(byUrn.get(u)?.dependencies ?? []));
            }
            return false;
        };
        let crs = 0;
        for (const [key, r] of objects) {
            const o = r.inputs as Obj;
            const crd = crdUrn.get(groupKind(o.apiVersion, o.kind));
            if (crd && o.kind !== "CustomResourceDefinition") {
                crs++;
                assert.ok(reaches(urnOf.get(key) as string, crd), `${key} has a path to its CRD`);
            }
            const ns = o.metadata.namespace ? nsUrn.get(o.metadata.namespace) : undefined;
            if (ns) assert.ok(reaches(urnOf.get(key) as string, ns), `${key} has a path to its Namespace`);
        }
        assert.ok(crs > 50, `${crs} custom resources checked`);
    });

    it("puts every image under the mirror", () => {
        const findings = [...objects.values()].flatMap((r, i) => walkObject(r.inputs, undefined, i).findings);
        assert.ok(findings.length > 100);
        assert.deepStrictEqual(
            mirrorOnlyViolations(findings, [mirror]).map((v) => v.message),
            [],
        );
        assert.strictEqual((outputs.images as string[]).length, 89);
        assert.ok((outputs.images as string[]).every((i) => i.startsWith("registry.local:5000/kubeflow/")));
    });

    it("applies each configured transform where it applies, and changes nothing else", () => {
        const effects: Record<string, number> = {
            imagePullPolicy: 0,
            secureCookies: 0,
            storageClass: 0,
            ingressServiceType: 0,
            dex: 0,
            knativeSkipTagResolving: 0,
        };
        for (const [key, written] of expected) {
            // Empty fields the API server drops are not registered (withoutDroppedEmpties, unit-tested), nor
            // the CA bundles cert-manager's cainjector fills (withoutInjectedCaBundles, unit-tested).
            const want = withoutInjectedCaBundles(withoutDroppedEmpties(written as K8sObject)) as Obj;
            const registered = objects.get(key)?.inputs as Obj;
            // kfstack:patchForce (default on): every object, and nothing else about it changes.
            const all = (registered.metadata.annotations ?? {}) as Record<string, string>;
            assert.strictEqual(all["pulumi.com/patchForce"], "true", `${key}: pulumi.com/patchForce`);
            const { "pulumi.com/patchForce": _force, ...annotations } = all;
            const got = { ...registered, metadata: { ...registered.metadata, annotations } } as Obj;
            if (Object.keys(annotations).length === 0) delete got.metadata.annotations;
            for (const p of diff(want, got)) {
                if (/(containers|initContainers)\[\d+\]\.imagePullPolicy$/.test(p)) effects.imagePullPolicy++;
                else if (/APP_SECURE_COOKIES$/.test(p) && want.kind === "ConfigMap") {
                    effects.secureCookies++;
                    effects.secureCookieMaps = (effects.secureCookieMaps ?? 0) + 1;
                    assert.strictEqual(valueAt(got, p), "false");
                } else if (/env\[\d+\]\.value$/.test(p) && valueAt(got, p.replace(/\.value$/, "")).name === "APP_SECURE_COOKIES") {
                    effects.secureCookies++;
                    assert.strictEqual(valueAt(got, p), "false");
                } else if (p === "spec.storageClassName" && want.kind === "PersistentVolumeClaim") {
                    effects.storageClass++;
                    assert.strictEqual(got.spec.storageClassName, "local-storage");
                } else if (p === "spec.type" && want.kind === "Service" && want.metadata.name === "istio-ingressgateway") {
                    effects.ingressServiceType++;
                    assert.strictEqual(got.spec.type, "NodePort");
                } else if (p === "data.registries-skipping-tag-resolving" && want.metadata.name === "config-deployment") {
                    effects.knativeSkipTagResolving++;
                    assert.strictEqual(valueAt(got, p), "kind.local,ko.local,dev.local,registry.local:5000");
                } else if (want.kind === "ConfigMap" && want.metadata.namespace === "auth" && p.startsWith("data.")) effects.dex++;
                else assert.fail(`${key}: ${p} changed, and no configured transform explains it`);
            }
        }
        assert.deepStrictEqual(
            Object.entries(effects)
                .filter(([, n]) => n === 0)
                .map(([k]) => k),
            [],
            JSON.stringify(effects),
        );
        assert.strictEqual(effects.storageClass, 3, "the three PVCs of v1.9.1 (katib-mysql, minio-pvc, mysql-pv-claim)");
        assert.strictEqual(effects.secureCookieMaps, 3, "the parameters of the jupyter, volumes and tensorboards web apps");
    });

    it("hashes Dex passwords with bcrypt and never stores the plain text", () => {
        const record = [...objects.values()].find((r) => (r.inputs as Obj).kind === "ConfigMap" && (r.inputs as Obj).metadata.name === "dex") as Recorded;
        assert.ok(record.secret, "the Dex ConfigMap's data is a secret in state");
        const dex = record.inputs as Obj;
        const config = jsyaml.load(dex.data["config.yaml"]) as any;
        assert.deepStrictEqual(
            config.staticPasswords.map((u: any) => u.email),
            ["user@example.com"],
        );
        assert.ok(bcrypt.compareSync(PASSWORD, config.staticPasswords[0].hash));
        assert.ok(!JSON.stringify(mocks.resources.map((r) => r.inputs)).includes(PASSWORD));
        assert.ok(!fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8").includes("password:"), "no password in the stack file");
    });

    it("exports per-app digests and the install order", () => {
        const apps = outputs.apps as string[];
        assert.ok(apps.indexOf("cert-manager") < apps.indexOf("istio-install"));
        assert.ok(apps.indexOf("istio-install") < apps.indexOf("dex"));
        assert.ok(apps.indexOf("dex") < apps.indexOf("knative-serving"));
        assert.ok(apps.indexOf("knative-serving") < apps.indexOf("pipeline"));
        assert.strictEqual(apps[apps.length - 1].startsWith("user-"), true);
        const digests = outputs.appDigests as Record<string, string>;
        assert.deepStrictEqual(Object.keys(digests).sort(), [...apps].sort());
        assert.ok(Object.values(digests).every((d) => /^[0-9a-f]{64}$/.test(d)));
        assert.strictEqual(outputs.objectCount, 589, "570 of the platform, 6 of the mirror-only admission, 13 of the storage");
    });
});
