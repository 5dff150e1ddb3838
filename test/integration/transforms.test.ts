import * as assert from "assert";
import * as fs from "fs";
import * as jsyaml from "js-yaml";
import { applyTransforms } from "../../lib/plan";
import { K8sObject, objectKey } from "../../lib/core";
import { RENDERED_191 } from "../../harness/paths";

import { needShared } from "../support/helpers";

describe("transforms on the real v1.9.1 render", () => {
    before(function () {
        needShared(this);
    });

    it("istioJwtPolicy first-party-jwt on the real Istio 1.22 render: injector values, istiod env, istio-token volumes", () => {
        const objects = (jsyaml.loadAll(fs.readFileSync(RENDERED_191, "utf8")) as K8sObject[]).filter((o) => o && o.metadata.namespace === "istio-system");
        const report = applyTransforms(objects, { istioJwtPolicy: "first-party-jwt" }, objectKey).get("istioJwtPolicy") as string[];
        assert.ok(report.includes("v1/ConfigMap/istio-system/istio-sidecar-injector"));
        assert.ok(report.includes("apps/v1/Deployment/istio-system/istiod"));
        assert.ok(report.includes("apps/v1/Deployment/istio-system/istio-ingressgateway"));
        const injector: any = objects.find((o) => o.metadata.name === "istio-sidecar-injector");
        assert.strictEqual(JSON.parse(injector.data.values).global.jwtPolicy, "first-party-jwt");
        const istiod: any = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "istiod");
        assert.ok(istiod.spec.template.spec.containers[0].env.some((e: any) => e.name === "JWT_POLICY" && e.value === "first-party-jwt"));
        const gw: any = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "istio-ingressgateway");
        assert.ok(!JSON.stringify(gw.spec.template.spec).includes("istio-token"), "the projected token volume and its mounts are gone");
        const untouched = objects.filter((o) => !report.includes(objectKey(o)));
        assert.ok(
            untouched.some((o) => o.kind === "Service"),
            "Services are left alone",
        );
    });
});
