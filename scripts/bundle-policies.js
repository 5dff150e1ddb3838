#!/usr/bin/env node
/*
 * Bundles the policy pack into policies/dist/index.js with the shared rules of lib/ inlined,
 * so that the pack's folder stands alone: `pulumi policy publish` uploads only that folder,
 * where an import of ../lib would break. The Pulumi SDKs stay external: the pack's own
 * package.json lists them and the policy runtime installs them.
 */
const path = require("path");
const esbuild = require("esbuild");

const root = path.resolve(__dirname, "..");
esbuild.buildSync({
    entryPoints: [path.join(root, "policies", "index.ts")],
    outfile: path.join(root, "policies", "dist", "index.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: true,
    external: ["@pulumi/policy", "@pulumi/policy/*", "@pulumi/pulumi", "@pulumi/pulumi/*", "@pulumi/aws", "@pulumi/aws/*"],
    logLevel: "warning",
});
