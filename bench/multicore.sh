#!/usr/bin/env bash
# bench/multicore.sh - chann_web on one reactor against the same server on
# two reactors (multi_thread_svr: 2 threads; prefork_svr: 2 processes), each
# with its own SO_REUSEPORT listener, under ../shared/bench/web_bench.sh.
#
#   bench/multicore.sh [-n RUNS] [-d DURATION] [-w THREADS]
#
#   -n RUNS      alternations per comparison (default 3)
#   -d DURATION  wrk duration per run (default 10s)
#   -w THREADS   threads/processes of the multi-core servers (default: nproc)
#
# Mode "unpinned" only (wrk -t2 -c200, servers free to use every core):
# pinning the server to one CPU, as the single-core comparisons do, would
# measure nothing here. On a 2-core machine wrk shares the two cores with the
# server, so the figures say how much a second reactor helps when the load
# generator competes for the same cores, not how mnet scales on a server
# with cores to spare. web_bench.sh's CPU column reads /proc/PID of the
# process it started: right for chann_web and multi_thread_svr (threads are
# counted), but for prefork_svr it is the idle parent, not its workers.
#
# Env: QUIET_WAIT (seconds to wait for an idle machine before each
# comparison, default 600), SHARED_BENCH (default ../shared/bench beside the
# repository), PORT (18180; run.sh uses 18080), BUILD (the CMake build
# directory; default bench/out/multicore, configured and built when
# missing). Raw outputs go to bench/out/multicore-<timestamp>/.
set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$(cd "$ROOT/.." && pwd)/shared/bench}
PORT=${PORT:-18180}
BUILD=${BUILD:-$HERE/out/multicore}
RUNS=3 DUR=10s WORKERS=$(nproc)
while getopts "n:d:w:h" opt; do
  case $opt in
    n) RUNS=$OPTARG ;; d) DUR=$OPTARG ;; w) WORKERS=$OPTARG ;;
    h) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) exit 2 ;;
  esac
done

die() { echo "multicore.sh: $*" >&2; exit 1; }
[ -x "$SHARED_BENCH/web_bench.sh" ] || die "no web_bench.sh in $SHARED_BENCH"
BODY=$SHARED_BENCH/body.txt
[ -f "$BODY" ] || die "no body file $BODY"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DMNET_BUILD_TESTS=OFF >/dev/null || die "cmake configure failed"
cmake --build "$BUILD" -j "$(nproc)" --target chann_web multi_thread_svr prefork_svr >/dev/null || die "build failed"

OUT=$HERE/out/multicore-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
echo "multicore: $(nproc) cores, $WORKERS reactors, $RUNS alternations of $DUR, body $(wc -c <"$BODY") bytes; raw outputs in $OUT"

# Waits (up to QUIET_WAIT s, default 600) until the machine is idle: under
# 10% of all CPU busy over a second. The machines are shared; a benchmark
# that runs beside other work measures that work too.
busy_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  awk -v u="$(( (b[1]+b[2]+b[3]+b[6]+b[7]) - (a[1]+a[2]+a[3]+a[6]+a[7]) ))" \
      -v t="$(( (b[1]+b[2]+b[3]+b[4]+b[5]+b[6]+b[7]) - (a[1]+a[2]+a[3]+a[4]+a[5]+a[6]+a[7]) ))" \
      'BEGIN {printf "%d", (t > 0 ? 100 * u / t : 0)}'
}
wait_quiet() {
  local end=$((SECONDS + ${QUIET_WAIT:-600})) b
  while b=$(busy_pct); [ "$b" -ge 10 ]; do
    [ $SECONDS -lt $end ] || { echo "  (machine still ${b}% busy; measuring anyway)"; return; }
  done
}

compare() {  # $1 label of B, $2 command of B
  wait_quiet
  "$SHARED_BENCH/web_bench.sh" -m unpinned -n "$RUNS" -d "$DUR" -p "$PORT" -o "$OUT/$1" \
    -X single -A "$BUILD/chann_web 127.0.0.1:{PORT} $BODY" \
    -Y "$1" -B "$2" 2>&1 | tee "$OUT/$1.log" | grep -vE '^  (single|'"$1"') +unpinned run'
}

echo; echo "== one reactor (chann_web) vs $WORKERS threads (multi_thread_svr)"
compare threads "$BUILD/multi_thread_svr 127.0.0.1:{PORT} $BODY $WORKERS"
echo; echo "== one reactor (chann_web) vs $WORKERS processes (prefork_svr; its CPU column is the idle parent's)"
compare prefork "$BUILD/prefork_svr 127.0.0.1:{PORT} $BODY $WORKERS"
