//! mnet's WebSocket server under raw sockets: the opening handshake (the
//! accept key, subprotocols, refusals), bytes right after the handshake,
//! bad input (unmasked frames, oversized frames, invalid UTF-8 split
//! across fragments, a close with 1005 on the wire), both closing
//! handshakes, keep-alive pings and the idle timeout, and a peer that
//! never reads (bounded memory, then the drain). Also mnet's client
//! against mnet's server, over TCP and over TLS (wss://).
mod common;

use std::cell::{Cell, RefCell};
use std::io::{ErrorKind, Write};
use std::time::{Duration, Instant};

use common::ws::{both_round, frame, parse_frame, upgrade_request, Raw, Srv, FIN};
use mnet::ws::{Endpoint, Event, Options};
use mnet::Reactor;

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
}

#[test]
fn the_handshake_answers_with_the_accept_key_and_a_subprotocol() {
    let mut srv = Srv::new(Options::default());
    let (_c, head) = Raw::open(&mut srv, "/chat", "Sec-WebSocket-Protocol: superchat, chat\r\n");
    assert_eq!(header(&head, "sec-websocket-accept"), Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    assert_eq!(header(&head, "upgrade"), Some("websocket"));
    assert_eq!(header(&head, "connection"), Some("Upgrade"));
    assert_eq!(header(&head, "sec-websocket-protocol"), Some("chat"));
    assert_eq!(header(&head, "sec-websocket-extensions"), None, "no deflate offered, none agreed");
    assert_eq!(header(&head, "content-length"), None);
    let h = srv.opened().expect("Open");
    assert_eq!(srv.ws.protocol(h), Some("chat"));
    assert_eq!(srv.web.connections(), 0, "the HTTP server let it go");
    let (_c, head) = Raw::open(&mut srv, "/", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
    assert_eq!(header(&head, "sec-websocket-extensions"), Some("permessage-deflate"));
    assert_eq!(header(&head, "sec-websocket-protocol"), None);
}

#[test]
fn refused_and_malformed_handshakes_get_http_answers() {
    let mut srv = Srv::new(Options::default());
    let mut c = Raw::connect(&srv);
    for (req, status) in [
        (upgrade_request("/refuse", ""), "HTTP/1.1 403 "),
        (upgrade_request("/", "").replace("Version: 13", "Version: 8"), "HTTP/1.1 426 "),
        (upgrade_request("/", "").replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="), "HTTP/1.1 400 "),
        (upgrade_request("/", "").replace("GET", "POST"), "HTTP/1.1 400 "),
    ] {
        c.send(&mut srv, req.as_bytes());
        let head = c.head(&mut srv);
        assert!(head.starts_with(status), "{head}");
        if status.contains("426") {
            assert_eq!(header(&head, "sec-websocket-version"), Some("13"));
        }
        let len: usize = header(&head, "content-length").unwrap().parse().unwrap();
        srv.until("the body", |_| {
            c.pull();
            c.buf.len() >= len
        });
        c.buf.drain(..len);
    }
    // The connection is still HTTP, parsed again after each refusal.
    c.send(&mut srv, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(c.head(&mut srv).starts_with("HTTP/1.1 200 "));
    assert!(srv.opened().is_none());
}

#[test]
fn frames_right_behind_the_handshake_are_read() {
    let mut srv = Srv::new(Options::default());
    let mut c = Raw::connect(&srv);
    let mut bytes = upgrade_request("/", "").into_bytes();
    bytes.extend_from_slice(&frame(FIN, 1, b"early", true));
    c.send(&mut srv, &bytes);
    assert!(c.head(&mut srv).starts_with("HTTP/1.1 101 "));
    assert_eq!(c.frame(&mut srv), (FIN | 1, b"early".to_vec()));
}

/// Opens a connection to a server with `opts`, sends `bytes`, and checks
/// that the server answers with a close frame of `code` and ends TCP.
fn fails_with(opts: Options, bytes: &[u8], code: u16) -> Srv {
    let mut srv = Srv::new(opts);
    let (mut c, _) = Raw::open(&mut srv, "/", "");
    c.send(&mut srv, bytes);
    assert_eq!(c.close_code(&mut srv), code);
    c.eof(&mut srv);
    srv
}

#[test]
fn an_unmasked_client_frame_fails_with_1002() {
    let mut srv = fails_with(Options::default(), &frame(FIN, 1, b"bare", false), 1002);
    srv.until("the Close event", |s| s.closed().is_some());
    assert_eq!(srv.closed().unwrap().0, 1002);
    assert!(!srv.events.iter().any(|e| matches!(e, Event::Message { .. })));
}

#[test]
fn an_oversized_frame_fails_with_1009_before_its_payload() {
    let small = Options {
        max_frame: 1000,
        ..Options::default()
    };
    // The header and its mask only.
    fails_with(small, &frame(FIN, 2, &[0; 1001], true)[..8], 1009);
}

#[test]
fn invalid_utf8_split_across_fragments_fails_with_1007_at_once() {
    // "κό" then the first byte of a 3-byte character, then a byte that
    // cannot continue it; the final fragment is never sent.
    let bytes = [frame(0, 1, b"\xce\xba\xcf\x8c\xed", true), frame(0, 0, b"\xa0\x80", true)].concat();
    fails_with(Options::default(), &bytes, 1007);
}

#[test]
fn a_close_with_1005_on_the_wire_fails_with_1002() {
    fails_with(Options::default(), &frame(FIN, 8, &1005u16.to_be_bytes(), true), 1002);
}

#[test]
fn the_client_closes_and_the_server_answers_then_ends_tcp() {
    let mut srv = Srv::new(Options::default());
    let (mut c, _) = Raw::open(&mut srv, "/", "");
    let mut body = 1000u16.to_be_bytes().to_vec();
    body.extend_from_slice(b"bye");
    // A message, then the close: the echo comes before the answer.
    c.send(&mut srv, &[frame(FIN, 1, b"last", true), frame(FIN, 8, &body, true)].concat());
    assert_eq!(c.frame(&mut srv), (FIN | 1, b"last".to_vec()));
    assert_eq!(c.close_code(&mut srv), 1000);
    c.eof(&mut srv);
    drop(c);
    srv.until("the Close event", |s| s.closed().is_some());
    assert_eq!(srv.closed(), Some((1000, "bye".to_owned())));
    assert_eq!(srv.ws.connections(), 0);
}

#[test]
fn the_server_closes_and_the_client_answers() {
    let mut srv = Srv::new(Options::default());
    let (mut c, _) = Raw::open(&mut srv, "/", "");
    let h = srv.opened().unwrap();
    srv.ws.close(&mut srv.r, h, 4001, "server done").unwrap();
    let (b0, p) = c.frame(&mut srv);
    assert_eq!((b0, &p[..2], &p[2..]), (FIN | 8, &4001u16.to_be_bytes()[..], &b"server done"[..]));
    c.send(&mut srv, &frame(FIN, 8, &4001u16.to_be_bytes(), true));
    c.eof(&mut srv);
    srv.until("the Close event", |s| s.closed().is_some());
    assert_eq!(srv.closed(), Some((4001, "server done".to_owned())));
}

#[test]
fn pings_are_answered_and_keep_alive_pings_find_dead_peers() {
    let mut srv = Srv::new(Options {
        ping_interval_ms: 20,
        pong_timeout_ms: 50,
        ..Options::default()
    });
    let (mut c, _) = Raw::open(&mut srv, "/", "");
    c.send(&mut srv, &frame(FIN, 9, b"are you there", true));
    assert_eq!(c.frame(&mut srv), (FIN | 0xA, b"are you there".to_vec()));
    // Three keep-alive pings answered: the connection stays.
    for _ in 0..3 {
        let (b0, p) = c.frame(&mut srv);
        assert_eq!(b0, FIN | 9);
        c.send(&mut srv, &frame(FIN, 0xA, &p, true));
    }
    assert!(srv.closed().is_none());
    // The next one unanswered: the server drops the connection.
    assert_eq!(c.frame(&mut srv).0, FIN | 9);
    c.eof(&mut srv);
    srv.until("the Close event", |s| s.closed().is_some());
    let (code, reason) = srv.closed().unwrap();
    assert_eq!(code, 1006);
    assert!(reason.contains("no pong"), "{reason}");
}

#[test]
fn an_idle_connection_is_closed_with_1001() {
    let mut srv = Srv::new(Options {
        idle_timeout_ms: 30,
        ..Options::default()
    });
    let (mut c, _) = Raw::open(&mut srv, "/", "");
    assert_eq!(c.close_code(&mut srv), 1001);
    c.send(&mut srv, &frame(FIN, 8, &1001u16.to_be_bytes(), true));
    c.eof(&mut srv);
    srv.until("the Close event", |s| s.closed().is_some());
    assert_eq!(srv.closed().unwrap().0, 1001);
}

#[test]
fn a_peer_that_never_reads_cannot_grow_the_queue() {
    const LIMIT: usize = 64 * 1024;
    let mut srv = Srv::new(Options {
        max_queue: LIMIT,
        ..Options::default()
    });
    let (mut c, _) = Raw::open(&mut srv, "/", "");
    let h = srv.opened().unwrap();
    let msg = frame(FIN, 2, &[7; 16 * 1024], true);
    let (mut sent, mut at, mut max_queued) = (0usize, 0usize, 0usize);
    // Write without reading until the server has stopped reading and the
    // kernel buffers between are full.
    srv.until("the server to stop reading", |s| {
        loop {
            match c.s.write(&msg[at..]) {
                Ok(n) => {
                    at += n;
                    if at == msg.len() {
                        (at, sent) = (0, sent + 1);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("write: {e}"),
            }
        }
        max_queued = max_queued.max(s.ws.queued(&s.r, h).unwrap());
        s.r.recv_paused(h).unwrap() && sent > 100
    });
    // Bounded: under the limit before each echo, plus that one echo.
    assert!(max_queued <= LIMIT + msg.len(), "queued {max_queued}");
    // Now read everything (finishing the message cut short): every
    // message comes back, whole.
    let mut echoed = 0;
    srv.until("every echo", |_| {
        if at > 0 {
            match c.s.write(&msg[at..]) {
                Ok(n) if at + n == msg.len() => (at, sent) = (0, sent + 1),
                Ok(n) => at += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("write: {e}"),
            }
        }
        c.pull();
        while let Some((b0, p, used)) = parse_frame(&c.buf) {
            assert_eq!((b0, p.len()), (FIN | 2, 16 * 1024));
            assert!(p.iter().all(|&b| b == 7));
            c.buf.drain(..used);
            echoed += 1;
        }
        at == 0 && echoed == sent
    });
    srv.until("the drain", |s| s.events.contains(&Event::Drain(h)));
}

#[test]
fn a_full_queue_refuses_sends_until_it_drains() {
    let mut srv = Srv::new(Options {
        max_queue: 16 * 1024,
        ..Options::default()
    });
    let (mut c, _) = Raw::open(&mut srv, "/", "");
    let h = srv.opened().unwrap();
    let big = vec![1u8; 1 << 20];
    let mut sent = 0;
    while srv.ws.send_binary(&mut srv.r, h, &big).is_ok() {
        sent += 1;
        assert!(sent < 1000, "the queue never filled");
    }
    let err = srv.ws.send_binary(&mut srv.r, h, b"x").unwrap_err();
    assert!(matches!(err, mnet::Error::QueueFull { .. }), "{err}");
    let mut got = 0;
    while got < sent {
        let (_, p) = c.frame(&mut srv);
        assert_eq!(p.len(), big.len());
        got += 1;
    }
    srv.until("the drain", |s| s.events.contains(&Event::Drain(h)));
    srv.ws.send_text(&mut srv.r, h, "again").unwrap();
    assert_eq!(c.frame(&mut srv), (FIN | 1, b"again".to_vec()));
}

#[test]
fn mnet_client_and_server_agree_with_and_without_deflate() {
    for deflate in [true, false] {
        let mut opts = Options::default();
        opts.deflate.enabled = deflate;
        let mut srv = Srv::new(opts);
        let mut client = Endpoint::new(opts);
        let url = format!("ws://{}/chat", srv.addr);
        let h = client.connect(&mut srv.r, &url, &["chat"]).unwrap();
        let text = "mnet to mnet ".repeat(500);
        let (got, closed) = (RefCell::new(Vec::new()), Cell::new(None));
        let mut on_event = |r: &mut Reactor, client: &mut Endpoint, ev: Event| match ev {
            Event::Open(id) => {
                assert_eq!(client.protocol(id), Some("chat"));
                assert_eq!(client.is_compressed(id), deflate);
                client.send_text(r, id, &text).unwrap();
                client.send_binary(r, id, &[0, 1, 2]).unwrap();
                client.send_text(r, id, "").unwrap();
            }
            Event::Message { id, data, .. } => {
                got.borrow_mut().push(data);
                if got.borrow().len() == 3 {
                    client.close(r, id, 1000, "done").unwrap();
                }
            }
            Event::Close { code, .. } => closed.set(Some(code)),
            _ => {}
        };
        let end = Instant::now() + Duration::from_secs(20);
        while closed.get().is_none() || srv.closed().is_none() {
            assert!(Instant::now() < end, "timed out");
            both_round(&mut srv, &mut client, &mut on_event);
        }
        assert_eq!(got.into_inner(), vec![text.clone().into_bytes(), vec![0, 1, 2], vec![]]);
        assert_eq!((closed.get(), srv.closed()), (Some(1000), Some((1000, "done".to_owned()))));
        assert!(client.connections() == 0 && srv.ws.connections() == 0);
        assert!(client.protocol(h).is_none(), "the id is stale");
    }
}

#[test]
fn wss_from_mnet_client_to_mnet_server() {
    let pki = common::certs::pki(&["localhost", "127.0.0.1"]);
    let mut srv = Srv::with_tls(Options::default(), Some(common::certs::server_config(&pki)));
    let mut client = Endpoint::default();
    client.set_tls_config(common::certs::client_config(&pki)).unwrap();
    assert!(client.set_tls_config(common::certs::server_config(&pki)).is_err(), "a client needs a client configuration");
    let url = format!("wss://localhost:{}/chat", srv.addr.port());
    client.connect(&mut srv.r, &url, &["chat"]).unwrap();
    let (got, closed) = (RefCell::new(None), Cell::new(None));
    let mut on_event = |r: &mut Reactor, client: &mut Endpoint, ev: Event| match ev {
        Event::Open(id) => client.send_text(r, id, "over TLS").unwrap(),
        Event::Message { id, data, .. } => {
            *got.borrow_mut() = Some(data);
            client.close(r, id, 1000, "").unwrap();
        }
        Event::Close { code, reason, .. } => {
            assert_eq!(code, 1000, "{reason}");
            closed.set(Some(code));
        }
        _ => {}
    };
    let end = Instant::now() + Duration::from_secs(20);
    while closed.get().is_none() || srv.closed().is_none() {
        assert!(Instant::now() < end, "timed out");
        both_round(&mut srv, &mut client, &mut on_event);
    }
    assert_eq!(got.into_inner(), Some(b"over TLS".to_vec()));
}
