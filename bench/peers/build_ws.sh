#!/usr/bin/env bash
# bench/peers/build_ws.sh [OUT_DIR] - the compiled peers of the WebSocket
# benchmark (bench/run.sh --only ws): lws_ws_echo (libwebsockets 4.1,
# bench/peers/lws_ws_echo.c) and beast_ws (Boost.Beast, bench/cpp/beast_ws.cpp),
# into OUT_DIR (default bench/out/peers-ws). tungstenite_ws is built with
# bench/rust.
#
# Installs the Debian packages that are missing first (needs root or sudo):
# libwebsockets-dev, zlib1g-dev, libboost-dev (Beast is header-only), pkg-config.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=build_common.sh
. "$here/build_common.sh"
out=$(made_dir "${1:-$here/../out/peers-ws}")

need=()
[ -f /usr/include/libwebsockets.h ] || need+=(libwebsockets-dev)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
[ -f /usr/include/boost/beast/websocket.hpp ] || need+=(libboost-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
apt_install ${need[@]+"${need[@]}"}

# shellcheck disable=SC2046
build lws_ws_echo "$here/lws_ws_echo.c" \
  "${CC:-cc}" -O2 -Wall -o "$out/lws_ws_echo" "$here/lws_ws_echo.c" $(pkg-config --cflags --libs libwebsockets)
build beast_ws "$here/../cpp/beast_ws.cpp $here/../cpp/http_peer.hpp $here/../cpp/asio_peer.hpp" \
  "${CXX:-g++}" -O2 -std=c++17 -o "$out/beast_ws" "$here/../cpp/beast_ws.cpp" -pthread
