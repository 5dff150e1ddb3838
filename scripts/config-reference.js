#!/usr/bin/env node
// Writes the generated parts of the docs: the stack config reference (lib/config/schema.ts) and
// the CLI synopsis (lib/cli/commands.ts) into README.md. Run after `npm run build`.
const fs = require("fs");
const path = require("path");
const { withReference } = require("../dist/lib/config");
const { withSynopsis } = require("../dist/lib/cli/commands");
const file = path.join(__dirname, "..", "README.md");
fs.writeFileSync(file, withSynopsis(withReference(fs.readFileSync(file, "utf8"))));
process.stdout.write("README.md: config reference and CLI synopsis written\n");
