/**
 * The Pulumi SDK's own cost, for the benchmark: a bare program (no kfstack code but the type token rule) that
 * registers already-rendered objects (a JSON array file) as custom resources under the
 * same mocks as the real program. `node dist/bench/floor.js OBJECTS.json` prints JSON
 * with the milliseconds of each phase.
 */
const start = process.hrtime.bigint();
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { useMocks, settle } from "../harness/mocks";
import { typeToken } from "../lib/core";

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** Any Kubernetes object as a custom resource (pulumi.CustomResource is abstract). */
class Obj extends pulumi.CustomResource {}

async function main(): Promise<void> {
    const mocks = useMocks({}, {}, "floor");
    const loaded = since(start);
    const objects = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as {
        apiVersion: string;
        kind: string;
        metadata: { name: string; namespace?: string };
    }[];
    const t = process.hrtime.bigint();
    for (const o of objects) {
        new Obj(typeToken(o.apiVersion, o.kind), `${o.metadata.namespace ?? ""}/${o.metadata.name}`, o as unknown as pulumi.Inputs);
    }
    const construct = since(t);
    const s = process.hrtime.bigint();
    await settle();
    process.stdout.write(JSON.stringify({ loaded, construct, settle: since(s), total: since(start), objects: mocks.resources.length }) + "\n");
}

main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e) + "\n");
    process.exit(1);
});
