/**
 * `kfstack kubespray-vars` against what kubespray really renders: its own hosts.toml.j2 of each
 * release in ../shared/kubespray, rendered with Jinja2 as Ansible does (trim_blocks, Ansible's
 * `flatten`), parsed as TOML, must say exactly what kfstack's own hosts.toml says for the fields
 * that release supports: nothing kfstack prints is dropped on the way to a node.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as jsyaml from "js-yaml";
import { spawnSync } from "child_process";
import { kubesprayRelease, kubesprayVars, mirrorHostsEntries, hostsToml, HostsEntry } from "../../lib/onprem";
import { parseMirror } from "../../lib/rewrite";
import { ROOT } from "../../harness/paths";

const KUBESPRAY = path.resolve(ROOT, "..", "shared", "kubespray");

/** Renders the template once per item, as Ansible's template module would; returns each render parsed as TOML. */
const RENDER = String.raw`
import json, sys, tomllib, jinja2
job = json.load(sys.stdin)
env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined)
def flatten(xs):
    out = []
    for x in xs:
        out.extend(flatten(x) if isinstance(x, list) else [x])
    return out
env.filters["flatten"] = flatten
template = env.from_string(open(job["template"]).read())
print(json.dumps([tomllib.loads(template.render(item=item)) for item in job["items"]] + [tomllib.loads(t) for t in job["own"]]))
`;

function renderWithJinja(template: string, items: HostsEntry[], own: string[]): unknown[] {
    const r = spawnSync("python3", ["-c", RENDER], { input: JSON.stringify({ template, items, own }), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
}

describe("kubespray's own hosts.toml templates render what kfstack-vars says", function () {
    before(function () {
        const probe = spawnSync("python3", ["-c", "import jinja2, tomllib"], { encoding: "utf8" });
        if (!fs.existsSync(KUBESPRAY) || probe.status !== 0) {
            if (process.env.CI) throw new Error(`needs ../shared/kubespray and python3 with jinja2 (scripts/setup.sh installs it): ${probe.stderr}`);
            this.skip();
        }
    });

    for (const tag of fs.existsSync(KUBESPRAY) ? fs.readdirSync(KUBESPRAY).filter((d) => /^v2\.\d+\.\d+$/.test(d)) : []) {
        for (const kind of ["tls, CA and credentials", "plain HTTP, no credentials"]) {
            it(`${tag}: ${kind}`, () => {
                const tls = kind.startsWith("tls");
                const mirror = parseMirror("registry.local:5000/kubeflow");
                const options = {
                    mirror,
                    plainHttp: !tls,
                    auth: tls ? { username: "robot", password: "s3cret" } : undefined,
                    caPem: tls ? "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n" : undefined,
                };
                const vars = jsyaml.load(kubesprayVars({ ...options, kubesprayVersion: tag })) as { containerd_registries_mirrors: HostsEntry[] };
                const items = vars.containerd_registries_mirrors;
                // kfstack's own rendering of the same entries, with the fields this release supports.
                const own = mirrorHostsEntries({ ...options, fields: kubesprayRelease(tag)!.fields });
                assert.deepEqual(items, own, "the vars are the entries");
                const parsed = renderWithJinja(path.join(KUBESPRAY, tag, "templates", "hosts.toml.j2"), items, own.map(hostsToml));
                const fromKubespray = parsed.slice(0, items.length);
                const fromKfstack = parsed.slice(items.length);
                assert.deepEqual(fromKubespray, fromKfstack, "kubespray's render says what kfstack's says");
                // What reaches the nodes: the mirror as the fallback server of each prefix, its own entry last.
                for (const t of fromKubespray as { server: string; host: Record<string, { ca?: string; header?: unknown }> }[]) {
                    assert.equal(t.server, `${tls ? "https" : "http"}://registry.local:5000`);
                    const [entry] = Object.values(t.host);
                    if (tls && kubesprayRelease(tag)!.fields.includes("header")) assert.ok(entry.header, "credentials reach the node");
                    if (tls && kubesprayRelease(tag)!.fields.includes("ca")) assert.ok(entry.ca, "the CA reaches the node");
                }
            });
        }
    }
});
