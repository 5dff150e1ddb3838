/**
 * kfstack's policies: one factory per policy, the enforcement level a parameter.
 * The rules are the ones behind `kfstack check` (lib/check): one
 * implementation, two front ends.
 */
import * as aws from "@pulumi/aws";
import {
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
    ReportViolation,
    ResourceValidationArgs,
    validateResourceOfType,
} from "@pulumi/policy";
import { K8sObject, stringsIn } from "../lib/core/objects";
import { parseStream } from "../lib/core/yaml";
import { walkObject, Finding, unsetCodeDefaults } from "../lib/images";
import { parseMirror, Mirror, InvalidMirrorError } from "../lib/rewrite/mirror";
import { mirrorOnlyViolations, pinnedViolations, codeDefaultViolations, UNKNOWN_DURING_PREVIEW } from "../lib/check";
import { partitionProblems } from "../lib/aws";
import { dataRisks, readObjectIndex } from "../lib/plan/upgrade";

/** Tunables of the mirror policies (`--policy-pack-config`). */
export interface MirrorPolicyConfig {
    /** Allowed mirrors, `REGISTRY[/PREFIX]`; an image must be under one of them. */
    readonly allowedMirrors?: string[];
}

export const mirrorConfigSchema = {
    properties: {
        allowedMirrors: {
            type: "array" as const,
            items: { type: "string" as const },
            description:
                "Mirrors (REGISTRY[/PREFIX]) images must be served from, e.g. registry.local:5000/kubeflow. Set it to the stack's kfstack:mirror.registry.",
        },
    },
};

// The policy SDK's markers for values unknown during preview, and the proxy's escape
// hatch to the raw properties (github.com/pulumi/pulumi-policy, sdk/nodejs/policy/proxy.ts).
// Reading through the proxy would throw on an unknown value, and the SDK turns that into
// an advisory "can't run during preview" — which would let an unknown image through.
const proxy = require("@pulumi/policy/proxy") as Record<string, string>;
const UNKNOWN_SENTINELS = new Set(
    [
        proxy.unknownBooleanValue,
        proxy.unknownNumberValue,
        proxy.unknownStringValue,
        proxy.unknownArrayValue,
        proxy.unknownObjectValue,
        proxy.unknownAssetValue,
        proxy.unknownArchiveValue,
    ].filter((s) => typeof s === "string"),
);

/** Plain data from policy props: proxies unwrapped, unknown values replaced by a marker that is never a valid image. */
export function plainProps(value: unknown): unknown {
    let v: any = value;
    if (v && typeof v === "object" && v[proxy.isSpecialProxy] === true) v = v[proxy.getSpecialProxyTarget];
    if (typeof v === "string") return UNKNOWN_SENTINELS.has(v) ? UNKNOWN_DURING_PREVIEW : v;
    if (Array.isArray(v)) return v.map(plainProps);
    if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).map((k) => [k, plainProps(v[k])]));
    return v;
}

/** The allowed mirrors from policy config; a bad value is reported, not ignored. */
function mirrorsFrom(args: { getConfig<T extends object>(): T }, report: ReportViolation): Mirror[] | undefined {
    const config = args.getConfig<MirrorPolicyConfig>();
    const values = config.allowedMirrors ?? [];
    if (values.length === 0) {
        report("no allowed mirrors are configured: set allowedMirrors in the policy pack config (--policy-pack-config) to the stack's kfstack:mirror.registry");
        return undefined;
    }
    const mirrors: Mirror[] = [];
    for (const v of values) {
        try {
            mirrors.push(parseMirror(v));
        } catch (e) {
            if (!(e instanceof InvalidMirrorError)) throw e;
            report(`policy config allowedMirrors: ${e.message}`);
            return undefined;
        }
    }
    return mirrors;
}

