#!/usr/bin/env bash
# Installs what kfstack and its tests need on a fresh machine (idempotent):
# - node modules from package-lock.json;
# - kustomize v5.5.0 built from Go modules into .tools/bin (faster than `kubectl kustomize`,
#   which kfstack falls back to when this cannot be built);
# - kubectl (or kustomize) must be on PATH for the fallback;
# - skopeo, docker-registry and htpasswd (Debian packages) for the image mirror and its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages of the image mirror: skopeo (the copier), docker-registry (the tests' real
# OCI registries) and apache2-utils (htpasswd, for a registry with auth). Installed when absent.
missing=()
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
# Jinja2, to render kubespray's own templates as Ansible does (the kubespray-vars tests).
python3 -c "import jinja2" >/dev/null 2>&1 || missing+=(python3-jinja2)
# containerd 1.6 and runc: a node's pulls through the mirror (the containerd tests; 2.x is built).
command -v containerd >/dev/null 2>&1 || missing+=(containerd)
command -v runc >/dev/null 2>&1 || missing+=(runc)
# iproute2: `ip link set lo up` in the air-gap test's network namespace (unshare -n, util-linux).
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
# A static busybox: the programs of the images the node test runs (no libc inside them).
if [ ! -x /usr/bin/busybox ] || ldd /usr/bin/busybox >/dev/null 2>&1; then missing+=(busybox-static); fi
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing ${missing[*]} (Debian packages)" >&2
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
            || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } \
            || echo "setup: could not install ${missing[*]}; 'kfstack mirror' needs skopeo, the mirror tests need all three" >&2
    else
        echo "setup: install ${missing[*]} (kfstack mirror needs skopeo; the mirror tests need all three)" >&2
    fi
fi
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
