//! TLS channels: handshake, verification, data both ways, close.

mod common;

use std::time::Duration;

use common::certs::{client_config, pki, tls_listener};
use common::*;
use mnet::{Event, Kind, Reactor, TlsConfig};

#[test]
fn tls_echo_after_handshake() {
    let p = pki(&["localhost", "127.0.0.1"]);
    let mut r = Reactor::new().unwrap();
    let (l, addr) = tls_listener(&mut r, &p, 64);
    let c = r.open(Kind::Tls);
    r.set_tls_config(c, client_config(&p)).unwrap();
    r.connect(c, &format!("localhost:{}", addr.port())).unwrap();
    let mut accepted = None;
    let mut got = Vec::new();
    let mut buf = [0u8; 16]; // small reads: the session must keep raising RECV
    let msg = vec![b'x'; 100_000];
    run_until(&mut r, Duration::from_secs(30), "TLS echo", |r, m| { match m.event {
        Event::Accept => {
            assert_eq!(m.chann, l);
            accepted = Some(m.accepted);
            false
        }
        Event::Connected => {
            assert_eq!(r.send(c, &msg).unwrap(), msg.len());
            false
        }
        Event::Recv if Some(m.chann) == accepted => {
            let n = r.recv(m.chann, &mut buf).unwrap();
            assert!(n > 0, "RECV means plaintext is waiting");
            r.send(m.chann, &buf[..n]).unwrap();
            false
        }
        Event::Recv => {
            let n = r.recv(c, &mut buf).unwrap();
            assert!(n > 0, "RECV means plaintext is waiting");
            got.extend_from_slice(&buf[..n]);
            got.len() == msg.len()
        }
        e => panic!("unexpected {e:?} {:?}", r.tls_error(m.chann)),
    }});
    assert_eq!(got, msg);
    // close_notify: the server sees a clean DISCONNECT (err 0).
    r.disconnect(c).unwrap();
    let s = accepted.unwrap();
    run_until(&mut r, Duration::from_secs(5), "server DISCONNECT", |_, m| {
        assert_eq!((m.event, m.chann, m.err), (Event::Disconnect, s, 0));
        true
    });
}

fn expect_handshake_failure(p: &common::certs::TestPki, client_cfg: TlsConfig, name: &str, want: &str) {
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = tls_listener(&mut r, p, 64);
    let c = r.open(Kind::Tls);
    r.set_tls_config(c, client_cfg).unwrap();
    r.set_server_name(c, name).unwrap();
    r.connect(c, &addr.to_string()).unwrap();
    run_until(&mut r, Duration::from_secs(10), "handshake failure", |r, m| {
        assert_ne!(m.event, Event::Connected);
        assert_ne!(m.event, Event::Accept, "the server must not accept a failed handshake");
        if m.event == Event::Disconnect {
            assert_eq!(m.chann, c);
            assert_eq!(m.err, mnet::TLS_PROTOCOL_ERROR);
            let why = r.tls_error(c).unwrap().unwrap();
            assert!(why.contains(want), "reason '{why}' should mention '{want}'");
            return true;
        }
        false
    });
    // The refused server-side connection was closed, not leaked.
    for _ in 0..20 {
        r.poll(10).unwrap();
        while r.next().is_some() {}
        if r.count() == 2 {
            break;
        }
    }
    assert_eq!(r.count(), 2, "listener and client only");
}

#[test]
fn client_rejects_certificate_for_another_name() {
    // The CA is trusted, but its certificate is for "localhost" only.
    let p = pki(&["localhost"]);
    expect_handshake_failure(&p, client_config(&p), "example.com", "not valid for name");
}

#[test]
fn client_rejects_unknown_ca() {
    let p = pki(&["localhost"]);
    let unrelated = pki(&["localhost"]);
    expect_handshake_failure(&p, client_config(&unrelated), "localhost", "UnknownIssuer");
}
