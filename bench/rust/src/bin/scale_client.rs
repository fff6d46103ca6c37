//! The client half of `bench/scale.sh`: opens CONNS connections from
//! loopback source addresses, sends one request on each and reads the
//! answer, keeps them all open and idle until SIGUSR1, then sends a second
//! request on every one of them and checks every answer.
//!
//!     scale_client SERVER_IP:PORT SOURCE_IP[,SOURCE_IP...] CONNS STATUS_FILE TIMEOUT_S
//!
//! Written on mio and libc rather than mnet: each socket is bound to its
//! source address with IP_BIND_ADDRESS_NO_PORT before connecting (mnet's
//! connect has no source address), so every 127.1.x.y gives its own
//! ephemeral ports; and the load generator stays an instrument that shares
//! no code with the server it measures. The connections go round the
//! sources in turn. Give each source at most half the ephemeral range:
//! Linux's connect() takes even ports first and, once a source's even
//! ports are used up, scans all of them under a lock on every connect
//! (measured here: a few hundred connects per second instead of
//! thousands).
//!
//! STATUS_FILE gets one line per phase:
//!
//!     ready conns N ok K errors E secs S     (every connection answered once, or failed)
//!     done answered A errors E secs S        (after SIGUSR1: the second requests)
//!
//! Errors are: a failed connect, a wrong or missing answer, and a connection
//! the server closed while it was idle. Each phase ends after TIMEOUT_S at
//! the latest (what is unanswered then counts as errors); the exit status is
//! 0 only when there was no error.
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

const REQUEST: &[u8] = b"GET /scale HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
/// Connects in flight at once: enough to keep the server busy, few enough
/// that the listeners' SYN and accept queues never overflow.
const INFLIGHT: usize = 512;

static GO: AtomicBool = AtomicBool::new(false);

extern "C" fn on_usr1(_: libc::c_int) {
    GO.store(true, Ordering::Relaxed);
}

#[derive(Clone, Copy, PartialEq)]
enum Step {
    Connecting,
    Answering,
    Idle,
    Failed,
}

struct Conn {
    sock: Option<TcpStream>,
    got: usize,
    step: Step,
}

fn sockaddr(a: SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: a.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*a.ip()).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// A non-blocking socket bound to `src` (the port picked at connect time,
/// per destination) with its connect to `dst` under way.
fn open(src: Ipv4Addr, dst: SocketAddrV4) -> std::io::Result<TcpStream> {
    let last = std::io::Error::last_os_error;
    // SAFETY: plain system calls on a descriptor this function owns; the
    // addresses passed are valid sockaddr_in values of the size given.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(last());
        }
        let owned = OwnedFd::from_raw_fd(fd);
        let one: libc::c_int = 1;
        let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let on = &one as *const libc::c_int as *const libc::c_void;
        if libc::setsockopt(fd, libc::IPPROTO_IP, libc::IP_BIND_ADDRESS_NO_PORT, on, len) < 0 {
            return Err(last());
        }
        let sa_len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let from = sockaddr(SocketAddrV4::new(src, 0));
        if libc::bind(fd, &from as *const libc::sockaddr_in as *const libc::sockaddr, sa_len) < 0 {
            return Err(last());
        }
        let to = sockaddr(dst);
        if libc::connect(fd, &to as *const libc::sockaddr_in as *const libc::sockaddr, sa_len) < 0 {
            let e = last();
            if e.raw_os_error() != Some(libc::EINPROGRESS) {
                return Err(e);
            }
        }
        Ok(TcpStream::from_raw_fd(owned.into_raw_fd()))
    }
}

struct Client {
    poll: Poll,
    conns: Vec<Conn>,
    /// Connections waiting for an answer.
    waiting: usize,
    errors: usize,
    first_error: Option<String>,
}

impl Client {
    fn fail(&mut self, i: usize, why: String) {
        let c = &mut self.conns[i];
        if matches!(c.step, Step::Connecting | Step::Answering) {
            self.waiting -= 1;
        }
        c.step = Step::Failed;
        if let Some(s) = c.sock.take() {
            let _ = self.poll.registry().deregister(&mut { s });
        }
        self.errors += 1;
        self.first_error.get_or_insert(why);
    }

    fn request(&mut self, i: usize) {
        let c = &mut self.conns[i];
        let Some(s) = c.sock.as_mut() else { return };
        match s.write(REQUEST) {
            Ok(n) if n == REQUEST.len() => {
                c.step = Step::Answering;
                c.got = 0;
            }
            Ok(n) => self.fail(i, format!("short write of the request: {n} bytes")),
            Err(e) => self.fail(i, format!("write: {e}")),
        }
    }

