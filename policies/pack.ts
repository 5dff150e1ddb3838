import { PolicyPackArgs } from "@pulumi/policy";
import { mirrorOnlyImages, mirrorOnlyCodeDefaults, pinnedImages, awsPartition, ecrRepositoryHygiene, dataKept } from "./policies";

/** The pack's policies and their levels. */
export function packArgs(): PolicyPackArgs {
    return {
        policies: [
            mirrorOnlyImages("mandatory"),
            mirrorOnlyCodeDefaults("mandatory"),
            pinnedImages("advisory"),
            awsPartition("mandatory"),
            ecrRepositoryHygiene("advisory"),
            dataKept("mandatory"),
        ],
    };
}
