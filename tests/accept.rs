//! ACCEPT belongs to the listener as it was when the connection came: a
//! listener disconnected (or closed) since gets no ACCEPT, and the
//! connection it would have carried is closed, not leaked. The same holds
//! for TLS connections whose handshake finishes later.

mod common;

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::Duration;

use common::certs::{client_config, pki, tls_listener};
use common::*;
use mnet::{Event, Kind, Reactor, State};

/// Whether the server end of `s` was closed (EOF or reset), waiting a
/// bounded time for it.
fn hung_up(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut b = [0u8; 16];
    match s.read(&mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

#[test]
fn an_accept_queued_when_its_listener_disconnects_is_dropped_and_closed() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    // Control: with the listener left alone, the round delivers the ACCEPT.
    let _first = TcpStream::connect(addr).unwrap();
    let events = |msgs: Vec<mnet::Msg>| msgs.iter().map(|m| m.event).collect::<Vec<_>>();
    assert_eq!(events(timer_then_rest(&mut r, |_| {})), vec![Event::Accept]);
    // The same round, with the TIMER handler disconnecting the listener.
    let mut second = TcpStream::connect(addr).unwrap();
    let after = events(timer_then_rest(&mut r, |r| r.disconnect(l).unwrap()));
    assert_eq!(after, vec![], "no ACCEPT for a listener that stopped listening");
    assert!(hung_up(&mut second), "the connection it carried was closed");
    assert_eq!(r.state(l).unwrap(), State::Disconnect);
    // Listening again starts afresh.
    r.listen(l, "127.0.0.1:0", 16).unwrap();
    let addr = r.local_addr(l).unwrap();
    let _third = TcpStream::connect(addr).unwrap();
    run_until(&mut r, Duration::from_secs(5), "ACCEPT again", |_, m| m.event == Event::Accept);
}

#[test]
fn a_tls_listener_disconnected_mid_handshake_accepts_nothing() {
    let p = pki(&["localhost"]);
    let mut r = Reactor::new().unwrap();
    let (l, addr) = tls_listener(&mut r, &p, 16);
    let c = r.open(Kind::Tls);
    r.set_tls_config(c, client_config(&p)).unwrap();
    r.connect(c, &format!("localhost:{}", addr.port())).unwrap();
    // Rounds until the listener has the connection in its handshake.
    let end = std::time::Instant::now() + Duration::from_secs(10);
    while r.handshakes_in_flight(l).unwrap() == 0 {
        assert!(std::time::Instant::now() < end, "the handshake never started");
        round(&mut r, 10, |_, m| panic!("nothing before the handshake ends: {m:?}"));
    }
    r.disconnect(l).unwrap();
    assert_eq!(r.handshakes_in_flight(l).unwrap(), 0, "its handshakes went with it");
    let mut seen = Vec::new();
    run_until(&mut r, Duration::from_secs(10), "the client's DISCONNECT", |_, m| {
        seen.push((m.event, m.chann));
        m.event == Event::Disconnect
    });
    assert_eq!(seen, vec![(Event::Disconnect, c)], "no ACCEPT; the client learns the server hung up");
    assert_eq!(r.count(), 2, "the listener and the client: nothing leaked");
}
