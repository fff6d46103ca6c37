//! The HTTP layer for the C++ face (`include/mnet/http.hpp`): servers and
//! clients of this thread in a registry (ffi/objects.rs), under the number
//! the C++ object carries.
//!
//! `next` (mod.rs) offers each message to the registry first, which keeps
//! those of an HTTP server's or client's channels, and hands out their
//! events before the reactor's next message, as messages with the event
//! numbers below, `opaque` the C++ object, `chann` the request's id and
//! `accepted` the server's or client's number.

use std::collections::HashMap;

use super::bridge::{Addr, HttpClientOptions, HttpHeader, HttpLimits, HttpRequestData, HttpResponseData};
use super::objects::{self, FaceMsg, Layer, Local};
use super::{guard, len_i64, text, to_ffi};
use crate::http::{Client, ClientEvent, ClientOptions, Event, FetchId, Limits, RequestId, Response, RouteId, Server};
use crate::local::{with, Failure, Outcome};
use crate::{tls, Error, Msg, Reactor};

/// Event numbers of the messages `next` hands the C++ face for HTTP.
pub(crate) const EV_REQUEST: i32 = 101;
pub(crate) const EV_DRAIN: i32 = 102;
pub(crate) const EV_ABORTED: i32 = 103;
pub(crate) const EV_BODY: i32 = 104;
pub(crate) const EV_BODY_END: i32 = 105;
pub(crate) const EV_RESPONSE: i32 = 111;
pub(crate) const EV_FAILED: i32 = 112;

#[derive(Default)]
pub(super) struct Registry {
    servers: HashMap<u64, (Server, u64)>,
    clients: HashMap<u64, (Client, u64)>,
    /// The client event handed out last, until the C++ face takes it.
    taken: Option<(u64, ClientEvent)>,
}

impl Layer for Registry {
    const REENTERED: &'static str = "mnet HTTP called re-entrantly on this thread";

    fn offer(&mut self, r: &mut Reactor, mut m: Msg) -> Option<Msg> {
        for (srv, _) in self.servers.values_mut() {
            m = srv.handle(r, m)?;
        }
        for (c, _) in self.clients.values_mut() {
            m = c.handle(r, m)?;
        }
        Some(m)
    }

    fn event(&mut self) -> Option<FaceMsg> {
        for (&id, (srv, opaque)) in self.servers.iter_mut() {
            if let Some(ev) = srv.next_event() {
                let (code, rid) = match ev {
                    Event::Request(q) => (EV_REQUEST, q),
                    Event::Drain(q) => (EV_DRAIN, q),
                    Event::Aborted(q) => (EV_ABORTED, q),
                    Event::Body(q) => (EV_BODY, q),
                    Event::BodyEnd(q) => (EV_BODY_END, q),
                };
                return Some((code, rid.to_raw(), id, *opaque));
            }
        }
        let (id, opaque, ev) = self
            .clients
            .iter_mut()
            .find_map(|(&id, (c, opaque))| c.next_event().map(|ev| (id, *opaque, ev)))?;
        let (code, fid) = match &ev {
            ClientEvent::Response(f, _) => (EV_RESPONSE, *f),
            ClientEvent::Failed(f, _) => (EV_FAILED, *f),
        };
        self.taken = Some((id, ev));
        Some((code, fid.to_raw(), id, opaque))
    }
}

thread_local! {
    pub(super) static REG: Local<Registry> = Local::new();
}

fn reg<T>(f: impl FnOnce(&mut Registry) -> Outcome<T>) -> Outcome<T> {
    objects::registry(&REG, f)
}

const NO_SERVER: &str = "no such HTTP server on this thread (deleted, or made on another thread)";
const NO_CLIENT: &str = "no such HTTP client on this thread (deleted, or made on another thread)";

/// Runs `f` with server `id` and the reactor.
fn server<T>(id: u64, f: impl FnOnce(&mut Server, &mut Reactor) -> crate::Result<T>) -> Outcome<T> {
    reg(|reg| {
        let (srv, _) = reg.servers.get_mut(&id).ok_or_else(|| Failure(NO_SERVER.into()))?;
        with(|r| f(srv, r))
    })
}

