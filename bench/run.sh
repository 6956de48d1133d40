#!/bin/sh
# bench/run.sh [--smoke] - the benchmarks of docs/benchmarks.md.
#
#   bench/run.sh           full run (about 2-3 minutes): installs what is
#                          missing (bench/install.sh), then measures and writes
#                          docs/benchmarks.md, and prints it
#   bench/run.sh --smoke   tiny sizes and a few runs (< 60 s), installs nothing,
#                          skips what is not installed, writes only
#                          bench/out/benchmarks-smoke.md; exits 0 unless the
#                          harness or infx-exec itself breaks (missed targets
#                          are never an error)
#
# Needs build/infx-exec (make). Other options go to bench/bench.py
# (--bin PATH, --out FILE, --runs N). Work files: bench/out/ (git-ignored).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
smoke=0
for arg in "$@"; do
    [ "$arg" = "--smoke" ] && smoke=1
done
if [ "$smoke" = 0 ]; then
    "$here/install.sh"
fi
cd "$here/.."
exec /usr/bin/python3 "$here/bench.py" "$@"
