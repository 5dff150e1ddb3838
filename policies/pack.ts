import { PolicyPackArgs } from "@pulumi/policy";
import { mirrorOnlyImages, mirrorOnlyCodeDefaults, pinnedImages, awsPartition, ecrRepositoryHygiene } from "./policies";

/** The pack's policies and their levels. */
export function packArgs(): PolicyPackArgs {
    return {
        policies: [
            mirrorOnlyImages("mandatory"),
            mirrorOnlyCodeDefaults("mandatory"),
            pinnedImages("advisory"),
            awsPartition("mandatory"),
            ecrRepositoryHygiene("advisory"),
        ],
    };
}
