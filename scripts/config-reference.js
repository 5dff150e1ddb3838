#!/usr/bin/env node
// Writes the stack config reference (lib/config/reference.ts) into README.md. Run after `npm run build`.
const fs = require("fs");
const path = require("path");
const { withReference } = require("../dist/lib/config");
const file = path.join(__dirname, "..", "README.md");
fs.writeFileSync(file, withReference(fs.readFileSync(file, "utf8")));
process.stdout.write("README.md: config reference written\n");