    /// Reads what arrived; an answer complete and exact ends the wait.
    fn read(&mut self, i: usize) {
        let mut buf = [0u8; 256];
        loop {
            let c = &mut self.conns[i];
            let Some(s) = c.sock.as_mut() else { return };
            match s.read(&mut buf) {
                Ok(0) => return self.fail(i, "the server closed the connection".into()),
                Ok(n) => {
                    if c.step != Step::Answering {
                        return self.fail(i, format!("{n} bytes nobody asked for"));
                    }
                    if c.got + n > RESPONSE.len() || buf[..n] != RESPONSE[c.got..c.got + n] {
                        return self.fail(i, "a wrong answer".into());
                    }
                    c.got += n;
                    if c.got == RESPONSE.len() {
                        c.step = Step::Idle;
                        self.waiting -= 1;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return self.fail(i, format!("read: {e}")),
            }
        }
    }

    fn on_event(&mut self, ev: &mio::event::Event) {
        let i = ev.token().0;
        let c = &mut self.conns[i];
        let Some(s) = c.sock.as_mut() else { return };
        if c.step == Step::Connecting {
            if !ev.is_writable() && !ev.is_error() {
                return;
            }
            match s.take_error() {
                Ok(None) if s.peer_addr().is_ok() => self.request(i),
                Ok(Some(e)) | Err(e) => return self.fail(i, format!("connect: {e}")),
                Ok(None) => return self.fail(i, "connect: not connected".into()),
            }
        }
        if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
            self.read(i);
        }
    }

    /// Runs the loop until no connection waits, or until `deadline`.
    fn pump(&mut self, events: &mut Events, deadline: Instant, mut open_more: impl FnMut(&mut Client)) {
        loop {
            open_more(self);
            if self.waiting == 0 {
                return;
            }
            if Instant::now() >= deadline {
                let late: Vec<usize> = (0..self.conns.len())
                    .filter(|&i| matches!(self.conns[i].step, Step::Connecting | Step::Answering))
                    .collect();
                for i in late {
                    self.fail(i, "no answer in time".into());
                }
                return;
            }
            match self.poll.poll(events, Some(Duration::from_millis(100))) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => panic!("epoll: {e}"),
            }
            for ev in events.iter() {
                self.on_event(ev);
            }
        }
    }
}

/// Replaces the status file whole (the script never reads half a line).
fn write_status(path: &str, text: &str) {
    let p = std::path::Path::new(path);
    let name = p.file_name().and_then(|n| n.to_str()).expect("a status file name");
    let tmp = p.with_file_name(format!("tmp.{name}"));
    std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, p)).expect("write the status file");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: scale_client SERVER_IP:PORT SOURCE_IP[,SOURCE_IP...] CONNS STATUS_FILE TIMEOUT_S");
        std::process::exit(2);
    }
    let server: SocketAddrV4 = args[1].parse().expect("SERVER_IP:PORT (IPv4)");
    let sources: Vec<Ipv4Addr> = args[2].split(',').map(|s| s.parse().expect("SOURCE_IP")).collect();
    let total: usize = args[3].parse().expect("CONNS");
    let status = args[4].clone();
    let timeout = Duration::from_secs(args[5].parse().expect("TIMEOUT_S"));
    // SAFETY: the handler only stores to an atomic, which is signal-safe.
    unsafe { libc::signal(libc::SIGUSR1, on_usr1 as *const () as libc::sighandler_t) };

    let mut cl = Client {
        poll: Poll::new().expect("epoll"),
        conns: Vec::with_capacity(total),
        waiting: 0,
        errors: 0,
        first_error: None,
    };
    let mut events = Events::with_capacity(4096);
    let t0 = Instant::now();
    cl.pump(&mut events, t0 + timeout, |cl| {
        while cl.conns.len() < total && cl.waiting < INFLIGHT {
            let i = cl.conns.len();
            cl.conns.push(Conn {
                sock: None,
                got: 0,
                step: Step::Connecting,
            });
            cl.waiting += 1;
            match open(sources[i % sources.len()], server) {
                Ok(mut s) => {
                    let interest = Interest::READABLE | Interest::WRITABLE;
                    match cl.poll.registry().register(&mut s, Token(i), interest) {
                        Ok(()) => cl.conns[i].sock = Some(s),
                        Err(e) => cl.fail(i, format!("register: {e}")),
                    }
                }
                Err(e) => cl.fail(i, format!("connect: {e}")),
            }
        }
    });
    let ok = cl.conns.iter().filter(|c| c.step == Step::Idle).count();
    let line = format!("ready conns {total} ok {ok} errors {} secs {:.3}\n", cl.errors, t0.elapsed().as_secs_f64());
    write_status(&status, &line);

    // Idle until told to go on; any event on an idle connection now means
    // the server closed it (an error).
    let idle_end = Instant::now() + Duration::from_secs(24 * 3600);
    while !GO.load(Ordering::Relaxed) && Instant::now() < idle_end {
        match cl.poll.poll(&mut events, Some(Duration::from_millis(500))) {
            Ok(()) | Err(_) => {}
        }
        for ev in events.iter() {
            cl.on_event(ev);
        }
    }

    let t1 = Instant::now();
    let idle: Vec<usize> = (0..cl.conns.len()).filter(|&i| cl.conns[i].step == Step::Idle).collect();
    cl.waiting = idle.len();
    for &i in &idle {
        cl.conns[i].step = Step::Answering; // waiting from now on
        cl.request(i);
    }
    cl.pump(&mut events, t1 + timeout, |_| {});
    let answered = cl.conns.iter().filter(|c| c.step == Step::Idle).count();
    let done = format!("done answered {answered} errors {} secs {:.3}\n", cl.errors, t1.elapsed().as_secs_f64());
    write_status(&status, &(line + &done));
    if let Some(e) = &cl.first_error {
        eprintln!("scale_client {}: {} errors, the first: {e}", args[2], cl.errors);
    }
    std::process::exit(i32::from(cl.errors > 0));
}
