import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { parseReference } from "../../lib/images";
import { InputError } from "../../lib/core";
import { Mirror, mirrorString } from "../../lib/rewrite";
import { MirroredImage } from "./mirroredImage";

/** How images are put into a mirror, shared by EcrMirror and RegistryMirror. */
export interface FillArgs {
    /** Source references the mirror must hold (`PreparedApp.sourceImages` of every app). */
    readonly sourceImages: readonly string[];
    /**
     * `skopeo`: every platform, digests kept (MirroredImage; the name is historical, kfstack copies). `docker`: through a Docker host
     * (@pulumi/docker RemoteImage → Tag → RegistryImage), one platform, new digests: digest-pinned
     * references are refused.
     * @default "skopeo"
     */
    readonly engine?: "skopeo" | "docker";
    /** Plain HTTP to the mirror. @default false */
    readonly plainHttp?: boolean;
    /** Plain HTTP to the sources. @default false */
    readonly sourcePlainHttp?: boolean;
    /** Delete images from the mirror on destroy. @default false */
    readonly deleteImages?: boolean;
    /** Images copied at once (`kfstack:mirror.jobs`; skopeo engine). @default 4 */
    readonly jobs?: number;
}

/** A resource per image, by normalised source reference; every app depends on those of its images. */
export type ImageResources = ReadonlyMap<string, pulumi.Resource>;

/** The resource name of an image: its normalised reference, which is unique per stack. */
export function imageResourceName(prefix: string, source: string): string {
    return `${prefix}-${parseReference(source).normalized}`;
}

/** Digest-pinned references the Docker path cannot keep (it changes digests); undefined when none. */
export function dockerPathProblem(sourceImages: readonly string[]): InputError | undefined {
    const pinned = sourceImages.filter((s) => parseReference(s).digest !== undefined);
    if (pinned.length === 0) return undefined;
    return new InputError(
        `kfstack:mirror.engine docker cannot mirror ${pinned.length} digest-pinned image(s) (e.g. ${pinned[0]}): a Docker host pulls one platform and pushes a new manifest, so the @sha256 digest the manifests name would not exist in the mirror; use kfstack:mirror.engine skopeo`,
        "kfstack:mirror.engine",
    );
}

/** Where `fillMirror` registers and with what: the component, the mirror, credentials, what each image waits for. */
export interface FillContext {
    /** The component the resources belong to (`this`). */
    readonly parent: pulumi.ComponentResource;
    /** The component's name: the prefix of every resource name. */
    readonly name: string;
    readonly mirror: Mirror;
    /** Credentials per registry host, for the skopeo engine. @default none */
    readonly auths?: pulumi.Input<Record<string, { username: string; password: string }>>;
    /** The mirror's credentials, for the docker engine. @default none */
    readonly mirrorAuth?: pulumi.Input<{ address: string; username: string; password: string }>;
    /** What an image's resource waits for (its ECR repository, say). @default nothing */
    readonly dependsOn?: (source: string) => pulumi.Resource[];
}

/** Registers one resource per image under `parent`. */
export function fillMirror(args: FillArgs, context: FillContext): Map<string, pulumi.Resource> {
    const { parent, name, mirror, auths, mirrorAuth } = context;
    const dependsOn = context.dependsOn ?? (() => []);
    const out = new Map<string, pulumi.Resource>();
    const sources = [...new Set(args.sourceImages.map((s) => parseReference(s).normalized))].sort();
    if (args.engine === "docker") {
        const problem = dockerPathProblem(sources);
        if (problem) throw problem;
        const dockerProvider = new docker.Provider(`${name}-docker`, mirrorAuth ? { registryAuth: [mirrorAuth] } : {}, { parent });
        for (const source of sources) {
            const target = mirrorString(source, mirror);
            const opts = { parent, provider: dockerProvider, dependsOn: dependsOn(source) };
            const pulled = new docker.RemoteImage(imageResourceName(`${name}-pull`, source), { name: source, keepLocally: true }, opts);
            const tag = new docker.Tag(imageResourceName(`${name}-tag`, source), { sourceImage: pulled.repoDigest, targetImage: target }, opts);
            out.set(
                source,
                new docker.RegistryImage(imageResourceName(`${name}-push`, source), { name: tag.targetImage, keepRemotely: !args.deleteImages }, opts),
            );
        }
        return out;
    }
    for (const source of sources) {
        out.set(
            source,
            new MirroredImage(
                imageResourceName(name, source),
                {
                    source,
                    mirror: mirror.location,
                    plainHttp: args.plainHttp ?? false,
                    sourcePlainHttp: args.sourcePlainHttp ?? false,
                    deleteFromMirror: args.deleteImages ?? false,
                    ...(args.jobs !== undefined ? { copySlots: args.jobs } : {}),
                    ...(auths ? { auths: pulumi.secret(auths) } : {}),
                },
                { parent, dependsOn: dependsOn(source) },
            ),
        );
    }
    return out;
}
