//! WebSocket frames as a server reads them, with and without
//! permessage-deflate: never a panic; failures carry 1002, 1007 or 1009;
//! the bytes read whole and read in pieces give the same messages and the
//! same failure; text is UTF-8 and nothing passes the limits
//! (mnet::ws::fuzz_frames checks them).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    mnet::ws::fuzz_frames(rest, usize::from(first % 31) + 1, first & 0x80 != 0);
});
