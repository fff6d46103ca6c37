#!/usr/bin/env bash
# bench/scale.sh - how many concurrent connections one machine holds, and
# what each costs (issue 16; minutes, not part of CI).
#
#   bench/scale.sh [CONNECTIONS] [IDLE_SECONDS]      (default 20000, 20 s)
#
# Server: bench/rust/src/bin/scale_server.rs, mnet prefork workers on one
# SO_REUSEPORT port (127.0.0.1:$PORT); each answers every request head with
# a fixed 2-byte response and arms an idle timeout ($IDLE_TIMEOUT_MS, 10 min
# by default) on every connection. Clients: bench/rust/src/bin/scale_client.rs,
# each from its own loopback source addresses (127.1.0.1, 127.1.0.2, ...;
# at most half the ephemeral port range each, see scale_client.rs), so the
# 4-tuple space is not the limit. Every connection sends one request,
# reads the answer and stays idle; after IDLE_SECONDS of measuring the idle
# server, every connection sends a second request and must be answered.
#
# Each process may hold at most the hard `ulimit -n` descriptors (the soft
# limit is raised to it here), so the counts of workers and clients follow
# from CONNECTIONS; nothing needs root. Every phase is bounded ($TIMEOUT_S,
# 300 s), and every process started here is stopped by its PID.
#
# Prints (and writes to bench/out/scale/report.txt): connections held, the
# time to open them, server RSS and heap per connection, kernel memory per
# connection (/proc/meminfo, /proc/net/sockstat, /proc/slabinfo before and
# after), server CPU while idle, errors, second requests answered, and the
# load average before and after. Exits non-zero unless every connection was
# held and answered twice with no error.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/out/scale
TOTAL=${1:-20000}
IDLE_S=${2:-20}
PORT=${PORT:-18160}
IDLE_TIMEOUT_MS=${IDLE_TIMEOUT_MS:-600000}
TIMEOUT_S=${TIMEOUT_S:-300}
TARGET=${CARGO_TARGET_DIR:-$HERE/out/cargo}

CARGO_TARGET_DIR=$TARGET cargo build --release --locked --quiet \
  --manifest-path "$HERE/rust/Cargo.toml" --bin scale_server --bin scale_client
BIN=$TARGET/release
rm -rf "$OUT"
mkdir -p "$OUT"
REPORT=$OUT/report.txt
say() { echo "$*" | tee -a "$REPORT"; }

# --- the machine's limits, and the process counts that follow from them ---
HARD=$(ulimit -Hn)
ulimit -n "$HARD"
read -r PORT_LO PORT_HI </proc/sys/net/ipv4/ip_local_port_range
FILE_MAX=$(cat /proc/sys/fs/file-max)
say "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
say "limits: ulimit -n hard $HARD (soft raised to it), fs.nr_open $(cat /proc/sys/fs/nr_open), fs.file-max $FILE_MAX," \
  "ip_local_port_range $PORT_LO-$PORT_HI, somaxconn $(cat /proc/sys/net/core/somaxconn)," \
  "tcp_max_syn_backlog $(cat /proc/sys/net/ipv4/tcp_max_syn_backlog), tcp_mem $(tr '\t' ' ' </proc/sys/net/ipv4/tcp_mem) pages"
# A worker gets about TOTAL/WORKERS connections, but SO_REUSEPORT spreads
# them by a hash of the 4-tuple: leave a tenth of its descriptors spare.
PER_WORKER=$((HARD * 9 / 10))
PER_CLIENT=$((HARD - 100))
# connect() takes even ephemeral ports first: a source address serves
# at most 90 % of them before each connect slows to a scan of the range.
PER_SOURCE=$(((PORT_HI - PORT_LO + 1) / 2 * 9 / 10))
SOURCES_PER_CLIENT=$(((PER_CLIENT + PER_SOURCE - 1) / PER_SOURCE))
WORKERS=$(((TOTAL + PER_WORKER - 1) / PER_WORKER))
CLIENTS=$(((TOTAL + PER_CLIENT - 1) / PER_CLIENT))
if ((2 * TOTAL + 10000 > FILE_MAX || CLIENTS * SOURCES_PER_CLIENT > 250 * 250)); then
  echo "scale.sh: $TOTAL connections need more than fs.file-max ($FILE_MAX) allows" >&2
  exit 1
fi
say "run: $TOTAL connections, $WORKERS server workers, $CLIENTS client processes ($SOURCES_PER_CLIENT source addresses each), idle timeout $IDLE_TIMEOUT_MS ms"

