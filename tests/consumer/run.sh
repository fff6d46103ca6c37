#!/usr/bin/env bash
# Consumer checks: mnet used the ways a CMake project takes a library. Each
# consumer builds, as C++11 without extensions, an executable and a shared
# library linking mnet::mnet (the library run through dlopen), and both run
# a loopback echo.
#   - the README's install recipe (no tests or examples built), then
#     find_package(mnet CONFIG): the installed files name no path of mnet's
#     trees, and the link follows the Rust archive with rustc's
#     native-static-libs;
#   - add_subdirectory without a build type (mnet leaves it empty; its Rust
#     target is not GLOBAL), with the README's echo server listing compiled
#     from README.md (it must equal examples/echo_svr.cpp) and talked to;
#   - Ninja Multi-Config: Debug links cargo's dev archive, Release the
#     release one;
#   - BUILD_SHARED_LIBS=ON, through add_subdirectory and install: libmnet.so
#     exporting the C++ face only;
#   - configure-only: CMAKE_CXX_FLAGS reach cc-rs; a cross build configures
#     and says what it needs;
#   - scripts/ensure-tools.sh's decisions, with a stale cmake (dry run);
#   - clang++ -stdlib=libc++, when installed (skipped otherwise).
# All reuse the build's cargo directory (only the dev profile is compiled
# once for Debug, and the libc++ build keeps its own in <build>/cargo-libcxx).
#
#   tests/consumer/run.sh [build dir]     (default: build; configured and built if needed)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$root" && realpath -m "${1:-build}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a command with its output in a log, shown only when it fails.
quiet() {
    local log="$tmp/quiet.log"
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "run.sh: failed: $*" >&2
        exit 1
    fi
}
fail() {
    echo "run.sh: $*" >&2
    exit 1
}

if [ ! -f "$build/CMakeCache.txt" ]; then
    quiet cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" -j "$(nproc)"
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
generator=$(cache CMAKE_GENERATOR)
build_type=$(cache CMAKE_BUILD_TYPE)
cargo_dir=$(cache MNET_CARGO_TARGET_DIR)
rustc=$(cache MNET_RUSTC)

# The link command of a target in a configured consumer build.
link_command() {  # build dir, target[, config]
    if [ -f "$1/build.ninja" ]; then
        local file=build.ninja
        [ -z "${3:-}" ] || file="build-$3.ninja"
        ninja -C "$1" -f "$file" -t commands "$2" | tail -n 1
    else
        cat "$1/CMakeFiles/$2.dir/link.txt"
    fi
}

# Runs a consumer build's programs: the echo executable, and the echo from
# its shared library loaded by dlopen; both were compiled as C++11 without
# extensions.
run_consumer() {  # build dir[, config]
    local dir=$1 bin=$1${2:+/$2}
    grep '"command".*consumer_echo\.cpp' "$dir/compile_commands.json" | grep -qe '-std=c++11 ' ||
        fail "consumer_echo.cpp was not compiled with -std=c++11: $(grep '"command".*consumer_echo' "$dir/compile_commands.json")"
    "$bin/consumer_echo"
    "$bin/plugin_loader" "$bin/libecho_plugin.so"
}

