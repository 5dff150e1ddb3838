import * as assert from "assert";
import { parseSettings, ConfigError } from "../../../lib/config";

describe("stack config validation", () => {
    it("reports every problem together, each naming its key", () => {
        try {
            parseSettings(
                {
                    manifests: {},
                    mirror: { registry: "https://registry.local" },
                    cluster: { type: "gke" },
                    transforms: { imagePullPolicy: "Sometimes", secureCookies: "no", storageClas: "x" },
                    users: [{ email: "not-an-email" }],
                    profiles: [{ name: "Bad_Name", owner: "a@b.c" }],
                    mirorr: {},
                },
                "/",
            );
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            const keys = e.problems.map((p) => p.split(" ")[0].replace(/:$/, ""));
            assert.deepStrictEqual(
                keys.sort(),
                [
                    "kfstack:cluster.type",
                    "kfstack:manifests.path",
                    "kfstack:mirror.registry",
                    "kfstack:mirorr",
                    "kfstack:profiles[0].name",
                    "kfstack:transforms.imagePullPolicy",
                    "kfstack:transforms.secureCookies",
                    "kfstack:transforms.storageClas",
                    "kfstack:users[0].email",
                ].sort(),
            );
            assert.match(e.message, /kfstack:mirorr is not a kfstack setting; did you mean kfstack:mirror\?/);
            assert.match(e.message, /kfstack:transforms\.storageClas is not a setting of kfstack:transforms; did you mean kfstack:transforms\.storageClass\?/);
            assert.match(e.message, /drop the URL scheme/);
        }
    });

    it("applies defaults with nothing but the two required keys", () => {
        const s = parseSettings({ manifests: { path: "m" }, mirror: { registry: "registry.local:5000/kf" } }, "/base");
        assert.strictEqual(s.manifests.path, "/base/m");
        assert.strictEqual(s.mirror.location, "registry.local:5000/kf");
        assert.strictEqual(s.cluster, "onprem");
        assert.deepStrictEqual(s.transforms, {
            imagePullPolicy: undefined,
            secureCookies: undefined,
            storageClass: undefined,
            ingressServiceType: undefined,
            istioJwtPolicy: undefined,
            webhookFailurePolicy: undefined,
        });
        assert.strictEqual(s.skipAwait, false);
        assert.strictEqual(s.patchForce, true, "kfstack owns its objects: fields taken by kubectl are taken back");
    });
});
