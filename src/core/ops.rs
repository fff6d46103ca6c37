//! The calls a program makes on channels: open, close, listen, connect,
//! recv, send, timers, and the accessors. Event rules live in `rules.rs`.

use std::net::SocketAddr;
use std::os::fd::RawFd;

use super::chann::{Io, IoHook, Kind, State};
use super::handle::Handle;
use super::reactor::Reactor;
use super::resolve::Target;
use super::timer::now_micros;
use crate::net::addr;
use crate::net::socket::{self, Sock};
use crate::{Error, Result};

/// Sends smaller than this (together with what the channel already queued
/// this round) are deferred to the end of the dispatch round and leave in
/// one `sendmsg` with the channel's other sends; larger ones are written at
/// once. Copying this much costs far less than the system call it can save.
const DEFER_MAX: usize = 4096;

/// Which byte counter [`Reactor::bytes`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Bytes handed to the kernel.
    Sent,
    /// Bytes read from the kernel.
    Received,
}

impl Reactor {
    /// Opens a channel of `kind`, without a socket yet (state
    /// [`State::Disconnect`]). Timers work from here on.
    pub fn open(&mut self, kind: Kind) -> Handle {
        self.insert(kind)
    }

    /// Closes the channel: its socket (as [`Reactor::disconnect`] does), its
    /// timer, its lookups, and any message still queued for it this round.
    /// No event is raised. The handle is dead afterwards.
    pub fn close(&mut self, h: Handle) -> Result<()> {
        self.disconnect(h)?;
        self.release(h);
        Ok(())
    }

    /// Closes the channel's socket and keeps the channel, which can listen or
    /// connect again. No event is raised. Queued bytes get one last
    /// non-blocking write (what the kernel takes is delivered after the
    /// close; a TLS channel sends close_notify); the rest is dropped. A
    /// listener's queued ACCEPTs and, for TLS, its handshakes in flight go
    /// with it. A no-op on a channel without a socket.
    pub fn disconnect(&mut self, h: Handle) -> Result<()> {
        let c = self.get_mut(h)?;
        if c.sock.is_none() {
            if c.state == State::Connecting {
                // A connect still resolving its host name.
                self.drop_socket(h);
                self.cancel_connect_lookup(h);
            }
            return Ok(());
        }
        if c.state == State::Listening && c.kind == Kind::Tls {
            self.drop_pending(h);
        }
        let c = self.get_mut(h)?;
        if c.tls_running() && c.state == State::Connected {
            c.tls_goodbye();
        }
        if c.writable && !c.sendq.is_empty() {
            let _ = c.flush();
        }
        self.drop_socket(h);
        Ok(())
    }

    /// Listens on `addr` (`"ip:port"`, `"[v6]:port"`, `":port"`, or a host
    /// name the hosts file lists; port 0 picks a free port, see
    /// [`Reactor::local_addr`]). A name only DNS knows is refused with an
    /// error, never looked up: listening does not block. For TCP the
    /// channel then raises ACCEPT; for UDP it is bound and raises RECV.
    /// SO_REUSEADDR is set; `backlog` below 1 counts as 1.
    pub fn listen(&mut self, h: Handle, addr: &str, backlog: i32) -> Result<()> {
        require(self.get(h)?.state, State::Disconnect, "listen on")?;
        let a = self.listen_target(addr)?;
        self.listen_addr(h, a, backlog)
    }

    /// [`Reactor::listen`] on a socket address.
    pub fn listen_addr(&mut self, h: Handle, a: SocketAddr, backlog: i32) -> Result<()> {
        let c = self.get(h)?;
        require(c.state, State::Disconnect, "listen on")?;
        let (kind, opts) = (c.kind, c.opts);
        if kind == Kind::Tls {
            self.tls_check_listen(h)?;
        }
        let sock = if kind.is_datagram() {
            Sock::Udp(socket::udp_bind(&a, opts).map_err(|e| Error::io(format!("bind {a}"), e))?)
        } else {
            Sock::Listener(
                socket::tcp_listen(&a, backlog, opts).map_err(|e| Error::io(format!("listen on {a}"), e))?,
            )
        };
        self.attach(h, sock, State::Listening)
    }

