//! The HTTP/1.1 server: connections accepted by its listeners, requests
//! parsed as they arrive (pipelined ones too), handed to the program as
//! events, and responses written back in request order.
//!
//! It runs on the program's reactor and its loop: the program passes every
//! message to [`Server::handle`], which keeps those of the server's channels
//! and gives the others back, then takes the server's events with
//! [`Server::next_event`] and answers requests with [`Server::respond`] (at
//! once, or later from any event of the same loop).

mod conns;
mod heads;
mod input;
mod read;
mod reqs;
#[cfg(test)]
mod tests;
mod upgrade;
mod write;

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::net::SocketAddr;

use self::conns::Conns;
use self::heads::Heads;
use self::input::Input;
use self::reqs::{Req, Reqs};
use super::body::Body;
use super::head::{self, Framing, Head, HeadLimits, Headers, Parsed, Reject};
use super::route::{RouteId, Router};
use super::{Limits, Request, Response};
use crate::{Error, Event as ChannEvent, Handle, Kind, Msg, Reactor, Result, TlsConfig};

pub use upgrade::Upgraded;

/// Names a request the server handed out; stale once its response is
/// complete or its client went away (then calls with it fail).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestId {
    slot: u32,
    gen: u32,
}

raw_id!(RequestId);

/// What the server has for the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A request is complete (its head and body): answer it with
    /// [`Server::respond`] or [`Server::respond_stream`], now or later.
    Request(RequestId),
    /// A streamed response's queue emptied: the program may write more
    /// ([`Server::write_chunk`]).
    Drain(RequestId),
    /// The client went away (or the server stopped it) before the response
    /// was complete, or a streamed body broke a rule or a limit (the client
    /// got the error status); the id is stale from now on.
    Aborted(RequestId),
    /// More of a streamed request's body arrived ([`Server::stream_body`]):
    /// take it with [`Server::take_body`]. One event until it is taken;
    /// reading pauses while more than 64 KiB wait untaken.
    Body(RequestId),
    /// A streamed request's body is complete (every request on a streamed
    /// route gets one, with or without a body): [`Server::take_body`] gives
    /// what was not taken yet.
    BodyEnd(RequestId),
}

/// The error of a call with a [`RequestId`] that is stale.
fn stale() -> Error {
    Error::InvalidArgument("stale HTTP request (answered already, or its client went away)")
}

/// Bytes read from a socket at a time.
const READ_CHUNK: usize = 16 * 1024;
/// A streamed file is read this much at a time.
const FILE_CHUNK: usize = 64 * 1024;
/// Files up to this size are sent from memory in one piece.
const SMALL_FILE: u64 = 256 * 1024;
/// How long a closing connection may keep sending before it is cut.
const LINGER_US: u64 = 2_000_000;
/// Timeouts are checked this often.
const TICK_MS: u64 = 250;
/// Reading a streamed body pauses while this many of its bytes wait for
/// `take_body`.
const STREAM_HOLD: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    /// Waiting for (the rest of) a request head.
    Head,
    /// The body of request `RequestId`.
    Body(RequestId, Body),
    /// No more requests on this connection: input is read and dropped.
    Closing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clock {
    /// Between requests.
    Idle,
    /// A head is arriving.
    Head,
    /// A body is arriving.
    Body,
    /// Closing: the last bytes leave.
    Linger,
    /// The program has requests to answer: no clock runs.
    Busy,
}

#[derive(Debug)]
struct Conn {
    /// Bytes received and not parsed yet.
    input: Input,
    reading: Reading,
    /// Requests in arrival order, awaiting their responses.
    queue: VecDeque<RequestId>,
    clock: Clock,
    deadline: u64,
    /// RECV is paused because the pipeline is full.
    paused: bool,
    /// The client finished sending (half-close).
    peer_done: bool,
    /// Closing: the FIN was sent; waiting for the client's end.
    shut: bool,
    peer: Option<SocketAddr>,
}

