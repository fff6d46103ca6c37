//! Flow control and connection lifetime beyond m_net: paused RECV, the send
//! queue's high-water mark, half-close, idle timeouts.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use common::*;
use mnet::{Error, Event, Handle, Kind, Reactor};

/// A reactor with a listener and one accepted connection from a std client.
fn accepted_pair() -> (Reactor, Handle, TcpStream) {
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let peer = TcpStream::connect(addr).unwrap();
    let mut srv = Handle::NONE;
    run_until(&mut r, Duration::from_secs(5), "ACCEPT", |_, m| {
        if m.event == Event::Accept {
            srv = m.accepted;
        }
        !srv.is_none()
    });
    (r, srv, peer)
}

#[test]
fn paused_recv_raises_nothing_until_resumed() {
    let (mut r, srv, mut peer) = accepted_pair();
    r.set_recv_event(srv, false).unwrap();
    peer.write_all(b"held back").unwrap();
    // A timer on the channel proves rounds run; no RECV may come meanwhile.
    r.set_timer(srv, 5).unwrap();
    let mut ticks = 0;
    run_until(&mut r, Duration::from_secs(5), "ten ticks while paused", |_, m| {
        assert_eq!(m.event, Event::Timer, "nothing but TIMER while paused");
        ticks += 1;
        ticks == 10
    });
    r.set_timer(srv, 0).unwrap();
    r.set_recv_event(srv, true).unwrap();
    let mut got = Vec::new();
    run_until(&mut r, Duration::from_secs(5), "RECV after resume", |r, m| {
        assert_eq!(m.event, Event::Recv);
        let mut b = [0u8; 64];
        let n = r.recv(srv, &mut b).unwrap();
        got.extend_from_slice(&b[..n]);
        got.len() == 9
    });
    assert_eq!(got, b"held back");
}

#[test]
fn send_limit_refuses_instead_of_growing() {
    let (mut r, srv, _peer) = accepted_pair(); // the peer never reads
    r.set_send_limit(srv, 1 << 20).unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut accepted = 0usize;
    let err = loop {
        match r.send(srv, &chunk) {
            Ok(n) => accepted += n,
            Err(e) => break e,
        }
        assert!(accepted < 64 << 20, "the limit never triggered");
    };
    assert!(matches!(err, Error::QueueFull { limit, .. } if limit == 1 << 20), "{err}");
    assert!(err.to_string().contains("send queue full"));
    let cached = r.cached(srv).unwrap();
    assert!(cached <= 1 << 20 && cached + chunk.len() > 1 << 20, "cached {cached}");
    // Nothing was queued by the refused call, and the channel still works.
    assert_eq!(r.state(srv).unwrap(), mnet::State::Connected);
    assert_eq!(r.send(srv, b"x").unwrap(), 1);
}

#[test]
fn half_close_delivers_eof_after_data_and_keeps_sending() {
    let (mut r, srv, mut peer) = accepted_pair();
    r.set_half_close(srv, true).unwrap();
    peer.write_all(b"request").unwrap();
    peer.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    let mut eof = false;
    run_until(&mut r, Duration::from_secs(5), "EOF", |r, m| {
        match m.event {
            Event::Recv => {
                assert!(!eof, "no RECV after EOF");
                let mut b = [0u8; 3];
                let n = r.recv(srv, &mut b).unwrap();
                got.extend_from_slice(&b[..n]);
            }
            Event::Eof => {
                assert!(!eof, "EOF once");
                eof = true;
                // Still connected for sending: answer, then finish our side.
                r.send(srv, b"response").unwrap();
                r.shutdown_write(srv).unwrap();
            }
            e => panic!("unexpected {e:?}"),
        }
        eof
    });
    assert_eq!(got, b"request", "all data before EOF");
    assert!(r.send(srv, b"late").is_err(), "send after shutdown_write fails");
    let mut answer = Vec::new();
    peer.read_to_end(&mut answer).unwrap(); // ends: our FIN arrived
    assert_eq!(answer, b"response");
}

#[test]
fn without_half_close_fin_is_one_disconnect() {
    let (mut r, srv, mut peer) = accepted_pair();
    peer.write_all(b"bye").unwrap();
    peer.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    run_until(&mut r, Duration::from_secs(5), "DISCONNECT", |r, m| match m.event {
        Event::Recv => {
            let mut b = [0u8; 1];
            let n = r.recv(srv, &mut b).unwrap();
            got.extend_from_slice(&b[..n]);
            false
        }
        Event::Disconnect => {
            assert_eq!(m.err, 0);
            true
        }
        e => panic!("unexpected {e:?}"),
    });
    assert_eq!(got, b"bye");
}

