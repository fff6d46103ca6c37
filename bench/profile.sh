#!/usr/bin/env bash
# bench/profile.sh - where chann_web's time goes, under the standard and the
# pipelined load (or examples/http_server's, under the HTTP benchmark's
# plaintext and json loads), as instruction counts (valgrind --tool=callgrind: stable on
# a noisy shared machine; perf's hardware counters and sampling are not
# available on these VMs - `perf stat -e instructions true` says "not
# supported"). Needs bench/run.sh to have built bench/out once.
#
#   bench/profile.sh [SECONDS] [LOADS]   (default 8 s of wrk per load; LOADS
#                                         "web pipe" (default) or "plaintext json")
#
# Writes bench/results/profile-LOAD.txt (callgrind_annotate, inclusive and
# exclusive top functions) and keeps callgrind.out.* in bench/out/profile.
# web, pipe: chann_web (bench/run.sh builds it); plaintext (pipelined 16 deep),
# json: examples/http_server (bench/run.sh --only http builds it).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$(cd "$ROOT/.." && pwd)/shared/bench}
DUR=${1:-8}
LOADS=${2:-web pipe}
PORT=${PORT:-18081}
OUT=$HERE/out/profile
mkdir -p "$OUT" "$HERE/results"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }

# top FILE N: the first N lines of callgrind_annotate's table (read whole:
# `sed | head` under pipefail failed on large tables once head closed).
top() { awk '/^Ir .*file:function/ {on = 1} on && n++ < '"$2" "$1"; }
SPID=
trap '[ -z "$SPID" ] || { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }' EXIT
for load in $LOADS; do
  url=/ script=()
  case $load in
    web) srv=("$HERE/out/cmake/chann_web" "127.0.0.1:$PORT" "$SHARED_BENCH/body.txt") ;;
    pipe) srv=("$HERE/out/cmake/chann_web" "127.0.0.1:$PORT" "$SHARED_BENCH/hello.txt")
          script=(-s "$SHARED_BENCH/pipeline.lua") ;;
    plaintext) srv=("$HERE/out/cargo-mnet/release/examples/http_server" "127.0.0.1:$PORT")
               script=(-s "$SHARED_BENCH/pipeline.lua"); url=/plaintext ;;
    json) srv=("$HERE/out/cargo-mnet/release/examples/http_server" "127.0.0.1:$PORT"); url=/json ;;
    *) echo "unknown load $load (web, pipe, plaintext, json)" >&2; exit 2 ;;
  esac
  [ -x "${srv[0]}" ] || { echo "build first: bench/run.sh (${srv[0]} is missing)" >&2; exit 1; }
  depth=8; [ $load = plaintext ] && depth=16
  rm -f "$OUT/callgrind.out.$load"
  taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$load" \
    --collect-systime=nsec "${srv[@]}" >"$OUT/$load.server.log" 2>&1 &
  SPID=$!
  for i in $(seq 300); do [ -n "$(ss -Hltn "sport = :$PORT")" ] && break; kill -0 "$SPID" || break; sleep 0.1; done
  [ -n "$(ss -Hltn "sport = :$PORT")" ] || { tail "$OUT/$load.server.log" >&2; exit 1; }
  if [ ${#script[@]} = 0 ]; then
    taskset -c 1 wrk -t1 -c100 -d"${DUR}s" "http://127.0.0.1:$PORT$url" >"$OUT/$load.wrk" 2>&1
  else
    taskset -c 1 wrk -t1 -c100 -d"${DUR}s" "${script[@]}" "http://127.0.0.1:$PORT$url" -- $depth >"$OUT/$load.wrk" 2>&1
  fi
  kill -TERM "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
  reqs=$(awk '/requests in/ {print $1}' "$OUT/$load.wrk")
  callgrind_annotate --threshold=99 "$OUT/callgrind.out.$load" >"$OUT/$load.self.txt" 2>/dev/null || true
  callgrind_annotate --inclusive=yes --threshold=99 "$OUT/callgrind.out.$load" >"$OUT/$load.incl.txt" 2>/dev/null || true
  total=$(awk '/PROGRAM TOTALS/ {gsub(/,/, "", $1); print $1; exit}' "$OUT/$load.self.txt")
  sysc=$(awk '/PROGRAM TOTALS/ {gsub(/,/, "", $3); print $3; exit}' "$OUT/$load.self.txt")
  {
    echo "# $(basename "${srv[0]}") under the $load load: callgrind, $reqs requests answered in ${DUR}s (slowed by valgrind)"
    awk -v t="$total" -v s="$sysc" -v r="$reqs" 'BEGIN {printf "# %.0f user-space instructions per request, %.3f system calls per request\n", t / r, s / r}'
    echo "# Ir = instructions executed in user space (the kernel is not counted); sysCount = system calls;"
    echo "# sysCpuTime = CPU ns inside system calls (from --collect-systime)"
    echo "## exclusive (self) cost, top 25"
    top "$OUT/$load.self.txt" 27
    echo
    echo "## inclusive cost, top 40"
    top "$OUT/$load.incl.txt" 42
  } >"$HERE/results/profile-$load.txt"
  echo "$load: $reqs requests; top functions in bench/results/profile-$load.txt"
done
