//! Idle timeouts count every byte that moves, not only the program's own
//! recv and send: a long transfer the kernel is still writing out keeps the
//! connection alive, and the connection ends once nothing moves.

mod common;

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use mnet::{Event, Handle, Kind, Reactor};
use socket2::{Domain, Socket, Type};

const IDLE_MS: u64 = 1000;
const TOTAL: usize = 4 << 20;
const STEP: usize = 32 * 1024;

/// A client with a small receive buffer, so the sender's kernel can only
/// move the data as fast as the client reads it.
fn small_window_client(addr: std::net::SocketAddr) -> TcpStream {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.set_recv_buffer_size(64 * 1024).unwrap();
    s.connect(&addr.into()).unwrap();
    s.into()
}

#[test]
fn a_transfer_the_kernel_is_still_writing_out_is_not_idle() {
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let mut peer = small_window_client(addr);
    let mut srv = Handle::NONE;
    run_until(&mut r, Duration::from_secs(5), "ACCEPT", |_, m| {
        srv = m.accepted;
        true
    });
    r.set_bufsize(srv, 64 * 1024).unwrap();
    r.set_idle_timeout(srv, IDLE_MS).unwrap();
    let mut data = vec![0u8; TOTAL];
    fill_pattern(&mut data, 0);
    // One send from the program; the rest is the kernel writing out the
    // queue as the peer reads.
    r.send(srv, &data).unwrap();
    assert!(r.cached(srv).unwrap() > TOTAL / 2, "most of it waits in the queue");
    peer.set_nonblocking(true).unwrap();
    let start = Instant::now();
    let mut got = Vec::with_capacity(TOTAL);
    let mut buf = vec![0u8; STEP];
    while got.len() < TOTAL {
        assert!(start.elapsed() < Duration::from_secs(60), "the transfer stalled at {}", got.len());
        match peer.read(&mut buf) {
            Ok(0) => panic!("the server hung up after {} bytes: the idle timeout cut a live transfer", got.len()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        // A slow reader: the transfer takes several idle timeouts.
        busy_for(Duration::from_millis(20));
        round(&mut r, 0, |_, m| panic!("nothing may happen during the transfer: {m:?}"));
    }
    assert!(
        start.elapsed() > Duration::from_millis(2 * IDLE_MS),
        "the transfer outlived the timeout twice over"
    );
    assert_eq!(check_pattern(&got, 0), None);
    // Nothing moves any more: now the timeout ends the connection.
    run_until(&mut r, Duration::from_secs(20), "idle DISCONNECT", |_, m| {
        assert_eq!((m.event, m.chann, m.err), (Event::Disconnect, srv, libc::ETIMEDOUT));
        true
    });
}
