//! The HTTP/1.1 client: requests to `http://` and `https://` URLs on the
//! program's reactor and loop, keep-alive connections reused per origin,
//! responses framed by Content-Length, chunked or the close, with size
//! limits and timeouts. Names are resolved on the loop (never a blocking
//! call); TLS is verified (system roots, or the CA the program gives).
//!
//! ```no_run
//! use mnet::http::{Client, ClientEvent, ClientOptions};
//! use mnet::Reactor;
//!
//! let mut r = Reactor::new()?;
//! let mut client = Client::new(ClientOptions::default());
//! client.get(&mut r, "http://127.0.0.1:8080/json")?;
//! while client.pending() > 0 {
//!     r.poll(100)?;
//!     while let Some(m) = r.next() {
//!         client.handle(&mut r, m); // gives back messages of other channels
//!     }
//!     while let Some(ev) = client.next_event() {
//!         match ev {
//!             ClientEvent::Response(_, resp) => println!("{} {:?}", resp.status, resp.body),
//!             ClientEvent::Failed(_, why) => eprintln!("{why}"),
//!         }
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! One request at a time per connection (no pipelining: a failure cannot
//! take several requests with it), at most
//! [`ClientOptions::max_per_origin`] connections per origin; requests past
//! that wait for a connection in the order they were made. A request sent
//! on a reused connection that the server closes before answering a byte
//! (it closed the idle connection as the request left) is sent once more on
//! a new connection when its method is idempotent.

mod response;
pub(crate) mod url;

use std::collections::{HashMap, VecDeque};

use slab::Slab;

use self::response::{RespHead, RespParsed};
use self::url::Origin;
use super::body::Body;
use crate::{Error, Event as ChannEvent, Handle, Kind, Msg, Reactor, Result, State, TlsConfig};

/// The limits and timeouts of a [`Client`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOptions {
    /// Bytes of a response body; a longer one fails the request.
    pub max_body: u64,
    /// Bytes of a response head.
    pub max_head: usize,
    /// Header fields in a response head.
    pub max_headers: usize,
    /// Time from the request to an open connection (DNS, TCP and the TLS
    /// handshake), in ms.
    pub connect_timeout_ms: u64,
    /// Time from the request being sent to the last byte of its response,
    /// in ms.
    pub response_timeout_ms: u64,
    /// Time an idle keep-alive connection is kept for reuse, in ms.
    pub idle_timeout_ms: u64,
    /// Connections open at once to one origin (scheme, host and port).
    pub max_per_origin: usize,
}

impl Default for ClientOptions {
    /// 64 MiB bodies, 64 KiB heads of at most 100 fields; 10 s to connect,
    /// 30 s for a response, idle connections kept 30 s; 8 connections per
    /// origin.
    fn default() -> ClientOptions {
        ClientOptions {
            max_body: 64 << 20,
            max_head: 64 * 1024,
            max_headers: 100,
            connect_timeout_ms: 10_000,
            response_timeout_ms: 30_000,
            idle_timeout_ms: 30_000,
            max_per_origin: 8,
        }
    }
}

/// Names a request the client is working on; stale once its
/// [`ClientEvent`] was handed out or it was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FetchId {
    slot: u32,
    gen: u32,
}

raw_id!(FetchId);

/// A complete response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientResponse {
    /// The status code.
    pub status: u16,
    /// The reason phrase as sent.
    pub reason: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// Every header, in order, as sent (values not UTF-8 are read lossily).
    pub headers: Vec<(String, String)>,
    /// The body, its chunked framing removed.
    pub body: Vec<u8>,
}

