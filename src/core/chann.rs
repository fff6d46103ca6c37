//! A channel: one socket (or none yet), its TLS session when it has one,
//! its send queue, and the state the event rules need.
//!
//! The I/O methods here move bytes and say what happened ([`Io`]); they
//! raise no events. The reactor turns their outcomes into events
//! (`rules.rs`). The TLS half of the state machine is in `tls.rs`.

use std::fmt;
use std::io::{self, IoSlice, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::num::NonZeroI32;

use super::sendq::{SendQueue, MAX_IOV};
use super::timer::{now_micros, TimerSlot};
use super::wheel::Deadline;
use super::tls::TlsState;
use crate::net::socket::{self, Sock, SockOpts};

/// What sort of socket a channel carries. The names are m_net's channel types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// TCP (`"tcp"`).
    Stream = 1,
    /// UDP (`"udp"`).
    Dgram = 2,
    /// UDP with SO_BROADCAST (`"broadcast"`).
    Broadcast = 3,
    /// TLS over TCP (`"tls"`), on rustls.
    Tls = 4,
}

impl Kind {
    /// The kind for m_net's type name (`"tcp"`, `"udp"`, `"broadcast"`);
    /// `None` for anything else (m_net silently made a broadcast socket).
    pub fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "tcp" => Kind::Stream,
            "udp" => Kind::Dgram,
            "broadcast" => Kind::Broadcast,
            "tls" => Kind::Tls,
            _ => return None,
        })
    }

    /// The kind for m_net's type number.
    pub fn from_i32(v: i32) -> Option<Kind> {
        Some(match v {
            1 => Kind::Stream,
            2 => Kind::Dgram,
            3 => Kind::Broadcast,
            4 => Kind::Tls,
            _ => return None,
        })
    }

    /// m_net's name for the kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Stream => "tcp",
            Kind::Dgram => "udp",
            Kind::Broadcast => "broadcast",
            Kind::Tls => "tls",
        }
    }

    pub(crate) fn is_datagram(self) -> bool {
        matches!(self, Kind::Dgram | Kind::Broadcast)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a channel is in its life. The numeric values are m_net's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum State {
    /// Closed: the handle is dead (only reported for stale handles by the C++ face).
    Closed = 0,
    /// Open but without a socket: new, disconnected by the user, or lost.
    /// `listen` and `connect` are allowed here.
    Disconnect = 1,
    /// A connect (or a TLS handshake) is under way.
    Connecting = 2,
    /// Connected: `send` and `recv` work.
    Connected = 3,
    /// Listening (TCP) or bound (UDP: `recv_from` and `send_to` work).
    Listening = 4,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "closed",
            State::Disconnect => "disconnected",
            State::Connecting => "connecting",
            State::Connected => "connected",
            State::Listening => "listening",
        })
    }
}

/// What an I/O step on a connection found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Io {
    /// Bytes moved (from `probe`: input is waiting).
    Bytes(usize),
    /// Nothing now; a readiness report will announce more.
    WouldBlock,
    /// The connection is over and its input drained; the value is how it
    /// ended (0: the peer's FIN or close_notify, otherwise an errno).
    Ended(i32),
}

/// What one stream write did.
enum Wrote {
    /// The kernel took all it was offered: more may follow.
    All(usize),
    /// It took this much (maybe nothing) and takes no more for now.
    Part(usize),
    /// Interrupted: try again.
    Again,
}

/// One readiness report, as the channel needs it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Readiness {
    pub readable: bool,
    pub writable: bool,
    pub read_closed: bool,
    pub write_closed: bool,
    pub error: bool,
}

impl From<&mio::event::Event> for Readiness {
    fn from(ev: &mio::event::Event) -> Readiness {
        Readiness {
            readable: ev.is_readable(),
            writable: ev.is_writable(),
            read_closed: ev.is_read_closed(),
            write_closed: ev.is_write_closed(),
            error: ev.is_error(),
        }
    }
}

