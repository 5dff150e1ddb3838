import * as pulumi from "@pulumi/pulumi";
import { parseMirror } from "../../lib/rewrite";
import { FillArgs, fillMirror, ImageResources } from "./fill";

export interface RegistryMirrorArgs extends FillArgs {
    /** The mirror, `REGISTRY[/PREFIX]` (Harbor, distribution, Nexus, Artifactory, Quay). */
    readonly registry: string;
    /** The mirror's credentials (Pulumi secrets). @default none (anonymous push) */
    readonly username?: pulumi.Input<string>;
    readonly password?: pulumi.Input<string>;
}

/** Any OCI registry on-prem as the mirror: one `MirroredImage` per image, credentials from secrets. */
export class RegistryMirror extends pulumi.ComponentResource {
    /** `REGISTRY[/PREFIX]`. */
    public readonly location: string;
    /** A resource per image, by normalised source reference. */
    public readonly images: ImageResources;
    public readonly imageCount: pulumi.Output<number>;

    constructor(name: string, args: RegistryMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kfstack:mirror:RegistryMirror", name, {}, opts);
        const mirror = parseMirror(args.registry);
        const creds = args.username && args.password ? pulumi.secret(pulumi.all([args.username, args.password])) : undefined;
        const auths = creds?.apply(([username, password]) => ({ [mirror.host]: { username, password } }));
        const mirrorAuth = creds?.apply(([username, password]) => ({ address: mirror.host, username, password }));
        this.location = mirror.location;
        this.images = fillMirror(args, { parent: this, name, mirror, auths, mirrorAuth });
        this.imageCount = pulumi.output(this.images.size);
        this.registerOutputs({ location: this.location, imageCount: this.imageCount });
    }
}
