/** `apply.sh` of a render folder: the apps in install order, in one pass, no retry loop. */

/**
 * Waits until every CRD in a file is established. `kubectl wait --for condition=...`
 * fails at once, instead of waiting, when it reads a CRD whose `status.conditions` is
 * still null (right after creation): ".status.conditions accessor error: <nil> is of the
 * type <nil>" (https://github.com/epinio/epinio/pull/829,
 * https://github.com/infinispan/infinispan-operator/issues/187). That one error is
 * retried, for at most KFSTACK_ESTABLISH_TIMEOUT seconds (default 120); any other fails the script.
 */
const ESTABLISHED = [
    "established() {",
    "  deadline=$(( $(date +%s) + ${KFSTACK_ESTABLISH_TIMEOUT:-120} ))",
    '  while ! err=$(kubectl wait --for condition=established --timeout="${KFSTACK_ESTABLISH_TIMEOUT:-120}s" -f "$1" 2>&1 >/dev/null); do',
    '    case "$err" in *".status.conditions accessor error"*) ;; *) printf \'%s\\n\' "$err" >&2; return 1 ;; esac',
    '    if [ "$(date +%s)" -ge "$deadline" ]; then printf \'%s\\n\' "$err" >&2; return 1; fi',
    "    sleep 1",
    "  done",
    '  echo "established: $1"',
    "}",
];

/**
 * One pass, no retry loop: each file in install order, CRDs established before
 * their objects, each app's workloads rolled out before the next app (so a
 * webhook is served before anything it validates is created).
 * KFSTACK_NO_ROLLOUT_WAIT=1 skips the rollout waits (clusters without nodes).
 */
export function applyScript(steps: string[]): string {
    const lines = steps.map((step) => {
        const [verb, a, b] = step.split(" ");
        if (verb === "apply") return `kubectl apply --server-side --force-conflicts -f "${a}"`;
        if (verb === "established") return `established "${a}"`;
        return `[ "\${KFSTACK_NO_ROLLOUT_WAIT:-}" = 1 ] || kubectl rollout status "${a}" -n "${b}" --timeout=\${KFSTACK_ROLLOUT_TIMEOUT:-10m}`;
    });
    return [
        "#!/bin/sh",
        "# Written by kfstack render: applies this folder in install order, in one pass.",
        "set -eu",
        'cd "$(dirname "$0")"',
        ...ESTABLISHED,
        ...lines,
        "",
    ].join("\n");
}
