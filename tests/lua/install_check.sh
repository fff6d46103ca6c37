#!/usr/bin/env bash
# The two ways Lua users install mnet, checked end to end, each into a
# throw-away place, then used with nothing but the installed files on the
# Lua paths (tests/lua/test_echo.lua, run from another directory):
#   1. luarocks make (rockspecs/), for Lua 5.4 and for LuaJIT (the 5.1 tree);
#   2. CMake: -DMNET_LUA_INSTALL=ON, cmake --install --component lua, for
#      Lua 5.4 (C module) and LuaJIT (FFI) at once.
# Cargo builds reuse BUILD_DIR/cargo (mnet's CMake build of this checkout).
#
#   tests/lua/install_check.sh [BUILD_DIR]      (default build)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=$(cd "${1:-build}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CARGO_TARGET_DIR="$build/cargo"

run_echo() {  # INTERPRETER LUA_PATH LUA_CPATH WHAT
    (cd "$tmp" && LUA_PATH="$2;$root/tests/lua/?.lua" LUA_CPATH="$3" MNET_LUA_BACKEND= "$1" "$root/tests/lua/test_echo.lua") ||
        { echo "install_check: $4: the installed modules do not work" >&2; exit 1; }
}

echo "== luarocks make, Lua 5.4"
luarocks --lua-version=5.4 --tree "$tmp/rocks" make >"$tmp/rock54.log" 2>&1 || { cat "$tmp/rock54.log"; exit 1; }
run_echo lua5.4 "$tmp/rocks/share/lua/5.4/?.lua" "$tmp/rocks/lib/lua/5.4/?.so" "luarocks, Lua 5.4"

echo "== luarocks make, LuaJIT"
luarocks --lua-version=5.1 --tree "$tmp/rocks" make LUA=/usr/bin/luajit LUA_INCDIR=/usr/include/luajit-2.1 \
    >"$tmp/rockjit.log" 2>&1 || { cat "$tmp/rockjit.log"; exit 1; }
run_echo luajit "$tmp/rocks/share/lua/5.1/?.lua" "$tmp/rocks/lib/lua/5.1/?.so" "luarocks, LuaJIT"

echo "== CMake, MNET_LUA_INSTALL=ON, component lua"
cmake -S . -B "$tmp/cmake" -DCMAKE_BUILD_TYPE=Release -DMNET_BUILD_TESTS=OFF -DMNET_BUILD_EXAMPLES=OFF \
    -DMNET_LUA_INSTALL=ON -DMNET_CARGO_TARGET_DIR="$build/cargo" >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
cmake --build "$tmp/cmake" --target mnet_lua_c mnet_lua_ffi >>"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; exit 1; }
cmake --install "$tmp/cmake" --prefix "$tmp/prefix" --component lua >>"$tmp/cmake.log"
run_echo lua5.4 "$tmp/prefix/share/lua/5.4/?.lua" "$tmp/prefix/lib/lua/5.4/?.so" "cmake --install, Lua 5.4"
run_echo luajit "$tmp/prefix/share/lua/5.1/?.lua" "$tmp/prefix/lib/lua/5.1/?.so" "cmake --install, LuaJIT"
rm -rf build-luarocks
echo "install_check: luarocks (Lua 5.4, LuaJIT) and cmake --install (both) give working modules"
