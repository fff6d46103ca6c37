# The Rust core as CMake targets: cargo builds the crate (the C API, the core
# and the cxx bridge glue compiled in by build.rs) into a static archive and a
# shared library, imported here. Included once by the top-level
# CMakeLists.txt; defines
#
#   mnet_cargo                 the custom target that runs cargo
#   mnet_rust                  the archive (libmnet.a), an IMPORTED (not GLOBAL)
#                              static library that carries the system libraries
#                              and the C++ runtime it needs
#   mnet_rust_shared           libmnet.so, an IMPORTED (not GLOBAL) shared library:
#                              cargo's file copied as libmnet.so.<version> with the
#                              libmnet.so.<major> (its soname) and libmnet.so links,
#                              so programs linked in the build tree find it
#   MNET_SO_DIR                where that copy and its links are, for the current
#                              configuration (a generator expression)
#   MNET_BRIDGE_SOURCES        the C++ half of the bridge (the glue cxx-build
#                              generated, and the cxx crate's runtime), which a
#                              shared C++ face compiles itself: libmnet.so exports
#                              the bridge's Rust entry points, not this C++
#   MNET_BRIDGE_INCLUDE        where cxx-build writes rust/cxx.h and mnet/src/ffi/mod.rs.h
#   MNET_CARGO_OUT             cargo's output directory for the current configuration
#                              (a generator expression: debug/ for Debug, release/ otherwise)
#   MNET_CARGO_COMMAND         `cmake -E env ... cargo` with the environment every cargo
#                              step of this build uses (tests/cpp builds gen_certs with it)
#   MNET_CARGO_BUILD_ARGS      --locked --profile ... [--target ...]
#   MNET_RUST_NATIVE_LIBS      the system libraries a Rust static library needs on the target
#   MNET_CXX_RUNTIME_LIBS      the C++ runtime the archive's cxx glue needs when a C
#                              program links it (what the C++ compiler adds to a
#                              link beyond what the C compiler does: stdc++ or c++)
#   MNET_SO_NAME, MNET_SO_FILE libmnet.so.<major> and libmnet.so.<major.minor.patch>
#
# Configurations map to cargo profiles: Debug builds the `dev` profile, every
# other configuration (Release, RelWithDebInfo, MinSizeRel, none) `release`.
# A generator expression picks the profile, so Ninja Multi-Config and
# `--config Debug` / `--config Release` each link the matching archive.

find_program(MNET_CARGO cargo HINTS "$ENV{CARGO_HOME}/bin" "$ENV{HOME}/.cargo/bin" REQUIRED)
get_filename_component(_mnet_cargo_bin "${MNET_CARGO}" DIRECTORY)
if(DEFINED ENV{RUSTC})
  set(_mnet_rustc_default "$ENV{RUSTC}")
else()
  find_program(_mnet_rustc_found rustc HINTS "${_mnet_cargo_bin}" NO_CACHE REQUIRED)
  set(_mnet_rustc_default "${_mnet_rustc_found}")
endif()
set(MNET_RUSTC "${_mnet_rustc_default}" CACHE FILEPATH "rustc used to ask which system libraries Rust needs (cargo's own)")

set(MNET_RUST_TARGET "" CACHE STRING
    "Rust target triple to build the core for (empty: the host; required when cross-compiling)")
set(MNET_CARGO_TARGET_DIR "${CMAKE_CURRENT_BINARY_DIR}/cargo" CACHE PATH
    "Cargo target directory for the Rust core (must be absolute: cxx-build only trusts an absolute one)")
if(NOT IS_ABSOLUTE "${MNET_CARGO_TARGET_DIR}")
  message(FATAL_ERROR "mnet: MNET_CARGO_TARGET_DIR must be absolute (cxx-build writes its headers only then), "
                      "got '${MNET_CARGO_TARGET_DIR}'")
endif()

