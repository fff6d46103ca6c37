#!/usr/bin/env bash
# bench/run.sh - mnet's benchmark suite (not part of the tests; see bench/README.md).
#
#   bench/run.sh [--quick] [--only LIST] [-n RUNS] [--conns N] [--peers LIST]
#                [--http-peers LIST] [--ws-peers LIST] [--ws-loads LIST] [--quiet-wait SECS]
#                [--budget MIN] [--no-plot]
#
#   --quick      short runs (wrk 3 s, 1 alternation, 256 MiB, 2,000 idle
#                connections): a smoke test of the suite, not figures to quote
#   --only LIST  comma-separated subset of: web,pipe,http,ws,rwdata,conns,tls (default all)
#   -n RUNS      alternations per comparison (default 3; rwdata/tls throughput use 2*RUNS-1)
#   --conns N    idle connections held open (default 15000; needs ulimit -n > N + 100)
#   --no-plot    skip the PNG
#   --quiet-wait SECS  before each alternation, wait up to SECS for the machine
#                to be idle (< 10% CPU busy over 1 s; default 300, quick 0).
#                The machines are shared and other work skews every figure, so
#                an alternation during which other processes used more than
#                OTHERS_MAX (15) % of a CPU is discarded and run again, at most
#                RETRIES (3; quick 0) times.
#   --peers LIST web/pipe peers to compare with (default limit,mio,tokio,asio,luajit,lua54,c;
#                prev: the chann_web binary named by PREV_WEB, e.g. one built from
#                an earlier revision, to check a change for regressions;
#                luajit, lua54: examples/lua/chann_web.lua under LuaJIT / Lua 5.4;
#                c: examples/c/chann_web.c, the C API)
#   --http-peers LIST  HTTP servers examples/http_server is compared with
#                (default limit,nginx,h2o,hyper,beast,httplib; cpp-httplib
#                cannot pipeline and sits out the plaintext load)
#   --ws-peers LIST  WebSocket echo servers examples/ws_echo_server is compared
#                with (default lws,beast,tungstenite; tungstenite has no
#                permessage-deflate and sits out the deflate loads)
#   --ws-loads LIST  the ws section's loads (default 64,64-deflate,16k,16k-deflate);
#                a run with fewer writes latest-ws-LOADS.md, leaving latest-ws.md alone
#   --budget MIN after MIN minutes (default 60) stop waiting and retrying:
#                finish the remaining measurements as they come
#
# Env: PEERS_DIR (peer servers; default bench/out/peers, built with
#      ../shared/bench/peers/build.sh when missing), HTTP_PEERS_DIR (the HTTP
#      section's compiled peers; default bench/out/peers-http, built with
#      bench/peers/build_http.sh, which also installs nginx and h2o), WS_PEERS_DIR
#      (the ws section's compiled peers; default bench/out/peers-ws, built with
#      bench/peers/build_ws.sh, which installs libwebsockets-dev), SHARED_BENCH (default
#      ../shared/bench beside the repository), SERVER_CPU (0), CLIENT_CPU (1),
#      PORT (18080).
#
# Every server runs pinned on SERVER_CPU, every client on CLIENT_CPU, all on
# 127.0.0.1, each run bounded in time; servers are stopped by their PID.
# Builds into bench/out (git-ignored). Prints a table of figures and ratios,
# appends them to bench/results/results.csv, writes bench/results/latest.md
# and latest-figures.tsv (latest-LIST.md and latest-LIST-figures.tsv for a run
# with --only LIST, so that a partial run leaves the whole suite's table alone),
# bench/results/web.png (web, pipe), bench/results/http.png (http) and
# bench/results/ws.png (ws).
set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$HERE/out
RES=$HERE/results
SHARED_BENCH=${SHARED_BENCH:-$(cd "$ROOT/.." && pwd)/shared/bench}
PEERS_DIR=${PEERS_DIR:-$OUT/peers}
HTTP_PEERS_DIR=${HTTP_PEERS_DIR:-$OUT/peers-http}
WS_PEERS_DIR=${WS_PEERS_DIR:-$OUT/peers-ws}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18080}

QUICK=0 ONLY=web,pipe,http,ws,rwdata,conns,tls RUNS=3 CONNS=15000 PLOT=1 QUIET_WAIT= BUDGET_MIN=60 WEB_PEERS="limit mio tokio asio luajit lua54 c"
HTTP_PEERS="limit nginx h2o hyper beast httplib" WS_PEERS="lws beast tungstenite" ONLY_GIVEN=0
WS_LOADS="64 64-deflate 16k 16k-deflate" WS_LOADS_GIVEN=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --only) ONLY=$2; ONLY_GIVEN=1; shift ;;
    -n) RUNS=$2; shift ;;
    --conns) CONNS=$2; shift ;;
    --no-plot) PLOT=0 ;;
    --quiet-wait) QUIET_WAIT=$2; shift ;;
    --budget) BUDGET_MIN=$2; shift ;;
    --peers) WEB_PEERS=${2//,/ }; shift ;;
    --http-peers) HTTP_PEERS=${2//,/ }; shift ;;
    --ws-peers) WS_PEERS=${2//,/ }; shift ;;
    --ws-loads) WS_LOADS=${2//,/ }; WS_LOADS_GIVEN=1; shift ;;
    -h|--help) sed -n '2,52p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$QUICK" = 1 ]; then
  DUR=3s; RUNS=1; RW_BYTES=256M; CONNS=2000; CYCLE_SECS=2; HS_SECS=2
else
  DUR=10s; RW_BYTES=1G; CYCLE_SECS=5; HS_SECS=5
fi
RW_RUNS=$((2 * RUNS - 1))
QUIET_WAIT=${QUIET_WAIT:-$([ "$QUICK" = 1 ] && echo 0 || echo 300)}
want() { case ",$ONLY," in *",$1,"*) return 0 ;; esac; return 1; }

