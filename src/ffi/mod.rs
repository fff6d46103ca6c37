//! The bridge to C++ (the only file that knows C++ exists).
//!
//! The C++ face (`cpp/*.cc`) drives the thread's default reactor through
//! these functions. They follow three rules:
//!
//! * **No exceptions, no panics across.** Every function returns a plain
//!   status (`-1`/`0`, a count, or `false`) and leaves a readable message in a
//!   thread-local slot that `last_error()` returns. Each body runs under
//!   `catch_unwind`, so even a bug in mnet turns into an error, not an abort;
//!   a panic inside the reactor also stops the thread's loop for good
//!   (`local.rs`), since its tables may be half-changed.
//! * **A Chann belongs to its thread.** Every call about a channel carries
//!   the id of the loop that made it and is refused on any other thread;
//!   a close from another thread is handed to the owner (`local.rs`).
//! * **Integers and slices on the hot path.** `poll`, `next`, `chann_recv` and
//!   `chann_send` take and return integers, slices and a plain struct; no
//!   allocation, no copy beyond what the kernel call does.
//! * **Bytes, not strings, for user text.** Address strings arrive as byte
//!   slices and are checked here, so a non-UTF-8 string is an error with a
//!   message rather than an exception inside cxx.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::{tls, Direction, Error, Event, Handle, Kind, Result};

#[cxx::bridge(namespace = "mnet::ffi")]
mod bridge {
    /// One message of a round, as handed to C++.
    struct Message {
        event: i32,
        chann: u64,
        accepted: u64,
        err: i32,
        opaque: u64,
    }

    /// An IP socket address in binary form. `ip` holds the 4 bytes of an
    /// IPv4 address (rest zero) or the 16 of an IPv6 one, in network order.
    #[derive(Default)]
    struct Addr {
        v6: bool,
        ip: [u8; 16],
        port: u16,
        scope_id: u32,
    }

    extern "Rust" {
        fn chann_open(kind: i32, owner: &mut u32) -> u64;
        fn chann_close(owner: u32, h: u64) -> i32;
        fn chann_listen(owner: u32, h: u64, addr: &[u8], backlog: i32) -> i32;
        fn chann_connect(owner: u32, h: u64, addr: &[u8]) -> i32;
        fn chann_disconnect(owner: u32, h: u64) -> i32;
        fn chann_recv(owner: u32, h: u64, buf: &mut [u8]) -> i64;
        fn chann_send(owner: u32, h: u64, buf: &[u8]) -> i64;
        fn chann_recv_from(owner: u32, h: u64, buf: &mut [u8], from: &mut Addr) -> i64;
        fn chann_send_to(owner: u32, h: u64, buf: &[u8], to: &Addr) -> i64;
        fn chann_set_send_event(owner: u32, h: u64, on: bool) -> i32;
        fn chann_set_recv_event(owner: u32, h: u64, on: bool) -> i32;
        fn chann_set_send_limit(owner: u32, h: u64, bytes: i64) -> i32;
        fn chann_set_half_close(owner: u32, h: u64, on: bool) -> i32;
        fn chann_shutdown_write(owner: u32, h: u64) -> i32;
        fn chann_set_idle_timeout(owner: u32, h: u64, ms: i64) -> i32;
        fn chann_set_timer(owner: u32, h: u64, interval_ms: i64) -> i32;
        fn chann_cached(owner: u32, h: u64) -> i64;
        fn chann_state(owner: u32, h: u64) -> i32;
        fn chann_kind(owner: u32, h: u64) -> i32;
        fn chann_bytes(owner: u32, h: u64, sent: bool) -> i64;
        fn chann_local_addr(owner: u32, h: u64, out: &mut Addr) -> i32;
        fn chann_peer_addr(owner: u32, h: u64, out: &mut Addr) -> i32;
        fn chann_set_opaque(owner: u32, h: u64, opaque: u64) -> i32;
        fn chann_set_bufsize(owner: u32, h: u64, bytes: i64) -> i32;
        fn chann_count() -> i32;
        fn poll(timeout_ms: i32) -> i32;
        fn next(msg: &mut Message) -> bool;
        fn last_error() -> String;
        fn set_last_error(msg: &str);
        fn parse_address(text: &[u8], resolve: bool, out: &mut Addr) -> i32;
        fn format_address(a: &Addr) -> String;
        fn now_micros() -> i64;
        fn version() -> i32;
        fn test_only_panic_in_event_loop() -> i32;

        fn tls_config_new() -> u64;
        fn tls_config_free(id: u64);
        fn tls_config_set(id: u64, what: i32, value: &[u8]) -> i32;
        fn chann_set_tls_config(owner: u32, h: u64, id: u64) -> i32;
        fn chann_set_server_name(owner: u32, h: u64, name: &[u8]) -> i32;
        fn chann_set_handshake_timeout(owner: u32, h: u64, ms: i64) -> i32;
        fn chann_set_max_handshakes(owner: u32, h: u64, n: i64) -> i32;
        fn chann_tls_error(owner: u32, h: u64) -> String;
    }

