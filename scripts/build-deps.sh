#!/usr/bin/env bash
# Build what the static binary is made of from Debian's source packages (with
# Debian's security patches) into a private prefix per architecture: OpenSSL 3,
# libcurl (with zlib for gzip answers and c-ares for DNS), cJSON, for musl.
# Also the built-in CA roots: Mozilla's set as Debian's ca-certificates source
# package turns it into PEM, at the version pinned below.
#
#   scripts/build-deps.sh [--arch ARCH]   build if needed; last stdout line = prefix
#   scripts/build-deps.sh --ca-roots      the roots; last stdout line = their prefix
#   ... --print-prefix                    print the prefix only if already built
#   ... --refresh                         re-read the archive's source lists first
#
# ARCH: a Debian architecture, amd64 or arm64; default the machine's own. Another
# one is cross-compiled with Debian's gcc-<triplet> and musl-dev:ARCH
# (scripts/install-deps.sh arm64).
#
# Cache: ${INFX_DEPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/infx-exec}. A prefix is
# named after the architecture, the source versions, musl's version and a hash
# of this script, so it is reused while they all stay the same. Each holds
# share/infx-exec/versions ("package version" lines, what --version reports).
# Everything but the prefix goes to stderr.
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
cache=${INFX_DEPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/infx-exec}
refresh_days=${INFX_DEPS_REFRESH_DAYS:-7}   # how long source lists count as fresh
host_arch=$(dpkg --print-architecture)

# The built-in roots are pinned to one version, so that every machine
# embeds the same bytes: a newer set is a deliberate change of these two
# lines (the build prints the new hash when it differs). No fallback.
ca_version=20230311+deb12u1
ca_sha256=a3413a37a8e09cc21b2c11c9ffb23d92d2fc9d1933c9e7617f5c4fba4f72d37d

log() { echo "build-deps: $*" >&2; }
die() { log "error: $*"; exit 1; }

mode=build refresh=0 what=deps arch=$host_arch
while [ $# -gt 0 ]; do
    case $1 in
        --print-prefix) mode=print ;;
        --refresh) refresh=1 ;;
        --ca-roots) what=ca-roots ;;
        --arch) [ $# -gt 1 ] || die "--arch needs a value"; arch=$2; shift ;;
        --arch=*) arch=${1#--arch=} ;;
        *) die "usage: $0 [--arch ARCH | --ca-roots] [--print-prefix] [--refresh]" ;;
    esac
    shift
done

# The GNU and musl triplets of an architecture, and OpenSSL's target name.
case $arch in
    amd64) gnu=x86_64-linux-gnu musl=x86_64-linux-musl ossl_target=linux-x86_64 ;;
    arm64) gnu=aarch64-linux-gnu musl=aarch64-linux-musl ossl_target=linux-aarch64 ;;
    *) die "unsupported architecture '$arch' (amd64 or arm64)" ;;
esac
if [ "$what" = ca-roots ]; then
    pkgs=(ca-certificates)
else
    pkgs=(openssl curl cjson zlib c-ares)
    musl_v=$(dpkg-query -W -f='${Version}' "musl-dev:$arch" 2>/dev/null) ||
        die "musl-dev:$arch is not installed: scripts/install-deps.sh $([ "$arch" = "$host_arch" ] && echo build || echo "$arch")"
fi

mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
srclist=$cache/sources.sources
lists=$cache/lists
unavailable=$cache/unavailable   # "pkg=version" listed but not downloadable
# A private apt state: the system's lists and caches are never touched.
apt_opts=(-o "Dir::Etc::SourceList=$srclist" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$lists" -o "Dir::Cache=$cache/apt-cache"
          -o APT::Sandbox::User=root -o Acquire::Retries=1 -q)

# deb-src stanzas for Debian's own archive, derived from the machine's apt
# sources (scripts/apt-sources.sh), so that no mirror is named here.
derive_sources() {
    "$(dirname "$self")/apt-sources.sh" deb-src
}

