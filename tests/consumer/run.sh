#!/usr/bin/env bash
# Consumer checks: mnet used the ways a project takes a library. Each CMake
# consumer builds, as C++11 without extensions, an executable and a shared
# library linking mnet::mnet (the library run through dlopen), a program
# using the C API and the C++ face on one loop, and, as C99, a C program
# linking mnet::mnet_c and one linking mnet::mnet_c_shared; all run a
# loopback echo.
#   - the README's install recipe (no tests or examples built), then
#     find_package(mnet CONFIG) from a C++ project and from a C-only one:
#     the installed files name no path of mnet's trees, the link follows
#     libmnet.a with rustc's native-static-libs, the installed libraries are
#     libmnet_cxx (the C++ face), libmnet.a and libmnet.so.<version> with
#     its links (the C library; libmnet.so exports the C API and the
#     bridge's entry points only);
#   - pkg-config: a C program built with `pkg-config --cflags --libs mnet`
#     (libmnet.so) and with --static (libmnet.a); a program that dlopens
#     libmnet.so and calls mnet_version;
#   - add_subdirectory without a build type (mnet leaves it empty; its Rust
#     targets are not GLOBAL), with the README's echo server listings (C++
#     and C) compiled from README.md (they must equal examples/echo_svr.cpp
#     and examples/c/echo_svr.c) and talked to;
#   - Ninja Multi-Config: Debug links cargo's dev archive, Release the
#     release one;
#   - BUILD_SHARED_LIBS=ON, through add_subdirectory and install:
#     libmnet_cxx.so on top of libmnet.so (one Rust core per process: the
#     C++ face's library holds none), exporting the C++ face only;
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

# Runs a consumer build's C programs (compiled as C99 without extensions):
# consumer_c (libmnet.a: no libmnet.so needed) and consumer_c_shared
# (libmnet.so).
run_c_consumer() {  # build dir[, config]
    local dir=$1 bin=$1${2:+/$2}
    grep '"command".*consumer_c\.c' "$dir/compile_commands.json" | grep -qe '-std=c99 ' ||
        fail "consumer_c.c was not compiled with -std=c99: $(grep '"command".*consumer_c\.c' "$dir/compile_commands.json")"
    ! readelf -d "$bin/consumer_c" | grep -q 'NEEDED.*libmnet' ||
        fail "consumer_c (mnet::mnet_c) loads a shared mnet: $(readelf -d "$bin/consumer_c" | grep NEEDED)"
    readelf -d "$bin/consumer_c_shared" | grep -q 'NEEDED.*\[libmnet\.so\.0\]' ||
        fail "consumer_c_shared (mnet::mnet_c_shared) does not load libmnet.so.0: $(readelf -d "$bin/consumer_c_shared" | grep NEEDED)"
    "$bin/consumer_c" consumer_c
    "$bin/consumer_c_shared" consumer_c_shared
}

# Runs a consumer build's programs: the echo executable, the echo from its
# shared library loaded by dlopen (both compiled as C++11 without
# extensions), both faces on one loop, and the C programs.
run_consumer() {  # build dir[, config]
    local dir=$1 bin=$1${2:+/$2}
    grep '"command".*consumer_echo\.cpp' "$dir/compile_commands.json" | grep -qe '-std=c++11 ' ||
        fail "consumer_echo.cpp was not compiled with -std=c++11: $(grep '"command".*consumer_echo' "$dir/compile_commands.json")"
    "$bin/consumer_echo"
    "$bin/plugin_loader" "$bin/libecho_plugin.so"
    "$bin/both_faces"
    run_c_consumer "$@"
}

