/**
 * Pulumi mocks for unit tests: every registered resource is recorded, and an
 * invoke nobody mocked fails the test instead of returning nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { partitionOfRegion } from "../lib/aws";
const resproto = require("@pulumi/pulumi/proto/resource_pb");
// google-protobuf as the SDK itself loads it (a dependency of @pulumi/pulumi, not of kfstack).
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [require.resolve("@pulumi/pulumi")] }));

export interface Recorded {
    readonly type: string;
    readonly name: string;
    readonly inputs: any;
    readonly provider?: string;
    /** True when some input was a secret. */
    readonly secret?: boolean;
}

/** Pulumi's marker of a serialised secret value. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretValue(v: any): boolean {
    return !!v && typeof v === "object" && v["4dabf18193072939515e22adb298388d"] === SECRET_SIG;
}

/** Inputs with secret wrappers replaced by their values (tests read them; the flag says they were secret). */
export function reveal(v: any): any {
    if (isSecretValue(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    return v;
}

function hasSecret(v: any): boolean {
    if (isSecretValue(v)) return true;
    if (v && typeof v === "object") return Object.values(v).some(hasSecret);
    return false;
}

/** A registration whose inputs are read from the request only when a test looks at them. */
class LazyRecord implements Recorded {
    private revealed?: { inputs: any; secret: boolean };
    constructor(
        readonly type: string,
        readonly name: string,
        readonly provider: string | undefined,
        private readonly struct: Parameters<typeof deserializeProperties>[0],
    ) {}
    private read() {
        if (!this.revealed) {
            const raw = deserializeProperties(this.struct);
            this.revealed = { inputs: reveal(raw), secret: hasSecret(raw) };
        }
        return this.revealed;
    }
    get inputs(): any {
        return this.read().inputs;
    }
    get secret(): boolean {
        return this.read().secret;
    }
}

/** Outputs a cloud would add to a resource's state (an EKS cluster's endpoint, say), by type. */
export type MockOutputs = Record<string, (inputs: any, name: string) => Record<string, any>>;

export class RecordingMocks implements pulumi.runtime.Mocks {
    readonly resources: Recorded[] = [];
    /** What a StackReference reads: the outputs of the stack's last update (the program reads its own). @default none (a new stack) */
    stackOutputs: Record<string, unknown> = {};
    constructor(
        private readonly invokes: Record<string, (args: any) => Record<string, any>> = {},
        private readonly outputs: MockOutputs = {},
    ) {}

    /** Pulumi's own mock path; useMocks takes the faster one below, which records the same. */
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        if (args.type === "pulumi:pulumi:StackReference")
            return { id: args.inputs.name, state: { name: args.inputs.name, outputs: this.stackOutputs, secretOutputNames: [] } };
        this.resources.push({ type: args.type, name: args.name, inputs: reveal(args.inputs), provider: args.provider, secret: hasSecret(args.inputs) });
        const extra = this.outputs[args.type];
        return { id: `${args.name}-id`, state: extra ? { ...args.inputs, ...extra(reveal(args.inputs), args.name) } : args.inputs };
    }

    /**
     * Answers a RegisterResource request as Pulumi's mock monitor does when a mock echoes
     * its inputs, without turning the request into JavaScript and back: the state returned
     * is the request's own protobuf Struct. Pulumi's path costs about 2 s of every run of the
     * whole program (7 MB of manifests converted four times), time a real engine spends in
     * its own process; the SDK's side (serialising inputs, reading outputs) is unchanged.
     */
    registerResource(monitor: any, req: any, callback: (err: any, res?: any) => void): void {
        try {
            const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
            const id = req.getCustom() ? `${req.getName()}-id` : "";
            const inputs = req.getObject();
            this.resources.push(new LazyRecord(req.getType(), req.getName(), req.getProvider(), inputs));
            const extra = this.outputs[req.getType()];
            const object = extra ? Struct.fromJavaScript({ ...inputs.toJavaScript(), ...extra(reveal(inputs.toJavaScript()), req.getName()) }) : inputs;
            // What Pulumi's monitor keeps (the serialised state), read only if asked for.
            let state: any;
            monitor.resources.set(urn, {
                urn,
                id: id || null,
                get state() {
                    return state ?? (state = object.toJavaScript());
                },
                set state(v: any) {
                    state = v;
                },
            });
            const response = new resproto.RegisterResourceResponse();
            response.setUrn(urn);
            response.setId(id);
            response.setObject(object);
            callback(null, response);
        } catch (err) {
            callback(err, undefined);
        }
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        const handler = this.invokes[args.token];
        if (!handler) throw new Error(`unmocked invoke ${args.token}(${JSON.stringify(args.inputs)})`);
        return handler(args.inputs);
    }

    /** Custom Kubernetes resources recorded (not components, not providers). */
    kubernetes(): Recorded[] {
        return this.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:"));
    }
}

/** Installs mocks and config; returns the recorder. */
export function useMocks(
    config: Record<string, string> = {},
    invokes: Record<string, (args: any) => Record<string, any>> = {},
    stack = "dev",
    pulumiPath = false,
    outputs: MockOutputs = {},
): RecordingMocks {
    const mocks = new RecordingMocks(invokes, outputs);
    pulumi.runtime.setAllConfig(
        config,
        Object.keys(config).filter((k) => k.endsWith(":users")),
    );
    pulumi.runtime.setMocks(mocks, "kfstack", stack, false, "organization");
    if (pulumiPath) return mocks;
    const monitor = (require("@pulumi/pulumi/runtime/settings") as { getMonitor(): any }).getMonitor();
    monitor.registerResource = (req: any, callback: (err: any, res?: any) => void) => mocks.registerResource(monitor, req, callback);
    return mocks;
}

/** Resolves an Output's value in a test. */
export function promise<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) =>
        pulumi.output(output).apply((v) => {
            resolve(v as T);
            return v;
        }),
    );
}

