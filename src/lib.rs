//! # mnet: event-driven TCP, UDP and timers on one thread
//!
//! mnet re-creates the C library m_net on a Rust reactor built on
//! [mio](https://docs.rs/mio): channels (TCP listeners and connections, UDP
//! sockets), one repeating timer per channel, buffered sends and a pull-style
//! event loop. The same engine serves C++ through `include/mnet/mnet.hpp`
//! (`mnet::Chann`, `mnet::ChannDispatcher`), compatible with m_net's C++
//! wrapper.
//!
//! ## The model
//!
//! A [`Reactor`] owns channels, named by [`Handle`]s. The program calls
//! [`Reactor::poll`], which waits for readiness and queues messages, then
//! drains them with [`Reactor::next`], acting on each [`Msg`] by calling
//! back into the reactor (`recv`, `send`, `close`, ...). The reactor never
//! calls user code, so there is no re-entrancy to reason about: a handler
//! may close any channel, and messages already queued for it are dropped.
//!
//! ```no_run
//! use mnet::{Event, Kind, Reactor};
//!
//! let mut r = Reactor::new()?;
//! let srv = r.open(Kind::Stream);
//! r.listen(srv, "127.0.0.1:8090", 128)?;
//! let mut buf = [0u8; 4096];
//! loop {
//!     r.poll(1000)?;
//!     while let Some(m) = r.next() {
//!         match m.event {
//!             Event::Recv => {
//!                 let n = r.recv(m.chann, &mut buf).unwrap_or(0);
//!                 let _ = r.send(m.chann, &buf[..n]); // echo
//!             }
//!             Event::Disconnect => r.close(m.chann)?,
//!             _ => {}
//!         }
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Event rules
//!
//! * **TIMER** comes first in a round, at most once per channel; the wait is
//!   cut short for the nearest deadline.
//! * **ACCEPT** is raised on the listener for every connection in the listen
//!   queue, with the new, connected channel in [`Msg::accepted`].
//! * **CONNECTED** once per successful connect; a failed connect gives one
//!   **DISCONNECT** with the errno instead.
//! * **RECV** is level-style: raised once per round while unread data
//!   remains. Data that arrived before the peer's FIN is always delivered
//!   before the DISCONNECT.
//! * **SEND**, when turned on, once per round while the send queue is empty
//!   and the socket writable.
//! * **DISCONNECT** once per connection lost to an outside cause, with an
//!   errno (0 for a clean end of stream); never for the program's own
//!   `disconnect` or `close`. The channel stays open and may connect again.
//!
//! * **RESOLVED** once per [`Reactor::lookup`], with the addresses in
//!   [`Reactor::lookup_result`] or an err ([`DNS_NOT_FOUND`],
//!   [`DNS_TIMED_OUT`], [`DNS_FAILED`]).
//!
//! ## Beyond channels
//!
//! * **Host names never block**: [`Reactor::connect`] and
//!   [`Reactor::lookup`] read the hosts file, then ask DNS over UDP channels
//!   of the reactor itself ([`ResolverConfig`]); the blocking [`resolve`]
//!   stays for explicit use.
//! * **More cores**: one `Reactor` per thread (or process), each with a
//!   listener that has [`Reactor::set_reuse_port`]; the kernel spreads the
//!   connections.
//! * **Multicast**: [`Reactor::join_multicast_v4`] and the sender options;
//!   [`Kind::Broadcast`] for broadcast.
//! * **Stats**: [`Reactor::stats`] lists every channel with its addresses and
//!   byte counts.
//! * **Logging**: through the `log` crate; install any logger.
//!
//! ## Sockets
//!
//! Every socket is non-blocking and close-on-exec; TCP has TCP_NODELAY on;
//! listeners have SO_REUSEADDR; stream writes use MSG_NOSIGNAL, so no
//! SIGPIPE is raised and the process's signal handlers are left alone;
//! kernel buffer sizes are left to auto-tuning unless
//! [`Reactor::set_bufsize`] is called.
#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]

mod capi;
mod core;
pub mod http;
mod error;
mod ffi;
mod local;
mod logging;
mod net;
mod tls;
pub mod ws;

/// The reactor's deadline structures, for `bench/rust`'s `deadline_bench`
/// (feature `internals`); not part of the API.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::core::timer::{Entry, TimerSlot, Timers};
    pub use crate::core::wheel::{Deadline, Entry as WheelEntry, Wheel, TICK_US};
}
pub use self::core::chann::{Kind, State};
pub use self::core::event::{Event, Msg};
pub use self::core::handle::Handle;
pub use self::core::ops::Direction;
pub use self::core::reactor::{AcceptGate, GatePhase, Reactor};
pub use self::core::stats::{ChannStats, Stats};
pub use self::core::timer::now_micros;
pub use self::core::tls::{DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_HANDSHAKES, TLS_PROTOCOL_ERROR, TLS_TRUNCATED};
pub use error::{Error, Result};
pub use net::addr::{format_addr, parse_addr, resolve, MAX_ADDR_LEN};
pub use net::dns::{DNS_FAILED, DNS_NOT_FOUND, DNS_TIMED_OUT};
pub use net::resolv_conf::ResolverConfig;
pub use tls::{TlsConfig, TlsConfigBuilder};

/// The library version as an integer: `major * 10000 + minor * 100 + patch`.
pub fn version() -> i32 {
    const fn num(s: &str) -> i32 {
        let b = s.as_bytes();
        let mut i = 0;
        let mut v = 0;
        while i < b.len() {
            v = v * 10 + (b[i] - b'0') as i32;
            i += 1;
        }
        v
    }
    num(env!("CARGO_PKG_VERSION_MAJOR")) * 10000
        + num(env!("CARGO_PKG_VERSION_MINOR")) * 100
        + num(env!("CARGO_PKG_VERSION_PATCH"))
}
