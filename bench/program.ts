/**
 * One run of the whole Pulumi program for the dev stack under mocks, for the
 * benchmark: `node dist/bench/program.js CACHE_DIR`. Prints JSON with the
 * milliseconds of each phase and the number of objects registered.
 */
const start = process.hrtime.bigint();
import * as path from "path";
import { useMocks, settle } from "../harness/mocks";
import { devConfig } from "../harness/stacks";
import * as platform from "../lib/plan/platform";

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

async function main(): Promise<void> {
    const cacheDir = process.argv[2];
    const mocks = useMocks(devConfig({ "kfstack:kustomize": { cacheDir } }));
    const program = require(path.join(__dirname, "..", "index")) as () => Promise<unknown>;
    const loaded = since(start);
    // Time kfstack's own preparation inside the real program run.
    let prepare = 0;
    const original = platform.preparePlatform;
    (platform as { preparePlatform: typeof original }).preparePlatform = async (s) => {
        const t = process.hrtime.bigint();
        const r = await original(s);
        prepare = since(t);
        return r;
    };
    const t = process.hrtime.bigint();
    await program();
    const programMs = since(t);
    const s = process.hrtime.bigint();
    await settle();
    const settleMs = since(s);
    process.stdout.write(
        JSON.stringify({ loaded, prepare, construct: programMs - prepare, settle: settleMs, total: since(start), objects: mocks.kubernetes().length }) + "\n",
    );
}

main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e) + "\n");
    process.exit(1);
});
