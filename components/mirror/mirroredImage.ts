import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { MirroredImageProps, MirroredImageState } from "../../lib/mirror/resource";

/**
 * The compiled module the provider runs. Dynamic providers are serialized into the state and
 * run in the engine's dynamic-provider host: the functions below capture only this path and
 * `require` the copy engine there, instead of serializing the engine itself.
 */
const ENGINE = path.join(__dirname, "..", "..", "lib", "mirror", "resource.js");

type Engine = typeof import("../../lib/mirror/resource");

function loadEngine(): Engine {
    // Loaded at run time in the provider host, not imported: see ENGINE.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(ENGINE) as Engine;
}

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: MirroredImageProps) {
        const engine = loadEngine();
        const outs = await engine.mirrorImage(inputs);
        return { id: outs.target, outs };
    },
    async read(id: string, props: MirroredImageState) {
        const engine = loadEngine();
        return { id, props: { ...props, mirrorDigest: await engine.readMirrorDigest(props) } };
    },
    async diff(_id: string, olds: MirroredImageState, news: MirroredImageProps) {
        const engine = loadEngine();
        const d = engine.diffImage(olds, news);
        return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: false };
    },
    async update(_id: string, _olds: MirroredImageState, news: MirroredImageProps) {
        const engine = loadEngine();
        return { outs: await engine.mirrorImage(news) };
    },
    async delete(_id: string, props: MirroredImageState) {
        const engine = loadEngine();
        await engine.deleteImage(props);
    },
};

export interface MirroredImageArgs {
    /** The source reference, as the release names it. */
    readonly source: pulumi.Input<string>;
    /** The mirror, `REGISTRY[/PREFIX]`. */
    readonly mirror: pulumi.Input<string>;
    /** Plain HTTP to the mirror. @default false */
    readonly plainHttp?: pulumi.Input<boolean>;
    /** Plain HTTP to the source. @default false */
    readonly sourcePlainHttp?: pulumi.Input<boolean>;
    /** Credentials per registry host; kept secret in the state. @default none */
    readonly auths?: pulumi.Input<Record<string, { username: string; password: string }>>;
    /** Delete the image from the mirror on destroy. @default false */
    readonly deleteFromMirror?: pulumi.Input<boolean>;
    /** Images copied at once by the provider process; never a change to the image. @default 4 */
    readonly copySlots?: pulumi.Input<number>;
}

/**
 * One image in the mirror, byte for byte (every platform, digests kept; lib/mirror/copy): `create` copies and
 * verifies, `read` reports the mirror's digest (drift: a moved tag, a deleted image), `diff`
 * replaces on a new source, `delete` leaves the image unless `deleteFromMirror`.
 */
export class MirroredImage extends pulumi.dynamic.Resource {
    /** The mirrored reference the manifests pull. */
    public readonly target!: pulumi.Output<string>;
    /** The source digest the mirror serves. */
    public readonly digest!: pulumi.Output<string>;
    /** The digest the mirror served when last read. */
    public readonly mirrorDigest!: pulumi.Output<string>;

    constructor(name: string, args: MirroredImageArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            provider,
            name,
            { target: undefined, digest: undefined, mirrorDigest: undefined, plainHttp: false, sourcePlainHttp: false, deleteFromMirror: false, ...args },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["auths"] }),
            "kfstack",
            "MirroredImage",
        );
    }
}
