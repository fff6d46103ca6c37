//! Bulk data: 1 GiB (or `MNET_RWDATA_BYTES`) of the pattern
//! `(offset + i) & 0xff` pumped by a client through the SEND event in
//! 256 KiB chunks, echoed by the server, byte-checked on both sides, with
//! exact byte counters at both ends and a server whose queue stays bounded.

mod common;

use std::time::Duration;

use common::*;
use mnet::{Direction, Event, Handle, Kind, Reactor};

/// One `send` per SEND event.
const CHUNK: usize = 256 * 1024;
/// The server stops reading while its echo queue holds this much; RECV is
/// level-style, so it comes again next round.
const SERVER_QUEUE_LIMIT: usize = 4 << 20;

fn total_bytes() -> u64 {
    env_bytes("MNET_RWDATA_BYTES", 1 << 30)
}

fn pump_and_echo(ip: &str, total: u64) {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, ip);
    let c = r.open(Kind::Stream);
    r.connect(c, &addr.to_string()).unwrap();

    let mut srv = Handle::NONE;
    // sent: handed to send() by the client; echoed: checked and echoed by
    // the server; back: checked by the client.
    let (mut sent, mut echoed, mut back) = (0u64, 0u64, 0u64);
    let mut max_server_queue = 0;
    let mut skipped = 0u64;
    let mut out = vec![0u8; CHUNK];
    let mut sbuf = vec![0u8; CHUNK];
    let mut cbuf = vec![0u8; CHUNK];
    let limit = Duration::from_secs(60 + total / (8 << 20));
    run_until(&mut r, limit, "all data echoed back", |r, m| match m.event {
        Event::Accept => {
            assert!(srv.is_none(), "one connection only");
            srv = m.accepted;
            false
        }
        Event::Connected => {
            r.set_send_event(c, true).unwrap();
            false
        }
        Event::Send => {
            assert_eq!(m.chann, c);
            assert_eq!(r.cached(c).unwrap(), 0, "SEND while data is queued");
            assert!(sent < total, "SEND after the pump was turned off");
            let n = (total - sent).min(CHUNK as u64) as usize;
            fill_pattern(&mut out[..n], sent);
            assert_eq!(r.send(c, &out[..n]).unwrap(), n, "send takes the whole chunk");
            sent += n as u64;
            if sent == total {
                r.set_send_event(c, false).unwrap();
            }
            false
        }
        Event::Recv if m.chann == srv => {
            if r.cached(srv).unwrap() >= SERVER_QUEUE_LIMIT {
                skipped += 1;
                return false;
            }
            loop {
                let n = r.recv(srv, &mut sbuf).unwrap();
                if n == 0 {
                    break;
                }
                assert_eq!(check_pattern(&sbuf[..n], echoed), None, "server side");
                echoed += n as u64;
                assert_eq!(r.send(srv, &sbuf[..n]).unwrap(), n);
                let q = r.cached(srv).unwrap();
                max_server_queue = max_server_queue.max(q);
                if q >= SERVER_QUEUE_LIMIT {
                    break;
                }
            }
            false
        }
        Event::Recv => {
            assert_eq!(m.chann, c);
            loop {
                let n = r.recv(c, &mut cbuf).unwrap();
                if n == 0 {
                    break;
                }
                assert_eq!(check_pattern(&cbuf[..n], back), None, "client side");
                back += n as u64;
            }
            assert!(back <= sent, "more came back than was sent");
            back == total
        }
        e => panic!("unexpected {e:?}: {m:?}"),
    });

    assert_eq!((sent, echoed, back), (total, total, total), "nothing lost");
    assert_eq!(r.bytes(c, Direction::Sent).unwrap(), total);
    assert_eq!(r.bytes(c, Direction::Received).unwrap(), total);
    assert_eq!(r.bytes(srv, Direction::Received).unwrap(), total);
    assert_eq!(r.bytes(srv, Direction::Sent).unwrap(), total);
    assert_eq!(r.cached(c).unwrap(), 0);
    assert_eq!(r.cached(srv).unwrap(), 0);
    assert!(
        max_server_queue < SERVER_QUEUE_LIMIT + CHUNK,
        "server queue peaked at {max_server_queue} bytes"
    );
    eprintln!("{total} bytes over {ip}: server queue peaked at {max_server_queue}, skipped {skipped} RECVs");
    for h in [c, srv, l] {
        r.close(h).unwrap();
    }
    assert_eq!(r.poll(0).unwrap(), 0);
}

#[test]
fn pumped_data_comes_back_byte_exact_with_exact_counters() {
    pump_and_echo("127.0.0.1", total_bytes());
}

/// The same over IPv6, with a sixteenth of the volume (at least one chunk
/// plus an odd tail, so a short last chunk is exercised).
#[test]
fn pumped_data_comes_back_byte_exact_over_ipv6() {
    pump_and_echo("::1", (total_bytes() / 16).max(CHUNK as u64) + 12345);
}