# ---- what cannot work, said at configure time ------------------------------
# A cross build needs the Rust triple: CMake's and LLVM's names (aarch64-linux-gnu)
# are not Rust's (aarch64-unknown-linux-gnu), so mnet does not guess. Without it
# the build stops at the cargo step with this sentence, instead of linking an
# archive for the wrong machine.
set(_mnet_unsupported "")
if(CMAKE_CROSSCOMPILING AND NOT MNET_RUST_TARGET)
  set(_mnet_unsupported
      "mnet: cross-compiling for ${CMAKE_SYSTEM_NAME}/${CMAKE_SYSTEM_PROCESSOR}, but MNET_RUST_TARGET is not set: pass -DMNET_RUST_TARGET=<Rust target triple>, e.g. aarch64-unknown-linux-gnu, with its standard library installed (rustup target add <triple>)")
endif()

# ---- the system libraries the archive needs ---------------------------------
# Asked of rustc at configure time, for the target, the way Corrosion does: a
# tiny static library printed with --print native-static-libs. Link libraries
# must be known when CMake generates the build (and writes the installed
# package), before cargo has run; the crate's own dependencies add no system
# library of their own (ring and the cxx glue are compiled into the archive),
# except the C++ standard library that cc-rs names for the glue, which the C++
# link supplies: the one the C++ compiler picks (libstdc++, or libc++ with
# -stdlib=libc++), never a second one.
set(_mnet_target_args "")
if(MNET_RUST_TARGET)
  set(_mnet_target_args --target "${MNET_RUST_TARGET}")
endif()
set(_mnet_probe_dir "${CMAKE_CURRENT_BINARY_DIR}/rust-native-libs")
file(WRITE "${_mnet_probe_dir}/probe.rs" "")
execute_process(
  COMMAND "${MNET_RUSTC}" --crate-type staticlib --crate-name mnet_probe ${_mnet_target_args}
          --print native-static-libs -o "${_mnet_probe_dir}/libmnet_probe.a" "${_mnet_probe_dir}/probe.rs"
  WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
  RESULT_VARIABLE _mnet_probe_status OUTPUT_VARIABLE _mnet_probe_out ERROR_VARIABLE _mnet_probe_out)
string(REGEX MATCH "native-static-libs: ([^\n]*)" _mnet_probe_line "${_mnet_probe_out}")
if(_mnet_probe_status EQUAL 0 AND _mnet_probe_line)
  separate_arguments(MNET_RUST_NATIVE_LIBS UNIX_COMMAND "${CMAKE_MATCH_1}")
  list(REMOVE_DUPLICATES MNET_RUST_NATIVE_LIBS)
else()
  set(MNET_RUST_NATIVE_LIBS "")
  string(STRIP "${_mnet_probe_out}" _mnet_probe_out)
  if(NOT _mnet_unsupported)
    set(_mnet_unsupported
        "mnet: ${MNET_RUSTC} cannot build a static library for ${MNET_RUST_TARGET} (is its standard library installed? rustup target add ${MNET_RUST_TARGET}): ${_mnet_probe_out}")
  endif()
endif()

# ---- the C++ runtime of the glue, for C programs --------------------------------
# The archive holds the cxx glue, compiled C++: a program linked by the C
# compiler (a C program using the C API) needs the C++ standard library the
# C++ compiler links by itself. What CMake's C++ link adds beyond a C link is
# exactly that (libstdc++ and libm with g++; libc++ with -stdlib=libc++).
set(MNET_CXX_RUNTIME_LIBS "")
foreach(_mnet_lib IN LISTS CMAKE_CXX_IMPLICIT_LINK_LIBRARIES)
  if(NOT _mnet_lib IN_LIST CMAKE_C_IMPLICIT_LINK_LIBRARIES AND NOT _mnet_lib IN_LIST MNET_CXX_RUNTIME_LIBS)
    list(APPEND MNET_CXX_RUNTIME_LIBS "${_mnet_lib}")
  endif()
endforeach()

# ---- the same C++ for the glue as for the face -------------------------------
# cc-rs compiles the cxx glue (the crate `cxx` and this crate's bridge) inside
# cargo; it gets CMake's C++ compiler, its flags and its target, so the glue
# and the C++ face agree on the ABI (-stdlib=libc++, -m32, --target, a sysroot).
# Per-configuration flags are not passed: cc-rs sets optimisation from the
# cargo profile, and one release archive serves every non-Debug configuration.
set(_mnet_cxxflags "${CMAKE_CXX_FLAGS}")
if(CMAKE_CXX_COMPILER_TARGET)
  string(APPEND _mnet_cxxflags " --target=${CMAKE_CXX_COMPILER_TARGET}")