/// Runs `f` with server `id` and the reactor (for ffi/ws.rs: an upgrade).
pub(super) fn with_server<T>(id: u64, f: impl FnOnce(&mut Server, &mut Reactor) -> crate::Result<T>) -> Outcome<T> {
    server(id, f)
}

/// Runs `f` with request `req` of server `id` (for ffi/ws.rs).
pub(super) fn with_request<T>(id: u64, req: u64, f: impl FnOnce(&crate::http::Request<'_>) -> Outcome<T>) -> Outcome<T> {
    reg(|reg| {
        let (srv, _) = reg.servers.get(&id).ok_or_else(|| Failure(NO_SERVER.into()))?;
        let q = srv
            .request(RequestId::from_raw(req))
            .ok_or_else(|| Failure::from(Error::InvalidArgument("stale HTTP request (answered already, or its client went away)")))?;
        f(&q)
    })
}

fn client<T>(id: u64, f: impl FnOnce(&mut Client, &mut Reactor) -> crate::Result<T>) -> Outcome<T> {
    reg(|reg| {
        let (c, _) = reg.clients.get_mut(&id).ok_or_else(|| Failure(NO_CLIENT.into()))?;
        with(|r| f(c, r))
    })
}

fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn headers(list: &[HttpHeader]) -> Vec<(&str, &str)> {
    list.iter().map(|h| (h.name.as_str(), h.value.as_str())).collect()
}

fn status_code(status: u16) -> crate::Result<u16> {
    if (100..=999).contains(&status) {
        Ok(status)
    } else {
        Err(Error::InvalidArgument("an HTTP status is a number from 100 to 999"))
    }
}

// ---- servers ----------------------------------------------------------------

pub(crate) fn http_server_new(l: &HttpLimits, opaque: u64) -> u64 {
    guard(0, || {
        let limits = Limits {
            max_head: count(l.max_head),
            max_uri: count(l.max_uri),
            max_headers: count(l.max_headers),
            max_body: l.max_body,
            head_timeout_ms: l.head_timeout_ms,
            body_timeout_ms: l.body_timeout_ms,
            keep_alive_ms: l.keep_alive_ms,
            max_pipelined: count(l.max_pipelined).max(1),
        };
        objects::add(&REG, |reg, id| {
            reg.servers.insert(id, (Server::new(limits), opaque));
        })
    })
}

/// Deletes server `id`: its listeners and connections close at once.
pub(crate) fn http_server_free(id: u64) {
    guard((), || {
        let srv = reg(|reg| Ok(reg.servers.remove(&id)))?;
        if let Some((mut srv, _)) = srv {
            let _ = with(|r| {
                srv.close(r);
                Ok(())
            });
        }
        Ok(())
    })
}

pub(crate) fn http_server_route(id: u64, method: &[u8], pattern: &[u8]) -> i64 {
    guard(-1, || {
        let (method, pattern) = (text(method)?, text(pattern)?);
        let m = (!method.is_empty()).then_some(method);
        server(id, |srv, _| srv.route(m, pattern).map(|r| i64::from(r.0)))
    })
}

/// Streams the bodies of route `route`'s requests (-1: the fallback's).
pub(crate) fn http_server_stream_route(id: u64, route: i64) -> i32 {
    guard(-1, || {
        let route = match u32::try_from(route) {
            Ok(n) if n != u32::MAX => RouteId(n),
            _ if route == -1 => RouteId::FALLBACK,
            _ => return Err(Error::InvalidArgument("no such HTTP route").into()),
        };
        server(id, |srv, _| srv.stream_body(route).map(|()| 0))
    })
}

/// The body bytes of streamed request `req` that arrived since the last
/// call, and its route (-1: the fallback).
pub(crate) fn http_take_body(id: u64, req: u64, out: &mut Vec<u8>, route: &mut i64) -> i32 {
    guard(-1, || {
        server(id, |srv, r| {
            let rid = RequestId::from_raw(req);
            let q = srv.request(rid).map(|q| q.route());
            *route = match q {
                Some(RouteId::FALLBACK) | None => -1,
                Some(RouteId(n)) => i64::from(n),
            };
            *out = srv.take_body(r, rid)?;
            Ok(0)
        })
    })
}

pub(crate) fn http_server_set_name(id: u64, name: &[u8]) -> i32 {
    guard(-1, || {
        let name = text(name)?;
        if name.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(Error::InvalidArgument("a Server name may not contain CR, LF or NUL").into());
        }
        server(id, |srv, _| {
            srv.set_name(name);
            Ok(0)
        })
    })
}

