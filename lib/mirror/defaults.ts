/**
 * The copy engine's defaults, in a module of their own so that the config validator and its
 * reference can name them without loading the registry client.
 */

/** Images copied at once: `kfstack mirror export`/`import --jobs`, `kfstack:mirror.jobs` (the `MirroredImage` provider). */
export const DEFAULT_COPY_JOBS = 4;

/**
 * `kfstack mirror copy --jobs`: the most blob transfers at once per registry; below it the
 * number adapts to the link (./adaptive).
 */
export const DEFAULT_TRANSFER_CAP = 16;

/** Images looked up at once by `kfstack mirror verify` and `kfstack doctor`'s mirror check (HEADs only). */
export const DEFAULT_VERIFY_JOBS = 8;
