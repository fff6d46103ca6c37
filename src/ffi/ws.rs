//! The WebSocket layer for the C++ face (`include/mnet/ws.hpp`): endpoints
//! of this thread in a registry (ffi/objects.rs), under the number the C++
//! object carries.
//!
//! `next` (mod.rs) offers each message to the registry after the HTTP
//! objects, and hands out the endpoints' events as messages with the event
//! numbers below, `chann` the connection's handle, `accepted` the
//! endpoint's number and `opaque` the C++ object; the event's data (a
//! message, a ping's payload, a close's code and reason) waits here until
//! the C++ face takes it ([`ws_take`]).

use std::collections::HashMap;

use super::bridge::{HttpHeader, WsEventData, WsOptions};
use super::objects::{self, FaceMsg, Layer, Local};
use super::{guard, len_i64, text};
use crate::local::{with, Failure, Outcome};
use crate::ws::{DeflateOptions, Endpoint, Event, Options};
use crate::{tls, Error, Handle, Msg, Reactor};

/// Event numbers of the messages `next` hands the C++ face for WebSocket.
pub(crate) const EV_OPEN: i32 = 121;
pub(crate) const EV_MESSAGE: i32 = 122;
pub(crate) const EV_PING: i32 = 123;
pub(crate) const EV_PONG: i32 = 124;
pub(crate) const EV_DRAIN: i32 = 125;
pub(crate) const EV_CLOSE: i32 = 126;

#[derive(Default)]
pub(super) struct Registry {
    endpoints: HashMap<u64, (Endpoint, u64)>,
    /// The event handed out last, until the C++ face takes it.
    taken: Option<(u64, Event)>,
}

impl Layer for Registry {
    const REENTERED: &'static str = "mnet WebSocket called re-entrantly on this thread";

    fn offer(&mut self, r: &mut Reactor, mut m: Msg) -> Option<Msg> {
        for (ep, _) in self.endpoints.values_mut() {
            m = ep.handle(r, m)?;
        }
        Some(m)
    }

    fn event(&mut self) -> Option<FaceMsg> {
        let (id, opaque, ev) = self
            .endpoints
            .iter_mut()
            .find_map(|(&id, (ep, opaque))| ep.next_event().map(|ev| (id, *opaque, ev)))?;
        let (code, conn) = match &ev {
            Event::Open(h) => (EV_OPEN, *h),
            Event::Message { id, .. } => (EV_MESSAGE, *id),
            Event::Ping(h, _) => (EV_PING, *h),
            Event::Pong(h, _) => (EV_PONG, *h),
            Event::Drain(h) => (EV_DRAIN, *h),
            Event::Close { id, .. } => (EV_CLOSE, *id),
        };
        self.taken = Some((id, ev));
        Some((code, conn.to_raw(), id, opaque))
    }
}

thread_local! {
    pub(super) static REG: Local<Registry> = Local::new();
}

const NO_ENDPOINT: &str = "no such WebSocket endpoint on this thread (deleted, or made on another thread)";

fn reg<T>(f: impl FnOnce(&mut Registry) -> Outcome<T>) -> Outcome<T> {
    objects::registry(&REG, f)
}

/// Runs `f` with endpoint `id` and the reactor.
fn endpoint<T>(id: u64, f: impl FnOnce(&mut Endpoint, &mut Reactor) -> crate::Result<T>) -> Outcome<T> {
    reg(|reg| {
        let (ep, _) = reg.endpoints.get_mut(&id).ok_or_else(|| Failure(NO_ENDPOINT.into()))?;
        with(|r| f(ep, r))
    })
}

fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn bits(b: u8) -> crate::Result<u8> {
    if (9..=15).contains(&b) {
        Ok(b)
    } else {
        Err(Error::InvalidArgument("deflate window bits are 9 to 15"))
    }
}

pub(crate) fn ws_new(o: &WsOptions, opaque: u64) -> u64 {
    guard(0, || {
        let opts = Options {
            max_frame: o.max_frame,
            max_message: count(o.max_message),
            max_queue: count(o.max_queue),
            fragment_size: count(o.fragment_size),
            ping_interval_ms: o.ping_interval_ms,
            pong_timeout_ms: o.pong_timeout_ms,
            idle_timeout_ms: o.idle_timeout_ms,
            close_timeout_ms: o.close_timeout_ms,
            handshake_timeout_ms: o.handshake_timeout_ms,
            deflate: DeflateOptions {
                enabled: o.deflate,
                level: o.deflate_level.min(9),
                threshold: count(o.deflate_threshold),
                own_no_context_takeover: o.own_no_context_takeover,
                peer_no_context_takeover: o.peer_no_context_takeover,
                own_max_window_bits: bits(o.own_max_window_bits)?,
                peer_max_window_bits: bits(o.peer_max_window_bits)?,
            },
        };
        objects::add(&REG, |reg, id| {
            reg.endpoints.insert(id, (Endpoint::new(opts), opaque));
        })
    })
}

