//! Failures and misuse: a refused connect, stale handles, double close,
//! calls in the wrong state, bad addresses, and messages of a channel
//! closed while another channel's message is being handled.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use common::*;
use mnet::{Direction, Error, Event, Handle, Kind, Reactor, State};

/// A loopback port with nothing listening on it.
fn closed_port(ip: &str) -> String {
    let l = TcpListener::bind((ip, 0)).unwrap();
    let a = l.local_addr().unwrap();
    drop(l);
    a.to_string()
}

fn refused(ip: &str) {
    let mut r = Reactor::new().unwrap();
    let c = r.open(Kind::Stream);
    r.connect(c, &closed_port(ip)).unwrap();
    let mut disconnects = 0;
    run_until(&mut r, Duration::from_secs(5), "DISCONNECT", |_, m| {
        assert_eq!(m.chann, c);
        assert_eq!(m.event, Event::Disconnect, "a refused connect gives DISCONNECT only");
        assert_eq!(m.err, libc::ECONNREFUSED, "err is the errno");
        disconnects += 1;
        true
    });
    watch_ticks(&mut r, 5, 5, |_, m| panic!("after the refusal: {m:?}"));
    assert_eq!(disconnects, 1);
    assert_eq!(r.state(c).unwrap(), State::Disconnect);

    // The channel is reusable: the next connect succeeds.
    let (l, addr) = listener(&mut r, Kind::Stream, ip);
    r.connect(c, &addr.to_string()).unwrap();
    let mut connected = 0;
    run_until(&mut r, Duration::from_secs(5), "CONNECTED after a refusal", |_, m| {
        match m.event {
            Event::Accept => {}
            Event::Connected => connected += 1,
            _ => panic!("unexpected {m:?}"),
        }
        connected == 1
    });
    r.close(c).unwrap();
    r.close(l).unwrap();
}

#[test]
fn a_refused_connect_gives_one_disconnect_with_econnrefused_ipv4() {
    refused("127.0.0.1");
}

#[test]
fn a_refused_connect_gives_one_disconnect_with_econnrefused_ipv6() {
    refused("::1");
}

fn assert_stale<T: std::fmt::Debug>(what: &str, r: mnet::Result<T>) {
    match r {
        Err(e @ Error::StaleHandle(_)) => {
            assert!(e.to_string().contains("stale or closed channel handle"), "{what}: {e}");
        }
        other => panic!("{what} on a closed handle gave {other:?}"),
    }
}

