//! WebSocket (RFC 6455) with permessage-deflate (RFC 7692), server and
//! client, on the program's reactor and loop.
//!
//! One [`Endpoint`] holds WebSocket connections of both kinds: those the
//! program accepts from its [`http::Server`](crate::http::Server) (the
//! upgrade is a route like any other) and those it opens to `ws://` and
//! `wss://` URLs. As with HTTP, the program hands every message to
//! [`Endpoint::handle`], which keeps its own, and takes the endpoint's
//! events with [`Endpoint::next_event`]:
//!
//! ```no_run
//! use mnet::http::{self, Limits};
//! use mnet::ws::{Endpoint, Event, Options};
//! use mnet::Reactor;
//!
//! let mut r = Reactor::new()?;
//! let mut web = http::Server::new(Limits::default());
//! let chat = web.route(Some("GET"), "/chat")?;
//! web.listen(&mut r, "127.0.0.1:9001")?;
//! let mut ws = Endpoint::new(Options::default());
//! loop {
//!     r.poll(1000)?;
//!     while let Some(m) = r.next() {
//!         if let Some(m) = ws.handle(&mut r, m) {
//!             web.handle(&mut r, m);
//!         }
//!         while let Some(http::Event::Request(id)) = web.next_event() {
//!             if web.request(id).map(|q| q.route()) == Some(chat) {
//!                 // The upgrade hook: refuse (answer over HTTP), or accept
//!                 // with one of the subprotocols offered.
//!                 let _ = ws.accept(&mut r, &mut web, id, None);
//!             } else {
//!                 let _ = web.respond_bytes(&mut r, id, 404, "text/plain", b"not found\n");
//!             }
//!         }
//!         while let Some(ev) = ws.next_event() {
//!             if let Event::Message { id, text, data } = ev {
//!                 let _ = ws.send(&mut r, id, text, &data); // echo
//!             }
//!         }
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The protocol is complete and strict: frames are masked by clients and
//! only by them; control frames may come between the fragments of a
//! message; text is checked as UTF-8 as it arrives (a bad byte fails the
//! connection with 1007 at once, even split across fragments); reserved
//! bits and opcodes, a bad fragment order, a close with a one-byte body or
//! an invalid code fail it with 1002; frames and messages past the limits
//! of [`Options`] with 1009 (compressed messages are limited once
//! decompressed). Close codes 1005, 1006 and 1015 never go on the wire.
//!
//! Every connection ends with exactly one [`Event::Close`]; see there for
//! which code it carries.

mod accept;
mod codec;
mod conn;
mod connect;
mod deflate;
mod endpoint;
mod frame;
mod handshake;
mod utf8;

pub use accept::offered_protocols;
pub use deflate::DeflateOptions;
pub use endpoint::Endpoint;

use crate::Handle;

/// Limits, timeouts and extensions of an [`Endpoint`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Bytes of one frame's payload from the peer (1009 past it).
    pub max_frame: u64,
    /// Bytes of one message from the peer, after decompression (1009).
    pub max_message: usize,
    /// Bytes queued for sending on a connection past which sends are
    /// refused ([`Error::QueueFull`](crate::Error::QueueFull)) and reading
    /// from that connection pauses, until the queue empties
    /// ([`Event::Drain`]). A send is refused only when the queue is already
    /// this full, so one message of any size fits; and a round reads no
    /// more than the queue has room for, so a program that answers each
    /// message with one no larger (an echo) is never refused.
    pub max_queue: usize,
    /// Split outgoing messages into frames of at most this many bytes (0:
    /// one frame per message).
    pub fragment_size: usize,
    /// Send a ping when nothing came from the peer for this long, in ms
    /// (0: no keep-alive pings).
    pub ping_interval_ms: u64,
    /// Drop the connection (close code 1006) when a keep-alive ping gets
    /// no pong within this time, in ms.
    pub pong_timeout_ms: u64,
    /// Close the connection (1001) when no message went either way for
    /// this long, in ms (0: never).
    pub idle_timeout_ms: u64,
    /// Time the closing handshake and the end of TCP may take, in ms;
    /// then the connection is dropped.
    pub close_timeout_ms: u64,
    /// Time a client connection may take to open (DNS, TCP, TLS and the
    /// 101 answer), in ms.
    pub handshake_timeout_ms: u64,
    /// permessage-deflate.
    pub deflate: DeflateOptions,
}