log() { printf '%s\n' "$*" >&2; }
die() { log "run.sh: $*"; exit 1; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WORK=$OUT/runs/$STAMP
mkdir -p "$WORK" "$RES"
FIG=$WORK/figures.tsv   # section server metric value (one line per measurement)
: >"$FIG"
REV=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || cat "$ROOT/.bench_rev" 2>/dev/null || echo unknown)

# ---- prerequisites and build ------------------------------------------------
for t in wrk taskset ss cmake cargo python3 curl; do
  command -v $t >/dev/null || { [ $t = wrk ] || [ $t = taskset ] || die "$t not found"; }
done
[ -d "$SHARED_BENCH" ] || die "shared bench kit not found at $SHARED_BENCH (set SHARED_BENCH)"
CHANN_WEB_SECTIONS=0
for s in web pipe rwdata conns tls; do want $s && CHANN_WEB_SECTIONS=1; done
if [ "$CHANN_WEB_SECTIONS" = 1 ] && { ! [ -x "$PEERS_DIR/epoll_web" ] || ! [ -x "$PEERS_DIR/mio_web" ] ||
   ! [ -x "$PEERS_DIR/tokio_web" ] || ! [ -x "$PEERS_DIR/asio_web" ] || ! command -v wrk >/dev/null; }; then
  log "== building the peer servers into $PEERS_DIR ($SHARED_BENCH/peers/build.sh; also installs wrk)"
  "$SHARED_BENCH/peers/build.sh" "$PEERS_DIR" || die "peer build failed"
fi
if want http; then
  log "== building the HTTP peers into $HTTP_PEERS_DIR (bench/peers/build_http.sh; installs nginx, h2o, Boost, cpp-httplib)"
  "$HERE/peers/build_http.sh" "$HTTP_PEERS_DIR" >"$WORK/build_http.log" 2>&1 ||
    { tail -20 "$WORK/build_http.log"; die "HTTP peer build failed"; }
fi
if want ws; then
  log "== building the WebSocket peers into $WS_PEERS_DIR (bench/peers/build_ws.sh; installs libwebsockets-dev)"
  "$HERE/peers/build_ws.sh" "$WS_PEERS_DIR" >"$WORK/build_ws.log" 2>&1 ||
    { tail -20 "$WORK/build_ws.log"; die "WebSocket peer build failed"; }
fi
log "== building the benchmark programs (bench/out)"
if [ "$CHANN_WEB_SECTIONS" = 1 ]; then
  GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
  if [ ! -f "$OUT/cmake/CMakeCache.txt" ]; then
    cmake -S "$HERE" -B "$OUT/cmake" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release >"$WORK/cmake.log" 2>&1 ||
      { tail -20 "$WORK/cmake.log"; die "cmake configure failed"; }
  fi
  cmake --build "$OUT/cmake" -j "$(nproc)" >>"$WORK/cmake.log" 2>&1 || { tail -30 "$WORK/cmake.log"; die "C++ build failed"; }
fi
CARGO_TARGET_DIR=$OUT/cargo cargo build --release --locked --quiet --manifest-path "$HERE/rust/Cargo.toml" \
  >"$WORK/cargo.log" 2>&1 || { tail -30 "$WORK/cargo.log"; die "Rust build failed"; }
MNET_EXAMPLES=()
want http && MNET_EXAMPLES+=(--example http_server)
want ws && MNET_EXAMPLES+=(--example ws_echo_server)
if [ "${#MNET_EXAMPLES[@]}" -gt 0 ]; then
  # The servers under test: the crate's own examples, built by the crate's
  # own release profile, in a target directory of their own.
  CARGO_TARGET_DIR=$OUT/cargo-mnet cargo build --release --locked --quiet --manifest-path "$ROOT/Cargo.toml" \
    "${MNET_EXAMPLES[@]}" >"$WORK/cargo-mnet.log" 2>&1 || { tail -30 "$WORK/cargo-mnet.log"; die "mnet's examples (${MNET_EXAMPLES[*]}) build failed"; }
fi
CB=$OUT/cmake RB=$OUT/cargo/release MB=$OUT/cargo-mnet/release/examples
LUA_MODULES=$CB/mnet/lua/modules # mnet's Lua modules (bench/CMakeLists.txt turns MNET_LUA on)
for p in $( { want web || want pipe; } && echo "$WEB_PEERS"); do
  case $p in
    luajit) command -v luajit >/dev/null || die "luajit not found (scripts/ensure-tools.sh installs it)" ;;
    lua54) command -v lua5.4 >/dev/null && [ -f "$LUA_MODULES/mnet/c.so" ] ||
             die "lua5.4 or mnet's C module ($LUA_MODULES/mnet/c.so) missing: scripts/ensure-tools.sh installs Lua 5.4 and its headers" ;;
  esac
done
BODY=$SHARED_BENCH/body.txt HELLO=$SHARED_BENCH/hello.txt
if [ ! -f "$OUT/certs/server.key" ]; then "$RB/certs" "$OUT/certs" || die "certs failed"; fi
CERT=$OUT/certs/server.crt KEY=$OUT/certs/server.key CA=$OUT/certs/ca.crt

# ---- the machine ------------------------------------------------------------
{
  echo "rev $REV  $(date -u +%FT%TZ)  nproc $(nproc)  kernel $(uname -r)"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "busiest processes before the run:"
  ps -eo pid,pcpu,etime,comm --sort=-pcpu | head -6
} | tee "$WORK/machine.txt" >&2
LOAD0=$(cut -d' ' -f1 /proc/loadavg)

