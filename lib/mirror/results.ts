/** What a mirror run reports: each image's outcome, the run's summary, and their wording. */

/** One image's outcome. */
export interface ImageResult {
    /** The source reference, normalised. */
    readonly source: string;
    /** Where it is served in the mirror. */
    readonly target: string;
    /** `copied` now, `present` already (same digest), `failed` (see reason). */
    readonly status: "copied" | "present" | "failed";
    /** The source digest the mirror holds (or should hold). */
    readonly digest?: string;
    readonly reason?: string;
    /** Bytes of the image's blobs sent (mounted and already present ones not counted), when copied. */
    readonly bytes?: number;
}

export interface RunSummary {
    readonly results: ImageResult[];
    readonly copied: number;
    readonly present: number;
    readonly failed: number;
    /** Bytes of blobs streamed into the mirror (what crossed the wire, manifests aside). */
    readonly bytes: number;
    /** Bytes of blobs mounted from another mirror repository (nothing sent). */
    readonly mounted: number;
    /** Bytes of blobs the mirror already held (nothing sent). */
    readonly skipped: number;
    readonly seconds: number;
    /** Images whose source digest came from the journal of an interrupted run. */
    readonly resumed: number;
}

/** A run's summary from its results. */
export function summarise(
    results: ImageResult[],
    bytes: number,
    started: number,
    resumed: number,
    notSent: { mounted: number; present: number } = { mounted: 0, present: 0 },
): RunSummary {
    return {
        mounted: notSent.mounted,
        skipped: notSent.present,
        results,
        copied: results.filter((r) => r.status === "copied").length,
        present: results.filter((r) => r.status === "present").length,
        failed: results.filter((r) => r.status === "failed").length,
        bytes,
        seconds: (Date.now() - started) / 1000,
        resumed,
    };
}

/** `n` bytes in binary units, one decimal. */
export function formatBytes(n: number): string {
    if (n < 1024) return `${n} B`;
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let v = n / 1024;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
    }
    return `${v.toFixed(1)} ${units[i]}`;
}

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}
