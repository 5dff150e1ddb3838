#!/usr/bin/env bash
# Installs what kfstack and its tests need on a fresh machine (idempotent):
# - node modules from package-lock.json;
# - kustomize v5.5.0 built from Go modules into .tools/bin (faster than `kubectl kustomize`,
#   which kfstack falls back to when this cannot be built);
# - kubectl (or kustomize) must be on PATH for the fallback.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm run build --silent
if [ ! -x .tools/bin/kustomize ]; then
    if command -v go >/dev/null 2>&1; then
        echo "setup: building kustomize v5.5.0 into .tools/bin" >&2
        GOBIN="$PWD/.tools/bin" GOFLAGS=-mod=mod go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0 \
            || echo "setup: could not build kustomize; kfstack will use kubectl kustomize" >&2
    else
        echo "setup: no Go toolchain; kfstack will use kubectl kustomize" >&2
    fi
fi
if ! command -v kubectl >/dev/null 2>&1 && [ ! -x .tools/bin/kustomize ] && ! command -v kustomize >/dev/null 2>&1; then
    echo "setup: neither kustomize nor kubectl is available; install kubectl (it embeds kustomize)" >&2
    exit 1
fi