    /// Connects to `addr`. For TCP the connect runs in the background and
    /// ends in exactly one CONNECTED, or one DISCONNECT with the errno (e.g.
    /// ECONNREFUSED); a host name with several addresses tries each in turn
    /// before giving up. An error returned here means no event will follow.
    /// For UDP the socket is connected at once (no event) and `send` goes to
    /// `addr`. Resets the SEND event.
    ///
    /// A host name is looked up in the hosts file, then by the reactor's
    /// asynchronous resolver (see [`Reactor::lookup`]): never a blocking
    /// call. While DNS runs the channel is CONNECTING (a UDP one too, which
    /// then gets CONNECTED); a failed lookup ends the connect with one
    /// DISCONNECT, err [`DNS_NOT_FOUND`](crate::DNS_NOT_FOUND),
    /// [`DNS_TIMED_OUT`](crate::DNS_TIMED_OUT) or
    /// [`DNS_FAILED`](crate::DNS_FAILED), and the reason in
    /// [`Reactor::resolve_error`].
    pub fn connect(&mut self, h: Handle, addr: &str) -> Result<()> {
        require(self.get(h)?.state, State::Disconnect, "connect")?;
        let mut addrs = match self.connect_target(h, addr)? {
            Target::Addrs(addrs) => addrs,
            Target::Name(name, port) => return self.connect_by_name(h, name, port),
        };
        if addrs.iter().any(|a| a.port() == 0) {
            return Err(Error::addr(addr, "port 0 is not a valid destination"));
        }
        if self.get(h)?.kind == Kind::Tls {
            self.tls_prepare_connect(h, &addr::host_of(addr)?)?;
        }
        addrs.reverse(); // tried from the back
        let first = addrs.pop().expect("a target has at least one address");
        self.connect_addr(h, first)?;
        if !addrs.is_empty() {
            self.get_mut(h)?.extras().plan = addrs;
        }
        Ok(())
    }

    /// [`Reactor::connect`] to a socket address.
    pub fn connect_addr(&mut self, h: Handle, a: SocketAddr) -> Result<()> {
        let c = self.get(h)?;
        require(c.state, State::Disconnect, "connect")?;
        if a.port() == 0 {
            return Err(Error::addr(&a.to_string(), "port 0 is not a valid destination"));
        }
        let (kind, opts) = (c.kind, c.opts);
        if kind == Kind::Tls && !self.tls_prepared(h) {
            self.tls_prepare_connect(h, &a.ip().to_string())?;
        }
        if kind.is_datagram() {
            let s = socket::udp_connect(&a, opts).map_err(|e| Error::io(format!("connect to {a}"), e))?;
            self.attach(h, Sock::Udp(s), State::Connected)
        } else {
            let s = socket::tcp_connect(&a, opts).map_err(|e| Error::io(format!("connect to {a}"), e))?;
            self.attach(h, Sock::Stream(s), State::Connecting)
        }
    }

