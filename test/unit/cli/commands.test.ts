/** The command table: the parser, the usage and the docs' synopsis all follow it. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { COMMANDS, OPTIONS, OptionName, synopsis, withSynopsis } from "../../../lib/cli/commands";
import { parseArgs } from "../../../lib/cli/args";
import { run } from "../../../lib/cli/main";
import { UsageError } from "../../../lib/core/errors";
import { ROOT } from "../../../harness/paths";

const argvOf = (name: string) => name.split(" ");
const valueFor = (o: OptionName) => ("value" in OPTIONS[o] ? ["x"] : []);
const required = (name: string) =>
    Object.entries(COMMANDS.find((c) => c.name === name)!.options)
        .filter(([, use]) => use.startsWith("required"))
        .flatMap(([o]) => [o, ...valueFor(o as OptionName)]);

describe("the CLI command table", () => {
    it("docs/cli.md holds the generated CLI synopsis (npm run docs:config)", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs/cli.md"), "utf8");
        assert.equal(doc, withSynopsis(doc), "docs/cli.md differs from the generated CLI synopsis: run npm run docs:config");
    });

    it("kfstack help shows every command with every option it takes", async () => {
        const help = (await run(["help"])).stdout.replace(/\n\s+/g, " ");
        for (const c of COMMANDS) assert.ok(help.includes(synopsis(c)), `${c.name}: ${synopsis(c)}`);
    });

    it("each command takes exactly its options: the others are refused by name", () => {
        for (const c of COMMANDS) {
            for (const o of Object.keys(OPTIONS) as OptionName[]) {
                if (o === "--help") continue;
                const argv = [...argvOf(c.name), ...required(c.name).filter((a, i, l) => !(a === o || l[i - 1] === o)), o, ...valueFor(o)];
                if (o in c.options) assert.doesNotThrow(() => parseArgs(argv), `${c.name} ${o}`);
                else
                    assert.throws(
                        () => parseArgs(argv),
                        (e: Error) => e instanceof UsageError && e.message === `option ${o} does not apply to 'kfstack ${c.name}'`,
                    );
            }
            for (const [o, use] of Object.entries(c.options)) {
                if (!use.startsWith("required")) continue;
                const argv = [...argvOf(c.name), ...required(c.name).filter((a, i, l) => !(a === o || l[i - 1] === o))];
                assert.throws(() => parseArgs(argv), new RegExp(`'kfstack ${c.name}' needs ${o}`), `${c.name} without ${o}`);
            }
        }
    });

    it("every option a handler reads is in the table", () => {
        const dir = path.join(ROOT, "lib", "cli");
        const read = new Set<string>();
        for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
            const src = fs.readFileSync(path.join(dir, f), "utf8");
            for (const m of src.matchAll(/(?:flags\.get|switches\.has)\("(--[a-z-]+)"\)/g)) read.add(m[1]);
        }
        assert.ok(read.size > 10, "the scan found the handlers' options");
        const taken = new Set(COMMANDS.flatMap((c) => Object.keys(c.options)));
        for (const o of read) assert.ok(o === "--help" || taken.has(o), `${o} is read but no command takes it`);
        for (const o of Object.keys(OPTIONS)) assert.ok(o === "--help" || taken.has(o), `${o} is in OPTIONS but no command takes it`);
    });
});