# The lines of the fenced block after "<!-- $1 -->" in README.md.
readme_block() {
    awk -v marker="<!-- $1 -->" '
        $0 == marker { want = 1; next }
        want && /^```/ { if (inside) exit; inside = 1; next }
        inside { print }' "$root/README.md"
}

echo "== consumer: the README's install recipe, then find_package(mnet)"
# Run as written, in temporary directories, with this build's cargo directory.
readme_block "install recipe" |
    sed -e "s#-S mnet #-S '$root' #" -e "s#mnet/build#'$tmp/recipe'#g" -e "s#/opt/mnet#'$tmp/prefix'#g" \
        -e "s#^cmake -S .*#& -G '$generator' -DMNET_CARGO_TARGET_DIR='$cargo_dir'#" >"$tmp/recipe.sh"
grep -q 'cmake --install' "$tmp/recipe.sh" || fail "README.md has no install recipe"
quiet bash -e "$tmp/recipe.sh"
built=$(find "$tmp/recipe" -type f -perm -u+x \( -name 'test_*' -o -name echo_svr -o -name chann_web \))
[ -z "$built" ] || fail "the README's install recipe built mnet's tests or examples: $built"
echo "the recipe built no test or example, and installed mnet"
if find "$tmp/prefix" -name '*.cmake' -exec grep -lF -e "$root" {} +; then
    fail "the installed CMake files above name mnet's source or build tree ($root)"
fi
cmake -S "$root/tests/consumer/find_package" -B "$tmp/find_package" -G "$generator" \
    -DCMAKE_BUILD_TYPE="$build_type" -DCMAKE_PREFIX_PATH="$tmp/prefix" | grep '^-- consumer:'
cmake --build "$tmp/find_package"
run_consumer "$tmp/find_package"
# The Rust archive is followed by what rustc says a Rust static library needs
# on this target, not by a list written into mnet.
echo > "$tmp/probe.rs"
native=$("$rustc" --crate-type staticlib --print native-static-libs -o "$tmp/libprobe.a" "$tmp/probe.rs" 2>&1 |
         sed -n 's/.*native-static-libs: //p')
[ -n "$native" ] || fail "rustc printed no native-static-libs"
link_command "$tmp/find_package" consumer_echo | grep -qF -- "libmnet_rust.a $native" ||
    fail "consumer_echo's link command does not follow libmnet_rust.a with rustc's '$native':
$(link_command "$tmp/find_package" consumer_echo)"
echo "links libmnet_rust.a $native (rustc's native-static-libs)"

# Talks to an echo_svr as `nc` would: the welcome line, then a line echoed.
talk_to_echo_svr() {  # program
    local line port
    coproc svr { exec "$1" 127.0.0.1:0; }
    read -r -t 10 -u "${svr[0]}" line || fail "$1 printed nothing"
    port=${line##*:}
    [[ "$line" == *listening* && "$port" =~ ^[0-9]+$ ]] || fail "$1 printed '$line', not its address"
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    read -r -t 10 -u 3 line || fail "no welcome from $1"
    [ "$line" = "Welcome to echoServ" ] || fail "$1 welcomed with '$line'"
    printf 'a line for the echo\n' >&3
    read -r -t 10 -u 3 line || fail "no echo from $1"
    [ "$line" = "a line for the echo" ] || fail "$1 echoed '$line'"
    exec 3>&-
    kill "$svr_PID"
    wait "$svr_PID" || true
    echo "$(basename "$1"): welcome and echo ok on 127.0.0.1:$port"
}

echo "== consumer: add_subdirectory(mnet), no CMAKE_BUILD_TYPE (mnet must leave it empty), the README's listing"
readme_block "listing: examples/echo_svr.cpp" >"$tmp/readme_echo_svr.cpp"
diff -u "$root/examples/echo_svr.cpp" "$tmp/readme_echo_svr.cpp" ||
    fail "README.md's echo server listing is not examples/echo_svr.cpp (diff above)"
cmake -S "$root/tests/consumer/add_subdirectory" -B "$tmp/add_subdirectory" -G "$generator" \
    -DMNET_CARGO_TARGET_DIR="$cargo_dir" -DMNET_README_ECHO="$tmp/readme_echo_svr.cpp" | grep '^-- consumer:'
cmake --build "$tmp/add_subdirectory"
run_consumer "$tmp/add_subdirectory"
# mnet's cache entries are its own: a parent's CARGO is not taken over.
grep -q '^MNET_CARGO:FILEPATH=' "$tmp/add_subdirectory/CMakeCache.txt" &&
    ! grep -q '^CARGO:' "$tmp/add_subdirectory/CMakeCache.txt" ||
    fail "mnet caches cargo's path under another name than MNET_CARGO"
grep -q '"command".*-std=c++11 .*readme_echo_svr\.cpp' "$tmp/add_subdirectory/compile_commands.json" ||
    fail "the README's listing was not compiled with -std=c++11"
talk_to_echo_svr "$tmp/add_subdirectory/readme_echo_svr"

echo "== consumer: add_subdirectory(mnet) under Ninja Multi-Config, Debug and Release"
command -v ninja >/dev/null || fail "ninja is missing (scripts/ensure-tools.sh installs it)"
quiet cmake -S "$root/tests/consumer/add_subdirectory" -B "$tmp/multi_config" -G "Ninja Multi-Config" \
    -DMNET_CARGO_TARGET_DIR="$cargo_dir"
for config in Debug Release; do
    profile=release
    [ "$config" = Debug ] && profile=debug
    quiet cmake --build "$tmp/multi_config" --config "$config"
    link_command "$tmp/multi_config" consumer_echo "$config" | grep -qF -- "$cargo_dir/$profile/libmnet.a" ||
        fail "the $config consumer_echo does not link cargo's $profile archive:
$(link_command "$tmp/multi_config" consumer_echo "$config")"
    echo "$config links $cargo_dir/$profile/libmnet.a"
    run_consumer "$tmp/multi_config" "$config"
done

# BUILD_SHARED_LIBS=ON builds libmnet.so with the Rust core inside, exporting
# only the C++ face; consumers need it at run time.
shared_check() {  # consumer build dir, directory of libmnet.so
    readelf -d "$1/consumer_echo" | grep -q 'NEEDED.*\[libmnet\.so' ||
        fail "consumer_echo does not load libmnet.so: $(readelf -d "$1/consumer_echo" | grep NEEDED)"
    if nm -D --defined-only "$2"/libmnet.so | grep -E ' (cxxbridge|_ZN[0-9]+(std|core|mio|rustls))'; then
        fail "libmnet.so exports the Rust core's symbols above"
    fi
    echo "consumer_echo loads $(basename "$(readlink -f "$2/libmnet.so")"), which exports the C++ face only"
    run_consumer "$1"
}

echo "== consumer: add_subdirectory(mnet) with BUILD_SHARED_LIBS=ON"
cmake -S "$root/tests/consumer/add_subdirectory" -B "$tmp/shared" -G "$generator" -DBUILD_SHARED_LIBS=ON \
    -DCMAKE_BUILD_TYPE="$build_type" -DMNET_CARGO_TARGET_DIR="$cargo_dir" | grep '^-- consumer:.*mnet::mnet'
cmake --build "$tmp/shared"
shared_check "$tmp/shared" "$tmp/shared/mnet"

echo "== consumer: shared mnet, cmake --install + find_package(mnet)"
quiet cmake -S "$root" -B "$tmp/shared_mnet" -G "$generator" -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE="$build_type" \
    -DMNET_BUILD_TESTS=OFF -DMNET_BUILD_EXAMPLES=OFF -DMNET_CARGO_TARGET_DIR="$cargo_dir"
quiet cmake --build "$tmp/shared_mnet"
quiet cmake --install "$tmp/shared_mnet" --prefix "$tmp/shared_prefix"
[ ! -e "$tmp/shared_prefix/lib/libmnet_rust.a" ] || fail "a shared mnet installed the Rust archive as well"
cmake -S "$root/tests/consumer/find_package" -B "$tmp/shared_find_package" -G "$generator" \
    -DCMAKE_BUILD_TYPE="$build_type" -DCMAKE_PREFIX_PATH="$tmp/shared_prefix" | grep '^-- consumer:'
cmake --build "$tmp/shared_find_package"
shared_check "$tmp/shared_find_package" "$tmp/shared_prefix/lib"

echo "== consumer: C++ flags reach cc-rs; a cross build configures and says what it needs"
# Configure only: building these would recompile the cxx glue (other flags,
# another target) in a cargo directory of its own.
quiet cmake -S "$root" -B "$tmp/flags" -G "$generator" -DMNET_BUILD_TESTS=OFF -DMNET_BUILD_EXAMPLES=OFF \
    -DCMAKE_CXX_FLAGS="-DMNET_FLAGS_CHECK -fno-plt" -DMNET_CARGO_TARGET_DIR="$tmp/flags/cargo"
grep -rqF -- "CXXFLAGS=-DMNET_FLAGS_CHECK -fno-plt" "$tmp/flags" --include='*.make' --include='*.ninja' ||
    fail "CMAKE_CXX_FLAGS do not reach cargo's CXXFLAGS (cc-rs builds the cxx glue with them)"
echo "cargo's cc-rs gets CXXFLAGS=-DMNET_FLAGS_CHECK -fno-plt"
cross=(-DCMAKE_TOOLCHAIN_FILE="$root/tests/consumer/cross-aarch64.cmake" -DCMAKE_CXX_COMPILER="$(cache CMAKE_CXX_COMPILER)"
       -DMNET_BUILD_TESTS=OFF -DMNET_BUILD_EXAMPLES=OFF -DMNET_CARGO_TARGET_DIR="$tmp/cross/cargo")
cmake -S "$root" -B "$tmp/cross" -G "$generator" "${cross[@]}" >"$tmp/cross.log" 2>&1 ||
    { cat "$tmp/cross.log"; fail "a cross configure without MNET_RUST_TARGET failed instead of warning"; }
grep -q 'MNET_RUST_TARGET is not set' "$tmp/cross.log" || fail "a cross configure did not ask for MNET_RUST_TARGET"
if cmake --build "$tmp/cross" --target mnet_cargo >"$tmp/cross.log" 2>&1 ||
    ! grep -q 'MNET_RUST_TARGET is not set' "$tmp/cross.log"; then
    cat "$tmp/cross.log"
    fail "the cargo step of a cross build without MNET_RUST_TARGET did not stop with the reason"
fi
echo "cross without MNET_RUST_TARGET: configures, warns, and the cargo step stops with: $(grep -o 'cross-compiling.*is not set' "$tmp/cross.log")"
rm -rf "$tmp/cross"
cmake -S "$root" -B "$tmp/cross" -G "$generator" "${cross[@]}" -DMNET_RUST_TARGET=aarch64-unknown-linux-gnu \
    >"$tmp/cross.log" 2>&1 || { cat "$tmp/cross.log"; fail "a cross configure with MNET_RUST_TARGET failed"; }
if grep -q 'rustup target add aarch64-unknown-linux-gnu' "$tmp/cross.log"; then
    echo "cross with MNET_RUST_TARGET, no aarch64 standard library installed: configures and says 'rustup target add aarch64-unknown-linux-gnu'"
else
    grep -rqF -- "CXX_aarch64_unknown_linux_gnu=" "$tmp/cross" --include='*.make' --include='*.ninja' ||
        fail "a cross build does not hand cc-rs the C++ compiler as CXX_aarch64_unknown_linux_gnu"
    echo "cross with MNET_RUST_TARGET: cargo builds for aarch64-unknown-linux-gnu, cc-rs gets CXX_aarch64_unknown_linux_gnu"
fi

echo "== tools: scripts/ensure-tools.sh decisions (dry run)"
mkdir -p "$tmp/stale"
printf '#!/bin/sh\necho "cmake version 3.16.3"\n' >"$tmp/stale/cmake"
chmod +x "$tmp/stale/cmake"
ensure_tools_plan() {
    MNET_ENSURE_TOOLS_DRY_RUN=1 MNET_TOOLS_DIR="$tmp/tools" "$root/scripts/ensure-tools.sh" 2>&1
}
plan=$(PATH="$tmp/stale:$PATH" ensure_tools_plan)
grep -q 'would run: .*apt-get install .* cmake' <<<"$plan" && grep -q 'would run: .*pip install .*cmake>=3.20' <<<"$plan" ||
    fail "with cmake 3.16 on PATH, ensure-tools.sh did not plan apt-get, then cmake from PyPI: $plan"
echo "cmake 3.16 on PATH: apt-get install cmake, then pip install 'cmake>=3.20' into a venv"
plan=$(ensure_tools_plan)
if grep 'would run' <<<"$plan"; then
    fail "ensure-tools.sh would install something although cmake, make and ninja are here"
fi
echo "cmake, make and ninja present, nothing to install: $(grep -o "cmake [0-9].*" <<<"$plan")"

echo "== consumer: add_subdirectory(mnet) with clang++ -stdlib=libc++"
# The cxx glue (compiled by cc-rs inside cargo) must use libc++ like the C++
# face, or the link mixes two standard libraries. Its own cargo directory,
# kept in the build directory: the glue's flags differ from the main build's.
if command -v clang++ >/dev/null &&
    echo 'int main() {}' | clang++ -stdlib=libc++ -x c++ - -o "$tmp/libcxx_probe" >/dev/null 2>&1; then
    libcxx_cargo="$build/cargo-libcxx"
    quiet cmake -S "$root/tests/consumer/add_subdirectory" -B "$tmp/libcxx" -G "$generator" \
        -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS=-stdlib=libc++ -DCMAKE_BUILD_TYPE="$build_type" \
        -DMNET_CARGO_TARGET_DIR="$libcxx_cargo"
    quiet cmake --build "$tmp/libcxx" -j "$(nproc)"
    needed=$(readelf -d "$tmp/libcxx/consumer_echo" | grep NEEDED)
    grep -q 'libc++\.so' <<<"$needed" && ! grep -q 'libstdc++' <<<"$needed" ||
        fail "a -stdlib=libc++ consumer does not load libc++ alone: $needed"
    profile=release
    [ "$build_type" = Debug ] && profile=debug
    if nm -C "$libcxx_cargo/$profile/libmnet.a" 2>/dev/null | grep -q 'std::__cxx11::'; then
        fail "the Rust archive's cxx glue was compiled against libstdc++ under -stdlib=libc++"
    fi
    echo "consumer_echo loads libc++ only; the Rust archive's glue has no libstdc++ symbol"
    run_consumer "$tmp/libcxx"
else
    echo "skipped: no clang++ with libc++ here (apt-get install clang libc++-dev libc++abi-dev to run it)"
fi