/// An idle timeout ends a connection in which nothing moved for its whole
/// duration, with DISCONNECT err ETIMEDOUT, and never earlier: every byte
/// restarts it. Times are compared one way only (not before the deadline);
/// a machine that stalls longer than the timeout between two round trips
/// makes the DISCONNECT come early in the test, but still not before its
/// deadline.
#[test]
fn idle_timeout_disconnects_with_etimedout() {
    const IDLE_MS: u64 = 100;
    let (mut r, srv, mut peer) = accepted_pair();
    let (_l2, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let _busy = TcpStream::connect(addr).unwrap();
    // The latest moment the connection is known to have been active: the
    // reactor notes traffic at the start of a round, after this reading.
    let mut active = mnet::now_micros();
    let start = active;
    r.set_idle_timeout(srv, IDLE_MS).unwrap();
    let mut timed_out = None;
    // Echo round trips for three timeouts: the traffic keeps it alive.
    let mut i = 0u8;
    while timed_out.is_none() && mnet::now_micros() < start + 3 * IDLE_MS * 1000 {
        peer.write_all(&[i]).unwrap();
        let before = mnet::now_micros();
        run_until(&mut r, Duration::from_secs(20), "echo", |r, m| match m.event {
            Event::Recv if m.chann == srv => {
                let mut b = [0u8; 8];
                let n = r.recv(srv, &mut b).unwrap();
                r.send(srv, &b[..n]).unwrap();
                true
            }
            Event::Disconnect => {
                assert_eq!((m.chann, m.err), (srv, libc::ETIMEDOUT));
                timed_out = Some(mnet::now_micros());
                true
            }
            _ => false,
        });
        if timed_out.is_none() {
            active = before;
            let mut b = [0u8; 1];
            peer.read_exact(&mut b).unwrap();
            assert_eq!(b[0], i);
            i = i.wrapping_add(1);
        }
    }
    let stalled = timed_out.is_some();
    // Nothing moves any more: the timeout ends the connection.
    if !stalled {
        run_until(&mut r, Duration::from_secs(20), "idle DISCONNECT", |_, m| {
            if m.event == Event::Disconnect {
                assert_eq!((m.chann, m.err), (srv, libc::ETIMEDOUT));
                timed_out = Some(mnet::now_micros());
                return true;
            }
            false
        });
    }
    let at = timed_out.unwrap();
    assert!(
        at >= active + IDLE_MS * 1000,
        "DISCONNECT {} us after the last traffic, before the {IDLE_MS} ms timeout",
        at - active
    );
    let mut rest = Vec::new();
    match peer.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty() || stalled, "nothing after the last echo: {rest:?}"),
        // A byte the server never read turns the close into a reset.
        Err(e) => assert!(stalled && e.kind() == std::io::ErrorKind::ConnectionReset, "{e}"),
    }
}

/// Half-close both ways, in either order: EOF, then one DISCONNECT (err 0)
/// once both FINs are out, and the channel is free to connect again.
fn half_close_ends_with_one_disconnect(shut_first: bool) {
    let (mut r, srv, mut peer) = accepted_pair();
    r.set_half_close(srv, true).unwrap();
    if shut_first {
        r.send(srv, b"early").unwrap();
        r.shutdown_write(srv).unwrap();
        let mut got = Vec::new();
        peer.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"early");
        peer.shutdown(Shutdown::Write).unwrap();
    } else {
        peer.shutdown(Shutdown::Write).unwrap();
    }
    let mut events = Vec::new();
    run_until(&mut r, Duration::from_secs(5), "EOF and DISCONNECT", |r, m| {
        events.push((m.event, m.err));
        if m.event == Event::Eof && !shut_first {
            r.send(srv, b"late").unwrap();
            r.shutdown_write(srv).unwrap();
        }
        m.event == Event::Disconnect
    });
    assert_eq!(events, vec![(Event::Eof, 0), (Event::Disconnect, 0)]);
    assert_eq!(r.state(srv).unwrap(), mnet::State::Disconnect);
    if !shut_first {
        let mut got = Vec::new();
        peer.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"late");
    }
}

#[test]
fn half_close_peer_first_then_ours_ends_in_disconnect() {
    half_close_ends_with_one_disconnect(false);
}

#[test]
fn half_close_ours_first_then_peer_ends_in_disconnect() {
    half_close_ends_with_one_disconnect(true);
}
