//! Reconnecting the same channel: each connection ends in exactly one
//! DISCONNECT (err 0) when the server closes it, after all the data the
//! server sent first; the same handle connects again and gets exactly one
//! CONNECTED per connection; the server's own close raises nothing; the
//! channel count reaches 0 once everything is closed.

mod common;

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use common::peer::{open_fds, raise_nofile};
use common::*;
use mnet::{Error, Event, Handle, Kind, Reactor, State};

const CLIENTS: usize = 256;
const ROUNDS: usize = 5;

/// What one client saw.
#[derive(Default, Clone)]
struct Seen {
    connected: usize,
    disconnected: usize,
    /// Echo received on the current connection.
    echo: Vec<u8>,
}

fn line(client: usize, conn: usize) -> Vec<u8> {
    format!("client {client} connection {conn}\n").into_bytes()
}

/// 256 clients, 5 connections each, on one handle each: the server echoes
/// the client's line, turns on SEND, and closes the connection when SEND
/// says the echo left the queue.
fn reconnect_rounds(ip: &str) {
    // One storm at a time: each holds both ends of 256 connections, and two
    // at once would pass a default `ulimit -n 1024`.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !raise_nofile((open_fds() + 2 * CLIENTS + 64) as u64) {
        return;
    }
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, ip);
    let addr = addr.to_string();
    let clients: Vec<Handle> = (0..CLIENTS)
        .map(|i| {
            let c = r.open(Kind::Stream);
            // The opaque word names the client and must survive reconnects.
            r.set_opaque(c, i as u64 + 1).unwrap();
            r.connect(c, &addr).unwrap();
            c
        })
        .collect();
    let mut seen = vec![Seen::default(); CLIENTS];
    let mut accepted: HashSet<Handle> = HashSet::new();
    let mut accepts = 0;
    let mut closed = 0;
    let mut buf = [0u8; 256];

    run_until(&mut r, Duration::from_secs(60), "all clients done", |r, m| {
        match m.event {
            Event::Accept => {
                assert_eq!(m.chann, l);
                assert_eq!(r.state(m.accepted).unwrap(), State::Connected);
                assert!(accepted.insert(m.accepted), "an accepted handle came twice");
                accepts += 1;
            }
            Event::Recv if accepted.contains(&m.chann) => {
                // Echo what came, then ask to hear when it has drained.
                let s = m.chann;
                let mut data = Vec::new();
                loop {
                    let n = r.recv(s, &mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    data.extend_from_slice(&buf[..n]);
                }
                assert!(!data.is_empty(), "RECV with nothing to read");
                assert_eq!(r.send(s, &data).unwrap(), data.len());
                r.set_send_event(s, true).unwrap();
            }
            Event::Send if accepted.contains(&m.chann) => {
                assert_eq!(r.cached(m.chann).unwrap(), 0, "SEND with data still queued");
                r.close(m.chann).unwrap();
                accepted.remove(&m.chann);
            }
            Event::Connected => {
                let i = m.opaque as usize - 1;
                assert_eq!(m.chann, clients[i], "opaque word kept across reconnects");
                let s = &mut seen[i];
                assert_eq!(s.connected, s.disconnected, "CONNECTED twice for one connection");
                s.connected += 1;
                assert_eq!(r.state(m.chann).unwrap(), State::Connected);
                let msg = line(i, s.connected);
                assert_eq!(r.send(m.chann, &msg).unwrap(), msg.len());
            }
            Event::Recv => {
                let i = m.opaque as usize - 1;
                loop {
                    // Reading the end of stream returns 0 (DISCONNECT follows).
                    let n = r.recv(m.chann, &mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    seen[i].echo.extend_from_slice(&buf[..n]);
                }
            }
            Event::Disconnect => {
                let i = m.opaque as usize - 1;
                assert_eq!(m.chann, clients[i], "DISCONNECT on a server channel: {m:?}");
                assert_eq!(m.err, 0, "a clean close gives err 0");
                let s = &mut seen[i];
                s.disconnected += 1;
                assert_eq!(s.disconnected, s.connected, "DISCONNECT without a connection");
                assert_eq!(
                    std::mem::take(&mut s.echo),
                    line(i, s.connected),
                    "the echo arrives before the DISCONNECT"
                );
                assert_eq!(r.state(m.chann).unwrap(), State::Disconnect);
                if s.disconnected < ROUNDS {
                    r.connect(m.chann, &addr).unwrap();
                    assert_eq!(r.state(m.chann).unwrap(), State::Connecting);
                } else {
                    r.close(m.chann).unwrap();
                    closed += 1;
                }
            }
            e => panic!("unexpected {e:?}: {m:?}"),
        }
        closed == CLIENTS
    });

    for (i, s) in seen.iter().enumerate() {
        assert_eq!((s.connected, s.disconnected), (ROUNDS, ROUNDS), "client {i}");
    }
    assert_eq!(accepts, CLIENTS * ROUNDS);
    assert!(accepted.is_empty(), "every accepted channel was closed on SEND");
    for &c in &clients {
        assert!(matches!(r.state(c), Err(Error::StaleHandle(_))));
    }
    assert_eq!(r.poll(0).unwrap(), 1, "only the listener is left");
    assert!(r.next().is_none());
    r.close(l).unwrap();
    assert_eq!(r.poll(0).unwrap(), 0, "nothing open");
    assert!(r.next().is_none());
}

#[test]
fn each_connection_gives_one_connected_and_one_clean_disconnect_ipv4() {
    reconnect_rounds("127.0.0.1");
}

#[test]
fn each_connection_gives_one_connected_and_one_clean_disconnect_ipv6() {
    reconnect_rounds("::1");
}

/// The program's own `disconnect` raises no event on its channel (the peer
/// sees a clean DISCONNECT), the channel connects again, and the new
/// connection starts with the SEND event off.
#[test]
fn own_disconnect_raises_nothing_and_the_channel_reconnects_with_send_off() {
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let (c, s) = connect_pair(&mut r, l, addr);
    r.set_send_event(c, true).unwrap();
    r.disconnect(c).unwrap();
    assert_eq!(r.state(c).unwrap(), State::Disconnect);
    assert_eq!(r.cached(c).unwrap(), 0);

    let mut server_lost = 0;
    run_until(&mut r, Duration::from_secs(5), "the server sees the close", |_, m| {
        assert_eq!(m.chann, s, "nothing for the channel that disconnected itself: {m:?}");
        assert_eq!((m.event, m.err), (Event::Disconnect, 0));
        server_lost += 1;
        true
    });
    watch_ticks(&mut r, 5, 5, |_, m| panic!("nothing more after the disconnect: {m:?}"));
    assert_eq!(server_lost, 1);
    r.close(s).unwrap();

    // Same handle, new connection: CONNECTED once, and SEND stays off.
    r.connect(c, &addr.to_string()).unwrap();
    let mut s2 = Handle::NONE;
    let mut connected = 0;
    run_until(&mut r, Duration::from_secs(5), "the reconnect", |_, m| {
        match m.event {
            Event::Accept => s2 = m.accepted,
            Event::Connected => connected += 1,
            _ => panic!("unexpected {m:?}"),
        }
        connected == 1 && !s2.is_none()
    });
    watch_ticks(&mut r, 5, 5, |_, m| panic!("SEND was reset by the new connect: {m:?}"));
    assert_eq!(connected, 1);
    r.send(c, b"again").unwrap();
    let mut buf = [0u8; 16];
    run_until(&mut r, Duration::from_secs(5), "data over the new connection", |r, m| {
        assert_eq!((m.event, m.chann), (Event::Recv, s2));
        let n = r.recv(s2, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"again");
        true
    });
    for h in [c, s2, l] {
        r.close(h).unwrap();
    }
    assert_eq!(r.poll(0).unwrap(), 0);
}
