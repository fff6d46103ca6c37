//! The engine: the reactor round, channels, events, handles, timers, send
//! queues and flow control.

pub(crate) mod chann;
pub(crate) mod event;
pub(crate) mod flow;
pub(crate) mod handle;
pub(crate) mod ops;
pub(crate) mod reactor;
pub(crate) mod sendq;
pub(crate) mod sockopt;
pub(crate) mod stats;
pub(crate) mod timer;
pub(crate) mod tls;
