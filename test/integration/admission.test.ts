/**
 * The run-time mirror rule on a real kube-apiserver (1.34, built from Go modules): the
 * ValidatingAdmissionPolicies kfstack generates refuse pods, workloads and cronjobs with an
 * image outside the mirror, with a message naming it; admit mirrored ones and anything in an
 * exempt namespace; and agree with `kfstack check` on the corpus of reference tricks.
 */
import { strict as assert } from "assert";
import * as jsyaml from "js-yaml";
import { startCluster, clusterBinariesPresent, Cluster } from "../../harness/apiserver";
import { admissionObjects, mirrorOnlyViolations } from "../../lib/check";
import { inventoryOf, invalidReferenceError } from "../../lib/images";
import { parseMirror } from "../../lib/rewrite";
import { ADMISSION_CORPUS } from "../support/admissionCorpus";

const MIRROR = parseMirror("registry.local:5000/kubeflow");
const GOOD = "registry.local:5000/kubeflow/docker.io/library/busybox:1.36";
const BAD = "docker.io/library/busybox:1.36";

const pod = (name: string, spec: Record<string, unknown>, namespace = "default") => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec });
const containers = (image: string) => ({ containers: [{ name: "c", image }] });

/** A Pod, a Deployment and a CronJob running the public image: one per admission shape. */
function badObjects(prefix: string): { kind: string }[] {
    const template = { metadata: { labels: { app: "x" } }, spec: containers(BAD) };
    return [
        pod(`${prefix}-pod`, containers(BAD)),
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: `${prefix}-deploy`, namespace: "default" },
            spec: { selector: { matchLabels: { app: "x" } }, template },
        },
        {
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: { name: `${prefix}-cron`, namespace: "default" },
            spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec: { ...containers(BAD), restartPolicy: "Never" } } } } },
        },
    ];
}

function checkAdmits(image: string): boolean {
    const inv = inventoryOf(jsyaml.dump(pod("p", containers(image))), "t");
    if (invalidReferenceError(inv.findings, "t", inv.documents)) return false;
    return mirrorOnlyViolations(inv.findings, [MIRROR]).length === 0;
}

describe("mirror-only admission on a real API server", function () {
    this.timeout(180_000);
    let cluster: Cluster;
    const create = (obj: object, dryRun = false) => cluster.kubectl(["create", "-f", "-", ...(dryRun ? ["--dry-run=server"] : [])], JSON.stringify(obj));

    before(async function () {
        if (!clusterBinariesPresent()) {
            if (process.env.KFSTACK_REQUIRE_E2E || process.env.CI) throw new Error("the API server is not built: scripts/build-engine.sh --cluster");
            this.skip();
        }
        cluster = await startCluster();
        assert.equal(cluster.kubectl(["create", "namespace", "tools"]).status, 0);
        // No controller-manager here: the pods' service accounts are made by hand.
        for (const ns of ["default", "tools"]) assert.equal(cluster.kubectl(["create", "serviceaccount", "default", "-n", ns]).status, 0);
        const objects = admissionObjects("kfstack-mirror-only", [MIRROR], { actions: ["Deny"], exemptNamespaces: ["kube-system", "tools"] });
        const applied = cluster.kubectl(["apply", "--server-side", "-f", "-"], objects.map((o) => "---\n" + jsyaml.dump(o)).join(""));
        assert.equal(applied.status, 0, applied.stderr);
        // Each shape has its own policy, and each takes effect once the API server has compiled
        // it: wait until every shape refuses a public image (a dry run), not only the Pod's.
        const deadline = Date.now() + 30_000;
        for (const probe of badObjects("probe")) {
            while (create(probe, true).status === 0) {
                if (Date.now() > deadline) throw new Error(`the admission policy for ${probe.kind} never took effect`);
                await new Promise((r) => setTimeout(r, 250));
            }
        }
    });
    after(async () => cluster?.stop());

    it("refuses a Pod, a Deployment and a CronJob with a public image, naming it and the mirror", () => {
        for (const o of badObjects("bad")) {
            const r = create(o);
            assert.notEqual(r.status, 0, `${o.kind} admitted`);
            assert.match(
                r.stderr,
                new RegExp(`image ${BAD.replace(/[.]/g, "\\.")} is not served from the mirror \\(registry\\.local:5000/kubeflow\\)`),
                r.stderr,
            );
        }
    });

    it("admits the same objects with mirrored images, and anything in an exempt namespace", () => {
        const template = { metadata: { labels: { app: "y" } }, spec: containers(GOOD) };
        assert.equal(create(pod("good-pod", containers(GOOD))).status, 0);
        const d = create({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "good", namespace: "default" },
            spec: { selector: { matchLabels: { app: "y" } }, template },
        });
        assert.equal(d.status, 0, d.stderr);
        const c = create({
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: { name: "good", namespace: "default" },
            spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec: { ...containers(GOOD), restartPolicy: "Never" } } } } },
        });
        assert.equal(c.status, 0, c.stderr);
        const exempt = create(pod("anything", containers(BAD), "tools"));
        assert.equal(exempt.status, 0, exempt.stderr);
    });

    it("checks init containers and ephemeral containers too", () => {
        const init = create(pod("init", { initContainers: [{ name: "i", image: BAD }], ...containers(GOOD) }));
        assert.notEqual(init.status, 0);
        assert.match(init.stderr, /is not served from the mirror/);
        // An ephemeral container is added through the pod's ephemeralcontainers subresource.
        const patch = { spec: { ephemeralContainers: [{ name: "debug", image: BAD, targetContainerName: "c" }] } };
        const r = cluster.kubectl(["patch", "pod", "good-pod", "--subresource=ephemeralcontainers", "--type=strategic", "-p", JSON.stringify(patch)]);
        assert.notEqual(r.status, 0, r.stdout);
        assert.match(r.stderr, /is not served from the mirror/);
        const ok = { spec: { ephemeralContainers: [{ name: "debug", image: GOOD, targetContainerName: "c" }] } };
        const r2 = cluster.kubectl(["patch", "pod", "good-pod", "--subresource=ephemeralcontainers", "--type=strategic", "-p", JSON.stringify(ok)]);
        assert.equal(r2.status, 0, r2.stderr);
    });

    it("agrees with kfstack check on every reference trick of the corpus", () => {
        const disagree: string[] = [];
        ADMISSION_CORPUS.forEach((image, i) => {
            const r = create(pod(`corpus-${i}`, containers(image)), true);
            // The API server's own validation refuses some forms before admission (an empty path
            // component, for one): refused either way.
            if ((r.status === 0) !== checkAdmits(image))
                disagree.push(`${JSON.stringify(image)}: api server ${r.status === 0 ? "admits" : "refuses"} (${r.stderr.trim().slice(0, 160)})`);
        });
        assert.deepEqual(disagree, []);
    });
});