/// Reads and writes of a stream channel's socket done by a hook instead of
/// by mnet: an extension type of the C API (m_net's `recv_fn`/`send_fn`).
/// The send queue, the level-style RECV and the events stay mnet's.
pub(crate) trait IoHook: Send {
    /// Reads from socket `fd` into `buf`: `Ok(n)` with n > 0, a
    /// `WouldBlock` error for nothing now, another error to end the
    /// connection.
    fn recv(&mut self, fd: RawFd, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes (some of) `buf` to socket `fd`: `Ok(n)` (a short count is not
    /// a full socket: the rest is offered again at once), `WouldBlock` (the
    /// socket is full: the rest is queued until it drains), or an error that
    /// ends the connection.
    fn send(&mut self, fd: RawFd, buf: &[u8]) -> io::Result<usize>;
}

/// What to count as offered to a hook's write that returned `r` when
/// `offered` bytes were: a hook may take less than it is given while the
/// socket could take more (one frame per call), and says the socket is full
/// only with `WouldBlock`. So a short count is not "the kernel takes no
/// more" (which waits for a writable report that, the socket never having
/// filled, would not come): the write goes on.
fn hook_offered(r: &io::Result<usize>, offered: usize) -> usize {
    match r {
        Ok(n) if *n > 0 => *n,
        _ => offered,
    }
}

impl fmt::Debug for dyn IoHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IoHook")
    }
}

/// Rarely used per-channel settings and their state (boxed: 8 bytes for
/// channels without).
#[derive(Debug, Default)]
pub(crate) struct Extras {
    /// High-water mark of the send queue in bytes; 0 = none.
    pub send_limit: usize,
    /// Deliver the peer's FIN as EOF instead of DISCONNECT.
    pub half_close: bool,
    /// EOF was raised: the peer sends no more.
    pub eof: bool,
    /// `shutdown_write` was called: FIN goes out once the queue is empty.
    pub shutdown_pending: bool,
    /// The write side is shut.
    pub write_shut: bool,
    /// Idle timeout in microseconds; 0 = none.
    pub idle_us: u64,
    /// Time of the last traffic (or of arming the timeout).
    pub last_active: u64,
    /// The idle timeout's entry on the reactor's wheel.
    pub idle: Deadline,
    /// Remaining addresses of a connect to a name with several addresses,
    /// tried from the back.
    pub plan: Vec<SocketAddr>,
    /// Reads and writes done by an extension instead of the socket calls.
    pub io: Option<Box<dyn IoHook>>,
}

/// The reactor's record of one channel.
#[derive(Debug)]
pub(crate) struct Chann {
    pub gen: u32,
    pub kind: Kind,
    pub state: State,
    /// Bumped whenever the socket changes (connect, disconnect, loss), so
    /// messages queued for an earlier connection are dropped.
    pub epoch: u32,
    pub sock: Option<Sock>,
    pub opaque: u64,
    pub sendq: SendQueue,
    pub sent: u64,
    pub received: u64,
    pub timer: TimerSlot,
    pub opts: SockOpts,
    /// Round stamps: an event of each kind is queued at most once per round.
    pub recv_round: u64,
    pub send_round: u64,
    pub timer_round: u64,
    /// How the connection ended, when that is known before its input is
    /// drained (a reset, a socket error, a failed send): the err of the
    /// DISCONNECT that follows the last RECV.
    pub end: Option<NonZeroI32>,
    /// Level emulation over edge-triggered epoll: data may be waiting (for
    /// TLS: plaintext, or the peer's close, in the session); cleared only by
    /// a read that proves it empty.
    pub readable: bool,
    /// The last write was not cut short, so the kernel may take more now.
    pub writable: bool,
    /// The peer's FIN (or a reset) was seen: reads go on until the data runs out.
    pub rdhup: bool,
    /// RECV was handed to the program, and whether it has read since: a
    /// program that reads nothing from a finished peer declines the rest.
    pub offered: bool,
    pub taken: bool,
    /// The SEND event is on.
    pub send_event: bool,
    /// In the reactor's list of channels with SEND on.
    pub send_watched: bool,
    /// In the reactor's list of channels with deferred sends.
    pub dirty: bool,
    /// A listener waiting out EMFILE/ENFILE (logged once per episode).
    pub accept_paused: bool,
    /// RECV is paused (backpressure).
    pub paused: bool,
    /// Send limit, half-close, idle timeout, connect plan (boxed: rarely used).
    pub ext: Option<Box<Extras>>,
    /// TLS channels: configuration and session (boxed: plain channels pay
    /// 8 bytes).
    pub tls: Option<Box<TlsState>>,
    /// The round in which the socket was registered: readiness reports of
    /// that round's batch belong to an earlier socket (tokens carry no
    /// generation where `usize` is too small for one).
    #[cfg(not(target_pointer_width = "64"))]
    pub registered: u64,
}

