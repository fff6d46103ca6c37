//! Reactor::stats: the open channels with kind, state, addresses, byte
//! counts and queued bytes, agreeing with the per-channel accessors.

mod common;

use std::time::Duration;

use common::*;
use mnet::{Event, Kind, Reactor, State};

#[test]
fn stats_list_every_channel_with_its_numbers() {
    let mut r = Reactor::new().unwrap();
    assert_eq!(r.stats().count(), 0);
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let idle = r.open(Kind::Dgram);
    let (c, a) = connect_pair(&mut r, l, addr);
    r.send(c, b"hello").unwrap();
    let mut buf = [0u8; 16];
    run_until(&mut r, Duration::from_secs(5), "hello", |r, m| {
        m.event == Event::Recv && m.chann == a && r.recv(a, &mut buf).unwrap() == 5
    });

    let s = r.stats();
    assert_eq!(s.count(), 4);
    assert_eq!(s.count(), r.count());
    assert_eq!((s.in_state(State::Connected), s.in_state(State::Listening)), (2, 1));
    let find = |h| s.channels.iter().find(|x| x.handle == h).unwrap();
    let (ls, is, cs, as_) = (find(l), find(idle), find(c), find(a));
    assert_eq!(
        (ls.kind, ls.state, ls.local, ls.peer),
        (Kind::Stream, State::Listening, Some(addr), None)
    );
    assert_eq!(
        (is.kind, is.state, is.local, is.peer),
        (Kind::Dgram, State::Disconnect, None, None)
    );
    assert_eq!(cs.peer, Some(addr));
    assert_eq!(cs.local, as_.peer);
    assert_eq!((cs.sent, cs.received, as_.sent, as_.received), (5, 0, 0, 5));
    assert_eq!(cs.queued, 0);

    let text = s.to_string();
    assert!(
        text.starts_with("4 channels (2 connected, 1 listening), 0 bytes queued\n"),
        "{text}"
    );
    assert!(text.contains(&format!("tcp listening local {addr} peer -")), "{text}");
    assert!(text.contains("udp disconnected local - peer -"), "{text}");

    r.close(a).unwrap();
    assert_eq!(r.stats().count(), 3);
}

#[test]
fn stats_show_queued_bytes_of_a_reader_that_stalls() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let (c, _a) = connect_pair(&mut r, l, addr);
    // The peer never reads: the kernel's buffers fill, the rest is queued.
    let chunk = vec![7u8; 1 << 20];
    while r.cached(c).unwrap() == 0 {
        r.send(c, &chunk).unwrap();
    }
    let s = r.stats();
    let cs = s.channels.iter().find(|x| x.handle == c).unwrap();
    assert_eq!(cs.queued, r.cached(c).unwrap());
    assert_eq!(s.queued(), cs.queued);
    assert!(cs.queued > 0);
}
