/**
 * Runs a policy on fake arguments the way the policy host would: props behind
 * the SDK's unknown-checking proxy, `notApplicable` throwing, config from the pack config.
 */
import { ResourceValidationPolicy, StackValidationPolicy, PolicyResource } from "@pulumi/policy";

const proxy = require("@pulumi/policy/proxy");

/** The SDK's marker for a string unknown during preview. */
export const UNKNOWN_STRING: string = proxy.unknownStringValue;

export class NotApplicable extends Error {}

export interface FakeResource {
    /** A Pulumi type token, or a resource class (its token is used). */
    readonly type: string | object;
    readonly props: Record<string, unknown>;
    readonly name?: string;
    /** The provider's inputs (region, ...). */
    readonly provider?: Record<string, unknown>;
}

function tokenOf(type: FakeResource["type"]): string {
    return typeof type === "string" ? type : String((type as any).__pulumiType);
}

function fakeArgs(r: FakeResource, config: object) {
    const type = tokenOf(r.type);
    const name = r.name ?? "r";
    return {
        type,
        name,
        urn: `urn:pulumi:test::kfstack::${type}::${name}`,
        props: proxy.unknownCheckingProxy(r.props),
        opts: {},
        provider: r.provider ? { type: "pulumi:providers:aws", name: "p", urn: "urn:p", props: proxy.unknownCheckingProxy(r.provider) } : undefined,
        stackTags: new Map<string, string>(),
        isType: (cls: any) => cls.__pulumiType === type,
        asType: (cls: any) => (cls.__pulumiType === type ? r.props : undefined),
        getConfig: () => config,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

/** Violations a resource policy reports; `undefined` when it says it does not apply. */
export async function violations(policy: ResourceValidationPolicy, r: FakeResource, config: object = {}): Promise<string[] | undefined> {
    const out: string[] = [];
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    try {
        for (const v of validations)
            if (v)
                await v(fakeArgs(r, config) as any, (message: string) => {
                    out.push(message);
                });
    } catch (e) {
        if (e instanceof NotApplicable) return undefined;
        throw e;
    }
    return out;
}

/** Violations a stack policy reports, with the URN each names. */
export async function stackViolations(
    policy: StackValidationPolicy,
    resources: FakeResource[],
    config: object = {},
): Promise<{ message: string; urn?: string }[]> {
    const out: { message: string; urn?: string }[] = [];
    const rs = resources.map((r) => {
        const a = fakeArgs(r, config);
        return {
            type: a.type,
            name: a.name,
            urn: a.urn,
            props: a.props,
            opts: {},
            dependencies: [],
            propertyDependencies: {},
            isType: a.isType,
            asType: a.asType,
        } as unknown as PolicyResource;
    });
    await policy.validateStack(
        {
            resources: rs,
            getConfig: () => config,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        } as any,
        (message: string, urn?: string) => {
            out.push({ message, urn });
        },
    );
    return out;
}
