//! HTTP/1.1 on mnet channels: a server (routes, keep-alive and pipelining,
//! streamed and file responses, limits and timeouts, strict framing) and a
//! client ([`Client`]: keep-alive per origin, `https://` verified, limits and
//! timeouts), both on the program's reactor and loop. A layer over the channel API:
//! the reactor knows nothing of HTTP.
//!
//! ```no_run
//! use mnet::http::{Event, Limits, Server};
//! use mnet::Reactor;
//!
//! let mut r = Reactor::new()?;
//! let mut http = Server::new(Limits::default());
//! let hello = http.route(Some("GET"), "/plaintext")?;
//! http.listen(&mut r, "127.0.0.1:8080")?;
//! loop {
//!     r.poll(1000)?;
//!     while let Some(m) = r.next() {
//!         if let Some(_mine) = http.handle(&mut r, m) {
//!             // a message of one of the program's own channels
//!         }
//!         while let Some(ev) = http.next_event() {
//!             if let Event::Request(id) = ev {
//!                 let route = http.request(id).map(|q| q.route());
//!                 if route == Some(hello) {
//!                     http.respond_bytes(&mut r, id, 200, "text/plain", b"Hello, World!")?;
//!                 } else {
//!                     http.respond_bytes(&mut r, id, 404, "text/plain", b"not found\n")?;
//!                 }
//!             }
//!         }
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Framing is strict (see `head.rs`: Content-Length with Transfer-Encoding,
//! duplicate or malformed lengths, codings other than chunked, folded or
//! malformed headers, a missing Host are refused), and every limit of
//! [`Limits`] has a default.

/// `to_raw`/`from_raw` for an id of a slot and a generation (`RequestId`,
/// `FetchId`): one number, e.g. to cross into C or C++.
macro_rules! raw_id {
    ($t:ident) => {
        impl $t {
            /// The id as one number, e.g. to cross into C or C++.
            pub const fn to_raw(self) -> u64 {
                ((self.gen as u64) << 32) | self.slot as u64
            }

            /// Rebuilds an id from `to_raw`; a made-up number names
            /// nothing (calls with it fail).
            pub const fn from_raw(raw: u64) -> $t {
                $t {
                    slot: raw as u32,
                    gen: (raw >> 32) as u32,
                }
            }
        }
    };
}

mod body;
mod client;
mod date;
mod head;
mod route;
mod server;

use std::borrow::Cow;
use std::net::SocketAddr;

pub use client::{Client, ClientEvent, ClientOptions, ClientResponse, FetchId};
/// URLs as the HTTP client reads them (the WebSocket client reuses them).
pub(crate) use client::url;
pub use head::Reject;
pub use route::RouteId;
pub use server::{Event, RequestId, Server, Upgraded};

use head::Head;
use route::{Params, Router};

/// The limits and timeouts of a [`Server`]. Requests past a size limit are
/// refused with the status the field names, and the connection closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of a request head, its request line included (431).
    pub max_head: usize,
    /// Bytes of the request target (414).
    pub max_uri: usize,
    /// Header fields in a head (431).
    pub max_headers: usize,
    /// Bytes of a request body (413).
    pub max_body: u64,
    /// Time a head may take to arrive once its first byte came, in ms
    /// (408, then the connection closes).
    pub head_timeout_ms: u64,
    /// Time a body may take to arrive once its head came, in ms (408).
    pub body_timeout_ms: u64,
    /// Time an idle keep-alive connection stays open, in ms.
    pub keep_alive_ms: u64,
    /// Requests a connection may have waiting for answers; past it the
    /// server stops reading from it until some are answered.
    pub max_pipelined: usize,
}

impl Default for Limits {
    /// 16 KiB heads, 8 KiB targets, 100 headers, 8 MiB bodies; 10 s for a
    /// head, 60 s for a body, 30 s of keep-alive; 64 pipelined requests.
    fn default() -> Limits {
        Limits {
            max_head: 16 * 1024,
            max_uri: 8 * 1024,
            max_headers: 100,
            max_body: 8 << 20,
            head_timeout_ms: 10_000,
            body_timeout_ms: 60_000,
            keep_alive_ms: 30_000,
            max_pipelined: 64,
        }
    }
}

/// A request, as [`Server::request`] shows it: views into the bytes that
/// arrived, nothing copied.
#[derive(Debug)]
pub struct Request<'a> {
    buf: &'a [u8],
    head: &'a Head,
    route: RouteId,
    params: &'a Params,
    router: &'a Router,
    peer: Option<SocketAddr>,
}

fn text(b: &[u8]) -> &str {
    // Heads are checked by httparse: request lines and header names are
    // ASCII tokens; a value that is not UTF-8 reads as empty here.
    std::str::from_utf8(b).unwrap_or("")
}