impl Chann {
    pub fn new(gen: u32, kind: Kind) -> Chann {
        Chann {
            gen,
            kind,
            state: State::Disconnect,
            epoch: 0,
            sock: None,
            opaque: 0,
            sendq: SendQueue::default(),
            sent: 0,
            received: 0,
            timer: TimerSlot::default(),
            opts: SockOpts {
                bufsize: 0,
                broadcast: kind == Kind::Broadcast,
                reuse_port: false,
            },
            recv_round: 0,
            send_round: 0,
            timer_round: 0,
            end: None,
            readable: false,
            writable: false,
            rdhup: false,
            offered: false,
            taken: false,
            send_event: false,
            send_watched: false,
            dirty: false,
            accept_paused: false,
            paused: false,
            ext: None,
            tls: None,
            #[cfg(not(target_pointer_width = "64"))]
            registered: 0,
        }
    }

    pub fn extras(&mut self) -> &mut Extras {
        self.ext.get_or_insert_with(Box::default)
    }

    /// Installs a new socket (connect, listen, accept) and forgets everything
    /// about the previous one. A new UDP socket and an accepted stream can
    /// send at once; a connecting stream waits for its first report.
    pub fn attach(&mut self, sock: Sock, state: State) {
        self.writable = matches!(sock, Sock::Udp(_)) || state == State::Connected;
        self.sock = Some(sock);
        self.state = state;
        self.new_connection();
    }

    /// Closes the socket (the fd leaves epoll with it), drops unsent data and
    /// the TLS session.
    pub fn detach(&mut self) {
        self.sock = None;
        self.state = State::Disconnect;
        self.writable = false;
        self.sendq.clear();
        if let Some(t) = self.tls.as_mut() {
            t.detach();
        }
        if let Some(x) = self.ext.as_mut() {
            x.plan = Vec::new();
        }
        self.new_connection();
    }

    /// Forgets what belonged to the previous connection; settings stay.
    pub fn new_connection(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.end = None;
        self.readable = false;
        self.rdhup = false;
        self.offered = false;
        self.taken = false;
        self.send_event = false;
        if let Some(x) = self.ext.as_mut() {
            x.eof = false;
            x.shutdown_pending = false;
            x.write_shut = false;
        }
    }

    /// Whether RECV may be raised: a connected channel, or a bound UDP one.
    pub fn can_recv(&self) -> bool {
        match self.state {
            State::Connected => true,
            State::Listening => self.kind.is_datagram(),
            _ => false,
        }
    }

    /// Whether RECV is on: not paused, or the connection has ended (a reset,
    /// an error, a failed send). A pause is backpressure on a live peer; it
    /// cannot hold a dead connection open, so what such a connection left
    /// is offered, then its DISCONNECT.
    pub fn reading(&self) -> bool {
        !self.paused || self.end.is_some()
    }

    /// Whether the SEND event is due now.
    pub fn send_due(&self) -> bool {
        self.send_event && self.writable && self.state == State::Connected && self.sendq.is_empty()
    }

    /// The peer sends no more: its FIN or a reset was seen, or the
    /// connection failed. What the kernel holds is still to be read.
    pub fn finished(&self) -> bool {
        self.rdhup || self.end.is_some()
    }

    /// The err the connection ends with once its input is drained.
    pub fn end_err(&self) -> i32 {
        self.end.map_or(0, NonZeroI32::get)
    }

