//! Tests of the engine's own bookkeeping that the public API cannot reach:
//! the UDP send queue behind a socket that cannot take more, round stamps
//! past 2^32 rounds, and deadline entries of closed channels. Real sockets
//! on loopback; only the writability of a socket is forced where the
//! loopback device never pushes back.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use super::chann::{Kind, Readiness};
use super::event::Event;
use super::handle::Handle;
use super::reactor::Reactor;
use crate::Error;

/// A UDP peer on 127.0.0.1 with a read timeout.
fn udp_peer() -> (UdpSocket, SocketAddr) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let a = s.local_addr().unwrap();
    (s, a)
}

fn bound(r: &mut Reactor) -> Handle {
    let u = r.open(Kind::Dgram);
    r.listen(u, "127.0.0.1:0", 0).unwrap();
    u
}

/// What a channel's socket does when the kernel stops taking datagrams
/// (on loopback it never does: the device hands each datagram over at once).
fn stall(r: &mut Reactor, u: Handle) {
    r.get_mut(u).unwrap().writable = false;
}

fn writable_edge(r: &mut Reactor, u: Handle) -> bool {
    r.get_mut(u).unwrap().ready(Readiness {
        readable: true,
        writable: true,
        read_closed: false,
        write_closed: false,
        error: false,
    })
}

#[test]
fn the_first_send_to_on_a_bound_channel_leaves_at_once() {
    let mut r = Reactor::new().unwrap();
    let (peer, to) = udp_peer();
    let u = bound(&mut r);
    assert_eq!(r.send_to(u, b"first", to).unwrap(), 5);
    assert_eq!(r.cached(u).unwrap(), 0, "nothing queued: a new socket can send");
    let mut b = [0u8; 16];
    let (n, _) = peer.recv_from(&mut b).expect("delivered without a single poll");
    assert_eq!(&b[..n], b"first");
}

#[test]
fn send_to_respects_the_send_limit_of_a_stalled_socket() {
    let mut r = Reactor::new().unwrap();
    let (_peer, to) = udp_peer();
    let u = bound(&mut r);
    r.set_send_limit(u, 1000).unwrap();
    stall(&mut r, u);
    for _ in 0..3 {
        r.send_to(u, &[1u8; 300], to).unwrap();
    }
    match r.send_to(u, &[1u8; 300], to) {
        Err(Error::QueueFull { queued, len, limit }) => assert_eq!((queued, len, limit), (900, 300, 1000)),
        other => panic!("the fourth datagram must be refused: {other:?}"),
    }
    assert_eq!(r.cached(u).unwrap(), 900, "the refused datagram was not queued");
}

#[test]
fn a_refused_queued_datagram_drops_only_itself_and_input_is_still_announced() {
    let mut r = Reactor::new().unwrap();
    let (peer, to) = udp_peer();
    let u = bound(&mut r);
    let me = r.local_addr(u).unwrap();
    stall(&mut r, u);
    r.send_to(u, b"one", to).unwrap();
    // Broadcast without SO_BROADCAST: the kernel refuses it for good (EACCES).
    r.send_to(u, b"refused", "255.255.255.255:9".parse().unwrap()).unwrap();
    r.send_to(u, b"two", to).unwrap();
    // A datagram for the channel arrives with the same readiness report.
    peer.send_to(b"incoming", me).unwrap();
    assert!(writable_edge(&mut r, u), "the report announces input");
    assert_eq!(r.cached(u).unwrap(), 0, "the queue went out, minus the refused datagram");
    let mut b = [0u8; 16];
    for want in [&b"one"[..], b"two"] {
        let (n, _) = peer.recv_from(&mut b).unwrap();
        assert_eq!(&b[..n], want);
    }
    let (n, from) = r.recv_from(u, &mut b).unwrap().expect("the incoming datagram");
    assert_eq!((&b[..n], from), (&b"incoming"[..], to));
}

#[test]
fn recv_stamps_do_not_wrap_after_two_to_the_32_rounds() {
    let mut r = Reactor::new().unwrap();
    let l = r.open(Kind::Stream);
    r.listen(l, "127.0.0.1:0", 16).unwrap();
    let addr = r.local_addr(l).unwrap();
    let mut peer = std::net::TcpStream::connect(addr).unwrap();
    let mut srv = Handle::NONE;
    while srv.is_none() {
        r.poll(1000).unwrap();
        while let Some(m) = r.next() {
            if m.event == Event::Accept {
                srv = m.accepted;
            }
        }
    }
    // The channel last had RECV 2^32 rounds before the next one: a 32-bit
    // stamp would read as "RECV already queued this round".
    r.round = (1u64 << 32) + 4;
    r.get_mut(srv).unwrap().recv_round = 5;
    std::io::Write::write_all(&mut peer, b"ping").unwrap();
    let mut events = Vec::new();
    for _ in 0..50 {
        r.poll(100).unwrap();
        while let Some(m) = r.next() {
            events.push(m.event);
        }
        if !events.is_empty() {
            break;
        }
    }
    assert_eq!(events, vec![Event::Recv]);
    assert!(r.round > 1 << 32);
}

#[test]
fn closing_channels_stops_their_deadlines_and_timers() {
    let mut r = Reactor::new().unwrap();
    for _ in 0..10_000 {
        let h = r.open(Kind::Stream);
        r.set_idle_timeout(h, 60_000).unwrap();
        r.set_timer(h, 60_000).unwrap();
        r.close(h).unwrap();
    }
    r.poll(0).unwrap();
    assert_eq!(r.deadlines.len(), 0, "closing a channel stops its idle timeout");
    assert!(r.deadlines.held() <= 64 + 1, "idle entries of closed channels were compacted: {}", r.deadlines.held());
    assert!(r.timers.len() <= 64 + 1, "timer entries of closed channels were compacted: {}", r.timers.len());
}

#[test]
fn oversized_intervals_are_refused() {
    let mut r = Reactor::new().unwrap();
    let h = r.open(Kind::Stream);
    assert!(matches!(r.set_timer(h, u64::MAX), Err(Error::InvalidArgument(_))));
    assert!(matches!(r.set_idle_timeout(h, u64::MAX), Err(Error::InvalidArgument(_))));
    // The largest accepted ones saturate instead of wrapping: never due.
    r.set_timer(h, u64::MAX / 1000).unwrap();
    r.set_idle_timeout(h, u64::MAX / 1000).unwrap();
    r.poll(0).unwrap();
    assert!(r.next().is_none());
}

#[test]
fn reactors_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let r = Reactor::new().unwrap();
    send(&r);
}
