//! How connections end: every byte the kernel still holds is delivered
//! (RECV) before the DISCONNECT, whatever ended the connection (a reset, a
//! failed send, TLS with or without close_notify), `err` says how it ended,
//! and a program that never reads still hears the close.
//!
//! The peers are plain sockets (or a blocking rustls client) in threads.
//! Where a test needs input waiting in the kernel when the end arrives, the
//! reactor is not polled while the peer sends its last bytes and resets:
//! the peer waits until the reactor's kernel has acknowledged every byte, so
//! the reset can destroy none of them.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::certs::{blocking_client, pki, tls_listener};
use common::peer::{reset, wait_acked};
use common::*;
use mnet::{Event, Handle, Kind, Reactor, State};

const HEAD: usize = 960 * 1024;
const TAIL: usize = 32 * 1024;

/// What a server channel received until its DISCONNECT, and the err.
struct Ending {
    got: Vec<u8>,
    err: i32,
}

/// Runs rounds, reading everything `srv` gets (and answering each RECV with
/// two bytes its peer never reads) until `srv`'s DISCONNECT.
fn read_until_disconnect(r: &mut Reactor, srv: Handle, mut got: Vec<u8>) -> Ending {
    let mut err = None;
    let mut buf = vec![0u8; 4096];
    run_until(r, Duration::from_secs(20), "the DISCONNECT", |r, m| {
        assert_eq!(m.chann, srv, "only the server channel has events");
        match m.event {
            Event::Recv => match r.recv(srv, &mut buf) {
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    let _ = r.send(srv, b"ok");
                }
                Err(e) => assert!(e.raw_os_error().is_some(), "recv failed without an errno: {e}"),
            },
            Event::Disconnect => err = Some(m.err),
            e => panic!("unexpected {e:?}"),
        }
        err.is_some()
    });
    Ending { got, err: err.unwrap() }
}

/// A client thread that has sent HEAD bytes of the pattern; told to, it
/// sends the TAIL, says when the server's kernel holds all of it, and
/// resets when told to.
struct Client {
    go: mpsc::Sender<()>,
    acked: mpsc::Receiver<()>,
    thread: thread::JoinHandle<()>,
}

impl Client {
    /// Sends the tail and resets, the reactor not being polled meanwhile.
    fn tail_and_reset(self) {
        self.tail_sent();
        self.reset();
    }

    /// Sends the tail; returns once the server's kernel holds it.
    fn tail_sent(&self) {
        self.go.send(()).unwrap();
        self.acked.recv().unwrap();
    }

    fn reset(self) {
        self.go.send(()).unwrap();
        self.thread.join().unwrap();
    }
}

