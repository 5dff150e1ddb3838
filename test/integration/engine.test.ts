/**
 * The engine pieces built from Go modules (scripts/build-engine.sh) match what the
 * program is written against.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { ROOT } from "../../harness/paths";
import { ENGINE_BIN } from "../../harness/apiserver";

describe("engine built from Go modules", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

    it("the Pulumi CLI is stamped with the version the npm SDK is pinned to", function () {
        const cli = path.join(ENGINE_BIN, "pulumi");
        if (!fs.existsSync(cli)) {
            if (process.env.KFSTACK_REQUIRE_E2E === "1") throw new Error("no .engine/bin/pulumi: run scripts/build-engine.sh");
            this.skip();
        }
        const v = spawnSync(cli, ["version"], { encoding: "utf8" }).stdout.trim();
        assert.strictEqual(v, `v${pkg.dependencies["@pulumi/pulumi"]}`);
        assert.match(pkg.dependencies["@pulumi/pulumi"], /^\d+\.\d+\.\d+$/, "pinned exactly");
        assert.match(pkg.dependencies["@pulumi/kubernetes"], /^\d+\.\d+\.\d+$/, "pinned exactly");
    });
});