impl<'a> Request<'a> {
    fn new(
        buf: &'a [u8],
        head: &'a Head,
        route: RouteId,
        params: &'a Params,
        router: &'a Router,
        peer: Option<SocketAddr>,
    ) -> Request<'a> {
        Request {
            buf,
            head,
            route,
            params,
            router,
            peer,
        }
    }

    fn slice(&self, r: &std::ops::Range<u32>) -> &'a [u8] {
        &self.buf[r.start as usize..r.end as usize]
    }

    /// The method (`GET`, ...).
    pub fn method(&self) -> &'a str {
        text(self.slice(&self.head.method))
    }

    /// The request target as sent (`/path?query`).
    pub fn target(&self) -> &'a str {
        text(self.slice(&self.head.target))
    }

    /// The path part of the target, as sent (percent-encoded).
    pub fn path(&self) -> &'a str {
        let t = self.slice(&self.head.target);
        text(route::path(t))
    }

    /// The query string after '?', as sent ("" without one).
    pub fn query(&self) -> &'a str {
        let t = self.slice(&self.head.target);
        text(t.get(route::path(t).len() + 1..).unwrap_or(b""))
    }

    /// The first query parameter named `name`, percent-decoded ('+' is a
    /// space), or `None`.
    pub fn query_param(&self, name: &str) -> Option<Cow<'a, str>> {
        query_param(self.query(), name)
    }

    /// The value of the first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.head
            .headers
            .iter()
            .find(|(n, _)| head::eq_ignore_case(self.slice(n), name))
            .map(|(_, v)| text(self.slice(v)))
    }

    /// Every header, in order: (name, value).
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.head
            .headers
            .iter()
            .map(|(n, v)| (text(self.slice(n)), text(self.slice(v))))
    }

    /// The body (empty without one).
    pub fn body(&self) -> &'a [u8] {
        &self.buf[self.head.len.min(self.buf.len())..]
    }

    /// The route that matched ([`RouteId::FALLBACK`] when none did).
    pub fn route(&self) -> RouteId {
        self.route
    }

    /// The value of route parameter `name` (`:name` in the pattern).
    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params
            .iter()
            .find(|(i, _)| self.router.param_name(self.route, *i) == Some(name))
            .map(|(_, r)| text(self.slice(r)))
    }

    /// Every route parameter: (name, value), in the pattern's order.
    pub fn params(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.params
            .iter()
            .filter_map(|(i, r)| Some((self.router.param_name(self.route, *i)?, text(self.slice(r)))))
    }

    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub fn minor_version(&self) -> u8 {
        self.head.minor
    }

    /// Whether the request asked to switch protocols (`Connection:
    /// upgrade` with an `Upgrade` header).
    pub fn is_upgrade(&self) -> bool {
        self.head.upgrade
    }

    /// The client's address.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }
}

/// The first parameter named `name` of a query string (`a=1&b=2`),
/// percent-decoded ('+' is a space), or `None`.
pub fn query_param<'a>(query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k).as_ref() == name).then(|| decode(v))
    })
}

/// Percent-decoding ('+' as space); bad escapes stay as they are.
fn decode(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) => {
                let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(b[i + 1]) * 16 + hex(b[i + 2]));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// A response to build: status, headers, body. The server adds `Date`,
/// `Server`, `Content-Length` and, when the connection closes,
/// `Connection: close`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// A response with `status` and no body.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }
}

/// The reason phrase of a status.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// For the fuzz target (`fuzz/fuzz_targets/http_request.rs`), not an API:
/// parses `data` as a request head and body with small limits, the body fed
/// whole and again in pieces of `split` bytes, and checks that both readings
/// agree and stay within the limits. Panics on a broken invariant.
#[doc(hidden)]
pub fn fuzz_request(data: &[u8], split: usize) {
    let limits = head::HeadLimits {
        max_head: 2048,
        max_uri: 512,
        max_headers: 32,
    };
    let head = match head::parse(data, limits, &mut head::Headers::new()) {
        head::Parsed::Complete(h) => h,
        head::Parsed::Partial => {
            assert!(data.len() <= limits.max_head, "a head past the limit is refused, not partial");
            return;
        }
        head::Parsed::Refused(r) => {
            assert!([400, 413, 414, 417, 431, 501, 505].contains(&r.status), "{r:?}");
            return;
        }
    };
    assert!(head.len <= data.len() && head.len <= limits.max_head);
    for (n, v) in &head.headers {
        assert!(n.end as usize <= head.len && v.end as usize <= head.len);
        let value = &data[v.start as usize..v.end as usize];
        assert!(!value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f), "control bytes in a header value: {value:?}");
    }
    let body_bytes = &data[head.len..];
    let fresh = || match head.framing {
        head::Framing::None => body::Body::Done,
        head::Framing::Length(n) => body::Body::Length(n),
        head::Framing::Chunked => body::Body::chunked(),
    };
    const MAX: u64 = 4096;
    let mut whole_out = Vec::new();
    let mut whole = fresh();
    let whole_res = whole.feed(body_bytes, &mut whole_out, MAX);
    let mut piece_out = Vec::new();
    let mut pieces = fresh();
    let mut pending: Vec<u8> = Vec::new();
    let mut piece_res = Ok(0);
    for chunk in body_bytes.chunks(split.max(1)) {
        pending.extend_from_slice(chunk);
        match pieces.feed(&pending, &mut piece_out, MAX) {
            Ok(n) => {
                assert!(n <= pending.len());
                pending.drain(..n);
            }
            Err(e) => {
                piece_res = Err(e);
                break;
            }
        }
        if pieces == body::Body::Done {
            break;
        }
    }
    assert!(whole_out.len() as u64 <= MAX && piece_out.len() as u64 <= MAX);
    match (whole_res, piece_res) {
        (Ok(_), Ok(_)) => {
            assert_eq!(whole == body::Body::Done, pieces == body::Body::Done, "the same end however the bytes come");
            if whole == body::Body::Done {
                assert_eq!(whole_out, piece_out, "the same body however the bytes come");
            }
        }
        (Err(a), Err(b)) => assert_eq!(a.status, b.status),
        // A piecewise reader may stop at an error the whole one also meets
        // only later (or not at all when the body ended first).
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => assert!([400, 413].contains(&e.status)),
    }
}
