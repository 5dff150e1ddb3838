#!/usr/bin/env bash
# Builds the Pulumi engine and a local Kubernetes control plane from Go modules into
# .engine/bin (ignored), for tests and offline runs. Never commit what it builds.
#
#   scripts/build-engine.sh            everything below
#   scripts/build-engine.sh --probe    ask the Go module proxy which pieces are served (seconds)
#   scripts/build-engine.sh --cluster  etcd, kube-apiserver, kube-controller-manager only
#
# Pieces (each reused when already built with its version):
#   pulumi                          the Pulumi CLI v3.259.0
#   pulumi-resource-kubernetes      the Kubernetes provider 4.25.0 (its Go module is served as the
#                                   pseudo-version of the commit tagged v4.25.0)
#   pulumi-analyzer-policy-nodejs   runs a Node policy pack (scripts/engine/, no language host needed)
#   pulumi-resource-pulumi-nodejs   serves Node dynamic providers (scripts/engine/)
#   etcd, kube-apiserver, kube-controller-manager (garbage collector: deletes finish), kubelet (the node test)
#   weed                            SeaweedFS, an S3 server for the team-state-backend test
#   containerd (2.x), crictl        a node's image pulls through the mirror (with Debian's containerd 1.6)
#
# Built binaries are kept per version in $KFSTACK_ENGINE_CACHE (default ~/.cache/kfstack/engine),
# so a fresh clone on the same machine links them instead of building again (cold: about 21 min
# on 2 cores; cached: seconds).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ENGINE=$ROOT/.engine
BIN=$ENGINE/bin
CACHE=${KFSTACK_ENGINE_CACHE:-$HOME/.cache/kfstack/engine}
PULUMI_VERSION=v3.259.0
K8S_PROVIDER=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PROVIDER_VERSION=v4.0.0-20260115033456-f47bc2d6f199   # the commit tagged v4.25.0
K8S_PROVIDER_RELEASE=4.25.0
ETCD_VERSION=v3.6.16
ETCD=go.etcd.io/etcd/server/v3@$ETCD_VERSION
KUBE_VERSION=v1.34.4
KUBERNETES=k8s.io/kubernetes@$KUBE_VERSION
SEAWEEDFS=github.com/seaweedfs/seaweedfs
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
CONTAINERD=github.com/containerd/containerd/v2
CONTAINERD_VERSION=v2.4.2
CRI_TOOLS=sigs.k8s.io/cri-tools
CRI_TOOLS_VERSION=v1.34.0
export GOFLAGS=-mod=mod CGO_ENABLED=0

log() { echo "build-engine: $*" >&2; }

probe() { # module@version → prints "served", or the proxy's error and returns 1
    local out err
    out=$(cd "$ENGINE/probe" && go mod download -json "$1" 2>&1)
    err=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$out" | sed 's/\\n\\t/; /g')
    if [ -n "$err" ]; then echo "$err"; return 1; fi
    if grep -q '"Dir"\|"GoMod"' <<<"$out"; then echo "served"; return 0; fi
    echo "$out" | head -3; return 1
}

# cached NAME VERSION: links $CACHE/NAME-VERSION into .engine/bin when it is there.
cached() {
    local file="$CACHE/$1-$2"
    [ -x "$file" ] || return 1
    ln -sf "$file" "$BIN/$1"
}

# keep NAME VERSION FILE: moves a fresh build into the cache and links it.
keep() {
    mkdir -p "$CACHE"
    mv -f "$3" "$CACHE/$1-$2.tmp" && mv -f "$CACHE/$1-$2.tmp" "$CACHE/$1-$2" && ln -sf "$CACHE/$1-$2" "$BIN/$1"
}

mkdir -p "$ENGINE/probe" "$BIN"
[ -f "$ENGINE/probe/go.mod" ] || printf 'module kfstack.local/probe\n\ngo 1.26\n' > "$ENGINE/probe/go.mod"

if [ "${1:-}" = "--probe" ]; then
    for m in "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "$K8S_PROVIDER@$K8S_PROVIDER_VERSION" "$ETCD" "$KUBERNETES" "$SEAWEEDFS@$SEAWEEDFS_VERSION" "$CONTAINERD@$CONTAINERD_VERSION" "$CRI_TOOLS@$CRI_TOOLS_VERSION"; do
        printf '%s: %s\n' "$m" "$(probe "$m" | tr '\n' ' ')"
    done
    exit 0