impl ClientResponse {
    /// The value of the first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the client has for the program: exactly one per request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The response arrived whole.
    Response(FetchId, ClientResponse),
    /// The request failed; the sentence says why (connect refused, name not
    /// found, certificate not trusted, timed out, the connection closed
    /// early, a malformed or oversized response).
    Failed(FetchId, String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Connecting (DNS, TCP, TLS).
    Connecting,
    /// The request is sent; its response is arriving.
    Waiting,
    /// In the pool, kept for the next request to its origin.
    Idle,
}

#[derive(Debug)]
struct Conn {
    origin: Origin,
    stage: Stage,
    fetch: Option<FetchId>,
    /// Bytes received and not parsed yet.
    buf: Vec<u8>,
    head: Option<RespHead>,
    body: Vec<u8>,
    /// The connection carried a request before this one.
    reused: bool,
    /// Bytes of the current response have arrived.
    answered: bool,
}

#[derive(Debug)]
struct Fetch {
    gen: u32,
    origin: Origin,
    /// The whole request: head and body.
    request: Vec<u8>,
    head_only: bool,
    /// May be sent once more (idempotent, not retried yet).
    retry: bool,
    conn: Option<Handle>,
}

/// An HTTP/1.1 client on the program's reactor (see the module docs).
#[derive(Debug)]
pub struct Client {
    opts: ClientOptions,
    tls: Option<TlsConfig>,
    fetches: Slab<Fetch>,
    next_gen: u32,
    conns: HashMap<Handle, Conn>,
    /// Idle connections per origin, most recently used last.
    idle: HashMap<Origin, Vec<Handle>>,
    /// Requests waiting for a connection, per origin.
    waiting: HashMap<Origin, VecDeque<FetchId>>,
    /// Connections open per origin.
    open: HashMap<Origin, usize>,
    events: VecDeque<ClientEvent>,
    user_agent: String,
}

impl Default for Client {
    fn default() -> Client {
        Client::new(ClientOptions::default())
    }
}

/// Bytes read from a socket at a time.
const READ_CHUNK: usize = 16 * 1024;

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Client {
    /// A client with these limits, verifying servers against the system's
    /// roots until [`Client::set_tls_config`].
    pub fn new(opts: ClientOptions) -> Client {
        Client {
            opts,
            tls: None,
            fetches: Slab::new(),
            next_gen: 0,
            conns: HashMap::new(),
            idle: HashMap::new(),
            waiting: HashMap::new(),
            open: HashMap::new(),
            events: VecDeque::new(),
            user_agent: format!("mnet/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The TLS client configuration for `https://` (CA roots, ALPN; built
    /// with [`TlsConfig::builder`]). Connections opened afterwards use it.
    pub fn set_tls_config(&mut self, config: TlsConfig) -> Result<()> {
        if config.is_server() {
            return Err(Error::InvalidArgument("an HTTP client needs a TLS client configuration"));
        }
        self.tls = Some(config);
        Ok(())
    }

    /// The `User-Agent` sent when the request has none (default
    /// `mnet/VERSION`; empty leaves it out).
    pub fn set_user_agent(&mut self, ua: &str) -> Result<()> {
        if ua.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(Error::InvalidArgument("a User-Agent may not contain CR, LF or NUL"));
        }
        self.user_agent = ua.to_owned();
        Ok(())
    }

    /// `GET url`.
    pub fn get(&mut self, r: &mut Reactor, url: &str) -> Result<FetchId> {
        self.fetch(r, "GET", url, &[], b"")
    }

    /// Sends `method url` with `headers` and `body` (Content-Length framed;
    /// sent for any non-empty body and for POST, PUT and PATCH). The client
    /// adds `Host` and `User-Agent` unless given, and refuses
    /// `Content-Length`, `Transfer-Encoding` and `Connection` (it frames the
    /// request itself). Returns at once; the answer is one
    /// [`ClientEvent`] for the returned id. Errors here are the caller's: a
    /// malformed URL, method or header.
    pub fn fetch(
        &mut self,
        r: &mut Reactor,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<FetchId> {
        if !is_token(method) {
            return Err(Error::InvalidArgument("an HTTP method is a token (GET, POST, ...)"));
        }
        let u = url::parse(url)?;
        let mut req = Vec::with_capacity(128 + body.len());
        req.extend_from_slice(format!("{method} {} HTTP/1.1\r\n", u.target).as_bytes());
        let (mut host, mut agent) = (false, false);
        for (name, value) in headers {
            if !is_token(name) {
                return Err(Error::InvalidArgument("a header name is a token"));
            }
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(Error::InvalidArgument("a header value may not contain CR, LF or NUL"));
            }
            if ["content-length", "transfer-encoding", "connection"]
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
            {
                return Err(Error::InvalidArgument(
                    "Content-Length, Transfer-Encoding and Connection are the client's to set",
                ));
            }
            host |= name.eq_ignore_ascii_case("host");
            agent |= name.eq_ignore_ascii_case("user-agent");
            req.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if !host {
            req.extend_from_slice(format!("Host: {}\r\n", u.origin.host_header()).as_bytes());
        }
        if !agent && !self.user_agent.is_empty() {
            req.extend_from_slice(format!("User-Agent: {}\r\n", self.user_agent).as_bytes());
        }
        if !body.is_empty() || ["POST", "PUT", "PATCH"].contains(&method) {
            req.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        req.extend_from_slice(b"\r\n");
        req.extend_from_slice(body);
        self.next_gen = self.next_gen.wrapping_add(1).max(1);
        let gen = self.next_gen;
        let slot = self.fetches.insert(Fetch {
            gen,
            origin: u.origin,
            request: req,
            head_only: method == "HEAD",
            retry: ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"].contains(&method),
            conn: None,
        });
        let id = FetchId { slot: slot as u32, gen };
        self.dispatch(r, id, false);
        Ok(id)
    }

    /// Forgets request `id`: no event will come for it, and its connection,
    /// if it had one, closes. Stale ids are ignored.
    pub fn cancel(&mut self, r: &mut Reactor, id: FetchId) {
        let Some(f) = self.take_fetch(id) else {
            return;
        };
        match f.conn {
            Some(h) => self.close_conn(r, h),
            None => {
                if let Some(q) = self.waiting.get_mut(&f.origin) {
                    q.retain(|&w| w != id);
                }
            }
        }
    }

    /// Closes every connection and forgets every request (no events).
    pub fn close(&mut self, r: &mut Reactor) {
        let all: Vec<Handle> = self.conns.keys().copied().collect();
        for h in all {
            self.close_conn(r, h);
        }
        self.fetches.clear();
        self.waiting.clear();
    }

    /// Requests not answered yet (their event not handed out).
    pub fn pending(&self) -> usize {
        self.fetches.len() + self.events.len()
    }

    /// Open connections, idle ones included.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// Takes `m` if it belongs to one of the client's connections (acting on
    /// it), or gives it back.
    pub fn handle(&mut self, r: &mut Reactor, m: Msg) -> Option<Msg> {
        if !self.conns.contains_key(&m.chann) {
            return Some(m);
        }
        match m.event {
            ChannEvent::Connected => self.connected(r, m.chann),
            ChannEvent::Recv => self.readable(r, m.chann),
            ChannEvent::Disconnect | ChannEvent::Eof => self.lost(r, m.chann, m.err),
            ChannEvent::Timer => self.timed_out(r, m.chann),
            _ => {}
        }
        None
    }

    /// The next event for the program.
    pub fn next_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    // ---- requests and connections ------------------------------------------

    fn fetch_mut(&mut self, id: FetchId) -> Option<&mut Fetch> {
        self.fetches.get_mut(id.slot as usize).filter(|f| f.gen == id.gen)
    }

    fn take_fetch(&mut self, id: FetchId) -> Option<Fetch> {
        self.fetch_mut(id)?;
        Some(self.fetches.remove(id.slot as usize))
    }

    fn fail(&mut self, id: FetchId, why: String) {
        if self.take_fetch(id).is_some() {
            self.events.push_back(ClientEvent::Failed(id, why));
        }
    }

    /// Gives request `id` a connection: an idle one of its origin, a new one
    /// (`fresh` forces this), or a place in the origin's queue.
    fn dispatch(&mut self, r: &mut Reactor, id: FetchId, fresh: bool) {
        let Some(origin) = self.fetch_mut(id).map(|f| f.origin.clone()) else {
            return;
        };
        if !fresh {
            while let Some(h) = self.idle.get_mut(&origin).and_then(Vec::pop) {
                if r.state(h).is_ok_and(|s| s == State::Connected) {
                    self.send_request(r, h, id, true);
                    return;
                }
                self.close_conn(r, h);
            }
        }
        if self.open.get(&origin).copied().unwrap_or(0) >= self.opts.max_per_origin.max(1) {
            self.waiting.entry(origin).or_default().push_back(id);
            return;
        }
        let h = r.open(if origin.tls { Kind::Tls } else { Kind::Stream });
        let addr = origin.connect_addr();
        let started = match (&self.tls, origin.tls) {
            (Some(cfg), true) => r.set_tls_config(h, cfg.clone()),
            _ => Ok(()),
        }
        .and_then(|()| r.connect(h, &addr))
        .and_then(|()| r.set_timer(h, self.opts.connect_timeout_ms.max(1)));
        if let Err(e) = started {
            let _ = r.close(h);
            return self.fail(id, format!("connect to {addr}: {e}"));
        }
        *self.open.entry(origin.clone()).or_default() += 1;
        self.conns.insert(
            h,
            Conn {
                origin,
                stage: Stage::Connecting,
                fetch: Some(id),
                buf: Vec::new(),
                head: None,
                body: Vec::new(),
                reused: false,
                answered: false,
            },
        );
        if let Some(f) = self.fetch_mut(id) {
            f.conn = Some(h);
        }
    }

    fn send_request(&mut self, r: &mut Reactor, h: Handle, id: FetchId, reused: bool) {
        let timeout = self.opts.response_timeout_ms.max(1);
        let Some(f) = self.fetches.get_mut(id.slot as usize).filter(|f| f.gen == id.gen) else {
            return;
        };
        f.conn = Some(h);
        let sent = r.send(h, &f.request).and_then(|_| r.set_timer(h, timeout));
        if let Some(c) = self.conns.get_mut(&h) {
            c.stage = Stage::Waiting;
            c.fetch = Some(id);
            c.reused = reused;
            c.answered = false;
        }
        if let Err(e) = sent {
            let why = format!("send to {}: {e}", self.conns.get(&h).map(|c| c.origin.connect_addr()).unwrap_or_default());
            self.close_conn(r, h);
            self.fail(id, why);
        }
    }

    fn connected(&mut self, r: &mut Reactor, h: Handle) {
        match self.conns.get(&h).and_then(|c| c.fetch) {
            Some(id) => self.send_request(r, h, id, false),
            None => self.close_conn(r, h),
        }
    }

    fn readable(&mut self, r: &mut Reactor, h: Handle) {
        let Some(c) = self.conns.get_mut(&h) else {
            return;
        };
        let mut chunk = [0u8; READ_CHUNK];
        loop {
            match r.recv(h, &mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => c.buf.extend_from_slice(&chunk[..n]),
            }
        }
        if c.fetch.is_none() {
            // An idle connection that speaks unasked: not to be trusted.
            return self.close_conn(r, h);
        }
        c.answered |= !c.buf.is_empty();
        self.parse(r, h);
    }

    /// Turns the bytes a connection received into its response.
    fn parse(&mut self, r: &mut Reactor, h: Handle) {
        let (max_head, max_headers, max_body) = (self.opts.max_head, self.opts.max_headers, self.opts.max_body);
        let Some(c) = self.conns.get_mut(&h) else {
            return;
        };
        let Some(id) = c.fetch else {
            return;
        };
        let head_only = self.fetches.get(id.slot as usize).is_some_and(|f| f.head_only);
        while c.head.is_none() {
            match response::parse(&c.buf, max_head, max_headers, head_only) {
                RespParsed::Partial => return,
                RespParsed::Bad(why) => return self.broken(r, h, why.to_owned()),
                RespParsed::Complete(head) => {
                    c.buf.drain(..head.len);
                    if head.status == 101 {
                        return self.broken(r, h, "the server switched protocols (101) unasked".to_owned());
                    }
                    if let Body::Length(n) = head.body {
                        if n > max_body {
                            let why = format!("response body of {n} bytes is larger than the limit of {max_body} bytes");
                            return self.broken(r, h, why);
                        }
                    }
                    if head.status >= 200 {
                        c.head = Some(head);
                    } // 1xx: an interim response, skipped
                }
            }
        }
        let Some(head) = c.head.as_mut() else {
            return;
        };
        match head.body.feed(&c.buf, &mut c.body, max_body) {
            Ok(used) => {
                c.buf.drain(..used);
            }
            Err(rej) if rej.status == 413 => {
                return self.broken(r, h, format!("response body larger than the limit of {max_body} bytes"))
            }
            Err(rej) => return self.broken(r, h, format!("response body: {}", rej.why)),
        }
        if head.body == Body::Done {
            self.complete(r, h);
        }
    }

    /// The response on `h` is whole: hand it out, then pool or close `h`.
    fn complete(&mut self, r: &mut Reactor, h: Handle) {
        let Some(c) = self.conns.get_mut(&h) else {
            return;
        };
        let (Some(id), Some(head)) = (c.fetch.take(), c.head.take()) else {
            return;
        };
        let body = std::mem::take(&mut c.body);
        // Bytes past the response: the server is out of step; not reused.
        let reusable = head.keep_alive && c.buf.is_empty();
        let origin = c.origin.clone();
        if self.take_fetch(id).is_some() {
            self.events.push_back(ClientEvent::Response(
                id,
                ClientResponse {
                    status: head.status,
                    reason: head.reason,
                    minor_version: head.minor,
                    headers: head.headers,
                    body,
                },
            ));
        }
        if !reusable {
            return self.close_conn(r, h);
        }
        if let Some(next) = self.waiting.get_mut(&origin).and_then(VecDeque::pop_front) {
            return self.send_request(r, h, next, true);
        }
        if let Some(c) = self.conns.get_mut(&h) {
            c.stage = Stage::Idle;
        }
        if r.set_timer(h, self.opts.idle_timeout_ms.max(1)).is_err() {
            return self.close_conn(r, h);
        }
        self.idle.entry(origin).or_default().push(h);
    }

    /// The response on `h` cannot be read: the request fails, `h` closes.
    fn broken(&mut self, r: &mut Reactor, h: Handle, why: String) {
        let Some(c) = self.conns.get(&h) else {
            return;
        };
        let (id, addr) = (c.fetch, c.origin.connect_addr());
        self.close_conn(r, h);
        if let Some(id) = id {
            self.fail(id, format!("{addr}: {why}"));
        }
    }

    /// The connection ended (`err` its errno, 0 for the server's close).
    fn lost(&mut self, r: &mut Reactor, h: Handle, err: i32) {
        let Some(c) = self.conns.get_mut(&h) else {
            return;
        };
        let Some(id) = c.fetch else {
            return self.close_conn(r, h); // an idle connection the server closed
        };
        if err == 0 && c.head.as_ref().is_some_and(|hd| hd.body == Body::UntilClose) {
            if let Some(hd) = c.head.as_mut() {
                hd.body = Body::Done; // the close ends the body
            }
            return self.complete(r, h);
        }
        let addr = c.origin.connect_addr();
        let why = match c.stage {
            Stage::Connecting => match (r.resolve_error(h), r.tls_error(h)) {
                (Some(dns), _) => format!("connect to {addr}: {dns}"),
                (None, Ok(Some(tls))) => format!("connect to {addr}: TLS: {tls}"),
                _ => format!("connect to {addr}: {}", std::io::Error::from_raw_os_error(err)),
            },
            _ => match r.tls_error(h) {
                Ok(Some(tls)) => format!("{addr}: TLS: {tls}"),
                _ if err == 0 => format!("{addr} closed the connection before the response was complete"),
                _ => format!("{addr}: connection lost: {}", std::io::Error::from_raw_os_error(err)),
            },
        };
        let retry = c.stage == Stage::Waiting && c.reused && !c.answered;
        self.close_conn(r, h);
        if retry {
            if let Some(f) = self.fetch_mut(id).filter(|f| f.retry) {
                f.retry = false;
                f.conn = None;
                return self.dispatch(r, id, true);
            }
        }
        self.fail(id, why);
    }

    fn timed_out(&mut self, r: &mut Reactor, h: Handle) {
        let Some(c) = self.conns.get(&h) else {
            return;
        };
        let (id, addr, stage) = (c.fetch, c.origin.connect_addr(), c.stage);
        self.close_conn(r, h);
        if let Some(id) = id {
            let why = match stage {
                Stage::Connecting => format!("connect to {addr} timed out after {} ms", self.opts.connect_timeout_ms),
                _ => format!("no complete response from {addr} within {} ms", self.opts.response_timeout_ms),
            };
            self.fail(id, why);
        }
    }

    /// Closes `h` and forgets it; a request waiting for its origin may then
    /// open a connection of its own.
    fn close_conn(&mut self, r: &mut Reactor, h: Handle) {
        let _ = r.close(h);
        let Some(c) = self.conns.remove(&h) else {
            return;
        };
        if let Some(n) = self.open.get_mut(&c.origin) {
            *n -= 1;
            if *n == 0 {
                self.open.remove(&c.origin);
            }
        }
        if c.stage == Stage::Idle {
            if let Some(list) = self.idle.get_mut(&c.origin) {
                list.retain(|&x| x != h);
                if list.is_empty() {
                    self.idle.remove(&c.origin);
                }
            }
        }
        if let Some(next) = self.waiting.get_mut(&c.origin).and_then(VecDeque::pop_front) {
            if self.waiting.get(&c.origin).is_some_and(VecDeque::is_empty) {
                self.waiting.remove(&c.origin);
            }
            self.dispatch(r, next, false);
        }
    }
}
