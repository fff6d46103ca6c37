// Generates the C++ side of the bridge (src/ffi/mod.rs) and compiles it into this
// crate's static library, so C++ users link one Rust archive that holds both.
// The hand-written C++ face (cpp/*.cc) is compiled by CMake, with the user's
// flags and sanitizers; it only calls into this archive, never the reverse.
fn main() {
    cxx_build::bridge("src/ffi/mod.rs")
        .std("c++17")
        .flag_if_supported("-Wno-unused-parameter")
        .compile("mnet-bridge");
    println!("cargo:rerun-if-changed=src/ffi/mod.rs");
    println!("cargo:rerun-if-env-changed=CXX");
    println!("cargo:rerun-if-env-changed=CXXFLAGS");
}
