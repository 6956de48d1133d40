#!/usr/bin/env bash
# Debian's own archive entries, derived from this machine's apt source files
# (deb822 *.sources and one-line *.list), so that no mirror is ever named in
# the project. Kept: suites named after this release's codename, signed by
# Debian's archive keyring (or by the system trust store, old-style entries).
#
#   scripts/apt-sources.sh deb       deb822 stanzas of Types: deb
#   scripts/apt-sources.sh deb-src   the same entries as Types: deb-src
#   scripts/apt-sources.sh --mirror  the URI of the release's main suite
#                                    (the archive debootstrap reads)
#
# Used by build-deps.sh (deb-src for apt-get source) and by the container
# tests (the apt source of the debootstrap base image). APT_SOURCES_DIR
# (default /etc/apt) and OS_RELEASE (default /etc/os-release) are for tests.
set -euo pipefail

die() { echo "apt-sources: error: $*" >&2; exit 1; }

case ${1:-} in
    deb|deb-src) type=$1 ;;
    --mirror) type=mirror ;;
    *) die "usage: $0 deb|deb-src|--mirror" ;;
esac
etc=${APT_SOURCES_DIR:-/etc/apt}

# shellcheck source=/dev/null
codename=$(. "${OS_RELEASE:-/etc/os-release}" && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "no VERSION_CODENAME in ${OS_RELEASE:-/etc/os-release}"
files=()
for f in "$etc/sources.list" "$etc"/sources.list.d/*.list \
         "$etc"/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
done
[ ${#files[@]} -gt 0 ] || die "no apt source files found in $etc"

out=$(awk -v codename="$codename" -v type="$type" '
function emit(uris, suites, comps, signedby,   n, s, i, keep, st) {
    n = split(suites, s, /[ \t]+/); keep = ""
    for (i = 1; i <= n; i++)
        if (s[i] == codename || index(s[i], codename "-") == 1 || index(s[i], codename "/") == 1)
            keep = keep (keep == "" ? "" : " ") s[i]
    if (keep == "" || uris == "" || comps == "") return
    if (signedby != "" && signedby !~ /^\/[^ \t\n]*debian-archive[^ \t\n]*$/) return
    if (type == "mirror") {
        for (i = 1; i <= n; i++)
            if (s[i] == codename && mirror == "") { split(uris, u, /[ \t\n]+/); mirror = u[1] }
        return
    }
    st = "Types: " type "\nURIs: " uris "\nSuites: " keep "\nComponents: " comps
    if (signedby != "") st = st "\nSigned-By: " signedby
    if (!(st in seen)) { seen[st] = 1; print st "\n" }
}
function trim(x) { gsub(/^[ \t]+|[ \t]+$/, "", x); return x }
function flush() {
    if (f["types"] ~ /(^|[ \t])deb($|[ \t])/ && tolower(f["enabled"]) != "no")
        emit(f["uris"], f["suites"], f["components"], f["signed-by"])
    delete f; key = ""
}
FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
deb822 && /^[ \t]*#/ { next }
deb822 && /^[ \t]*$/ { flush(); next }
deb822 && /^[ \t]/   { if (key != "") f[key] = f[key] "\n" $0; next }
deb822 { i = index($0, ":"); key = tolower(substr($0, 1, i - 1)); f[key] = trim(substr($0, i + 1)); next }
{   # one-line format: deb [opt=value ...] uri suite component...
    sub(/#.*/, ""); if ($1 != "deb") next
    line = $0; opts = ""
    if (match(line, /\[[^]]*\]/)) {
        opts = substr(line, RSTART + 1, RLENGTH - 2)
        line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
    }
    n = split(trim(line), w, /[ \t]+/); comps = ""
    for (i = 4; i <= n; i++) comps = comps (comps == "" ? "" : " ") w[i]
    sb = ""; m = split(opts, o, /[ \t]+/)
    for (i = 1; i <= m; i++) if (o[i] ~ /^signed-by=/) sb = substr(o[i], 11)
    emit(w[2], w[3], comps, sb)
}
END { flush(); if (type == "mirror" && mirror != "") print mirror }' "${files[@]}")
[ -n "$out" ] || die "no Debian entries for $codename found in the apt sources of $etc"
if [ "$type" = mirror ]; then printf '%s\n' "$out"; else printf '%s\n\n' "$out"; fi
