/**
 * A team state backend that works in China: the Pulumi engine keeping a stack's state in S3 —
 * here a real local S3 server (SeaweedFS) — so a second workspace (another engineer, the CI)
 * sees the same stack, and two concurrent updates are refused by the backend's lock.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { enginePresent, startEngine, Engine } from "../../harness/engine";
import { s3Present, startS3, S3Server } from "../../harness/s3";

/** A resource whose create takes a few seconds, so two updates overlap. */
const slow: pulumi.dynamic.ResourceProvider = {
    async create(inputs: Record<string, unknown>) {
        await new Promise((r) => setTimeout(r, 6000));
        return { id: "slow", outs: inputs };
    },
};

class Team extends pulumi.ComponentResource {
    constructor() {
        super("kfstack:test:Team", "team");
    }
}

class Slow extends pulumi.dynamic.Resource {
    constructor(parent: pulumi.Resource) {
        super(slow, "slow", { size: 1 }, { parent });
    }
}

const program = (withSlow: boolean) => async () => {
    const component = new Team();
    if (withSlow) new Slow(component);
    return { owner: "platform-team" };
};

describe("the team state backend in S3 (SeaweedFS on 127.0.0.1)", function () {
    this.timeout(300_000);
    let s3: S3Server;
    const engines: Engine[] = [];

    before(async function () {
        if (!enginePresent() || !s3Present()) {
            if (process.env.KFSTACK_REQUIRE_E2E || process.env.CI) throw new Error("the engine or weed is not built: scripts/build-engine.sh");
            this.skip();
        }
        s3 = await startS3();
        await s3.bucket("kfstack-state");
    });
    after(async () => {
        for (const e of engines) await e.stop();
        await s3?.stop();
    });

    const workspace = async (withSlow: boolean) => {
        const e = await startEngine({
            program: program(withSlow),
            config: {},
            stackName: "team",
            backend: s3.backendUrl("kfstack-state"),
            // The self-managed backend locks a stack only when asked to.
            env: { ...s3.env, PULUMI_SELF_MANAGED_STATE_LOCKING: "1" },
        });
        engines.push(e);
        return e;
    };

    it("up in one workspace; a second workspace reads the same state and sees no changes", async () => {
        const first = await workspace(false);
        const up = await first.stack.up();
        assert.equal(up.summary.result, "succeeded");
        const listing = await fetch(`http://${s3.endpoint}/kfstack-state?list-type=2`).then((r) => r.text());
        assert.match(listing, /\.pulumi\/stacks\/kfstack\/team\.json/, "the state is in the bucket");
        const second = await workspace(false);
        const preview = await second.stack.preview();
        // (The program's StackReference to its own last update is a read, not a change.)
        assert.deepEqual(
            Object.keys(preview.changeSummary).filter((k) => k !== "read"),
            ["same"],
            JSON.stringify(preview.changeSummary),
        );
        assert.equal((await second.stack.outputs()).owner.value, "platform-team");
    });

    it("two concurrent updates: the backend's lock refuses the second", async () => {
        const a = await workspace(true);
        const b = await workspace(true);
        const results = await Promise.allSettled([a.stack.up(), new Promise((r) => setTimeout(r, 1500)).then(() => b.stack.up())]);
        const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
        assert.equal(refused.length, 1, JSON.stringify(results.map((r) => r.status)));
        assert.match(String(refused[0].reason), /locked/i);
        assert.equal(
            (results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ summary: { result: string } }>).value.summary.result,
            "succeeded",
        );
    });
});
