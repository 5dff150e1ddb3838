// ESLint (flat config): typescript-eslint's recommended rules on the TypeScript sources.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["dist/", "policies/dist/", "node_modules/", ".engine/", ".tools/", ".kfstack-cache/", "out/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        rules: {
            // Manifests are untyped YAML walked as data: `any` is the honest type there.
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
            // The Pulumi SDKs' internal modules (policy proxy, protobuf stubs) ship without types.
            "@typescript-eslint/no-require-imports": ["error", { allow: ["^@pulumi/", "^@grpc/", "^google-protobuf/"] }],
        },
    },
    {
        // Tests and benchmarks load the program afresh under mocks (`require("../../index")`).
        files: ["test/**/*.ts", "harness/**/*.ts", "bench/**/*.ts"],
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        files: ["scripts/**/*.js"],
        languageOptions: { sourceType: "commonjs", globals: { require: "readonly", __dirname: "readonly", process: "readonly", module: "writable" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
);