/** Waits until every resource registration has reached the mocks. */
export async function settle(): Promise<void> {
    // Internal but stable: the same wait `pulumi` does before it disconnects.
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs();
}

/** One registration as the engine would see it: its URN and the URNs it depends on. */
export interface Registration {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string;
    readonly dependencies: string[];
    readonly protect: boolean;
}

/**
 * Records every registration's dependencies (what `dependsOn` became), which
 * the Mocks interface does not show: the mock monitor is wrapped.
 */
export function recordRegistrations(): Registration[] {
    const settings = require("@pulumi/pulumi/runtime/settings");
    const monitor = settings.getMonitor();
    const out: Registration[] = [];
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        out.push({
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            dependencies: req.getDependenciesList(),
            protect: req.getProtect(),
        });
        return original(req, callback);
    };
    return out;
}

/** The account every AWS mock answers with. */
export const MOCK_ACCOUNT = "123456789012";
/** The id in the mocked EKS cluster's OIDC issuer URL. */
export const MOCK_OIDC_ID = "0123456789ABCDEF";

/**
 * AWS as a partition and region would answer it, for `useMocks`: the invokes kfstack makes
 * (partition, region, caller, zones, ECR token) and the outputs AWS adds to an EKS cluster, a
 * role and an OIDC provider — every host on the partition's DNS suffix, every ARN in the partition.
 */
export function awsMocks(partition: "aws" | "aws-cn", region: string): { invokes: Record<string, (args: any) => Record<string, any>>; outputs: MockOutputs } {
    const suffix = partitionOfRegion(region).dnsSuffix;
    return {
        invokes: {
            "aws:index/getPartition:getPartition": () => ({ partition, dnsSuffix: suffix, id: partition, reverseDnsPrefix: "x" }),
            "aws:index/getRegion:getRegion": () => ({ region, name: region, id: region, endpoint: "x", description: "x" }),
            "aws:index/getCallerIdentity:getCallerIdentity": () => ({
                accountId: MOCK_ACCOUNT,
                arn: `arn:${partition}:iam::${MOCK_ACCOUNT}:root`,
                userId: "u",
                id: MOCK_ACCOUNT,
            }),
            "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
                names: [`${region}a`, `${region}b`, `${region}c`],
                zoneIds: [],
                id: region,
                groupNames: [],
            }),
            "aws:ecr/getAuthorizationToken:getAuthorizationToken": () => ({
                userName: "AWS",
                password: "ecr-token-secret",
                authorizationToken: "x",
                proxyEndpoint: "x",
                expiresAt: "x",
                id: "x",
            }),
        },
        outputs: {
            "aws:eks/cluster:Cluster": (inputs) => ({
                endpoint: `https://ABC.gr7.${region}.eks.${suffix}`,
                certificateAuthority: { data: "Q0E=" },
                identities: [{ oidcs: [{ issuer: `https://oidc.eks.${region}.${suffix}/id/${MOCK_OIDC_ID}` }] }],
                arn: `arn:${partition}:eks:${region}:${MOCK_ACCOUNT}:cluster/${inputs.name}`,
            }),
            "aws:iam/role:Role": (inputs, name) => ({ arn: `arn:${partition}:iam::${MOCK_ACCOUNT}:role/${inputs.name ?? name}`, name: inputs.name ?? name }),
            "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (inputs) => ({
                arn: `arn:${partition}:iam::${MOCK_ACCOUNT}:oidc-provider/${String(inputs.url).replace("https://", "")}`,
            }),
        },
    };
}
