import * as assert from "assert";
import { parseSettings, ConfigError, EKS_DEFAULTS, SCHEMA } from "../../../lib/config";

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
            storageClassOverride: undefined,
            ingressServiceType: undefined,
            istioJwtPolicy: undefined,
            webhookFailurePolicy: undefined,
            // Knative must not resolve tags against the mirror (on by default when a mirror is set).
            skipTagResolvingFor: "registry.local:5000",
        });
        assert.deepStrictEqual(s.mirrorFill, {
            type: "none",
            engine: "skopeo",
            jobs: 4,
            protect: false,
            plainHttp: false,
            sourcePlainHttp: false,
            username: undefined,
            hasPassword: false,
            deleteImages: false,
        });
        assert.strictEqual(s.skipAwait, false);
        assert.strictEqual(s.patchForce, true, "kfstack owns its objects: fields taken by kubectl are taken back");
    });

    it("validates the mirror fill settings, every problem named by its key", () => {
        const base = { manifests: { path: "m" } };
        const s = parseSettings(
            {
                ...base,
                mirror: { registry: "harbor.lab:8443/kf", type: "registry", username: "robot", password: "pw", jobs: 8, protect: true, deleteImages: true },
            },
            "/",
        );
        assert.equal(s.mirrorFill.type, "registry");
        assert.equal(s.mirrorFill.jobs, 8);
        assert.equal(s.mirrorFill.hasPassword, true);
        assert.throws(
            () =>
                parseSettings(
                    {
                        ...base,
                        mirror: { registry: "harbor.lab/kf", type: "s3", engine: "podman", jobs: 0, username: "robot", protect: "yes" },
                        transforms: { knativeSkipTagResolving: "no" },
                    },
                    "/",
                ),
            (e: Error) => {
                for (const k of ["mirror.type", "mirror.engine", "mirror.jobs", "mirror.password", "mirror.protect", "transforms.knativeSkipTagResolving"]) {
                    assert.match(e.message, new RegExp(`kfstack:${k.replace(".", "\\.")}`), k);
                }
                return true;
            },
        );
        assert.throws(() => parseSettings({ ...base, mirror: { registry: "harbor.lab/kf", type: "ecr" } }, "/"), /is not an ECR registry host/);
        assert.throws(
            () => parseSettings({ ...base, mirror: { registry: "harbor.lab/kf", engine: "docker" } }, "/"),
            /kfstack:mirror\.engine docker fills the mirror/,
        );
        const ecr = parseSettings({ ...base, mirror: { registry: "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/kf", type: "ecr" } }, "/");
        assert.equal(ecr.mirrorFill.type, "ecr");
        const off = parseSettings({ ...base, mirror: { registry: "r.io/kf" }, transforms: { knativeSkipTagResolving: false } }, "/");
        assert.equal(off.transforms.skipTagResolvingFor, undefined);
    });
});

describe("the settings schema", () => {
    const base = { manifests: { path: "m" }, mirror: { registry: "r.io/kf" } };

    it("gives EksCluster the same defaults the stack config gets", () => {
        const s = parseSettings({ ...base, cluster: { type: "eks" } }, "/");
        assert.deepStrictEqual(s.eks, EKS_DEFAULTS);
        assert.strictEqual(EKS_DEFAULTS.version, SCHEMA.cluster.fields.version.default);
        assert.strictEqual(s.mirrorFill.jobs, SCHEMA.mirror.fields.jobs.default);
    });

    it("checks every field by its kind, each problem naming its key", () => {
        assert.throws(
            () =>
                parseSettings(
                    {
                        ...base,
                        cluster: { type: "eks", desiredSize: 2.5, name: "-x", subnetIds: { public: [] } },
                        storage: { basePath: "relative/dir", volumeType: "nfs", claims: [] },
                        admission: { actions: ["Deny", "Block"], serverVersion: "one" },
                        skipAwait: "yes",
                    },
                    "/",
                ),
            (e: unknown) => {
                assert.ok(e instanceof ConfigError);
                const keys = e.problems.map((p) => p.split(" ")[0].replace(/:$/, "")).sort();
                assert.deepStrictEqual(keys, [
                    "kfstack:admission.actions",
                    "kfstack:admission.serverVersion",
                    "kfstack:cluster.desiredSize",
                    "kfstack:cluster.name",
                    "kfstack:cluster.subnetIds",
                    "kfstack:skipAwait",
                    "kfstack:storage",
                    "kfstack:storage.basePath",
                    "kfstack:storage.claims",
                    "kfstack:storage.volumeType",
                ]);
                assert.match(e.message, /kfstack:storage\.basePath "relative\/dir" must be an absolute path/);
                assert.match(e.message, /kfstack:cluster\.desiredSize must be a whole number from 0 to 1000, got 2\.5/);
                assert.match(e.message, /kfstack:admission\.actions has Block; use Deny, Warn, Audit/);
                return true;
            },
        );
    });

    it("resolves the stack's own paths against its folder and keeps the nodes' paths as given", () => {
        const s = parseSettings(
            {
                ...base,
                kustomize: { cacheDir: "cache", remotes: { "https://github.com/x/y": "vendor/y" } },
                apps: { extra: [{ name: "mine", path: "apps/mine" }] },
                storage: { node: "n1" },
            },
            "/stack",
        );
        assert.strictEqual(s.kustomize.cacheDir, "/stack/cache");
        assert.deepStrictEqual(s.kustomize.remotes, { "https://github.com/x/y": "/stack/vendor/y" });
        assert.deepStrictEqual(s.apps.extra, [{ name: "mine", path: "/stack/apps/mine", after: [] }]);
        assert.strictEqual(s.storage?.basePath, SCHEMA.storage.fields.basePath.default);
    });
});
