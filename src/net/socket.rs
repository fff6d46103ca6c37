//! Socket creation and the few I/O calls std and mio do not make the way we
//! need: every socket is non-blocking and close-on-exec from birth (socket2
//! passes SOCK_CLOEXEC; we pass SOCK_NONBLOCK), TCP gets TCP_NODELAY, and
//! stream writes use `send`/`sendmsg` with MSG_NOSIGNAL so a peer that went
//! away gives EPIPE instead of a SIGPIPE, without touching the process's
//! signal handlers.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use mio::net::{TcpListener, TcpStream, UdpSocket};
use socket2::{Domain, Protocol, SockRef, Socket, Type};

/// Options applied to each new socket of a channel.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SockOpts {
    /// SO_SNDBUF and SO_RCVBUF, only when the user asked (0 keeps the
    /// kernel's auto-tuning).
    pub bufsize: u32,
    /// SO_BROADCAST (broadcast channels).
    pub broadcast: bool,
    /// SO_REUSEPORT on listening sockets (see `sockopt.rs`).
    pub reuse_port: bool,
}

/// The socket a channel owns, by role.
#[derive(Debug)]
pub(crate) enum Sock {
    Listener(TcpListener),
    Stream(TcpStream),
    Udp(UdpSocket),
}

impl Sock {
    pub fn as_ref(&self) -> SockRef<'_> {
        match self {
            Sock::Listener(s) => SockRef::from(s),
            Sock::Stream(s) => SockRef::from(s),
            Sock::Udp(s) => SockRef::from(s),
        }
    }

    /// The descriptor.
    pub fn raw_fd(&self) -> RawFd {
        match self {
            Sock::Listener(s) => s.as_raw_fd(),
            Sock::Stream(s) => s.as_raw_fd(),
            Sock::Udp(s) => s.as_raw_fd(),
        }
    }

    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Sock::Listener(s) => s,
            Sock::Stream(s) => s,
            Sock::Udp(s) => s,
        }
    }
}

fn new_socket(addr: &SocketAddr, ty: Type, proto: Protocol, opts: SockOpts) -> io::Result<Socket> {
    let s = Socket::new(Domain::for_address(*addr), ty.nonblocking(), Some(proto))?;
    if opts.bufsize > 0 {
        apply_bufsize(&SockRef::from(&s), opts.bufsize)?;
    }
    Ok(s)
}

/// Sets both kernel buffer sizes.
pub(crate) fn apply_bufsize(s: &SockRef<'_>, bytes: u32) -> io::Result<()> {
    s.set_send_buffer_size(bytes as usize)?;
    s.set_recv_buffer_size(bytes as usize)
}

pub(crate) fn tcp_listen(addr: &SocketAddr, backlog: i32, opts: SockOpts) -> io::Result<TcpListener> {
    let s = new_socket(addr, Type::STREAM, Protocol::TCP, opts)?;
    s.set_reuse_address(true)?;
    if opts.reuse_port {
        s.set_reuse_port(true)?;
    }
    s.bind(&(*addr).into())?;
    s.listen(backlog.max(1))?;
    Ok(TcpListener::from_std(s.into()))
}

/// Starts a non-blocking connect; completion is reported by writability.
pub(crate) fn tcp_connect(addr: &SocketAddr, opts: SockOpts) -> io::Result<TcpStream> {
    let s = new_socket(addr, Type::STREAM, Protocol::TCP, opts)?;
    s.set_tcp_nodelay(true)?;
    match s.connect(&(*addr).into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(s.into()))
}

pub(crate) fn udp_bind(addr: &SocketAddr, opts: SockOpts) -> io::Result<UdpSocket> {
    let s = new_socket(addr, Type::DGRAM, Protocol::UDP, opts)?;
    s.set_reuse_address(true)?;
    if opts.reuse_port {
        s.set_reuse_port(true)?;
    }
    if opts.broadcast {
        s.set_broadcast(true)?;
    }
    s.bind(&(*addr).into())?;
    Ok(UdpSocket::from_std(s.into()))
}

/// A UDP socket with a default destination (and a filter on the source).
pub(crate) fn udp_connect(addr: &SocketAddr, opts: SockOpts) -> io::Result<UdpSocket> {
    let s = new_socket(addr, Type::DGRAM, Protocol::UDP, opts)?;
    if opts.broadcast {
        s.set_broadcast(true)?;
    }
    s.connect(&(*addr).into())?;
    Ok(UdpSocket::from_std(s.into()))
}

/// `send` with MSG_NOSIGNAL.
pub(crate) fn send(fd: &impl AsFd, buf: &[u8]) -> io::Result<usize> {
    SockRef::from(fd).send_with_flags(buf, libc::MSG_NOSIGNAL)
}

/// `sendmsg` of several slices with MSG_NOSIGNAL.
pub(crate) fn sendv(fd: &impl AsFd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    SockRef::from(fd).send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
}

/// The errno of an I/O error, or EIO when it has none.
pub(crate) fn errno_of(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}