impl Conn {
    /// A connection just accepted: idle until `deadline`.
    fn new(deadline: u64, peer: Option<SocketAddr>) -> Conn {
        Conn {
            input: Input::default(),
            reading: Reading::Head,
            queue: VecDeque::new(),
            clock: Clock::Idle,
            deadline,
            paused: false,
            peer_done: false,
            shut: false,
            peer,
        }
    }
}

#[derive(Debug, Default)]
enum Out {
    /// Nothing written yet.
    #[default]
    Waiting,
    /// A complete response (or the start of a stream) waiting for its turn.
    Ready(Vec<u8>),
    /// A streamed response in progress: chunks go out as they come.
    Streaming { pending: Vec<u8>, ended: bool },
    /// A file sent as the connection drains: its head (until written),
    /// then the bytes left.
    File { head: Vec<u8>, file: File, left: u64 },
}

/// An HTTP/1.1 server on the program's reactor (see the module docs).
#[derive(Debug)]
pub struct Server {
    limits: Limits,
    router: Router,
    listeners: Vec<Handle>,
    tick: Option<Handle>,
    conns: Conns,
    reqs: Reqs,
    events: VecDeque<Event>,
    heads: Heads,
    /// Spare response buffers.
    spare: Vec<Vec<u8>>,
    /// The read buffer lent to a connection with no bytes pending while it
    /// reads and parses ([`Server::readable`]): an idle keep-alive
    /// connection holds no read buffer of its own.
    lent: Input,
    /// The header list the next head is parsed into (then it goes to the
    /// request, and the one the request's slot had comes here).
    headers: Headers,
    /// Routes whose request bodies are handed over as they arrive.
    streamed: Vec<RouteId>,
    stopping: bool,
}

impl Default for Server {
    fn default() -> Server {
        Server::new(Limits::default())
    }
}

impl Server {
    /// A server with these limits and no route (every request gets 404
    /// until routes are added, or the program answers the fallback).
    pub fn new(limits: Limits) -> Server {
        Server {
            limits,
            router: Router::default(),
            listeners: Vec::new(),
            tick: None,
            conns: Conns::default(),
            reqs: Reqs::default(),
            events: VecDeque::new(),
            heads: Heads::new("mnet"),
            spare: Vec::new(),
            lent: Input::default(),
            headers: Headers::new(),
            streamed: Vec::new(),
            stopping: false,
        }
    }

    /// The `Server` header value (default `mnet`; empty leaves it out).
    pub fn set_name(&mut self, name: &str) {
        self.heads.set_name(name);
    }

    /// Adds a route: `method` (`Some("GET")`, or `None` for any) and a path
    /// pattern with literal segments, `:name` parameters and a trailing
    /// `*` (`/users/:id`, `/static/*`). Requests carry the first route that
    /// matches ([`Request::route`]); [`RouteId::FALLBACK`] when none does.
    pub fn route(&mut self, method: Option<&str>, pattern: &str) -> Result<RouteId> {
        self.router.add(method, pattern)
    }

    /// Hands the bodies of requests on `route` ([`RouteId::FALLBACK`] too)
    /// over as they arrive instead of whole: [`Event::Request`] comes once
    /// the head is in, then [`Event::Body`] as bytes arrive (take them with
    /// [`Server::take_body`]) and always [`Event::BodyEnd`], also for a
    /// request without a body. [`Limits::max_body`]
    /// still bounds the whole body (raise it for large uploads); an answer
    /// given before the body ended closes the connection after it.
    pub fn stream_body(&mut self, route: RouteId) -> Result<()> {
        if route != RouteId::FALLBACK && !self.router.has(route) {
            return Err(Error::InvalidArgument("no such HTTP route"));
        }
        if !self.streamed.contains(&route) {
            self.streamed.push(route);
        }
        Ok(())
    }

