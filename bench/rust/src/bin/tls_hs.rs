//! TLS handshakes per second: keeps K connections in flight for SECONDS; each
//! one connects, does a full handshake (no session resumption), sends one
//! byte, waits for the server's echo of it (so the server has finished its
//! side too), sends close_notify and closes. Counts completed cycles.
//!
//!     tls_hs IP:PORT CA_FILE [--conns K] [--secs SECONDS]
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use mnet_bench::*;

struct Slot {
    sock: TcpStream,
    tls: rustls::ClientConnection,
    pinged: bool,
}

fn open(poll: &Poll, addr: SocketAddr, cfg: &Arc<rustls::ClientConfig>, i: usize) -> Slot {
    let mut sock = TcpStream::connect(addr).expect("connect");
    poll.registry().register(&mut sock, Token(i), Interest::READABLE | Interest::WRITABLE).unwrap();
    let tls = rustls::ClientConnection::new(cfg.clone(), "localhost".try_into().unwrap()).unwrap();
    Slot { sock, tls, pinged: false }
}

enum Step {
    Open,
    Done,
    Failed,
}

fn drive(s: &mut Slot) -> Step {
    let mut buf = [0u8; 64];
    loop {
        let mut progress = false;
        if !s.tls.is_handshaking() && !s.pinged {
            s.tls.writer().write_all(b"x").unwrap();
            s.pinged = true;
        }
        while s.tls.wants_write() {
            match s.tls.write_tls(&mut s.sock) {
                Ok(_) => progress = true,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => break,
                Err(_) => return Step::Failed,
            }
        }
        match s.tls.read_tls(&mut s.sock) {
            Ok(0) => return Step::Failed,
            Ok(_) => {
                if s.tls.process_new_packets().is_err() {
                    return Step::Failed;
                }
                progress = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::NotConnected => {}
            Err(_) => return Step::Failed,
        }
        match s.tls.reader().read(&mut buf) {
            Ok(n) if n > 0 && buf[0] == b'x' => {
                s.tls.send_close_notify();
                let _ = s.tls.write_tls(&mut s.sock);
                return Step::Done;
            }
            Ok(_) => return Step::Failed,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return Step::Failed,
        }
        if !progress {
            return Step::Open;
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: tls_hs IP:PORT CA_FILE [--conns K] [--secs SECONDS]");
        std::process::exit(2);
    }
    let addr: SocketAddr = args[1].parse().expect("IP:PORT");
    let cfg = tls::client_config(&args[2], false);
    let k: usize = opt(&args, "--conns").map_or(16, |v| v.parse().unwrap());
    let dur = Duration::from_secs_f64(opt(&args, "--secs").map_or(5.0, |v| v.parse().unwrap()));
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(1024);
    let mut slots: Vec<Option<Slot>> = (0..k).map(|i| Some(open(&poll, addr, &cfg, i))).collect();
    let (mut done, mut failed) = (0u64, 0u64);
    let t0 = Instant::now();
    while t0.elapsed() < dur {
        poll.poll(&mut events, Some(Duration::from_millis(100))).unwrap();
        for ev in events.iter() {
            let i = ev.token().0;
            let Some(s) = slots[i].as_mut() else { continue };
            match drive(s) {
                Step::Open => continue,
                Step::Done => done += 1,
                Step::Failed => failed += 1,
            }
            let mut old = slots[i].take().unwrap();
            let _ = poll.registry().deregister(&mut old.sock);
            drop(old);
            slots[i] = Some(open(&poll, addr, &cfg, i));
        }
    }
    let dt = secs(t0);
    println!(
        "client handshakes {done} failed {failed} seconds {dt:.3} per_s {:.1} cpu_s {:.3}",
        done as f64 / dt,
        cpu_seconds()
    );
}
