#!/usr/bin/env bash
# Install the Debian packages infx-exec needs.
#   scripts/install-deps.sh [build|dev|test|engine|all]...   (default: all)
# build:  static musl build of the deps (scripts/build-deps.sh) and the static link
# dev:    glibc build against Debian's -dev packages, unit tests with cmocka
# test:   the integration test suite
# engine: a container engine for the tests (podman; see tests/engine.py)
# Does nothing (and needs no network) when everything is already installed.
set -euo pipefail

# dpkg-dev brings dpkg-source (run by `apt-get source`) plus patch, xz-utils,
# bzip2, binutils and make. gcc's Recommends (libc6-dev, which pulls the
# kernel headers) are off with --no-install-recommends, so linux-libc-dev is
# named: OpenSSL needs <linux/*.h> and <asm/*.h> even under musl.
# gpgv lets dpkg-source check the .dsc signature; perl runs OpenSSL's Configure.
pkgs_build=(musl-tools gcc make dpkg-dev linux-libc-dev perl pkg-config
            gpgv ca-certificates xz-utils file)
pkgs_dev=(gcc make pkg-config libcurl4-openssl-dev libssl-dev libcjson-dev libcmocka-dev)
pkgs_test=(python3 python3-pytest openssl strace valgrind gdb file procps mandoc clang libclang-rt-14-dev docker-compose python3-yaml python3-jsonschema)
# podman with runc named (its dependency "crun | runc" would otherwise bring
# crun, which fails on a hybrid cgroup layout), the CNI plugins and their DNS
# plugin (service names on compose networks), catatonit for `init: true`;
# busybox-static and debootstrap make the test images from files.
pkgs_engine=(podman runc conmon catatonit containernetworking-plugins
             golang-github-containernetworking-plugin-dnsname iptables
             busybox-static debootstrap debian-archive-keyring docker-compose)

[ $# -gt 0 ] || set -- all
want=()
for group in "$@"; do
    case $group in
        build) want+=("${pkgs_build[@]}") ;;
        dev)   want+=("${pkgs_dev[@]}") ;;
        test)  want+=("${pkgs_test[@]}") ;;
        engine) want+=("${pkgs_engine[@]}") ;;
        all)   want+=("${pkgs_build[@]}" "${pkgs_dev[@]}" "${pkgs_test[@]}"
                      "${pkgs_engine[@]}") ;;
        *) echo "usage: $0 [build|dev|test|engine|all]..." >&2; exit 2 ;;
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

echo "install-deps: installing ${missing[*]}" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# On a shared machine another apt may be running: wait for its lock.
lock=(-o DPkg::Lock::Timeout=600)
$sudo apt-get "${lock[@]}" update -q
$sudo apt-get "${lock[@]}" install -y -q --no-install-recommends "${missing[@]}"
