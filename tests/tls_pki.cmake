# The throw-away PKIs of the TLS tests (C++ test_tls_* and C test_tls_*),
# made when the tests run, never committed: the gen_certs cargo example
# (rcgen) writes ca.crt, server.crt and server.key (for localhost, 127.0.0.1
# and ::1) into a directory. Two fixture tests run it before any TLS test:
# MNET_TLS_PKI, the PKI every TLS test gets as its first argument, and
# MNET_TLS_PKI_UNRELATED (another CA), the second, for the unknown-CA check.
# A TLS test declares FIXTURES_REQUIRED mnet_tls_pki.
set(_mnet_gen_certs "${MNET_CARGO_OUT}/examples/gen_certs")
add_custom_command(
  OUTPUT "${_mnet_gen_certs}"
  COMMAND ${MNET_CARGO_COMMAND} build --example gen_certs ${MNET_CARGO_BUILD_ARGS}
          --manifest-path "${mnet_SOURCE_DIR}/Cargo.toml"
  DEPENDS ${MNET_RUST_SOURCES} "${mnet_SOURCE_DIR}/examples/gen_certs.rs"
  WORKING_DIRECTORY "${mnet_SOURCE_DIR}"
  COMMENT "cargo build of the gen_certs example"
  USES_TERMINAL VERBATIM)
add_custom_target(mnet_gen_certs ALL DEPENDS "${_mnet_gen_certs}")
add_dependencies(mnet_gen_certs mnet_cargo)  # one cargo at a time on the shared target dir

set(MNET_TLS_PKI "${CMAKE_CURRENT_BINARY_DIR}/tests/tls_pki")
set(MNET_TLS_PKI_UNRELATED "${CMAKE_CURRENT_BINARY_DIR}/tests/tls_pki_unrelated")
add_test(NAME tls_pki COMMAND "${_mnet_gen_certs}" "${MNET_TLS_PKI}")
add_test(NAME tls_pki_unrelated COMMAND "${_mnet_gen_certs}" "${MNET_TLS_PKI_UNRELATED}")
set_tests_properties(tls_pki tls_pki_unrelated PROPERTIES FIXTURES_SETUP mnet_tls_pki TIMEOUT 60)