/// Deletes endpoint `id`: its connections close at once, without events.
pub(crate) fn ws_free(id: u64) {
    guard((), || {
        let ep = reg(|reg| {
            if reg.taken.as_ref().is_some_and(|(t, _)| *t == id) {
                reg.taken = None;
            }
            Ok(reg.endpoints.remove(&id))
        })?;
        if let Some((mut ep, _)) = ep {
            let _ = with(|r| {
                ep.abort_all(r);
                Ok(())
            });
        }
        Ok(())
    })
}

pub(crate) fn ws_set_tls(id: u64, tls: u64) -> i32 {
    guard(-1, || {
        let config = tls::settings::config(tls)?;
        endpoint(id, |ep, _| ep.set_tls_config(config).map(|()| 0))
    })
}

/// The subprotocols HTTP request `req` of server `http` offers.
pub(crate) fn ws_offered_protocols(http: u64, req: u64, out: &mut Vec<String>) -> i32 {
    guard(-1, || {
        super::http::with_request(http, req, |q| {
            out.clear();
            out.extend(crate::ws::offered_protocols(q).into_iter().map(str::to_owned));
            Ok(0)
        })
    })
}

/// Accepts request `req` of HTTP server `http` on endpoint `id`; the
/// connection's handle, or 0.
pub(crate) fn ws_accept(id: u64, http: u64, req: u64, protocol: &[u8]) -> u64 {
    guard(0, || {
        let protocol = text(protocol)?;
        let protocol = (!protocol.is_empty()).then_some(protocol);
        reg(|reg| {
            let (ep, _) = reg.endpoints.get_mut(&id).ok_or_else(|| Failure(NO_ENDPOINT.into()))?;
            super::http::with_server(http, |srv, r| {
                ep.accept(r, srv, crate::http::RequestId::from_raw(req), protocol).map(Handle::to_raw)
            })
        })
    })
}

pub(crate) fn ws_connect(id: u64, url: &[u8], protocols: &[String], headers: &[HttpHeader]) -> u64 {
    guard(0, || {
        let url = text(url)?;
        let protocols: Vec<&str> = protocols.iter().map(String::as_str).collect();
        let headers: Vec<(&str, &str)> = headers.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect();
        endpoint(id, |ep, r| ep.connect_with(r, url, &protocols, &headers).map(Handle::to_raw))
    })
}

pub(crate) fn ws_send(id: u64, conn: u64, text: bool, data: &[u8]) -> i32 {
    guard(-1, || endpoint(id, |ep, r| ep.send(r, Handle::from_raw(conn), text, data).map(|()| 0)))
}

pub(crate) fn ws_ping(id: u64, conn: u64, data: &[u8]) -> i32 {
    guard(-1, || endpoint(id, |ep, r| ep.ping(r, Handle::from_raw(conn), data).map(|()| 0)))
}

pub(crate) fn ws_close(id: u64, conn: u64, code: u16, reason: &[u8]) -> i32 {
    guard(-1, || {
        let reason = text(reason)?;
        endpoint(id, |ep, r| ep.close(r, Handle::from_raw(conn), code, reason).map(|()| 0))
    })
}

pub(crate) fn ws_queued(id: u64, conn: u64) -> i64 {
    guard(-1, || endpoint(id, |ep, r| ep.queued(r, Handle::from_raw(conn)).map(len_i64)))
}

pub(crate) fn ws_protocol(id: u64, conn: u64) -> String {
    guard(String::new(), || endpoint(id, |ep, _| Ok(ep.protocol(Handle::from_raw(conn)).unwrap_or("").to_owned())))
}

pub(crate) fn ws_compressed(id: u64, conn: u64) -> bool {
    guard(false, || endpoint(id, |ep, _| Ok(ep.is_compressed(Handle::from_raw(conn)))))
}

pub(crate) fn ws_connections(id: u64) -> i64 {
    guard(-1, || endpoint(id, |ep, _| Ok(len_i64(ep.connections()))))
}

/// The data of the event handed out last (for connection `conn` of
/// endpoint `id`).
pub(crate) fn ws_take(id: u64, conn: u64, out: &mut WsEventData) -> i32 {
    guard(-1, || {
        reg(|reg| {
            let ev = match reg.taken.take() {
                Some((e, ev)) if e == id => ev,
                other => {
                    reg.taken = other;
                    return Err(Error::InvalidArgument("no such WebSocket event to take").into());
                }
            };
            out.text = false;
            out.data.clear();
            out.code = 0;
            out.reason.clear();
            let h = match ev {
                Event::Message { id, text, data } => {
                    (out.text, out.data) = (text, data);
                    id
                }
                Event::Ping(h, data) | Event::Pong(h, data) => {
                    out.data = data;
                    h
                }
                Event::Close { id, code, reason } => {
                    (out.code, out.reason) = (code, reason);
                    id
                }
                Event::Open(h) | Event::Drain(h) => h,
            };
            if h.to_raw() != conn {
                return Err(Error::InvalidArgument("no such WebSocket event to take").into());
            }
            Ok(0)
        })
    })
}