/// Every call with a closed channel's handle fails with StaleHandle, also
/// once another channel has taken the same slot, and leaves that channel
/// alone.
#[test]
fn stale_handles_error_on_every_call_and_never_reach_the_slots_new_channel() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let old = r.open(Kind::Stream);
    r.close(old).unwrap();
    // The slot is reused by the next channel: the old handle names it too,
    // but with another generation.
    let (c, s) = connect_pair(&mut r, l, addr);
    assert!(
        [c, s].iter().any(|h| h.to_raw() & 0xffff_ffff == old.to_raw() & 0xffff_ffff),
        "the slot was reused (old {old:?}, now {c:?} and {s:?})"
    );
    r.set_opaque(c, 42).unwrap();
    r.set_opaque(s, 43).unwrap();
    r.set_timer(c, 1000).unwrap();

    let mut buf = [0u8; 16];
    let to = addr;
    assert_stale("recv", r.recv(old, &mut buf));
    assert_stale("send", r.send(old, b"x"));
    assert_stale("recv_from", r.recv_from(old, &mut buf));
    assert_stale("send_to", r.send_to(old, b"x", to));
    assert_stale("set_send_event", r.set_send_event(old, true));
    assert_stale("set_timer", r.set_timer(old, 0));
    assert_stale("set_timer", r.set_timer(old, 1));
    assert_stale("cached", r.cached(old));
    assert_stale("state", r.state(old));
    assert_stale("kind", r.kind(old));
    assert_stale("bytes", r.bytes(old, Direction::Sent));
    assert_stale("local_addr", r.local_addr(old));
    assert_stale("peer_addr", r.peer_addr(old));
    assert_stale("set_bufsize", r.set_bufsize(old, 65536));
    assert_stale("set_opaque", r.set_opaque(old, 7));
    assert_stale("opaque", r.opaque(old));
    assert_stale("listen", r.listen(old, "127.0.0.1:0", 1));
    assert_stale("connect", r.connect(old, &addr.to_string()));
    assert_stale("disconnect", r.disconnect(old));
    assert_stale("close", r.close(old));
    assert_stale("never opened", r.state(Handle::NONE));
    assert_stale("never opened", r.close(Handle::from_raw(u64::MAX)));

    // The live channels are untouched: same state, opaque words, counters,
    // timer, and the connection still carries data both ways.
    for (h, opaque) in [(c, 42), (s, 43)] {
        assert_eq!(r.state(h).unwrap(), State::Connected);
        assert_eq!(r.opaque(h).unwrap(), opaque);
        assert_eq!(r.bytes(h, Direction::Sent).unwrap(), 0);
    }
    assert_eq!(r.count(), 3);
    r.send(c, b"ping").unwrap();
    let mut got_ping = false;
    run_until(&mut r, Duration::from_secs(5), "ping and pong", |r, m| {
        assert_eq!(m.event, Event::Recv, "unexpected {m:?}");
        let n = r.recv(m.chann, &mut buf).unwrap();
        if m.chann == s {
            assert_eq!(&buf[..n], b"ping");
            got_ping = true;
            r.send(s, b"pong").unwrap();
            false
        } else {
            assert_eq!((m.chann, &buf[..n]), (c, &b"pong"[..]));
            true
        }
    });
    assert!(got_ping);
    // The timer armed on the live channel still runs (stale set_timer calls
    // did not stop or replace it).
    r.set_timer(c, 5).unwrap();
    run_until(&mut r, Duration::from_secs(5), "c's timer", |_, m| {
        assert_eq!((m.event, m.chann), (Event::Timer, c));
        true
    });
    for h in [c, s, l] {
        r.close(h).unwrap();
    }
    assert_eq!(r.poll(0).unwrap(), 0);
}

#[test]
fn a_second_close_fails_cleanly() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let (c, s) = connect_pair(&mut r, l, addr);
    r.close(c).unwrap();
    assert_stale("second close", r.close(c));
    assert_stale("close after close", r.disconnect(c));
    r.close(l).unwrap();
    assert_stale("second close of a listener", r.close(l));
    // The accepted channel lives on and sees its peer go.
    assert_eq!(r.count(), 1);
    run_until(&mut r, Duration::from_secs(5), "the peer's close", |_, m| {
        assert_eq!((m.event, m.chann, m.err), (Event::Disconnect, s, 0));
        true
    });
    r.close(s).unwrap();
    assert_stale("second close", r.close(s));
    assert_eq!(r.poll(0).unwrap(), 0);
}

fn assert_wrong_state<T: std::fmt::Debug>(r: mnet::Result<T>, words: &[&str]) {
    match r {
        Err(e @ Error::WrongState { .. }) => {
            let msg = e.to_string();
            for w in words {
                assert!(msg.contains(w), "message {msg:?} should say {w:?}");
            }
        }
        other => panic!("expected WrongState mentioning {words:?}, got {other:?}"),
    }
}

