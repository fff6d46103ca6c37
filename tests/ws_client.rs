//! mnet's WebSocket client against Python's `websockets` server
//! (tests/py/ws_server.py): echo of text and binary, subprotocols,
//! fragments both ways, pings both ways, close codes both ways,
//! permessage-deflate agreed with default and with strict parameters, and
//! wss:// verified against the CA given (and refused without it).
mod common;

use common::ws::{until, PyServer};
use mnet::ws::{DeflateOptions, Endpoint, Event, Options};
use mnet::{Direction, Handle, Reactor};

/// Connects to `url` and runs until it is open.
fn open(r: &mut Reactor, ws: &mut Endpoint, url: &str, protocols: &[&str]) -> Handle {
    let h = ws.connect(r, url, protocols).unwrap();
    until(r, ws, "the connection opens", |_, _, ev| match ev {
        Event::Open(id) => id == h,
        Event::Close { reason, .. } => panic!("did not open: {reason}"),
        _ => false,
    });
    h
}

/// Sends `text` and returns the next message.
fn round_trip(r: &mut Reactor, ws: &mut Endpoint, h: Handle, text: &str) -> (bool, Vec<u8>) {
    ws.send_text(r, h, text).unwrap();
    next_message(r, ws)
}

fn next_message(r: &mut Reactor, ws: &mut Endpoint) -> (bool, Vec<u8>) {
    let mut got = None;
    until(r, ws, "a message", |_, _, ev| match ev {
        Event::Message { text, data, .. } => {
            got = Some((text, data));
            true
        }
        Event::Close { reason, .. } => panic!("closed: {reason}"),
        _ => false,
    });
    got.unwrap()
}

#[test]
fn echo_with_a_subprotocol_and_deflate() {
    let Some(py) = PyServer::start(&[]) else { return };
    let mut r = Reactor::new().unwrap();
    let mut ws = Endpoint::default();
    let h = open(&mut r, &mut ws, &py.url("/echo?x=1"), &["superchat", "chat"]);
    assert_eq!(ws.protocol(h), Some("chat"));
    assert!(ws.is_compressed(h), "websockets accepts permessage-deflate by default");
    assert_eq!(round_trip(&mut r, &mut ws, h, "Hello, κόσμε"), (true, "Hello, κόσμε".as_bytes().to_vec()));
    let binary: Vec<u8> = (0..=255).cycle().take(100_000).collect();
    ws.send_binary(&mut r, h, &binary).unwrap();
    assert_eq!(next_message(&mut r, &mut ws), (false, binary));
    let long = "compressible text ".repeat(10_000);
    let sent_before = r.bytes(h, Direction::Sent).unwrap();
    assert_eq!(round_trip(&mut r, &mut ws, h, &long), (true, long.clone().into_bytes()));
    let sent = r.bytes(h, Direction::Sent).unwrap() - sent_before;
    assert!(sent < long.len() as u64 / 10, "the client compressed: {sent} bytes for {}", long.len());
    let received = r.bytes(h, Direction::Received).unwrap();
    assert!(received < long.len() as u64, "the server compressed too: {received} bytes in all");
}

#[test]
fn without_deflate_or_subprotocol() {
    let Some(py) = PyServer::start(&["--deflate", "none"]) else { return };
    let mut r = Reactor::new().unwrap();
    let mut ws = Endpoint::default();
    let h = open(&mut r, &mut ws, &py.url("/"), &[]);
    assert_eq!((ws.protocol(h), ws.is_compressed(h)), (None, false));
    assert_eq!(round_trip(&mut r, &mut ws, h, "plain"), (true, b"plain".to_vec()));
}

