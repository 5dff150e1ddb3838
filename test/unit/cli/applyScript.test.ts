/**
 * The apply.sh that `kfstack render` writes, run by sh against a fake kubectl that
 * logs its calls and answers `wait` as a real one does right after a CRD is created.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { applyScript } from "../../../lib/cli/applyScript";
import { tempDir } from "../../support/helpers";

const ACCESSOR = "error: .status.conditions accessor error: <nil> is of the type <nil>, expected []interface{}";

/** A kubectl whose first `failures` wait calls print `message` and fail; every call is logged. */
function fakeKubectl(dir: string, failures: number, message: string): string {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(
        path.join(bin, "kubectl"),
        [
            "#!/bin/sh",
            `echo "$*" >> "${dir}/calls"`,
            `if [ "$1" = wait ]; then`,
            `  n=$(cat "${dir}/waits" 2>/dev/null || echo 0); echo $((n + 1)) > "${dir}/waits"`,
            `  if [ "$n" -lt ${failures} ]; then echo '${message}' >&2; exit 1; fi`,
            `  echo "customresourcedefinition.apiextensions.k8s.io/x condition met"`,
            "fi",
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    return bin;
}

function run(failures: number, message: string, env: Record<string, string> = {}) {
    const dir = tempDir("apply-script");
    const bin = fakeKubectl(dir, failures, message);
    fs.writeFileSync(
        path.join(dir, "apply.sh"),
        applyScript(["apply 01-a.crds.yaml", "established 01-a.crds.yaml", "apply 01-a.yaml", "rollout deployment/a kubeflow"]),
    );
    const started = Date.now();
    const r = spawnSync("sh", [path.join(dir, "apply.sh")], {
        env: { ...process.env, KFSTACK_NO_ROLLOUT_WAIT: "", PATH: `${bin}:${process.env.PATH}`, ...env },
        encoding: "utf8",
    });
    const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls, ms: Date.now() - started };
}

describe("apply.sh written by kfstack render", function () {
    this.timeout(30000);

    it("applies, waits, applies and waits for rollouts in order", () => {
        const r = run(0, "");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(r.calls, [
            "apply --server-side --force-conflicts -f 01-a.crds.yaml",
            "wait --for condition=established --timeout=120s -f 01-a.crds.yaml",
            "apply --server-side --force-conflicts -f 01-a.yaml",
            "rollout status deployment/a -n kubeflow --timeout=10m",
        ]);
    });

    it("keeps waiting while a new CRD has no conditions yet, then goes on", () => {
        const r = run(2, ACCESSOR);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.calls.filter((c) => c.startsWith("wait ")).length, 3);
        assert.strictEqual(r.calls[r.calls.length - 2], "apply --server-side --force-conflicts -f 01-a.yaml");
        assert.match(r.stdout, /established: 01-a.crds.yaml/);
    });

    it("stops at any other wait error, printing it, and applies nothing after", () => {
        const r = run(1, "error: no matching resources found");
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /no matching resources found/);
        assert.deepStrictEqual(
            r.calls.map((c) => c.split(" ")[0]),
            ["apply", "wait"],
        );
    });

    it("gives up on the accessor error after KFSTACK_ESTABLISH_TIMEOUT seconds", () => {
        const r = run(1000, ACCESSOR, { KFSTACK_ESTABLISH_TIMEOUT: "2" });
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /accessor error/);
        assert.ok(r.ms < 10000, `${r.ms} ms`);
        assert.ok(!r.calls.includes("apply --server-side --force-conflicts -f 01-a.yaml"));
    });
});
