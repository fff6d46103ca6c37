//! WebSocket (RFC 6455) with permessage-deflate (RFC 7692): the protocol
//! without I/O. The endpoint that runs it on the reactor comes next.
// The endpoint (next commit) is what uses the codec outside its tests.
#![allow(dead_code)]

mod codec;
mod deflate;
mod frame;
mod handshake;
mod utf8;

pub use deflate::DeflateOptions;

/// Whether `code` may be sent in a close frame: 1000-1003, 1007-1014 and
/// 3000-4999 (1005, 1006 and 1015 are for reports only).
pub fn is_valid_close_code(code: u16) -> bool {
    codec::valid_close_code(code)
}
