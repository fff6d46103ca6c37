#!/usr/bin/env bash
# bench/profile.sh - where chann_web's time goes, under the standard and the
# pipelined load, as instruction counts (valgrind --tool=callgrind: stable on
# a noisy shared machine; perf's hardware counters and sampling are not
# available on these VMs - `perf stat -e instructions true` says "not
# supported"). Needs bench/run.sh to have built bench/out once.
#
#   bench/profile.sh [SECONDS]      (default 8 s of wrk per load)
#
# Writes bench/results/profile-{web,pipe}.txt (callgrind_annotate, inclusive
# and exclusive top functions) and keeps callgrind.out.* in bench/out/profile.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$(cd "$ROOT/.." && pwd)/shared/bench}
DUR=${1:-8}
PORT=${PORT:-18081}
OUT=$HERE/out/profile
mkdir -p "$OUT" "$HERE/results"
BIN=$HERE/out/cmake/chann_web
[ -x "$BIN" ] || { echo "build first: bench/run.sh (or cmake --build bench/out/cmake)" >&2; exit 1; }
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }

SPID=
trap '[ -z "$SPID" ] || { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }' EXIT
for load in web pipe; do
  if [ $load = web ]; then body=$SHARED_BENCH/body.txt; script=(); else
    body=$SHARED_BENCH/hello.txt; script=(-s "$SHARED_BENCH/pipeline.lua"); fi
  rm -f "$OUT/callgrind.out.$load"
  taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.$load" \
    --collect-systime=nsec "$BIN" "127.0.0.1:$PORT" "$body" >"$OUT/$load.server.log" 2>&1 &
  SPID=$!
  for i in $(seq 300); do [ -n "$(ss -Hltn "sport = :$PORT")" ] && break; kill -0 "$SPID" || break; sleep 0.1; done
  [ -n "$(ss -Hltn "sport = :$PORT")" ] || { tail "$OUT/$load.server.log" >&2; exit 1; }
  if [ $load = web ]; then
    taskset -c 1 wrk -t1 -c100 -d"${DUR}s" "http://127.0.0.1:$PORT/" >"$OUT/$load.wrk" 2>&1
  else
    taskset -c 1 wrk -t1 -c100 -d"${DUR}s" "${script[@]}" "http://127.0.0.1:$PORT/" -- 8 >"$OUT/$load.wrk" 2>&1
  fi
  kill -TERM "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
  reqs=$(awk '/requests in/ {print $1}' "$OUT/$load.wrk")
  callgrind_annotate --threshold=99 "$OUT/callgrind.out.$load" >"$OUT/$load.self.txt" 2>/dev/null || true
  callgrind_annotate --inclusive=yes --threshold=99 "$OUT/callgrind.out.$load" >"$OUT/$load.incl.txt" 2>/dev/null || true
  total=$(awk '/PROGRAM TOTALS/ {gsub(/,/, "", $1); print $1; exit}' "$OUT/$load.self.txt")
  sysc=$(awk '/PROGRAM TOTALS/ {gsub(/,/, "", $3); print $3; exit}' "$OUT/$load.self.txt")
  {
    echo "# chann_web under the $load load: callgrind, $reqs requests answered in ${DUR}s (slowed by valgrind)"
    awk -v t="$total" -v s="$sysc" -v r="$reqs" 'BEGIN {printf "# %.0f user-space instructions per request, %.3f system calls per request\n", t / r, s / r}'
    echo "# Ir = instructions executed in user space (the kernel is not counted); sysCount = system calls;"
    echo "# sysCpuTime = CPU ns inside system calls (from --collect-systime)"
    echo "## exclusive (self) cost, top 25"
    sed -n '/^Ir .*file:function/,$p' "$OUT/$load.self.txt" | head -27
    echo
    echo "## inclusive cost, top 40"
    sed -n '/^Ir .*file:function/,$p' "$OUT/$load.incl.txt" | head -42
  } >"$HERE/results/profile-$load.txt"
  echo "$load: $reqs requests; top functions in bench/results/profile-$load.txt"
done
