//! Address strings: never a panic; what parses formats back to the same
//! address; what is refused says why and quotes a bounded input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match mnet::parse_addr(s) {
        Ok(a) => {
            let again = mnet::parse_addr(&mnet::format_addr(&a)).expect("a formatted address parses");
            assert_eq!(again, a);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("invalid address '"), "{msg}");
            assert!(msg.len() < 200, "the message quotes a bounded input: {msg}");
        }
    }
});
