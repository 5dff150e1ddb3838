/**
 * The GitHub workflows for users' repositories: a preview per stack on every pull request
 * (diff posted as a comment, policy pack on), and a scheduled drift check per stack
 * (refresh, fail on any change), both reading the state backend from a secret.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { ROOT } from "../../../harness/paths";

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Workflow = { on: Record<string, unknown>; jobs: Record<string, { strategy: { matrix: { include: { stack: string }[] } }; steps: Step[] }> };

const load = (name: string) => jsyaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", name), "utf8")) as Workflow;
const stacks = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.([\w-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();

function pulumiStep(w: Workflow): { job: Workflow["jobs"][string]; step: Step } {
    const [job] = Object.values(w.jobs);
    const step = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.ok(step, "a pulumi/actions step");
    const setup = job.steps.findIndex((s) => s.run?.includes("scripts/setup.sh"));
    assert.ok(setup >= 0 && setup < job.steps.indexOf(step), "setup (build, policy bundle) before pulumi");
    const noLog = job.steps.findIndex((s) => /rm -rf ~\/\.pulumi\/logs && touch ~\/\.pulumi\/logs/.test(s.run ?? ""));
    assert.ok(noLog >= 0 && noLog < job.steps.indexOf(step), "the CLI's automatic log off before pulumi");
    return { job, step };
}

describe("workflows for users' repositories", () => {
    for (const [file, check] of [
        [
            "preview.yml",
            (w: Workflow, step: Step) => {
                assert.ok("pull_request" in w.on, "runs on pull requests");
                assert.equal(step.with?.command, "preview");
                assert.equal(step.with?.diff, true);
                assert.equal(step.with?.["comment-on-pr"], true, "the diff is posted on the PR");
            },
        ],
        [
            "drift.yml",
            (w: Workflow, step: Step) => {
                const schedule = w.on.schedule as { cron: string }[];
                assert.ok(Array.isArray(schedule) && /^\S+ \S+ \* \* \*$/.test(schedule[0].cron), "a daily schedule");
                assert.ok("workflow_dispatch" in w.on, "and on demand");
                assert.equal(step.with?.command, "preview");
                assert.equal(step.with?.refresh, true, "compares with the live cluster and account");
                assert.equal(step.with?.["expect-no-changes"], true, "fails on drift");
            },
        ],
    ] as const) {
        it(`${file}: every stack, the policy pack with its config, the backend and passphrase from secrets`, () => {
            const w = load(file);
            const { job, step } = pulumiStep(w);
            assert.deepEqual(job.strategy.matrix.include.map((i) => i.stack).sort(), stacks, "one job per Pulumi.<stack>.yaml");
            assert.equal(step.with?.["stack-name"], "${{ matrix.stack }}");
            assert.equal(step.with?.policyPacks, "policies");
            assert.equal(step.with?.policyPackConfigs, "policies/config.${{ matrix.stack }}.json");
            for (const s of stacks) assert.ok(fs.existsSync(path.join(ROOT, "policies", `config.${s}.json`)), `policies/config.${s}.json`);
            assert.equal(step.with?.["cloud-url"], "${{ secrets.PULUMI_BACKEND_URL }}");
            assert.equal(step.env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
            assert.equal(step.env?.PULUMI_SELF_MANAGED_STATE_LOCKING, "1", "concurrent runs of a stack are refused by the lock");
            check(w, step);
        });
    }
});
