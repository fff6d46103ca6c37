//! Connection cycles per second against a chann_web-style HTTP server: keeps
//! K connections in flight for SECONDS; each one connects, sends one GET,
//! reads the whole response (Content-Length) and closes. So one cycle is
//! connect + accept + one request + close on both ends.
//!
//!     conn_cycle IP:PORT [--conns K] [--secs SECONDS]
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use mnet_bench::*;

const REQ: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

struct Slot {
    sock: TcpStream,
    sent: bool,
    got: Vec<u8>,
}

fn open(poll: &Poll, addr: SocketAddr, i: usize) -> Slot {
    let mut sock = TcpStream::connect(addr).expect("connect");
    poll.registry().register(&mut sock, Token(i), Interest::READABLE | Interest::WRITABLE).unwrap();
    Slot { sock, sent: false, got: Vec::with_capacity(16 * 1024) }
}

/// Length of the whole response once its head is in, if it is.
fn response_len(b: &[u8]) -> Option<usize> {
    let end = b.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&b[..end]).ok()?;
    let clen = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>()))?
        .ok()?;
    Some(end + clen)
}

enum Step {
    Open,
    Done,
    Failed,
}

fn drive(s: &mut Slot, ev: &mio::event::Event) -> Step {
    if !s.sent {
        if !(ev.is_writable() || ev.is_error()) {
            return Step::Open;
        }
        if let Ok(Some(_)) | Err(_) = s.sock.take_error() {
            return Step::Failed;
        }
        match s.sock.write(REQ) {
            Ok(n) if n == REQ.len() => s.sent = true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::NotConnected => {
                return Step::Open
            }
            _ => return Step::Failed,
        }
    }
    let mut buf = [0u8; 16 * 1024];
    loop {
        match s.sock.read(&mut buf) {
            Ok(0) => return Step::Failed,
            Ok(n) => {
                s.got.extend_from_slice(&buf[..n]);
                if let Some(len) = response_len(&s.got) {
                    if s.got.len() >= len {
                        return Step::Done;
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Open,
            Err(_) => return Step::Failed,
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: conn_cycle IP:PORT [--conns K] [--secs SECONDS]");
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1].parse().expect("IP:PORT");
    let k: usize = opt(&args, "--conns").map_or(16, |v| v.parse().unwrap());
    let dur = Duration::from_secs_f64(opt(&args, "--secs").map_or(5.0, |v| v.parse().unwrap()));
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(1024);
    let mut slots: Vec<Option<Slot>> = (0..k).map(|i| Some(open(&poll, addr, i))).collect();
    let (mut done, mut failed) = (0u64, 0u64);
    let t0 = Instant::now();
    while t0.elapsed() < dur {
        poll.poll(&mut events, Some(Duration::from_millis(100))).unwrap();
        for ev in events.iter() {
            let i = ev.token().0;
            let Some(s) = slots[i].as_mut() else { continue };
            match drive(s, ev) {
                Step::Open => continue,
                Step::Done => done += 1,
                Step::Failed => failed += 1,
            }
            let mut old = slots[i].take().unwrap();
            let _ = poll.registry().deregister(&mut old.sock);
            drop(old);
            slots[i] = Some(open(&poll, addr, i));
        }
    }
    let dt = secs(t0);
    println!(
        "client cycles {done} failed {failed} seconds {dt:.3} per_s {:.1} cpu_s {:.3}",
        done as f64 / dt,
        cpu_seconds()
    );
}
