//! Idle timeouts count every byte that moves, not only the program's own
//! recv and send: a long transfer the kernel is still writing out keeps the
//! connection alive, and the connection ends once nothing moves, never
//! before the timeout has passed since the last byte moved.

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

/// The DISCONNECT of an idle timeout: it must come no earlier than `IDLE_MS`
/// after `active`, a moment at or before the connection's last traffic.
fn check_idle_disconnect(m: &mnet::Msg, srv: Handle, active: u64) {
    assert_eq!((m.event, m.chann, m.err), (Event::Disconnect, srv, libc::ETIMEDOUT), "{m:?}");
    let now = mnet::now_micros();
    assert!(
        now >= active + IDLE_MS * 1000,
        "idle DISCONNECT {} us after bytes last moved: before the {IDLE_MS} ms timeout",
        now - active
    );
}

#[test]
fn a_transfer_the_kernel_is_still_writing_out_is_not_idle() {
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let mut peer = small_window_client(addr);
    let mut srv = Handle::NONE;
    // The send below is stamped with the time of the reactor's last round,
    // which begins after this reading.
    let mut active = mnet::now_micros();
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
    let mut stalled = false;
    while got.len() < TOTAL && !stalled {
        assert!(start.elapsed() < Duration::from_secs(60), "the transfer stalled at {}", got.len());
        match peer.read(&mut buf) {
            Ok(0) => panic!("the server hung up after {} bytes without a DISCONNECT", got.len()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        // A slow reader: the transfer takes several idle timeouts.
        busy_for(Duration::from_millis(20));
        let (before, queued) = (mnet::now_micros(), r.cached(srv).unwrap());
        // Only an idle DISCONNECT may come, and only when the machine held
        // this loop up for the whole timeout since bytes last moved.
        round(&mut r, 0, |_, m| {
            check_idle_disconnect(&m, srv, active);
            stalled = true;
        });
        if !stalled && r.cached(srv).unwrap() < queued {
            active = before;
        }
    }
    if stalled {
        // The rest of the queue went with the connection; what came is intact.
        peer.set_nonblocking(false).unwrap();
        let _ = peer.read_to_end(&mut got);
        assert_eq!(check_pattern(&got, 0), None);
        eprintln!("the loop was held up for the whole timeout: the DISCONNECT came during the transfer, on time");
        return;
    }
    assert!(
        start.elapsed() > Duration::from_millis(2 * IDLE_MS),
        "the transfer outlived the timeout twice over"
    );
    assert_eq!(check_pattern(&got, 0), None);
    // Nothing moves any more: now the timeout ends the connection.
    run_until(&mut r, Duration::from_secs(20), "idle DISCONNECT", |_, m| {
        check_idle_disconnect(&m, srv, active);
        true
    });
}