/// A server channel with the HEAD read, and its client.
fn head_read(r: &mut Reactor) -> (Handle, Vec<u8>, Client) {
    let (_l, addr) = listener(r, Kind::Stream, "127.0.0.1");
    let (go, wait) = mpsc::channel::<()>();
    let (acked_tx, acked) = mpsc::channel::<()>();
    let thread = thread::spawn(move || {
        let mut data = vec![0u8; HEAD + TAIL];
        fill_pattern(&mut data, 0);
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(&data[..HEAD]).unwrap();
        wait.recv().unwrap();
        s.write_all(&data[HEAD..]).unwrap();
        wait_acked(&s);
        acked_tx.send(()).unwrap();
        wait.recv().unwrap();
        reset(s);
    });
    let mut srv = Handle::NONE;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    run_until(r, Duration::from_secs(20), "the head of the data", |r, m| {
        match m.event {
            Event::Accept => srv = m.accepted,
            Event::Recv => {
                let n = r.recv(srv, &mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
                r.send(srv, b"ok").unwrap();
            }
            e => panic!("unexpected {e:?}"),
        }
        got.len() == HEAD
    });
    (srv, got, Client { go, acked, thread })
}

fn assert_pattern(got: &[u8], len: usize) {
    assert_eq!(got.len(), len, "every byte the peer sent before its reset");
    assert_eq!(check_pattern(got, 0), None, "in order, intact");
}

#[test]
fn data_before_a_reset_is_all_delivered_then_econnreset() {
    let mut r = Reactor::new().unwrap();
    let (srv, got, client) = head_read(&mut r);
    // The tail and the reset arrive while the reactor is not polled: both
    // wait in the kernel together.
    client.tail_and_reset();
    let end = read_until_disconnect(&mut r, srv, got);
    assert_pattern(&end.got, HEAD + TAIL);
    assert_eq!(end.err, libc::ECONNRESET, "err says the connection was reset");
    assert_eq!(r.state(srv).unwrap(), State::Disconnect);
}

#[test]
fn a_reset_while_recv_is_paused_still_delivers_what_came_before() {
    let mut r = Reactor::new().unwrap();
    let (srv, got, client) = head_read(&mut r);
    r.set_recv_event(srv, false).unwrap();
    // The tail comes in while the reactor runs: the pause holds it in the
    // kernel, and nothing is raised for it while the peer lives.
    client.tail_sent();
    watch_ticks(&mut r, 3, 10, |_, m| panic!("unexpected {m:?} while paused"));
    client.reset();
    // The reset ends the pause: a dead connection is not held open.
    let end = read_until_disconnect(&mut r, srv, got);
    assert_pattern(&end.got, HEAD + TAIL);
    assert_eq!(end.err, libc::ECONNRESET);
}

#[test]
fn a_failed_send_still_delivers_what_the_peer_sent_first() {
    let mut r = Reactor::new().unwrap();
    let (srv, got, client) = head_read(&mut r);
    client.tail_and_reset();
    // The program sends before the reactor has seen the reset: the send
    // fails and ends the connection, with the tail still unread.
    let big = vec![7u8; 64 * 1024];
    let e = r.send(srv, &big).expect_err("a send after the peer's reset fails");
    let errno = e.raw_os_error().expect("with an errno");
    assert!(errno == libc::ECONNRESET || errno == libc::EPIPE, "{e}");
    assert!(r.send(srv, b"x").is_err(), "and so does every send after it");
    let end = read_until_disconnect(&mut r, srv, got);
    assert_pattern(&end.got, HEAD + TAIL);
    assert_eq!(end.err, errno, "DISCONNECT carries the send's errno");
}

/// A TLS server channel that has read "hello" from a blocking rustls client
/// thread; the client then sends `TAIL` bytes of plaintext, close_notify
/// when asked, waits until the server's kernel has them, and resets.
fn tls_tail_then_reset(close_notify: bool) -> Ending {
    let p = pki(&["localhost"]);
    let mut r = Reactor::new().unwrap();
    let (_l, addr) = tls_listener(&mut r, &p, 16);
    let (go, wait) = mpsc::channel::<()>();
    let client = thread::spawn(move || {
        let pc = p.clone();
        let (mut conn, mut sock) = blocking_client(&pc, addr);
        let mut tls = rustls::Stream::new(&mut conn, &mut sock);
        tls.write_all(b"hello").unwrap();
        tls.flush().unwrap();
        wait.recv().unwrap();
        let mut data = vec![0u8; TAIL];
        fill_pattern(&mut data, 0);
        tls.write_all(&data).unwrap();
        if close_notify {
            tls.conn.send_close_notify();
        }
        tls.flush().unwrap();
        wait_acked(&sock);
        reset(sock);
    });
    let mut srv = Handle::NONE;
    let mut hello = Vec::new();
    let mut buf = [0u8; 64];
    run_until(&mut r, Duration::from_secs(20), "hello over TLS", |r, m| {
        match m.event {
            Event::Accept => srv = m.accepted,
            Event::Recv => {
                let n = r.recv(srv, &mut buf).unwrap();
                hello.extend_from_slice(&buf[..n]);
            }
            e => panic!("unexpected {e:?}"),
        }
        hello == b"hello"
    });
    go.send(()).unwrap();
    client.join().unwrap();
    read_until_disconnect(&mut r, srv, Vec::new())
}

#[test]
fn tls_close_notify_then_reset_delivers_the_data_and_ends_with_err_0() {
    let end = tls_tail_then_reset(true);
    assert_pattern(&end.got, TAIL);
    assert_eq!(end.err, 0, "close_notify came first: a clean end, whatever TCP did next");
}

#[test]
fn tls_reset_without_close_notify_delivers_the_data_then_econnreset() {
    let end = tls_tail_then_reset(false);
    assert_pattern(&end.got, TAIL);
    assert_eq!(end.err, libc::ECONNRESET);
}

#[test]
fn a_client_that_never_reads_still_hears_each_close_and_reconnects() {
    const CONNECTIONS: usize = 5;
    let mut r = Reactor::new().unwrap();
    let (l, addr) = listener(&mut r, Kind::Stream, "127.0.0.1");
    let c = r.open(Kind::Stream);
    r.connect(c, &addr.to_string()).unwrap();
    let (mut connected, mut lost, mut offered) = (0, 0, 0);
    run_until(&mut r, Duration::from_secs(20), "five closes heard", |r, m| {
        match (m.event, m.chann) {
            // The server greets and hangs up at once.
            (Event::Accept, ch) if ch == l => {
                r.send(m.accepted, b"hello, and goodbye\n").unwrap();
                r.close(m.accepted).unwrap();
            }
            (Event::Connected, ch) if ch == c => connected += 1,
            // The client never reads, as m_net programs waiting for the
            // server to hang up do.
            (Event::Recv, ch) if ch == c => offered += 1,
            (Event::Disconnect, ch) if ch == c => {
                assert_eq!(m.err, 0, "the server closed cleanly");
                lost += 1;
                if lost < CONNECTIONS {
                    r.connect(c, &addr.to_string()).unwrap();
                }
            }
            (e, ch) => panic!("unexpected {e:?} on {ch:?}"),
        }
        lost == CONNECTIONS
    });
    assert_eq!((connected, lost), (CONNECTIONS, CONNECTIONS), "one CONNECTED and one DISCONNECT each");
    assert!(offered >= CONNECTIONS, "the data was offered (RECV) before each close");
    // And then the loop is idle: over five ticks of a watcher nothing else
    // happens (a spinning RECV would show here).
    watch_ticks(&mut r, 5, 10, |_, m| panic!("unexpected {m:?} after the last close"));
}
