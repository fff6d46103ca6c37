//! The [`Endpoint`]: its connections, what the program calls, and the
//! messages it takes from the reactor. Reading, closing and clocks are in
//! conn.rs; the server's and the client's openings in accept.rs and
//! connect.rs.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::SocketAddr;

use super::codec::{self, Incoming, Limits, Reader, Role, Scratch, Writer};
use super::deflate::{self, Params};
use super::frame::{OP_BINARY, OP_PING, OP_TEXT};
use super::{Event, Options};
use crate::{Error, Event as ChannEvent, Handle, Msg, Reactor, Result, TlsConfig};

/// Bytes read from a socket at a time.
pub(super) const READ_CHUNK: usize = 64 * 1024;

/// Where a connection is in its life.
#[derive(Debug)]
pub(super) enum Stage {
    /// A client's: connecting, then waiting for the 101 answer.
    Opening(Box<super::connect::Opening>),
    /// Messages flow.
    Open,
    /// A close frame went out, or the connection failed: waiting for the
    /// peer's close frame or the end of TCP (bounded by the close timeout).
    Closing,
}

#[derive(Debug)]
pub(super) struct Conn {
    pub role: Role,
    pub stage: Stage,
    pub reader: Reader,
    pub writer: Writer,
    /// Boxed: zlib's stream state is large, and most connections have none.
    pub deflate: Option<Box<deflate::State>>,
    pub protocol: Option<String>,
    pub peer: Option<SocketAddr>,
    /// A close frame was sent.
    pub close_sent: bool,
    /// The peer's input is no longer read as frames (it failed, or its
    /// close came).
    pub deaf: bool,
    /// What the Close event will say (set by the close that came first).
    pub end: Option<(u16, String)>,
    /// The body of a close frame to send once the program has seen the
    /// messages that came before the peer's close or its fault (conn.rs).
    pub pending: Option<Vec<u8>>,
    /// Microseconds: last bytes from the peer, last message either way, the
    /// keep-alive ping in flight.
    pub heard: u64,
    pub active: u64,
    pub ping_sent: Option<u64>,
    /// Reading is paused for a full send queue.
    pub paused: bool,
    /// Announce [`Event::Drain`] when the queue empties.
    pub want_drain: bool,
}

impl Conn {
    pub fn new(role: Role, opts: &Options, params: Option<Params>, stage: Stage) -> Conn {
        let limits = Limits {
            max_frame: opts.max_frame,
            max_message: opts.max_message,
        };
        let now = crate::now_micros();
        Conn {
            role,
            stage,
            reader: Reader::new(role, limits),
            writer: Writer::new(role, opts.fragment_size, opts.deflate.threshold),
            deflate: params.map(|p| Box::new(deflate::State::new(p, opts.deflate.level))),
            protocol: None,
            peer: None,
            close_sent: false,
            deaf: false,
            end: None,
            pending: None,
            heard: now,
            active: now,
            ping_sent: None,
            paused: false,
            want_drain: false,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.stage, Stage::Open)
    }
}

/// Hashes a [`Handle`] with one multiplication. Handles are the reactor's
/// own numbers, never chosen by a peer, so SipHash's defence against
/// chosen keys buys nothing; it was a quarter of the echo server's
/// instructions with 64-byte messages (a connection is looked up about
/// eight times per message). The low bits of the product depend only on
/// the low bits of the handle, its slot index, so live connections spread
/// over the buckets, and the high bits hashbrown also uses are mixed.
#[derive(Default, Clone, Copy)]
pub(super) struct HandleHasher(u64);

