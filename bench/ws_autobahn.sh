#!/usr/bin/env bash
# bench/ws_autobahn.sh - every Autobahn|Testsuite case (all 517, with 9.*
# and the 12/13 cases of 128 KiB messages that tests/ws_autobahn.rs leaves
# out for time) against examples/ws_echo_server.rs, built in release. Run
# by kosoku (scripts/pyenv.sh's venv). Prints the summary (counts per
# outcome; cases that did not pass) and exits 1 if any case failed.
#
#   bench/ws_autobahn.sh [OUTDIR]        (default bench/out/autobahn)
#
# Env: SERVER_CPU (0), CLIENT_CPU (1): the server and kosoku are pinned
# there when taskset exists. The server listens on a free loopback port
# and is stopped by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/out/autobahn}
python=$(scripts/pyenv.sh)
kosoku=$(dirname "$python")/kosoku
cargo build --release --locked --example ws_echo_server >&2
target=${CARGO_TARGET_DIR:-target}
pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }
log=$(mktemp)
pin "${SERVER_CPU:-0}" "$target/release/examples/ws_echo_server" 127.0.0.1:0 >"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
    grep -q listening "$log" && break
    sleep 0.1
done
addr=$(sed -n 's#^listening on ws://\(.*\)/$#\1#p' "$log")
[ -n "$addr" ] || { echo "ws_autobahn: the echo server did not start" >&2; exit 1; }
rm -rf "$out"
status=0
pin "${CLIENT_CPU:-1}" "$kosoku" "ws://$addr" -o "$out" || status=$?
"$python" tests/py/autobahn_summary.py "$out/index.json"
echo "report: $out/index.html"
exit "$status"
