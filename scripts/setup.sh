#!/usr/bin/env bash
# Installs everything kfstack's tests need on a fresh machine (idempotent):
# node modules from the lock file, and kubectl's kustomize is expected on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v kubectl >/dev/null 2>&1 && ! command -v kustomize >/dev/null 2>&1; then
    echo "setup: neither kustomize nor kubectl is on PATH; install one (kubectl >= 1.14 embeds kustomize)" >&2
    exit 1
fi
npm ci --no-audit --no-fund
