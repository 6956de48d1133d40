#!/bin/sh
# bench/install.sh - what bench/run.sh needs, installed only when missing
# (no network is used when everything is there):
#   Debian packages: the tools the benchmarks time or use (curl, jq, valgrind,
#   binutils, musl-tools, gcc + the -dev packages of the parse driver,
#   openssl, python3), Node.js + npm if there is no node at all;
#   npm: @infisical/sdk (bench/package.json, bench/package-lock.json) into
#   bench/node_modules, for the Node launcher the start-up table compares with.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

pkgs="curl jq valgrind binutils file make musl-tools gcc pkg-config
      libcurl4-openssl-dev libcjson-dev openssl python3 ca-certificates"
missing=
for p in $pkgs; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing="$missing $p"
done
# Any node on PATH will do (a NodeSource build, say); Debian's own is the
# fallback. @infisical/sdk 5 asks for Node >= 20, bookworm ships 18: the
# Node row then reports whatever happens.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
    echo "bench/install.sh: installing$missing" >&2
    sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    # shellcheck disable=SC2086
    $sudo apt-get install -y -q --no-install-recommends $missing
fi

major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || echo "bench/install.sh: warning: node $(node --version) is older than what @infisical/sdk 5 asks for (>= 20)" >&2

want=$(sed -n 's/.*"@infisical\/sdk": *"\([^"]*\)".*/\1/p' "$here/package.json")
have=$(cd "$here" && node -p 'require("./node_modules/@infisical/sdk/package.json").version' 2>/dev/null || true)
if [ "$have" != "$want" ]; then
    echo "bench/install.sh: npm ci (@infisical/sdk $want) into bench/node_modules" >&2
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
