//! Broadcast and multicast on loopback. A "broadcast" channel (SO_BROADCAST)
//! sends to 127.255.255.255, the broadcast address of 127.0.0.0/8, and a UDP
//! channel bound to the wildcard address on that port receives it. A
//! multicast receiver joins 239.255.77.1 on the loopback interface
//! (127.0.0.1) and a sender picks that interface with IP_MULTICAST_IF (and
//! keeps IP_MULTICAST_LOOP on): nothing leaves the host.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::*;
use mnet::{Event, Handle, Kind, Reactor};

const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 77, 1);

/// Runs rounds until `rx` has a datagram; returns it and its sender.
fn receive(r: &mut Reactor, rx: Handle) -> (Vec<u8>, SocketAddr) {
    let mut got = None;
    let mut buf = [0u8; 64];
    run_until(r, Duration::from_secs(10), "a datagram", |r, m| {
        assert_eq!((m.chann, m.event), (rx, Event::Recv));
        if let Some((n, from)) = r.recv_from(rx, &mut buf).unwrap() {
            got = Some((buf[..n].to_vec(), from));
        }
        got.is_some()
    });
    got.unwrap()
}

#[test]
fn broadcast_reaches_a_wildcard_receiver_on_loopback() {
    let mut r = Reactor::new().unwrap();
    let (rx, bound) = listener(&mut r, Kind::Dgram, "0.0.0.0");
    let tx = r.open(Kind::Broadcast);
    let to = SocketAddr::from((Ipv4Addr::new(127, 255, 255, 255), bound.port()));
    assert_eq!(r.send_to(tx, b"to everyone", to).unwrap(), 11);
    let (data, from) = receive(&mut r, rx);
    assert_eq!(data, b"to everyone");
    assert_eq!(from.port(), r.local_addr(tx).unwrap().port());

    // Without SO_BROADCAST the kernel refuses the same send.
    let plain = r.open(Kind::Dgram);
    let e = r.send_to(plain, b"x", to).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EACCES), "{e}");
}

#[test]
fn multicast_join_receive_leave_on_loopback() {
    let mut r = Reactor::new().unwrap();
    let (rx, bound) = listener(&mut r, Kind::Dgram, "0.0.0.0");
    r.join_multicast_v4(rx, GROUP, Ipv4Addr::LOCALHOST).unwrap();

    let (tx, _) = listener(&mut r, Kind::Dgram, "127.0.0.1");
    r.set_multicast_if_v4(tx, Ipv4Addr::LOCALHOST).unwrap();
    r.set_multicast_loop_v4(tx, true).unwrap();
    r.set_multicast_ttl_v4(tx, 1).unwrap();
    let to = SocketAddr::from((GROUP, bound.port()));
    r.send_to(tx, b"to the group", to).unwrap();
    let (data, from) = receive(&mut r, rx);
    assert_eq!(data, b"to the group");
    assert_eq!(from, r.local_addr(tx).unwrap());

    // A second member on the same port (SO_REUSEADDR) hears it too.
    let rx2 = r.open(Kind::Dgram);
    r.listen(rx2, &format!("0.0.0.0:{}", bound.port()), 0).unwrap();
    r.join_multicast_v4(rx2, GROUP, Ipv4Addr::LOCALHOST).unwrap();
    r.send_to(tx, b"both", to).unwrap();
    let mut heard = Vec::new();
    let mut buf = [0u8; 16];
    run_until(&mut r, Duration::from_secs(10), "both members", |r, m| {
        if let Some((n, _)) = r.recv_from(m.chann, &mut buf).unwrap() {
            assert_eq!(&buf[..n], b"both");
            heard.push(m.chann);
        }
        heard.contains(&rx) && heard.contains(&rx2)
    });

    // After leaving (and with no other member on the host: Linux hands a
    // wildcard-bound socket the groups any socket joined, IP_MULTICAST_ALL),
    // the group's datagrams stop; a unicast datagram sent after one shows it
    // was not merely late.
    r.close(rx2).unwrap();
    r.leave_multicast_v4(rx, GROUP, Ipv4Addr::LOCALHOST).unwrap();
    r.send_to(tx, b"after", to).unwrap();
    r.send_to(tx, b"unicast", SocketAddr::from((Ipv4Addr::LOCALHOST, bound.port())))
        .unwrap();
    let (data, _) = receive(&mut r, rx);
    assert_eq!(data, b"unicast", "the group's datagram did not come");
}

#[test]
fn multicast_misuse_gives_clear_errors() {
    let mut r = Reactor::new().unwrap();
    let tcp = r.open(Kind::Stream);
    let e = r
        .join_multicast_v4(tcp, GROUP, Ipv4Addr::LOCALHOST)
        .unwrap_err()
        .to_string();
    assert_eq!(e, "cannot join a multicast group on a tcp channel");
    let unbound = r.open(Kind::Dgram);
    let e = r
        .join_multicast_v4(unbound, GROUP, Ipv4Addr::LOCALHOST)
        .unwrap_err()
        .to_string();
    assert!(e.contains("disconnected"), "{e}");
    let (u, _) = listener(&mut r, Kind::Dgram, "0.0.0.0");
    let e = r
        .join_multicast_v4(u, Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::LOCALHOST)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not an IPv4 multicast group"), "{e}");
    assert!(r.set_multicast_ttl_v4(u, 256).is_err());
}
