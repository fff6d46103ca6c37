#!/usr/bin/env bash
# Consumer checks: mnet used the two ways a CMake project takes a library,
# each building and running a loopback echo linked against mnet::mnet.
#   1. cmake --install to a temporary prefix, then find_package(mnet CONFIG)
#      (and the installed package must not name mnet's source or build tree);
#   2. add_subdirectory(<mnet source> mnet), reusing the build's cargo
#      directory so the Rust dependencies are not compiled twice.
#
#   tests/consumer/run.sh [build dir]     (default: build; configured and built if needed)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$root" && realpath -m "${1:-build}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build"
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
generator=$(cache CMAKE_GENERATOR)
build_type=$(cache CMAKE_BUILD_TYPE)
cargo_dir=$(cache MNET_CARGO_TARGET_DIR)

echo "== consumer: cmake --install + find_package(mnet)"
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
if find "$tmp/prefix" -name '*.cmake' -exec grep -lF -e "$root" {} +; then
    echo "run.sh: the installed CMake files above name mnet's source or build tree ($root)" >&2
    exit 1
fi
cmake -S "$root/tests/consumer/find_package" -B "$tmp/find_package" -G "$generator" \
    -DCMAKE_BUILD_TYPE="$build_type" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/find_package"
"$tmp/find_package/consumer_echo"

echo "== consumer: add_subdirectory(mnet), no CMAKE_BUILD_TYPE (mnet must leave it empty)"
cmake -S "$root/tests/consumer/add_subdirectory" -B "$tmp/add_subdirectory" -G "$generator" \
    -DMNET_CARGO_TARGET_DIR="$cargo_dir" | grep '^-- consumer:'
cmake --build "$tmp/add_subdirectory"
"$tmp/add_subdirectory/consumer_echo"
