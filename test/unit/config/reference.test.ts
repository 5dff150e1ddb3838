/** The config reference: one row per setting of the schema, and the docs show exactly it. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { KNOWN, SETTINGS, withReference } from "../../../lib/config";
import { ROOT } from "../../../harness/paths";

describe("stack config reference", () => {
    it("has a row with a meaning and a default for every key the validator knows", () => {
        const known = Object.entries(KNOWN).flatMap(([k, fields]) => (fields ? fields.map((f) => `${k}.${f}`) : [k]));
        assert.deepEqual(
            SETTINGS.map((s) => s.key),
            known,
        );
        for (const s of SETTINGS) assert.ok(s.meaning.length > 10 && s.default.length > 0, s.key);
        assert.equal(SETTINGS.find((s) => s.key === "mirror.jobs")?.default, "`4`");
    });

    it("docs/config.md holds the generated reference (npm run docs:config)", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs/config.md"), "utf8");
        assert.equal(doc, withReference(doc), "docs/config.md differs from the generated reference: run npm run docs:config");
    });
});