    /// The body bytes of streamed request `id` that arrived since the last
    /// call (empty when none did); reading resumes if it was paused for
    /// them. An error for a request that is not streamed or is stale.
    pub fn take_body(&mut self, r: &mut Reactor, id: RequestId) -> Result<Vec<u8>> {
        let q = self.req_mut(id)?;
        if !q.streamed {
            return Err(Error::InvalidArgument("this HTTP request's body is not streamed (Server::stream_body)"));
        }
        let at = q.head.len.min(q.buf.len());
        let bytes = q.buf.split_off(at);
        q.taken += bytes.len() as u64;
        q.body_event = false;
        let conn = q.conn;
        let body_ms = self.limits.body_timeout_ms;
        if let Some(c) = self.conns.get_mut(conn).filter(|c| c.clock == Clock::Body) {
            // The time the program took does not count against the client.
            c.deadline = r.now.saturating_add(body_ms.saturating_mul(1000));
        }
        self.resume(r, conn);
        Ok(bytes)
    }

    /// Listens on `addr` (plain HTTP).
    pub fn listen(&mut self, r: &mut Reactor, addr: &str) -> Result<Handle> {
        self.listen_kind(r, addr, None)
    }

    /// Listens on `addr` for HTTPS with `config` (a certificate and key).
    pub fn listen_tls(&mut self, r: &mut Reactor, addr: &str, config: TlsConfig) -> Result<Handle> {
        self.listen_kind(r, addr, Some(config))
    }

    fn listen_kind(&mut self, r: &mut Reactor, addr: &str, tls: Option<TlsConfig>) -> Result<Handle> {
        let l = r.open(if tls.is_some() { Kind::Tls } else { Kind::Stream });
        let listened = match tls {
            Some(cfg) => r.set_tls_config(l, cfg).and_then(|()| r.listen(l, addr, 1024)),
            None => r.listen(l, addr, 1024),
        };
        if let Err(e) = listened {
            let _ = r.close(l);
            return Err(e);
        }
        if self.tick.is_none() {
            let t = r.open(Kind::Stream);
            r.set_timer(t, TICK_MS)?;
            self.tick = Some(t);
        }
        self.listeners.push(l);
        Ok(l)
    }

    /// Takes `m` if it belongs to one of the server's channels (acting on
    /// it), or gives it back.
    pub fn handle(&mut self, r: &mut Reactor, m: Msg) -> Option<Msg> {
        // The most frequent message first, without a second lookup.
        if m.event == ChannEvent::Recv && self.readable(r, m.chann) {
            return None;
        }
        if self.conns.contains(m.chann) {
            match m.event {
                ChannEvent::Send => self.drained(r, m.chann),
                ChannEvent::Eof => self.peer_finished(r, m.chann),
                ChannEvent::Disconnect => self.drop_conn(r, m.chann),
                _ => {}
            }
            return None;
        }
        if Some(m.chann) == self.tick {
            self.check_clocks(r);
            return None;
        }
        if self.listeners.contains(&m.chann) {
            if m.event == ChannEvent::Accept {
                self.accepted(r, m.accepted);
            }
            return None;
        }
        Some(m)
    }

