import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { InputError } from "../../lib/core";
import { parseMirror } from "../../lib/rewrite";
import { ECR_TAG_MUTABILITY, ecrHostProblem, ecrLifecyclePolicy, ecrRegistryHost, ecrRepositoriesFor } from "../../lib/aws";
import { parseReference } from "../../lib/images";
import { ecrRepositoryName } from "../../lib/rewrite";
import { FillArgs, fillMirror, ImageResources } from "./fill";

export interface EcrMirrorArgs extends FillArgs {
    /**
     * The mirror as the stack config names it, `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn][/PREFIX]`:
     * rendering needs it as text; the component checks it against the provider's account,
     * region and partition and fails the update when they differ.
     */
    readonly registry: string;
    /** Scan every pushed image. @default true */
    readonly scanOnPush?: boolean;
    /** `AES256` (S3-managed keys) or `KMS`. @default "AES256" */
    readonly encryption?: "AES256" | "KMS";
    /** The KMS key for `KMS` encryption. @default the AWS-managed ECR key */
    readonly kmsKey?: pulumi.Input<string>;
    /** `protect` the repositories: a destroy cannot delete them. @default false */
    readonly protect?: boolean;
    /** Days after which untagged images expire. @default 14 */
    readonly untaggedExpiryDays?: number;
}

/**
 * Refuses an ECR mirror host that is not the caller's registry in the stack's region and
 * partition (`kfstack:mirror.registry`), before any resource is registered: one InputError.
 */
export async function checkEcrMirrorHost(registry: string, opts?: pulumi.InvokeOptions): Promise<void> {
    const [caller, region, partition] = await Promise.all([aws.getCallerIdentity({}, opts), aws.getRegion({}, opts), aws.getPartition({}, opts)]);
    const problem = ecrHostProblem(parseMirror(registry).host, ecrRegistryHost(caller.accountId, region.region, partition.dnsSuffix));
    if (problem) throw new InputError(problem, "kfstack:mirror.registry");
}

/**
 * Amazon ECR as the mirror (AWS China too, where there is no pull-through cache): one
 * repository per source repository, named by the mirror rule, scan on push, encryption, a
 * lifecycle policy that never expires an image the platform uses, no force-delete; every
 * image copied into it with its digest; credentials from `ecr.getAuthorizationToken`.
 */
export class EcrMirror extends pulumi.ComponentResource {
    public readonly location: string;
    /** The registry host computed from account, region and partition (`.amazonaws.com.cn` in China). */
    public readonly registryHost: pulumi.Output<string>;
    public readonly repositories: ReadonlyMap<string, aws.ecr.Repository>;
    public readonly images: ImageResources;

    constructor(name: string, args: EcrMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kfstack:mirror:EcrMirror", name, {}, opts);
        const mirror = parseMirror(args.registry);
        const partition = aws.getPartitionOutput({}, { parent: this });
        const region = aws.getRegionOutput({}, { parent: this });
        const caller = aws.getCallerIdentityOutput({}, { parent: this });
        // checkEcrMirrorHost (awaited by the program before any resource) is where a wrong host
        // stops the run; here it is logged on this component, never thrown: an error thrown in
        // an Output reaches the engine as one "error serializing property" chain per image.
        this.registryHost = pulumi.all([caller.accountId, region.region, partition.dnsSuffix]).apply(([account, r, suffix]) => {
            const host = ecrRegistryHost(account, r, suffix);
            const problem = ecrHostProblem(mirror.host, host);
            if (problem) pulumi.log.error(problem, this);
            return host;
        });
        const repositories = new Map<string, aws.ecr.Repository>();
        for (const repo of ecrRepositoriesFor(args.sourceImages, mirror)) {
            repositories.set(
                repo,
                new aws.ecr.Repository(
                    `${name}-${repo}`,
                    {
                        name: repo,
                        // MUTABLE so the next up can repair a moved or broken tag; the reason is at ECR_TAG_MUTABILITY.
                        imageTagMutability: ECR_TAG_MUTABILITY,
                        imageScanningConfiguration: { scanOnPush: args.scanOnPush ?? true },
                        encryptionConfigurations: [
                            { encryptionType: args.encryption ?? "AES256", ...(args.encryption === "KMS" && args.kmsKey ? { kmsKey: args.kmsKey } : {}) },
                        ],
                        forceDelete: false,
                    },
                    { parent: this, protect: args.protect ?? false },
                ),
            );
        }
        for (const [repo, r] of repositories) {
            new aws.ecr.LifecyclePolicy(`${name}-${repo}`, { repository: r.name, policy: ecrLifecyclePolicy(args.untaggedExpiryDays ?? 14) }, { parent: this });
        }
        const token = aws.ecr.getAuthorizationTokenOutput({ registryId: caller.accountId }, { parent: this });
        const creds = pulumi.secret(pulumi.all([this.registryHost, token.userName, token.password]));
        const auths = creds.apply(([host, username, password]) => ({ [host]: { username, password } }));
        const mirrorAuth = creds.apply(([host, username, password]) => ({ address: host, username, password }));
        this.location = mirror.location;
        this.repositories = repositories;
        // Each image after its repository: ECR refuses a push to a repository that does not exist.
        this.images = fillMirror(args, {
            parent: this,
            name,
            mirror,
            auths,
            mirrorAuth,
            dependsOn: (source) => {
                const r = repositories.get(ecrRepositoryName(parseReference(source), mirror));
                return r ? [r] : [];
            },
        });
        this.registerOutputs({ registryHost: this.registryHost, location: this.location });
    }
}
