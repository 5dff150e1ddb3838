/**
 * `kfstack doctor`: each check with a passing and a failing case; the cluster checks against a
 * real kube-apiserver (1.34, built from Go modules), the mirror check against a real registry.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { startCluster, clusterBinariesPresent, Cluster } from "../../harness/apiserver";
import { startRegistry, pushImage, seededLayer } from "../../harness/registry";
import { admissionCheck, apisCheck, mirrorCheck, storageClassCheck, tokenCheck, versionCheck } from "../../lib/check";
import { K8sObject } from "../../lib/core";
import { copyImages, verifyImages } from "../../lib/mirror";
import { parseMirror } from "../../lib/rewrite";
import { sessionFor, servedApis } from "../../lib/cli/audit";
import { needShared, needTools, runCliAsync, tempDir, TREE_191, ROOT } from "../support/helpers";

const pdb = (apiVersion: string): K8sObject => ({ apiVersion, kind: "PodDisruptionBudget", metadata: { name: "p", namespace: "kubeflow" } });
const hpa: K8sObject = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: { name: "h", namespace: "kubeflow" } };

describe("kfstack doctor", function () {
    this.timeout(300_000);
    let cluster: Cluster;
    let served: Set<string>;
    let work: string;

    before(async function () {
        if (!clusterBinariesPresent()) {
            if (process.env.KFSTACK_REQUIRE_E2E || process.env.CI) throw new Error("the API server is not built: scripts/build-engine.sh --cluster");
            this.skip();
        }
        cluster = await startCluster();
        served = await servedApis(sessionFor(cluster.kubeconfig, undefined));
        work = tempDir("doctor");
    });
    after(async () => {
        await cluster?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("kubernetes-version: the release's APIs against the cluster's version", () => {
        assert.equal(versionCheck("v1.34.4", [pdb("policy/v1"), hpa]).ok, true);
        const old = versionCheck("v1.22.0", [pdb("policy/v1"), hpa]);
        assert.equal(old.ok, false);
        assert.match(old.detail, /need 1\.23\+/);
        assert.match(old.fix ?? "", /upgrade the cluster to 1\.23/);
        const gone = versionCheck("v1.34.4", [pdb("policy/v1beta1")]);
        assert.equal(gone.ok, false);
        assert.match(gone.detail, /policy\/v1beta1 is gone in 1\.25/);
    });

    it("apis-served: against what the real API server serves", () => {
        assert.equal(apisCheck([pdb("policy/v1"), hpa], served).ok, true);
        const crd = {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: "notebooks.kubeflow.org" },
            spec: { group: "kubeflow.org", names: { kind: "Notebook" } },
        } as K8sObject;
        const nb = { apiVersion: "kubeflow.org/v1", kind: "Notebook", metadata: { name: "n" } } as K8sObject;
        assert.equal(apisCheck([crd, nb], served).ok, true, "a kind the plan's own CRD defines");
        const r = apisCheck([pdb("policy/v1beta1"), nb], served);
        assert.equal(r.ok, false);
        assert.match(r.detail, /does not serve policy\/v1beta1 PodDisruptionBudget, kubeflow\.org\/v1 Notebook/);
    });

    it("admission and token-request: served by the real API server, or refused with the fix", () => {
        assert.equal(admissionCheck(true, served).ok, true);
        assert.equal(admissionCheck(false, new Set()).ok, true, "not needed when off");
        const without = new Set([...served].filter((s) => !s.includes("ValidatingAdmissionPolicy")));
        assert.match(admissionCheck(true, without).fix ?? "", /Kubernetes 1\.30\+, or set kfstack:admission\.enabled to false/);
        assert.equal(tokenCheck(served.has("v1 serviceaccounts/token"), undefined).ok, true);
        assert.equal(tokenCheck(false, "first-party-jwt").ok, true);
        assert.match(tokenCheck(false, undefined).fix ?? "", /istioJwtPolicy to first-party-jwt/);
    });

    it("default-storageclass: a default class on the cluster, or one the stack creates", () => {
        const cls = (name: string, def: boolean) =>
            ({
                apiVersion: "storage.k8s.io/v1",
                kind: "StorageClass",
                metadata: { name, annotations: def ? { "storageclass.kubernetes.io/is-default-class": "true" } : {} },
            }) as K8sObject;
        assert.equal(storageClassCheck([cls("fast", true)], undefined).ok, true);
        assert.equal(storageClassCheck([], "local-path").ok, true);
        const none = storageClassCheck([cls("slow", false)], undefined);
        assert.equal(none.ok, false);
        assert.match(none.detail, /no default StorageClass/);
    });

    it("mirror: every image with its source digest, against real registries", async function () {
        needTools(this, ["skopeo", "docker-registry"]);
        const source = await startRegistry();
        const mirror = await startRegistry();
        try {
            const ref = `${source.host}/kf/app:1`;
            await pushImage(source.client(), "kf/app", "1", [{ architecture: "amd64", layers: [seededLayer("doctor")] }]);
            const m = parseMirror(`${mirror.host}/m`);
            const access = { plainHttp: true, sourcePlainHttp: true };
            const before = mirrorCheck(await verifyImages([ref], m, access));
            assert.equal(before.ok, false);
            assert.match(before.detail, /1 of 1 images are not in the mirror .*missing/);
            await copyImages([ref], m, { ...access, journal: false });
            assert.equal(mirrorCheck(await verifyImages([ref], m, access)).ok, true);
        } finally {
            await Promise.all([source.stop(), mirror.stop()]);
        }
    });

    it("the command: one line per check, exit 1 on a FAIL, on the dev stack against the real API server", async function () {
        needShared(this);
        const stack = jsyaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
        stack.config["kfstack:manifests"] = { path: TREE_191 };
        delete stack.config["kfstack:users"];
        const file = path.join(work, "Pulumi.doctor.yaml");
        fs.writeFileSync(file, jsyaml.dump(stack));
        const r = await runCliAsync(["doctor", "--config", file, "--kubeconfig", cluster.kubeconfig, "--skip", "mirror"], { cwd: work }).done;
        const lines = r.stdout.trim().split("\n");
        const names = ["render", "kubernetes-version", "apis-served", "admission", "token-request", "default-storageclass"];
        assert.equal(lines.length, names.length, r.stdout);
        names.forEach((n, i) => assert.match(lines[i], new RegExp(`^OK {3}${n}: `), r.stdout));
        assert.equal(r.status, 0, r.stdout + r.stderr);
        // Without on-prem storage, the cluster (which has no StorageClass) has no default class: FAIL, exit 1.
        delete stack.config["kfstack:storage"];
        fs.writeFileSync(file, jsyaml.dump(stack));
        const bad = await runCliAsync(["doctor", "--config", file, "--kubeconfig", cluster.kubeconfig, "--skip", "mirror", "--skip", "render"], { cwd: work })
            .done;
        assert.equal(bad.status, 1, bad.stdout + bad.stderr);
        assert.match(bad.stdout, /^FAIL default-storageclass: no default StorageClass.* — fix: set kfstack:storage/m);
        // A release that does not render (an app folder missing): render FAIL, and no plan for the rest.
        const broken = path.join(work, "broken");
        fs.mkdirSync(path.join(broken, "example"), { recursive: true });
        fs.writeFileSync(
            path.join(broken, "example", "kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../apps/missing/base\n",
        );
        stack.config["kfstack:manifests"] = { path: broken };
        fs.writeFileSync(file, jsyaml.dump(stack));
        const norender = await runCliAsync(["doctor", "--config", file, "--kubeconfig", cluster.kubeconfig, "--skip", "default-storageclass"], { cwd: work })
            .done;
        assert.equal(norender.status, 1, norender.stdout + norender.stderr);
        assert.match(norender.stdout, /^FAIL render: /m);
        assert.match(norender.stdout, /^FAIL mirror: no plan \(the render failed\)/m);
        const unknown = await runCliAsync(["doctor", "--config", file, "--skip", "everything"], { cwd: work }).done;
        assert.equal(unknown.status, 2);
        assert.match(unknown.stderr, /--skip everything: no such check/);
    });
});