/// Listens on `addr`; with HTTPS when `tls` names TLS settings (not 0).
pub(crate) fn http_server_listen(id: u64, addr: &[u8], tls: u64, out: &mut Addr) -> i32 {
    guard(-1, || {
        let addr = text(addr)?;
        let config = match tls {
            0 => None,
            t => Some(tls::settings::config(t)?),
        };
        server(id, |srv, r| {
            let l = match config {
                Some(cfg) => srv.listen_tls(r, addr, cfg)?,
                None => srv.listen(r, addr)?,
            };
            to_ffi(&r.local_addr(l)?, out);
            Ok(0)
        })
    })
}

pub(crate) fn http_request(id: u64, req: u64, out: &mut HttpRequestData) -> i32 {
    guard(-1, || {
        reg(|reg| {
            let (srv, _) = reg.servers.get(&id).ok_or_else(|| Failure(NO_SERVER.into()))?;
            let q = srv
                .request(RequestId::from_raw(req))
                .ok_or_else(|| Failure::from(Error::InvalidArgument("stale HTTP request (answered already, or its client went away)")))?;
            let pair = |(n, v): (&str, &str)| HttpHeader {
                name: n.to_owned(),
                value: v.to_owned(),
            };
            out.route = if q.route() == RouteId::FALLBACK { -1 } else { i64::from(q.route().0) };
            out.method = q.method().to_owned();
            out.target = q.target().to_owned();
            out.path = q.path().to_owned();
            out.query = q.query().to_owned();
            out.minor = q.minor_version();
            out.upgrade = q.is_upgrade();
            out.headers = q.headers().map(pair).collect();
            out.params = q.params().map(pair).collect();
            out.body = q.body().to_vec();
            match q.peer() {
                Some(a) => to_ffi(&a, &mut out.peer),
                None => out.peer = Addr::default(),
            }
            Ok(0)
        })
    })
}

pub(crate) fn http_query_param(query: &[u8], name: &[u8], out: &mut String) -> bool {
    guard(false, || {
        let (query, name) = (text(query)?, text(name)?);
        Ok(match crate::http::query_param(query, name) {
            Some(v) => {
                out.clear();
                out.push_str(&v);
                true
            }
            None => false,
        })
    })
}

pub(crate) fn http_respond(id: u64, req: u64, status: u16, hdrs: &[HttpHeader], body: &[u8]) -> i32 {
    guard(-1, || {
        let status = status_code(status)?;
        let mut resp = Response::new(status).body(body);
        for h in hdrs {
            resp = resp.header(&h.name, &h.value);
        }
        server(id, |srv, r| srv.respond(r, RequestId::from_raw(req), resp).map(|()| 0))
    })
}

pub(crate) fn http_respond_file(id: u64, req: u64, path: &[u8], content_type: &[u8]) -> i32 {
    guard(-1, || {
        let (path, ct) = (text(path)?, text(content_type)?);
        server(id, |srv, r| srv.respond_file(r, RequestId::from_raw(req), path, ct).map(|()| 0))
    })
}

pub(crate) fn http_respond_stream(id: u64, req: u64, status: u16, hdrs: &[HttpHeader]) -> i32 {
    guard(-1, || {
        let status = status_code(status)?;
        server(id, |srv, r| srv.respond_stream(r, RequestId::from_raw(req), status, &headers(hdrs)).map(|()| 0))
    })
}

pub(crate) fn http_write_chunk(id: u64, req: u64, data: &[u8]) -> i32 {
    guard(-1, || server(id, |srv, r| srv.write_chunk(r, RequestId::from_raw(req), data).map(|()| 0)))
}

