/**
 * The allowed mirrors of each stack's policy pack config are the stack's own mirror: the two
 * files are written by hand, and a pack that allows another mirror would pass what the stack
 * does not serve, or refuse all of it.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../../harness/paths";
import { readStackFile, parseSettings } from "../../../lib/config";
import { parseMirror } from "../../../lib/rewrite";

describe("policy pack config per stack", () => {
    const stacks = fs.readdirSync(ROOT).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f));

    it("has a stack file to check", () => {
        assert.ok(stacks.length > 0);
    });

    for (const file of stacks) {
        const stack = file.replace(/^Pulumi\.|\.yaml$/g, "");
        it(`${stack}: policies/config.${stack}.json allows exactly the stack's kfstack:mirror.registry`, () => {
            const raw = readStackFile(path.join(ROOT, file));
            // Only the mirror is needed: a manifests path that is absent here does not matter.
            const mirror = parseSettings({ ...raw, manifests: { path: "/" } }, ROOT).mirror.location;
            const packConfig = path.join(ROOT, "policies", `config.${stack}.json`);
            assert.ok(fs.existsSync(packConfig), `policies/config.${stack}.json exists`);
            const config = JSON.parse(fs.readFileSync(packConfig, "utf8")) as Record<string, { allowedMirrors?: string[] }>;
            for (const policy of ["mirror-only-images", "mirror-only-code-defaults"]) {
                const allowed = (config[policy]?.allowedMirrors ?? []).map((m) => parseMirror(m).location);
                assert.deepStrictEqual(allowed, [mirror], `${policy} in policies/config.${stack}.json`);
            }
        });
    }
});
