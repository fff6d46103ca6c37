#!/usr/bin/env bash
# Installs the build tools mnet needs beyond the Rust toolchain and g++:
# cmake 3.20 or newer, make, and ninja (the consumer checks build with Ninja
# Multi-Config); curl and Python's venv for the protocol tests; LuaJIT,
# Lua 5.4 with its headers, LuaJIT's headers and luarocks for the Lua
# modules and their tests. Uses apt-get (as root, or through sudo). When the cmake apt
# gives is older than 3.20, installs cmake from PyPI into a venv
# (${MNET_TOOLS_DIR:-~/.cache/mnet-tools}/venv) and puts it first on PATH;
# later runs reuse that venv.
#
#   . scripts/ensure-tools.sh     from a script: PATH then finds the right cmake
#   scripts/ensure-tools.sh       on its own: installs, and says which cmake to use
#
# MNET_ENSURE_TOOLS_DRY_RUN=1 prints the commands instead of running them
# (tests/consumer/run.sh checks the decisions with a stale cmake on PATH).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
fi

_mnet_cmake_min=3.20
_mnet_venv="${MNET_TOOLS_DIR:-$HOME/.cache/mnet-tools}/venv"

_mnet_say() { echo "ensure-tools: $*" >&2; }
_mnet_run() {
    if [ -n "${MNET_ENSURE_TOOLS_DRY_RUN:-}" ]; then
        _mnet_say "would run: $*"
    else
        "$@"
    fi
}
_mnet_cmake_version() {
    cmake --version 2>/dev/null | sed -n '1s/^cmake version \([0-9][0-9.]*\).*/\1/p'
}
_mnet_cmake_ok() {  # true when the cmake on PATH is new enough
    local v
    v=$(_mnet_cmake_version)
    [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$_mnet_cmake_min" "$v" | sort -V | head -n 1)" = "$_mnet_cmake_min" ]
}
_mnet_apt_updated=""
_mnet_apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    command -v apt-get >/dev/null 2>&1 || { _mnet_say "no apt-get: install $* yourself"; return 1; }
    _mnet_say "installing $* with apt-get"
    if [ -z "$_mnet_apt_updated" ]; then
        _mnet_run $sudo apt-get update -qq
        _mnet_apt_updated=1
    fi
    _mnet_run $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# A venv made by an earlier run comes first, as it was made because apt's cmake was too old.
if [ -x "$_mnet_venv/bin/cmake" ]; then
    PATH="$_mnet_venv/bin:$PATH"
fi

_mnet_need=()
_mnet_cmake_ok || _mnet_need+=(cmake)
command -v make >/dev/null 2>&1 || _mnet_need+=(make)
command -v ninja >/dev/null 2>&1 || _mnet_need+=(ninja-build)
command -v curl >/dev/null 2>&1 || _mnet_need+=(curl)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || _mnet_need+=(python3-venv)
command -v luajit >/dev/null 2>&1 || _mnet_need+=(luajit)
command -v lua5.4 >/dev/null 2>&1 || _mnet_need+=(lua5.4)
[ -f /usr/include/lua5.4/lua.h ] || _mnet_need+=(liblua5.4-dev)
[ -f /usr/include/luajit-2.1/lua.h ] || _mnet_need+=(libluajit-5.1-dev)
command -v luarocks >/dev/null 2>&1 || _mnet_need+=(luarocks)
if [ "${#_mnet_need[@]}" -gt 0 ]; then
    _mnet_apt_install "${_mnet_need[@]}" || [ "${_mnet_need[*]}" = cmake ]
fi

if ! _mnet_cmake_ok; then
    _mnet_say "cmake ${_mnet_cmake_min} or newer is needed, apt gives '$(_mnet_cmake_version)': installing cmake from PyPI into $_mnet_venv"
    if ! _mnet_run python3 -m venv --clear "$_mnet_venv"; then
        _mnet_apt_install python3-venv  # Debian's python3 has no ensurepip without it
        _mnet_run python3 -m venv --clear "$_mnet_venv"
    fi
    _mnet_run "$_mnet_venv/bin/pip" install --quiet "cmake>=${_mnet_cmake_min},<5"
    PATH="$_mnet_venv/bin:$PATH"
fi
export PATH

if [ -z "${MNET_ENSURE_TOOLS_DRY_RUN:-}" ] && ! _mnet_cmake_ok; then
    _mnet_say "still no cmake ${_mnet_cmake_min} or newer"
    exit 1
fi
_mnet_say "cmake $(_mnet_cmake_version) ($(command -v cmake)), ninja $(ninja --version 2>/dev/null), $(make --version 2>/dev/null | head -n 1)"
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "$(command -v cmake)" = "$_mnet_venv/bin/cmake" ]; then
    _mnet_say "put $_mnet_venv/bin first on PATH to use it"
fi
unset _mnet_need _mnet_apt_updated