/** Kubernetes objects in a resource's inputs: the object itself, or a ConfigGroup's objs and YAML. */
export function kubernetesObjects(type: string, props: Record<string, unknown>): unknown[] {
    if (type.startsWith("kubernetes:yaml/v2:") || type.startsWith("kubernetes:yaml:")) {
        const objs = Array.isArray(props.objs) ? props.objs : [];
        const yaml = typeof props.yaml === "string" ? [props.yaml] : Array.isArray(props.yaml) ? props.yaml.filter((y) => typeof y === "string") : [];
        return [...objs, ...yaml.flatMap((y) => parseStream(y as string, "yaml input").documents.map((d) => d.value))];
    }
    if (type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm")) return [props];
    return [];
}

function isKubernetes(type: string): boolean {
    return type.startsWith("kubernetes:") && !type.startsWith("pulumi:providers:");
}

function findingsOf(args: ResourceValidationArgs): Finding[] {
    const props = plainProps(args.props) as Record<string, unknown>;
    return kubernetesObjects(args.type, props).flatMap((o, i) => walkObject(o, undefined, i).findings);
}

/**
 * `mirror-only-images`: every image reference the shared discovery finds — pod
 * specs at any depth of any kind, ConfigMap/Secret payloads, args, env, Istio's
 * hub/tag — must be under an allowed mirror (path-boundary match).
 */
export function mirrorOnlyImages(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
    return {
        name: "mirror-only-images",
        description: "Every container image, wherever it is written, is served from an allowed mirror.",
        enforcementLevel,
        configSchema: mirrorConfigSchema,
        // Not validateResourceOfType: that takes one resource class, and images live in every
        // Kubernetes kind, custom resources included, so the filter is on the type token.
        validateResource: (args, report) => {
            if (!isKubernetes(args.type)) args.notApplicable("not a Kubernetes resource");
            const mirrors = mirrorsFrom(args, report);
            if (!mirrors) return;
            for (const v of mirrorOnlyViolations(findingsOf(args), mirrors)) report(v.message);
        },
    };
}

/**
 * `mirror-only-code-defaults`: a controller whose code falls back to a public
 * image unless an env var is set (KFP's profile controller) must have it set.
 * A stack policy: the code is in a ConfigMap, the env var on a Deployment.
 */
export function mirrorOnlyCodeDefaults(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
    return {
        name: "mirror-only-code-defaults",
        description: "Controllers whose code defaults to a public image have the env var that overrides it set to the mirror.",
        enforcementLevel,
        configSchema: mirrorConfigSchema,
        validateStack: (args, report) => {
            const mirrors = mirrorsFrom(args, report);
            if (!mirrors) return;
            const resources = args.resources.filter((r) => isKubernetes(r.type));
            const documents = resources.map((r, i) => ({ index: i, line: 0, chunk: i, text: "", value: plainProps(r.props) }));
            const findings = documents.flatMap((d) => walkObject(d.value, undefined, d.index).findings);
            for (const v of codeDefaultViolations(unsetCodeDefaults(documents, findings), mirrors)) {
                report(v.message, resources[v.fixIn ?? v.finding.documentIndex ?? 0]?.urn);
            }
        },
    };
}

/** `pinned-images`: no `:latest`, no reference without a tag or digest. */
export function pinnedImages(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
    return {
        name: "pinned-images",
        description: "Images are pinned by a version tag or a digest, never :latest.",
        enforcementLevel,
        validateResource: (args, report) => {
            if (!isKubernetes(args.type)) args.notApplicable("not a Kubernetes resource");
            for (const v of pinnedViolations(findingsOf(args))) report(v.message);
        },
    };
}

export interface PartitionPolicyConfig {
    /** The stack's region; overrides the region of each resource's provider. */
    readonly region?: string;
}

/**
 * `aws-partition`: on a stack in aws-cn (or aws-us-gov), no input of an AWS
 * resource names another partition in an ARN (the aws partition where aws-cn is
 * meant), and every ECR host — in AWS and Kubernetes inputs alike — ends with
 * the partition's DNS suffix and names a region of the partition.
 */
export function awsPartition(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
    return {
        name: "aws-partition",
        description: "ARNs and ECR hosts belong to the stack's AWS partition (aws-cn in China).",
        enforcementLevel,
        configSchema: {
            properties: {
                region: { type: "string" as const, description: "The stack's AWS region (e.g. cn-northwest-1); default: each resource's provider region." },
            },
        },
        validateResource: (args, report) => {
            const aws = args.type.startsWith("aws:");
            if (!aws && !isKubernetes(args.type)) args.notApplicable("neither an AWS nor a Kubernetes resource");
            const providerRegion = plainProps(args.provider?.props?.region) as string | undefined;
            const region =
                args.getConfig<PartitionPolicyConfig>().region ??
                (typeof providerRegion === "string" && providerRegion !== UNKNOWN_DURING_PREVIEW ? providerRegion : undefined);
            if (!region) args.notApplicable("the region is not known; set region in the policy config");
            for (const [path, value] of stringsIn(plainProps(args.props))) {
                for (const problem of partitionProblems(value, region as string, aws)) report(`${path}: ${problem}`);
            }
        },
    };
}

/**
 * `ecr-repository-hygiene`: mirror repositories scanned on push and not force-deletable. Tag
 * mutability is not checked: the mirror's repositories are MUTABLE so the next `up` can repair a
 * moved or broken tag, and a re-pushed tag is caught by digest instead (the reason is at
 * `ECR_TAG_MUTABILITY` in lib/aws/ecr.ts).
 */
export function ecrRepositoryHygiene(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
    return {
        name: "ecr-repository-hygiene",
        description: "Mirror ECR repositories scan on push and are not force-deletable (tags stay mutable, so the mirror can repair them).",
        enforcementLevel,
        validateResource: validateResourceOfType(aws.ecr.Repository, (repo, _args, report) => {
            const r = plainProps(repo) as Record<string, any>;
            if (r.imageScanningConfiguration?.scanOnPush !== true)
                report("imageScanningConfiguration.scanOnPush is not true: scan every image as it is mirrored");
            if (r.forceDelete === true) report("forceDelete is true: a stack destroy would delete the mirrored images with the repository; leave it false");
        }),
    };
}

/** The component the program records an upgrade's inputs in (components/upgrade/keptData.ts). */
const KEPT_DATA = "kfstack:upgrade:KeptData";

/**
 * `data-kept`: no update deletes an object that holds data — a claim, a volume, a StatefulSet
 * with claims, a CRD (and every object of its kind) — unless the stack's
 * `kfstack:upgrade.deleteData` names it (replacements the program itself refuses). What the last update held and the
 * allowances come from the KeptData component's outputs (the program reads the stack's last
 * index; a stack policy sees neither the state nor the stack config); the objects are what the
 * engine is given, so a program that lost one is caught. The rule is lib/plan/upgrade's
 * `dataRisks`, the one the program plans by.
 */
export function dataKept(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
    return {
        name: "data-kept",
        description: "No update deletes a claim, a volume, a StatefulSet's claims or a CRD unless kfstack:upgrade.deleteData names it.",
        enforcementLevel,
        validateStack: (args, report) => {
            const records = args.resources.filter((r) => r.type === KEPT_DATA).map((r) => plainProps(r.props) as KeptDataOutputs);
            const objects = args.resources.filter((r) => isKubernetes(r.type)).map((r) => plainProps(r.props) as K8sObject);
            for (const record of records) {
                const before = readObjectIndex(record.before);
                for (const risk of dataRisks(before, objects, { deleteData: record.allow?.deleteData ?? [] })) report(risk);
            }
        },
    };
}

interface KeptDataOutputs {
    readonly before?: unknown;
    readonly allow?: { readonly deleteData?: string[]; readonly replaceData?: string[] };
}