#[test]
fn fragments_both_ways() {
    let Some(py) = PyServer::start(&[]) else { return };
    let mut r = Reactor::new().unwrap();
    let mut ws = Endpoint::new(Options {
        fragment_size: 7,
        ..Options::default()
    });
    let h = open(&mut r, &mut ws, &py.url("/"), &[]);
    let msg = "sent in frames of seven bytes, reassembled by websockets".repeat(3);
    assert_eq!(round_trip(&mut r, &mut ws, h, &msg), (true, msg.into_bytes()));
    assert_eq!(round_trip(&mut r, &mut ws, h, "fragments"), (true, b"fragmented".to_vec()));
}

#[test]
fn pings_both_ways() {
    let Some(py) = PyServer::start(&[]) else { return };
    let mut r = Reactor::new().unwrap();
    let mut ws = Endpoint::default();
    let h = open(&mut r, &mut ws, &py.url("/"), &[]);
    ws.ping(&mut r, h, b"from-client").unwrap();
    until(&mut r, &mut ws, "the pong", |_, _, ev| matches!(ev, Event::Pong(id, d) if id == h && d == b"from-client"));
    ws.send_text(&mut r, h, "ping-me").unwrap();
    let mut pinged = false;
    until(&mut r, &mut ws, "the server's ping, then its word that the pong came", |_, _, ev| match ev {
        Event::Ping(_, d) => {
            assert_eq!(d, b"from-server");
            pinged = true;
            false
        }
        Event::Message { data, .. } => {
            assert!(pinged, "the ping came first");
            assert_eq!(data, b"pong came");
            true
        }
        _ => false,
    });
    assert!(ws.ping(&mut r, h, &[0; 126]).is_err(), "a ping carries at most 125 bytes");
}

#[test]
fn close_codes_both_ways() {
    let Some(py) = PyServer::start(&[]) else { return };
    let mut r = Reactor::new().unwrap();
    let mut ws = Endpoint::default();
    // The server closes with 4000.
    let h = open(&mut r, &mut ws, &py.url("/"), &[]);
    ws.send_text(&mut r, h, "close:4000:server says bye").unwrap();
    until(&mut r, &mut ws, "the server's close", |_, _, ev| match ev {
        Event::Close { id, code, reason } => {
            assert_eq!((id, code, reason.as_str()), (h, 4000, "server says bye"));
            true
        }
        _ => false,
    });
    assert_eq!(ws.connections(), 0);
    // The client closes with 3001; the server saw that code and reason.
    let h = open(&mut r, &mut ws, &py.url("/"), &[]);
    ws.close(&mut r, h, 3001, "client says bye").unwrap();
    assert!(ws.send_text(&mut r, h, "late").is_err(), "no message after a close");
    until(&mut r, &mut ws, "the closing handshake", |_, _, ev| matches!(ev, Event::Close { code: 3001, .. }));
    let h = open(&mut r, &mut ws, &py.url("/"), &[]);
    assert_eq!(round_trip(&mut r, &mut ws, h, "last-close"), (true, b"3001 client says bye".to_vec()));
    for bad in [1005, 1006, 1015, 999, 5000] {
        assert!(ws.close(&mut r, h, bad, "").is_err(), "{bad} is never sent");
    }
}

#[test]
fn strict_deflate_parameters_are_agreed_and_kept() {
    let Some(py) = PyServer::start(&["--deflate", "strict"]) else { return };
    let mut r = Reactor::new().unwrap();
    let mut ws = Endpoint::default();
    let h = open(&mut r, &mut ws, &py.url("/"), &[]);
    assert!(ws.is_compressed(h));
    let (_, ext) = round_trip(&mut r, &mut ws, h, "extensions");
    let ext = String::from_utf8(ext).unwrap();
    for p in ["server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits=10", "client_max_window_bits=9"] {
        assert!(ext.contains(p), "{p} in {ext}");
    }
    // Messages longer than both windows, repeated: each is compressed
    // alone, within 512 bytes of history on the client's side.
    let text: String = (0..3000).map(|i| format!("{} ", i % 97)).collect();
    for _ in 0..3 {
        assert_eq!(round_trip(&mut r, &mut ws, h, &text), (true, text.clone().into_bytes()));
    }
}

