#!/usr/bin/env bash
# Installs the build tools mnet needs beyond the Rust toolchain and g++:
# cmake (3.20 or newer). Uses apt-get (as root, or through sudo).
set -euo pipefail
need=()
if ! command -v cmake >/dev/null 2>&1; then
    need+=(cmake)
fi
if [ "${#need[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "ensure-tools: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