    /// One channel of `reactor_stats()`.
    struct ChannStat {
        handle: u64,
        kind: i32,
        state: i32,
        has_local: bool,
        local: Addr,
        has_peer: bool,
        peer: Addr,
        sent: u64,
        received: u64,
        queued: u64,
        opaque: u64,
    }

    // DNS, multicast, SO_REUSEPORT, logging and stats: bodies in ffi/services.rs.
    extern "Rust" {
        fn chann_lookup(owner: u32, h: u64, name: &[u8]) -> i32;
        fn chann_lookup_result(owner: u32, h: u64, out: &mut Vec<Addr>) -> i32;
        fn chann_dns_error(owner: u32, h: u64) -> String;
        fn set_resolver(servers: &[u8], timeout_ms: i64, attempts: i32) -> i32;
        fn chann_set_reuse_port(owner: u32, h: u64, on: bool) -> i32;
        fn chann_multicast_membership(owner: u32, h: u64, group: &[u8], iface: &[u8], join: bool) -> i32;
        fn chann_set_multicast_if(owner: u32, h: u64, iface: &[u8]) -> i32;
        fn chann_set_multicast_loop(owner: u32, h: u64, on: bool) -> i32;
        fn chann_set_multicast_ttl(owner: u32, h: u64, ttl: i32) -> i32;
        fn log_set_level(level: i32) -> i32;
        fn log_next(level: &mut i32, text: &mut String) -> bool;
        fn reactor_stats() -> Vec<ChannStat>;
    }

    /// The limits of an HTTP server (`mnet::http::Limits`).
    struct HttpLimits {
        max_head: u64,
        max_uri: u64,
        max_headers: u64,
        max_body: u64,
        head_timeout_ms: u64,
        body_timeout_ms: u64,
        keep_alive_ms: u64,
        max_pipelined: u64,
    }

    /// The options of an HTTP client (`mnet::http::ClientOptions`).
    struct HttpClientOptions {
        max_body: u64,
        max_head: u64,
        max_headers: u64,
        connect_timeout_ms: u64,
        response_timeout_ms: u64,
        idle_timeout_ms: u64,
        max_per_origin: u64,
    }

    /// A header field, or a route parameter.
    struct HttpHeader {
        name: String,
        value: String,
    }

    /// A request as the C++ face copies it out.
    struct HttpRequestData {
        /// The route's number, -1 for the fallback.
        route: i64,
        method: String,
        target: String,
        path: String,
        query: String,
        minor: u8,
        upgrade: bool,
        headers: Vec<HttpHeader>,
        params: Vec<HttpHeader>,
        body: Vec<u8>,
        peer: Addr,
    }

    /// A client's response, or (status 0) its failure.
    struct HttpResponseData {
        status: u16,
        reason: String,
        minor: u8,
        headers: Vec<HttpHeader>,
        body: Vec<u8>,
        error: String,
    }

