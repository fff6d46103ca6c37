#!/usr/bin/env bash
# Builds mnet and its C++ examples, then runs the chann_web HTTP server on
# 127.0.0.1:8080 serving README.md (try: curl http://127.0.0.1:8080/).
# Installs cmake, make and ninja first when they are missing. Arguments go
# to chann_web:
#
#   scripts/run-web.sh [ip:port] [body_file]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-tools.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target chann_web
exec build/chann_web "${1:-127.0.0.1:8080}" "${2:-README.md}"
