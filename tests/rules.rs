//! The event rules of the README ("The rules code relies on"), one test per
//! rule, each named after it. The rules themselves live in
//! `src/core/rules.rs`, one function each.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use mnet::{Event, Handle, Kind, Reactor, State};

/// A reactor with a listener and a connection accepted from a std client.
fn accepted() -> (Reactor, Handle, TcpStream) {
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let peer = TcpStream::connect(addr).unwrap();
    let mut srv = Handle::NONE;
    run_until(&mut r, Duration::from_secs(5), "ACCEPT", |_, m| {
        srv = m.accepted;
        true
    });
    (r, srv, peer)
}

#[test]
fn timer_comes_first_in_its_round_at_most_once_per_chann() {
    let (mut r, srv, mut peer) = accepted();
    let (a, b) = (r.open(Kind::Stream), r.open(Kind::Stream));
    r.set_timer(a, 1).unwrap();
    r.set_timer(b, 1).unwrap();
    peer.write_all(b"data").unwrap();
    // Several periods pass before the round: still one TIMER each, first.
    busy_for(Duration::from_millis(10));
    let mut order = Vec::new();
    run_until(&mut r, Duration::from_secs(5), "a round with the data", |r, m| {
        order.push((m.event, m.chann));
        if m.event == Event::Recv {
            let mut buf = [0u8; 8];
            r.recv(srv, &mut buf).unwrap();
            return true;
        }
        false
    });
    let recv_at = order.iter().position(|&(e, _)| e == Event::Recv).unwrap();
    let round_of_recv = &order[..recv_at];
    let timers = |h| round_of_recv.iter().filter(|&&(e, c)| e == Event::Timer && c == h).count();
    assert!(timers(a) >= 1 && timers(b) >= 1, "{order:?}");
    assert!(
        order[..2].iter().all(|&(e, _)| e == Event::Timer),
        "the first round begins with its TIMERs: {order:?}"
    );
    // Round by round: TIMERs lead, and no channel has two in one round.
    for _ in 0..5 {
        busy_for(Duration::from_millis(3));
        let mut round_events = Vec::new();
        round(&mut r, 100, |_, m| round_events.push((m.event, m.chann)));
        let first_other = round_events.iter().position(|&(e, _)| e != Event::Timer).unwrap_or(round_events.len());
        assert!(round_events[first_other..].iter().all(|&(e, _)| e != Event::Timer), "{round_events:?}");
        for h in [a, b] {
            assert_eq!(round_events.iter().filter(|&&(e, c)| e == Event::Timer && c == h).count(), 1);
        }
    }
}

#[test]
fn accept_comes_for_every_connection_in_the_listen_queue() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    // Connected once connect() returns: all 20 wait in the listen queue.
    let clients: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let mut accepted = Vec::new();
    round(&mut r, 1000, |_, m| {
        assert_eq!((m.event, m.chann), (Event::Accept, l));
        accepted.push(m.accepted);
    });
    assert_eq!(accepted.len(), clients.len(), "one round accepts the whole queue");
    for h in accepted {
        assert_eq!(r.state(h).unwrap(), State::Connected, "accepted channels are connected");
    }
}

#[test]
fn connected_comes_once_per_connect_and_a_failed_one_gives_one_disconnect_instead() {
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let c = r.open(Kind::Stream);
    r.connect(c, &addr.to_string()).unwrap();
    let mut seen = Vec::new();
    run_until(&mut r, Duration::from_secs(5), "CONNECTED", |_, m| {
        if m.chann == c {
            seen.push(m.event);
        }
        m.chann == c
    });
    watch_ticks(&mut r, 3, 5, |_, m| assert_ne!(m.chann, c, "one CONNECTED only: {m:?}"));
    assert_eq!(seen, vec![Event::Connected]);
    // A refused connect: DISCONNECT with the errno, never CONNECTED.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let f = r.open(Kind::Stream);
    r.connect(f, &closed.to_string()).unwrap();
    let mut failed = Vec::new();
    run_until(&mut r, Duration::from_secs(5), "DISCONNECT", |_, m| {
        assert_eq!(m.chann, f, "{m:?}");
        failed.push((m.event, m.err));
        true
    });
    watch_ticks(&mut r, 3, 5, |_, m| panic!("nothing more: {m:?}"));
    assert_eq!(failed, vec![(Event::Disconnect, libc::ECONNREFUSED)]);
}

