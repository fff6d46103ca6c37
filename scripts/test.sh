#!/usr/bin/env bash
# The whole test suite: the Rust tests (cargo test) and the C++ tests (CTest),
# built with CMake in build/, and the consumer checks (a project using the
# installed package, and one using add_subdirectory). Installs cmake first
# when it is missing.
#
#   scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh

echo "== cargo test"
cargo test --locked

echo "== C++ build and CTest"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure

echo "== consumer checks (find_package after install, add_subdirectory)"
tests/consumer/run.sh build