impl Default for Options {
    /// 16 MiB frames and messages, a 1 MiB send queue, no fragmentation,
    /// no keep-alive pings (pong timeout 10 s when turned on), no idle
    /// timeout, 5 s to close, 10 s to open, permessage-deflate offered and
    /// accepted ([`DeflateOptions::default`]).
    fn default() -> Options {
        Options {
            max_frame: 16 << 20,
            max_message: 16 << 20,
            max_queue: 1 << 20,
            fragment_size: 0,
            ping_interval_ms: 0,
            pong_timeout_ms: 10_000,
            idle_timeout_ms: 0,
            close_timeout_ms: 5_000,
            handshake_timeout_ms: 10_000,
            deflate: DeflateOptions::default(),
        }
    }
}

/// What an [`Endpoint`] has for the program. Connections are named by
/// their channel's [`Handle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The connection is open: accepted (at [`Endpoint::accept`]) or, for
    /// a client, the server's 101 answer checked.
    Open(Handle),
    /// A whole message; `text` ones are valid UTF-8.
    Message {
        /// The connection.
        id: Handle,
        /// A text message (else binary).
        text: bool,
        /// The payload, reassembled and decompressed.
        data: Vec<u8>,
    },
    /// A ping arrived (the pong was already sent).
    Ping(Handle, Vec<u8>),
    /// A pong arrived.
    Pong(Handle, Vec<u8>),
    /// The send queue emptied after a send was refused or reading paused
    /// for a full queue: the program may send again.
    Drain(Handle),
    /// The connection is gone; the last event for it. `code` and `reason`
    /// are those of the close frame that began the closing handshake
    /// (the peer's, 1005 when it gave no code; or this side's: the
    /// program's [`Endpoint::close`], or the failure mnet detected, e.g.
    /// 1002 with what was wrong), or 1006 when the connection ended
    /// without one (lost, no pong, or a client connection that never
    /// opened, with the reason).
    Close {
        /// The connection.
        id: Handle,
        /// The close code.
        code: u16,
        /// The reason.
        reason: String,
    },
}

/// Whether `code` may be sent in a close frame: 1000-1003, 1007-1014 and
/// 3000-4999 (1005, 1006 and 1015 are for reports only).
pub fn is_valid_close_code(code: u16) -> bool {
    codec::valid_close_code(code)
}

/// For the fuzz target (`fuzz/fuzz_targets/ws_frames.rs`), not an API:
/// reads `data` as frames from a client, with permessage-deflate agreed
/// when `deflate`, whole and again in pieces of `split` bytes, and checks
/// that both readings agree and stay within the limits. Panics on a broken
/// invariant.
#[doc(hidden)]
pub fn fuzz_frames(data: &[u8], split: usize, deflate: bool) {
    use codec::{Incoming, Limits, Reader, Role};
    const LIMITS: Limits = Limits {
        max_frame: 4096,
        max_message: 8192,
    };
    // A 15-bit window: with a smaller one, zlib checks a distance against
    // the window plus what the same call wrote, so a stream reaching past
    // the agreed window (a peer's fault) fails or not with how the bytes
    // are cut. No deflate distance reaches past 15 bits.
    let params = deflate.then_some(deflate::Params {
        own_bits: 15,
        own_reset: false,
        peer_bits: 15,
        peer_reset: false,
    });
    let read = |pieces: &mut dyn Iterator<Item = &[u8]>| {
        let mut r = Reader::new(Role::Server, LIMITS);
        let mut d = params.map(|p| deflate::State::new(p, 1));
        let mut shared = deflate::Shared::default();
        let mut got = Vec::new();
        for piece in pieces {
            let mut piece = piece.to_vec();
            if let Err(f) = r.read(&mut piece, d.as_mut(), &mut shared, &mut |i| got.push(i)) {
                assert!([1002, 1007, 1009].contains(&f.code), "{f:?}");
                return (got, Some(f.code));
            }
        }
        (got, None)
    };
    let whole = read(&mut std::iter::once(data));
    let pieces = read(&mut data.chunks(split.max(1)));
    assert_eq!(whole.0, pieces.0, "the same events however the bytes come");
    // Both fail or neither; which code can depend on the cut when a
    // compressed message is both too long and corrupt (the limit is met
    // between pieces, the corruption within one call to zlib).
    assert_eq!(whole.1.is_some(), pieces.1.is_some(), "the same end however the bytes come: {:?} {:?}", whole.1, pieces.1);
    if !deflate {
        assert_eq!(whole.1, pieces.1);
    }
    for i in &whole.0 {
        match i {
            Incoming::Message { text, data } => {
                assert!(data.len() <= LIMITS.max_message);
                assert!(!text || std::str::from_utf8(data).is_ok(), "text is UTF-8");
            }
            Incoming::Ping(p) | Incoming::Pong(p) => assert!(p.len() <= 125),
            Incoming::Close { code, reason } => {
                assert!(*code == 1005 || codec::valid_close_code(*code));
                assert!(reason.len() <= 123);
            }
        }
    }
}
