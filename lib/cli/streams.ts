/** The commands over one YAML stream: `images`, `rewrite`, `check`, `plan`. */
import { describeObject } from "../core/objects";
import { inventoryOf, imageList, invalidReferenceError, unreadableMessages, unsetCodeDefaults } from "../images";
import { rewriteStream } from "../rewrite";
import { mirrorOnlyViolations, codeDefaultViolations } from "../check";
import { mirrorPlan } from "../plan/mirrorPlan";
import { Outcome, Parsed, mirrorsOf } from "./args";
import { readInput } from "./input";

type Stdin = () => Buffer | string;

const warnings = (lines: string[]) => lines.map((l) => `kfstack: warning: ${l}\n`).join("");

/** `kfstack images [--where] [FILE|-]` */
export function imagesCommand(p: Parsed, stdin: Stdin): Outcome {
    const { text, source } = readInput(p.positional, stdin);
    const inv = inventoryOf(text, source);
    const invalid = invalidReferenceError(inv.findings, source, inv.documents);
    if (invalid) throw invalid;
    const stderr = warnings(unreadableMessages(inv.unreadable, source, inv.documents));
    if (p.switches.has("--where")) {
        const rows = inv.findings.map((f) =>
            [
                f.kind === "code-default" ? f.raw : f.reference,
                f.kind,
                describeObject(f.object).replace(" ", "\t"),
                f.path + (f.envVar ? ` (env ${f.envVar})` : ""),
            ].join("\t"),
        );
        return {
            stdout: rows
                .sort()
                .map((r) => r + "\n")
                .join(""),
            stderr,
            code: 0,
        };
    }
    return {
        stdout: imageList(inv.findings)
            .map((r) => r + "\n")
            .join(""),
        stderr,
        code: 0,
    };
}

/** `kfstack rewrite --mirror REGISTRY[/PREFIX] [FILE|-]` */
export function rewriteCommand(p: Parsed, stdin: Stdin): Outcome {
    const [mirror] = mirrorsOf(p, false);
    const { text, source } = readInput(p.positional, stdin);
    const result = rewriteStream(text, source, mirror);
    return { stdout: result.text, stderr: warnings(unreadableMessages(result.unreadable, source, result.documents)), code: 0 };
}

/**
 * `kfstack check --mirror REGISTRY[/PREFIX]... [FILE|-]`: exit 1 when an image is outside
 * every mirror, or sits in a value that cannot be read (it cannot be vouched for); exit 2
 * for an invalid reference (bad input, as everywhere).
 */
export function checkCommand(p: Parsed, stdin: Stdin): Outcome {
    const mirrors = mirrorsOf(p, true);
    const { text, source } = readInput(p.positional, stdin);
    const inv = inventoryOf(text, source);
    const invalid = invalidReferenceError(inv.findings, source, inv.documents);
    if (invalid) throw invalid;
    const lines = [
        ...mirrorOnlyViolations(inv.findings, mirrors).map((v) => v.message),
        ...codeDefaultViolations(unsetCodeDefaults(inv.documents, inv.findings), mirrors).map((v) => v.message),
        ...unreadableMessages(inv.unreadable, source, inv.documents),
    ];
    const where = mirrors.map((m) => m.location).join(", ");
    const summary =
        lines.length === 0
            ? `kfstack: all ${inv.findings.filter((f) => f.kind !== "code-default").length} image references in ${source} are served from ${where}\n`
            : `kfstack: ${lines.length} problem${lines.length > 1 ? "s" : ""} in ${source}: image references not served from ${where}, or values that cannot be read\n`;
    return { stdout: lines.map((l) => l + "\n").join(""), stderr: summary, code: lines.length === 0 ? 0 : 1 };
}

/** `kfstack plan --mirror REGISTRY[/PREFIX] [FILE|-]` */
export function planCommand(p: Parsed, stdin: Stdin): Outcome {
    const [mirror] = mirrorsOf(p, false);
    const { text, source } = readInput(p.positional, stdin);
    const inv = inventoryOf(text, source);
    const invalid = invalidReferenceError(inv.findings, source, inv.documents);
    if (invalid) throw invalid;
    const rows = mirrorPlan(imageList(inv.findings), mirror);
    return { stdout: rows.map((r) => r.join("\t") + "\n").join(""), stderr: warnings(unreadableMessages(inv.unreadable, source, inv.documents)), code: 0 };
}