PIDS=()
SERVER=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  for p in "${PIDS[@]}" $SERVER; do wait "$p" 2>/dev/null || true; done
  # The parent ends its workers; should it have died first, end them here.
  if [ -f "$OUT/server.pids" ]; then
    for p in $(tail -n +2 "$OUT/server.pids"); do kill -KILL "$p" 2>/dev/null || true; done
  fi
}
trap cleanup EXIT

snap() { # name: the kernel's view of memory and sockets now
  cat /proc/meminfo >"$OUT/$1.meminfo"
  cat /proc/net/sockstat >"$OUT/$1.sockstat"
  cat /proc/slabinfo >"$OUT/$1.slabinfo" 2>/dev/null || : >"$OUT/$1.slabinfo"
}
meminfo() { awk -v k="$2:" '$1 == k {print $2}' "$OUT/$1.meminfo"; } # kB
tcp_pages() { awk '$1 == "TCP:" {for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1)}' "$OUT/$1.sockstat"; }
worker_pids() { tail -n +2 "$OUT/server.pids"; }
sum_rss_kb() { for p in "$@"; do awk '/^VmRSS:/ {print $2}' "/proc/$p/status"; done | awk '{s += $1} END {print s + 0}'; }
sum_cpu_ticks() { for p in $(worker_pids); do awk '{print $14 + $15}' "/proc/$p/stat"; done | awk '{s += $1} END {print s}'; }
worker_sum() { cat "$OUT"/status.worker.* | awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) s += $(i + 1)} END {print s + 0}'; }
now() { date +%s.%N; }

say "load before: $(uptime)"
snap before

# --- the server ---
"$BIN/scale_server" "127.0.0.1:$PORT" "$WORKERS" "$IDLE_TIMEOUT_MS" "$OUT" 2>"$OUT/log.server" &
SERVER=$!
for _ in $(seq 100); do
  n=$(find "$OUT" -name 'status.worker.*' | wc -l)
  [ "$n" -eq "$WORKERS" ] && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/log.server" >&2; exit 1; }
  sleep 0.2
done
[ "$n" -eq "$WORKERS" ] || { echo "scale.sh: the workers did not start" >&2; exit 1; }
RSS0=$(sum_rss_kb $(worker_pids))
HEAP0=$(worker_sum heap_bytes)

# --- phase 1: open every connection, one request each ---
T0=$(now)
for ((i = 0; i < CLIENTS; i++)); do
  n=$((TOTAL / CLIENTS + (i < TOTAL % CLIENTS ? 1 : 0)))
  src=
  for ((k = i * SOURCES_PER_CLIENT; k < (i + 1) * SOURCES_PER_CLIENT; k++)); do
    src="$src${src:+,}127.1.$((k / 250)).$((k % 250 + 1))"
  done
  "$BIN/scale_client" "127.0.0.1:$PORT" "$src" "$n" "$OUT/status.client.$i" "$TIMEOUT_S" 2>"$OUT/log.client.$i" &
  PIDS+=($!)
done
for _ in $(seq $((TIMEOUT_S * 5 + 100))); do
  ready=$(cat "$OUT"/status.client.* 2>/dev/null | grep -c '^ready' || true)
  [ "$ready" -eq "$CLIENTS" ] && break
  sleep 0.2
done
T1=$(now)
[ "$ready" -eq "$CLIENTS" ] || { echo "scale.sh: only $ready of $CLIENTS clients got ready" >&2; exit 1; }
OPENED=$(cat "$OUT"/status.client.* | awk '$1 == "ready" {s += $5} END {print s}')
ERR1=$(cat "$OUT"/status.client.* | awk '$1 == "ready" {s += $7} END {print s}')
sleep 2 # the workers' status files are rewritten once a second
HELD=$(worker_sum conns)
snap after
RSS1=$(sum_rss_kb $(worker_pids))
CLIENT_RSS=$(sum_rss_kb "${PIDS[@]}")
HEAP1=$(worker_sum heap_bytes)

# --- the idle server ---
C0=$(sum_cpu_ticks)
I0=$(now)
sleep "$IDLE_S"
C1=$(sum_cpu_ticks)
I1=$(now)