endif()
if(CMAKE_SYSROOT)
  string(APPEND _mnet_cxxflags " --sysroot=${CMAKE_SYSROOT}")
endif()
string(STRIP "${_mnet_cxxflags}" _mnet_cxxflags)
if(MNET_RUST_TARGET)
  # cc-rs reads CXX_<triple> first: host-side C++ (none today) keeps the defaults.
  string(REPLACE "-" "_" _mnet_cc_suffix "_${MNET_RUST_TARGET}")
else()
  set(_mnet_cc_suffix "")
endif()
# CMAKE_CXX_FLAGS is a shell-quoted string (a quoted -DNAME="a b" is one
# flag): CC_SHELL_ESCAPED_FLAGS makes cc-rs split it the same way.
set(MNET_CARGO_COMMAND "${CMAKE_COMMAND}" -E env
    "CARGO_TARGET_DIR=${MNET_CARGO_TARGET_DIR}"
    "CC_SHELL_ESCAPED_FLAGS=1"
    "CXX${_mnet_cc_suffix}=${CMAKE_CXX_COMPILER}"
    "CXXFLAGS${_mnet_cc_suffix}=${_mnet_cxxflags}"
    "${MNET_CARGO}")
if(_mnet_cxxflags MATCHES "-stdlib=libc\\+\\+")
  # cc-rs would name libstdc++ for the glue otherwise (it is not on the link
  # line from CMake, but cargo's own links, e.g. cargo test, use it).
  list(INSERT MNET_CARGO_COMMAND 3 "CXXSTDLIB=c++")
endif()

set(_mnet_profile "$<IF:$<CONFIG:Debug>,dev,release>")
set(_mnet_profile_dir "$<IF:$<CONFIG:Debug>,debug,release>")
set(_mnet_triple_dir "")
if(MNET_RUST_TARGET)
  set(_mnet_triple_dir "${MNET_RUST_TARGET}/")
endif()
set(MNET_CARGO_BUILD_ARGS --locked --profile "${_mnet_profile}" ${_mnet_target_args})
set(MNET_CARGO_OUT "${MNET_CARGO_TARGET_DIR}/${_mnet_triple_dir}${_mnet_profile_dir}")
set(MNET_BRIDGE_INCLUDE "${MNET_CARGO_TARGET_DIR}/cxxbridge")

if(_mnet_unsupported)
  message(WARNING "${_mnet_unsupported}")
  set(_mnet_cargo_build
      COMMAND "${CMAKE_COMMAND}" -E echo "${_mnet_unsupported}"
      COMMAND "${CMAKE_COMMAND}" -E false)
else()
  set(_mnet_cargo_build
      COMMAND ${MNET_CARGO_COMMAND} build --lib ${MNET_CARGO_BUILD_ARGS}
              --manifest-path "${CMAKE_CURRENT_SOURCE_DIR}/Cargo.toml")
endif()
if(MNET_RUST_TARGET)
  set(_mnet_for "${MNET_RUST_TARGET}")
else()
  set(_mnet_for "the host")
endif()
list(JOIN MNET_RUST_NATIVE_LIBS " " _mnet_native_libs_text)
message(STATUS "mnet: Rust core for ${_mnet_for} with ${MNET_CARGO}; "
               "system libraries: ${_mnet_native_libs_text}; C++ glue: ${CMAKE_CXX_COMPILER} ${_mnet_cxxflags}")

