//! TLS handshakes are bounded: each has a deadline, a listener runs a capped
//! number at once, and silent peers neither pile up to EMFILE nor keep a
//! real client out.

mod common;

use std::io::{ErrorKind, Read};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use common::certs::{client_config, pki, tls_listener};
use common::peer::{fd_count_turn, fd_share, open_fds, raise_nofile};
use common::*;
use mnet::{Event, Handle, Kind, Reactor};

/// Whether the other end closed `s` (EOF or reset), without blocking.
fn closed_by_peer(s: &mut TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut b = [0u8; 64];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => continue, // an alert, then the close
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(_) => return true, // reset
        }
    }
}

#[test]
fn silent_connections_neither_pile_up_nor_keep_a_real_client_out() {
    let _turn = fd_count_turn(); // compares descriptor counts
    const SILENT: usize = 1000;
    const CAP: usize = 128;
    if !raise_nofile((open_fds() + SILENT + CAP + 64) as u64) {
        return;
    }
    let p = pki(&["localhost"]);
    let mut r = Reactor::new().unwrap();
    let (l, addr) = tls_listener(&mut r, &p, 1024);
    r.set_max_handshakes(l, CAP).unwrap();
    r.set_handshake_timeout(l, 1000).unwrap();
    let fds = open_fds();

    // A thousand peers that connect and never say a word.
    let mut silent = Vec::with_capacity(SILENT);
    while silent.len() < SILENT {
        for _ in 0..100 {
            silent.push(TcpStream::connect(addr).unwrap());
        }
        round(&mut r, 0, |_, m| panic!("nothing may come from silent peers: {m:?}"));
        assert!(r.handshakes_in_flight(l).unwrap() <= CAP, "the cap holds");
    }
    assert!(open_fds() <= fds + SILENT + CAP + 1, "the server side holds at most the cap");

    // A real client is served at once, silent peers or not.
    let c = r.open(Kind::Tls);
    r.set_tls_config(c, client_config(&p)).unwrap();
    r.connect(c, &format!("localhost:{}", addr.port())).unwrap();
    let mut srv = Handle::NONE;
    let mut echoed = Vec::new();
    run_until(&mut r, Duration::from_secs(20), "a TLS echo", |r, m| {
        match m.event {
            Event::Accept => srv = m.accepted,
            Event::Connected => assert_eq!(r.send(c, b"still served").unwrap(), 12),
            Event::Recv if m.chann == srv => {
                let mut b = [0u8; 64];
                let n = r.recv(srv, &mut b).unwrap();
                r.send(srv, &b[..n]).unwrap();
            }
            Event::Recv => {
                let mut b = [0u8; 64];
                let n = r.recv(c, &mut b).unwrap();
                echoed.extend_from_slice(&b[..n]);
            }
            e => panic!("unexpected {e:?} {:?}", r.tls_error(m.chann)),
        }
        echoed == b"still served"
    });

    // The silent ones are closed once their deadline passes.
    let end = std::time::Instant::now() + Duration::from_secs(30);
    while r.handshakes_in_flight(l).unwrap() > 0 {
        assert!(std::time::Instant::now() < end, "stalled handshakes outlived their deadline");
        round(&mut r, 100, |_, m| panic!("no event for a stalled handshake: {m:?}"));
    }
    let still_open = silent.iter_mut().map(closed_by_peer).filter(|&closed| !closed).count();
    assert_eq!(still_open, 0, "every silent peer was hung up on");
    assert_eq!(r.count(), 3, "the listener, the client and its server side remain");
    drop(silent);
    assert!(open_fds() <= fds + 2, "no descriptor leaked");
}

#[test]
fn a_client_handshake_that_stalls_ends_with_etimedout() {
    let _share = fd_share();
    // A TCP server that accepts and never answers the ClientHello.
    let quiet = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = quiet.local_addr().unwrap();
    let p = pki(&["localhost"]);
    let mut r = Reactor::new().unwrap();
    let c = r.open(Kind::Tls);
    r.set_tls_config(c, client_config(&p)).unwrap();
    r.set_handshake_timeout(c, 200).unwrap();
    let started = mnet::now_micros();
    r.connect(c, &format!("localhost:{}", addr.port())).unwrap();
    let mut err = None;
    run_until(&mut r, Duration::from_secs(20), "DISCONNECT", |_, m| {
        assert_eq!((m.chann, m.event), (c, Event::Disconnect), "no CONNECTED without a handshake");
        err = Some(m.err);
        true
    });
    let waited = mnet::now_micros() - started;
    assert!(waited >= 200_000, "gave up after {waited} us, before the 200 ms deadline");
    assert_eq!(err, Some(libc::ETIMEDOUT));
    let why = r.tls_error(c).unwrap().unwrap();
    assert!(why.contains("did not finish within 200 ms"), "{why}");
    let (mut peer, _) = quiet.accept().unwrap();
    assert!(closed_by_peer(&mut peer), "the client hung up");
    // Reconnecting starts a fresh handshake with a fresh deadline.
    r.connect(c, &format!("localhost:{}", addr.port())).unwrap();
    run_until(&mut r, Duration::from_secs(20), "the second DISCONNECT", |_, m| {
        assert_eq!((m.event, m.err), (Event::Disconnect, libc::ETIMEDOUT));
        true
    });
}

#[test]
fn handshake_settings_are_checked() {
    let _share = fd_share();
    let mut r = Reactor::new().unwrap();
    let t = r.open(Kind::Tls);
    assert!(r.set_handshake_timeout(t, 0).unwrap_err().to_string().contains("above 0"));
    assert!(r.set_handshake_timeout(t, u64::MAX).unwrap_err().to_string().contains("too large"));
    assert!(r.set_max_handshakes(t, 0).is_err());
    let plain = r.open(Kind::Stream);
    assert!(r.set_handshake_timeout(plain, 100).unwrap_err().to_string().contains("tcp"));
}
