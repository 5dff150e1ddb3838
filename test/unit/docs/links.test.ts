/**
 * The docs' links: every relative link of README.md and docs/*.md names a file that exists and,
 * with a `#fragment`, a heading of that file (by GitHub's anchor rule), so moving a section
 * cannot leave a dead link behind.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../../harness/paths";

/** GitHub's heading anchor: lower case, punctuation dropped (not `-`/`_`), spaces to `-`. */
export function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

function anchorsOf(markdown: string): Set<string> {
    const anchors = new Set<string>();
    let fenced = false;
    for (const line of markdown.split("\n")) {
        if (line.startsWith("```")) fenced = !fenced;
        const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
        if (m) anchors.add(anchorOf(m[1]));
    }
    return anchors;
}

function linksOf(markdown: string): string[] {
    const withoutCode = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
    return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/i.test(l));
}

const DOCS = [
    "README.md",
    ...fs
        .readdirSync(path.join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
];

describe("the docs' links", () => {
    it("GitHub's anchor rule, as used here", () => {
        assert.equal(anchorOf("Large stacks: what an `up` spends its time on"), "large-stacks-what-an-up-spends-its-time-on");
        assert.equal(anchorOf("Stack config (`kfstack:*`)"), "stack-config-kfstack");
        assert.equal(anchorOf("The `kfstack` CLI"), "the-kfstack-cli");
    });

    it("README.md is short and points at every page of docs/", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        assert.ok(readme.length < 8000, `README.md is ${readme.length} characters: move detail into docs/`);
        const linked = new Set(linksOf(readme).map((l) => l.split("#")[0]));
        for (const doc of DOCS.filter((d) => d !== "README.md")) assert.ok(linked.has(doc), `README.md does not link ${doc}`);
    });

    for (const doc of DOCS) {
        it(`${doc}: every relative link resolves`, () => {
            const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
            const dead: string[] = [];
            for (const link of linksOf(text)) {
                const [file, fragment] = link.split("#");
                const target = file ? path.join(path.dirname(path.join(ROOT, doc)), file) : path.join(ROOT, doc);
                if (!fs.existsSync(target)) dead.push(`${link}: no file ${path.relative(ROOT, target)}`);
                else if (fragment && target.endsWith(".md") && !anchorsOf(fs.readFileSync(target, "utf8")).has(fragment))
                    dead.push(`${link}: no heading #${fragment} in ${path.relative(ROOT, target)}`);
            }
            assert.deepEqual(dead, []);
        });
    }
});