    /// The next event for the program.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The request `id`, while it is live.
    pub fn request(&self, id: RequestId) -> Option<Request<'_>> {
        let req = self.req(id)?;
        let peer = self.conns.get(req.conn).and_then(|c| c.peer);
        // A streamed body is only ever handed out by take_body.
        let buf = if req.streamed { &req.buf[..req.head.len.min(req.buf.len())] } else { &req.buf[..] };
        Some(Request::new(buf, &req.head, req.route, &req.params, &self.router, peer))
    }

    fn req(&self, id: RequestId) -> Option<&Req> {
        self.reqs.get(id)
    }

    fn req_mut(&mut self, id: RequestId) -> Result<&mut Req> {
        self.reqs.get_mut(id).ok_or_else(stale)
    }

    /// Bytes queued on the connection of `id` and not yet sent.
    pub fn queued(&self, r: &Reactor, id: RequestId) -> Result<usize> {
        let q = self.req(id).ok_or_else(stale)?;
        r.cached(q.conn)
    }

    /// Stops gracefully: the listeners close, idle connections close, and
    /// connections with requests in progress close once those are answered
    /// (with `Connection: close`). [`Server::is_stopped`] says when every
    /// connection is gone.
    pub fn stop(&mut self, r: &mut Reactor) {
        self.stopping = true;
        for l in self.listeners.drain(..) {
            let _ = r.close(l);
        }
        let idle: Vec<Handle> = self
            .conns
            .iter()
            .filter(|(_, c)| c.queue.is_empty() && matches!(c.reading, Reading::Head))
            .map(|(h, _)| h)
            .collect();
        for h in idle {
            let _ = r.close(h);
            self.drop_conn(r, h);
        }
        for c in self.conns.values_mut() {
            if let Reading::Head = c.reading {
                c.reading = Reading::Closing;
            }
        }
        for q in self.reqs.iter_mut() {
            q.close = true;
        }
        if self.conns.is_empty() {
            if let Some(t) = self.tick.take() {
                let _ = r.close(t);
            }
        }
    }

    /// Closes every listener and connection at once; requests in progress
    /// are dropped without events. The server may listen again afterwards.
    pub fn close(&mut self, r: &mut Reactor) {
        for l in self.listeners.drain(..) {
            let _ = r.close(l);
        }
        for (h, _) in self.conns.drain() {
            let _ = r.close(h);
        }
        if let Some(t) = self.tick.take() {
            let _ = r.close(t);
        }
        self.reqs.clear();
        self.events.clear();
    }

    /// Whether a stopped server has no connection left.
    pub fn is_stopped(&self) -> bool {
        self.stopping && self.conns.is_empty()
    }

    /// Open connections.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    // ---- connections ------------------------------------------------------

    fn accepted(&mut self, r: &mut Reactor, h: Handle) {
        if self.stopping {
            let _ = r.close(h);
            return;
        }
        // Half-close: a client that finishes sending still gets its answers.
        let _ = r.set_half_close(h, true);
        let peer = r.peer_addr(h).ok();
        let deadline = r.now.saturating_add(self.limits.keep_alive_ms.saturating_mul(1000));
        self.conns.insert(h, Conn::new(deadline, peer));
    }

    /// The client finished sending: answer what it asked, then close.
    fn peer_finished(&mut self, r: &mut Reactor, h: Handle) {
        let Some(c) = self.conns.get_mut(h) else {
            return;
        };
        c.peer_done = true;
        if c.queue.is_empty() {
            let _ = r.close(h);
            self.drop_conn(r, h);
        }
    }

    /// A connection is gone: its unanswered requests are aborted.
    fn drop_conn(&mut self, r: &mut Reactor, h: Handle) {
        let Some(c) = self.conns.remove(h) else {
            return;
        };
        let _ = r.close(h);
        for id in c.queue {
            if self.reqs.remove(id).is_some_and(|q| !q.internal) {
                self.events.push_back(Event::Aborted(id));
            }
        }
        if self.stopping && self.conns.is_empty() {
            if let Some(t) = self.tick.take() {
                let _ = r.close(t);
            }
        }
    }

    /// The server's clock: connections past their deadline.
    fn check_clocks(&mut self, r: &mut Reactor) {
        let now = r.now; // the round's time: the tick came in this round
        let due: Vec<(Handle, Clock)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.clock != Clock::Busy && c.deadline <= now)
            .map(|(h, c)| (h, c.clock))
            .collect();
        for (h, clock) in due {
            match clock {
                Clock::Head | Clock::Body => {
                    self.refuse(r, h, Reject { status: 408, why: "the request took too long to arrive" });
                }
                Clock::Idle | Clock::Linger | Clock::Busy => {
                    let _ = r.close(h);
                    self.drop_conn(r, h);
                }
            }
        }
    }

}