#[test]
fn recv_is_level_style_and_data_always_comes_before_the_disconnect() {
    let (mut r, srv, mut peer) = accepted();
    peer.write_all(b"0123456789").unwrap();
    // One byte per RECV: RECV comes again, a round each, until all is read.
    let mut got = Vec::new();
    let mut recvs = 0;
    run_until(&mut r, Duration::from_secs(5), "ten bytes", |r, m| {
        assert_eq!((m.event, m.chann), (Event::Recv, srv));
        recvs += 1;
        let mut b = [0u8; 1];
        let n = r.recv(srv, &mut b).unwrap();
        got.extend_from_slice(&b[..n]);
        got.len() == 10
    });
    assert_eq!((got.as_slice(), recvs), (&b"0123456789"[..], 10));
    // Data and the close together: every byte, then DISCONNECT (err 0).
    peer.write_all(b"last words").unwrap();
    drop(peer);
    let mut tail = Vec::new();
    let mut end = None;
    run_until(&mut r, Duration::from_secs(5), "DISCONNECT", |r, m| {
        match m.event {
            Event::Recv => {
                assert!(end.is_none(), "RECV after DISCONNECT");
                let mut b = [0u8; 3];
                let n = r.recv(srv, &mut b).unwrap();
                tail.extend_from_slice(&b[..n]);
            }
            Event::Disconnect => end = Some(m.err),
            e => panic!("unexpected {e:?}"),
        }
        end.is_some()
    });
    assert_eq!((tail.as_slice(), end), (&b"last words"[..], Some(0)));
}

#[test]
fn send_comes_once_per_round_while_the_queue_is_empty_and_the_socket_writable() {
    let (mut r, srv, mut peer) = accepted();
    r.set_send_event(srv, true).unwrap();
    for _ in 0..3 {
        let mut sends = 0;
        round(&mut r, 100, |_, m| {
            assert_eq!((m.event, m.chann), (Event::Send, srv));
            sends += 1;
        });
        assert_eq!(sends, 1, "one SEND per round");
    }
    // Fill the peer's window: with data queued, no SEND.
    let chunk = vec![1u8; 1 << 20];
    while r.cached(srv).unwrap() == 0 {
        r.send(srv, &chunk).unwrap();
    }
    watch_ticks(&mut r, 3, 5, |_, m| panic!("no SEND while data is queued: {m:?}"));
    // The peer drains: SEND again once the queue is empty.
    peer.set_nonblocking(true).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut sent_again = false;
    let end = std::time::Instant::now() + Duration::from_secs(20);
    while !sent_again {
        assert!(std::time::Instant::now() < end, "SEND never came back");
        while peer.read(&mut buf).is_ok_and(|n| n > 0) {}
        round(&mut r, 10, |r, m| {
            assert_eq!(m.event, Event::Send);
            assert_eq!(r.cached(srv).unwrap(), 0, "SEND means the queue is empty");
            sent_again = true;
        });
    }
}

#[test]
fn disconnect_comes_once_with_the_errno_and_never_for_your_own_disconnect() {
    let (mut r, srv, peer) = accepted();
    common::peer::reset(peer);
    let mut ends = Vec::new();
    run_until(&mut r, Duration::from_secs(5), "DISCONNECT", |_, m| {
        ends.push((m.event, m.chann, m.err));
        true
    });
    watch_ticks(&mut r, 3, 5, |_, m| panic!("once only: {m:?}"));
    assert_eq!(ends, vec![(Event::Disconnect, srv, libc::ECONNRESET)]);
    // The channel lives on; our own disconnect raises nothing on it (the
    // other end, accepted here, hears the close).
    let (_l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    r.connect(srv, &addr.to_string()).unwrap();
    run_until(&mut r, Duration::from_secs(5), "CONNECTED", |_, m| m.event == Event::Connected);
    r.disconnect(srv).unwrap();
    watch_ticks(&mut r, 3, 5, |_, m| assert_ne!(m.chann, srv, "nothing for our own disconnect: {m:?}"));
}