/// recv and send exist only on connections: on a listener, a channel that
/// never connected, or one still connecting they fail with a message that
/// says what was refused and why.
#[test]
fn recv_and_send_outside_a_connection_fail_with_readable_messages() {
    let mut r = Reactor::new().unwrap();
    let (l, _) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let fresh = r.open(Kind::Stream);
    let mut buf = [0u8; 8];

    assert_wrong_state(r.recv(l, &mut buf), &["receive", "listening"]);
    assert_wrong_state(r.send(l, b"x"), &["send", "listening"]);
    assert_wrong_state(r.recv(fresh, &mut buf), &["receive", "disconnected"]);
    assert_wrong_state(r.send(fresh, b"x"), &["send", "disconnected"]);
    assert_wrong_state(r.set_send_event(fresh, true), &["SEND", "disconnected"]);
    assert_wrong_state(r.peer_addr(fresh), &["peer address", "disconnected"]);
    assert_wrong_state(r.connect(l, "127.0.0.1:9"), &["connect", "listening"]);
    assert_wrong_state(r.listen(l, "127.0.0.1:0", 1), &["listen", "listening"]);
    let e = r.recv_from(fresh, &mut buf).unwrap_err();
    assert!(matches!(e, Error::WrongKind { .. }), "{e:?}");
    assert!(e.to_string().contains("receive a datagram") && e.to_string().contains("tcp"), "{e}");
    let e = r.send_to(l, b"x", "127.0.0.1:9".parse().unwrap()).unwrap_err();
    assert!(matches!(e, Error::WrongKind { .. }), "{e:?}");

    // Still connecting: neither works yet (and nothing is queued).
    let port = r.local_addr(l).unwrap().port();
    r.connect(fresh, &format!("127.0.0.1:{port}")).unwrap();
    assert_eq!(r.state(fresh).unwrap(), State::Connecting);
    assert_wrong_state(r.recv(fresh, &mut buf), &["receive", "connecting"]);
    assert_wrong_state(r.send(fresh, b"x"), &["send", "connecting"]);
    assert_eq!(r.cached(fresh).unwrap(), 0);
    // The failures changed nothing: the listener still accepts.
    let (mut accepted, mut connected) = (Handle::NONE, false);
    run_until(&mut r, Duration::from_secs(5), "accept and connect", |_, m| {
        match m.event {
            Event::Accept => accepted = m.accepted,
            Event::Connected => connected = true,
            _ => panic!("unexpected {m:?}"),
        }
        connected && !accepted.is_none()
    });
    for h in [fresh, accepted, l] {
        r.close(h).unwrap();
    }
}

/// Every refusal is one English sentence whose operation is a verb phrase:
/// "cannot <do this to> a channel that is <state>" or "cannot <do this> on
/// a <kind> channel"; a failed system call names the call.
#[test]
fn refusals_read_as_sentences() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let (client, _) = connect_pair(&mut r, l, addr);
    let fresh = r.open(Kind::Stream);
    let udp = r.open(Kind::Dgram);
    let mut buf = [0u8; 8];
    let group = "239.1.2.3".parse().unwrap();
    let any = std::net::Ipv4Addr::UNSPECIFIED;
    r.shutdown_write(client).unwrap();
    let refusals = [
        (r.peer_addr(fresh).unwrap_err(), "cannot read the peer address of a channel that is disconnected"),
        (r.local_addr(fresh).unwrap_err(), "cannot read the local address of a channel that is disconnected"),
        (r.recv(l, &mut buf).unwrap_err(), "cannot receive on a channel that is listening"),
        (r.send(fresh, b"x").unwrap_err(), "cannot send on a channel that is disconnected"),
        (
            r.send(client, b"x").unwrap_err(),
            "cannot send after a write shutdown on a channel that is connected",
        ),
        (r.recv_from(fresh, &mut buf).unwrap_err(), "cannot receive a datagram on a tcp channel"),
        (
            r.recv_from(udp, &mut buf).unwrap_err(),
            "cannot receive a datagram on a channel that is disconnected",
        ),
        (r.send_to(l, b"x", addr).unwrap_err(), "cannot send a datagram on a tcp channel"),
        (r.listen(l, "127.0.0.1:0", 1).unwrap_err(), "cannot listen on a channel that is listening"),
        (r.connect(l, "127.0.0.1:9").unwrap_err(), "cannot connect a channel that is listening"),
        (
            r.set_send_event(fresh, true).unwrap_err(),
            "cannot enable the SEND event on a channel that is disconnected",
        ),
        (r.raw_fd(fresh).unwrap_err(), "cannot get the socket of a channel that is disconnected"),
        (
            r.shutdown_write(fresh).unwrap_err(),
            "cannot shut down the sending side of a channel that is disconnected",
        ),
        (
            r.set_reuse_port(l, true).unwrap_err(),
            "cannot set SO_REUSEPORT (needed before listen) on a channel that is listening",
        ),
        (r.join_multicast_v4(fresh, group, any).unwrap_err(), "cannot join a multicast group on a tcp channel"),
        (
            r.join_multicast_v4(udp, group, any).unwrap_err(),
            "cannot join a multicast group on a channel that is disconnected",
        ),
        (r.set_server_name(fresh, "example.com").unwrap_err(), "cannot set a TLS server name on a tcp channel"),
    ];
    for (e, sentence) in refusals {
        assert_eq!(e.to_string(), sentence);
    }
    let e = r.peer_addr(l).unwrap_err().to_string();
    assert!(e.starts_with("getpeername failed: "), "{e}");
}

