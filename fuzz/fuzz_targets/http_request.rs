//! HTTP request heads and body framing: never a panic; refusals carry one
//! of the documented statuses; a body read whole and read in pieces gives
//! the same bytes and the same end (mnet::http::fuzz_request checks them).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    mnet::http::fuzz_request(rest, usize::from(split % 17) + 1);
});
