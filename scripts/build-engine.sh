#!/usr/bin/env bash
# Builds the Pulumi engine pieces from Go modules into .engine/ (ignored), for e2e runs
# without the internet. Never commit what it builds.
#
#   scripts/build-engine.sh --probe     ask the Go module proxy which pieces are served (seconds)
#   scripts/build-engine.sh --cluster   build etcd and kube-apiserver (a real API server for the
#                                       e2e tests; about 1 + 4 min, kept once built)
#   scripts/build-engine.sh             build the Pulumi CLI v3.259.0 (kept when already built with
#                                       that version), then stop with the exact error of the first
#                                       piece that is not served
#
# Status (2026-11-24): the CLI, etcd and kube-apiserver build. The Kubernetes provider
# github.com/pulumi/pulumi-kubernetes/provider/v4 is not served by the proxy (403), so
# `pulumi preview`/`up` of kfstack cannot run here; the e2e tests apply `kfstack render`'s
# output with kubectl to the real API server instead.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ENGINE=$ROOT/.engine
PULUMI_VERSION=v3.259.0
K8S_PROVIDER=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PROVIDER_VERSION=v4.0.0-20260608201737-a03ff6ba58d2   # the v4.32.0 release
ETCD_VERSION=v3.6.16
ETCD=go.etcd.io/etcd/server/v3@$ETCD_VERSION
KUBE_VERSION=v1.34.4
KUBERNETES=k8s.io/kubernetes@$KUBE_VERSION
export GOFLAGS=-mod=mod

probe() { # module@version → prints "served", or the proxy's error and returns 1
    local out err
    out=$(cd "$ENGINE/probe" && go mod download -json "$1" 2>&1)
    err=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$out" | sed 's/\\n\\t/; /g')
    if [ -n "$err" ]; then echo "$err"; return 1; fi
    if grep -q '"Dir"\|"GoMod"' <<<"$out"; then echo "served"; return 0; fi
    echo "$out" | head -3; return 1
}

mkdir -p "$ENGINE/probe" "$ENGINE/bin"
[ -f "$ENGINE/probe/go.mod" ] || printf 'module kfstack.local/probe\n\ngo 1.26\n' > "$ENGINE/probe/go.mod"

if [ "${1:-}" = "--probe" ]; then
    for m in "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "$K8S_PROVIDER@$K8S_PROVIDER_VERSION" "$ETCD" "$KUBERNETES"; do
        printf '%s: %s\n' "$m" "$(probe "$m" | tr '\n' ' ')"
    done
    exit 0
fi

if [ "${1:-}" = "--cluster" ]; then
    # etcd: its module has replace directives, so `go install` refuses it; build from a wrapper module.
    if ! "$ENGINE/bin/etcd" --version 2>/dev/null | grep -q "etcd Version: ${ETCD_VERSION#v}"; then
        mkdir -p "$ENGINE/src/etcd" && cd "$ENGINE/src/etcd"
        printf 'module kfstack.local/etcd\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
        printf '//go:build tools\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
        go mod tidy && CGO_ENABLED=0 go build -o "$ENGINE/bin/etcd" go.etcd.io/etcd/server/v3 || { echo "build-engine: etcd did not build" >&2; exit 3; }
        cd "$ROOT"
    fi
    echo "build-engine: $ENGINE/bin/etcd $("$ENGINE/bin/etcd" --version | head -1)"
    # kube-apiserver: k8s.io/kubernetes replaces its staging modules with ./staging paths; a wrapper
    # module replaces each with its published v0.x.y instead. The version is stamped, or clients
    # (and the Kubernetes provider) take it for a v0.0.0 server.
    if [ "$("$ENGINE/bin/kube-apiserver" --version 2>/dev/null)" != "Kubernetes $KUBE_VERSION" ]; then
        mkdir -p "$ENGINE/src/apiserver" && cd "$ENGINE/src/apiserver"
        gomod=$(cd "$ENGINE/probe" && go mod download -json "$KUBERNETES" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
        staging_version="v0.${KUBE_VERSION#v1.}"
        {
            printf 'module kfstack.local/apiserver\n\ngo 1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
            grep '=> ./staging' "$gomod" | awk -v v="$staging_version" '{print "\t"$1" => "$1" "v}'
            printf ')\n'
        } > go.mod
        printf '//go:build tools\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' > tools.go
        minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
        go mod tidy && CGO_ENABLED=0 go build -o "$ENGINE/bin/kube-apiserver" \
            -ldflags "-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
            k8s.io/kubernetes/cmd/kube-apiserver || { echo "build-engine: kube-apiserver did not build" >&2; exit 3; }
        cd "$ROOT"
    fi
    echo "build-engine: $ENGINE/bin/kube-apiserver $("$ENGINE/bin/kube-apiserver" --version)"
    exit 0
fi

# 1. The Pulumi CLI, stamped with its version (the Automation API reads `pulumi version`).
if [ "$("$ENGINE/bin/pulumi" version 2>/dev/null)" != "$PULUMI_VERSION" ]; then
    mkdir -p "$ENGINE/src/cli"
    cd "$ENGINE/src/cli"
    [ -f go.mod ] || printf 'module kfstack.local/enginebuild\n\ngo 1.26\n' > go.mod
    printf '//go:build tools\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > tools.go
    go get "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" && go mod tidy || { echo "build-engine: the Pulumi CLI's modules are not all served (above)" >&2; exit 3; }
    CGO_ENABLED=0 go build -o "$ENGINE/bin/pulumi" \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi || exit 3
    cd "$ROOT"
fi
echo "build-engine: $ENGINE/bin/pulumi $("$ENGINE/bin/pulumi" version)"

# 2. The Kubernetes provider: without it nothing of kfstack can be previewed or applied.
if ! err=$(probe "$K8S_PROVIDER@$K8S_PROVIDER_VERSION"); then
    echo "build-engine: blocked: $K8S_PROVIDER@$K8S_PROVIDER_VERSION is not served by the Go module proxy:" >&2
    echo "  $err" >&2
    exit 3
fi
echo "build-engine: $K8S_PROVIDER@$K8S_PROVIDER_VERSION is served now: write its main (provider.Serve) and the e2e suite" >&2
exit 4
