//! A channel: one socket (or none yet) plus the state the reactor keeps for
//! it. Public here are the kinds and states; the record itself is internal.

use std::fmt;
use std::io::{self, IoSlice, Read};
use std::net::SocketAddr;

use crate::sendq::{SendQueue, MAX_IOV};
use crate::socket::{self, Sock, SockOpts};
use crate::timer::TimerSlot;
use crate::flow::Extras;
use crate::tls::TlsState;

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
    /// A TCP connect is under way.
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

/// Outcome of reading from a stream socket.
pub(crate) enum ReadOutcome {
    Data(usize),
    Empty,
    Eof,
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
    /// Remaining addresses of a connect to a name with several addresses.
    /// Boxed: rare, and 8 bytes instead of 24 in every record.
    #[allow(clippy::box_collection)]
    pub plan: Option<Box<Vec<SocketAddr>>>,
    /// Round stamps: an event of each kind is queued at most once per round.
    pub recv_round: u32,
    pub send_round: u32,
    pub timer_round: u32,
    /// Level emulation over edge-triggered epoll: data may be waiting; cleared
    /// only by a read that proves the socket empty.
    pub readable: bool,
    /// The last write was not cut short, so the kernel may take more now.
    pub writable: bool,
    /// The peer's FIN was seen; reads continue until the data runs out.
    pub rdhup: bool,
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
    /// Send limit, half-close, idle timeout (boxed: rarely used).
    pub ext: Option<Box<Extras>>,
    /// TLS channels: configuration and session (boxed: plain channels pay
    /// 8 bytes).
    pub tls: Option<Box<TlsState>>,
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
            plan: None,
            recv_round: 0,
            send_round: 0,
            timer_round: 0,
            readable: false,
            writable: false,
            rdhup: false,
            send_event: false,
            send_watched: false,
            dirty: false,
            accept_paused: false,
            paused: false,
            ext: None,
            tls: None,
        }
    }

    /// Installs a new socket (connect, listen, accept) and forgets everything
    /// about the previous one.
    pub fn attach(&mut self, sock: Sock, state: State) {
        self.sock = Some(sock);
        self.state = state;
        self.epoch = self.epoch.wrapping_add(1);
        self.readable = false;
        self.writable = false;
        self.rdhup = false;
        self.send_event = false;
        self.reset_connection_extras();
    }

    /// Forgets what belonged to the previous connection (EOF seen, write
    /// side shut); settings stay.
    fn reset_connection_extras(&mut self) {
        if let Some(x) = self.ext.as_mut() {
            x.eof = false;
            x.shutdown_pending = false;
            x.write_shut = false;
        }
    }

    /// Closes the socket (the fd leaves epoll with it) and drops unsent data.
    pub fn detach(&mut self) {
        self.sock = None;
        self.state = State::Disconnect;
        self.epoch = self.epoch.wrapping_add(1);
        self.sendq.clear();
        if let Some(t) = self.tls.as_mut() {
            t.conn = None;
            t.tcp_up = false;
            t.sock_readable = false;
            t.listener = crate::Handle::NONE;
        }
        self.plan = None;
        self.readable = false;
        self.writable = false;
        self.rdhup = false;
        self.send_event = false;
        self.reset_connection_extras();
    }

    /// Whether RECV may be raised: a connected channel, or a bound UDP one.
    pub fn can_recv(&self) -> bool {
        match self.state {
            State::Connected => true,
            State::Listening => self.kind.is_datagram(),
            _ => false,
        }
    }

    /// Whether the SEND event is due now.
    pub fn send_due(&self) -> bool {
        self.send_event && self.writable && self.state == State::Connected && self.sendq.is_empty()
    }

    /// One read from a stream socket straight into `buf`.
    pub fn read_stream(&mut self, buf: &mut [u8]) -> io::Result<ReadOutcome> {
        let Some(Sock::Stream(s)) = &self.sock else {
            return Ok(ReadOutcome::Empty);
        };
        loop {
            return match (&*s).read(buf) {
                Ok(0) => Ok(ReadOutcome::Eof),
                Ok(n) => {
                    self.received += n as u64;
                    // A short read emptied the socket: with edge-triggered
                    // epoll the next arrival brings a new edge. After the
                    // peer's FIN no edge will come, so stay readable until
                    // the read that returns EOF.
                    if n < buf.len() && !self.rdhup {
                        self.readable = false;
                    }
                    Ok(ReadOutcome::Data(n))
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readable = false;
                    Ok(ReadOutcome::Empty)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
        }
    }

    /// Writes queued stream bytes until the queue is empty or the kernel
    /// stops taking them.
    pub fn flush_stream(&mut self) -> io::Result<()> {
        let Some(Sock::Stream(s)) = &self.sock else {
            return Ok(());
        };
        while !self.sendq.is_empty() {
            let r = {
                let mut iov = [IoSlice::new(&[]); MAX_IOV];
                let k = self.sendq.iovecs(&mut iov);
                let total: usize = iov[..k].iter().map(|b| b.len()).sum();
                socket::sendv(s, &iov[..k]).map(|n| (n, total))
            };
            match r {
                Ok((n, total)) => {
                    self.sendq.consume(n);
                    self.sent += n as u64;
                    if n < total {
                        self.writable = false;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.writable = false;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.sendq.is_empty() {
            self.finish_shutdown();
        }
        Ok(())
    }

    /// Writes `buf` now when nothing is queued, queueing what the kernel does
    /// not take.
    pub fn write_stream(&mut self, buf: &[u8]) -> io::Result<()> {
        if !self.sendq.is_empty() {
            self.sendq.push_stream(buf);
            return self.flush_stream();
        }
        let Some(Sock::Stream(s)) = &self.sock else {
            return Ok(());
        };
        let mut done = 0;
        while done < buf.len() {
            match socket::send(s, &buf[done..]) {
                Ok(n) => {
                    done += n;
                    self.sent += n as u64;
                    if done < buf.len() {
                        self.writable = false;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.writable = false;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.sendq.push_stream(&buf[done..]);
        Ok(())
    }

    /// Sends queued datagrams in order until the kernel would block. A
    /// datagram the kernel refuses for good is dropped; the error is returned
    /// so a connected socket can report it.
    pub fn flush_datagrams(&mut self) -> io::Result<()> {
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
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Writes whatever is queued, by socket type.
    pub fn flush(&mut self) -> io::Result<()> {
        match self.sock {
            Some(Sock::Stream(_)) => self.flush_stream(),
            Some(Sock::Udp(_)) => self.flush_datagrams(),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_channel_record_is_small() {
        // The idle-connection budget is 256 bytes of heap per connection in
        // the Rust core; the slab entry is most of it.
        // the record plus the slab's tag word.
        let size = std::mem::size_of::<Chann>() + 8;
        assert!(size <= 192, "slab entry is {size} bytes");
    }
}