# Newest-first source versions of a package, minus those known not to
# download; for ca-certificates, the pinned version only.
versions() {
    local vs=() i j t
    if [ "$1" = ca-certificates ]; then
        apt-cache "${apt_opts[@]}" showsrc --only-source "$1" 2>/dev/null |
            awk -v v="$ca_version" '$1 == "Version:" && $2 == v { print v; exit }'
        return
    fi
    mapfile -t vs < <(apt-cache "${apt_opts[@]}" showsrc --only-source "$1" 2>/dev/null |
                      awk '/^Version:/ { print $2 }' | sort -u)
    for ((i = 0; i < ${#vs[@]}; i++)); do
        for ((j = i + 1; j < ${#vs[@]}; j++)); do
            if dpkg --compare-versions "${vs[j]}" gt "${vs[i]}"; then
                t=${vs[i]} vs[i]=${vs[j]} vs[j]=$t
            fi
        done
    done
    for t in "${vs[@]}"; do
        grep -qxF "$1=$t" "$unavailable" 2>/dev/null || echo "$t"
    done
}

# prefix_for VERSION... (in the order of $pkgs)
prefix_for() {
    local name=deps-$arch-musl_${musl_v:-} i
    [ "$what" = ca-roots ] && name=ca-roots
    for i in "${!pkgs[@]}"; do name+="-${pkgs[i]}_${1}"; shift; done
    echo "$cache/${name//:/_}-$(sha256sum "$self" | cut -c1-8)"
}

expected_prefix() {
    local p v vs=()
    for p in "${pkgs[@]}"; do
        v=$(versions "$p" | head -n1)
        [ -n "$v" ] || return 1
        vs+=("$v")
    done
    prefix_for "${vs[@]}"
}

if [ "$mode" = print ]; then
    prefix=$(expected_prefix) && [ -d "$prefix" ] || exit 1
    echo "$prefix"
    exit 0
fi

# Already built from fresh lists: no need to wait for the lock (a finished
# prefix only ever appears whole, by rename).
if [ "$refresh" = 0 ] && [ -n "$(find "$cache/lists.stamp" -mtime "-$refresh_days" 2>/dev/null)" ] &&
   derive_sources | cmp -s - "$srclist" && prefix=$(expected_prefix) && [ -d "$prefix" ]; then
    log "up to date"
    echo "$prefix"
    exit 0
fi

# One build at a time per cache (parallel make jobs may all call us).
exec 9>"$cache/lock"
flock 9

derive_sources > "$srclist.new"
[ -s "$srclist.new" ] || die "no Debian entries found in the apt sources"
cmp -s "$srclist.new" "$srclist" || refresh=1
mv "$srclist.new" "$srclist"
if [ ! -e "$cache/lists.stamp" ] ||
   [ -z "$(find "$cache/lists.stamp" -mtime "-$refresh_days")" ]; then
    refresh=1
fi
if [ "$refresh" = 1 ]; then
    log "updating source lists"
    mkdir -p "$lists/partial" "$cache/apt-cache/archives/partial"
    if apt-get "${apt_opts[@]}" update >"$cache/update.log" 2>&1; then
        touch "$cache/lists.stamp"
        : >"$unavailable"
    elif [ -e "$cache/lists.stamp" ]; then
        log "warning: apt-get update failed, using the previous lists (see $cache/update.log)"
    else
        tail -n 40 "$cache/update.log" >&2
        die "apt-get update failed"
    fi
fi

if ! prefix=$(expected_prefix); then
    if [ "$what" = ca-roots ]; then
        die "ca-certificates $ca_version is not in the source lists (listed: $(apt-cache "${apt_opts[@]}" showsrc --only-source ca-certificates 2>/dev/null | awk '/^Version:/ { printf "%s ", $2 }')); the built-in roots are pinned: change ca_version and ca_sha256 in $self"
    fi
    die "source package(s) not found in the lists"
fi
if [ -d "$prefix" ]; then
    log "up to date"
    echo "$prefix"
    exit 0
fi

# Leftovers of failed builds (kept for inspection) go now that we hold the lock.
rm -rf "$cache"/build.*
tmp=$(mktemp -d "$cache/build.XXXXXX")
on_exit() {
    if [ "$1" -eq 0 ]; then rm -rf "$tmp"; else log "build dir kept: $tmp"; fi
}
trap 'on_exit $?' EXIT
logs=$tmp/logs
mkdir -p "$logs"

# Run a step quietly; on failure show the end of its log.
step() {
    local name=$1; shift
    log "$name"
    if ! "$@" >"$logs/$name.log" 2>&1; then
        tail -n 40 "$logs/$name.log" >&2
        die "step '$name' failed (log: $logs/$name.log)"
    fi
}

# apt-get source (= download + dpkg-source -x, i.e. with Debian's patches).
# A mirror may list a version whose files it does not serve (seen with the
# security archive): remember the 404 and fall back to the next version.
fetch() {
    local pkg=$1 v
    mkdir -p "$tmp/src/$pkg"
    for v in $(versions "$pkg"); do
        if (cd "$tmp/src/$pkg" && apt-get "${apt_opts[@]}" source "$pkg=$v") \
               >"$logs/fetch-$pkg.log" 2>&1; then
            echo "$v"
            return 0
        fi
        grep -q ' 404 ' "$logs/fetch-$pkg.log" || break
        log "warning: $pkg $v is listed but not downloadable, trying an older version"
        echo "$pkg=$v" >>"$unavailable"
        rm -rf "${tmp:?}/src/$pkg"/*
    done
    tail -n 40 "$logs/fetch-$pkg.log" >&2
    die "could not fetch source package $pkg"
}
got=()
for p in "${pkgs[@]}"; do
    log "fetching $p"
    v=$(fetch "$p")
    got+=("$v")
done
prefix=$(prefix_for "${got[@]}")
if [ -d "$prefix" ]; then echo "$prefix"; exit 0; fi
log "building $prefix"

# Install with DESTDIR so that paths baked in (.pc files, OpenSSL's
# MODULESDIR) are the final ones; the finished tree is renamed into place.
stage=$tmp/stage
dest=$stage$prefix
mkdir -p "$dest/share/infx-exec"

# Record the versions (what --version reports), check, move into place.
finish() {
    local i
    {
        if [ "$what" = deps ]; then echo "musl $musl_v"; fi
        for i in "${!pkgs[@]}"; do echo "${pkgs[i]} ${got[i]}"; done
    } >"$dest/share/infx-exec/versions"
    # A build path leaking into an installed text file would break once $tmp goes.
    if grep -rlI -- "$tmp" "$dest" >&2; then die "build paths leaked into the files above"; fi
    mv -T "$dest" "$prefix"
    log "done"
    echo "$prefix"
    exit 0
}

# --- the built-in CA roots -------------------------------------------------
# Debian's own recipe (mozilla/Makefile): certdata2pem.py keeps the
# certificates Mozilla trusts to issue server certificates
# (CKA_TRUST_SERVER_AUTH = CKT_NSS_TRUSTED_DELEGATOR) minus blacklist.txt,
# then extra/*.crt are added; update-ca-certificates concatenates them in
# sorted order. Nothing of the build machine's own trust store is read.
if [ "$what" = ca-roots ]; then
    cd "$tmp"/src/ca-certificates/ca-certificates-*/mozilla
    step ca-certdata2pem python3 certdata2pem.py
    cp extra/*.crt .
    : >"$dest/ca-certificates.crt"
    while IFS= read -r crt; do
        sed -e '$a\' "$crt" >>"$dest/ca-certificates.crt"
    done < <(find . -maxdepth 1 -name '*.crt' -printf '%P\n' | LC_ALL=C sort)
    sum=$(sha256sum "$dest/ca-certificates.crt" | cut -d' ' -f1)
    [ "$sum" = "$ca_sha256" ] ||
        die "the roots of ca-certificates ${got[0]} hash to $sum, not $ca_sha256 (ca_sha256 in $self)"
    echo "Debian ca-certificates ${got[0]}" >"$dest/origin"
    install -D -m644 ../debian/copyright "$dest/share/licenses/ca-certificates/copyright"
    finish
fi

# --- the toolchain -----------------------------------------------------------
jobs=$(nproc 2>/dev/null || echo 2)
if [ "$arch" = "$host_arch" ]; then
    export CC=musl-gcc AR=ar RANLIB=ranlib
    host_opt=()
    kdir=/usr/include kasm=/usr/include/$(gcc -print-multiarch)/asm
    hint=build
else
    # What Debian's musl-gcc wrapper does, with the cross compiler.
    export CC="$gnu-gcc -specs /usr/lib/$musl/musl-gcc.specs" AR=$gnu-ar RANLIB=$gnu-ranlib
    host_opt=(--host="$musl")
    kdir=/usr/$gnu/include kasm=/usr/$gnu/include/asm
    hint=$arch
fi
command -v "${CC%% *}" >/dev/null && [ -e "/usr/lib/$musl/musl-gcc.specs" ] ||
    die "no musl compiler for $arch: scripts/install-deps.sh $hint"
# Sections let the final static link drop what infx-exec never calls; -Os
# and no unwind tables (C code, no exceptions) keep the binary small: a TLS
# client's crypto is not what its start-up time is made of.
export CFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables"
# configure's test programs are linked as infx-exec is: statically. (A
# dynamic test link against musl fails on arm64: the cross gcc's libgcc
# wants glibc's __getauxval, which only musl's static libc provides.)
export LDFLAGS=-static

# --- OpenSSL ---------------------------------------------------------------
# musl ships no kernel headers and OpenSSL includes <linux/mman.h> & co.
# Expose only the kernel's own header dirs, after musl's (-idirafter): adding
# the glibc multiarch dir would let glibc headers shadow musl's. The dir is
# outside $tmp because OpenSSL bakes its compiler flags into libcrypto.
kh=$cache/kernel-headers-$arch
[ -d "$kdir/linux" ] && [ -d "$kasm" ] || die "no kernel headers in $kdir: scripts/install-deps.sh $hint"
mkdir -p "$kh"
ln -sfn "$kdir/linux" "$kh/linux"
ln -sfn "$kdir/asm-generic" "$kh/asm-generic"
ln -sfn "$kasm" "$kh/asm"
cd "$tmp"/src/openssl/openssl-*/
# OpenSSL embeds a "built on" date; use the package's, for reproducible output.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -STimestamp)
export SOURCE_DATE_EPOCH
# openssldir=/etc/ssl: the default CA locations are the standard system ones.
# Dropped: everything a static TLS 1.2/1.3 client never loads or negotiates.
step openssl-configure ./Configure "$ossl_target" --prefix="$prefix" --libdir=lib \
    --openssldir=/etc/ssl no-shared no-tests no-module no-engine no-dso \
    no-legacy no-ui-console no-srp no-comp no-ssl3 no-dtls no-srtp no-sctp \
    no-cms no-cmp no-ts no-ct no-nextprotoneg no-idea no-seed no-mdc2 \
    no-whirlpool no-rc5 no-md2 no-sm2 no-sm3 no-sm4 no-gost \
    no-ec2m no-ocsp no-rfc3779 no-async \
    -idirafter "$kh"
step openssl-build make -j"$jobs" build_libs
step openssl-install make install_dev DESTDIR="$stage"
install -D -m644 LICENSE.txt "$dest/share/licenses/openssl/LICENSE.txt"

# --- zlib --------------------------------------------------------------------
# libcurl's gzip and deflate Content-Encoding.
cd "$tmp"/src/zlib/zlib-*/
step zlib-configure ./configure --static --prefix="$prefix"
step zlib-build make -j"$jobs" libz.a
step zlib-install make install DESTDIR="$stage"
rm -rf "$dest/share/man"
install -D -m644 debian/copyright "$dest/share/licenses/zlib/copyright"

# --- c-ares ------------------------------------------------------------------
# libcurl's resolver: musl 1.2.3 has no TCP fallback for a truncated DNS
# answer (docs/configuration.md, "Name resolution"); c-ares has one, and
# reads resolv.conf (search, ndots, timeout, attempts) and /etc/hosts.
cd "$tmp"/src/c-ares/c-ares-*/
step c-ares-configure ./configure "${host_opt[@]}" --prefix="$prefix" \
    --disable-shared --enable-static --disable-tests --disable-dependency-tracking
step c-ares-build make -j"$jobs" -C src/lib
step c-ares-install sh -c "make -C src/lib install DESTDIR='$stage' &&
    make -C include install DESTDIR='$stage' &&
    make install-pkgconfigDATA DESTDIR='$stage'"
install -D -m644 LICENSE.md "$dest/share/licenses/c-ares/LICENSE.md"

# --- curl --------------------------------------------------------------------
cd "$tmp"/src/curl/curl-*/
# Debian's last two patches turn the tree into the gnutls / nss flavours of
# libcurl (debian/rules pops them for the OpenSSL build); undo them here too.
for p in 99_nss 90_gnutls; do
    if grep -qx "$p.patch" .pc/applied-patches 2>/dev/null; then
        step "curl-unpatch-$p" patch -R -p1 -i "debian/patches/$p.patch"
    fi
done
# Only the stage's libraries may be found: the host's pkg-config dirs would
# pull in glibc builds of nghttp2, libpsl, ...
export PKG_CONFIG_LIBDIR=$dest/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
step curl-configure ./configure "${host_opt[@]}" --prefix="$prefix" \
    --disable-shared --enable-static \
    --with-openssl="$dest" --disable-openssl-auto-load-config \
    --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs \
    --with-zlib="$dest" --enable-ares="$dest" --disable-dependency-tracking \
    --enable-http --disable-ftp --disable-file --disable-ldap --disable-ldaps \
    --disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3 \
    --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
    --disable-manual --disable-ntlm --disable-ntlm-wb --disable-tls-srp \
    --disable-doh --disable-netrc --disable-mime --disable-alt-svc \
    --disable-progress-meter --disable-websockets \
    --without-brotli --without-zstd --without-libpsl \
    --without-libidn2 --without-nghttp2 --without-nghttp3 --without-ngtcp2 \
    --without-librtmp --without-libssh2 --without-libssh --without-wolfssh \
    --without-gssapi --without-libgsasl --without-hyper --without-quiche \
    --without-msh3 --without-zsh-functions-dir --without-fish-functions-dir
for feature in HAVE_LIBZ USE_ARES USE_OPENSSL; do
    grep -q "^#define $feature 1" lib/curl_config.h ||
        die "curl's configure left out $feature (log: $logs/curl-configure.log)"
done
step curl-build make -j"$jobs" -C lib
step curl-install sh -c "make -C lib install DESTDIR='$stage' &&
    make -C include install DESTDIR='$stage' &&
    make install-pkgconfigDATA DESTDIR='$stage'"
install -D -m644 COPYING "$dest/share/licenses/curl/COPYING"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

# --- cJSON -------------------------------------------------------------------
cd "$tmp"/src/cjson/cjson-*/
# Server responses are shallow; a low nesting limit bounds parser recursion.
step cjson-build sh -c "$CC $CFLAGS -DCJSON_NESTING_LIMIT=64 -c cJSON.c -o cJSON.o &&
    $AR rcs libcjson.a cJSON.o"
install -D -m644 libcjson.a "$dest/lib/libcjson.a"
# Same include path as Debian's libcjson-dev: #include <cjson/cJSON.h>
install -D -m644 cJSON.h "$dest/include/cjson/cJSON.h"
install -D -m644 LICENSE "$dest/share/licenses/cjson/LICENSE"
cat >"$dest/lib/pkgconfig/libcjson.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: libcjson
Description: Ultralightweight JSON parser in ANSI C (static, musl)
Version: ${got[2]%%-*}
Libs: -L\${libdir} -lcjson
Cflags: -I\${includedir} -I\${includedir}/cjson
EOF

# libtool archives only matter for shared linking, and they hold stage paths.
rm -f "$dest"/lib/*.la
finish
