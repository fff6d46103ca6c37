// Builds a C shim over examples/request_counter.hpp, the scan chann_web
// uses, so the fuzzer tests the very code the server runs.
fn main() {
    cc::Build::new()
        .cpp(true)
        .file("shim/request_counter_shim.cc")
        .include("../examples")
        .flag_if_supported("-std=c++11")
        .compile("request_counter_shim");
    println!("cargo:rerun-if-changed=shim/request_counter_shim.cc");
    println!("cargo:rerun-if-changed=../examples/request_counter.hpp");
}