# ---- helpers ----------------------------------------------------------------
SPID=
cleanup() { if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

listening() { [ -n "$(ss -Hltn "sport = :$PORT" 2>/dev/null)" ]; }
wait_port() {  # open|closed
  local i
  for i in $(seq 200); do
    if [ "$1" = open ]; then listening && return 0; kill -0 "$SPID" 2>/dev/null || return 1
    else listening || return 0; fi
    sleep 0.05
  done
  return 1
}
start_srv() {  # LOG CMD... (pinned on SERVER_CPU)
  local logf=$1; shift
  listening && { wait_port closed || die "port $PORT busy (not ours)"; }
  taskset -c "$SERVER_CPU" "$@" >"$logf" 2>&1 &
  SPID=$!
  wait_port open || { tail -5 "$logf" >&2; die "server did not listen: $*"; }
}
stop_srv() {
  [ -n "$SPID" ] || return 0
  kill "$SPID" 2>/dev/null
  local i; for i in $(seq 50); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
  wait_port closed || log "warning: port $PORT still listening"
}
wait_srv_exit() {  # servers run with --once end by themselves; bounded wait
  local i; for i in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  stop_srv
}
busy_pct() {  # whole-machine CPU busy % over 1 s (from /proc/stat)
  local a b
  a=$(awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6}' /proc/stat); sleep 1
  b=$(awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " "); t = y[1] - x[1];
    printf "%.0f", (t > 0 ? 100 * (1 - (y[2] - x[2]) / t) : 0)}'
}
wait_quiet() {  # LABEL: waits (bounded) for an idle machine; logs what it found
  local t0=$SECONDS b
  b=$(busy_pct)
  while [ "$b" -ge 10 ] && [ $((SECONDS - t0)) -lt "$QUIET_WAIT" ] && [ "$SECONDS" -lt $((BUDGET_MIN * 60)) ]; do
    sleep 4; b=$(busy_pct)
  done
  echo "$1: machine ${b}% busy before start (waited $((SECONDS - t0)) s)" >>"$WORK/machine.txt"
  [ "$b" -lt 10 ] || log "warning: machine still ${b}% busy (other work) before $1"
  printf 'busy\t%s\tbusy_pct\t%s\n' "$1" "$b" >>"$FIG"
}
cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
PENDING=
fig() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"${PENDING:-$FIG}"; }
# CPU used by other work while we measure: machine busy time minus our own
# (this shell, its children and every descendant it reaped), as % of one CPU.
jiff_machine() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
jiff_ours() { awk '{sub(/^.*\) /, ""); print $12 + $13 + $14 + $15}' "/proc/$$/stat"; }
# alternation LABEL FUNC ARGS...: runs one alternation (FUNC), repeated (at most
# RETRIES more times, after waiting for a quiet machine) while other work used
# more than OTHERS_MAX % of a CPU during it; figures of a rejected attempt are
# dropped, those of the last attempt are kept if none was clean.
OTHERS_MAX=${OTHERS_MAX:-15} RETRIES=${RETRIES:-$([ "$QUICK" = 1 ] && echo 0 || echo 3)}
REJECTED=0
alternation() {
  local label=$1 try m0 o0 t0 m1 o1 t1 others; shift
  for try in $(seq 0 "$RETRIES"); do
    wait_quiet "$label"
    PENDING=$WORK/pending.tsv; : >"$PENDING"
    m0=$(jiff_machine); o0=$(jiff_ours); t0=$(date +%s.%N)
    "$@"
    m1=$(jiff_machine); o1=$(jiff_ours); t1=$(date +%s.%N)
    others=$(awk -v a="$m0" -v b="$m1" -v c="$o0" -v d="$o1" -v x="$t0" -v y="$t1" -v h="$HZ" \
      'BEGIN {v = 100 * ((b - a) - (d - c)) / h / (y - x); printf "%.0f", (v < 0 ? 0 : v)}')
    echo "$label try $try: other work used ${others}% of a CPU" >>"$WORK/machine.txt"
    if [ "$others" -le "$OTHERS_MAX" ] || [ "$try" = "$RETRIES" ] || [ "$SECONDS" -ge $((BUDGET_MIN * 60)) ]; then
      [ "$others" -le "$OTHERS_MAX" ] || { log "  $label: other work still used ${others}% of a CPU; kept anyway"; fig others "$label" dirty 1; }
      cat "$PENDING" >>"$FIG"; PENDING=
      fig others "$label" others_pct "$others"
      return
    fi
    REJECTED=$((REJECTED + 1))
    log "  $label: other work used ${others}% of a CPU during the run: discarded, again"
    PENDING=
  done
}
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}'; }
median() { sort -g | awk '{a[NR] = $1} END {if (!NR) {print "nan"; exit}
  if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
med() { awk -F'\t' -v s="$1" -v w="$2" -v m="$3" '$1 == s && $2 == w && $3 == m {print $4}' "$FIG" | median; }
to_ms() { awk -v t="$1" 'BEGIN { v = t + 0; u = t; sub(/^[0-9.]+/, "", u);
  if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000; printf "%.3f", v }'; }

# ---- 1, 2: chann_web against the limit and the peers (web_bench.sh, pinned) --
peer_cmd() {  # NAME BODYFILE
  case $1 in
    limit) echo "$PEERS_DIR/epoll_web 127.0.0.1:{PORT} $2 et batch" ;;
    mio) echo "$PEERS_DIR/mio_web 127.0.0.1:{PORT} $2" ;;
    tokio) echo "$PEERS_DIR/tokio_web 127.0.0.1:{PORT} $2" ;;
    asio) echo "$PEERS_DIR/asio_web 127.0.0.1:{PORT} $2" ;;
    prev) echo "${PREV_WEB:?--peers prev needs PREV_WEB=<a chann_web built from an earlier revision>} 127.0.0.1:{PORT} $2" ;;
    luajit|lua54)
      local interp=luajit; [ "$1" = lua54 ] && interp=lua5.4
      echo "env 'LUA_PATH=$ROOT/lua/?.lua;;' 'LUA_CPATH=$LUA_MODULES/?.so;;' $interp $ROOT/examples/lua/chann_web.lua 127.0.0.1:{PORT} $2" ;;
    c) echo "$CB/c_chann_web 127.0.0.1:{PORT} $2" ;;
  esac
}
# pair_run SECTION PEER MNET_CMD PEER_CMD URL_PATH SCRIPT SCRIPT_ARGS RUN: one
# A B alternation of mnet's server and a peer under web_bench.sh (pinned).
pair_run() {
  local sec=$1 peer=$2 acmd=$3 bcmd=$4 upath=$5 script=$6 sargs=$7 r=$8 dir f who run p99 p99raw rps errs non2xx usreq
  dir=$WORK/$sec-$peer/r$r.$(date +%s)
  SCRIPT=$script SCRIPT_ARGS=$sargs SERVER_CPU=$SERVER_CPU WRK_CPU=$CLIENT_CPU "$SHARED_BENCH/web_bench.sh" \
    -m pinned -n 1 -d "$DUR" -p "$PORT" -u "$upath" -o "$dir" -X mnet -A "$acmd" -Y "$peer" -B "$bcmd" \
    >"$dir.log" 2>&1 || { cat "$dir.log" >&2; die "web_bench.sh failed"; }
  grep -E 'body bytes per response' "$dir.log" >&2 || true
  grep -E 'pinned +run' "$dir.log" | sed "s/run 1\/1/run $r\/$RUNS/" >&2
  # Our own figures from the raw outputs. web_bench.sh's p99 column is wrk's
  # "99%" line; at high rates wrk itself prints "0.00us" there (its
  # coordinated-omission correction adds samples below the histogram's
  # recorded minimum, which its percentile scan never visits), which
  # web_bench.sh turns into 0.000 ms and a p99 ratio of 0. Such a p99 is
  # recorded as missing here, and wrk's max latency is kept beside it.
  while IFS=$'\t' read -r who _ rps _ p99 errs non2xx run _ usreq; do
    f=$dir/$who.pinned.$run.wrk
    p99raw=$(awk '$1 == "99%" {print $2}' "$f")
    for k in "$sec" "$sec-$peer"; do
      fig "$k" "$who" rps "$rps"
      fig "$k" "$who" cpu_us_req "$usreq"
      fig "$k" "$who" errors "$((errs + non2xx))"
      fig "$k" "$who" max_ms "$(to_ms "$(awk '$1 == "Latency" {print $4; exit}' "$f")")"
      if [ -n "$p99raw" ] && [ "$(to_ms "$p99raw")" != 0.000 ]; then
        fig "$k" "$who" p99_ms "$(to_ms "$p99raw")"
      else
        fig "$k" "$who" p99_missing 1
      fi
    done
  done <"$dir/results.tsv"
}
web_section() {  # SECTION BODYFILE [WRK_SCRIPT SCRIPT_ARGS]
  local sec=$1 body=$2 script=${3:-} sargs=${4:-} peer r
  for peer in $WEB_PEERS; do
    mkdir -p "$WORK/$sec-$peer"
    log "== $sec: mnet (chann_web) vs $peer, $RUNS alternations of $DUR each (web_bench.sh -m pinned -n 1)"
    for r in $(seq "$RUNS"); do
      alternation "$sec-$peer" pair_run "$sec" "$peer" "$CB/chann_web 127.0.0.1:{PORT} $body" \
        "$(peer_cmd "$peer" "$body")" / "$script" "$sargs" "$r"
    done
  done
}
if want web; then web_section web "$BODY"; fi
if want pipe; then web_section pipe "$HELLO" "$SHARED_BENCH/pipeline.lua" 8; fi