    // HTTP servers and clients: bodies in ffi/http.rs.
    extern "Rust" {
        fn http_server_new(limits: &HttpLimits, opaque: u64) -> u64;
        fn http_server_free(id: u64);
        fn http_server_route(id: u64, method: &[u8], pattern: &[u8]) -> i64;
        fn http_server_set_name(id: u64, name: &[u8]) -> i32;
        fn http_server_stream_route(id: u64, route: i64) -> i32;
        fn http_take_body(id: u64, req: u64, out: &mut Vec<u8>, route: &mut i64) -> i32;
        fn http_server_listen(id: u64, addr: &[u8], tls: u64, out: &mut Addr) -> i32;
        fn http_request(id: u64, req: u64, out: &mut HttpRequestData) -> i32;
        fn http_query_param(query: &[u8], name: &[u8], out: &mut String) -> bool;
        fn http_respond(id: u64, req: u64, status: u16, headers: &[HttpHeader], body: &[u8]) -> i32;
        fn http_respond_file(id: u64, req: u64, path: &[u8], content_type: &[u8]) -> i32;
        fn http_respond_stream(id: u64, req: u64, status: u16, headers: &[HttpHeader]) -> i32;
        fn http_write_chunk(id: u64, req: u64, data: &[u8]) -> i32;
        fn http_end_stream(id: u64, req: u64) -> i32;
        fn http_queued(id: u64, req: u64) -> i64;
        fn http_server_stop(id: u64) -> i32;
        fn http_server_stopped(id: u64) -> bool;
        fn http_server_connections(id: u64) -> i64;
        fn http_client_new(options: &HttpClientOptions, opaque: u64) -> u64;
        fn http_client_free(id: u64);
        fn http_client_set_tls(id: u64, tls: u64) -> i32;
        fn http_client_fetch(id: u64, method: &[u8], url: &[u8], headers: &[HttpHeader], body: &[u8]) -> u64;
        fn http_client_cancel(id: u64, fetch: u64);
        fn http_client_pending(id: u64) -> i64;
        fn http_client_take(id: u64, fetch: u64, out: &mut HttpResponseData) -> i32;
    }

    /// The options of a WebSocket endpoint (`mnet::ws::Options`).
    struct WsOptions {
        max_frame: u64,
        max_message: u64,
        max_queue: u64,
        fragment_size: u64,
        ping_interval_ms: u64,
        pong_timeout_ms: u64,
        idle_timeout_ms: u64,
        close_timeout_ms: u64,
        handshake_timeout_ms: u64,
        deflate: bool,
        deflate_level: u32,
        deflate_threshold: u64,
        own_no_context_takeover: bool,
        peer_no_context_takeover: bool,
        own_max_window_bits: u8,
        peer_max_window_bits: u8,
    }

    /// The data of a WebSocket event, as the C++ face takes it.
    struct WsEventData {
        text: bool,
        /// A message's payload, or a ping's or pong's.
        data: Vec<u8>,
        /// A close's code and reason.
        code: u16,
        reason: String,
    }

    // WebSocket endpoints: bodies in ffi/ws.rs.
    extern "Rust" {
        fn ws_new(options: &WsOptions, opaque: u64) -> u64;
        fn ws_free(id: u64);
        fn ws_set_tls(id: u64, tls: u64) -> i32;
        fn ws_offered_protocols(http: u64, req: u64, out: &mut Vec<String>) -> i32;
        fn ws_accept(id: u64, http: u64, req: u64, protocol: &[u8]) -> u64;
        fn ws_connect(id: u64, url: &[u8], protocols: &[String], headers: &[HttpHeader]) -> u64;
        fn ws_send(id: u64, conn: u64, text: bool, data: &[u8]) -> i32;
        fn ws_ping(id: u64, conn: u64, data: &[u8]) -> i32;
        fn ws_close(id: u64, conn: u64, code: u16, reason: &[u8]) -> i32;
        fn ws_queued(id: u64, conn: u64) -> i64;
        fn ws_protocol(id: u64, conn: u64) -> String;
        fn ws_compressed(id: u64, conn: u64) -> bool;
        fn ws_connections(id: u64) -> i64;
        fn ws_take(id: u64, conn: u64, out: &mut WsEventData) -> i32;
    }
}

mod http;
mod objects;
mod services;
mod ws;
use crate::local::{self, with, with_faces, with_id, with_owner, Outcome};
use http::*;
use services::*;
use ws::*;

