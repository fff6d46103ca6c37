//! The engine: the reactor round, channels (one state machine each:
//! socket, TLS session, send queue), events and their rules, handles,
//! timers and deadlines, flow control, and the reactor's side of DNS and TLS.
//! It builds on `net/` (addresses, sockets, DNS messages) and `tls/`
//! (rustls configuration and sessions), never the other way round.

mod accept;
pub(crate) mod chann;
mod connect;
mod deadlines;
pub(crate) mod event;
mod flow;
pub(crate) mod handle;
pub(crate) mod ops;
pub(crate) mod reactor;
pub(crate) mod resolve;
mod rules;
pub(crate) mod sendq;
mod sockopt;
pub(crate) mod stats;
pub(crate) mod timer;
pub(crate) mod tls;
pub(crate) mod wheel;
#[cfg(test)]
mod tests;