# What libmnet.so exports: the C API (mnet_*) and the entry points of the
# cxx bridge (mnet$..., cxxbridge1$...) that a shared C++ face calls;
# nothing of the Rust core or its crates.
check_c_exports() {  # libmnet.so
    local other
    other=$(nm -D --defined-only "$1" | awk '{print $3}' | grep -vE '^(mnet_|mnet\$|cxxbridge1\$)' || true)
    [ -z "$other" ] || fail "$1 exports more than the C API and the bridge's entry points: $other"
    nm -D --defined-only "$1" | grep -q ' mnet_version$' || fail "$1 does not export mnet_version"
    readelf -d "$1" | grep -q 'SONAME.*\[libmnet\.so\.0\]' || fail "$1 has no soname libmnet.so.0"
}

# The C library as installed: libmnet.a, libmnet.so.<version> and its links
# libmnet.so.0 (the soname) and libmnet.so, mnet.pc; no libmnet_rust.a.
check_installed_c() {  # prefix
    local lib=$1/lib
    [ -f "$lib/libmnet.a" ] || fail "no libmnet.a in $lib"
    [ -f "$lib/libmnet.so.0.1.0" ] && [ "$(readlink "$lib/libmnet.so.0")" = libmnet.so.0.1.0 ] &&
        [ "$(readlink "$lib/libmnet.so")" = libmnet.so.0 ] ||
        fail "libmnet.so is not installed as libmnet.so.0.1.0 with the links libmnet.so.0 and libmnet.so: $(ls -l "$lib")"
    [ -f "$lib/pkgconfig/mnet.pc" ] || fail "no mnet.pc in $lib/pkgconfig"
    [ -z "$(find "$1" -name 'libmnet_rust*')" ] || fail "libmnet_rust is installed: $(find "$1" -name 'libmnet_rust*')"
    check_c_exports "$lib/libmnet.so"
    echo "installed: $(cd "$lib" && ls libmnet* | tr '\n' ' ')mnet.pc; libmnet.so exports the C API and the bridge only"
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
check_installed_c "$tmp/prefix"
# The Rust archive is followed by what rustc says a Rust static library needs
# on this target, not by a list written into mnet.
echo > "$tmp/probe.rs"
native=$("$rustc" --crate-type staticlib --print native-static-libs -o "$tmp/libprobe.a" "$tmp/probe.rs" 2>&1 |
         sed -n 's/.*native-static-libs: //p')
[ -n "$native" ] || fail "rustc printed no native-static-libs"
for program in consumer_echo consumer_c; do
    link_command "$tmp/find_package" "$program" | grep -qF -- "libmnet.a $native" ||
        fail "$program's link command does not follow libmnet.a with rustc's '$native':
$(link_command "$tmp/find_package" "$program")"
done
echo "consumer_echo and consumer_c link libmnet.a $native (rustc's native-static-libs)"

echo "== consumer: find_package(mnet) from a C-only project: mnet::mnet_c, mnet::mnet_c_shared"
cmake -S "$root/tests/consumer/find_package_c" -B "$tmp/find_package_c" -G "$generator" \
    -DCMAKE_BUILD_TYPE="$build_type" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/find_package_c"
run_c_consumer "$tmp/find_package_c"

echo "== consumer: pkg-config --cflags --libs mnet (libmnet.so), --static (libmnet.a), dlopen(libmnet.so)"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
[ "$(pkg-config --variable=prefix mnet)" -ef "$tmp/prefix" ] ||
    fail "mnet.pc's prefix is $(pkg-config --variable=prefix mnet), not where it was installed ($tmp/prefix)"
cc=$(cache CMAKE_C_COMPILER)
libdir=$(pkg-config --variable=libdir mnet)
# shellcheck disable=SC2046 # pkg-config's flags are words
"$cc" -std=c99 -o "$tmp/pc_shared" "$root/tests/consumer/consumer_c.c" $(pkg-config --cflags --libs mnet) \
    -Wl,-rpath,"$libdir"
readelf -d "$tmp/pc_shared" | grep -q 'NEEDED.*\[libmnet\.so\.0\]' || fail "-lmnet did not link libmnet.so"
"$tmp/pc_shared" "pkg-config --libs mnet"
# A static link of libmnet.a takes Libs.private too: -l:libmnet.a picks the
# archive where -lmnet would find the shared library first.
static_libs=$(pkg-config --static --libs mnet)
# shellcheck disable=SC2046
"$cc" -std=c99 -o "$tmp/pc_static" "$root/tests/consumer/consumer_c.c" $(pkg-config --cflags mnet) \
    ${static_libs/-lmnet /-l:libmnet.a }
! readelf -d "$tmp/pc_static" | grep -q 'NEEDED.*libmnet' || fail "the --static build loads libmnet.so"
"$tmp/pc_static" "pkg-config --static --libs mnet"
echo "pkg-config --static --libs mnet: $static_libs"
version=$(pkg-config --modversion mnet)
IFS=. read -r major minor patch <<<"$version"
"$cc" -std=c99 -o "$tmp/dlopen_mnet" "$root/tests/consumer/dlopen_mnet.c" -ldl
"$tmp/dlopen_mnet" "$libdir/libmnet.so" $((major * 10000 + minor * 100 + patch))
unset PKG_CONFIG_PATH

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

echo "== consumer: add_subdirectory(mnet), no CMAKE_BUILD_TYPE (mnet must leave it empty), the README's listings"
readme_block "listing: examples/echo_svr.cpp" >"$tmp/readme_echo_svr.cpp"
diff -u "$root/examples/echo_svr.cpp" "$tmp/readme_echo_svr.cpp" ||
    fail "README.md's echo server listing is not examples/echo_svr.cpp (diff above)"
readme_block "listing: examples/c/echo_svr.c" >"$tmp/readme_echo_svr.c"
diff -u "$root/examples/c/echo_svr.c" "$tmp/readme_echo_svr.c" ||
    fail "README.md's C echo server listing is not examples/c/echo_svr.c (diff above)"
cmake -S "$root/tests/consumer/add_subdirectory" -B "$tmp/add_subdirectory" -G "$generator" \
    -DMNET_CARGO_TARGET_DIR="$cargo_dir" -DMNET_README_ECHO="$tmp/readme_echo_svr.cpp" \
    -DMNET_README_ECHO_C="$tmp/readme_echo_svr.c" | grep '^-- consumer:'
cmake --build "$tmp/add_subdirectory"
run_consumer "$tmp/add_subdirectory"
# mnet's cache entries are its own: a parent's CARGO is not taken over.
grep -q '^MNET_CARGO:FILEPATH=' "$tmp/add_subdirectory/CMakeCache.txt" &&
    ! grep -q '^CARGO:' "$tmp/add_subdirectory/CMakeCache.txt" ||
    fail "mnet caches cargo's path under another name than MNET_CARGO"
grep -q '"command".*-std=c++11 .*readme_echo_svr\.cpp' "$tmp/add_subdirectory/compile_commands.json" ||
    fail "the README's listing was not compiled with -std=c++11"
grep -q '"command".*-std=c99 .*readme_echo_svr\.c"' "$tmp/add_subdirectory/compile_commands.json" ||
    fail "the README's C listing was not compiled with -std=c99"
talk_to_echo_svr "$tmp/add_subdirectory/readme_echo_svr"
talk_to_echo_svr "$tmp/add_subdirectory/readme_echo_svr_c"

echo "== consumer: add_subdirectory(mnet) under Ninja Multi-Config, Debug and Release"
command -v ninja >/dev/null || fail "ninja is missing (scripts/ensure-tools.sh installs it)"
quiet cmake -S "$root/tests/consumer/add_subdirectory" -B "$tmp/multi_config" -G "Ninja Multi-Config" \
    -DMNET_CARGO_TARGET_DIR="$cargo_dir"
for config in Debug Release; do
    profile=release
    [ "$config" = Debug ] && profile=debug
    quiet cmake --build "$tmp/multi_config" --config "$config"
    for program in consumer_echo consumer_c; do
        link_command "$tmp/multi_config" "$program" "$config" | grep -qF -- "$cargo_dir/$profile/libmnet.a" ||
            fail "the $config $program does not link cargo's $profile archive:
$(link_command "$tmp/multi_config" "$program" "$config")"
    done
    echo "$config links $cargo_dir/$profile/libmnet.a"
    run_consumer "$tmp/multi_config" "$config"
done

# BUILD_SHARED_LIBS=ON builds libmnet_cxx.so on top of libmnet.so: the C++
# face's library holds no Rust (one core per process, shared by both faces)
# and exports the C++ face only; consumers need both at run time.
shared_check() {  # consumer build dir, directory of libmnet_cxx.so[, directory of libmnet.so]
    local c_dir=${3:-$2}
    local needed rust
    needed=$(readelf -d "$1/consumer_echo" | grep NEEDED)
    grep -q '\[libmnet_cxx\.so' <<<"$needed" || fail "consumer_echo does not load libmnet_cxx.so: $needed"
    needed=$(readelf -d "$1/both_faces" | grep NEEDED)
    grep -q '\[libmnet_cxx\.so' <<<"$needed" && grep -q '\[libmnet\.so\.0\]' <<<"$needed" ||
        fail "both_faces (C and C++ calls) does not load libmnet_cxx.so and libmnet.so.0: $needed"
    readelf -d "$2/libmnet_cxx.so" | grep -q 'NEEDED.*\[libmnet\.so\.0\]' ||
        fail "libmnet_cxx.so does not load libmnet.so.0: $(readelf -d "$2/libmnet_cxx.so" | grep NEEDED)"
    rust=$(nm --defined-only "$2/libmnet_cxx.so" | grep -E 'rust_begin_unwind|rust_eh_personality|mio[0-9.]|rustls' | head -3 || true)
    [ -z "$rust" ] || fail "libmnet_cxx.so holds Rust code of its own (a second core): $rust"
    if nm -D --defined-only "$2/libmnet_cxx.so" | grep -E ' (mnet_|mnet\$|cxxbridge1\$|_ZN[0-9]+(std|core|mio|rustls))'; then
        fail "libmnet_cxx.so exports the symbols above: only the C++ face is its to export"
    fi
    check_c_exports "$c_dir/libmnet.so"
    echo "consumer_echo loads $(basename "$(readlink -f "$2/libmnet_cxx.so")"), which exports the C++ face only and holds no Rust, on $(basename "$(readlink -f "$c_dir/libmnet.so")")"
    run_consumer "$1"
}

echo "== consumer: add_subdirectory(mnet) with BUILD_SHARED_LIBS=ON"
cmake -S "$root/tests/consumer/add_subdirectory" -B "$tmp/shared" -G "$generator" -DBUILD_SHARED_LIBS=ON \
    -DCMAKE_BUILD_TYPE="$build_type" -DMNET_CARGO_TARGET_DIR="$cargo_dir" | grep '^-- consumer:.*mnet::mnet'
cmake --build "$tmp/shared"
shared_check "$tmp/shared" "$tmp/shared/mnet" "$(dirname "$(find "$tmp/shared/mnet/cdylib" -name libmnet.so)")"

echo "== consumer: shared mnet, cmake --install + find_package(mnet)"
quiet cmake -S "$root" -B "$tmp/shared_mnet" -G "$generator" -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE="$build_type" \
    -DMNET_BUILD_TESTS=OFF -DMNET_BUILD_EXAMPLES=OFF -DMNET_CARGO_TARGET_DIR="$cargo_dir"
quiet cmake --build "$tmp/shared_mnet"
quiet cmake --install "$tmp/shared_mnet" --prefix "$tmp/shared_prefix"
check_installed_c "$tmp/shared_prefix"
readelf -d "$tmp/shared_prefix/lib/libmnet_cxx.so" | grep -q 'RUNPATH.*\[\$ORIGIN\]' ||
    fail "the installed libmnet_cxx.so does not look for libmnet.so beside itself: $(readelf -d "$tmp/shared_prefix/lib/libmnet_cxx.so" | grep PATH)"
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