# ---- 2b: http: examples/http_server against real HTTP servers ------------------
# TechEmpower's plaintext (GET /plaintext, pipelined 16 deep) and json (GET
# /json, one request at a time) tests; every server answers both routes with
# Server, Date, Content-Type and Content-Length, on keep-alive connections.
# shellcheck source=peers/http_servers.sh
. "$HERE/peers/http_servers.sh"
if want http; then
  for peer in $HTTP_PEERS; do
    [ "$peer" != mnet ] && [ -n "$(http_server_cmd "$peer")" ] || die "unknown HTTP peer $peer (limit, nginx, h2o, hyper, beast, httplib)"
  done
  for load in plaintext json; do
    for peer in $HTTP_PEERS; do
      if http_skips "$load" "$peer"; then
        log "== $load: $peer left out (it answers only the first of pipelined requests: see bench/README.md)"
        continue
      fi
      mkdir -p "$WORK/$load-$peer"
      log "== $load: mnet (examples/http_server) vs $peer, $RUNS alternations of $DUR each"
      for r in $(seq "$RUNS"); do
        if [ $load = plaintext ]; then
          alternation "$load-$peer" pair_run "$load" "$peer" "$(http_server_cmd mnet)" \
            "$(http_server_cmd "$peer")" /plaintext "$SHARED_BENCH/pipeline.lua" 16 "$r"
        else
          alternation "$load-$peer" pair_run "$load" "$peer" "$(http_server_cmd mnet)" \
            "$(http_server_cmd "$peer")" /json "" "" "$r"
        fi
      done
    done
  done
fi

