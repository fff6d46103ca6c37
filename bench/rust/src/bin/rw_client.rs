//! The rwdata client: pumps BYTES of a checkable pattern to an echo server
//! and checks every byte that comes back; prints MB/s (MiB per second of
//! echoed data), its own peak RSS and CPU time.
//!
//!     rw_client IP:PORT BYTES                 plain TCP, blocking sockets (a writer thread, a reader thread)
//!     rw_client IP:PORT BYTES --tls CA_FILE   TLS (rustls + mio, one thread), server name localhost
//!
//! Exits non-zero if a byte is wrong or missing.
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mnet_bench::*;

const CHUNK: usize = 256 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: rw_client IP:PORT BYTES [--tls CA_FILE]");
        std::process::exit(2);
    }
    let addr = &args[1];
    let total = parse_bytes(&args[2]);
    let t0 = Instant::now();
    let got = match opt(&args, "--tls") {
        Some(ca) => tls_run(addr, total, &ca),
        None => plain_run(addr, total),
    };
    let dt = secs(t0);
    let ok = got == Ok(total);
    println!(
        "client bytes {} seconds {:.3} mb_s {:.1} peak_rss_kb {} cpu_s {:.3} {}",
        got.as_ref().copied().unwrap_or(0),
        dt,
        total as f64 / (1 << 20) as f64 / dt,
        status_kb("VmHWM"),
        cpu_seconds(),
        if ok { "ok".to_string() } else { format!("FAILED {got:?}") }
    );
    if !ok {
        std::process::exit(1);
    }
}

fn plain_run(addr: &str, total: u64) -> Result<u64, String> {
    let s = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    s.set_nodelay(true).unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || -> io::Result<()> {
        let mut buf = vec![0u8; CHUNK];
        let mut sent = 0u64;
        while sent < total {
            let n = (total - sent).min(CHUNK as u64) as usize;
            fill_pattern(&mut buf[..n], sent);
            w.write_all(&buf[..n])?;
            sent += n as u64;
        }
        Ok(())
    });
    let mut r = s;
    r.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buf = vec![0u8; CHUNK];
    let mut got = 0u64;
    while got < total {
        let n = r.read(&mut buf).map_err(|e| format!("read at {got}: {e}"))?;
        if n == 0 {
            return Err(format!("EOF after {got} bytes"));
        }
        if let Some(bad) = check_pattern(&buf[..n], got) {
            return Err(format!("wrong byte at offset {bad}"));
        }
        got += n as u64;
    }
    writer.join().unwrap().map_err(|e| format!("write: {e}"))?;
    Ok(got)
}

fn tls_run(addr: &str, total: u64, ca: &str) -> Result<u64, String> {
    use mio::{Events, Interest, Poll, Token};
    let cfg = tls::client_config(ca, true);
    let mut conn = rustls::ClientConnection::new(cfg, "localhost".try_into().unwrap()).unwrap();
    let mut sock = mio::net::TcpStream::connect(addr.parse().unwrap()).map_err(|e| format!("connect: {e}"))?;
    let mut poll = Poll::new().unwrap();
    poll.registry().register(&mut sock, Token(0), Interest::READABLE | Interest::WRITABLE).unwrap();
    let mut events = Events::with_capacity(8);
    let mut out = vec![0u8; CHUNK];
    let (mut out_at, mut out_len) = (0usize, 0usize);
    let mut buf = vec![0u8; CHUNK];
    let (mut sent, mut got) = (0u64, 0u64);
    let mut connected = false;
    let deadline = Instant::now() + Duration::from_secs(600);
    while got < total {
        if Instant::now() > deadline {
            return Err(format!("timed out after {got} bytes"));
        }
        poll.poll(&mut events, Some(Duration::from_secs(1))).unwrap();
        if !connected {
            if events.iter().any(|e| e.is_writable() || e.is_error()) {
                if let Some(e) = sock.take_error().unwrap() {
                    return Err(format!("connect: {e}"));
                }
                sock.set_nodelay(true).unwrap();
                connected = true;
            } else {
                continue;
            }
        }
        loop {
            let mut progress = false;
            // Plaintext into the session, bounded by rustls's buffer limit.
            while !conn.is_handshaking() && sent < total {
                if out_at == out_len {
                    out_len = (total - sent).min(CHUNK as u64) as usize;
                    fill_pattern(&mut out[..out_len], sent);
                    out_at = 0;
                }
                let n = conn.writer().write(&out[out_at..out_len]).map_err(|e| format!("tls write: {e}"))?;
                if n == 0 {
                    break;
                }
                out_at += n;
                sent += n as u64;
                progress = true;
            }
            while conn.wants_write() {
                match conn.write_tls(&mut sock) {
                    Ok(_) => progress = true,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(format!("write_tls: {e}")),
                }
            }
            match conn.read_tls(&mut sock) {
                Ok(0) => return Err(format!("EOF after {got} bytes")),
                Ok(_) => {
                    conn.process_new_packets().map_err(|e| format!("tls: {e}"))?;
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("read_tls: {e}")),
            }
            loop {
                match conn.reader().read(&mut buf) {
                    Ok(0) => return Err(format!("close_notify after {got} bytes")),
                    Ok(n) => {
                        if let Some(bad) = check_pattern(&buf[..n], got) {
                            return Err(format!("wrong byte at offset {bad}"));
                        }
                        got += n as u64;
                        progress = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(format!("tls read: {e}")),
                }
            }
            if !progress || got == total {
                break;
            }
        }
    }
    conn.send_close_notify();
    let _ = conn.write_tls(&mut sock);
    Ok(got)
}
