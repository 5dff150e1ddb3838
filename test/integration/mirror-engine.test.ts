/**
 * The mirror as Pulumi resources on the real engine (the CLI built from Go modules, the
 * dynamic-provider plugin, a local file backend) against real registries: preview, up,
 * drift in the mirror seen by `preview --refresh` and repaired by `up`, destroy leaving the
 * images, and the mirror's password encrypted in the state.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { startRegistry, Registry, pushImage, seededLayer } from "../../harness/registry";
import { enginePresent, startEngine, Engine, recordSteps, urnType, urnName } from "../../harness/engine";
import { RegistryMirror } from "../../components/mirror";
import { needTools } from "../support/helpers";

const PASSWORD = "mirror-pw-never-in-plain-state";

describe("RegistryMirror on the real engine", function () {
    this.timeout(600_000);
    let source: Registry;
    let mirror: Registry;
    let engine: Engine;
    const images = new Map<string, string>();

    before(async function () {
        needTools(this, ["skopeo", "docker-registry", "htpasswd"]);
        if (!enginePresent()) {
            if (process.env.KFSTACK_REQUIRE_E2E || process.env.CI) throw new Error("the engine is not built: scripts/build-engine.sh");
            this.skip();
        }
        source = await startRegistry();
        mirror = await startRegistry({ credentials: { username: "robot", password: PASSWORD } });
        const c = source.client();
        images.set(`${source.host}/kf/a:1`, await pushImage(c, "kf/a", "1", [{ architecture: "amd64", layers: [seededLayer("engine-a")] }], "docker"));
        images.set(
            `${source.host}/kf/b:2`,
            await pushImage(c, "kf/b", "2", [
                { architecture: "amd64", layers: [seededLayer("engine-b-amd64")] },
                { architecture: "arm64", layers: [seededLayer("engine-b-arm64")] },
            ]),
        );
        const pinned = await pushImage(c, "kf/c", undefined, [{ architecture: "amd64", layers: [seededLayer("engine-c")] }]);
        images.set(`${source.host}/kf/c@${pinned}`, pinned);
        const sourceImages = [...images.keys()];
        const registry = `${mirror.host}/mirror`;
        engine = await startEngine({
            program: async () => {
                const m = new RegistryMirror("mirror", {
                    registry,
                    sourceImages,
                    plainHttp: true,
                    sourcePlainHttp: true,
                    username: "robot",
                    password: pulumi.secret(PASSWORD),
                });
                return { imageCount: m.imageCount };
            },
            config: {},
            stackName: "mirror",
        });
    });

    after(async () => {
        await engine?.stop();
        await Promise.all([source?.stop(), mirror?.stop()]);
    });

    const mirrorDigest = async (ref: string): Promise<string | undefined> => {
        const at = ref.indexOf("@");
        const name = at >= 0 ? ref.slice(0, at) : ref.slice(0, ref.lastIndexOf(":"));
        const tag = at >= 0 ? ref.slice(at + 1).replace(":", "-") : ref.slice(ref.lastIndexOf(":") + 1);
        return (await mirror.client().headManifest(`mirror/${name.replace(":", "_")}`, tag))?.digest;
    };
    const imageOps = (ops: Map<string, string>) => [...ops].filter(([urn]) => urnType(urn).endsWith("MirroredImage")).map(([urn, op]) => [urnName(urn), op]);

    it("preview shows one image to create per image; up fills the mirror with the source digests", async () => {
        const pre = recordSteps();
        await engine.stack.preview({ onEvent: pre.onEvent });
        assert.deepEqual(
            imageOps(pre.steps.ops).map(([, op]) => op),
            ["create", "create", "create"],
        );
        const up = await engine.stack.up();
        assert.equal(up.summary.result, "succeeded");
        assert.equal(up.outputs.imageCount.value, 3);
        for (const [ref, digest] of images) assert.equal(await mirrorDigest(ref), digest, ref);
        // The state file itself (exportStack would decrypt secrets for the caller).
        const stateDir = path.join(path.dirname(engine.env.PULUMI_HOME), "state");
        const files = (fs.readdirSync(stateDir, { recursive: true }) as string[]).filter((f) => f.endsWith(".json") && f.includes("stacks"));
        assert.ok(files.length > 0, "a state file was written");
        for (const f of files) {
            const text = fs.readFileSync(path.join(stateDir, f), "utf8");
            assert.ok(text.includes("ciphertext"), `${f} holds encrypted secrets`);
            assert.ok(!text.includes(PASSWORD), `${f}: the mirror password is encrypted in the state`);
        }
    });

    it("no change: preview --refresh shows nothing to do", async () => {
        const pre = recordSteps();
        await engine.stack.preview({ onEvent: pre.onEvent, refresh: true });
        assert.ok(
            imageOps(pre.steps.ops).every(([, op]) => op === "same"),
            JSON.stringify(imageOps(pre.steps.ops)),
        );
    });

    it("an image deleted in the mirror is drift: preview --refresh shows it, up repairs it", async () => {
        const victim = `${source.host}/kf/b:2`;
        await mirror.client().deleteManifest(`mirror/${source.host.replace(":", "_")}/kf/b`, images.get(victim) as string);
        assert.equal(await mirrorDigest(victim), undefined);
        const pre = recordSteps();
        await engine.stack.preview({ onEvent: pre.onEvent, refresh: true });
        const changed = imageOps(pre.steps.ops).filter(([, op]) => op !== "same");
        assert.deepEqual(changed, [[`mirror-${victim}`, "update"]]);
        const up = await engine.stack.up({ refresh: true });
        assert.equal(up.summary.result, "succeeded");
        assert.equal(await mirrorDigest(victim), images.get(victim));
    });

    it("destroy removes the resources and leaves the images in the mirror", async () => {
        const d = await engine.stack.destroy();
        assert.equal(d.summary.result, "succeeded");
        for (const [ref, digest] of images) assert.equal(await mirrorDigest(ref), digest, ref);
    });
});