# ---- 2c: ws: examples/ws_echo_server against WebSocket echo servers -----------
# Echo of text messages (64 B and 16 KiB, each without and with
# permessage-deflate) over WS_CONNS (100) connections, one message in flight
# on each, every echo checked byte for byte by ws_load (bench/rust, on
# CLIENT_CPU). Server CPU per message: utime + stime of the whole server
# process (every thread) from /proc/PID/stat over the load run, divided by
# the messages echoed.
# shellcheck source=peers/ws_servers.sh
. "$HERE/peers/ws_servers.sh"
WS_CONNS=${WS_CONNS:-100}
WS_SECS=${DUR%s}
ws_size() { case $1 in 64*) echo 64 ;; 16k*) echo 16384 ;; esac; }
ws_deflate() { case $1 in *-deflate) echo 1 ;; *) echo 0 ;; esac; }
ws_one() {  # SECTION PAIR WHO LOAD RUN
  local sec=$1 pair=$2 who=$3 load=$4 r=$5 logf cmd t0 t1 rc c n us k z zflag=()
  z=$(ws_deflate "$load")
  [ "$z" = 1 ] && zflag=(--deflate)
  logf=$WORK/$pair.$who.$r
  read -ra cmd <<<"$(ws_server_cmd "$who" "$z")"
  start_srv "$logf.server" "${cmd[@]}"
  t0=$(cpu_ticks "$SPID")
  timeout $((WS_SECS + 30)) taskset -c "$CLIENT_CPU" "$RB/ws_load" "127.0.0.1:$PORT" --conns "$WS_CONNS" \
    --size "$(ws_size "$load")" --secs "$WS_SECS" "${zflag[@]}" >"$logf.client" 2>&1
  rc=$?
  t1=$(cpu_ticks "$SPID")
  stop_srv
  c=$(grep '^client' "$logf.client"); n=$(field messages <<<"$c")
  if [ $rc -ne 0 ] || [ -z "$n" ] || [ "$n" = 0 ]; then
    log "  $who run $r FAILED (ws_load exit $rc): $(tail -1 "$logf.client")"
    fig "$pair" "$who" failed 1
    return
  fi
  us=$(awk -v a="$t0" -v b="$t1" -v h="$HZ" -v n="$n" 'BEGIN {printf "%.3f", 1e6 * (b - a) / h / n}')
  for k in "$sec" "$pair"; do
    fig "$k" "$who" cpu_us_msg "$us"
    fig "$k" "$who" msgs_s "$(field per_s <<<"$c")"
    fig "$k" "$who" wire_in_b_msg "$(field wire_in_b_msg <<<"$c")"
    fig "$k" "$who" client_cpu_pct "$(awk -v c="$(field cpu_s <<<"$c")" -v s="$(field seconds <<<"$c")" 'BEGIN {printf "%.0f", 100 * c / s}')"
  done
  log "  $who run $r/$RUNS: $(field per_s <<<"$c") msgs/s, server $us us CPU/msg, $(field wire_in_b_msg <<<"$c") B/echo on the wire, client CPU $(field cpu_s <<<"$c") s"
}
ws_pair() {  # LOAD PEER RUN: mnet, then the peer, each a fresh process
  ws_one "ws-$1" "ws-$1-$2" mnet "$1" "$3"
  ws_one "ws-$1" "ws-$1-$2" "$2" "$1" "$3"
}
if want ws; then
  for load in $WS_LOADS; do
    case $load in 64|64-deflate|16k|16k-deflate) ;; *) die "unknown ws load $load (64, 64-deflate, 16k, 16k-deflate)" ;; esac
  done
  for peer in $WS_PEERS; do
    case " $WS_SERVERS " in *" $peer "*) [ "$peer" != mnet ] ;; *) false ;; esac ||
      die "unknown WebSocket peer $peer (lws, beast, tungstenite)"
  done
  for load in $WS_LOADS; do
    for peer in $WS_PEERS; do
      if ws_skips "$(ws_deflate "$load")" "$peer"; then
        log "== ws-$load: $peer left out (no permessage-deflate: see bench/README.md)"
        continue
      fi
      mkdir -p "$WORK/ws-$load-$peer"
      log "== ws-$load: mnet (examples/ws_echo_server) vs $peer, $RUNS alternations of ${WS_SECS}s each, $WS_CONNS connections"
      for r in $(seq "$RUNS"); do
        alternation "ws-$load-$peer" ws_pair "$load" "$peer" "$r"
      done
    done
  done
fi

# ---- 3: rwdata, 1 GiB echo: mnet's C++ echo server vs a blocking-socket pair --
rw_one() {  # SECTION WHO CLIENT_EXTRA -- SERVER CMD...
  local sec=$1 who=$2 extra=$3 i=$4; shift 5
  local logf=$WORK/$sec.$who.$i
  start_srv "$logf.server" "$@"
  timeout 600 taskset -c "$CLIENT_CPU" "$RB/rw_client" "127.0.0.1:$PORT" "$RW_BYTES" $extra >"$logf.client" 2>&1
  local rc=$?
  wait_srv_exit
  local c s; c=$(grep '^client' "$logf.client"); s=$(grep '^server' "$logf.server")
  if [ $rc -ne 0 ] || [ -z "$s" ]; then
    log "  $who run $i FAILED: $c $(tail -2 "$logf.server")"; fig "$sec" "$who" failed 1; return
  fi
  fig "$sec" "$who" mb_s "$(field mb_s <<<"$c")"
  fig "$sec" "$who" server_rss_kb "$(field peak_rss_kb <<<"$s")"
  fig "$sec" "$who" client_rss_kb "$(field peak_rss_kb <<<"$c")"
  fig "$sec" "$who" server_cpu_s "$(field cpu_s <<<"$s")"
  log "  $who run $i: $(field mb_s <<<"$c") MB/s  server peak RSS $(field peak_rss_kb <<<"$s") KB, cpu $(field cpu_s <<<"$s") s  client peak RSS $(field peak_rss_kb <<<"$c") KB  ($(awk '{print $NF}' <<<"$c"))"
}
if want rwdata; then
  log "== rwdata: $RW_BYTES echo, byte-checked, mnet C++ rw_echo vs blocking pair, $RW_RUNS alternations"
  rw_pair() {
    rw_one rwdata mnet "" "$1" -- "$CB/rw_echo" "127.0.0.1:$PORT" --once
    rw_one rwdata blocking "" "$1" -- "$RB/block_echo" "127.0.0.1:$PORT"
  }
  for i in $(seq "$RW_RUNS"); do alternation rwdata rw_pair "$i"; done
