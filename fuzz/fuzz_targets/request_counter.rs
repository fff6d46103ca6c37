//! chann_web's end-of-request scan: fed the stream in pieces of any size,
//! it counts exactly the "\r\n\r\n" of the whole stream (left to right,
//! non-overlapping), whatever the split. Input: 8 bytes that choose the
//! piece sizes (0-16, cycling), then the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

extern "C" {
    fn mnet_fuzz_count_requests(data: *const u8, len: i32, cuts: *const i32, ncuts: i32) -> i32;
}

fuzz_target!(|input: &[u8]| {
    if input.len() < 8 || input.len() > 1 << 20 {
        return;
    }
    let (sizes, data) = input.split_at(8);
    // Piece sizes cycle through the 8 seed bytes; a size of 0 is an empty
    // read. Bounded even when every size is 0.
    let mut cuts = Vec::new();
    let mut at = 0usize;
    for i in 0..data.len() + 64 {
        at += (sizes[i % 8] % 17) as usize;
        if at >= data.len() {
            break;
        }
        cuts.push(at as i32);
    }
    let expected = {
        let (mut n, mut i) = (0, 0);
        while i + 4 <= data.len() {
            if &data[i..i + 4] == b"\r\n\r\n" {
                n += 1;
                i += 4;
            } else {
                i += 1;
            }
        }
        n
    };
    // SAFETY: pointers and lengths describe live vectors; the shim reads only.
    let got = unsafe { mnet_fuzz_count_requests(data.as_ptr(), data.len() as i32, cuts.as_ptr(), cuts.len() as i32) };
    assert_eq!(got, expected, "pieces at {cuts:?}");
});