use bridge::{Addr, Message};

fn set_last_error(msg: &str) {
    local::set_last_error(msg);
}

fn last_error() -> String {
    local::last_error()
}

/// Runs `f`, turning a failure or a panic into `fail` plus a message for
/// `last_error()`. (A panic inside the reactor is caught nearer, where it
/// stops the thread's loop: `local.rs`.)
fn guard<T>(fail: T, f: impl FnOnce() -> Outcome<T>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            set_last_error(&e.0);
            fail
        }
        Err(panic) => {
            let what = local::panic_text(&*panic);
            set_last_error(&format!("internal error in mnet (please report): {what}"));
            fail
        }
    }
}

fn text(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| Error::InvalidAddress {
        input: String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned(),
        reason: "not valid UTF-8",
    })
}

fn h(raw: u64) -> Handle {
    Handle::from_raw(raw)
}

fn status(r: Result<()>) -> Result<i32> {
    r.map(|()| 0)
}

fn len_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_ffi(a: &SocketAddr, out: &mut Addr) {
    out.port = a.port();
    out.ip = [0; 16];
    match a {
        SocketAddr::V4(v4) => {
            out.v6 = false;
            out.ip[..4].copy_from_slice(&v4.ip().octets());
            out.scope_id = 0;
        }
        SocketAddr::V6(v6) => {
            out.v6 = true;
            out.ip = v6.ip().octets();
            out.scope_id = v6.scope_id();
        }
    }
}

fn from_ffi(a: &Addr) -> SocketAddr {
    if a.v6 {
        SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(a.ip), a.port, 0, a.scope_id))
    } else {
        let ip = Ipv4Addr::new(a.ip[0], a.ip[1], a.ip[2], a.ip[3]);
        SocketAddr::new(IpAddr::V4(ip), a.port)
    }
}

fn chann_open(kind: i32, owner: &mut u32) -> u64 {
    guard(0, || {
        let kind = Kind::from_i32(kind).ok_or(Error::InvalidArgument("unknown channel type"))?;
        let (id, raw) = with_id(|r| Ok(r.open(kind).to_raw()))?;
        *owner = id;
        Ok(raw)
    })
}

fn chann_close(owner: u32, raw: u64) -> i32 {
    guard(-1, || local::close(owner, raw).map(|()| 0))
}

fn chann_listen(owner: u32, raw: u64, addr: &[u8], backlog: i32) -> i32 {
    guard(-1, || {
        let addr = text(addr)?;
        with_owner(owner, |r| status(r.listen(h(raw), addr, backlog)))
    })
}

fn chann_connect(owner: u32, raw: u64, addr: &[u8]) -> i32 {
    guard(-1, || {
        let addr = text(addr)?;
        with_owner(owner, |r| status(r.connect(h(raw), addr)))
    })
}

fn chann_disconnect(owner: u32, raw: u64) -> i32 {
    guard(-1, || with_owner(owner, |r| status(r.disconnect(h(raw)))))
}

fn chann_recv(owner: u32, raw: u64, buf: &mut [u8]) -> i64 {
    guard(-1, || with_owner(owner, |r| r.recv(h(raw), buf).map(len_i64)))
}

fn chann_send(owner: u32, raw: u64, buf: &[u8]) -> i64 {
    guard(-1, || with_owner(owner, |r| r.send(h(raw), buf).map(len_i64)))
}

fn chann_recv_from(owner: u32, raw: u64, buf: &mut [u8], from: &mut Addr) -> i64 {
    guard(-1, || {
        with_owner(owner, |r| {
            Ok(match r.recv_from(h(raw), buf)? {
                Some((n, a)) => {
                    to_ffi(&a, from);
                    len_i64(n)
                }
                None => 0,
            })
        })
    })
}

fn chann_send_to(owner: u32, raw: u64, buf: &[u8], to: &Addr) -> i64 {
    guard(-1, || with_owner(owner, |r| r.send_to(h(raw), buf, from_ffi(to)).map(len_i64)))
}