fi

# ---- 4: connections -----------------------------------------------------------
if want conns; then
  need=$((CONNS + 200))
  [ "$(ulimit -n)" -ge "$need" ] 2>/dev/null || ulimit -n "$need" 2>/dev/null ||
    log "warning: ulimit -n is $(ulimit -n), below $need: some connections will fail"
  idle_one() {  # WHO CMD...
    local who=$1; shift
    local logf=$WORK/idle.$who
    start_srv "$logf.server" "$@"
    sleep 0.6   # idle_heap prints its baseline at its first 500 ms tick
    timeout 200 taskset -c "$CLIENT_CPU" python3 "$SHARED_BENCH/idle_conns.py" "127.0.0.1:$PORT" --pid "$SPID" -n "$CONNS" \
      >"$logf.client" 2>&1
    sleep 0.6
    stop_srv
    local per held
    per=$(sed -n 's/^rss per idle connection: .* KB (\(-\{0,1\}[0-9]*\) bytes).*/\1/p' "$logf.client")
    held=$(sed -n 's/^connections: \([0-9]*\) held.*/\1/p' "$logf.client")
    log "  $who: $(head -2 "$logf.client" | tr '\n' ' ')-> ${per:-?} B RSS per idle connection"
    fig idle "$who" rss_b_conn "${per:-nan}"
    fig idle "$who" held "${held:-0}"
    if [ "$who" = mnet_rust ]; then
      # Heap of the Rust core: (live bytes with all connections held - before) / connections.
      awk '$1 == "heap" {k++; b[k] = $3; c[k] = $7} END {
             base = 1; top = 1; for (i = 1; i <= k; i++) if (c[i] > c[top]) top = i
             if (c[top] > c[base]) printf "%.1f %d\n", (b[top] - b[base]) / (c[top] - c[base]), c[top] - c[base]; else print "nan 0" }' \
        "$logf.server" >"$logf.heap"
      read -r hb hn <"$logf.heap"
      log "  mnet_rust: Rust core heap per idle connection: $hb bytes (over $hn connections)"
      fig idle mnet_rust heap_b_conn "$hb"
    fi
  }
  wait_quiet idle
  log "== idle connections: $CONNS held open by idle_conns.py (RSS per connection)"
  idle_one mnet "$CB/chann_web" "127.0.0.1:$PORT" "$BODY"
  idle_one mnet_rust "$RB/idle_heap" "127.0.0.1:$PORT" "$BODY"
  idle_one limit "$PEERS_DIR/epoll_web" "127.0.0.1:$PORT" "$BODY" et batch
  idle_one mio "$PEERS_DIR/mio_web" "127.0.0.1:$PORT" "$BODY"

  log "== connection cycles (connect, 1 request, close; 16 in flight) for ${CYCLE_SECS}s, $RUNS alternations"
  cycle_one() {  # WHO RUN CMD...
    local who=$1 i=$2; shift 2
    local logf=$WORK/cycle.$who.$i t0 t1 c n
    start_srv "$logf.server" "$@"
    t0=$(cpu_ticks "$SPID")
    timeout 60 taskset -c "$CLIENT_CPU" "$RB/conn_cycle" "127.0.0.1:$PORT" --secs "$CYCLE_SECS" >"$logf.client" 2>&1
    t1=$(cpu_ticks "$SPID")
    stop_srv
    c=$(grep '^client' "$logf.client"); n=$(field cycles <<<"$c")
    fig cycles "$who" per_s "$(field per_s <<<"$c")"
    fig cycles "$who" failed "$(field failed <<<"$c")"
    fig cycles "$who" cpu_us_cycle "$(awk -v a="$t0" -v b="$t1" -v h="$HZ" -v n="$n" 'BEGIN {printf "%.2f", (n > 0 ? 1e6 * (b - a) / h / n : 0)}')"
    log "  $who run $i: $(field per_s <<<"$c") cycles/s, $(field failed <<<"$c") failed, server $(awk -v a="$t0" -v b="$t1" -v h="$HZ" -v n="$n" 'BEGIN {printf "%.2f", (n > 0 ? 1e6 * (b - a) / h / n : 0)}') us CPU/cycle"
  }
  cycle_round() {
    cycle_one mnet "$1" "$CB/chann_web" "127.0.0.1:$PORT" "$BODY"
    cycle_one limit "$1" "$PEERS_DIR/epoll_web" "127.0.0.1:$PORT" "$BODY" et batch
    cycle_one mio "$1" "$PEERS_DIR/mio_web" "127.0.0.1:$PORT" "$BODY"
  }
  for i in $(seq "$RUNS"); do alternation cycles cycle_round "$i"; done
fi