    /// Notes how the connection ended (the first cause counts). Nothing can
    /// be sent any more; what is left to read stays readable.
    pub fn note_end(&mut self, err: i32) {
        if self.end.is_none() {
            self.end = NonZeroI32::new(err).or(NonZeroI32::new(libc::EIO));
        }
        self.sendq.clear();
        self.writable = false;
        self.readable = true;
    }

    /// Takes in a readiness report on a connected stream or a bound or
    /// connected UDP socket: notes what it says and writes what is queued
    /// when the socket can take it. Returns whether input may be waiting
    /// (the report announced it).
    pub fn ready(&mut self, r: Readiness) -> bool {
        if r.error {
            let err = self.sock.as_ref().and_then(|s| s.as_ref().take_error().ok().flatten());
            if let Some(e) = err {
                if self.kind.is_datagram() && self.state != State::Connected {
                    log::info!("UDP socket error: {e}");
                } else {
                    self.note_end(socket::errno_of(&e));
                }
            }
        }
        let fresh = r.readable || r.read_closed;
        if fresh {
            self.readable = true;
            if let Some(t) = self.tls.as_mut() {
                t.sock_readable = true;
            }
        }
        if r.read_closed && !self.kind.is_datagram() {
            self.rdhup = true;
        }
        if r.writable && self.end.is_none() {
            self.writable = true;
            if !self.sendq.is_empty() {
                let _ = self.flush(); // a failure is noted as the end
            }
        }
        fresh
    }

    /// Whether input is waiting, without consuming it: `Bytes` when there is
    /// some (or a fresh report says so), `WouldBlock` when there is none now,
    /// `Ended` once the connection is over and nothing is left.
    pub fn probe(&mut self, fresh: bool) -> Io {
        if self.tls.as_ref().is_some_and(|t| t.session.is_some()) {
            return self.tls_probe();
        }
        if fresh && !self.finished() {
            return Io::Bytes(1); // the report just announced data
        }
        let Some(sock) = &self.sock else {
            return Io::WouldBlock;
        };
        let datagram = self.kind.is_datagram();
        let mut b = [MaybeUninit::<u8>::uninit(); 1];
        // A bound UDP socket reports an ICMP error once per peek; more
        // datagrams may wait behind it (no new edge would announce them).
        for _ in 0..8 {
            match sock.as_ref().peek(&mut b) {
                Ok(0) if !datagram => return Io::Ended(self.end_err()),
                Ok(_) => return Io::Bytes(1),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readable = false;
                    return self.end.map_or(Io::WouldBlock, |e| Io::Ended(e.get()));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if datagram && self.state != State::Connected => log::info!("UDP socket error: {e}"),
                Err(e) => return Io::Ended(self.end.map_or_else(|| socket::errno_of(&e), NonZeroI32::get)),
            }
        }
        Io::WouldBlock
    }