fn chann_set_send_event(owner: u32, raw: u64, on: bool) -> i32 {
    guard(-1, || with_owner(owner, |r| status(r.set_send_event(h(raw), on))))
}

fn chann_set_recv_event(owner: u32, raw: u64, on: bool) -> i32 {
    guard(-1, || with_owner(owner, |r| status(r.set_recv_event(h(raw), on))))
}

fn chann_set_send_limit(owner: u32, raw: u64, bytes: i64) -> i32 {
    guard(-1, || {
        let bytes = usize::try_from(bytes).map_err(|_| Error::InvalidArgument("negative send limit"))?;
        with_owner(owner, |r| status(r.set_send_limit(h(raw), bytes)))
    })
}

fn chann_set_half_close(owner: u32, raw: u64, on: bool) -> i32 {
    guard(-1, || with_owner(owner, |r| status(r.set_half_close(h(raw), on))))
}

fn chann_shutdown_write(owner: u32, raw: u64) -> i32 {
    guard(-1, || with_owner(owner, |r| status(r.shutdown_write(h(raw)))))
}

fn chann_set_idle_timeout(owner: u32, raw: u64, ms: i64) -> i32 {
    guard(-1, || {
        let ms = u64::try_from(ms).map_err(|_| Error::InvalidArgument("negative idle timeout"))?;
        with_owner(owner, |r| status(r.set_idle_timeout(h(raw), ms)))
    })
}

fn chann_set_timer(owner: u32, raw: u64, interval_ms: i64) -> i32 {
    guard(-1, || {
        let ms = u64::try_from(interval_ms).map_err(|_| Error::InvalidArgument("negative timer interval"))?;
        with_owner(owner, |r| status(r.set_timer(h(raw), ms)))
    })
}

fn chann_cached(owner: u32, raw: u64) -> i64 {
    guard(-1, || with_owner(owner, |r| r.cached(h(raw)).map(len_i64)))
}

fn chann_state(owner: u32, raw: u64) -> i32 {
    guard(0, || with_owner(owner, |r| Ok(r.state(h(raw)).map_or(0, |s| s as i32))))
}

fn chann_kind(owner: u32, raw: u64) -> i32 {
    guard(-1, || with_owner(owner, |r| r.kind(h(raw)).map(|k| k as i32)))
}

fn chann_bytes(owner: u32, raw: u64, sent: bool) -> i64 {
    let dir = if sent { Direction::Sent } else { Direction::Received };
    guard(-1, || with_owner(owner, |r| r.bytes(h(raw), dir).map(|n| i64::try_from(n).unwrap_or(i64::MAX))))
}

fn chann_local_addr(owner: u32, raw: u64, out: &mut Addr) -> i32 {
    guard(-1, || with_owner(owner, |r| r.local_addr(h(raw)).map(|a| to_ffi(&a, out)).map(|()| 0)))
}

fn chann_peer_addr(owner: u32, raw: u64, out: &mut Addr) -> i32 {
    guard(-1, || with_owner(owner, |r| r.peer_addr(h(raw)).map(|a| to_ffi(&a, out)).map(|()| 0)))
}

fn chann_set_opaque(owner: u32, raw: u64, opaque: u64) -> i32 {
    guard(-1, || with_owner(owner, |r| status(r.set_opaque(h(raw), opaque))))
}

fn chann_set_bufsize(owner: u32, raw: u64, bytes: i64) -> i32 {
    guard(-1, || {
        let bytes = usize::try_from(bytes).map_err(|_| Error::InvalidArgument("negative buffer size"))?;
        with_owner(owner, |r| status(r.set_bufsize(h(raw), bytes)))
    })
}

fn chann_count() -> i32 {
    guard(-1, || with(|r| Ok(i32::try_from(r.count()).unwrap_or(i32::MAX))))
}

fn poll(timeout_ms: i32) -> i32 {
    guard(-1, || {
        with(|r| {
            let n = r.poll(timeout_ms).map_err(|e| Error::io("epoll_wait", e))?;
            Ok(i32::try_from(n).unwrap_or(i32::MAX))
        })
    })
}