# ---- 5: TLS: mnet "tls" channels vs rustls + mio ---------------------------------
if want tls; then
  log "== TLS throughput: $RW_BYTES echo, byte-checked, mnet C++ rw_echo --tls vs rustls+mio tls_peer, $RW_RUNS alternations"
  tls_pair() {
    rw_one tls mnet "--tls $CA" "$1" -- "$CB/rw_echo" "127.0.0.1:$PORT" --once --tls "$CERT" "$KEY"
    rw_one tls rustls_mio "--tls $CA" "$1" -- "$RB/tls_peer" "127.0.0.1:$PORT" "$CERT" "$KEY" --once
  }
  for i in $(seq "$RW_RUNS"); do alternation tls tls_pair "$i"; done
  log "== TLS handshakes (full, no resumption; 16 in flight) for ${HS_SECS}s, $RUNS alternations"
  hs_one() {  # WHO RUN CMD...
    local who=$1 i=$2; shift 2
    local logf=$WORK/hs.$who.$i t0 t1 c n
    start_srv "$logf.server" "$@"
    t0=$(cpu_ticks "$SPID")
    timeout 60 taskset -c "$CLIENT_CPU" "$RB/tls_hs" "127.0.0.1:$PORT" "$CA" --secs "$HS_SECS" >"$logf.client" 2>&1
    t1=$(cpu_ticks "$SPID")
    stop_srv
    c=$(grep '^client' "$logf.client"); n=$(field handshakes <<<"$c")
    fig tls_hs "$who" per_s "$(field per_s <<<"$c")"
    fig tls_hs "$who" failed "$(field failed <<<"$c")"
    fig tls_hs "$who" cpu_us_hs "$(awk -v a="$t0" -v b="$t1" -v h="$HZ" -v n="$n" 'BEGIN {printf "%.1f", (n > 0 ? 1e6 * (b - a) / h / n : 0)}')"
    log "  $who run $i: $(field per_s <<<"$c") handshakes/s, $(field failed <<<"$c") failed, server $(awk -v a="$t0" -v b="$t1" -v h="$HZ" -v n="$n" 'BEGIN {printf "%.1f", (n > 0 ? 1e6 * (b - a) / h / n : 0)}') us CPU/handshake"
  }
  hs_pair() {
    hs_one mnet "$1" "$CB/rw_echo" "127.0.0.1:$PORT" --tls "$CERT" "$KEY"
    hs_one rustls_mio "$1" "$RB/tls_peer" "127.0.0.1:$PORT" "$CERT" "$KEY"
  }
  for i in $(seq "$RUNS"); do alternation tls_hs hs_pair "$i"; done
fi
LOAD1=$(cut -d' ' -f1 /proc/loadavg)

# ---- summary: table, ratios, CSV, markdown, plot ----------------------------------
CSV=$RES/results.csv
[ -s "$CSV" ] || echo "date,rev,mode,load_before,load_after,section,server,metric,median,runs,ratio_to,ratio" >"$CSV"
MODE=$([ "$QUICK" = 1 ] && echo quick || echo full)
MD=$WORK/summary.md
{
  echo "Run $STAMP, rev $REV, $MODE mode, load average $LOAD0 before / $LOAD1 after; medians of alternated runs."
  echo
  echo "| section | server | metric | median | vs | ratio | target |"
  echo "|---|---|---|---|---|---|---|"
} >"$MD"
row() {  # SECTION SERVER METRIC [REF_SECTION REF_SERVER TARGET]
  local v r=  n
  v=$(med "$1" "$2" "$3")
  n=$(awk -F'\t' -v s="$1" -v w="$2" -v m="$3" '$1 == s && $2 == w && $3 == m' "$FIG" | wc -l)
  [ "$n" -gt 0 ] || return 0
  if [ -n "${5:-}" ]; then
    local ref; ref=$(med "$4" "$5" "$3")
    r=$(awk -v a="$v" -v b="$ref" 'BEGIN {if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.3f", a / b}')
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$v" "${5:+$5}" "${r:-}" "${6:-}" >>"$MD"
  echo "$STAMP,$REV,$MODE,$LOAD0,$LOAD1,$1,$2,$3,$v,$n,${5:-},${r:-}" >>"$CSV"
}
for sec in web pipe plaintext json; do
  case $sec in plaintext|json) want http || continue; peers=$HTTP_PEERS ;;
               *) want "$sec" || continue; peers=$WEB_PEERS ;; esac
  for peer in $peers; do
    case $sec-$peer in
      web-limit) tc="≤ 1.02"; tr="≥ 0.98"; tp="≤ 1.1" ;;
      pipe-limit) tc="≤ 1.5"; tr="≥ 0.8"; tp="" ;;
      *-luajit|*-lua54|*-c)
        # Another face's chann_web against the C++ one: its CPU per request
        # as a multiple of chann_web's (targets: LuaJIT ≤ 1.10, Lua 5.4 ≤ 1.5,
        # C ≤ 1.02).
        tc=""
        if [ "$sec" = web ]; then
          case $peer in luajit) tc="≤ 1.10" ;; lua54) tc="≤ 1.5" ;; c) tc="≤ 1.02" ;; esac
        fi
        row "$sec-$peer" "$peer" cpu_us_req "$sec-$peer" mnet "$tc"
        row "$sec-$peer" mnet cpu_us_req
        row "$sec-$peer" "$peer" rps "$sec-$peer" mnet
        row "$sec-$peer" mnet rps
        row "$sec-$peer" "$peer" p99_ms "$sec-$peer" mnet
        row "$sec-$peer" mnet p99_ms
        continue ;;
      web-*) tc="< 1"; tr=""; tp="" ;;
      plaintext-limit) tc="< 1"; tr="≥ 0.8"; tp="" ;;
      plaintext-*|json-*) tc="< 1"; tr=""; tp="" ;;
      *) tc="≈ 1/3"; tr=""; tp="" ;;
    esac
    row "$sec-$peer" mnet cpu_us_req "$sec-$peer" "$peer" "$tc"
    row "$sec-$peer" "$peer" cpu_us_req
    row "$sec-$peer" mnet rps "$sec-$peer" "$peer" "$tr"
    row "$sec-$peer" "$peer" rps
    row "$sec-$peer" mnet p99_ms "$sec-$peer" "$peer" "$tp"
    row "$sec-$peer" "$peer" p99_ms
  done
