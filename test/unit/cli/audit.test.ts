/** `kfstack audit` bad input: one error naming the input and the fix, exit 2, nothing on stdout. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { runCliAsync, tempDir } from "../../support/helpers";

describe("kfstack audit: bad input", () => {
    const dir = tempDir("audit");
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(
        kubeconfig,
        JSON.stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "c", cluster: { server: "http://127.0.0.1:1" } }],
            contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
            "current-context": "c",
            users: [{ name: "u", user: {} }],
        }),
    );
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const cases: [string, string[], RegExp][] = [
        ["an unreachable API server", ["--kubeconfig", kubeconfig], /cannot read the API server at http:\/\/127\.0\.0\.1:1: .*check --kubeconfig\/--context/],
        [
            "a context the kubeconfig lacks",
            ["--kubeconfig", kubeconfig, "--context", "prod"],
            /--context prod: the kubeconfig has no such context \(it has c\)/,
        ],
        ["a missing kubeconfig", ["--kubeconfig", path.join(dir, "absent")], /--kubeconfig .*absent: no such file/],
        ["a FILE argument", ["--kubeconfig", kubeconfig, "manifests.yaml"], /reads the cluster, not a FILE/],
    ];
    for (const [what, args, pattern] of cases) {
        it(what, async () => {
            const r = await runCliAsync(["audit", "--mirror", "registry.local:5000/kf", ...args]).done;
            assert.equal(r.status, 2, r.stderr);
            assert.match(r.stderr, pattern);
            assert.equal(r.stdout, "");
            assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
        });
    }
});
