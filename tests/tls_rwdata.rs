//! TLS under load: 1 GiB pumped through the SEND event and echoed,
//! byte-checked both ways; reconnect cycles; mismatched peers.

mod common;

use std::io::Write;
use std::time::Duration;

use common::certs::{client_config, pki, tls_listener};
use common::*;
use mnet::{Direction, Event, Handle, Kind, Reactor};

fn total_bytes() -> u64 {
    std::env::var("MNET_RWDATA_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(1 << 30)
}

#[test]
fn one_gib_through_tls_is_byte_exact_both_ways() {
    const CHUNK: usize = 256 * 1024;
    let total = total_bytes();
    let p = pki(&["localhost"]);
    let ccfg = client_config(&p);
    let mut r = Reactor::new().unwrap();
    let (_l, laddr) = tls_listener(&mut r, &p, 16);
    let port = laddr.port();
    let c = r.open(Kind::Tls);
    r.set_tls_config(c, ccfg).unwrap();
    r.connect(c, &format!("localhost:{port}")).unwrap();

    let mut srv = Handle::NONE;
    let (mut sent, mut echoed, mut back) = (0u64, 0u64, 0u64);
    let mut out = vec![0u8; CHUNK];
    let mut buf = vec![0u8; CHUNK];
    run_until(&mut r, Duration::from_secs(240), "1 GiB echoed over TLS", |r, m| match m.event {
        Event::Accept => {
            srv = m.accepted;
            false
        }
        Event::Connected => {
            r.set_send_event(c, true).unwrap();
            false
        }
        Event::Send => {
            let n = (total - sent).min(CHUNK as u64) as usize;
            fill_pattern(&mut out[..n], sent);
            assert_eq!(r.send(c, &out[..n]).unwrap(), n);
            sent += n as u64;
            if sent == total {
                r.set_send_event(c, false).unwrap();
            }
            false
        }
        Event::Recv if m.chann == srv => {
            // Bounded memory: leave data in the session while the echo queue is long.
            if r.cached(srv).unwrap() < 4 * CHUNK {
                let n = r.recv(srv, &mut buf).unwrap();
                assert_eq!(check_pattern(&buf[..n], echoed), None, "server side");
                echoed += n as u64;
                r.send(srv, &buf[..n]).unwrap();
            }
            false
        }
        Event::Recv => {
            let n = r.recv(c, &mut buf).unwrap();
            assert_eq!(check_pattern(&buf[..n], back), None, "client side");
            back += n as u64;
            back == total
        }
        e => panic!("unexpected {e:?}: {:?}", r.tls_error(m.chann)),
    });
    assert_eq!((sent, echoed, back), (total, total, total));
    // On the wire both ends agree to the byte (ciphertext counts).
    assert_eq!(r.bytes(c, Direction::Sent).unwrap(), r.bytes(srv, Direction::Received).unwrap());
}

#[test]
fn tls_reconnect_64_channels_5_rounds() {
    const N: usize = 64;
    const ROUNDS: usize = 5;
    let p = pki(&["localhost"]);
    let ccfg = client_config(&p);
    let mut r = Reactor::new().unwrap();
    let (l, laddr) = tls_listener(&mut r, &p, 256);
    let addr = format!("localhost:{}", laddr.port());
    let clients: Vec<Handle> = (0..N)
        .map(|_| {
            let c = r.open(Kind::Tls);
            r.set_tls_config(c, ccfg.clone()).unwrap();
            r.connect(c, &addr).unwrap();
            c
        })
        .collect();
    let mut connected = vec![0usize; N];
    let mut lost = vec![0usize; N];
    let mut closed = 0;
    let mut buf = [0u8; 64];
    let idx = |h: Handle| clients.iter().position(|&c| c == h);
    run_until(&mut r, Duration::from_secs(120), "TLS reconnect rounds", |r, m| {
        match (m.event, idx(m.chann)) {
            (Event::Accept, _) => {}
            (Event::Connected, Some(i)) => {
                connected[i] += 1;
                r.send(m.chann, b"hello").unwrap();
            }
            (Event::Recv, None) => {
                // Server: answer, then close once the answer is on its way.
                let n = r.recv(m.chann, &mut buf).unwrap();
                assert_eq!(&buf[..n], b"hello");
                r.send(m.chann, b"bye").unwrap();
                r.set_send_event(m.chann, true).unwrap();
            }
            (Event::Send, None) => r.close(m.chann).unwrap(),
            (Event::Recv, Some(_)) => {
                let n = r.recv(m.chann, &mut buf).unwrap();
                assert!(n == 0 || &buf[..n] == b"bye");
            }
            (Event::Disconnect, Some(i)) => {
                assert!(m.err == 0 || m.err == mnet::TLS_TRUNCATED, "err {}", m.err);
                lost[i] += 1;
                if lost[i] < ROUNDS {
                    r.connect(m.chann, &addr).unwrap();
                } else {
                    r.close(m.chann).unwrap();
                    closed += 1;
                }
            }
            (e, who) => panic!("unexpected {e:?} for client {who:?}: {:?}", r.tls_error(m.chann)),
        }
        closed == N
    });
    assert!(connected.iter().all(|&n| n == ROUNDS), "{connected:?}");
    assert!(lost.iter().all(|&n| n == ROUNDS), "{lost:?}");
    r.close(l).unwrap();
    assert_eq!(r.poll(0).unwrap(), 0, "every channel is gone");
}

#[test]
fn plain_client_on_tls_listener_ends_cleanly() {
    let p = pki(&["localhost"]);
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = tls_listener(&mut r, &p, 16);
    let c = r.open(Kind::Stream);
    r.connect_addr(c, addr).unwrap();
    run_until(&mut r, Duration::from_secs(10), "plain client DISCONNECT", |r, m| {
        assert_ne!(m.event, Event::Accept, "no ACCEPT for a failed handshake");
        match m.event {
            Event::Connected => {
                r.send(c, b"GET / HTTP/1.1\r\n\r\n").unwrap();
                false
            }
            Event::Recv => {
                let mut b = [0u8; 512];
                let _ = r.recv(c, &mut b);
                false
            }
            Event::Disconnect => true,
            e => panic!("unexpected {e:?}"),
        }
    });
    assert_eq!(r.count(), 2, "the refused server-side channel is gone");
}

#[test]
fn tls_client_on_plain_listener_ends_cleanly() {
    let p = pki(&["localhost"]);
    let ccfg = client_config(&p);
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let c = r.open(Kind::Tls);
    r.set_tls_config(c, ccfg).unwrap();
    r.connect(c, &format!("localhost:{}", addr.port())).unwrap();
    let mut srv = Handle::NONE;
    let (mut client_done, mut server_done) = (false, false);
    run_until(&mut r, Duration::from_secs(10), "both ends DISCONNECT", |r, m| {
        match m.event {
            Event::Accept => srv = m.accepted,
            Event::Recv if m.chann == srv => {
                // A plain server answering garbage to the ClientHello.
                let mut b = [0u8; 4096];
                let _ = r.recv(srv, &mut b);
                let _ = r.send(srv, b"HTTP/1.1 400 Bad Request\r\n\r\n");
            }
            Event::Disconnect if m.chann == c => {
                assert_eq!(m.err, mnet::TLS_PROTOCOL_ERROR);
                assert!(r.tls_error(c).unwrap().is_some());
                client_done = true;
            }
            Event::Disconnect if m.chann == srv => {
                r.close(srv).unwrap();
                server_done = true;
            }
            e => panic!("unexpected {e:?}"),
        }
        client_done && server_done
    });
    r.close(c).unwrap();
    r.close(l).unwrap();
    assert_eq!(r.poll(0).unwrap(), 0);
}

#[test]
fn truncation_is_told_apart_from_close_notify() {
    let p = pki(&["localhost"]);
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = tls_listener(&mut r, &p, 16);
    // A raw TCP peer that speaks TLS through a blocking rustls client in a
    // thread, then drops TCP without close_notify.
    let pc = p.clone();
    let t = std::thread::spawn(move || {
        let (mut conn, mut sock) = common::certs::blocking_client(&pc, addr);
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        tls.write_all(b"last words").unwrap();
        tls.flush().unwrap();
        // End TCP without close_notify; then drain what the server sent
        // (unread bytes at close would turn our FIN into a reset).
        sock.shutdown(std::net::Shutdown::Write).unwrap();
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut sock, &mut sink);
    });
    let mut got = Vec::new();
    let mut srv = Handle::NONE;
    let mut err = None;
    run_until(&mut r, Duration::from_secs(10), "truncated DISCONNECT", |r, m| {
        match m.event {
            Event::Accept => srv = m.accepted,
            Event::Recv => {
                let mut b = [0u8; 64];
                let n = r.recv(srv, &mut b).unwrap();
                got.extend_from_slice(&b[..n]);
            }
            Event::Disconnect => err = Some(m.err),
            e => panic!("unexpected {e:?}"),
        }
        err.is_some()
    });
    t.join().unwrap();
    assert_eq!(got, b"last words", "data before the close is delivered");
    assert_eq!(err, Some(mnet::TLS_TRUNCATED));
}
