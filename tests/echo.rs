//! Echo round trips over TCP and UDP, IPv4 and IPv6.

mod common;

use std::time::Duration;

use common::*;
use mnet::{Event, Kind, Reactor, State};

fn tcp_echo(ip: &str) {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, ip);
    let c = r.open(Kind::Stream);
    r.connect(c, &addr.to_string()).unwrap();
    assert_eq!(r.state(c).unwrap(), State::Connecting);
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    let mut accepted = None;
    run_until(&mut r, Duration::from_secs(5), "echo", |r, m| match m.event {
        Event::Accept => {
            assert_eq!(m.chann, l);
            accepted = Some(m.accepted);
            assert_eq!(r.peer_addr(m.accepted).unwrap(), r.local_addr(c).unwrap());
            false
        }
        Event::Connected => {
            assert_eq!(m.chann, c);
            assert_eq!(r.send(c, b"hello mnet").unwrap(), 10);
            false
        }
        Event::Recv if Some(m.chann) == accepted => {
            let n = r.recv(m.chann, &mut buf).unwrap();
            r.send(m.chann, &buf[..n]).unwrap();
            false
        }
        Event::Recv if m.chann == c => {
            let n = r.recv(c, &mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
            got.len() == 10
        }
        e => panic!("unexpected {e:?}"),
    });
    assert_eq!(got, b"hello mnet");
    assert_eq!(r.bytes(c, mnet::Direction::Sent).unwrap(), 10);
    assert_eq!(r.bytes(c, mnet::Direction::Received).unwrap(), 10);
    r.close(c).unwrap();
    r.close(accepted.unwrap()).unwrap();
    r.close(l).unwrap();
    assert_eq!(r.poll(0).unwrap(), 0);
}

#[test]
fn tcp_echo_ipv4() {
    tcp_echo("127.0.0.1");
}

#[test]
fn tcp_echo_ipv6() {
    tcp_echo("::1");
}

fn udp_echo(ip: &str) {
    let mut r = Reactor::new().unwrap();
    let (srv, addr) = listener(&mut r, Kind::Dgram, ip);
    let c = r.open(Kind::Dgram);
    r.connect(c, &addr.to_string()).unwrap();
    assert_eq!(r.state(c).unwrap(), State::Connected);
    let client_addr = r.local_addr(c).unwrap();
    r.send(c, b"ping").unwrap();
    let mut buf = [0u8; 64];
    run_until(&mut r, Duration::from_secs(5), "udp echo", |r, m| {
        assert_eq!(m.event, Event::Recv);
        if m.chann == srv {
            let (n, from) = r.recv_from(srv, &mut buf).unwrap().expect("RECV means a datagram is waiting");
            assert_eq!(from, client_addr, "sender address");
            assert_eq!(&buf[..n], b"ping");
            r.send_to(srv, b"pong", from).unwrap();
            false
        } else {
            let n = r.recv(c, &mut buf).unwrap();
            assert_eq!(&buf[..n], b"pong");
            true
        }
    });
}

#[test]
fn udp_echo_ipv4() {
    udp_echo("127.0.0.1");
}

#[test]
fn udp_echo_ipv6() {
    udp_echo("::1");
}
