#!/usr/bin/env bash
# Runs each cargo-fuzz target of fuzz/ for a bounded time, starting from the
# committed corpus (fuzz/corpus/<target>). Installs cargo-fuzz (a pinned
# version) when missing or different.
# Works on the stable toolchain: no sanitizer runtime (-s none), coverage
# instrumentation only; the targets assert the properties themselves.
#
#   scripts/fuzz.sh [seconds per target]       (default 60)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
# Pinned: a new cargo-fuzz may change flags or need a newer toolchain.
cargo_fuzz_version=0.13.2
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $cargo_fuzz_version" ]; then
    echo "fuzz: installing cargo-fuzz $cargo_fuzz_version" >&2
    cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --quiet
fi
for target in addr request_counter http_request ws_frames; do
    dict=()
    [ -f "$target.dict" ] && dict=("-dict=$target.dict")
    echo "== fuzz $target for ${secs}s"
    # A private copy of the corpus: new inputs found in CI are not committed.
    work="$(mktemp -d)"
    cp -r "corpus/$target/." "$work/"
    log="$work.log"
    status=0
    cargo fuzz run -s none "$target" "$work" -- -max_total_time="$secs" "${dict[@]}" >"$log" 2>&1 || status=$?
    grep -E "^Done|panicked|ERROR|SUMMARY|assert|pieces at" "$log" || true
    rm -rf "$work" "$log"
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $target failed (see fuzz/artifacts/$target)" >&2
        exit 1
    fi
done