/// The next message for the C++ face: an HTTP object's or a WebSocket
/// endpoint's event first (see ffi/http.rs, ffi/ws.rs), else the
/// reactor's next message that none of them keeps.
fn next(msg: &mut Message) -> bool {
    guard(false, || {
        with_faces(|r, faces| {
            loop {
                if let Some((event, id, object, opaque)) = objects::next_event(&http::REG).or_else(|| objects::next_event(&ws::REG)) {
                    *msg = Message {
                        event,
                        chann: id,
                        accepted: object,
                        err: 0,
                        opaque,
                    };
                    return Ok(true);
                }
                let Some(m) = faces.next_cxx(r) else {
                    return Ok(false);
                };
                let Some(m) = objects::take(&http::REG, r, m).and_then(|m| objects::take(&ws::REG, r, m)) else {
                    continue;
                };
                msg.event = m.event as i32;
                msg.chann = m.chann.to_raw();
                msg.accepted = m.accepted.to_raw();
                msg.err = m.err;
                msg.opaque = m.opaque;
                return Ok(true);
            }
        })
    })
}

fn parse_address(bytes: &[u8], resolve: bool, out: &mut Addr) -> i32 {
    guard(-1, || {
        let s = text(bytes)?;
        let a = if resolve {
            crate::resolve(s)?[0]
        } else {
            crate::parse_addr(s)?
        };
        to_ffi(&a, out);
        Ok(0)
    })
}

fn format_address(a: &Addr) -> String {
    from_ffi(a).to_string()
}

fn now_micros() -> i64 {
    i64::try_from(crate::now_micros()).unwrap_or(i64::MAX)
}

fn version() -> i32 {
    crate::version()
}

/// For mnet's own tests only (`mnet::testing::panicInEventLoop`): panics
/// inside this thread's reactor, as a bug in mnet would, so a test can show
/// what follows. Stops this thread's loop and nothing else.
fn test_only_panic_in_event_loop() -> i32 {
    guard(-1, || with(|_| -> Result<i32> { panic!("deliberate panic for a test (mnet::testing::panicInEventLoop)") }))
}

fn tls_config_new() -> u64 {
    guard(0, || Ok(tls::settings::new()))
}

fn tls_config_free(id: u64) {
    tls::settings::free(id);
}

fn tls_config_set(id: u64, what: i32, value: &[u8]) -> i32 {
    guard(-1, || tls::settings::set(id, what, value).map(|()| 0).map_err(Into::into))
}

fn chann_set_tls_config(owner: u32, raw: u64, id: u64) -> i32 {
    guard(-1, || {
        let config = tls::settings::config(id)?;
        with_owner(owner, |r| status(r.set_tls_config(h(raw), config)))
    })
}

fn chann_set_server_name(owner: u32, raw: u64, name: &[u8]) -> i32 {
    guard(-1, || {
        let name = std::str::from_utf8(name).map_err(|_| Error::InvalidArgument("server name is not valid UTF-8"))?;
        with_owner(owner, |r| status(r.set_server_name(h(raw), name)))
    })
}

fn chann_set_handshake_timeout(owner: u32, raw: u64, ms: i64) -> i32 {
    guard(-1, || {
        let ms = u64::try_from(ms).map_err(|_| Error::InvalidArgument("negative TLS handshake timeout"))?;
        with_owner(owner, |r| status(r.set_handshake_timeout(h(raw), ms)))
    })
}

fn chann_set_max_handshakes(owner: u32, raw: u64, n: i64) -> i32 {
    guard(-1, || {
        let n = usize::try_from(n).map_err(|_| Error::InvalidArgument("negative TLS handshake cap"))?;
        with_owner(owner, |r| status(r.set_max_handshakes(h(raw), n)))
    })
}

fn chann_tls_error(owner: u32, raw: u64) -> String {
    guard(String::new(), || with_owner(owner, |r| Ok(r.tls_error(h(raw))?.unwrap_or_default())))
}

/// Keeps `Event` numbering and the bridge in step.
const _: () = assert!(Event::Timer as i32 == 6 && Event::Recv as i32 == 1 && Event::Resolved as i32 == 8);