pub(crate) fn http_end_stream(id: u64, req: u64) -> i32 {
    guard(-1, || server(id, |srv, r| srv.end_stream(r, RequestId::from_raw(req)).map(|()| 0)))
}

pub(crate) fn http_queued(id: u64, req: u64) -> i64 {
    guard(-1, || server(id, |srv, r| srv.queued(r, RequestId::from_raw(req)).map(len_i64)))
}

pub(crate) fn http_server_stop(id: u64) -> i32 {
    guard(-1, || {
        server(id, |srv, r| {
            srv.stop(r);
            Ok(0)
        })
    })
}

pub(crate) fn http_server_stopped(id: u64) -> bool {
    guard(false, || server(id, |srv, _| Ok(srv.is_stopped())))
}

pub(crate) fn http_server_connections(id: u64) -> i64 {
    guard(-1, || server(id, |srv, _| Ok(len_i64(srv.connections()))))
}

// ---- clients ----------------------------------------------------------------

pub(crate) fn http_client_new(o: &HttpClientOptions, opaque: u64) -> u64 {
    guard(0, || {
        let opts = ClientOptions {
            max_body: o.max_body,
            max_head: count(o.max_head),
            max_headers: count(o.max_headers),
            connect_timeout_ms: o.connect_timeout_ms,
            response_timeout_ms: o.response_timeout_ms,
            idle_timeout_ms: o.idle_timeout_ms,
            max_per_origin: count(o.max_per_origin).max(1),
        };
        objects::add(&REG, |reg, id| {
            reg.clients.insert(id, (Client::new(opts), opaque));
        })
    })
}

/// Deletes client `id`: its connections close, its requests are forgotten.
pub(crate) fn http_client_free(id: u64) {
    guard((), || {
        let c = reg(|reg| {
            if reg.taken.as_ref().is_some_and(|(t, _)| *t == id) {
                reg.taken = None;
            }
            Ok(reg.clients.remove(&id))
        })?;
        if let Some((mut c, _)) = c {
            let _ = with(|r| {
                c.close(r);
                Ok(())
            });
        }
        Ok(())
    })
}

pub(crate) fn http_client_set_tls(id: u64, tls: u64) -> i32 {
    guard(-1, || {
        let config = tls::settings::config(tls)?;
        client(id, |c, _| c.set_tls_config(config).map(|()| 0))
    })
}

pub(crate) fn http_client_fetch(id: u64, method: &[u8], url: &[u8], hdrs: &[HttpHeader], body: &[u8]) -> u64 {
    guard(0, || {
        let (method, url) = (text(method)?, text(url)?);
        client(id, |c, r| c.fetch(r, method, url, &headers(hdrs), body).map(FetchId::to_raw))
    })
}

pub(crate) fn http_client_cancel(id: u64, fetch: u64) {
    guard((), || {
        client(id, |c, r| {
            c.cancel(r, FetchId::from_raw(fetch));
            Ok(())
        })
    })
}

pub(crate) fn http_client_pending(id: u64) -> i64 {
    guard(-1, || client(id, |c, _| Ok(len_i64(c.pending()))))
}

/// The response (or failure) of the client event handed out last.
pub(crate) fn http_client_take(id: u64, fetch: u64, out: &mut HttpResponseData) -> i32 {
    guard(-1, || {
        reg(|reg| {
            let matches = match &reg.taken {
                Some((c, ClientEvent::Response(f, _) | ClientEvent::Failed(f, _))) => *c == id && f.to_raw() == fetch,
                None => false,
            };
            if !matches {
                return Err(Error::InvalidArgument("no such HTTP response to take").into());
            }
            match reg.taken.take().map(|(_, ev)| ev) {
                Some(ClientEvent::Response(_, resp)) => {
                    out.status = resp.status;
                    out.reason = resp.reason;
                    out.minor = resp.minor_version;
                    out.headers = resp
                        .headers
                        .into_iter()
                        .map(|(name, value)| HttpHeader { name, value })
                        .collect();
                    out.body = resp.body;
                    out.error.clear();
                }
                Some(ClientEvent::Failed(_, why)) => {
                    out.status = 0;
                    out.error = why;
                }
                None => {}
            }
            Ok(0)
        })
    })
}