# --- phase 2: a second request on every connection ---
for p in "${PIDS[@]}"; do kill -USR1 "$p"; done
FAILED=0
for p in "${PIDS[@]}"; do wait "$p" || FAILED=$((FAILED + 1)); done
PIDS=()
ANSWERED=$(cat "$OUT"/status.client.* | awk '$1 == "done" {s += $3} END {print s + 0}')
ERRORS=$(cat "$OUT"/status.client.* | awk '$1 == "done" {s += $5} END {print s + 0}')
sleep 2
SERVER_ERRORS=$(($(worker_sum errors) + $(worker_sum timeouts)))
say "load after: $(uptime)"

# --- the figures ---
TICK=$(getconf CLK_TCK)
awk -v total="$TOTAL" -v opened="$OPENED" -v held="$HELD" -v t0="$T0" -v t1="$T1" \
  -v rss0="$RSS0" -v rss1="$RSS1" -v heap0="$HEAP0" -v heap1="$HEAP1" -v crss="$CLIENT_RSS" -v clients="$CLIENTS" \
  -v slab0="$(meminfo before Slab)" -v slab1="$(meminfo after Slab)" \
  -v pt0="$(meminfo before PageTables)" -v pt1="$(meminfo after PageTables)" \
  -v avail0="$(meminfo before MemAvailable)" -v avail1="$(meminfo after MemAvailable)" \
  -v tcp0="$(tcp_pages before)" -v tcp1="$(tcp_pages after)" \
  -v c0="$C0" -v c1="$C1" -v i0="$I0" -v i1="$I1" -v tick="$TICK" -v workers="$WORKERS" \
  -v err1="$ERR1" -v errors="$ERRORS" -v serr="$SERVER_ERRORS" -v answered="$ANSWERED" 'BEGIN {
  n = held > 0 ? held : 1
  printf "connections: %d opened by the clients, %d held by the server (target %d)\n", opened, held, total
  printf "open: %.1f s for all of them, %.0f connections/s (connect, request, answer)\n", t1 - t0, opened / (t1 - t0)
  printf "server user space: RSS +%.1f MiB over %d workers = %.0f B per connection; heap +%.0f B per connection\n", (rss1 - rss0) / 1024, workers, (rss1 - rss0) * 1024 / n, (heap1 - heap0) / n
  printf "client user space: RSS %.1f MiB over %d processes = %.0f B per connection\n", crss / 1024, clients, crss * 1024 / n
  printf "kernel, both ends of each connection: slab +%.0f MiB = %.0f B per connection; TCP buffers (sockstat mem) +%d pages = %.0f B; page tables +%.0f B\n", (slab1 - slab0) / 1024, (slab1 - slab0) * 1024 / n, tcp1 - tcp0, (tcp1 - tcp0) * 4096 / n, (pt1 - pt0) * 1024 / n
  printf "machine: MemAvailable -%.0f MiB = %.0f B per connection (servers, clients and kernel; other users of the machine too)\n", (avail0 - avail1) / 1024, (avail0 - avail1) * 1024 / n
  printf "idle server CPU: %.2f%% of one core (%d ticks of %d workers in %.1f s)\n", 100 * (c1 - c0) / tick / (i1 - i0), c1 - c0, workers, i1 - i0
  printf "errors: %d opening, %d in all at the clients, %d at the server (resets, idle timeouts)\n", err1, errors, serr
  printf "second request: answered on %d of %d connections\n", answered, held
}' | tee -a "$REPORT"
say "slab caches that grew by more than 16 B per connection (B per connection, both ends):"
awk -v n="$HELD" 'FNR == NR {if (NF > 5) b[$1] = $2 * $4; next}
  NF > 5 && $1 != "#" {d = ($2 * $4 - b[$1]) / n; if (d > 16) printf "  %-24s %6.0f\n", $1, d}' \
  "$OUT/before.slabinfo" "$OUT/after.slabinfo" | sort -k2 -n -r | tee "$OUT/slab.txt" | tee -a "$REPORT"
# The caches a socket's own objects live in; the rest (e.g. proc_inode_cache)
# also moves with whatever else the machine does.
say "of which the sockets' caches (TCP, sock_inode_cache, dentry, filp, eventpoll, ep_head, lsm_*):" \
  "$(awk '$1 ~ /^(TCP|sock_inode_cache|dentry|filp|eventpoll_|ep_head|lsm_)/ {s += $2} END {print s + 0}' "$OUT/slab.txt") B per connection"

if ((HELD != TOTAL || ANSWERED != TOTAL || ERRORS != 0 || SERVER_ERRORS != 0 || FAILED != 0)); then
  say "FAIL"
  for f in "$OUT"/log.*; do [ -s "$f" ] && head -3 "$f" >&2; done
  exit 1
fi
say "PASS"
