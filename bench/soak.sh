#!/usr/bin/env bash
# bench/soak.sh - a bounded soak test (a few minutes; not part of CI).
#
#   bench/soak.sh [SECONDS] [CLIENTS]       (default 180 s, 200 clients)
#
# Starts mnet's C++ echo server (bench/cpp/rw_echo.cpp) on 127.0.0.1 and
# runs the soak client (bench/rust/src/bin/soak.rs): CLIENTS mnet channels
# that each connect, send a pattern message of 1 B - 48 KiB, check the echo,
# disconnect and reconnect, over and over. The server's RSS is sampled every
# second. Passes when no byte was lost or corrupted and RSS did not grow
# after the first 30 s. The server is stopped by its PID.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/out
SECS=${1:-180}
CLIENTS=${2:-200}
PORT=${PORT:-18095}

cmake -S "$HERE" -B "$OUT/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$OUT/cmake" -j "$(nproc)" --target rw_echo >/dev/null
CARGO_TARGET_DIR=$OUT/cargo cargo build --release --locked --quiet --manifest-path "$HERE/rust/Cargo.toml" --bin soak

"$OUT/cmake/rw_echo" "127.0.0.1:$PORT" >"$OUT/soak.server.log" 2>&1 &
SPID=$!
trap 'kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null' EXIT
for _ in $(seq 100); do
  [ -n "$(ss -Hltn "sport = :$PORT")" ] && break
  kill -0 "$SPID" 2>/dev/null || { cat "$OUT/soak.server.log" >&2; exit 1; }
  sleep 0.1
done
ulimit -n 20000
"$OUT/cargo/release/soak" "127.0.0.1:$PORT" "$SPID" --clients "$CLIENTS" --secs "$SECS" --warmup 30