fn assert_invalid_address<T: std::fmt::Debug>(what: &str, input: &str, r: mnet::Result<T>) {
    match r {
        Err(e @ Error::InvalidAddress { .. }) => {
            let msg = e.to_string();
            let shown: String = input.chars().take(40).collect();
            assert!(
                msg.starts_with("invalid address '") && msg.contains(&shown),
                "{what}: the message names the input: {msg}"
            );
        }
        other => panic!("{what} {input:?}: expected InvalidAddress, got {other:?}"),
    }
}

#[test]
fn bad_addresses_give_invalid_address_naming_the_input() {
    let mut r = Reactor::new().unwrap();
    let h = r.open(Kind::Stream);
    let u = r.open(Kind::Dgram);
    let long = format!("{}:80", "a".repeat(1000));
    let bad = [
        "1.2.3.4:99999",
        "nonsense",
        "127.0.0.1:",
        "127.0.0.1:http",
        "1.2.3.256:80",
        "::1:80",
        "[::1:80",
        "bad host:80",
        "",
        long.as_str(),
    ];
    for a in bad {
        assert_invalid_address("connect", a, r.connect(h, a));
        assert_invalid_address("listen", a, r.listen(h, a, 16));
        assert_invalid_address("udp connect", a, r.connect(u, a));
        assert_invalid_address("parse_addr", a, mnet::parse_addr(a));
        assert_invalid_address("resolve", a, mnet::resolve(a));
    }
    let msg = r.connect(h, &long).unwrap_err().to_string();
    assert!(msg.len() < 200, "an over-long input is quoted truncated: {msg}");
    assert!(msg.contains("too long"), "{msg}");
    assert!(r
        .connect(h, "1.2.3.4:99999")
        .unwrap_err()
        .to_string()
        .contains("port out of range"));

    // Port 0 is fine to listen on but is no destination.
    for a in ["127.0.0.1:0", "[::1]:0", "localhost:0"] {
        assert_invalid_address("connect to port 0", a, r.connect(h, a));
        let e = r.connect(h, a).unwrap_err().to_string();
        assert!(e.contains("port 0"), "{e}");
    }
    let e = r.connect_addr(h, "127.0.0.1:0".parse().unwrap()).unwrap_err();
    assert!(matches!(e, Error::InvalidAddress { .. }), "{e:?}");

    // A refused address leaves the channel as it was, and no event follows.
    assert_eq!(r.state(h).unwrap(), State::Disconnect);
    assert_eq!(r.state(u).unwrap(), State::Disconnect);
    watch_ticks(&mut r, 5, 5, |_, m| panic!("an event after a refused address: {m:?}"));
    r.close(h).unwrap();
    r.close(u).unwrap();
    assert_eq!(r.poll(0).unwrap(), 0);
}

