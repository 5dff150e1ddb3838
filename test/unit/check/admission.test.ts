/**
 * The admission rule (the regular expression the API server runs in CEL) against the rule of
 * `kfstack check`, on the reference tricks of the policy pack's corpus: they must agree.
 */
import * as assert from "assert";
import { admissionObjects, admitsImage, mirrorOnlyViolations } from "../../../lib/check";
import { inventoryOf, invalidReferenceError } from "../../../lib/images";
import { parseMirror } from "../../../lib/rewrite";
import { ADMISSION_CORPUS } from "../../support/admissionCorpus";

const MIRRORS = [parseMirror("registry.local:5000/kubeflow")];

function checkAdmits(image: string): boolean {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: ${JSON.stringify(image)}\n`;
    const inv = inventoryOf(yaml, "t");
    if (invalidReferenceError(inv.findings, "t", inv.documents)) return false;
    return mirrorOnlyViolations(inv.findings, MIRRORS).length === 0;
}

describe("the admission rule agrees with kfstack check", () => {
    for (const image of ADMISSION_CORPUS) {
        it(JSON.stringify(image), () => {
            assert.equal(admitsImage(image, MIRRORS), checkAdmits(image));
        });
    }

    it("is stricter than check on white space around a mirrored image, as the API server is", () => {
        // kfstack check reads values trimmed; the API server refuses a container image with
        // leading or trailing white space in its own validation, so no such pod exists either way.
        assert.equal(admitsImage(" registry.local:5000/kubeflow/docker.io/a:1", MIRRORS), false);
        assert.equal(checkAdmits(" registry.local:5000/kubeflow/docker.io/a:1"), true);
    });

    it("generates a policy and a binding per shape, with the exempt namespaces and the actions", () => {
        const objects = admissionObjects("m", MIRRORS, { actions: ["Warn", "Audit"], exemptNamespaces: ["kube-system", "tools"] });
        assert.deepEqual(
            objects.map((o) => `${o.kind}/${o.metadata.name}`),
            [
                "ValidatingAdmissionPolicy/m-pods",
                "ValidatingAdmissionPolicyBinding/m-pods",
                "ValidatingAdmissionPolicy/m-workloads",
                "ValidatingAdmissionPolicyBinding/m-workloads",
                "ValidatingAdmissionPolicy/m-cronjobs",
                "ValidatingAdmissionPolicyBinding/m-cronjobs",
            ],
        );
        const binding = objects[1] as any;
        assert.deepEqual(binding.spec.validationActions, ["Warn", "Audit"]);
        assert.deepEqual(binding.spec.matchResources.namespaceSelector.matchExpressions[0].values, ["kube-system", "tools"]);
        const policy = objects[0] as any;
        assert.match(policy.spec.variables[2].expression, /img\.matches\('\^\[rR\]\[eE\]/);
    });
});
