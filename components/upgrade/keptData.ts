import * as pulumi from "@pulumi/pulumi";
import { KeptObject, ObjectIndex, UpgradeSettings, keyIdentity, objectResourceName } from "../../lib/plan";
import { KubeObject, forUpgrade } from "../kubernetes";

export interface KeptDataArgs {
    /** The data objects the release no longer has that stay: `planUpgrade(...).kept`. */
    readonly kept: readonly KeptObject[];
    /** `kfstack:upgrade.*`: recorded in the component's outputs, where the policy pack's `data-kept` reads them. */
    readonly allow: UpgradeSettings;
    /** The data objects of the stack's last index (`dataEntries`): recorded for `data-kept` too. @default none (a new stack) */
    readonly before?: ObjectIndex;
}

/**
 * Data objects (claims, volumes, StatefulSets with claims, CRDs) an upgrade keeps although the
 * new release lacks them: each stays a resource of the stack exactly as it is — only its
 * identity is given, every field is taken from the state (`ignoreChanges`), so nothing is
 * applied to it — until `kfstack:upgrade.deleteData` names it (the next `up` then deletes it)
 * or a later release has it again (it moves back to its app).
 */
export class KeptData extends pulumi.ComponentResource {
    static readonly TYPE = "kfstack:upgrade:KeptData";
    /** The kept objects' names, as `kfstack:upgrade.deleteData` names them. */
    public readonly names: pulumi.Output<string[]>;

    constructor(name: string, args: KeptDataArgs, opts?: pulumi.ComponentResourceOptions) {
        super(KeptData.TYPE, name, {}, opts);
        for (const k of args.kept) {
            const id = keyIdentity(k.key);
            const o = { apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, ...(id.namespace ? { namespace: id.namespace } : {}) } };
            const { aliases } = forUpgrade(o, { from: k.from });
            new KubeObject(objectResourceName(name, o), o, id.apiVersion, id.kind, {
                parent: this,
                aliases,
                protect: k.protect,
                // Everything but the identity comes from the state: the object is left as it is.
                ignoreChanges: ["metadata", "spec"],
            });
        }
        this.names = pulumi.output(args.kept.map((k) => k.dataName));
        // What the policy pack's data-kept checks the registered objects against: a stack policy sees
        // neither the state nor the stack config, only the resources and their outputs.
        this.registerOutputs({
            names: this.names,
            allow: { deleteData: [...args.allow.deleteData], replaceData: [...args.allow.replaceData] },
            ...(args.before ? { before: args.before } : {}),
        });
    }
}