    /// Reads stream bytes (plaintext for TLS) into `buf`.
    pub fn read(&mut self, buf: &mut [u8]) -> Io {
        if self.tls.is_some() {
            return self.tls_read(buf);
        }
        if let (Some(hook), Some(sock)) = (self.ext.as_mut().and_then(|x| x.io.as_mut()), &self.sock) {
            return match hook.recv(sock.raw_fd(), buf) {
                Ok(n) if n > 0 => {
                    self.received += n as u64;
                    Io::Bytes(n)
                }
                // The hook may have read part of what the socket holds:
                // `readable` stays, and the level-style RECV looks again.
                Ok(_) => Io::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Io::WouldBlock,
                Err(e) => Io::Ended(self.end.map_or_else(|| socket::errno_of(&e), NonZeroI32::get)),
            };
        }
        let Some(Sock::Stream(s)) = &self.sock else {
            return Io::WouldBlock;
        };
        loop {
            return match (&*s).read(buf) {
                Ok(0) => Io::Ended(self.end_err()),
                Ok(n) => {
                    self.received += n as u64;
                    // A short read emptied the socket: with edge-triggered
                    // epoll the next arrival brings a new edge. After the
                    // peer's FIN or a reset no edge will come, so stay
                    // readable until the read that finds the end.
                    if n < buf.len() && !self.finished() {
                        self.readable = false;
                    }
                    Io::Bytes(n)
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readable = false;
                    self.end.map_or(Io::WouldBlock, |e| Io::Ended(e.get()))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Io::Ended(self.end.map_or_else(|| socket::errno_of(&e), NonZeroI32::get)),
            };
        }
    }

    /// Writes queued stream bytes until the queue is empty or the kernel
    /// stops taking them. A hard error ends the connection (noted as its
    /// end) and is returned as an errno.
    pub fn flush_stream(&mut self) -> Result<(), i32> {
        while !self.sendq.is_empty() {
            let Some(Sock::Stream(s)) = &self.sock else {
                return Ok(());
            };
            let hook = self.ext.as_mut().and_then(|x| x.io.as_mut());
            let (r, total) = match (hook, self.sendq.single()) {
                // One chunk (the usual case): a plain `send`, which costs
                // the kernel less than `sendmsg` and builds no iovec array.
                (None, Some(buf)) => (socket::send(s, buf), buf.len()),
                (hook, _) => {
                    let mut iov = [IoSlice::new(&[]); MAX_IOV];
                    let k = self.sendq.iovecs(&mut iov);
                    match hook {
                        Some(hook) => {
                            let r = hook.send(s.as_raw_fd(), &iov[0]);
                            let total = hook_offered(&r, iov[0].len());
                            (r, total)
                        }
                        None => (socket::sendv(s, &iov[..k]), iov[..k].iter().map(|b| b.len()).sum()),
                    }
                }
            };
            match self.wrote(r, total)? {
                Wrote::All(n) => self.sendq.consume(n),
                Wrote::Part(n) => {
                    self.sendq.consume(n);
                    break;
                }
                Wrote::Again => {}
            }
        }
        if self.sendq.is_empty() {
            self.finish_shutdown();
        }
        Ok(())
    }

    /// Writes `buf` now when nothing is queued, queueing what the kernel does
    /// not take. A hard error ends the connection, as in `flush_stream`.
    pub fn write_stream(&mut self, buf: &[u8]) -> Result<(), i32> {
        if !self.sendq.is_empty() {
            self.sendq.push_stream(buf);
            return self.flush_stream();
        }
        let mut done = 0;
        while done < buf.len() {
            let Some(Sock::Stream(s)) = &self.sock else {
                return Ok(());
            };
            let (r, offered) = match self.ext.as_mut().and_then(|x| x.io.as_mut()) {
                Some(hook) => {
                    let r = hook.send(s.as_raw_fd(), &buf[done..]);
                    let offered = hook_offered(&r, buf.len() - done);
                    (r, offered)
                }
                None => (socket::send(s, &buf[done..]), buf.len() - done),
            };
            match self.wrote(r, offered)? {
                Wrote::All(n) => done += n,
                Wrote::Part(n) => {
                    done += n;
                    break;
                }
                Wrote::Again => {}
            }
        }
        self.sendq.push_stream(&buf[done..]);
        Ok(())
    }

    /// Accounts one stream write of `wanted` bytes that returned `r`: counts
    /// what the kernel took, notes a socket that takes no more for now, and
    /// ends the connection on a hard error.
    fn wrote(&mut self, r: io::Result<usize>, wanted: usize) -> Result<Wrote, i32> {
        match r {
            Ok(n) => {
                self.sent += n as u64;
                if n < wanted {
                    self.writable = false;
                    Ok(Wrote::Part(n))
                } else {
                    Ok(Wrote::All(n))
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.writable = false;
                Ok(Wrote::Part(0))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(Wrote::Again),
            Err(e) => {
                let err = socket::errno_of(&e);
                self.note_end(err);
                Err(err)
            }
        }
    }

    /// Sends one datagram now when nothing is queued and the socket can
    /// take it, else queues it. A hard error is returned (the datagram is
    /// not queued).
    pub fn send_datagram(&mut self, buf: &[u8], to: Option<SocketAddr>) -> io::Result<()> {
        let Some(Sock::Udp(s)) = &self.sock else {
            return Ok(());
        };
        if !self.sendq.is_empty() || !self.writable {
            self.sendq.push_datagram(buf, to);
            return Ok(());
        }
        loop {
            let r = match to {
                Some(a) => s.send_to(buf, a),
                None => s.send(buf),
            };
            return match r {
                Ok(n) => {
                    self.sent += n as u64;
                    Ok(())
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.writable = false;
                    self.sendq.push_datagram(buf, to);
                    Ok(())
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
        }
    }

    /// Sends queued datagrams in order until the kernel would block. On a
    /// bound socket a datagram the kernel refuses for good is dropped (and
    /// logged) and the rest still go; on a connected one the error ends the
    /// "connection" and is returned.
    pub fn flush_datagrams(&mut self) -> Result<(), i32> {
        let Some(Sock::Udp(s)) = &self.sock else {
            return Ok(());
        };
        while let Some((data, to)) = self.sendq.front_datagram() {
            let r = match to {
                Some(addr) => s.send_to(data, addr),
                None => s.send(data),
            };
            match r {
                Ok(n) => {
                    self.sent += n as u64;
                    self.sendq.pop_datagram();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.writable = false;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.sendq.pop_datagram();
                    if self.state == State::Connected {
                        let err = socket::errno_of(&e);
                        self.note_end(err);
                        return Err(err);
                    }
                    log::warn!("send_to {}: {e}; datagram dropped", to.map_or_else(String::new, |a| a.to_string()));
                }
            }
        }
        Ok(())
    }

    /// Writes whatever is queued, by socket type.
    pub fn flush(&mut self) -> Result<(), i32> {
        match self.sock {
            Some(Sock::Stream(_)) => self.flush_stream(),
            Some(Sock::Udp(_)) => self.flush_datagrams(),
            _ => Ok(()),
        }
    }

    /// Notes traffic for the idle timeout when bytes moved since `before`
    /// (the sum of both counters then).
    pub fn note_traffic(&mut self, before: u64) {
        if self.sent + self.received != before {
            self.touch();
        }
    }

    /// Notes traffic now, for a channel with an idle timeout (the clock is
    /// read only for those).
    pub fn touch(&mut self) {
        if let Some(x) = self.ext.as_mut() {
            if x.idle_us > 0 {
                x.last_active = now_micros();
            }
        }
    }

    /// Whether the peer's FIN becomes EOF on this channel.
    pub fn half_close(&self) -> bool {
        self.ext.as_ref().is_some_and(|x| x.half_close)
    }

    /// Both directions of a half-closed connection are done: the peer's FIN
    /// was delivered as EOF and ours went out. Nothing can move any more, so
    /// the connection ends with DISCONNECT (err 0).
    pub fn both_finished(&self) -> bool {
        self.ext.as_ref().is_some_and(|x| x.eof && x.write_shut) && self.sendq.is_empty()
    }

    /// `shutdown_write` was called (the FIN may still wait for the queue).
    pub fn write_shut(&self) -> bool {
        self.ext.as_ref().is_some_and(|x| x.write_shut || x.shutdown_pending)
    }

    /// After the queue drained: send the FIN `shutdown_write` asked for.
    pub fn finish_shutdown(&mut self) {
        let Some(x) = self.ext.as_mut() else {
            return;
        };
        if x.shutdown_pending && self.sendq.is_empty() {
            x.shutdown_pending = false;
            x.write_shut = true;
            if let Some(Sock::Stream(s)) = &self.sock {
                let _ = s.shutdown(std::net::Shutdown::Write);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_channel_record_is_small() {
        // The idle-connection budget is 256 bytes of heap per connection in
        // the Rust core; the slab entry (the record plus the slab's tag
        // word) is most of it.
        let size = std::mem::size_of::<Chann>() + 8;
        assert!(size <= 192, "slab entry is {size} bytes");
    }
}