/// Two connections both have RECV queued in one round (neither handler
/// reads, so RECV is level-style raised for both every round). The first
/// one handled closes the other: the other's RECV is never handed out.
#[test]
fn closing_a_channel_while_handling_another_drops_its_queued_messages() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    for _ in 0..5 {
        let (c1, s1) = connect_pair(&mut r, l, addr);
        let (c2, s2) = connect_pair(&mut r, l, addr);
        r.send(c1, b"one").unwrap();
        r.send(c2, b"two").unwrap();
        // Rounds until one round gave RECV to both (nothing read).
        let end = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            assert!(std::time::Instant::now() < end, "no round with both RECVs");
            let mut got = Vec::new();
            round(&mut r, 50, |_, m| {
                assert_eq!(m.event, Event::Recv, "{m:?}");
                got.push(m.chann);
            });
            if got.contains(&s1) && got.contains(&s2) {
                break;
            }
        }
        // Next round: both are queued again; the first closes the other.
        let mut handed: Vec<Handle> = Vec::new();
        round(&mut r, 0, |r, m| {
            if m.chann == c1 || m.chann == c2 {
                // The peer of a closed channel may see it go.
                assert_eq!(m.event, Event::Disconnect, "{m:?}");
                return;
            }
            assert_eq!(m.event, Event::Recv, "{m:?}");
            assert!(handed.is_empty(), "a closed channel's RECV was handed out: {m:?}");
            handed.push(m.chann);
            r.close(if m.chann == s1 { s2 } else { s1 }).unwrap();
        });
        assert_eq!(handed.len(), 1, "the survivor's RECV came");
        let survivor = handed[0];
        let closed = if survivor == s1 { s2 } else { s1 };
        assert_stale("the closed channel", r.state(closed));
        // The survivor still has its data and gets RECV again.
        let mut buf = [0u8; 8];
        run_until(&mut r, Duration::from_secs(5), "the survivor's data", |r, m| {
            assert_ne!(m.chann, closed);
            if m.chann == survivor {
                assert_eq!(m.event, Event::Recv);
                let n = r.recv(survivor, &mut buf).unwrap();
                assert_eq!(&buf[..n], if survivor == s1 { b"one" } else { b"two" });
                return true;
            }
            false
        });
        for h in [c1, c2, survivor] {
            r.close(h).unwrap();
        }
    }
    r.close(l).unwrap();
    assert_eq!(r.poll(0).unwrap(), 0);
}

/// Closing a listener while its ACCEPTs are queued drops them and closes
/// the connections they carried: nothing leaks. The control round, the same
/// with the listener left open, shows the ACCEPTs were there to drop.
#[test]
fn closing_a_listener_drops_its_queued_accepts() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    // Clients from outside the reactor: connected once connect() returns,
    // so their ACCEPTs all come in the next round.
    let control: Vec<_> = (0..4).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    let after = timer_then_rest(&mut r, |_| {});
    assert_eq!(after.len(), 4, "the control round delivers every ACCEPT: {after:?}");
    for m in after {
        assert_eq!((m.event, m.chann), (Event::Accept, l));
        r.close(m.accepted).unwrap();
    }
    drop(control);

    // The same round, with the TIMER handler closing the listener.
    let mut clients: Vec<_> = (0..4).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    let after = timer_then_rest(&mut r, |r| r.close(l).unwrap());
    assert!(after.is_empty(), "the ACCEPTs were dropped: {after:?}");
    assert_eq!(r.poll(0).unwrap(), 0, "the accepted channels were closed with the listener");
    for c in &mut clients {
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut b = [0u8; 1];
        match c.read(&mut b) {
            Ok(n) => assert_eq!(n, 0, "the connection it carried was closed"),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
    }
}

/// A peer that aborts its connection (RST) gives exactly one DISCONNECT
/// with ECONNRESET.
#[test]
fn a_reset_gives_one_disconnect_with_econnreset() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let peer = std::net::TcpStream::connect(addr).unwrap();
    let mut s = Handle::NONE;
    run_until(&mut r, Duration::from_secs(5), "ACCEPT", |_, m| {
        assert_eq!(m.event, Event::Accept);
        s = m.accepted;
        true
    });
    // SO_LINGER 0: close() sends RST instead of FIN.
    socket2::SockRef::from(&peer).set_linger(Some(Duration::ZERO)).unwrap();
    drop(peer);
    let mut disconnects = 0;
    run_until(&mut r, Duration::from_secs(5), "DISCONNECT", |_, m| {
        assert_eq!((m.event, m.chann), (Event::Disconnect, s), "unexpected {m:?}");
        assert_eq!(m.err, libc::ECONNRESET, "err is the errno");
        disconnects += 1;
        true
    });
    watch_ticks(&mut r, 5, 5, |_, m| panic!("after the reset: {m:?}"));
    assert_eq!(disconnects, 1);
    assert_eq!(r.state(s).unwrap(), State::Disconnect);
    r.close(s).unwrap();
    r.close(l).unwrap();
}
