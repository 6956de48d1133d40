#!/bin/sh
# Would each wrapped service start? For every service of the override files
# (default: infx-exec.yml and infx-exec.supabase.yml beside this script),
# run `infx-exec --check` with the service's INFISICAL_SECRET_PATH,
# INFX_REQUIRE and INFX_ALLOW_EMPTY, references that do not resolve counted
# as errors (INFX_STRICT), and print one line per service:
#
#   ok    n8n              /n8n
#   FAIL  langfuse-web     /langfuse: missing SALT, NEXTAUTH_SECRET
#
# It checks the data, not the services' identities: every check runs with
# the one machine identity of the caller's environment (INFISICAL_API_URL,
# INFISICAL_PROJECT_ID, INFISICAL_ENVIRONMENT and the credentials, as for
# infx-exec), which must be allowed to read every folder. That each
# service's own identity may read its folders (and what they refer to) is
# checked by `docker compose run ... -e INFX_CHECK=true SERVICE`
# (docs/containers.md). Nothing else of the caller's environment reaches the
# checks: a secret still exported in the shell does not hide a missing one.
#
#   compose-overrides/check-services.sh [--exec INFX_EXEC] [--list] [FILE.yml]...
#
# --exec: the infx-exec binary (default: bin/infx-exec when it is there,
# else infx-exec from PATH). --list: print "service<TAB>paths<TAB>required
# <TAB>allow-empty" for each service instead ("-" for none), and check
# nothing. A failed login stops the checks at the first service: every
# check logs in with the same identity, and Infisical locks it out after a
# few refusals in a row.
# Exit status: 0 every service passed, 1 one or more did not (or the login
# failed), 2 usage (or no infx-exec to run).
set -u

here=$(dirname "$0")
shim=
list=0
while [ $# -gt 0 ]; do
	case $1 in
	--exec) [ $# -ge 2 ] || { echo "check-services: --exec needs a path" >&2; exit 2; }
		shim=$2; shift 2 ;;
	--exec=*) shim=${1#--exec=}; shift ;;
	--list) list=1; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) echo "check-services: unknown option '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- "$here/infx-exec.yml" "$here/infx-exec.supabase.yml"
if [ -z "$shim" ]; then
	if [ -x bin/infx-exec ]; then shim=bin/infx-exec; else shim=infx-exec; fi
fi

# service, INFISICAL_SECRET_PATH, INFX_REQUIRE, INFX_ALLOW_EMPTY of each
# service under the top-level services: of the override files (the layout
# they are written in: two spaces a service, six a variable).
services() {
	awk '
	function value(line) {
		sub(/^ *[A-Z_]+: */, "", line)
		gsub(/^["'\'']|["'\'']$/, "", line)
		return line
	}
	function flush() {
		if (svc != "")
			printf "%s\t%s\t%s\t%s\n", svc, path == "" ? "-" : path,
			       req == "" ? "-" : req, empty
		svc = ""
	}
	/^[^ #]/ { flush(); top = $0; next }
	top !~ /^services:/ { next }
	/^  [A-Za-z0-9._-]+: *$/ { flush(); svc = $1; sub(/:$/, "", svc)
		path = ""; req = ""; empty = "false"; next }
	/^      INFISICAL_SECRET_PATH:/ { path = value($0) }
	/^      INFX_REQUIRE:/ { req = value($0) }
	/^      INFX_ALLOW_EMPTY:/ { empty = value($0) }
	END { flush() }
	' "$@"
}

if [ "$list" = 1 ]; then
	services "$@"
	exit 0
fi
case $shim in
*/*) [ -f "$shim" ] && [ -x "$shim" ] ;;
*) command -v "$shim" >/dev/null 2>&1 ;;
esac || {
	echo "check-services: no infx-exec at '$shim': give --exec PATH, or put it in bin/ or on PATH" >&2
	exit 2
}

# The caller's Infisical settings, credentials, TLS and proxy variables:
# all that reaches infx-exec, besides PATH and the service's settings.
keep=
for name in $(env | sed -n 's/^\(INFISICAL_[A-Z0-9_]*\)=.*/\1/p' | sort -u) \
	    INFX_TIMEOUT INFX_LOG_LEVEL SSL_CERT_FILE SSL_CERT_DIR https_proxy \
	    HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy \
	    NO_PROXY; do
	case $name in INFISICAL_SECRET_PATH) continue ;; esac
	eval "[ -n \"\${$name+x}\" ]" && keep="$keep $name"
done

# infx-exec --check for one service (paths, required names, allow-empty),
# with only the kept variables: a listing on stdout, or one line on stderr.
check() {
	p=$1 r=$2 e=$3
	set --
	for name in $keep; do
		eval "set -- \"\$@\" \"$name=\${$name}\""
	done
	env -i PATH="${PATH:-/usr/bin:/bin}" "$@" INFISICAL_SECRET_PATH="$p" \
		INFX_REQUIRE="$r" INFX_ALLOW_EMPTY="$e" INFX_STRICT=true \
		INFX_CHECK=true "$shim" </dev/null
}

# The required names (comma list $2) that paths $1 do not hold at all, or
# nothing when all are there (then one is empty: infx-exec's line says it).
missing() {
	listing=$(check "$1" "" true 2>/dev/null) || return 0
	m=
	for n in $(printf '%s' "$2" | tr ',' ' '); do
		printf '%s\n' "$listing" | cut -f1 | grep -qx "$n" ||
			m="${m:+$m, }$n"
	done
	printf '%s' "$m"
}

services "$@" | {
	failed=0
	while IFS="$(printf '\t')" read -r svc paths req empty; do
		[ "$paths" != - ] || continue
		[ "$req" != - ] || req=
		if line=$(check "$paths" "$req" "$empty" 2>&1 >/dev/null); then
			printf 'ok    %-16s %s\n' "$svc" "$paths"
			continue
		fi
		failed=1
		case $line in *"login failed"*|*"unable to log in"*)
			# The same identity for every service: trying again
			# would only count towards Infisical's lockout.
			printf 'FAIL  %-16s %s: %s\n' "$svc" "$paths" \
				"$(printf '%s\n' "$line" | tail -n 1)"
			echo "check-services: the login failed; the other services were not checked" >&2
			exit 1 ;;
		esac
		m=$(missing "$paths" "$req")
		[ -n "$m" ] && line="missing $m" ||
			line=$(printf '%s\n' "$line" | grep -v ': warning: ' | tail -n 1)
		printf 'FAIL  %-16s %s: %s\n' "$svc" "$paths" "$line"
	done
	exit "$failed"
}
