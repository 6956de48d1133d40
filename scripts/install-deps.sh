#!/usr/bin/env bash
# Install the Debian packages infx-exec needs.
#   scripts/install-deps.sh [build|dev|test|arm64|arm64-test|all]...   (default: all)
# build: static musl build of the deps (scripts/build-deps.sh) and the static link
# dev:   glibc build against Debian's -dev packages, unit tests with cmocka
# test:  the integration test suite
# arm64: the aarch64 cross build (make ARCH=arm64): adds the arm64
#        architecture to dpkg for musl-dev:arm64
# arm64-test: qemu-user-static, to run the arm64 binary (make check-arm64)
# all:   build, dev and test (what make check needs; the arm64 groups are
#        asked for by name)
# Does nothing (and needs no network) when everything is already installed.
set -euo pipefail

# dpkg-dev brings dpkg-source (run by `apt-get source`) plus patch, xz-utils,
# bzip2, binutils and make. gcc's Recommends (libc6-dev, which pulls the
# kernel headers) are off with --no-install-recommends, so linux-libc-dev is
# named: OpenSSL needs <linux/*.h> and <asm/*.h> even under musl.
# gpgv lets dpkg-source check the .dsc signature; perl runs OpenSSL's Configure;
# python3 and python3-cryptography run ca-certificates' own certdata2pem.py
# (the built-in roots).
pkgs_build=(musl-tools gcc make dpkg-dev linux-libc-dev perl pkg-config
            gpgv ca-certificates xz-utils file python3 python3-cryptography)
pkgs_dev=(gcc make pkg-config libcurl4-openssl-dev libcjson-dev libcmocka-dev)
pkgs_test=(python3 python3-pytest openssl strace valgrind gdb file procps mandoc clang libclang-rt-14-dev docker-compose python3-yaml python3-jsonschema)
# musl-dev:arm64 needs gcc-aarch64-linux-gnu; OpenSSL's <linux/*.h> and
# <asm/*.h> for arm64 come from linux-libc-dev-arm64-cross (an arch: all
# package, so the host's own linux-libc-dev version is not tied to it).
pkgs_arm64=(gcc-aarch64-linux-gnu musl-dev:arm64 linux-libc-dev-arm64-cross)
pkgs_arm64_test=(qemu-user-static)

[ $# -gt 0 ] || set -- all
want=() foreign=()
for group in "$@"; do
    case $group in
        build) want+=("${pkgs_build[@]}") ;;
        dev)   want+=("${pkgs_dev[@]}") ;;
        test)  want+=("${pkgs_test[@]}") ;;
        arm64) want+=("${pkgs_arm64[@]}"); foreign+=(arm64) ;;
        arm64-test) want+=("${pkgs_arm64_test[@]}") ;;
        all)   want+=("${pkgs_build[@]}" "${pkgs_dev[@]}" "${pkgs_test[@]}") ;;
        *) echo "usage: $0 [build|dev|test|arm64|arm64-test|all]..." >&2; exit 2 ;;
    esac
done

missing=()
for p in $(printf '%s\n' "${want[@]}" | sort -u); do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages already installed" >&2
    exit 0
fi

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
for arch in "${foreign[@]}"; do
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        echo "install-deps: adding the $arch architecture to dpkg" >&2
        $sudo dpkg --add-architecture "$arch"
    fi
done
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
