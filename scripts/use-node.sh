# Sourced (`source scripts/use-node.sh`): puts a supported Node.js (>= 22, see package.json
# "engines") first on PATH for the rest of the shell.
# - A `node` already on PATH at major 22 or newer is used as it is.
# - Otherwise the pinned Node.js LTS build is fetched once from the npm registry (the
#   `node-linux-<arch>` package carries the official binary; `npm pack` needs no Node of its own
#   beyond the one npm runs on) into ~/.cache/kfstack/node/<version>/ and reused after.
# KFSTACK_NODE=22 or 24 picks the pinned release of that line even when the PATH node is newer
# (CI runs the unit tests on both supported lines).
# shellcheck shell=bash
_kfstack_use_node() {
    local want="${KFSTACK_NODE:-}" have version arch dir tgz
    have="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
    if [ -z "$want" ] && [ "$have" -ge 22 ]; then return 0; fi
    case "${want:-24}" in
        22) version=22.23.5 ;;
        24) version=24.22.3 ;;
        *) echo "use-node: KFSTACK_NODE=$want is not a supported line (22 or 24)" >&2; return 2 ;;
    esac
    if [ "$have" = "${want:-none}" ]; then return 0; fi
    case "$(uname -m)" in
        x86_64 | amd64) arch=x64 ;;
        aarch64 | arm64) arch=arm64 ;;
        *) echo "use-node: no pinned Node.js build for $(uname -m); install Node.js >= 22" >&2; return 2 ;;
    esac
    dir="${XDG_CACHE_HOME:-$HOME/.cache}/kfstack/node/$version-$arch"
    if [ ! -x "$dir/bin/node" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            echo "use-node: Node.js $have is older than 22 and npm is absent to fetch $version; install Node.js >= 22" >&2
            return 2
        fi
        echo "use-node: fetching Node.js $version ($arch) from the npm registry into $dir" >&2
        mkdir -p "$dir.part" || return 2
        tgz="$(cd "$dir.part" && npm pack --silent "node-linux-$arch@$version" 2>/dev/null | tail -n 1)"
        if [ -z "$tgz" ] || ! tar -xzf "$dir.part/$tgz" -C "$dir.part" --strip-components=1; then
            rm -rf "$dir.part"
            echo "use-node: could not fetch node-linux-$arch@$version; install Node.js >= 22" >&2
            return 2
        fi
        rm -f "$dir.part/$tgz"
        chmod +x "$dir.part/bin/node"
        rm -rf "$dir" && mv "$dir.part" "$dir"
    fi
    export PATH="$dir/bin:$PATH"
    echo "use-node: using Node.js $(node --version) from $dir" >&2
}
_kfstack_use_node
