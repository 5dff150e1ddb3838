/** Rendering a release's apps: each with real kustomize, in parallel, example-wide fields applied. */
import * as os from "os";
import { parseStream, streamOf, ParsedStream } from "../core/yaml";
import { AppSpec, Example } from "../source/catalog";
import { render, RendererOptions } from "./kustomize";
import { partitionExample } from "./example";

/** Runs async jobs, at most `limit` at a time, results in input order. */
async function pool<T, R>(items: T[], limit: number, job: (t: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await job(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return out;
}

/**
 * Renders each selected app with real kustomize, in parallel. When the example applies fields
 * to all its apps (components, patches, labels), the example itself is rendered too and each
 * app takes its objects from that render (partitionExample); the apps left out are then
 * rendered as well, so that every object of the whole render has its app.
 */
export async function renderApps(specs: AppSpec[], example: Example, options: RendererOptions): Promise<{ input: string | ParsedStream; cached: boolean }[]> {
    const limit = Math.max(2, os.cpus().length);
    const whole: AppSpec = { name: "example", path: example.dir, entry: example.file };
    const label = (s: AppSpec) => (s === whole ? `${example.file} (rendered whole for its ${example.wideFields.join(", ")})` : `app ${s.name} (${s.entry})`);
    const run = (s: AppSpec) => render(s.path, label(s), options);
    if (example.wideFields.length === 0) return (await pool(specs, limit, run)).map((r) => ({ input: r.text, cached: r.cached }));
    const inExample = new Set(example.apps.map((a) => a.path));
    const all = [...specs, ...example.apps.filter((a) => !specs.includes(a))];
    const rendered = await pool([whole, ...all], limit, run);
    const parse = (text: string, label: string) => parseStream(text, label).documents.filter((d) => d.value !== null);
    const members = all.filter((a) => inExample.has(a.path));
    const parts = partitionExample(
        members.map((a) => ({ name: a.name, documents: parse(rendered[1 + all.indexOf(a)].text, `app ${a.name}`) })),
        parse(rendered[0].text, "example"),
        example.file,
    );
    return specs.map((s, i) => {
        const member = members.indexOf(s);
        // An extra app is not in the example: nothing example-wide applies to it.
        if (member < 0) return { input: rendered[1 + i].text, cached: rendered[1 + i].cached };
        return { input: streamOf(parts[member]), cached: rendered[0].cached && rendered[1 + i].cached };
    });
}