done
WS_VERDICTS=
if want ws; then
  for load in $WS_LOADS; do
    for peer in $WS_PEERS; do
      ws_skips "$(ws_deflate "$load")" "$peer" && continue
      pair=ws-$load-$peer
      row "$pair" mnet cpu_us_msg "$pair" "$peer" "< 1"
      row "$pair" "$peer" cpu_us_msg
      row "$pair" mnet msgs_s "$pair" "$peer"
      row "$pair" "$peer" msgs_s
      row "$pair" mnet wire_in_b_msg "$pair" "$peer"
      row "$pair" "$peer" wire_in_b_msg
      row "$pair" mnet client_cpu_pct
      row "$pair" "$peer" client_cpu_pct
      r=$(awk -v a="$(med "$pair" mnet cpu_us_msg)" -v b="$(med "$pair" "$peer" cpu_us_msg)" \
        'BEGIN {if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%.3f", a / b}')
      v=$(awk -v r="$r" 'BEGIN {print (r == "nan" ? "not measured" : (r < 1 ? "met" : "missed"))}')
      WS_VERDICTS+="| ws-$load | $peer | $(med "$pair" mnet cpu_us_msg) · $(med "$pair" "$peer" cpu_us_msg) | $r | $v |"$'\n'
    done
  done
fi
if want rwdata; then
  row rwdata mnet mb_s rwdata blocking "≥ 0.9"; row rwdata blocking mb_s
  row rwdata mnet server_rss_kb "" "" "≤ 32768"; row rwdata blocking server_rss_kb
  row rwdata mnet client_rss_kb; row rwdata blocking client_rss_kb
  row rwdata mnet server_cpu_s rwdata blocking; row rwdata blocking server_cpu_s
fi
if want conns; then
  row idle mnet rss_b_conn idle limit "≤ 1024 B"; row idle mnet held
  row idle mnet_rust heap_b_conn "" "" "≤ 256 B"; row idle mnet_rust rss_b_conn
  row idle limit rss_b_conn; row idle mio rss_b_conn
  row cycles mnet cpu_us_cycle cycles limit; row cycles limit cpu_us_cycle; row cycles mio cpu_us_cycle
  row cycles mnet per_s cycles limit; row cycles limit per_s; row cycles mio per_s
  row cycles mnet cpu_us_cycle cycles mio
fi
if want tls; then
  row tls mnet mb_s tls rustls_mio; row tls rustls_mio mb_s
  row tls mnet server_rss_kb tls rustls_mio; row tls rustls_mio server_rss_kb
  row tls mnet server_cpu_s tls rustls_mio; row tls rustls_mio server_cpu_s
  row tls_hs mnet per_s tls_hs rustls_mio; row tls_hs rustls_mio per_s
  row tls_hs mnet cpu_us_hs tls_hs rustls_mio; row tls_hs rustls_mio cpu_us_hs
fi
if [ -n "$WS_VERDICTS" ]; then
  { echo; echo "WebSocket target (issue 15): mnet's server CPU per message below every peer's, with and without deflate."
    echo; echo "| load | peer | CPU µs/msg, mnet · peer | ratio | target < 1 |"; echo "|---|---|---|---|---|"
    printf '%s' "$WS_VERDICTS"; } >>"$MD"
fi
if grep -q $'^ws-[^\t]*\t[^\t]*\tfailed\t' "$FIG"; then
  { echo; echo "Some WebSocket runs FAILED (ws_load's sentence is in the log): $(awk -F'\t' '$1 ~ /^ws-.*-/ && $3 == "failed" {printf "%s/%s ", $1, $2}' "$FIG")"; } >>"$MD"
fi
if grep -q $'\tp99_missing\t' "$FIG"; then
  { echo; echo "Note: in $(grep -c $'\tp99_missing\t' "$FIG") wrk runs (listed per pair in the figures) wrk printed '99% 0.00us'" \
      "(a wrk bug at high rates, see bench/README.md): p99 medians above leave those runs out."; } >>"$MD"
fi
{ echo; echo "Alternations discarded because other work used more than ${OTHERS_MAX}% of a CPU during them: $REJECTED;" \
    "kept although still busy: $(grep -c $'^others\t.*\tdirty\t' "$FIG")."; } >>"$MD"
{ echo; echo "Other work during the kept alternations, % of a CPU:" \
    "$(awk -F'\t' '$1 == "others" && $3 == "others_pct" {v[$2] = v[$2] " " $4} END {for (k in v) printf "%s:%s; ", k, v[k]}' "$FIG")"; } >>"$MD"
grep -q FAILED "$WORK"/*.client 2>/dev/null && { echo; echo "Some runs FAILED: see $WORK."; } >>"$MD"
LATEST=latest; [ "$ONLY_GIVEN" = 1 ] && LATEST=latest-${ONLY//,/-}
[ "$WS_LOADS_GIVEN" = 1 ] && want ws && LATEST=$LATEST-$(tr ' ' '-' <<<"$WS_LOADS")
cp "$MD" "$RES/$LATEST.md"
cp "$FIG" "$RES/$LATEST-figures.tsv"
echo
cat "$MD"
echo
echo "raw outputs: $WORK; CSV: $CSV"

if [ "$PLOT" = 1 ] && { want web || want pipe || want http || want ws; }; then
  PY=python3
  if ! $PY -c 'import matplotlib' 2>/dev/null; then
    if ! PYTHONPATH=$OUT/pylib $PY -c 'import matplotlib' 2>/dev/null; then
      log "== installing matplotlib into bench/out/pylib (pip)"
      $PY -m pip install -q --target "$OUT/pylib" matplotlib >"$WORK/pip.log" 2>&1 || log "pip install matplotlib failed: no plot"
    fi
  fi
  for set in web http ws; do
    case $set in web) want web || want pipe || continue ;; http) want http || continue ;; ws) want ws || continue ;; esac
    png=$RES/$set.png
    [ "$set" = ws ] && [ "$WS_LOADS_GIVEN" = 1 ] && png=$RES/ws-$(tr ' ' '-' <<<"$WS_LOADS").png
    PYTHONPATH=$OUT/pylib${PYTHONPATH:+:$PYTHONPATH} $PY "$HERE/plot.py" "$FIG" "$png" "$STAMP $REV $MODE" "$set" &&
      echo "plot: $png"
  done
fi
exit 0
