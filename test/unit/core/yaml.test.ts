/** lib/core/yaml: YAML read one way everywhere. */
import * as assert from "assert";
import { decodeUtf8, InputError, loadYaml, nestsDeeperThan, parseStream, streamOf } from "../../../lib/core";

describe("YAML reading", () => {
    it("splits a stream keeping each document's text, blank documents as chunks only", () => {
        const text = "# c\na: 1\n---\n---\nb: |\n  --- not a marker inside? it is one at column 0 only\n...\nc: 3\n";
        const s = parseStream(text, "s.yaml");
        assert.equal(s.chunks.join(""), text, "the chunks are the whole input");
        assert.deepEqual(
            s.documents.map((d) => [d.index, d.line, d.value]),
            [
                [0, 1, { a: 1 }],
                [1, 4, { b: "--- not a marker inside? it is one at column 0 only\n" }],
                [2, 8, { c: 3 }],
            ],
        );
        const picked = streamOf([s.documents[2]]);
        assert.match(picked.documents[0].text, /^---\n/);
        assert.equal(picked.documents[0].index, 0);
    });

    it("refuses duplicate keys and names the input and the document's line", () => {
        assert.throws(
            () => parseStream("a: 1\n---\nkind: Pod\nimage: x\nimage: y\n", "dup.yaml"),
            (e: unknown) =>
                e instanceof InputError &&
                /dup\.yaml/.test(e.message) &&
                /duplicate/i.test(e.message) &&
                /dup\.yaml:5:1: .*duplicated mapping key.*document starting at line 2/.test(e.message),
        );
    });

    it("refuses an alias bomb instead of expanding it", () => {
        let doc = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (let i = 1; i < 9; i++)
            doc += `a${i}: &a${i} [${Array(10)
                .fill(`*a${i - 1}`)
                .join(", ")}]\n`;
        assert.throws(
            () => loadYaml(doc, "bomb"),
            (e: unknown) => e instanceof InputError && /bomb/.test(e.message) && /alias/i.test(e.message),
        );
        assert.deepEqual(loadYaml("a: &x [1]\nb: *x\n"), { a: [1], b: [1] }, "a small alias is fine");
    });

    it("refuses a document that nests past the bound through aliases (js-yaml bounds the text only)", () => {
        // Six anchors, each 60 levels deep around an alias to the one before: 360 levels from 6 lines.
        let doc = "kind: ConfigMap\nchain:\n";
        for (let i = 0; i < 6; i++) doc += `  - &a${i} ${"[".repeat(60)}${i === 0 ? "1" : `*a${i - 1}`}${"]".repeat(60)}\n`;
        assert.throws(
            () => parseStream(doc, "deep.yaml"),
            (e: unknown) => e instanceof InputError && /deep\.yaml: the document starting at line 1 nests deeper than 200 levels/.test(e.message),
        );
        assert.equal(nestsDeeperThan(JSON.parse("[".repeat(201) + "]".repeat(201))), true);
        assert.equal(nestsDeeperThan(JSON.parse("[".repeat(199) + "]".repeat(199))), false);
    });

    it("refuses bytes that are not UTF-8, naming the line and offset", () => {
        assert.equal(decodeUtf8(Buffer.from("héllo"), "f"), "héllo");
        assert.throws(
            () => decodeUtf8(Buffer.from([0x61, 0x0a, 0x62, 0xff]), "latin.yaml"),
            (e: unknown) => e instanceof InputError && /^latin\.yaml:2: byte 0xff at offset 3 is not UTF-8/.test(e.message),
        );
    });
});