#[test]
fn an_offer_the_client_cannot_honour_is_not_made() {
    // The client asks the server for small windows and no context: the
    // server (strict) asks the same of the client, which agrees.
    let Some(py) = PyServer::start(&["--deflate", "strict"]) else { return };
    let mut r = Reactor::new().unwrap();
    let mut ws = Endpoint::new(Options {
        deflate: DeflateOptions {
            own_no_context_takeover: true,
            peer_no_context_takeover: true,
            own_max_window_bits: 9,
            peer_max_window_bits: 10,
            ..DeflateOptions::default()
        },
        ..Options::default()
    });
    let h = open(&mut r, &mut ws, &py.url("/"), &[]);
    let text = "window ".repeat(1000);
    assert_eq!(round_trip(&mut r, &mut ws, h, &text), (true, text.into_bytes()));
}

#[test]
fn failures_to_open_say_why() {
    let Some(py) = PyServer::start(&[]) else { return };
    let mut r = Reactor::new().unwrap();
    let mut ws = Endpoint::default();
    // The server refuses the upgrade.
    let h = ws.connect(&mut r, &py.url("/forbidden"), &[]).unwrap();
    until(&mut r, &mut ws, "a refusal", |_, _, ev| match ev {
        Event::Close { id, code, reason } => {
            assert_eq!((id, code), (h, 1006));
            assert!(reason.contains("403 Forbidden instead of 101"), "{reason}");
            true
        }
        Event::Open(_) => panic!("opened a refused connection"),
        _ => false,
    });
    // A subprotocol the server does not speak: it chooses none.
    let h = open(&mut r, &mut ws, &py.url("/"), &["nonesuch"]);
    assert_eq!(ws.protocol(h), None);
    // Nothing listening.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    ws.connect(&mut r, &format!("ws://127.0.0.1:{port}/"), &[]).unwrap();
    until(&mut r, &mut ws, "connection refused", |_, _, ev| match ev {
        Event::Close { code, reason, .. } => {
            assert_eq!(code, 1006);
            assert!(reason.to_lowercase().contains("refused"), "{reason}");
            true
        }
        _ => false,
    });
    for bad in ["http://x/", "ws://", "wss://x:0/", "ws://x/ y"] {
        assert!(ws.connect(&mut r, bad, &[]).is_err(), "{bad}");
    }
    assert!(ws.connect(&mut r, &py.url("/"), &["a b"]).is_err(), "a subprotocol is a token");
    assert!(ws.connect_with(&mut r, &py.url("/"), &[], &[("Sec-WebSocket-Key", "x")]).is_err());
}

#[test]
fn wss_is_verified() {
    let pki = common::certs::pki(&["localhost", "127.0.0.1"]);
    let dir = std::env::temp_dir().join(format!("mnet-wss-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, &pki.server_cert_pem).unwrap();
    std::fs::write(&key, &pki.server_key_pem).unwrap();
    let started = PyServer::start(&["--tls", cert.to_str().unwrap(), key.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    let Some(py) = started else { return };
    let url = format!("wss://localhost:{}/", py.port);
    let mut r = Reactor::new().unwrap();
    // The system's roots do not know the test CA.
    let mut untrusting = Endpoint::default();
    untrusting.connect(&mut r, &url, &[]).unwrap();
    until(&mut r, &mut untrusting, "the certificate refused", |_, _, ev| match ev {
        Event::Close { code, reason, .. } => {
            assert_eq!(code, 1006);
            assert!(reason.contains("TLS"), "{reason}");
            true
        }
        Event::Open(_) => panic!("opened with an untrusted certificate"),
        _ => false,
    });
    let mut ws = Endpoint::default();
    ws.set_tls_config(common::certs::client_config(&pki)).unwrap();
    let h = open(&mut r, &mut ws, &url, &[]);
    assert_eq!(round_trip(&mut r, &mut ws, h, "over TLS"), (true, b"over TLS".to_vec()));
}
