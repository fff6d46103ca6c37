//! The TLS peer: what a Rust programmer writes with rustls 0.23 (ring) and
//! mio instead of mnet. An echo server for any number of connections, one
//! thread, edge-triggered; the echo buffer per connection is bounded (the
//! session's own buffer limit plus one 64 KiB chunk).
//!
//!     tls_peer IP:PORT CERT KEY [--once]
//!
//! With --once it stops after the first connection ends and prints its peak
//! RSS and CPU time (the throughput run); without, it serves until killed
//! (the handshake run).
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use mnet_bench::*;

const CHUNK: usize = 64 * 1024;
const LISTENER: Token = Token(usize::MAX);

struct Conn {
    sock: TcpStream,
    tls: rustls::ServerConnection,
    pending: Vec<u8>,
    at: usize,
    bytes: u64,
}

enum Step {
    Open,
    Closed,
}

impl Conn {
    /// Moves data as far as it goes without blocking.
    fn drive(&mut self, buf: &mut [u8]) -> Step {
        loop {
            let mut progress = false;
            // Echo what is pending into the session.
            while self.at < self.pending.len() {
                match self.tls.writer().write(&self.pending[self.at..]) {
                    Ok(0) => break,
                    Ok(n) => {
                        self.at += n;
                        progress = true;
                    }
                    Err(_) => return Step::Closed,
                }
            }
            if self.at == self.pending.len() {
                self.pending.clear();
                self.at = 0;
                match self.tls.reader().read(buf) {
                    Ok(0) => {
                        // close_notify: answer it and go.
                        self.tls.send_close_notify();
                        let _ = self.tls.write_tls(&mut self.sock);
                        return Step::Closed;
                    }
                    Ok(n) => {
                        self.pending.extend_from_slice(&buf[..n]);
                        self.bytes += n as u64;
                        continue;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return Step::Closed,
                }
            }
            while self.tls.wants_write() {
                match self.tls.write_tls(&mut self.sock) {
                    Ok(_) => progress = true,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => return Step::Closed,
                }
            }
            // Read more only once the echo has caught up (bounded memory).
            if self.pending.is_empty() && self.tls.wants_read() {
                match self.tls.read_tls(&mut self.sock) {
                    Ok(0) => return Step::Closed,
                    Ok(_) => {
                        if self.tls.process_new_packets().is_err() {
                            let _ = self.tls.write_tls(&mut self.sock);
                            return Step::Closed;
                        }
                        progress = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return Step::Closed,
                }
            }
            if !progress {
                return Step::Open;
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: tls_peer IP:PORT CERT KEY [--once]");
        std::process::exit(2);
    }
    let once = flag(&args, "--once");
    let cfg = tls::server_config(&args[2], &args[3]);
    let mut listener = TcpListener::bind(args[1].parse().expect("IP:PORT")).expect("bind");
    println!("tls_peer listening on {}", args[1]);
    let mut poll = Poll::new().unwrap();
    poll.registry().register(&mut listener, LISTENER, Interest::READABLE).unwrap();
    let mut events = Events::with_capacity(1024);
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    let mut next_id = 0usize;
    let mut buf = vec![0u8; CHUNK];
    loop {
        poll.poll(&mut events, Some(Duration::from_secs(1))).unwrap();
        for ev in events.iter() {
            if ev.token() == LISTENER {
                while let Ok((mut sock, _)) = listener.accept() {
                    sock.set_nodelay(true).unwrap();
                    let id = next_id;
                    next_id = next_id.wrapping_add(1) % (usize::MAX - 1);
                    poll.registry().register(&mut sock, Token(id), Interest::READABLE | Interest::WRITABLE).unwrap();
                    let tls = rustls::ServerConnection::new(cfg.clone()).unwrap();
                    conns.insert(id, Conn { sock, tls, pending: Vec::new(), at: 0, bytes: 0 });
                }
                continue;
            }
            let id = ev.token().0;
            let Some(c) = conns.get_mut(&id) else { continue };
            if let Step::Closed = c.drive(&mut buf) {
                let mut c = conns.remove(&id).unwrap();
                let _ = poll.registry().deregister(&mut c.sock);
                if once {
                    println!(
                        "server peak_rss_kb {} cpu_s {:.3} bytes_in {} bytes_out {}",
                        status_kb("VmHWM"),
                        cpu_seconds(),
                        c.bytes,
                        c.bytes
                    );
                    return;
                }
            }
        }
    }
}