file(GLOB_RECURSE _mnet_rs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/src/*.rs")
set(MNET_RUST_SOURCES ${_mnet_rs} "${CMAKE_CURRENT_SOURCE_DIR}/Cargo.toml"
    "${CMAKE_CURRENT_SOURCE_DIR}/Cargo.lock" "${CMAKE_CURRENT_SOURCE_DIR}/build.rs")
# libmnet.so: cargo writes it without a version in its name; the copy beside
# its soname's link is what the build tree's programs load and what is
# installed (0.x: the soname's major is 0).
set(MNET_SO_NAME "libmnet.so.${PROJECT_VERSION_MAJOR}")
set(MNET_SO_FILE "libmnet.so.${PROJECT_VERSION}")
set(MNET_SO_DIR "${CMAKE_CURRENT_BINARY_DIR}/cdylib/${_mnet_profile_dir}")
set(MNET_BRIDGE_SOURCES "${MNET_BRIDGE_INCLUDE}/mnet/src/ffi/mod.rs.cc" "${CMAKE_CURRENT_BINARY_DIR}/cxx_runtime/cxx.cc")
add_custom_command(
  OUTPUT "${MNET_CARGO_OUT}/libmnet.a" "${MNET_CARGO_OUT}/libmnet.so" "${MNET_BRIDGE_INCLUDE}/mnet/src/ffi/mod.rs.h"
         "${MNET_SO_DIR}/${MNET_SO_FILE}" "${MNET_SO_DIR}/${MNET_SO_NAME}" "${MNET_SO_DIR}/libmnet.so"
  BYPRODUCTS ${MNET_BRIDGE_SOURCES}
  ${_mnet_cargo_build}
  COMMAND "${CMAKE_COMMAND}" "-DCXX_H=${MNET_BRIDGE_INCLUDE}/rust/cxx.h"
          "-DOUT=${CMAKE_CURRENT_BINARY_DIR}/cxx_runtime/cxx.cc" -P "${CMAKE_CURRENT_LIST_DIR}/cxx_runtime_source.cmake"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${MNET_SO_DIR}"
  COMMAND "${CMAKE_COMMAND}" -E copy "${MNET_CARGO_OUT}/libmnet.so" "${MNET_SO_DIR}/${MNET_SO_FILE}"
  COMMAND "${CMAKE_COMMAND}" -E create_symlink "${MNET_SO_FILE}" "${MNET_SO_DIR}/${MNET_SO_NAME}"
  COMMAND "${CMAKE_COMMAND}" -E create_symlink "${MNET_SO_NAME}" "${MNET_SO_DIR}/libmnet.so"
  DEPENDS ${MNET_RUST_SOURCES}
  WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
  COMMENT "cargo build of the mnet Rust core"
  USES_TERMINAL VERBATIM)
add_custom_target(mnet_cargo DEPENDS "${MNET_CARGO_OUT}/libmnet.a" "${MNET_SO_DIR}/${MNET_SO_FILE}")

# IMPORTED_LOCATION takes no generator expression: one location per
# configuration this build knows, by the same rule as MNET_CARGO_OUT, and
# release for any other.
add_library(mnet_rust STATIC IMPORTED)
add_library(mnet_rust_shared SHARED IMPORTED)
set_target_properties(mnet_rust PROPERTIES
  IMPORTED_LOCATION "${MNET_CARGO_TARGET_DIR}/${_mnet_triple_dir}release/libmnet.a")
set_property(TARGET mnet_rust PROPERTY INTERFACE_LINK_LIBRARIES ${MNET_RUST_NATIVE_LIBS} ${MNET_CXX_RUNTIME_LIBS})
set_target_properties(mnet_rust_shared PROPERTIES
  IMPORTED_LOCATION "${CMAKE_CURRENT_BINARY_DIR}/cdylib/release/${MNET_SO_FILE}"
  IMPORTED_SONAME "${MNET_SO_NAME}")
foreach(_mnet_config IN LISTS CMAKE_CONFIGURATION_TYPES CMAKE_BUILD_TYPE)
  string(TOUPPER "${_mnet_config}" _mnet_config_upper)
  set(_mnet_dir release)
  if(_mnet_config_upper STREQUAL "DEBUG")
    set(_mnet_dir debug)
  endif()
  set_target_properties(mnet_rust PROPERTIES
    IMPORTED_LOCATION_${_mnet_config_upper} "${MNET_CARGO_TARGET_DIR}/${_mnet_triple_dir}${_mnet_dir}/libmnet.a")
  set_target_properties(mnet_rust_shared PROPERTIES
    IMPORTED_LOCATION_${_mnet_config_upper} "${CMAKE_CURRENT_BINARY_DIR}/cdylib/${_mnet_dir}/${MNET_SO_FILE}"
    IMPORTED_SONAME_${_mnet_config_upper} "${MNET_SO_NAME}")
endforeach()
add_dependencies(mnet_rust mnet_cargo)
add_dependencies(mnet_rust_shared mnet_cargo)
