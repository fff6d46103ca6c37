#!/usr/bin/env bash
# bench/peers/build_http.sh [OUT_DIR] - the peers of the HTTP benchmark
# (bench/run.sh --only http) that are compiled here: epoll_http (the raw-epoll
# limit), beast_http (Boost.Beast) and httplib_http (cpp-httplib), into OUT_DIR
# (default bench/out/peers-http). nginx and h2o run from Debian's packages
# through nginx_http.sh and h2o_http.sh beside this file; hyper_http is built
# with bench/rust.
#
# Installs the Debian packages that are missing first (needs root or sudo):
# nginx, h2o, libboost-dev (Beast is header-only), libcpp-httplib-dev, wrk, strace.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=build_common.sh
. "$here/build_common.sh"
out=$(made_dir "${1:-$here/../out/peers-http}")

need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v h2o >/dev/null 2>&1 || need+=(h2o)
[ -f /usr/include/boost/beast.hpp ] || need+=(libboost-dev)
[ -f /usr/include/httplib.h ] || need+=(libcpp-httplib-dev)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
apt_install ${need[@]+"${need[@]}"}

build epoll_http "$here/epoll_http.c" "${CC:-cc}" -O2 -o "$out/epoll_http" "$here/epoll_http.c"
build beast_http "$here/../cpp/beast_http.cpp $here/../cpp/http_peer.hpp $here/../cpp/asio_peer.hpp" \
  "${CXX:-g++}" -O2 -std=c++17 -o "$out/beast_http" "$here/../cpp/beast_http.cpp" -pthread
# shellcheck disable=SC2046
build httplib_http "$here/../cpp/httplib_http.cpp $here/../cpp/http_peer.hpp" \
  "${CXX:-g++}" -O2 -std=c++17 -o "$out/httplib_http" "$here/../cpp/httplib_http.cpp" \
  $(pkg-config --cflags --libs cpp-httplib) -pthread
