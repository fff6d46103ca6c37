// Generates the C++ side of the bridge (src/ffi/mod.rs) and compiles it into this
// crate's static library, so C++ users link one Rust archive that holds both.
// The hand-written C++ face (cpp/*.cc) is compiled by CMake, with the user's
// flags and sanitizers; it only calls into this archive, never the reverse.
//
// cc-rs takes the compiler and flags from the environment: under CMake,
// cmake/rust_core.cmake sets CXX and CXXFLAGS (CXX_<triple>/CXXFLAGS_<triple>
// when cross-compiling) to CMake's C++ compiler and flags, so this glue and
// the C++ face share one ABI (-stdlib=libc++, --target, a sysroot). cc-rs
// prints rerun-if-env-changed for every variable it reads.
fn main() {
    cxx_build::bridge("src/ffi/mod.rs")
        .std("c++17")
        .flag_if_supported("-Wno-unused-parameter")
        .compile("mnet-bridge");
    println!("cargo:rerun-if-changed=src/ffi/mod.rs");
    // libmnet.so, the C API (src/capi/) as a shared library, with the soname
    // CMake installs it under: libmnet.so.<major> (a link to
    // libmnet.so.<version>). rustc exports only the #[no_mangle] functions:
    // the C API (mnet_*), and the bridge's entry points (mnet$cxxbridge1$*,
    // cxxbridge1$*) that a shared C++ face (libmnet_cxx.so) of the same
    // version calls.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmnet.so.{}", env!("CARGO_PKG_VERSION_MAJOR"));
}
