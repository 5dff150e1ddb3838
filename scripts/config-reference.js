#!/usr/bin/env node
// Writes the generated parts of the docs: the stack config reference (lib/config/schema.ts) into
// docs/config.md and the CLI synopsis (lib/cli/commands.ts) into docs/cli.md. Run after `npm run build`.
const fs = require("fs");
const path = require("path");
const { withReference } = require("../dist/lib/config");
const { withSynopsis } = require("../dist/lib/cli/commands");
const docs = path.join(__dirname, "..", "docs");
for (const [name, generate] of [
    ["config.md", (text) => withReference(text, "docs/config.md")],
    ["cli.md", (text) => withSynopsis(text, "docs/cli.md")],
]) {
    const file = path.join(docs, name);
    fs.writeFileSync(file, generate(fs.readFileSync(file, "utf8")));
    process.stdout.write(`docs/${name}: written\n`);
}
