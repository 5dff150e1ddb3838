/** The config reference: one row per setting kfstack knows, and the README shows exactly it. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { knownKeys, SETTINGS, withReference } from "../../../lib/config";
import { ROOT } from "../../../harness/paths";

describe("stack config reference", () => {
    it("documents every setting the validator knows, and no other", () => {
        assert.deepEqual(SETTINGS.map((s) => s.key).sort(), knownKeys().sort());
    });

    it("README.md holds the generated reference (npm run docs:config)", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        assert.equal(readme, withReference(readme), "README.md differs from the generated reference: run npm run docs:config");
    });
});