impl Hasher for HandleHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// WebSocket connections on the program's reactor, accepted from its HTTP
/// server or opened to URLs (see the module docs).
#[derive(Debug)]
pub struct Endpoint {
    pub(super) opts: Options,
    /// Boxed, so the table's spare room costs a pointer per slot.
    pub(super) conns: HashMap<Handle, Box<Conn>, BuildHasherDefault<HandleHasher>>,
    pub(super) events: VecDeque<Event>,
    pub(super) shared: deflate::Shared,
    pub(super) out: Scratch,
    /// Where reads land before the codec takes them.
    pub(super) scratch: Vec<u8>,
    /// What the codec found in the current read.
    pub(super) found: Vec<Incoming>,
    pub(super) tls: Option<TlsConfig>,
}

impl Default for Endpoint {
    fn default() -> Endpoint {
        Endpoint::new(Options::default())
    }
}

impl Endpoint {
    /// An endpoint with these options and no connection.
    pub fn new(opts: Options) -> Endpoint {
        Endpoint {
            opts,
            conns: HashMap::default(),
            events: VecDeque::new(),
            shared: deflate::Shared::default(),
            out: Scratch::default(),
            scratch: Vec::new(),
            found: Vec::new(),
            tls: None,
        }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Takes `m` if it belongs to one of the endpoint's connections (acting
    /// on it), or gives it back.
    pub fn handle(&mut self, r: &mut Reactor, m: Msg) -> Option<Msg> {
        if !self.conns.contains_key(&m.chann) {
            return Some(m);
        }
        match m.event {
            ChannEvent::Connected => self.connected(r, m.chann),
            ChannEvent::Recv => self.readable(r, m.chann),
            ChannEvent::Send => self.drained(r, m.chann),
            ChannEvent::Eof | ChannEvent::Disconnect => self.lost(r, m.chann, m.err),
            ChannEvent::Timer => self.tick(r, m.chann),
            _ => {}
        }
        None
    }

    /// The next event for the program.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Connections, opening and closing ones included.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    /// The subprotocol agreed on connection `id`, if any.
    pub fn protocol(&self, id: Handle) -> Option<&str> {
        self.conns.get(&id)?.protocol.as_deref()
    }

    /// Whether permessage-deflate was agreed on connection `id`.
    pub fn is_compressed(&self, id: Handle) -> bool {
        self.conns.get(&id).is_some_and(|c| c.deflate.is_some())
    }

    /// The peer's address of connection `id`.
    pub fn peer_addr(&self, id: Handle) -> Option<SocketAddr> {
        self.conns.get(&id)?.peer
    }

    /// Bytes queued on connection `id` and not yet handed to the kernel.
    pub fn queued(&self, r: &Reactor, id: Handle) -> Result<usize> {
        self.conn(id)?;
        r.cached(id)
    }

    fn conn(&self, id: Handle) -> Result<&Conn> {
        self.conns.get(&id).map(|c| &**c).ok_or(Error::StaleHandle(id.to_raw()))
    }

    /// Sends a text message.
    pub fn send_text(&mut self, r: &mut Reactor, id: Handle, text: &str) -> Result<()> {
        self.send_message(r, id, OP_TEXT, text.as_bytes())
    }

    /// Sends a binary message.
    pub fn send_binary(&mut self, r: &mut Reactor, id: Handle, data: &[u8]) -> Result<()> {
        self.send_message(r, id, OP_BINARY, data)
    }

    /// Sends a message: text (`data` must be UTF-8) or binary. Refused
    /// with [`Error::QueueFull`] while [`Options::max_queue`] bytes are
    /// queued ([`Event::Drain`] follows when the queue empties); refused
    /// once the connection is closing.
    pub fn send(&mut self, r: &mut Reactor, id: Handle, text: bool, data: &[u8]) -> Result<()> {
        if !text {
            return self.send_binary(r, id, data);
        }
        let text = std::str::from_utf8(data).map_err(|_| Error::InvalidArgument("a text message must be UTF-8"))?;
        self.send_text(r, id, text)
    }

    fn send_message(&mut self, r: &mut Reactor, id: Handle, opcode: u8, data: &[u8]) -> Result<()> {
        self.writable(r, id, data.len())?;
        self.write(r, id, opcode, data)?;
        if let Some(c) = self.conns.get_mut(&id) {
            c.active = crate::now_micros();
        }
        Ok(())
    }

    /// Sends a ping with up to 125 bytes of payload.
    pub fn ping(&mut self, r: &mut Reactor, id: Handle, data: &[u8]) -> Result<()> {
        if data.len() > 125 {
            return Err(Error::InvalidArgument("a ping carries at most 125 bytes"));
        }
        self.writable(r, id, data.len())?;
        self.write(r, id, OP_PING, data)
    }

    /// Starts the closing handshake with `code` (1000-1003, 1007-1014,
    /// 3000-4999) and a reason of at most 123 bytes. Messages that arrive
    /// afterwards are dropped; [`Event::Close`] follows when the peer
    /// answered and TCP ended, or after [`Options::close_timeout_ms`]. A
    /// client connection still opening is dropped (Close 1006). Closing a
    /// closing connection does nothing.
    pub fn close(&mut self, r: &mut Reactor, id: Handle, code: u16, reason: &str) -> Result<()> {
        if !codec::valid_close_code(code) {
            return Err(Error::InvalidArgument("close codes are 1000-1003, 1007-1014 or 3000-4999"));
        }
        if reason.len() > 123 {
            return Err(Error::InvalidArgument("a close reason is at most 123 bytes"));
        }
        let c = self.conns.get_mut(&id).ok_or(Error::StaleHandle(id.to_raw()))?;
        match c.stage {
            Stage::Opening(_) => {
                c.end = Some((1006, "closed by the program before it opened".to_owned()));
                self.finish(r, id);
            }
            Stage::Closing => {}
            Stage::Open => self.start_close(r, id, code, reason),
        }
        Ok(())
    }

    /// Closes every connection with 1001 (going away); their Close events
    /// follow as the peers answer.
    pub fn close_all(&mut self, r: &mut Reactor) {
        let ids: Vec<Handle> = self.conns.keys().copied().collect();
        for id in ids {
            let _ = self.close(r, id, 1001, "going away");
        }
    }

    /// Drops every connection at once: no closing handshake, no events.
    pub fn abort_all(&mut self, r: &mut Reactor) {
        for (h, _) in self.conns.drain() {
            let _ = r.close(h);
        }
        self.events.clear();
    }

    /// Checks that connection `id` may send `len` more bytes now.
    fn writable(&mut self, r: &mut Reactor, id: Handle, len: usize) -> Result<()> {
        let limit = self.opts.max_queue;
        let c = self.conns.get_mut(&id).ok_or(Error::StaleHandle(id.to_raw()))?;
        if !c.is_open() || c.close_sent {
            return Err(Error::InvalidArgument("the WebSocket connection is not open"));
        }
        let queued = r.cached(id)?;
        if queued >= limit {
            c.want_drain = true;
            let _ = r.set_send_event(id, true);
            return Err(Error::QueueFull { queued, len, limit });
        }
        Ok(())
    }

    /// Frames `payload` and sends it on `id`.
    pub(super) fn write(&mut self, r: &mut Reactor, id: Handle, opcode: u8, payload: &[u8]) -> Result<()> {
        let Some(c) = self.conns.get_mut(&id) else {
            return Err(Error::StaleHandle(id.to_raw()));
        };
        let mut failed = None;
        c.writer.write(opcode, payload, c.deflate.as_deref_mut(), &mut self.shared, &mut self.out, &mut |b| match r.send(id, b) {
            Ok(_) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        });
        // A failed send ends the connection: DISCONNECT follows.
        failed.map_or(Ok(()), Err)
    }

    /// The SEND event: the queue emptied.
    fn drained(&mut self, r: &mut Reactor, id: Handle) {
        let _ = r.set_send_event(id, false);
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        if c.paused {
            c.paused = false;
            let _ = r.set_recv_event(id, true);
        }
        if std::mem::take(&mut c.want_drain) {
            self.events.push_back(Event::Drain(id));
        }
    }
}
