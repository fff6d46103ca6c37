#!/usr/bin/env bash
# Runs each cargo-fuzz target of fuzz/ for a bounded time, starting from the
# committed corpus (fuzz/corpus/<target>). Installs cargo-fuzz when missing.
# Works on the stable toolchain: no sanitizer runtime (-s none), coverage
# instrumentation only; the targets assert the properties themselves.
#
#   scripts/fuzz.sh [seconds per target]       (default 60)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked --quiet
fi
for target in addr request_counter; do
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
