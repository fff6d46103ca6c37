#!/usr/bin/env bash
# bench/http_syscalls.sh [NAME...] - system calls per request of each server of
# the HTTP benchmark (default: all of them; see peers/http_servers.sh), under
# both loads: plaintext (GET /plaintext, pipelined 16 deep) and json (GET /json).
#
# The method of ../shared/bench/syscalls_per_req.sh (the server under
# `strace -c -f`, a fixed `wrk -t1 -c100 -d5s` load, calls divided by the
# requests wrk counted), with the request path these loads need: the shared
# script always asks for "/". Unlike CPU time, the counts do not move with
# other work on the machine. Needs bench/run.sh --only http to have built the
# servers. Writes bench/results/http-syscalls.txt (one line per server and load).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$HERE/out
SHARED_BENCH=${SHARED_BENCH:-$(cd "$ROOT/.." && pwd)/shared/bench}
HTTP_PEERS_DIR=${HTTP_PEERS_DIR:-$OUT/peers-http}
MB=$OUT/cargo-mnet/release/examples RB=$OUT/cargo/release
PORT=${PORT:-18960} DUR=${DUR:-5s}
# shellcheck source=peers/http_servers.sh
. "$HERE/peers/http_servers.sh"
[ $# -gt 0 ] && HTTP_SERVERS="$*"
command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; }
[ -x "$MB/http_server" ] || { echo "build first: bench/run.sh --only http" >&2; exit 1; }

work=$(mktemp -d)
SPID=
stop() {  # the traced server is strace's child: end it by its PID, then strace writes its summary
  [ -n "$SPID" ] || return 0
  local p; for p in $(ps -o pid= --ppid "$SPID"); do kill "$p" 2>/dev/null; done
  wait "$SPID" 2>/dev/null; SPID=
}
trap 'stop; rm -rf "$work"' EXIT
listening() { [ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ]; }

res=$HERE/results/http-syscalls.txt
mkdir -p "$HERE/results"
{
  echo "# bench/http_syscalls.sh $(date -u +%FT%TZ), rev $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
  echo "# strace -c -f on the server, wrk -t1 -c100 -d$DUR (plaintext: pipeline.lua 16); calls per request, kinds >= 0.01 listed"
} >"$res"
for load in plaintext json; do
  for name in $HTTP_SERVERS; do
    if http_skips "$load" "$name"; then
      printf '%-9s %-8s cannot pipeline: left out\n' "$load" "$name" | tee -a "$res"; continue
    fi
    cmd=$(http_server_cmd "$name"); cmd=${cmd//\{PORT\}/$PORT}
    [ -n "$cmd" ] || { echo "unknown server $name" >&2; exit 2; }
    for _ in $(seq 100); do listening || break; sleep 0.1; done
    taskset -c 0 strace -c -f -o "$work/strace.txt" bash -c "exec $cmd" >"$work/server.log" 2>&1 &
    SPID=$!
    for _ in $(seq 200); do listening && break; sleep 0.05; done
    if [ "$load" = plaintext ]; then
      taskset -c 1 wrk -t1 -c100 -d"$DUR" -s "$SHARED_BENCH/pipeline.lua" "http://127.0.0.1:$PORT/plaintext" -- 16 >"$work/wrk.txt" 2>&1
    else
      taskset -c 1 wrk -t1 -c100 -d"$DUR" "http://127.0.0.1:$PORT/json" >"$work/wrk.txt" 2>&1
    fi
    stop
    reqs=$(grep -oE '^ *[0-9]+ requests in' "$work/wrk.txt" | grep -oE '[0-9]+')
    awk -v n="$name" -v l="$load" -v r="${reqs:-0}" '
      /^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ { calls[$NF] = $4 }
      END { if (r == 0) { printf "%-9s %-8s no requests answered\n", l, n; exit }
            t = 0; m = 0; for (k in calls) if (k != "total") { t += calls[k]; if (calls[k] / r >= 0.01) key[++m] = k }
            for (i = 2; i <= m; i++) for (j = i; j > 1 && key[j - 1] > key[j]; j--) { x = key[j]; key[j] = key[j - 1]; key[j - 1] = x }
            line = ""; for (i = 1; i <= m; i++) line = line sprintf(" %s %.3f", key[i], calls[key[i]] / r)
            printf "%-9s %-8s requests %8d  syscalls/request %7.3f :%s\n", l, n, r, t / r, line }' "$work/strace.txt" | tee -a "$res"
  done
done
