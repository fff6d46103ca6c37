//! Pausing RECV is backpressure: nothing is read from the socket (for TLS,
//! no ciphertext either), so the kernel's window closes and the peer's
//! writes stop; resuming delivers every byte.

mod common;

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use common::certs::{blocking_client, pki, tls_listener};
use common::*;
use mnet::{Direction, Event, Handle, Kind, Reactor};

/// Writes the pattern from stream offset `from` on `s` (non-blocking) until
/// the kernel refuses more; returns how much it took.
fn write_until_blocked(s: &mut TcpStream, from: usize) -> usize {
    s.set_nonblocking(true).unwrap();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut sent = 0usize;
    loop {
        fill_pattern(&mut chunk, (from + sent) as u64);
        match s.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return sent,
            Err(e) => panic!("{e}"),
        }
        assert!(sent < 1 << 30, "the peer was never held back");
    }
}

/// Rounds until `h` has read `total` bytes (of the pattern), reading with
/// RECV; returns them.
fn read_all(r: &mut Reactor, h: Handle, total: usize) -> Vec<u8> {
    let mut got = Vec::with_capacity(total);
    let mut buf = vec![0u8; 64 * 1024];
    run_until(r, Duration::from_secs(30), "every byte after resuming", |r, m| {
        assert_eq!((m.event, m.chann), (Event::Recv, h));
        let n = r.recv(h, &mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
        got.len() == total
    });
    got
}

#[test]
fn paused_recv_reads_nothing_and_holds_the_peer_back() {
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let mut peer = TcpStream::connect(addr).unwrap();
    let mut srv = Handle::NONE;
    run_until(&mut r, Duration::from_secs(5), "ACCEPT", |_, m| {
        srv = m.accepted;
        true
    });
    r.set_recv_event(srv, false).unwrap();
    // The peer writes until its kernel takes nothing more, with rounds in
    // between, until a pass where it could write nothing at all (bytes
    // still on their way between the two kernels may let one more pass
    // take some). A reactor that kept reading would take bytes for ever.
    let mut sent = 0;
    loop {
        let pass = write_until_blocked(&mut peer, sent);
        if pass == 0 && sent > 0 {
            break;
        }
        sent += pass;
        assert!(sent < 256 << 20, "the peer was never held back");
        watch_ticks(&mut r, 5, 5, |_, m| panic!("nothing while paused: {m:?}"));
    }
    assert_eq!(r.bytes(srv, Direction::Received).unwrap(), 0, "not a byte read while paused");
    r.set_recv_event(srv, true).unwrap();
    let got = read_all(&mut r, srv, sent);
    assert_eq!(check_pattern(&got, 0), None);
}

#[test]
fn paused_tls_reads_no_ciphertext_either() {
    let p = pki(&["localhost"]);
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = tls_listener(&mut r, &p, 16);
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let (total_tx, total_rx) = std::sync::mpsc::channel::<usize>();
    let client = thread::spawn(move || {
        let (mut conn, mut sock) = blocking_client(&p, addr);
        wait.recv().unwrap(); // the server paused
        // Encrypt chunk after chunk until the socket refuses more.
        sock.set_nonblocking(true).unwrap();
        let mut chunk = vec![0u8; 16 * 1024];
        let mut sent = 0usize;
        'fill: loop {
            fill_pattern(&mut chunk, sent as u64);
            conn.writer().write_all(&chunk).unwrap();
            sent += chunk.len();
            while conn.wants_write() {
                match conn.write_tls(&mut sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break 'fill,
                    Err(e) => panic!("{e}"),
                }
            }
        }
        total_tx.send(sent).unwrap();
        // Once resumed the server drains; finish writing what is pending.
        sock.set_nonblocking(false).unwrap();
        while conn.wants_write() {
            conn.write_tls(&mut sock).unwrap();
        }
        wait.recv().unwrap(); // the server read everything
    });
    let mut srv = Handle::NONE;
    run_until(&mut r, Duration::from_secs(10), "ACCEPT", |_, m| {
        assert_eq!(m.event, Event::Accept);
        srv = m.accepted;
        true
    });
    r.set_recv_event(srv, false).unwrap();
    let before = r.bytes(srv, Direction::Received).unwrap();
    go.send(()).unwrap();
    let sent = total_rx.recv_timeout(Duration::from_secs(30)).expect("the client was held back");
    watch_ticks(&mut r, 5, 5, |_, m| panic!("nothing while paused: {m:?}"));
    assert_eq!(r.bytes(srv, Direction::Received).unwrap(), before, "no ciphertext read while paused");
    r.set_recv_event(srv, true).unwrap();
    let got = read_all(&mut r, srv, sent);
    assert_eq!(check_pattern(&got, 0), None);
    go.send(()).unwrap();
    client.join().unwrap();
}
