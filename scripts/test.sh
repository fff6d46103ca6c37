#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. the Rust tests (cargo test, debug assertions on), with the Python
#      protocol clients (h11, websockets, kosoku) in a venv (scripts/pyenv.sh);
#      403 of Autobahn's 517 WebSocket cases among them (tests/ws_autobahn.rs,
#      about 3 minutes; bench/ws_autobahn.sh runs all 517);
#   2. the C, C++ and Lua tests (CTest: tests/c, tests/cpp, tests/lua, the
#      Lua ones under LuaJIT and Lua 5.4, label lua), built with CMake in
#      build/, then the Lua install routes (tests/lua/install_check.sh:
#      luarocks make for both, cmake --install with MNET_LUA_INSTALL);
#   3. the consumer checks (tests/consumer/run.sh: the README's install
#      recipe + find_package from C++ and from C, pkg-config (shared and
#      --static), dlopen of libmnet.so, add_subdirectory, Ninja Multi-Config
#      Debug and Release, BUILD_SHARED_LIBS, a consumer's shared library,
#      C++11 and C99, the README's listings, cross and tool set-up checks);
#   4. the C and C++ tests again under AddressSanitizer + UBSan (build-asan/,
#      with the byte-checked transfers cut to 64 MiB; the Lua tests, which
#      nothing there instruments, are left out);
#   5. the fuzz targets, 60 s each from the committed corpus
#      (MNET_FUZZ_SECONDS=0 skips them; cargo-fuzz is installed if missing).
# Installs cmake (3.20 or newer), make, ninja, LuaJIT, Lua 5.4 and luarocks
# first when they are missing (scripts/ensure-tools.sh).
#
#   scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-tools.sh
started=$SECONDS
step() { echo "== $1 (at $((SECONDS - started)) s)"; }

step "Python protocol clients (scripts/pyenv.sh)"
MNET_PYTHON=$(scripts/pyenv.sh)
export MNET_PYTHON MNET_REQUIRE_TOOLS=1

step "cargo test"
cargo test --locked

step "C and C++ build and CTest"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure

step "Lua install routes (tests/lua/install_check.sh)"
tests/lua/install_check.sh build

step "consumer checks (tests/consumer/run.sh)"
tests/consumer/run.sh build

step "C and C++ tests under AddressSanitizer + UBSan"
# Same Rust core as build/ (the sanitizers instrument the C++ face, the
# examples and the tests).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DMNET_SANITIZE=ON \
      -DMNET_CARGO_TARGET_DIR="$PWD/build/cargo" >/dev/null
cmake --build build-asan -j "$(nproc)"
MNET_RWDATA_BYTES=$((64 << 20)) ctest --test-dir build-asan --output-on-failure -j 2 -LE lua

fuzz_secs=${MNET_FUZZ_SECONDS:-60}
if [ "$fuzz_secs" -gt 0 ]; then
    step "fuzz, ${fuzz_secs} s per target"
    scripts/fuzz.sh "$fuzz_secs"
fi
step "all tests passed"
