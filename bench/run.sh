#!/bin/sh
# bench/run.sh [--smoke] [--bin PATH] [--runs N] [--out FILE]
#                        - the benchmarks of docs/benchmarks.md.
#
#   bench/run.sh           full run (a few minutes): installs what is
#                          missing (bench/install.sh), measures
#                          (bench/measure.py -> bench/out/results.json), then
#                          renders (bench/render.py + bench/report.md.in ->
#                          docs/benchmarks.md) and prints the report
#   bench/run.sh --smoke   tiny sizes and a few runs (< 60 s), installs nothing,
#                          skips what is not installed, writes only bench/out/
#                          (results-smoke.json, benchmarks-smoke.md); exits 0
#                          unless the harness or infx-exec itself breaks
#                          (missed targets are never an error)
#
#   --bin PATH   the binary to measure (default build/infx-exec: run make)
#   --runs N     timed runs per start-up row (default 60, smoke 5)
#   --out FILE   where the report goes instead
#
# Both modes first run bench/test_render.py (the template language).
# Rendering alone, e.g. after editing the template:
#   bench/render.py [bench/out/results.json] [--out FILE]
# Work files: bench/out/ (git-ignored).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
smoke=0
out=
set -- "$@" --end-of-args
while [ "$1" != --end-of-args ]; do
    case $1 in
    --smoke) smoke=1; set -- "$@" "$1" ;;
    --out) out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    --bin|--runs) set -- "$@" "$1" "$2"; shift ;;
    *) set -- "$@" "$1" ;;
    esac
    shift
done
shift    # --end-of-args; "$@" is now what measure.py gets
if [ "$smoke" = 0 ]; then
    "$here/install.sh"
    results=$here/out/results.json
else
    results=$here/out/results-smoke.json
fi
cd "$here/.."
# The template language first: a broken renderer is a broken harness.
if /usr/bin/python3 -c 'import pytest' 2>/dev/null; then
    /usr/bin/python3 -m pytest -q -p no:cacheprovider "$here/test_render.py" >&2
else
    echo "bench/run.sh: python3-pytest is not installed: bench/test_render.py skipped" >&2
fi
# A results file left by an earlier run must never be rendered as this one.
rm -f "$results"
status=0
/usr/bin/python3 "$here/measure.py" --results "$results" "$@" || status=$?
[ -f "$results" ] || { [ "$status" != 0 ] || status=1; exit "$status"; }
/usr/bin/python3 "$here/render.py" "$results" --print ${out:+--out "$out"} || exit 1
exit "$status"
