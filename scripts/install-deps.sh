#!/usr/bin/env bash
# Install the Debian packages infx-exec needs.
#   scripts/install-deps.sh [build|dev|test|engine|amd64|arm64|qemu|all]...
#                           (default: all)
# build:  static musl build of the deps (scripts/build-deps.sh) and the static link
# dev:    glibc build against Debian's -dev packages, unit tests with cmocka
# test:   the integration test suite
# engine: a container engine for the tests (podman; see tests/engine.py)
# amd64, arm64: the cross build for that architecture (make ARCH=arm64) on a
#        machine of another one, adding the architecture to dpkg for its
#        musl-dev; nothing on a machine of that architecture (so an image
#        build can name its TARGETARCH)
# qemu:   qemu-user-static, to run another architecture's binary
#         (make check-arm64)
# all:    build, dev, test and engine (what make check needs; the others
#         are asked for by name)
# Does nothing (and needs no network) when everything is already installed.
set -euo pipefail

# dpkg-dev brings dpkg-source (run by `apt-get source`) plus patch, xz-utils,
# bzip2, binutils and make. gcc's Recommends (libc6-dev, which pulls the
# kernel headers) are off with --no-install-recommends, so linux-libc-dev is
# named: OpenSSL needs <linux/*.h> and <asm/*.h> even under musl.
# gpgv lets dpkg-source check the .dsc signature; perl runs OpenSSL's Configure;
# python3 and python3-cryptography run ca-certificates' own certdata2pem.py
# (the built-in roots); openssl gives each root's subject hash (embed-ca.sh).
pkgs_build=(musl-tools gcc make dpkg-dev linux-libc-dev perl pkg-config
            gpgv ca-certificates xz-utils file python3 python3-cryptography
            openssl)
pkgs_dev=(gcc make pkg-config libcurl4-openssl-dev libssl-dev libcjson-dev libcmocka-dev)
pkgs_test=(python3 python3-pytest openssl strace valgrind gdb file procps mandoc clang libclang-rt-14-dev docker-compose python3-yaml python3-jsonschema)
# podman with runc named (its dependency "crun | runc" would otherwise bring
# crun, which fails on a hybrid cgroup layout), the CNI plugins and their DNS
# plugin (service names on compose networks), catatonit for `init: true`;
# busybox-static and debootstrap make the test images from files.
pkgs_engine=(podman runc conmon catatonit containernetworking-plugins
             golang-github-containernetworking-plugin-dnsname iptables
             busybox-static debootstrap debian-archive-keyring docker-compose)
pkgs_qemu=(qemu-user-static)
host=$(dpkg --print-architecture)

# The cross build for architecture $1 on this machine: musl-dev:$1 needs
# Debian's cross gcc; OpenSSL's <linux/*.h> and <asm/*.h> come from
# linux-libc-dev-$1-cross (arch: all, so the host's own linux-libc-dev
# version is not tied to it).
cross() {
    local gnu
    case $1 in
        amd64) gnu=x86-64-linux-gnu ;;
        arm64) gnu=aarch64-linux-gnu ;;
    esac
    [ "$1" = "$host" ] && return
    want+=("gcc-$gnu" "musl-dev:$1" "linux-libc-dev-$1-cross")
    foreign+=("$1")
}

[ $# -gt 0 ] || set -- all
want=() foreign=()
for group in "$@"; do
    case $group in
        build) want+=("${pkgs_build[@]}") ;;
        dev)   want+=("${pkgs_dev[@]}") ;;
        test)  want+=("${pkgs_test[@]}") ;;
        engine) want+=("${pkgs_engine[@]}") ;;
        amd64|arm64) cross "$group" ;;
        qemu)  want+=("${pkgs_qemu[@]}") ;;
        all)   want+=("${pkgs_build[@]}" "${pkgs_dev[@]}" "${pkgs_test[@]}"
                      "${pkgs_engine[@]}") ;;
        *) echo "usage: $0 [build|dev|test|engine|amd64|arm64|qemu|all]..." >&2; exit 2 ;;
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
for arch in ${foreign[@]+"${foreign[@]}"}; do
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        echo "install-deps: adding the $arch architecture to dpkg" >&2
        $sudo dpkg --add-architecture "$arch"
    fi
done
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# On a shared machine another apt may be running: wait for its lock.
lock=(-o DPkg::Lock::Timeout=600)
$sudo apt-get "${lock[@]}" update -q
$sudo apt-get "${lock[@]}" install -y -q --no-install-recommends "${missing[@]}"