    /// Reads into `buf`: the number of bytes read, `Ok(0)` when nothing is
    /// available now. On a UDP channel one call reads one datagram (cut to
    /// `buf`). Reading the end of the connection ends it: DISCONNECT (or
    /// EOF, with half-close) follows later in the same round, with err 0
    /// for the peer's close (`Ok(0)` here) or the errno of a reset or error
    /// (returned here as the error too).
    pub fn recv(&mut self, h: Handle, buf: &mut [u8]) -> Result<usize> {
        let c = self.get_mut(h)?;
        if !c.can_recv() {
            return Err(Error::WrongState {
                op: "receive on",
                state: c.state,
            });
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if c.kind.is_datagram() {
            return self.recv_from(h, buf).map(|r| r.map_or(0, |(n, _)| n));
        }
        match c.read(buf) {
            Io::Bytes(n) => {
                c.taken = true;
                c.touch();
                Ok(n)
            }
            Io::WouldBlock => Ok(0),
            Io::Ended(err) => {
                self.peer_finished(h, err);
                if err == 0 {
                    Ok(0)
                } else {
                    Err(Error::io("recv", std::io::Error::from_raw_os_error(err)))
                }
            }
        }
    }

    /// Reads one datagram and its sender from a bound or connected UDP
    /// channel; `Ok(None)` when none is waiting. A datagram longer than `buf`
    /// is cut to fit.
    pub fn recv_from(&mut self, h: Handle, buf: &mut [u8]) -> Result<Option<(usize, SocketAddr)>> {
        self.datagram_in(h, buf, false)
    }

    /// The sender of the datagram waiting on a UDP channel, which stays
    /// queued for the next read; `Ok(None)` when none is waiting. Errors as
    /// [`Reactor::recv_from`] (a socket error is reported once, by whichever
    /// call meets it).
    pub(crate) fn peek_sender(&mut self, h: Handle) -> Result<Option<SocketAddr>> {
        Ok(self.datagram_in(h, &mut [], true)?.map(|(_, from)| from))
    }

    /// Reads the next datagram into `buf`, or with `peek` copies it without
    /// taking it (and counts nothing).
    fn datagram_in(&mut self, h: Handle, buf: &mut [u8], peek: bool) -> Result<Option<(usize, SocketAddr)>> {
        let c = self.get_mut(h)?;
        if !c.kind.is_datagram() {
            return Err(Error::WrongKind {
                op: "receive a datagram",
                kind: c.kind,
            });
        }
        let Some(Sock::Udp(s)) = &c.sock else {
            return Err(Error::WrongState {
                op: "receive a datagram on",
                state: c.state,
            });
        };
        loop {
            let got = if peek { s.peek_from(buf) } else { s.recv_from(buf) };
            return match got {
                Ok((n, from)) => {
                    if !peek {
                        c.received += n as u64;
                        c.taken = true;
                        c.touch();
                    }
                    Ok(Some((n, from)))
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    c.readable = false;
                    Ok(None)
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // An ICMP error (e.g. port unreachable) on a connected
                    // socket ends the "connection"; a bound one just reports it.
                    if c.state == State::Connected {
                        self.raise_disconnect(h, socket::errno_of(&e));
                    }
                    Err(Error::io("recv", e))
                }
            };
        }
    }

    /// Sends `buf` and returns its length: what the kernel does not take now
    /// is queued, in order, and written when the socket drains; `buf` is
    /// free again on return. Small sends are gathered until the end of the
    /// dispatch round and leave in one system call per channel. On a UDP
    /// channel the call sends one datagram. A hard error ends the connection
    /// and is returned; what the peer sent before is still delivered, then
    /// DISCONNECT with the error's errno.
    pub fn send(&mut self, h: Handle, buf: &[u8]) -> Result<usize> {
        let c = self.get_mut(h)?;
        if c.state != State::Connected {
            return Err(Error::WrongState {
                op: "send on",
                state: c.state,
            });
        }
        if let Some(err) = c.end {
            return Err(Error::io("send", std::io::Error::from_raw_os_error(err.get())));
        }
        if c.write_shut() {
            return Err(Error::WrongState {
                op: "send after a write shutdown on",
                state: c.state,
            });
        }
        Reactor::check_send_limit(c, buf.len())?;
        if c.kind.is_datagram() {
            return self.send_datagram(h, buf, None);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        c.touch();
        let written = if c.tls.is_some() {
            c.tls_write(buf)?;
            if !c.writable {
                return Ok(buf.len());
            }
            if c.sendq.len() < DEFER_MAX {
                Ok(())
            } else {
                c.flush_stream()
            }
        } else if !c.writable {
            c.sendq.push_stream(buf);
            return Ok(buf.len());
        } else if c.sendq.len() + buf.len() < DEFER_MAX {
            c.sendq.push_stream(buf);
            Ok(())
        } else {
            c.write_stream(buf)
        };
        match written {
            Ok(()) => {
                if !c.sendq.is_empty() && c.writable && !std::mem::replace(&mut c.dirty, true) {
                    self.dirty.push(h);
                }
                Ok(buf.len())
            }
            Err(err) => {
                self.conclude(h);
                Err(Error::io("send", std::io::Error::from_raw_os_error(err)))
            }
        }
    }

    /// Sends one datagram to `to` from a UDP channel. A channel without a
    /// socket is first bound to a free port of `to`'s address family. The
    /// send limit applies to datagrams queued behind a full socket.
    pub fn send_to(&mut self, h: Handle, buf: &[u8], to: SocketAddr) -> Result<usize> {
        let c = self.get(h)?;
        if !c.kind.is_datagram() {
            return Err(Error::WrongKind {
                op: "send a datagram",
                kind: c.kind,
            });
        }
        Reactor::check_send_limit(c, buf.len())?;
        if c.state == State::Disconnect {
            let any: SocketAddr = if to.is_ipv4() {
                (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            self.listen_addr(h, any, 0)?;
        }
        self.send_datagram(h, buf, Some(to))
    }

    fn send_datagram(&mut self, h: Handle, buf: &[u8], to: Option<SocketAddr>) -> Result<usize> {
        let c = self.get_mut(h)?;
        if c.sock.is_none() {
            return Err(Error::WrongState {
                op: "send a datagram on",
                state: c.state,
            });
        }
        match c.send_datagram(buf, to) {
            Ok(()) => Ok(buf.len()),
            Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => Err(Error::io(
                format!("send of a {}-byte datagram", buf.len()),
                e,
            )),
            Err(e) => {
                // A connected socket loses its "connection"; a bound one
                // only this datagram.
                if c.state == State::Connected {
                    self.raise_disconnect(h, socket::errno_of(&e));
                }
                Err(Error::io("send", e))
            }
        }
    }

    /// Turns the SEND event on or off. While on, SEND is raised once per
    /// round while the send queue is empty and the socket writable: a pump
    /// for streaming data. Allowed while connecting or connected; a new
    /// connect turns it off.
    pub fn set_send_event(&mut self, h: Handle, on: bool) -> Result<()> {
        let c = self.get_mut(h)?;
        if on && !matches!(c.state, State::Connected | State::Connecting) {
            return Err(Error::WrongState {
                op: "enable the SEND event on",
                state: c.state,
            });
        }
        c.send_event = on;
        if on && !c.send_watched {
            c.send_watched = true;
            self.send_watch.push(h);
        }
        Ok(())
    }

    /// Arms the channel's repeating timer to fire every `interval_ms`
    /// milliseconds from now (re-arming restarts it), or stops it with 0.
    /// Works in every state, before listen or connect too. Each TIMER comes
    /// first in its round; the schedule does not drift, and periods missed
    /// while the loop was busy are skipped rather than fired in a burst.
    pub fn set_timer(&mut self, h: Handle, interval_ms: u64) -> Result<()> {
        let c = self.channs.get_mut(h.index()).filter(|c| c.gen == h.gen());
        let Some(c) = c else {
            return Err(Error::StaleHandle(h.to_raw()));
        };
        if interval_ms == 0 {
            self.timers.stop(&mut c.timer);
        } else {
            let us = interval_ms
                .checked_mul(1000)
                .ok_or(Error::InvalidArgument("timer interval too large"))?;
            self.timers.arm(&mut c.timer, h, now_micros(), us);
        }
        Ok(())
    }

    /// Exact number of bytes queued on the channel and not yet handed to the
    /// kernel.
    pub fn cached(&self, h: Handle) -> Result<usize> {
        Ok(self.get(h)?.sendq.len())
    }

    /// The channel's state.
    pub fn state(&self, h: Handle) -> Result<State> {
        Ok(self.get(h)?.state)
    }

    /// The channel's kind.
    pub fn kind(&self, h: Handle) -> Result<Kind> {
        Ok(self.get(h)?.kind)
    }

    /// Bytes sent or received over the channel's life (across reconnects).
    pub fn bytes(&self, h: Handle, dir: Direction) -> Result<u64> {
        let c = self.get(h)?;
        Ok(match dir {
            Direction::Sent => c.sent,
            Direction::Received => c.received,
        })
    }

    /// The channel's socket descriptor, for socket options mnet does not
    /// offer. The channel keeps owning it: do not close it, change its
    /// non-blocking mode, or read or write it behind mnet's back (the
    /// level-style RECV and the send queue depend on seeing every byte).
    pub fn raw_fd(&self, h: Handle) -> Result<RawFd> {
        let c = self.get(h)?;
        match &c.sock {
            Some(s) => Ok(s.raw_fd()),
            None => Err(Error::WrongState {
                op: "get the socket of",
                state: c.state,
            }),
        }
    }

    /// Hands the channel's socket reads and writes to `hook` (or back to mnet
    /// with `None`): the C API's extension types. Stream channels only.
    pub(crate) fn set_io_hook(&mut self, h: Handle, hook: Option<Box<dyn IoHook>>) -> Result<()> {
        let c = self.get_mut(h)?;
        if c.kind != Kind::Stream {
            return Err(Error::WrongKind {
                op: "hand the socket I/O to an extension",
                kind: c.kind,
            });
        }
        c.extras().io = hook;
        Ok(())
    }

    /// The address of the channel's own end of its socket (getsockname).
    pub fn local_addr(&self, h: Handle) -> Result<SocketAddr> {
        self.sock_addr(h, false)
    }

    /// The address of the other end (getpeername): the server for a client,
    /// the client for an accepted channel.
    pub fn peer_addr(&self, h: Handle) -> Result<SocketAddr> {
        self.sock_addr(h, true)
    }

    fn sock_addr(&self, h: Handle, peer: bool) -> Result<SocketAddr> {
        let c = self.get(h)?;
        let (op, call) = if peer {
            ("read the peer address of", "getpeername")
        } else {
            ("read the local address of", "getsockname")
        };
        let Some(s) = &c.sock else {
            return Err(Error::WrongState { op, state: c.state });
        };
        let s = s.as_ref();
        let a = if peer { s.peer_addr() } else { s.local_addr() };
        let a = a.map_err(|e| Error::io(call, e))?;
        a.as_socket()
            .ok_or_else(|| Error::io(call, std::io::Error::other("not an IP address")))
    }

    /// Sets SO_SNDBUF and SO_RCVBUF to `bytes` on the channel's socket now
    /// and on every socket it gets later. Without this call the kernel's
    /// buffer auto-tuning stays on, which is almost always better.
    pub fn set_bufsize(&mut self, h: Handle, bytes: usize) -> Result<()> {
        let c = self.get_mut(h)?;
        if bytes == 0 || bytes > i32::MAX as usize {
            return Err(Error::InvalidArgument("buffer size must be 1..=2^31-1 bytes"));
        }
        let bytes = bytes as u32;
        c.opts.bufsize = bytes;
        if let Some(s) = &c.sock {
            socket::apply_bufsize(&s.as_ref(), bytes).map_err(|e| Error::io("setsockopt SO_SNDBUF/SO_RCVBUF", e))?;
        }
        Ok(())
    }

    /// Stores one word of user data with the channel; it comes back in every
    /// [`Msg::opaque`](crate::Msg::opaque) for the channel.
    pub fn set_opaque(&mut self, h: Handle, opaque: u64) -> Result<()> {
        self.get_mut(h)?.opaque = opaque;
        Ok(())
    }

    /// The word stored by [`Reactor::set_opaque`] (0 until set).
    pub fn opaque(&self, h: Handle) -> Result<u64> {
        Ok(self.get(h)?.opaque)
    }
}

fn require(state: State, want: State, op: &'static str) -> Result<()> {
    if state == want {
        Ok(())
    } else {
        Err(Error::WrongState { op, state })
    }
}