fi

build_etcd() {
    cached etcd "$ETCD_VERSION" && return 0
    log "building etcd $ETCD_VERSION (about 1 min)"
    # Its module has replace directives, so `go install` refuses it; built from a wrapper module.
    mkdir -p "$ENGINE/src/etcd" && cd "$ENGINE/src/etcd" || return 1
    printf 'module kfstack.local/etcd\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
    printf '//go:build tools\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
    go mod tidy && go build -o "$ENGINE/src/etcd/etcd" go.etcd.io/etcd/server/v3 || { log "etcd did not build"; return 1; }
    cd "$ROOT" && keep etcd "$ETCD_VERSION" "$ENGINE/src/etcd/etcd"
}

build_kube() { # kube-apiserver and kube-controller-manager from one wrapper module
    cached kube-apiserver "$KUBE_VERSION" && cached kube-controller-manager "$KUBE_VERSION" && cached kubelet "$KUBE_VERSION" && return 0
    log "building kube-apiserver, kube-controller-manager and kubelet $KUBE_VERSION (about 5 + 10 + 3 min cold)"
    # k8s.io/kubernetes replaces its staging modules with ./staging paths; the wrapper replaces
    # each with its published v0.x.y instead. The version is stamped, or clients (and the
    # Kubernetes provider) take it for a v0.0.0 server.
    mkdir -p "$ENGINE/src/apiserver" && cd "$ENGINE/src/apiserver" || return 1
    local gomod staging_version minor cmd
    gomod=$(cd "$ENGINE/probe" && go mod download -json "$KUBERNETES" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    staging_version="v0.${KUBE_VERSION#v1.}"
    {
        printf 'module kfstack.local/apiserver\n\ngo 1.26\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$KUBE_VERSION"
        grep '=> ./staging' "$gomod" | awk -v v="$staging_version" '{print "\t"$1" => "$1" "v}'
        printf ')\n'
    } > go.mod
    # Both commands imported, so that `go mod tidy` records the dependencies of each.
    printf '//go:build tools\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kubelet"\n)\n' > tools.go
    minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
    go mod tidy || { log "the Kubernetes modules are not all served (above)"; return 1; }
    for cmd in kube-apiserver kube-controller-manager kubelet; do
        cached "$cmd" "$KUBE_VERSION" && continue
        go build -o "$ENGINE/src/apiserver/$cmd" \
            -ldflags "-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
            "k8s.io/kubernetes/cmd/$cmd" || { log "$cmd did not build"; return 1; }
        keep "$cmd" "$KUBE_VERSION" "$ENGINE/src/apiserver/$cmd"
    done
    cd "$ROOT"
}

build_pulumi() { # the CLI, stamped with its version (the Automation API reads `pulumi version`)
    cached pulumi "$PULUMI_VERSION" && return 0
    log "building the Pulumi CLI $PULUMI_VERSION (about 6 min cold)"
    mkdir -p "$ENGINE/src/cli" && cd "$ENGINE/src/cli" || return 1
    [ -f go.mod ] || printf 'module kfstack.local/enginebuild\n\ngo 1.26\n' > go.mod
    printf '//go:build tools\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > tools.go
    go get "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" && go mod tidy || { log "the Pulumi CLI's modules are not all served (above)"; return 1; }
    go build -o "$ENGINE/src/cli/pulumi" -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi || return 1
    cd "$ROOT" && keep pulumi "$PULUMI_VERSION" "$ENGINE/src/cli/pulumi"
}

build_provider() { # the Kubernetes provider, served with no schema (programs do not ask for it)
    cached pulumi-resource-kubernetes "$K8S_PROVIDER_RELEASE" && return 0
    local err
    if ! err=$(probe "$K8S_PROVIDER@$K8S_PROVIDER_VERSION"); then
        log "blocked: $K8S_PROVIDER@$K8S_PROVIDER_VERSION is not served by the Go module proxy: $err"
        return 1
    fi
    log "building the Kubernetes provider $K8S_PROVIDER_RELEASE (about 8 min cold)"
    mkdir -p "$ENGINE/src/provider" && cd "$ENGINE/src/provider" || return 1
    # The provider module replaces its sdk with ../sdk; the wrapper requires the published one.
    printf 'module kfstack.local/k8sprovider\n\ngo 1.26\n\nrequire (\n\t%s %s\n\tgithub.com/pulumi/pulumi-kubernetes/sdk/v4 v%s\n)\n' \
        "$K8S_PROVIDER" "$K8S_PROVIDER_VERSION" "$K8S_PROVIDER_RELEASE" > go.mod
    cat > main.go <<'GO'
// The Kubernetes provider's main without its embedded schema (generated at release time, not
// in the module): the engine asks for the schema only for code generation.
package main

import (
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

func main() {
	provider.Serve("kubernetes", version.Version, nil, nil)
}
GO
    go mod tidy && go build -o "$ENGINE/src/provider/pulumi-resource-kubernetes" \
        -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_RELEASE" . \
        || { log "the Kubernetes provider did not build (above)"; return 1; }
    cd "$ROOT" && keep pulumi-resource-kubernetes "$K8S_PROVIDER_RELEASE" "$ENGINE/src/provider/pulumi-resource-kubernetes"
}

build_weed() { # SeaweedFS's weed: its go.mod has replace directives, so it is built inside its own module
    cached weed "$SEAWEEDFS_VERSION" && return 0
    log "building SeaweedFS weed $SEAWEEDFS_VERSION (about 7 min)"
    (cd "$ENGINE/probe" && go mod download "$SEAWEEDFS@$SEAWEEDFS_VERSION") || { log "the SeaweedFS module is not served"; return 1; }
    local src
    src="$(go env GOMODCACHE)/$SEAWEEDFS@$SEAWEEDFS_VERSION"
    rm -rf "$ENGINE/src/weed" && mkdir -p "$ENGINE/src" && cp -r "$src" "$ENGINE/src/weed" && chmod -R u+w "$ENGINE/src/weed" || return 1
    (cd "$ENGINE/src/weed" && go build -o "$ENGINE/src/weed/weed.bin" ./weed) || { log "weed did not build"; return 1; }
    keep weed "$SEAWEEDFS_VERSION" "$ENGINE/src/weed/weed.bin" && rm -rf "$ENGINE/src/weed"
}

build_node() { # containerd 2.x and crictl (the CRI client the kubelet's pulls go through)
    if ! cached containerd "$CONTAINERD_VERSION"; then
        log "building containerd $CONTAINERD_VERSION (about 3 min cold)"
        GOBIN="$ENGINE/src/node" go install -tags "no_btrfs no_devmapper no_zfs" "$CONTAINERD/cmd/containerd@$CONTAINERD_VERSION" \
            || { log "containerd did not build"; return 1; }
        keep containerd "$CONTAINERD_VERSION" "$ENGINE/src/node/containerd"
    fi
    if ! cached crictl "$CRI_TOOLS_VERSION"; then
        log "building crictl $CRI_TOOLS_VERSION (about 1 min cold)"
        GOBIN="$ENGINE/src/node" go install "$CRI_TOOLS/cmd/crictl@$CRI_TOOLS_VERSION" || { log "crictl did not build"; return 1; }
        keep crictl "$CRI_TOOLS_VERSION" "$ENGINE/src/node/crictl"
    fi
}

node_plugins() { # Node plugins the engine finds on PATH when no nodejs language host is installed
    local f
    for f in pulumi-analyzer-policy-nodejs pulumi-resource-pulumi-nodejs; do
        install -m 0755 "$ROOT/scripts/engine/$f" "$BIN/$f"
    done
}

status=0
build_etcd || status=3
build_kube || status=3
if [ "${1:-}" = "--cluster" ]; then
    [ $status -eq 0 ] && log "$BIN: etcd $ETCD_VERSION, kube-apiserver and kube-controller-manager $KUBE_VERSION"
    exit $status
fi
build_pulumi || status=3
build_provider || status=3
node_plugins || status=3
build_weed || status=3
build_node || status=3
[ $status -eq 0 ] && log "$BIN: pulumi $("$BIN/pulumi" version), pulumi-resource-kubernetes $K8S_PROVIDER_RELEASE, etcd, kube-apiserver, kube-controller-manager, Node plugins"
exit $status
